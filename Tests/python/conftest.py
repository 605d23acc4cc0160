"""Shared fixtures: one broker process per test session, topic creation, and hang protection.

The broker binary comes from $CHAT_BINARY (default: the repository's .build/debug/chat). It runs on
a free loopback port with a fresh data directory and is stopped with SIGTERM at the end; a non-zero
exit status fails the session.
"""

import faulthandler
import os
import signal
import socket
import sys
import time
from pathlib import Path

import pytest

from chat_process import ChatProcess, free_port

# Per-test limits. The soft limit raises in the test (SIGALRM); the hard limit kills the whole
# pytest process from a watchdog thread in case the main thread is stuck inside C code.
TEST_TIMEOUT_SECONDS = int(os.environ.get("CHAT_PYTEST_TIMEOUT", "90"))
HARD_TIMEOUT_SECONDS = TEST_TIMEOUT_SECONDS + 30
STARTUP_TIMEOUT_SECONDS = 30


def _wait_for_port(port: int, broker: ChatProcess) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if broker.exited() is not None:
            raise RuntimeError(f"broker exited with status {broker.exited()} during startup:\n{broker.log()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"broker did not accept connections on port {port} within {STARTUP_TIMEOUT_SECONDS}s")


class Broker:
    """The running broker: its bootstrap address, data directory and log."""

    def __init__(self, process: ChatProcess, bootstrap: str):
        self.process = process
        self.bootstrap = bootstrap

    @property
    def data_dir(self) -> Path:
        return self.process.log_path.parent / "data"

    def log(self) -> str:
        return self.process.log()


@pytest.fixture(scope="session")
def broker(tmp_path_factory):
    """Starts one broker for the session (fresh data directory, free loopback port) and stops it
    with SIGTERM at the end, asserting exit status 0. Set CHAT_BROKER_LOG_LEVEL=debug to debug."""
    workdir = tmp_path_factory.mktemp("broker")
    port = free_port()
    process = ChatProcess(
        [
            "broker", "--data", str(workdir / "data"), "--listen", f"127.0.0.1:{port}",
            "--log-level", os.environ.get("CHAT_BROKER_LOG_LEVEL", "warning"),
        ],
        workdir / "broker.log",
    )
    try:
        _wait_for_port(port, process)
        yield Broker(process, f"127.0.0.1:{port}")
    finally:
        status = process.stop()
        assert status == 0, f"broker exited with status {status}:\n{process.log()}"


@pytest.fixture
def bootstrap(broker):
    """The broker's bootstrap string ("127.0.0.1:PORT"); fails the test if the broker died during it."""
    yield broker.bootstrap
    assert broker.process.exited() is None, f"broker died with status {broker.process.exited()}:\n{broker.log()}"


class DeadlineExceeded(Exception):
    pass


@pytest.fixture(autouse=True)
def _deadline(request):
    """Fails a test after TEST_TIMEOUT_SECONDS; kills pytest if even that does not get through."""

    def on_alarm(signum, frame):
        raise DeadlineExceeded(f"{request.node.nodeid} exceeded {TEST_TIMEOUT_SECONDS}s")

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(TEST_TIMEOUT_SECONDS)
    faulthandler.dump_traceback_later(HARD_TIMEOUT_SECONDS, exit=True, file=sys.stderr)
    try:
        yield
    finally:
        faulthandler.cancel_dump_traceback_later()
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
