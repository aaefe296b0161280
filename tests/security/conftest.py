"""Fixtures the SECURITY.md checks share: what went over the wire, fake DNS, key switching."""

from __future__ import annotations

import _socket
import socket

import pytest
from cryptography.fernet import Fernet

from endpoints import secrets
from endpoints.probe import policy


def key_entry(key_id: str) -> str:
    return f"{key_id}={Fernet.generate_key().decode()}"


def use_keys(settings, *entries: str) -> None:
    """Configure exactly these REGISTRY_SECRET_KEYS (no key file) and forget cached keys."""
    settings.REGISTRY_SECRET_KEYS = list(entries)
    settings.REGISTRY_SECRET_KEYS_FILE = ""
    secrets.reset_key_cache()


@pytest.fixture
def socket_connects(monkeypatch) -> list[tuple[str, int]]:
    """Every TCP connection any code in this process opens during the test, as
    (address, port), recorded below every library: the one HTTP seam, a provider that
    bypassed it, boto3, anything."""
    opened: list[tuple[str, int]] = []

    def record(address) -> None:
        if isinstance(address, tuple):
            opened.append((str(address[0]), int(address[1])))

    def connect(self, address):
        record(address)
        return _socket.socket.connect(self, address)

    def connect_ex(self, address):
        record(address)
        return _socket.socket.connect_ex(self, address)

    monkeypatch.setattr(socket.socket, "connect", connect, raising=False)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex, raising=False)
    return opened


@pytest.fixture
def fake_dns(monkeypatch):
    """fake_dns({"name": ["addr", ...] or [[first answer], [second answer], ...]}) stands
    in for the system resolver; returns the list of names looked up."""
    calls: list[str] = []

    def install(table: dict[str, list]) -> list[str]:
        answers = {name: list(value) for name, value in table.items()}

        def getaddrinfo(host, port):
            calls.append(host)
            if host not in answers:
                raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
            entry = answers[host]
            addresses = entry.pop(0) if isinstance(entry[0], list) and len(entry) > 1 else (
                entry[0] if isinstance(entry[0], list) else entry
            )
            return [
                (socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port))
                for a in addresses
            ]

        monkeypatch.setattr(policy, "getaddrinfo", getaddrinfo)
        return calls

    return install



