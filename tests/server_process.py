"""Start `digits serve` as a real process on 127.0.0.1 for the HTTP and browser tests."""

import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

DIGITS = str(Path(sys.executable).with_name("digits"))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class ServerProcess:
    def __init__(self, *flags: str, log_path: Path, cwd: Path | None = None):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        self.log = open(log_path, "w")
        self.process = subprocess.Popen([DIGITS, "serve", "--port", str(self.port), *flags],
                                        stdout=self.log, stderr=subprocess.STDOUT, cwd=cwd)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"digits serve exited: {log_path.read_text()[-2000:]}")
            try:
                httpx.get(self.url + "/api/health", timeout=1).raise_for_status()
                return
            except httpx.HTTPError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("digits serve did not answer within 30 s")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()
