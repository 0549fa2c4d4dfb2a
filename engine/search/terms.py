"""Search terms of Chinese text: overlapping character pairs (bigrams) for Han runs, whole words
for Latin letters and digits. Stored space-separated, the database's own full-text search matches
them (SQLite FTS5, PostgreSQL `to_tsvector('simple', …)`), so any part of a word of two
characters or more is found without a segmenter's dictionary: 王秀英 is found by 秀英 and by
王秀英; 挪用 by 挪用 in 挪用公款.
"""
from __future__ import annotations

import re
import unicodedata

_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+|[0-9]+|[a-z]+")
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
MAX_QUERY_TOKENS = 32


def _runs(text: str) -> list[str]:
    return _RUN.findall(unicodedata.normalize("NFKC", text or "").lower())


def _bigrams(run: str) -> list[str]:
    if not _HAN.match(run):
        return [run]
    if len(run) == 1:
        return [run]
    return [run[i:i + 2] for i in range(len(run) - 1)]


def document(*texts: str | None) -> str:
    """The stored terms of a record's texts: each distinct term once, space-separated."""
    seen: dict[str, None] = {}
    for text in texts:
        for run in _runs(text or ""):
            for term in _bigrams(run):
                seen.setdefault(term, None)
    return " ".join(seen)


def query(text: str) -> list[tuple[str, bool]]:
    """The terms a search must all match, each with whether it is a prefix: a single Han
    character matches the pairs it starts, and the last Latin or digit word may be unfinished
    (`L0000` finds the number L000007)."""
    runs = _runs(text)
    terms: list[tuple[str, bool]] = []
    for index, run in enumerate(runs):
        if _HAN.match(run):
            terms.extend((t, len(run) == 1) for t in _bigrams(run))
        else:
            terms.append((run, index == len(runs) - 1))
    unique = list(dict.fromkeys(terms))
    return unique[:MAX_QUERY_TOKENS]
