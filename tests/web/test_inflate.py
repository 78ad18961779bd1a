"""Content-Encoding decoded under a cap (pure)."""

from __future__ import annotations

import gzip
import zlib

import pytest

from index.web.inflate import Inflate, OverCap

TEXT = b"<html><p>Six otters were seen on the river Wend.</p></html>" * 50


def _decode(encoding: str, body: bytes, room: int = 1_000_000, step: int = 97) -> bytes:
    d = Inflate(encoding)
    out = b"".join(d.feed(body[i : i + step], room) for i in range(0, len(body), step))
    return out + d.finish(room)


def test_every_encoding_we_ask_for_decodes_in_chunks():
    assert _decode("", TEXT) == TEXT
    assert _decode("gzip", gzip.compress(TEXT)) == TEXT
    assert _decode("deflate", zlib.compress(TEXT)) == TEXT
    raw = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    assert _decode("Deflate", raw.compress(TEXT) + raw.flush()) == TEXT  # raw, as some send


def test_a_bomb_is_refused_without_expanding_past_the_cap():
    bomb = gzip.compress(b"\0" * 50_000_000)  # about 50 KB: one network chunk or so
    d = Inflate("gzip")
    produced = []
    with pytest.raises(OverCap):
        # feed() never returns more than the room left; it raises before it would.
        left = 100_000
        for i in range(0, len(bomb), 65_536):
            piece = d.feed(bomb[i : i + 65_536], left)
            produced.append(len(piece))
            left -= len(piece)
    assert sum(produced) <= 100_000


def test_an_unknown_or_broken_encoding_is_an_error():
    with pytest.raises(ValueError):
        Inflate("br")
    with pytest.raises(zlib.error):
        _decode("gzip", b"not gzip at all")
    with pytest.raises(OverCap):
        _decode("", b"x" * 11, room=10)
