"""Shared fixtures: one broker process per test session, topic creation, and hang protection.

The broker binary comes from $CHAT_BINARY (default: the repository's .build/debug/chat). It runs on
a free loopback port with a fresh data directory and is stopped with SIGTERM at the end; a non-zero
exit status fails the session.
"""

import ctypes
import faulthandler
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_BINARY = REPO_ROOT / ".build" / "debug" / "chat"

# Per-test limits. The soft limit raises in the test (SIGALRM); the hard limit kills the whole
# pytest process from a watchdog thread in case the main thread is stuck inside C code.
TEST_TIMEOUT_SECONDS = int(os.environ.get("CHAT_PYTEST_TIMEOUT", "90"))
HARD_TIMEOUT_SECONDS = TEST_TIMEOUT_SECONDS + 30
STARTUP_TIMEOUT_SECONDS = 30
SHUTDOWN_TIMEOUT_SECONDS = 20


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _die_with_parent() -> None:
    """Runs in the child before exec: SIGTERM the broker if pytest itself dies (Linux only)."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except Exception:
        pass


def _wait_for_port(port: int, process: subprocess.Popen, log_path: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"broker exited with status {process.returncode} during startup:\n{log_path.read_text()}"
            )
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"broker did not accept connections on port {port} within {STARTUP_TIMEOUT_SECONDS}s")


class Broker:
    """The running broker: its bootstrap address, data directory and log."""

    def __init__(self, process: subprocess.Popen, bootstrap: str, log_path: Path):
        self.process = process
        self.bootstrap = bootstrap
        self.log_path = log_path

    @property
    def data_dir(self) -> Path:
        return self.log_path.parent / "data"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


@pytest.fixture(scope="session")
def broker(tmp_path_factory):
    """Starts one broker for the session (fresh data directory, free loopback port) and stops it
    with SIGTERM at the end, asserting exit status 0. Set CHAT_BROKER_LOG_LEVEL=debug to debug."""
    binary = Path(os.environ.get("CHAT_BINARY", DEFAULT_BINARY)).resolve()
    if not binary.is_file():
        pytest.fail(f"broker binary {binary} not found; build it with `swift build --product chat`")
    workdir = tmp_path_factory.mktemp("broker")
    data_dir = workdir / "data"
    log_path = workdir / "broker.log"
    port = _free_port()
    with open(log_path, "wb") as log_file:
        process = subprocess.Popen(
            [
                str(binary), "broker", "--data", str(data_dir), "--listen", f"127.0.0.1:{port}",
                "--log-level", os.environ.get("CHAT_BROKER_LOG_LEVEL", "warning"),
            ],
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            preexec_fn=_die_with_parent,
        )
    try:
        _wait_for_port(port, process, log_path)
        yield Broker(process, f"127.0.0.1:{port}", log_path)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        try:
            status = process.wait(timeout=SHUTDOWN_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            pytest.fail(f"broker ignored SIGTERM for {SHUTDOWN_TIMEOUT_SECONDS}s:\n{log_path.read_text()}")
        assert status == 0, f"broker exited with status {status}:\n{log_path.read_text()}"


@pytest.fixture
def bootstrap(broker):
    """The broker's bootstrap string ("127.0.0.1:PORT"); fails the test if the broker died during it."""
    yield broker.bootstrap
    assert broker.process.poll() is None, f"broker died with status {broker.process.returncode}:\n{broker.log()}"


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
