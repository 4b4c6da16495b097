"""Page language: a message catalogue per language (YAML data in messages/), Chinese first."""

from __future__ import annotations

import re
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


_NOTE_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), text)
    for pattern, text in (
        (r"^approval_limits: (?P<amount>[\d.]+) is above the (?P<role>\w+) limit \((?P<limit>[\d.]+|None)\)$",
         "审批额度：¥{amount} 超出{role}的权限（¥{limit}），需上级审批"),
        (r"^return_window: ignored for (?P<category>\w+) problems$", "退货期限：{category}问题不受退货期限限制"),
        (r"^return_window: delivery date unknown, a supervisor checks it$", "退货期限：签收日期不明，由主管核实"),
        (r"^return_window: (?P<days>[\d.]+) of (?P<limit>\d+) days$", "退货期限：已签收 {days} 天（期限 {limit} 天）"),
        (r"^refund_before_return: trusted (?P<tier>\w+) customer$", "先行退款：{tier}客户，可先退款后退货"),
        (r"^entitlements\.on_site_service: (?P<tier>\w+)$", "会员权益：{tier}客户享上门服务"),
        (r"^entitlements\.\w+: repair is free for (?P<tier>\w+) customers$", "会员权益：{tier}客户免费维修"),
    )
)  # fmt: skip


def policy_note(note: str, lang: str) -> str:
    """A service policy's note (English, from actions/policy.py) in the page's language; unknown notes as they are."""
    if lang != "zh":
        return note
    t = translator(lang)
    for pattern, text in _NOTE_PATTERNS:
        match = pattern.match(note)
        if match:
            values = match.groupdict()
            if "role" in values:
                values["role"] = t(f"role.{values['role']}")
            if "tier" in values:
                values["tier"] = t(f"tier.{values['tier']}")
            if "category" in values:
                values["category"] = t(f"cat.{values['category']}")
            return text.format(**values)
    return note
