"""SSRF guard: a URL may only reach public addresses, unless its host is allowed.

Checked twice: before each request (so the error names the URL and no robots.txt is
fetched for it), and again when the socket connects, against the addresses actually
dialled, so a name that resolves differently the second time (DNS rebinding) is caught.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Collection
from urllib.parse import urlsplit

SCHEMES = ("http", "https")


_USERINFO = re.compile(r"(?<=//)[^/@\s]+@")


def redact(text: str) -> str:
    """`text` with the user:password of any URL in it removed: what may be logged."""
    return _USERINFO.sub("", text)


class Refused(Exception):
    """A URL the fetcher will not request; the message says why."""


def _public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    # is_global is False for loopback, private, link-local (169.254.169.254, the cloud
    # metadata address, included), shared (100.64/10), reserved and unspecified ranges.
    return ip.is_global and not ip.is_multicast


def resolve(host: str, port: int, allowed: Collection[str]) -> list[str]:
    """The addresses `host` resolves to, all of them public unless `host` is allowed.

    Raises Refused for a host that does not resolve or resolves to any address that is
    not public (one private answer is enough: the connection may pick it)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise Refused(f"cannot resolve {host}: {exc}") from None
    addresses = list(dict.fromkeys(info[4][0] for info in infos))
    if host.lower().strip("[]") in allowed:
        return addresses
    private = [a for a in addresses if not _public(a)]
    if private:
        raise Refused(
            f"{host} resolves to a non-public address ({private[0]}); add the host to "
            "web.allow_hosts to fetch it"
        )
    return addresses


def check_url(url: str, allowed: Collection[str]) -> None:
    """Refuse a URL that is not http(s), has no host, or leads to a non-public address."""
    parts = urlsplit(url)
    if parts.scheme.lower() not in SCHEMES:
        raise Refused(f"only http and https URLs are fetched, not {parts.scheme or 'none'}:")
    if not parts.hostname:
        raise Refused(f"no host in {url}")
    try:
        port = parts.port or (443 if parts.scheme.lower() == "https" else 80)
    except ValueError:
        raise Refused(f"bad port in {url}") from None
    resolve(parts.hostname, port, allowed)
