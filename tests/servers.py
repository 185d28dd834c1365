"""Real servers the tests start on 127.0.0.1 from Debian packages (dovecot, redis-server):
installed with apt-get when missing (needs root, like CI), stopped at the end."""

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def ensure_package(package: str, binary: str) -> str | None:
    """Path of `binary`, installing the Debian `package` if needed; None if impossible."""
    for path in (shutil.which(binary), f"/usr/sbin/{binary}", f"/usr/bin/{binary}"):
        if path and Path(path).exists():
            return path
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        return None
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "-qq", package]
    if subprocess.run(install, env=env, capture_output=True).returncode != 0:
        subprocess.run(["apt-get", "update", "-qq"], env=env, capture_output=True)
        subprocess.run(install, env=env, capture_output=True, check=True)
    return shutil.which(binary) or f"/usr/sbin/{binary}"


def wait_for_port(process: subprocess.Popen, port: int, seconds: float = 15) -> bool:
    """True once something listens on the port, False if the process died or time ran out."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and process.poll() is None:
        with (
            contextlib.suppress(OSError),
            socket.create_connection(("127.0.0.1", port), timeout=1),
        ):
            return True
        time.sleep(0.1)
    return False


def stop_process(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


class RedisServer:
    """A throwaway redis-server (no persistence) for django-q2's Redis broker."""

    def __init__(self, binary: str):
        self.binary = binary
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="balcao-redis-"))
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> "RedisServer":
        self.process = subprocess.Popen(
            [self.binary, "--bind", "127.0.0.1", "--port", str(self.port), "--save", ""]
            + ["--appendonly", "no", "--dir", str(self.dir)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        if not wait_for_port(self.process, self.port):
            raise RuntimeError("redis-server did not start")
        return self

    def stop(self) -> None:
        stop_process(self.process)
        shutil.rmtree(self.dir, ignore_errors=True)
