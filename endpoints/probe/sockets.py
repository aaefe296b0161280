"""Sockets that never wait past the check's deadline.

A socket timeout bounds one operation, not a request: a server dripping one byte per
second never trips a 10 s read timeout. So every blocking operation here first sets the
socket timeout to what is left of the whole check (capped by the connect or read
timeout), and refuses to start once the deadline has passed. For TLS, CPython applies the
timeout to each `SSLSocket.read()` call as a whole, so the same rule covers handshakes
and encrypted reads.
"""

from __future__ import annotations

import errno
import socket
import ssl
import time
from typing import Any

from endpoints.probe.errors import LocalResourceError
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
    """What `DeadlineSSLContext.wrap_socket` returns (it replaces the plain socket, whose
    clock it takes over)."""

    clock: Clock

    def _arm(self) -> None:
        self.settimeout(self.clock.timeout(self.clock.read_s))

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
    """A TLS context shared by every check with the same trust (tls.shared_context): the
    deadline travels with each socket, not with the context."""

    sslsocket_class = DeadlineSSLSocket

    def wrap_socket(self, sock: Any, server_side: bool = False, do_handshake_on_connect: bool = True,
                    suppress_ragged_eofs: bool = True, server_hostname: str | None = None,
                    session: Any = None) -> DeadlineSSLSocket:
        wrapped = super().wrap_socket(
            sock, server_side=server_side, do_handshake_on_connect=False,
            suppress_ragged_eofs=suppress_ragged_eofs, server_hostname=server_hostname,
            session=session,
        )
        wrapped.clock = sock.clock  # before the handshake, which is armed by it
        if do_handshake_on_connect:
            try:
                wrapped.do_handshake()
            except BaseException:
                wrapped.close()
                raise
        return wrapped


# The process, not the remote, ran out of something (files, buffers, local ports).
LOCAL_ERRNOS = (errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM, errno.EADDRNOTAVAIL)


def open_connection(address: IPAddress, port: int, clock: Clock) -> DeadlineSocket:
    """A TCP connection to exactly this (already policed) address."""
    family = socket.AF_INET6 if address.version == 6 else socket.AF_INET
    try:
        sock = DeadlineSocket(family, socket.SOCK_STREAM)
    except OSError as exc:
        if exc.errno in LOCAL_ERRNOS:
            raise LocalResourceError(f"this server could not open a socket ({exc.strerror})") from None
        raise
    sock.clock = clock
    try:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.connect((str(address), port))
    except OSError as exc:
        sock.close()
        if exc.errno in LOCAL_ERRNOS:
            raise LocalResourceError(f"this server could not connect ({exc.strerror})") from None
        raise
    except BaseException:
        sock.close()
        raise
    return sock
