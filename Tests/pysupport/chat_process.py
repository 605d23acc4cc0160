"""What both pytest suites (Tests/python, Tests/web) need to run the `chat` binary: where it is,
free loopback ports, and a child process that logs to a file, dies with pytest and stops with
SIGTERM."""

import ctypes
import os
import signal
import socket
import subprocess
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
SHUTDOWN_TIMEOUT_SECONDS = 20


def chat_binary() -> Path:
    """$CHAT_BINARY, else the repository's debug build; fails the session if it is missing."""
    binary = Path(os.environ.get("CHAT_BINARY", REPO_ROOT / ".build" / "debug" / "chat")).resolve()
    if not binary.is_file():
        pytest.fail(f"{binary} not found; build it with `swift build --product chat`")
    return binary


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _die_with_parent() -> None:
    """Runs in the child before exec: SIGTERM it if pytest itself dies (Linux only)."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except Exception:
        pass


class ChatProcess:
    """`chat` with `arguments`, its stdout and stderr in `log_path`."""

    def __init__(self, arguments: list[str], log_path: Path, cwd: Path | None = None):
        self.log_path = log_path
        with open(log_path, "wb") as log_file:
            self.process = subprocess.Popen(
                [str(chat_binary()), *arguments], cwd=cwd, stdin=subprocess.DEVNULL, stdout=log_file,
                stderr=subprocess.STDOUT, preexec_fn=_die_with_parent,
            )

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def exited(self) -> int | None:
        """The exit status, or None while it runs."""
        return self.process.poll()

    def stop(self) -> int:
        """Sends SIGTERM and returns the exit status; fails the session if SIGTERM is ignored."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=SHUTDOWN_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            pytest.fail(f"chat ignored SIGTERM for {SHUTDOWN_TIMEOUT_SECONDS}s:\n{self.log()}")
