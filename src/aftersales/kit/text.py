"""Chinese-aware text helpers for search: the same segmentation at index and at query time."""

from __future__ import annotations

import logging
import re
import threading

import jieba

_lock = threading.Lock()
_ready = False
_PUNCT = re.compile(r"[\s\u3000-\u303f\uff00-\uffef!-/:-@\[-`{-~]+")


def _ensure_ready() -> None:
    global _ready
    if not _ready:
        with _lock:
            if not _ready:
                jieba.setLogLevel(logging.WARNING)
                jieba.initialize()
                _ready = True


def search_tokens(text: str) -> list[str]:
    """Words for the full-text index: jieba's search mode (long words and their parts), lower-cased."""
    _ensure_ready()
    tokens: list[str] = []
    seen: set[str] = set()
    for token in jieba.cut_for_search(text):
        token = _PUNCT.sub("", token).lower()
        if token and token not in seen:
            seen.add(token)
            tokens.append(token)
    return tokens


def query_tokens(query: str) -> list[str]:
    """Words a query must all match: precise mode, so a query word is found whatever the text's split."""
    _ensure_ready()
    out: list[str] = []
    for token in jieba.cut(query):
        token = _PUNCT.sub("", token).lower()
        if token and token not in out:
            out.append(token)
    return out


def warm_up() -> None:
    _ensure_ready()
