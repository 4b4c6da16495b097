"""Page language: a message catalogue per language (YAML data in messages/), Chinese first."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from importlib import resources
from typing import Any

import yaml
from fastapi import Request

LANGUAGES = ("zh", "en")
DEFAULT_LANGUAGE = "zh"
LANG_COOKIE = "as_lang"


def _flatten(prefix: str, value: Any, out: dict[str, str]) -> None:
    if isinstance(value, dict):
        for key, child in value.items():
            _flatten(f"{prefix}.{key}" if prefix else str(key), child, out)
    else:
        out[prefix] = str(value)


@cache
def catalogue(lang: str) -> dict[str, str]:
    """All messages of one language, keyed like ``status.in_progress``."""
    text = resources.files("aftersales.web").joinpath("messages", f"{lang}.yaml").read_text(encoding="utf-8")
    out: dict[str, str] = {}
    _flatten("", yaml.safe_load(text), out)
    return out


def language_of(request: Request) -> str:
    lang = request.cookies.get(LANG_COOKIE, "")
    if lang in LANGUAGES:
        return lang
    # First visit: follow the browser, but only towards a language we have.
    accept = request.headers.get("accept-language", "").lower()
    if accept.startswith("en"):
        return "en"
    return DEFAULT_LANGUAGE


def translator(lang: str) -> Callable[..., str]:
    messages = catalogue(lang)
    fallback = catalogue(DEFAULT_LANGUAGE)

    def t(key: str, **values: Any) -> str:
        # An unknown key shows itself, so a gap is visible on the page and caught by the catalogue test.
        text = messages.get(key) or fallback.get(key) or key
        return text.format(**values) if values else text

    return t


def duration(seconds: float, lang: str) -> str:
    """A short human duration: 1天3小时, 2h 05m, 45s."""
    seconds = abs(int(seconds))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    units = ("天", "小时", "分", "秒") if lang == "zh" else ("d ", "h ", "m ", "s")
    if days:
        return f"{days}{units[0]}{hours}{units[1]}".strip()
    if hours:
        return f"{hours}{units[1]}{minutes:02d}{units[2]}".strip()
    if minutes:
        return f"{minutes}{units[2]}".strip()
    return f"{secs}{units[3]}".strip()
