"""The message catalogues: both languages have the same keys, and every key a page can ask for exists."""

from __future__ import annotations

import re
from importlib import resources

import pytest

from aftersales.web.i18n import LANGUAGES, catalogue, duration

LITERAL_KEY = re.compile(r"""\bt\(\s*'([a-z_]+(?:\.[A-Za-z0-9_]+)+)'\s*[,)]""")
# Keys built from data (t('status.' ~ ticket.status)): every value the data can take needs a message.
from aftersales.actions.models import ACTION_KINDS, ACTION_STATUSES  # noqa: E402
from aftersales.agents.models import DEPARTMENTS, ROLES  # noqa: E402
from aftersales.catalog.models import ORDER_STATUSES  # noqa: E402
from aftersales.sla.policy import METRICS  # noqa: E402
from aftersales.tickets.models import CHANNELS, ENTRY_KINDS, KINDS, STATUSES  # noqa: E402
from aftersales.web.views import CATEGORIES, QUEUE_VIEWS  # noqa: E402

DYNAMIC = {
    "status": STATUSES,
    "portal.status": STATUSES,
    "kind": KINDS,
    "channel": CHANNELS,
    "entry": ENTRY_KINDS,
    "dept": DEPARTMENTS,
    "cat": CATEGORIES,
    "role": ROLES,
    "metric": METRICS,
    "order.st": ORDER_STATUSES,
    "tier": ("standard", "silver", "gold", "vip"),
    "severity": ("L1", "L2", "L3"),
    "queue.view": QUEUE_VIEWS,
    "sla.event": ("warned", "breached"),
    "sla.state": ("ok", "warning", "breached", "paused"),
    "portal.step": ("submitted", "processing", "resolved"),
    "queue.sorted": ("due", "newest"),
    "res.kind": ACTION_KINDS,
    "res.st": ACTION_STATUSES,
    "cb.kind": ("follow_up", "second_callback"),
    "portal_actions": ("accepted", "declined"),
    "kbp.why": ("unanswered", "down_rated"),
}


def _template_texts() -> list[str]:
    root = resources.files("aftersales.web").joinpath("templates")
    texts = []
    stack = [root]
    while stack:
        node = stack.pop()
        for child in node.iterdir():
            if child.is_dir():
                stack.append(child)
            elif child.name.endswith(".html"):
                texts.append(child.read_text(encoding="utf-8"))
    return texts


def _python_keys() -> set[str]:
    root = resources.files("aftersales.web")
    keys: set[str] = set()
    for child in root.iterdir():
        if child.name.endswith(".py"):
            text = child.read_text(encoding="utf-8")
            keys |= set(re.findall(r'NavItem\("([a-z_.]+)"', text))
            keys |= set(re.findall(r'Panel\("([a-z_.]+)"', text))
            keys |= set(re.findall(r'missing="([a-z_.]+)"', text))
    return keys


def test_both_languages_have_the_same_keys():
    zh, en = catalogue("zh"), catalogue("en")
    assert set(zh) == set(en), sorted(set(zh) ^ set(en))
    assert all(isinstance(v, str) and v for v in zh.values())


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_key_used_by_a_page_exists(lang):
    messages = catalogue(lang)
    used = {key for text in _template_texts() for key in LITERAL_KEY.findall(text)} | _python_keys()
    assert len(used) > 150, "key discovery found too little"
    for prefix, values in DYNAMIC.items():
        used |= {f"{prefix}.{value}" for value in values}
    missing = sorted(used - set(messages))
    assert not missing, f"{lang}: {missing}"


def test_durations_read_naturally_in_both_languages():
    assert duration(3 * 86400 + 7200, "zh") == "3天2小时"
    assert duration(-(2 * 3600 + 5 * 60), "zh") == "2小时05分"
    assert duration(45, "en") == "45s"
    assert duration(65 * 60, "en") == "1h 05m"
