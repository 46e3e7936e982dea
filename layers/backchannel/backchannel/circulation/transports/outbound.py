"""Safe outbound HTTP for webhooks and Mastodon: the guard against server-side request forgery.

Members give us URLs (a webhook endpoint, a Mastodon instance) that our functions then call from inside
AWS, so a URL could aim at the instance metadata service, a VPC neighbour or localhost. :func:`check_url`
accepts only ``https`` URLs without credentials whose host resolves to global addresses only, every one
of them. :func:`send` checks again at send time and connects to an address it has just checked (never a
fresh DNS lookup, which defeats DNS rebinding), verifies TLS for the real host name, never follows a
redirect (a 3xx is returned as it is) and reads at most ``max_body`` bytes of the answer.

Addresses that embed an IPv4 address are judged by what they embed too: IPv4-mapped (``::ffff:0:0/96``)
and IPv4-compatible (``::/96``) addresses, NAT64 (``64:ff9b::/96``, ``64:ff9b:1::/48``), 6to4
(``2002::/16``, which Python counts as global) and Teredo (``2001::/32``: its server and its client).

The allow list (``OUTBOUND_ALLOW_LIST``, see :mod:`backchannel.core.config`) names exact
``scheme://host:port`` origins exempt from the HTTPS and address rules: the local runtime's receivers,
never a deployment (the template empties it unless ``LocalOnly`` is true). An entry without a scheme
or a port is refused (:class:`ValueError`): a bare host would open every port of it.
"""

from __future__ import annotations

import functools
import http.client
import ipaddress
import socket
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

Resolver = Callable[..., list[tuple[Any, ...]]]

