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
    """A short human duration: 1天3小时, 3天, 2h 05m, 1h, 45s."""
    seconds = abs(int(seconds))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    units = ("天", "小时", "分", "秒") if lang == "zh" else ("d ", "h ", "m ", "s")
    # A zero second part is left out: "3天", "1小时", not "3天0小时", "1小时00分".
    if days:
        return f"{days}{units[0]}{hours}{units[1]}".strip() if hours else f"{days}{units[0]}".strip()
    if hours:
        return f"{hours}{units[1]}{minutes:02d}{units[2]}".strip() if minutes else f"{hours}{units[1]}".strip()
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


# The reasons triage.engine writes for its own steps (not for a pack's rules), each a catalogue key under "why.".
_ENGINE_REASONS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), key)
    for pattern, key in (
        (r"^keywords for (?P<category>\w+)$", "keywords"),
        (r"^text is a question$", "question"),
        (r"^no keyword matched; text is a question$", "fallback_question"),
        (r"^no keyword matched; defaulting to quality$", "fallback_quality"),
        (r"^no escalation rule fired$", "severity_default"),
        (r"^(?P<category>\w+)/(?P<severity>L\d) → (?P<department>\w+)$", "department"),
        (r"^no department rule matched$", "department_default"),
        (r"^kind given by the caller$", "kind_input"),
        (r"^default kind$", "kind_default"),
        (r"^suggested kind (?P<kind>\w+)$", "kind"),
    )
)
_LABEL_PREFIX = {"category": "cat", "severity": "severity", "department": "dept", "kind": "kind"}


def rule_reason(rule_id: str, reason: str, lang: str) -> str:
    """Why a triage rule fired, in the page's language.

    A shipped rule's reason comes from its pack (looked up by id, so decisions stored before the packs had
    Chinese reasons read well too); the engine's own steps from the catalogue; a brand's rule as the brand typed it.
    """
    from aftersales.triage.engine import reason_in, shipped_reasons

    shipped = shipped_reasons().get(rule_id)
    if shipped:
        return reason_in(shipped, lang, reason)
    t = translator(lang)
    for pattern, key in _ENGINE_REASONS:
        match = pattern.match(reason)
        if match:
            values = {name: t(f"{_LABEL_PREFIX[name]}.{value}") for name, value in match.groupdict().items()}
            if "severity" in values:
                values["severity"] = f"{match['severity']} {values['severity']}"
            return t(f"why.{key}", **values)
    return reason


def sla_policy_name(name: str, lang: str) -> str:
    """An SLA policy's name: the generated default policies in the page's language, a brand's as typed."""
    from aftersales.sla.policy import default_policy_conditions

    conditions = default_policy_conditions(name)
    if conditions is None:
        return name
    t = translator(lang)
    severity = conditions.get("severity")
    parts = [f"{severity} {t(f'severity.{severity}')}" if severity else t("sla.any_severity")]
    parts += [t(f"channel.{conditions['channel']}")] if "channel" in conditions else []
    parts += [t(f"kind.{conditions['kind']}")] if "kind" in conditions else []
    return t("sla.default_policy", conditions=" · ".join(parts))


def calendar_name(name: str, lang: str) -> str:
    """A business calendar's name; the two shipped calendars have a label, a brand's keeps its name."""
    key = f"sla.calendar.{name}"
    label = catalogue(lang).get(key) or catalogue(DEFAULT_LANGUAGE).get(key)
    return label or name


def event_reason(reason: str, lang: str) -> str:
    """The reason the system gave for a status change or an assignment ("auto", "customer replied");
    a person's reason (typed in a form) is shown as it is."""
    key = "entry.why." + reason.replace(" ", "_")
    return catalogue(lang).get(key) or catalogue(DEFAULT_LANGUAGE).get(key) or reason


def label(prefix: str, value: str, lang: str) -> str:
    """The catalogue's label for a value (``intent.shelf_life``), or the value itself for one it has no label for."""
    key = f"{prefix}.{value}"
    return catalogue(lang).get(key) or catalogue(DEFAULT_LANGUAGE).get(key) or value
