"""`printreg serve --workers N`'s launcher (printreg.web.workers): one listening socket per
process, so that connections opened together spread over the processes; a process that dies is
replaced; one that cannot start stops the server instead of being restarted for ever."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from tests.support.servers import free_port

from printreg.web.workers import reuse_port_socket

ROOT = Path(__file__).resolve().parents[3]


@contextmanager
def launched(factory: str, port: int, count: int, log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """Run the launcher for ``factory`` (in tests.support.pid_app) in a child process."""
    code = (
        "import sys; from printreg.web.workers import serve; "
        f"sys.exit(serve('tests.support.pid_app:{factory}', '127.0.0.1', {port}, {count}, "
        "startup_seconds=3, log_level='warning'))"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)])}
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-c", code], env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT
        )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=40)


def ask(port: int, sock: socket.socket | None = None) -> int:
    """Send one HTTP request (on ``sock``, else a new connection); return the answering pid."""
    own = sock is None
    sock = sock or socket.create_connection(("127.0.0.1", port), timeout=10)
    try:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: test\r\n\r\n")
        answer = b""
        while b"\r\n\r\n" not in answer or not answer.split(b"\r\n\r\n", 1)[1]:
            chunk = sock.recv(4096)
            assert chunk, answer
            answer += chunk
        return int(answer.split(b"\r\n\r\n", 1)[1])
    finally:
        if own:
            sock.close()


def wait_for(port: int, pids: int, seconds: float = 60) -> set[int]:
    """Return the pids answering once ``pids`` distinct processes have answered."""
    seen: set[int] = set()
    deadline = time.monotonic() + seconds
    while len(seen) < pids:
        assert time.monotonic() < deadline, f"only {seen} answered"
        try:
            seen.add(ask(port))
        except OSError:
            time.sleep(0.2)
    return seen


def test_connections_opened_together_spread_and_a_dead_process_is_replaced(
    tmp_path: Path,
) -> None:
    port = free_port()
    started = time.monotonic()
    with launched("pid_app", port, 2, tmp_path / "serve.log") as server:
        first = wait_for(port, 2)
        # 32 connections opened at once, as a load generator or a proxy opens them: each
        # process has its own socket, so the kernel hashes them over both. (A shared socket
        # hands a burst to whichever process wakes first: 32/0 and 30/2 were common.)
        sockets = [socket.create_connection(("127.0.0.1", port), timeout=10) for _ in range(32)]
        try:
            split = Counter(ask(port, s) for s in sockets)
        finally:
            for s in sockets:
                s.close()
        assert set(split) == first
        assert min(split.values()) >= 4, split  # binomial(32, 1/2): fails once in 400,000
        time.sleep(max(0.0, started + 3.5 - time.monotonic()))  # past its start-up window
        victim = next(iter(first))
        os.kill(victim, signal.SIGKILL)
        seen: set[int] = set()
        deadline = time.monotonic() + 60
        while len(seen - {victim}) < 2:  # the other one, and the one started in its place
            assert time.monotonic() < deadline, seen
            try:
                seen.add(ask(port))
            except OSError:  # a connection the killed process had not accepted yet
                time.sleep(0.2)
        now = seen - {victim}
        assert server.poll() is None  # the launcher kept running
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=40) == 0
        for pid in now | first:  # every web process stopped with it
            assert not Path(f"/proc/{pid}").exists() or _zombie(pid)


def _zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


def test_a_process_that_cannot_start_stops_the_server(tmp_path: Path) -> None:
    port = free_port()
    log = tmp_path / "serve.log"
    with launched("broken_app", port, 2, log) as server:
        assert server.wait(timeout=60) == 1
    assert "this application cannot start" in log.read_text()


def test_an_address_in_use_is_refused_before_any_process_starts() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(OSError, match="in use"):
            reuse_port_socket("127.0.0.1", port)
