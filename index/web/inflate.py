"""Content-Encoding undone with a cap on what it expands to, a chunk at a time.

httpx decodes a whole network chunk at once, so one 64 KB chunk of a gzip bomb becomes
tens of megabytes before a cap counted on its output can refuse it. Here no more than
the bytes left under the cap, plus one, are ever produced.
"""

from __future__ import annotations

import zlib


class OverCap(Exception):
    """The body expands past the cap."""


class Inflate:
    """Decoder for one response's Content-Encoding (identity, gzip or deflate)."""

    def __init__(self, encoding: str) -> None:
        enc = encoding.strip().lower()
        if enc in ("", "identity"):
            self._z = None
        elif enc in ("gzip", "x-gzip"):
            self._z = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif enc == "deflate":
            self._z = zlib.decompressobj()  # zlib-wrapped, as HTTP says; raw on the first error
        else:
            raise ValueError(f"content encoding {encoding!r} is not one we asked for")
        self._deflate = enc == "deflate"
        self._started = False

    def feed(self, data: bytes, room: int) -> bytes:
        """The decoded bytes of `data`; OverCap when they would pass `room` bytes."""
        if self._z is None:
            if len(data) > room:
                raise OverCap
            return data
        out = bytearray()
        buf = data
        while buf:
            try:
                piece = self._z.decompress(buf, room + 1 - len(out))  # >= 1: 0 means no cap
            except zlib.error:
                if not (self._deflate and not self._started):
                    raise
                self._z = zlib.decompressobj(-zlib.MAX_WBITS)  # servers that send raw deflate
                self._started = True
                continue
            self._started = True
            out += piece
            if len(out) > room:
                raise OverCap
            buf = self._z.unconsumed_tail
        return bytes(out)

    def finish(self, room: int) -> bytes:
        rest = self._z.flush() if self._z is not None else b""
        if len(rest) > room:
            raise OverCap
        return rest
