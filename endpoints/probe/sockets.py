"""Sockets that never wait past the check's deadline.

A socket timeout bounds one operation, not a request: a server dripping one byte per
second never trips a 10 s read timeout. So every blocking operation here first sets the
socket timeout to what is left of the whole check (capped by the connect or read
timeout), and refuses to start once the deadline has passed. For TLS, CPython applies the
timeout to each `SSLSocket.read()` call as a whole, so the same rule covers handshakes
and encrypted reads.
"""

from __future__ import annotations

import socket
import ssl
import time
from typing import Any

from endpoints.probe.policy import IPAddress


class Clock:
    """The deadline of one check plus the per-operation timeouts."""

    def __init__(self, deadline: float, total_s: float, connect_s: float, read_s: float) -> None:
        self.deadline = deadline
        self.total_s = total_s
        self.connect_s = connect_s
        self.read_s = read_s

    def remaining(self) -> float:
        return self.deadline - time.monotonic()

    def expired(self) -> bool:
        return self.remaining() <= 0

    def timeout(self, limit: float) -> float:
        """min(limit, time left); a TimeoutError once nothing is left (0 would mean
        non-blocking, not "no time")."""
        remaining = self.remaining()
        if remaining <= 0:
            raise TimeoutError("the check's deadline has passed")
        return min(limit, remaining)


class _ArmedIO:
    """Before every read and write, the socket's timeout becomes what the check has left."""

    __slots__ = ()

    def _arm(self) -> None:
        raise NotImplementedError

    def recv(self, *args: Any) -> bytes:
        self._arm()
        return super().recv(*args)  # type: ignore[misc]

    def recv_into(self, *args: Any) -> int:
        self._arm()
        return super().recv_into(*args)  # type: ignore[misc]

    def send(self, *args: Any) -> int:
        self._arm()
        return super().send(*args)  # type: ignore[misc]

    def sendall(self, *args: Any) -> None:
        self._arm()
        super().sendall(*args)  # type: ignore[misc]


class DeadlineSocket(_ArmedIO, socket.socket):
    __slots__ = ("clock",)
    clock: Clock

    def _arm(self, limit: float | None = None) -> None:
        self.settimeout(self.clock.timeout(self.clock.read_s if limit is None else limit))

    def connect(self, address: Any) -> None:
        self._arm(self.clock.connect_s)
        super().connect(address)


class DeadlineSSLSocket(_ArmedIO, ssl.SSLSocket):
    """What `DeadlineSSLContext.wrap_socket` returns (it replaces the plain socket)."""

    def _arm(self) -> None:
        clock: Clock = self.context.clock  # type: ignore[attr-defined]
        self.settimeout(clock.timeout(clock.read_s))

    def do_handshake(self, *args: Any) -> None:
        self._arm()
        super().do_handshake(*args)

    def read(self, *args: Any) -> Any:
        self._arm()
        return super().read(*args)

    def write(self, *args: Any) -> int:
        self._arm()
        return super().write(*args)


class DeadlineSSLContext(ssl.SSLContext):
    sslsocket_class = DeadlineSSLSocket
    clock: Clock


def open_connection(address: IPAddress, port: int, clock: Clock) -> DeadlineSocket:
    """A TCP connection to exactly this (already policed) address."""
    family = socket.AF_INET6 if address.version == 6 else socket.AF_INET
    sock = DeadlineSocket(family, socket.SOCK_STREAM)
    sock.clock = clock
    try:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.connect((str(address), port))
    except BaseException:
        sock.close()
        raise
    return sock
