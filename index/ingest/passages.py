"""Sentence-aware passages: runs of whole sentences near a target length, with overlap.

Offsets are character positions into the cleaned article text, so
`text[p.start:p.end] == p.text` always holds and every sentence maps back exactly.
"""

from __future__ import annotations

import re

from ..config import PassageConfig
from ..models import Passage

_DEFAULTS = PassageConfig()

# Words that end in a period without ending a sentence.
ABBREVIATIONS = {
    "mr", "mrs", "ms", "dr", "prof", "sr", "jr", "st", "mt", "gen", "gov", "sen", "rep",
    "col", "lt", "sgt", "capt", "cmdr", "adm", "rev", "hon", "pres", "supt", "insp",
    "no", "vs", "etc", "inc", "ltd", "co", "corp", "dept", "univ", "est", "approx",
    "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
    "e.g", "i.e", "u.s", "u.k", "u.n", "a.m", "p.m", "fig", "al",
}  # fmt: skip

# Scripts written without spaces between words (Chinese, Japanese, Thai).
_UNSPACED = "\u0e00-\u0e7f\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff\uff66-\uff9f"
# A candidate boundary: terminal punctuation, optional closing quotes/brackets, whitespace;
# the full stops of Chinese and Japanese (。！？) need no space after them. A quotation
# closed after its stop and carried on by the Japanese quoting particle (「…。」と述べた)
# is one sentence.
_BOUNDARY = re.compile(
    r"[.!?…]+[\"'”’)\]]*(?=\s+)|[。！？]+[」』）”’\"')\]]*(?![」』）”’\"')\]]|と|って)|\n\s*\n"
)
# A word: a run of spaced script, or two characters of a script without spaces.
_WORD = re.compile(rf"[{_UNSPACED}]{{1,2}}|[^\s{_UNSPACED}]+")


def count_words(text: str) -> int:
    """Words as passages count them: runs of spaced script, two characters of the others."""
    return len(_WORD.findall(text))


def _is_abbreviation(text: str, end: int) -> bool:
    """True when the period ending at `end` belongs to an abbreviation or an initial."""
    m = re.search(r"([A-Za-z][A-Za-z.]*)\.$", text[max(0, end - 12) : end])
    if not m:
        return False
    word = m.group(1).lower()
    return word in ABBREVIATIONS or len(word) == 1  # "J. Smith", "U."


def split_sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) spans of the sentences of `text`, whitespace trimmed, in order."""
    spans: list[tuple[int, int]] = []
    start = 0
    for m in _BOUNDARY.finditer(text):
        end = m.end()
        if m.group().strip() == "." and _is_abbreviation(text, end):
            continue
        nxt = re.match(r"\s*(\S)", text[end:])
        if nxt and nxt.group(1).islower() and "\n" not in text[end : end + nxt.end()]:
            continue  # "e.g. the" or "3 p.m. on": a lowercase start continues the sentence
        _add_span(text, start, end, spans)
        start = end
    _add_span(text, start, len(text), spans)
    return spans


def _add_span(text: str, start: int, end: int, spans: list[tuple[int, int]]) -> None:
    chunk = text[start:end]
    stripped = chunk.strip()
    if stripped:
        lead = len(chunk) - len(chunk.lstrip())
        spans.append((start + lead, start + lead + len(stripped)))


def _word_windows(text: str, span: tuple[int, int], max_words: int) -> list[tuple[int, int]]:
    """Split an over-long sentence into spans of at most `max_words` words."""
    words = [
        (m.start() + span[0], m.end() + span[0]) for m in _WORD.finditer(text[span[0] : span[1]])
    ]
    return [
        (words[i][0], words[min(i + max_words, len(words)) - 1][1])
        for i in range(0, len(words), max_words)
    ]


def _count_words(text: str, span: tuple[int, int]) -> int:
    return count_words(text[span[0] : span[1]])


def make_passages(
    text: str,
    target_words: int = _DEFAULTS.target_words,
    max_words: int = _DEFAULTS.max_words,
    overlap: int = _DEFAULTS.overlap_sentences,
) -> list[Passage]:
    """Group sentences into passages of about `target_words`, never over `max_words`.

    Passages end at a paragraph break once they hold half the target. Consecutive passages
    cut inside a paragraph share `overlap` sentences, so an answer that straddles the cut is
    whole in one of them.
    """
    sentences: list[tuple[int, int]] = []
    for span in split_sentences(text):
        if _count_words(text, span) > max_words:
            sentences.extend(_word_windows(text, span, max_words))
        else:
            sentences.append(span)
    counts = [_count_words(text, s) for s in sentences]
    # A sentence that opens a paragraph is a natural place to end the previous passage.
    opens = [
        k > 0 and "\n" in text[sentences[k - 1][1] : sentences[k][0]] for k in range(len(sentences))
    ]
    passages: list[Passage] = []
    i = 0
    while i < len(sentences):
        j, words = i, 0
        while j < len(sentences) and (j == i or words + counts[j] <= max_words):
            if j > i and opens[j] and words >= target_words // 2:
                break
            words += counts[j]
            j += 1
            if words >= target_words:
                break
        # A short tail would only repeat the overlap: fold it into this passage.
        rest = sum(counts[j:])
        if j < len(sentences) and rest < target_words // 3 and words + rest <= max_words:
            j = len(sentences)
        group = sentences[i:j]
        start, end = group[0][0], group[-1][1]
        passages.append(Passage(len(passages), start, end, text[start:end], list(group)))
        if j >= len(sentences):
            break
        # Overlap carries context across a cut inside a paragraph; a paragraph break needs none.
        i = j if opens[j] else max(j - overlap, i + 1)
    return passages
