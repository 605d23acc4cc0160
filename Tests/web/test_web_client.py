"""The web client in real browsers: two users in two independent headless Chromium sessions
(one desktop-sized, one phone-sized) talking through a real server.

Run: CHAT_BINARY=.build/debug/chat python -m pytest -q Tests/web (see conftest.py).
Screenshots of both windows go to .build/web-screenshots/.
"""

import os
import secrets
import struct
import zlib
from pathlib import Path

from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait

# Generous: the machine has two cores, often shared with a build.
WAIT_SECONDS = float(os.environ.get("CHAT_WEB_WAIT", "30"))


# MARK: - Helpers


def wait_for(driver: WebDriver, condition, message: str):
    """Polls `condition(driver)` until it returns something truthy (stale elements count as "not yet")."""
    return WebDriverWait(driver, WAIT_SECONDS, poll_frequency=0.2,
                         ignored_exceptions=(StaleElementReferenceException,)).until(condition, message)


def by_id(driver: WebDriver, element_id: str):
    return driver.find_element(By.ID, element_id)


def visible(driver: WebDriver, element_id: str) -> bool:
    elements = driver.find_elements(By.ID, element_id)
    return bool(elements) and elements[0].is_displayed()


def png(width: int, height: int) -> bytes:
    """A small RGB PNG (a colour gradient), built by hand: no imaging library needed."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    rows = b"".join(
        b"\x00" + b"".join(bytes((x * 255 // width, y * 255 // height, 160)) for x in range(width))
        for y in range(height)
    )
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def start_chat(driver: WebDriver, username: str, title: str) -> None:
    """Starts a direct chat by username and waits until it is open (the peer is looked up first)."""
    by_id(driver, "new-chat-button").click()
    by_id(driver, "new-chat-username").send_keys(username)
    by_id(driver, "new-chat-submit").click()
    wait_for(driver, lambda d: by_id(d, "conv-title").text == title, f"the chat with {title} did not open")


def open_conversation(driver: WebDriver, title: str) -> None:
    """Waits for a conversation to be listed, then opens it."""
    wait_for(driver, lambda d: conversation_item(d, title), f"the list did not get {title!r}").click()


def sign_in(driver: WebDriver, url: str, username: str, display_name: str | None = None) -> None:
    """Logs in through the sign-in form (registering first when given a display name) and waits
    until the socket is up."""
    driver.get(url)
    wait_for(driver, lambda d: visible(d, "auth-screen"), "the sign-in form did not show")
    by_id(driver, "auth-username").send_keys(username)
    by_id(driver, "auth-password").send_keys("correct horse")
    if display_name is not None:
        by_id(driver, "auth-display-name").send_keys(display_name)
    by_id(driver, "register-button" if display_name is not None else "login-button").click()
    wait_for(driver, lambda d: visible(d, "chat-screen"), f"{username} did not get to the chat screen")
    wait_for(driver, lambda d: by_id(d, "connection-status").get_attribute("data-state") == "online",
             f"{username}'s WebSocket did not connect")


def conversation_item(driver: WebDriver, title: str):
    for item in driver.find_elements(By.CSS_SELECTOR, "[data-testid=conv-item]"):
        if item.find_element(By.CSS_SELECTOR, "[data-testid=conv-name]").text == title:
            return item
    return None


def messages(driver: WebDriver) -> list:
    return driver.find_elements(By.CSS_SELECTOR, "#messages [data-testid=message]")


def message_with_text(driver: WebDriver, text: str):
    for message in messages(driver):
        if text in [t.text for t in message.find_elements(By.CSS_SELECTOR, "[data-testid=message-text]")]:
            return message
    return None


def status_of(driver: WebDriver, text: str) -> str | None:
    message = message_with_text(driver, text)
    return message.get_attribute("data-status") if message else None


def send_text(driver: WebDriver, text: str) -> None:
    composer = by_id(driver, "composer-input")
    composer.send_keys(text)
    by_id(driver, "send-button").click()


def loaded_images(driver: WebDriver) -> list:
    """The pictures in the open conversation that the browser has decoded."""
    return driver.execute_script(
        "return [...document.querySelectorAll('#messages img[data-testid=message-image]')]"
        ".filter(img => img.complete && img.naturalWidth > 0)"
        ".map(img => ({width: img.naturalWidth, from: img.closest('[data-testid=message]').dataset.from}));"
    )


def screenshot(driver: WebDriver, directory: Path, name: str) -> None:
    driver.save_screenshot(str(directory / f"{name}.png"))


# MARK: - The conversation


def test_two_users_chat_in_two_browsers(server, browsers, screenshot_dir, tmp_path):
    suffix = secrets.token_hex(3)
    ann_name, ben_name = f"ann_{suffix}", f"ben_{suffix}"
    ann = browsers("desktop")
    ben = browsers("phone")

    sign_in(ann, server.url, ann_name, "Ann Archer")
    sign_in(ben, server.url, ben_name, "Ben Brook")
    assert ben.execute_script("return [innerWidth, innerHeight]") == [390, 844], "the phone window is not phone-sized"

    # Ann starts a direct chat with Ben by username and says hello.
    start_chat(ann, ben_name, "Ben Brook")
    hello = "Hi Ben! <b>not bold</b> & friends"
    send_text(ann, hello)
    wait_for(ann, lambda d: status_of(d, hello) in ("sent", "delivered", "read"), "the message was not sent")

    # Ben's phone shows the conversation with one unread message; his client acknowledges it,
    # so Ann sees it delivered (two grey ticks) before Ben opens it.
    item = wait_for(ben, lambda d: conversation_item(d, "Ann Archer"), "Ben's list did not get the chat")
    wait_for(ben, lambda d: conversation_item(d, "Ann Archer").find_element(
        By.CSS_SELECTOR, "[data-testid=unread]").text == "1", "Ben's unread count is not 1")
    wait_for(ann, lambda d: status_of(d, hello) == "delivered", "Ann's message did not turn delivered")
    assert ann.find_element(By.CSS_SELECTOR, "[data-testid=message][data-status=delivered] [data-testid=ticks]").text == "✓✓"

    # Ben opens it: he sees the text exactly as typed (escaped, not markup), and Ann sees it read.
    item.click()
    wait_for(ben, lambda d: visible(d, "conv-view") and not visible(d, "sidebar"),
             "on a phone the conversation should replace the list")
    wait_for(ben, lambda d: message_with_text(d, hello), "Ben does not see Ann's message")
    assert not ben.find_elements(By.CSS_SELECTOR, "#messages b"), "user text was rendered as HTML"
    wait_for(ann, lambda d: status_of(d, hello) == "read", "Ann's message did not turn read")
    read_ticks = ann.find_element(By.CSS_SELECTOR, "[data-testid=message][data-status=read] [data-testid=ticks]")
    assert "read" in read_ticks.get_attribute("class")

    # Ann is online, as Ben's header says; while she types, it says so.
    wait_for(ben, lambda d: by_id(d, "conv-status").text == "online", "Ben does not see Ann online")
    by_id(ann, "composer-input").send_keys("typing")
    wait_for(ben, lambda d: "is typing" in by_id(d, "conv-status").text, "Ben does not see Ann typing")
    by_id(ann, "composer-input").clear()

    # Ben replies; Ann gets it live in the open conversation.
    reply = "Grüße, Ann — got it."
    send_text(ben, reply)
    wait_for(ann, lambda d: message_with_text(d, reply), "Ann does not see Ben's reply")
    wait_for(ben, lambda d: status_of(d, reply) == "read", "Ann's open window did not mark the reply read")

    # Ben sends a picture from his phone; Ann sees it inline (fetched with the bearer token).
    picture = tmp_path / "gradient.png"
    picture.write_bytes(png(96, 64))
    by_id(ben, "file-input").send_keys(str(picture))
    wait_for(ann, lambda d: any(img["from"] == "them" and img["width"] == 96 for img in loaded_images(d)),
             "Ann does not see Ben's picture")
    wait_for(ben, lambda d: any(img["from"] == "me" for img in loaded_images(d)), "Ben does not see his own picture")
    wait_for(ben, lambda d: messages(d)[-1].get_attribute("data-status") == "read", "the picture was not read")

    # One more line each way, for a conversation worth a screenshot.
    send_text(ann, "Nice colours. Lunch at 1?")
    wait_for(ben, lambda d: message_with_text(d, "Nice colours. Lunch at 1?"), "Ben does not see the last message")
    wait_for(ann, lambda d: status_of(d, "Nice colours. Lunch at 1?") == "read", "the last message was not read")

    # Each message exists once in each window, whatever arrived by history and by delivery.
    for driver in (ann, ben):
        ids = [m.get_attribute("data-msg-id") for m in messages(driver)]
        assert len(ids) == len(set(ids)) == 4, ids

    screenshot(ann, screenshot_dir, "desktop-conversation")
    screenshot(ben, screenshot_dir, "phone-conversation")
    by_id(ben, "back-button").click()
    wait_for(ben, lambda d: visible(d, "sidebar") and not visible(d, "conv-view"), "Back did not show the list")
    wait_for(ben, lambda d: conversation_item(d, "Ann Archer").find_element(
        By.CSS_SELECTOR, "[data-testid=unread]").text == "", "the read conversation still shows unread messages")
    screenshot(ben, screenshot_dir, "phone-conversation-list")


def test_reconnect_after_network_loss_delivers_once(server, browsers):
    """Ben's browser goes offline; what Ann sends meanwhile arrives once when it comes back."""
    suffix = secrets.token_hex(3)
    ann_name, ben_name = f"cat_{suffix}", f"dan_{suffix}"
    ann = browsers("desktop")
    ben = browsers("desktop")
    sign_in(ann, server.url, ann_name, ann_name)
    sign_in(ben, server.url, ben_name, ben_name)

    start_chat(ann, ben_name, ben_name)
    send_text(ann, "before")
    open_conversation(ben, ann_name)
    wait_for(ben, lambda d: message_with_text(d, "before"), "Ben does not see the first message")

    # Cut Ben's network (DevTools closes his WebSocket), then let Ann write.
    ben.execute_cdp_cmd("Network.enable", {})
    ben.execute_cdp_cmd("Network.emulateNetworkConditions",
                        {"offline": True, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1})
    wait_for(ben, lambda d: by_id(d, "connection-status").get_attribute("data-state") != "online",
             "Ben's client did not notice the network loss")
    for text in ("while you were away 1", "while you were away 2"):
        send_text(ann, text)
        wait_for(ann, lambda d, t=text: status_of(d, t) == "sent", f"{text!r} was not sent")

    ben.execute_cdp_cmd("Network.emulateNetworkConditions",
                        {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1})
    wait_for(ben, lambda d: by_id(d, "connection-status").get_attribute("data-state") == "online", "Ben did not reconnect")
    wait_for(ben, lambda d: message_with_text(d, "while you were away 2"), "Ben did not catch up")
    wait_for(ann, lambda d: status_of(d, "while you were away 2") == "read", "Ann's messages did not turn read")
    texts = [t.text for t in ben.find_elements(By.CSS_SELECTOR, "#messages [data-testid=message-text]")]
    assert texts == ["before", "while you were away 1", "while you were away 2"], texts


