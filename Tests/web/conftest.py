"""Fixtures of the web client's browser test: one chat server per session, headless Chromium.

The server binary comes from $CHAT_BINARY (default: the repository's .build/debug/chat) and runs
`serve` on free loopback ports with a fresh data directory; it is stopped with SIGTERM at the end.
It serves the web client it was built with, or the files in $CHAT_WEB_ROOT when that is set (to
test edits of Sources/Gateway/Web without rebuilding).

The browsers are Debian's `chromium` and `chromium-driver` ($CHROMIUM and $CHROMEDRIVER override
their paths). Set CHAT_WEB_HEADFUL=1 to watch them.
"""

import os
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

from chat_process import REPO_ROOT, ChatProcess, free_port

SCREENSHOT_DIR = REPO_ROOT / ".build" / "web-screenshots"

STARTUP_TIMEOUT_SECONDS = 120   # the machine may be busy building

DESKTOP_SIZE = (1280, 800)
PHONE_SIZE = (390, 844)


class ChatServer:
    def __init__(self, process: ChatProcess, url: str):
        self.process = process
        self.url = url

    def log(self) -> str:
        return self.process.log()

    def healthy(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/healthz", timeout=2) as response:
                return response.status == 200
        except (urllib.error.URLError, OSError):
            return False


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    """A whole chat system (embedded broker, processor, gateway) on free loopback ports."""
    workdir = tmp_path_factory.mktemp("chat")
    http_port, kafka_port = free_port(), free_port()
    arguments = [
        "serve", "--data", str(workdir / "data"),
        "--http", f"127.0.0.1:{http_port}", "--kafka", f"127.0.0.1:{kafka_port}",
        # Hashing is deliberately slow; the test's throwaway accounts need no such protection.
        "--password-iterations", "1000",
        "--log-level", os.environ.get("CHAT_LOG_LEVEL", "warning"),
    ]
    if os.environ.get("CHAT_WEB_ROOT"):
        arguments += ["--web-root", str(Path(os.environ["CHAT_WEB_ROOT"]).resolve())]
    # The repository is the working directory, where the server finds kafka/topics.json.
    chat = ChatServer(ChatProcess(arguments, workdir / "server.log", cwd=REPO_ROOT), f"http://127.0.0.1:{http_port}")
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
        while not chat.healthy():
            if chat.process.exited() is not None:
                pytest.fail(f"the server exited with status {chat.process.exited()} during startup:\n{chat.log()}")
            if time.monotonic() > deadline:
                pytest.fail(f"/healthz did not answer 200 within {STARTUP_TIMEOUT_SECONDS}s:\n{chat.log()}")
            time.sleep(0.2)   # polling a process we started, not waiting for the page
        yield chat
    finally:
        chat.process.stop()


def _chromium(size: tuple[int, int], mobile: bool) -> webdriver.Chrome:
    options = webdriver.ChromeOptions()
    options.binary_location = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    if not os.environ.get("CHAT_WEB_HEADFUL"):
        options.add_argument("--headless=new")
    options.add_argument(f"--window-size={size[0]},{size[1]}")
    options.add_argument("--no-sandbox")              # CI containers run as root
    options.add_argument("--disable-dev-shm-usage")   # /dev/shm is small in containers
    options.add_argument("--disable-gpu")
    # Each driver is its own browser with its own profile: two independent users.
    service = Service(executable_path=os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver"))
    driver = webdriver.Chrome(options=options, service=service)
    # The window's size is not the page's (headless windows keep room for browser chrome):
    # emulate the exact viewport, and a phone's (mobile viewport, touch) where asked.
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": size[0], "height": size[1], "deviceScaleFactor": 1, "mobile": mobile,
    })
    if mobile:
        driver.execute_cdp_cmd("Emulation.setTouchEmulationEnabled", {"enabled": True, "maxTouchPoints": 5})
    driver.set_page_load_timeout(60)
    return driver


@pytest.fixture
def browsers():
    """A factory of browsers (desktop or phone sized); all are closed at the end of the test."""
    started = []

    def start(kind: str) -> webdriver.Chrome:
        driver = _chromium(PHONE_SIZE if kind == "phone" else DESKTOP_SIZE, mobile=kind == "phone")
        started.append(driver)
        return driver

    yield start
    for driver in started:
        try:
            driver.quit()
        except Exception:
            pass


@pytest.fixture(scope="session")
def screenshot_dir() -> Path:
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    return SCREENSHOT_DIR