_DEFAULT_PORTS = {"https": 443, "http": 80}
_METADATA = {ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254")}
_SHARED = ipaddress.ip_network("100.64.0.0/10")  # carrier-grade NAT (RFC 6598)
_NAT64 = ipaddress.ip_network("64:ff9b::/96")  # well-known prefix: the last 32 bits are an IPv4 address
_LOCAL_NAT64 = ipaddress.ip_network("64:ff9b:1::/48")  # local-use NAT64 (RFC 8215): never global
_COMPATIBLE = ipaddress.ip_network("::/96")  # deprecated IPv4-compatible addresses (::a.b.c.d)


class UnsafeUrl(Exception):
    """The URL may not be called; the message says why, for the member who gave it."""


class TransportError(Exception):
    """The request failed on the network (refused, reset, timed out, bad TLS). Never names headers."""


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    path_and_query: str
    addresses: tuple[str, ...]


@dataclass(frozen=True)
class Response:
    status: int
    headers: dict[str, str]  # names lower-cased
    body: bytes  # at most max_body bytes


Sender = Callable[..., Response]  # the signature of :func:`send`, for callers that take it as a parameter


def _embedded(ip: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 address carries (mapped, compatible, NAT64, 6to4, Teredo)."""
    if ip.ipv4_mapped:
        return [ip.ipv4_mapped]
    if ip in _NAT64 or (ip in _COMPATIBLE and int(ip) > 1):  # "::" and "::1" are themselves
        return [ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)]
    if ip.sixtofour:
        return [ip.sixtofour]
    if ip.teredo:
        return list(ip.teredo)  # (server, client)
    return []


def _kind(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    checks = (
        ("an instance metadata", ip in _METADATA),
        ("an unspecified", ip.is_unspecified),
        ("a loopback", ip.is_loopback),
        ("a link-local", ip.is_link_local),
        ("a multicast", ip.is_multicast),
        ("a shared (carrier-grade NAT)", ip in _SHARED),
        ("a reserved", ip.is_reserved),
        ("a private", ip.is_private or ip in _LOCAL_NAT64),
        ("a non-global", not ip.is_global),
    )
    return next((kind for kind, hit in checks if hit), None)


def _refusal(address: str) -> str | None:
    """Why ``address`` may not be called (a phrase), or None when it is a global unicast address and
    so is every IPv4 address it embeds."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # drop an IPv6 zone ("fe80::1%eth0")
    inner = _embedded(ip) if isinstance(ip, ipaddress.IPv6Address) else []
    for embedded in inner:
        if kind := _kind(embedded):
            return f"{kind} address ({embedded})" + (
                "" if ip.ipv4_mapped or ip in _NAT64 else f" inside {ip}"
            )
    if kind := _kind(ip):
        return f"{kind} address ({ip})"
    return None


@functools.lru_cache(maxsize=16)
def allowed_origins(allow: tuple[str, ...]) -> frozenset[tuple[str, str, int]]:
    """The allow list as (scheme, host, port) triples; ValueError for an entry that is not exactly
    ``http(s)://host:port`` (a bare host would allow every port of it)."""
    origins = set()
    for entry in allow:
        parts = urlsplit(entry.strip().lower())
        try:
            port = parts.port
        except ValueError:
            port = None
        exact = parts.scheme in _DEFAULT_PORTS and parts.hostname and port and "@" not in parts.netloc
        if not exact or parts.path not in ("", "/") or parts.query or parts.fragment:
            raise ValueError(f"outbound allow list entry {entry!r} is not scheme://host:port")
        origins.add((parts.scheme, str(parts.hostname).rstrip("."), int(port)))
    return frozenset(origins)


def _authority(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def check_url(url: str, *, allow: tuple[str, ...] = (), resolve: Resolver = socket.getaddrinfo) -> Target:
    """The checked :class:`Target` of ``url``, or :class:`UnsafeUrl` saying why it may not be called."""
    if any(ord(c) <= 0x20 or ord(c) == 0x7F for c in url):
        raise UnsafeUrl("must not contain spaces or control characters")
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        raise UnsafeUrl("must use https")
    if "@" in parts.netloc:
        raise UnsafeUrl("must not contain a user name or password")
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise UnsafeUrl("must name a host")
    try:
        port = parts.port or _DEFAULT_PORTS[scheme]
    except ValueError:
        raise UnsafeUrl("has an invalid port") from None
    allowed = (scheme, host.lower(), port) in allowed_origins(allow)  # exactly that origin
    if scheme != "https" and not allowed:
        raise UnsafeUrl("must use https")
    try:
        addresses = (str(ipaddress.ip_address(host)),)
    except ValueError:
        try:
            infos = resolve(host, port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError):
            infos = []
        addresses = tuple(dict.fromkeys(str(info[4][0]) for info in infos))
    if not addresses:
        raise UnsafeUrl("could not be resolved")
    if not allowed:
        for address in addresses:
            if reason := _refusal(address):
                raise UnsafeUrl(f"resolves to {reason}")
    path_and_query = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Target(scheme, host, port, path_and_query, addresses)


class _PinnedConnection(http.client.HTTPSConnection):
    """An HTTP(S) connection to the checked addresses of a target, speaking TLS for its host name."""

    def __init__(self, target: Target, timeout_s: float) -> None:
        self._tls = ssl.create_default_context()  # certificate and host name verification
        super().__init__(target.host, target.port, timeout=timeout_s, context=self._tls)
        self._target = target
        if target.scheme == "http":
            self.default_port = 80  # Host carries ":port" unless it is the scheme's default

    def connect(self) -> None:
        error: OSError = OSError("no address")
        for address in self._target.addresses:
            try:
                self.sock = socket.create_connection((address, self.port), self.timeout)
                break
            except OSError as err:
                error = err
        else:
            raise error
        if self._target.scheme == "https":
            self.sock = self._tls.wrap_socket(self.sock, server_hostname=self._target.host)


def send(
    method: str,
    url: str,
    *,
    headers: dict[str, str],
    body: bytes | None = None,
    timeout_s: float = 5.0,
    allow: tuple[str, ...] = (),
    resolve: Resolver = socket.getaddrinfo,
    max_body: int = 65536,
) -> Response:
    """One request to a checked URL; ``timeout_s`` bounds the connect and each read. Raises
    :class:`UnsafeUrl` (refused URL), :class:`TransportError` (network) or ValueError (a header with a
    line break, named but never shown)."""
    for name, value in headers.items():
        if any(c in f"{name}{value}" for c in "\r\n\0"):
            raise ValueError(f"header {name.strip()!r} contains a line break")
    target = check_url(url, allow=allow, resolve=resolve)
    connection = _PinnedConnection(target, timeout_s)
    try:
        connection.request(method, target.path_and_query, body=body, headers=headers)
        answer = connection.getresponse()
        data = answer.read(max_body)
        return Response(answer.status, {k.lower(): v for k, v in answer.getheaders()}, data)
    except TimeoutError:
        raise TransportError(f"{method} {_authority(target.host, target.port)} timed out") from None
    except (OSError, http.client.HTTPException) as err:
        where = _authority(target.host, target.port)
        raise TransportError(f"{method} {where} failed: {type(err).__name__}: {err}") from None
    finally:
        connection.close()