def test_a_new_device_sees_a_groups_members_and_ticks(server, browsers):
    """Ann writes in a group Ben reads; Ann's second device, which saw none of it live, shows
    the message as read from the group's cursors (GET /v1/groups/{g})."""
    suffix = secrets.token_hex(3)
    ann_name, ben_name = f"eve_{suffix}", f"fay_{suffix}"
    ann = browsers("desktop")
    ben = browsers("desktop")
    sign_in(ann, server.url, ann_name, ann_name)
    sign_in(ben, server.url, ben_name, ben_name)

    by_id(ann, "new-group-button").click()
    by_id(ann, "new-group-name").send_keys(f"club {suffix}")
    by_id(ann, "new-group-members").send_keys(ben_name)
    by_id(ann, "new-group-submit").click()
    open_conversation(ann, f"club {suffix}")
    send_text(ann, "hello club")
    open_conversation(ben, f"club {suffix}")
    wait_for(ben, lambda d: message_with_text(d, "hello club"), "Ben does not see the group message")
    wait_for(ann, lambda d: status_of(d, "hello club") == "read", "Ann's group message did not turn read")

    # A second device of Ann's: it logs in, opens the group and knows the ticks from the server.
    tablet = browsers("desktop")
    sign_in(tablet, server.url, ann_name)
    open_conversation(tablet, f"club {suffix}")
    wait_for(tablet, lambda d: message_with_text(d, "hello club"), "the second device does not show the history")
    wait_for(tablet, lambda d: status_of(d, "hello club") == "read",
             "the second device does not show the message as read")
