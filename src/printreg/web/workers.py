"""N web processes on one port, each with its own listening socket (``SO_REUSEPORT``).

uvicorn's own ``--workers`` binds one socket in the parent and hands it to every child; each
child's event loop then accepts every connection waiting when it wakes, so whichever process
wakes first takes a burst: 32 connections opened together land 32/0 or 30/2 as often as 16/16,
and one process serves them all while the other idles (bench/api.py measured a 50-case list at
220–250 requests/s with such splits against 360–430/s balanced). Here every process binds its
own socket to the same address with ``SO_REUSEPORT``, and the kernel spreads new connections
over them by address hash, as nginx's ``reuse_port`` does. Only processes of the same user may
join such a port (Linux checks the effective user id), so another account cannot steal it.

The parent supervises: it starts the processes, starts a new one when one dies (not when one
dies before serving: a broken configuration would fail the same way forever), and stops them all
on SIGINT or SIGTERM. Linux only (``SO_REUSEPORT``), as the deployment is (docs/deploy.md).
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import socket
import threading
import time
from multiprocessing.context import SpawnProcess
from typing import Any

import uvicorn

#: a process that ends within this many seconds of its start failed to start: not restarted
STARTUP_SECONDS = 20.0
#: seconds a stopping process gets to finish its requests before it is killed
STOP_SECONDS = 30.0


def reuse_port_socket(host: str, port: int) -> socket.socket:
    """Return a TCP socket bound to host:port with ``SO_REUSEPORT`` (not yet listening)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    return sock


def _serve_one(factory: str, host: str, port: int, options: dict[str, Any]) -> None:
    """Run one web process: its own socket on host:port, uvicorn serving the app factory."""
    config = uvicorn.Config(factory, factory=True, host=host, port=port, **options)
    uvicorn.Server(config).run(sockets=[reuse_port_socket(host, port)])


class WebProcesses:
    """Start, keep alive and stop ``count`` processes serving ``factory`` on host:port."""

    def __init__(
        self,
        factory: str,
        host: str,
        port: int,
        count: int,
        options: dict[str, Any],
        startup_seconds: float = STARTUP_SECONDS,
    ) -> None:
        self.args = (factory, host, port, options)
        self.count = count
        self.startup_seconds = startup_seconds
        self.stopping = threading.Event()
        self.processes: list[tuple[SpawnProcess, float]] = []
        # Bound, never listening: the kernel routes no connection to it, but it holds the
        # address for this server (a process of another user cannot take it meanwhile) and
        # makes a port already in use fail here, before any process starts.
        self.holder = reuse_port_socket(host, port)

    def _start(self) -> tuple[SpawnProcess, float]:
        process = multiprocessing.get_context("spawn").Process(
            target=_serve_one, args=self.args, name="printreg-web"
        )
        process.start()
        return process, time.monotonic()

    def run(self) -> int:
        """Serve until SIGINT or SIGTERM (or a process fails to start); return the exit code:
        0 after a stop, 1 when a process failed to start."""
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: self.stopping.set())
        self.processes = [self._start() for _ in range(self.count)]
        failed = False
        while not self.stopping.wait(0.5):
            for index, (process, started) in enumerate(self.processes):
                if process.is_alive():
                    continue
                if time.monotonic() - started < self.startup_seconds:
                    failed = True  # it never served: starting it again would fail the same way
                    self.stopping.set()
                    break
                self.processes[index] = self._start()
        self.stop()
        return 1 if failed else 0

    def stop(self) -> None:
        """Ask every process to finish (SIGTERM: uvicorn completes requests under way), then
        kill those still running after STOP_SECONDS."""
        for process, _ in self.processes:
            if process.is_alive() and process.pid is not None:
                os.kill(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_SECONDS
        for process, _ in self.processes:
            process.join(max(0.0, deadline - time.monotonic()))
            if process.is_alive():
                process.kill()
                process.join()
        self.holder.close()


def serve(
    factory: str,
    host: str,
    port: int,
    count: int,
    startup_seconds: float = STARTUP_SECONDS,
    **options: Any,
) -> int:
    """Serve the app factory (``module:function``) on host:port in ``count`` processes until
    stopped; ``options`` are uvicorn.Config's (log_config, access_log, ...). Return the exit
    code (see WebProcesses.run); OSError when the address cannot be bound."""
    return WebProcesses(factory, host, port, count, options, startup_seconds).run()
