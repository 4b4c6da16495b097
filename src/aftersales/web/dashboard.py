"""The supervisor dashboard: a list of panels, each loading its own figures or saying honestly that it has none.

A capability that arrives later (surveys with CSAT/NPS, resolution actions with approvals) adds or fills in a
panel here; a panel whose data does not exist yet shows "no data yet" and why, never invented numbers.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from aftersales.kit.deps import DbSession, Now
from aftersales.tickets import repository as repo
from aftersales.tickets.models import OPEN_STATUSES
from aftersales.web.auth import DashboardPage
from aftersales.web.i18n import language_of, translator
from aftersales.web.nav import DASHBOARD_ROLES, NavItem, register
from aftersales.web.render import page
from aftersales.web.session import check_csrf

router = APIRouter(dependencies=[Depends(check_csrf)], include_in_schema=False)
register(NavItem("nav.dashboard", "/app/dashboard", DASHBOARD_ROLES, shortcut="d"))

SEVERITIES = ("L1", "L2", "L3")
WINDOW_DAYS = 30
TREND_DAYS = 14


@dataclass(frozen=True)
class PanelData:
    """A panel's figures, or why there are none (``missing`` is a message key)."""

    values: dict[str, Any]
    missing: str | None = None


@dataclass(frozen=True)
class PanelContext:
    zone: ZoneInfo
    t: Callable[..., str]


@dataclass(frozen=True)
class Panel:
    key: str  # message key of the title, "dashboard.<name>"; its partial is dashboard/_<name>.html
    load: Callable[[Session, datetime, PanelContext], PanelData]
    wide: bool = False


def _backlog(db: Session, now: datetime, ctx: PanelContext) -> PanelData:
    rows = repo.backlog(db)
    departments = sorted({d for d, _, _ in rows})
    matrix = {d: dict.fromkeys(SEVERITIES, 0) for d in departments}
    for department, severity, n in rows:
        matrix[department][severity] = n
    chart = {
        "type": "stacked_bar",
        "categories": [ctx.t(f"dept.{d}") for d in departments],
        "series": [
            {"name": f"{s} {ctx.t(f'severity.{s}')}", "data": [matrix[d][s] for d in departments]} for s in SEVERITIES
        ],
    }
    return PanelData({"matrix": matrix, "total": sum(n for *_, n in rows), "chart": chart})


def _sla(db: Session, now: datetime, ctx: PanelContext) -> PanelData:
    open_ = list(OPEN_STATUSES)
    counts = {
        state: repo.count(db, repo.TicketFilters(status=open_, sla=state), now)
        for state in ("ok", "warning", "breached", "paused")
    }
    urgent = repo.list_by_due(db, repo.TicketFilters(status=open_, sla="breached"), now, limit=6)
    return PanelData({"counts": counts, "urgent": urgent})


def median_minutes(values: list[float]) -> float | None:
    return round(statistics.median(values) / 60, 1) if values else None


def timing_by_channel(
    rows: list[tuple[str, datetime, datetime | None, datetime | None]],
) -> dict[str, dict[str, float | int | None]]:
    """Median first-response and resolution minutes per channel (wall-clock time, not business time)."""
    by_channel: dict[str, dict[str, list[float]]] = {}
    for channel, created, replied, resolved in rows:
        bucket = by_channel.setdefault(channel, {"first": [], "resolve": []})
        if replied is not None:
            bucket["first"].append((replied - created).total_seconds())
        if resolved is not None:
            bucket["resolve"].append((resolved - created).total_seconds())
    return {
        channel: {
            "first_response": median_minutes(b["first"]),
            "resolution": median_minutes(b["resolve"]),
            "answered": len(b["first"]),
            "resolved": len(b["resolve"]),
        }
        for channel, b in sorted(by_channel.items())
    }


def daily_flow(
    rows: list[tuple[str, datetime, datetime | None, datetime | None]], now: datetime, zone: ZoneInfo, days: int
) -> dict[str, list[Any]]:
    """Tickets opened and resolved per local day over the last ``days`` days."""
    today = now.astimezone(zone).date()
    labels = [today - timedelta(days=i) for i in range(days - 1, -1, -1)]
    opened = dict.fromkeys(labels, 0)
    resolved = dict.fromkeys(labels, 0)
    for _, created, _, done in rows:
        day = created.astimezone(zone).date()
        if day in opened:
            opened[day] += 1
        if done is not None and (done_day := done.astimezone(zone).date()) in resolved:
            resolved[done_day] += 1
    return {
        "labels": [d.strftime("%m-%d") for d in labels],
        "opened": list(opened.values()),
        "resolved": list(resolved.values()),
    }


def _timings(db: Session, now: datetime, ctx: PanelContext) -> PanelData:
    rows = repo.timings_since(db, now - timedelta(days=WINDOW_DAYS))
    by_channel = timing_by_channel(rows)
    chart = {
        "type": "bar",
        "unit": ctx.t("dashboard.minutes"),
        "categories": [ctx.t(f"channel.{c}") for c in by_channel],
        "series": [
            {"name": ctx.t("dashboard.first_response"), "data": [v["first_response"] for v in by_channel.values()]},
            {"name": ctx.t("dashboard.resolution"), "data": [v["resolution"] for v in by_channel.values()]},
        ],
    }
    return PanelData({"by_channel": by_channel, "days": WINDOW_DAYS, "chart": chart, "count": len(rows)})


def _flow(db: Session, now: datetime, ctx: PanelContext) -> PanelData:
    rows = repo.timings_since(db, now - timedelta(days=TREND_DAYS))
    flow = daily_flow(rows, now, ctx.zone, TREND_DAYS)
    chart = {
        "type": "line",
        "categories": flow["labels"],
        "series": [
            {"name": ctx.t("dashboard.opened"), "data": flow["opened"]},
            {"name": ctx.t("dashboard.resolved"), "data": flow["resolved"]},
        ],
    }
    return PanelData({**flow, "chart": chart, "days": TREND_DAYS})


def nps_score(values: list[int]) -> float | None:
    """Net promoter score: % promoters (9-10) minus % detractors (0-6), -100 … 100."""
    if not values:
        return None
    promoters = sum(1 for v in values if v >= 9)
    detractors = sum(1 for v in values if v <= 6)
    return round(100 * (promoters - detractors) / len(values), 1)


def satisfaction_trend(
    rows: list[tuple[datetime, float | None, int | None]], now: datetime, zone: ZoneInfo, days: int
) -> dict[str, list[Any]]:
    """Mean CSAT (1-5) and NPS per local day over the last ``days`` days; None where nobody answered."""
    today = now.astimezone(zone).date()
    labels = [today - timedelta(days=i) for i in range(days - 1, -1, -1)]
    csat: dict[Any, list[float]] = {d: [] for d in labels}
    nps: dict[Any, list[int]] = {d: [] for d in labels}
    for answered, overall, score in rows:
        day = answered.astimezone(zone).date()
        if day not in csat:
            continue
        if overall is not None:
            csat[day].append(overall)
        if score is not None:
            nps[day].append(score)
    return {
        "labels": [d.strftime("%m-%d") for d in labels],
        "csat": [round(statistics.mean(v), 2) if v else None for v in csat.values()],
        "nps": [nps_score(v) for v in nps.values()],
    }


def _satisfaction(db: Session, now: datetime, ctx: PanelContext) -> PanelData:
    from aftersales.surveys.models import CallbackTask, Survey

    since = now - timedelta(days=TREND_DAYS)
    rows = [
        (answered, overall, score, low)
        for answered, overall, score, low in db.execute(
            select(Survey.answered_at, Survey.csat_overall, Survey.nps, Survey.low_score).where(
                Survey.answered_at.is_not(None), Survey.answered_at >= since
            )
        )
    ]
    trend = satisfaction_trend([(a, o, n) for a, o, n, _ in rows if a is not None], now, ctx.zone, TREND_DAYS)
    all_csat = [o for _, o, _, _ in rows if o is not None]
    all_nps = [n for _, _, n, _ in rows if n is not None]
    second_open = db.scalar(
        select(func.count(CallbackTask.id)).where(CallbackTask.kind == "second_callback", CallbackTask.status == "open")
    )
    chart_csat = {
        "type": "line",
        "categories": trend["labels"],
        "series": [{"name": ctx.t("dashboard.csat"), "data": trend["csat"]}],
    }
    chart_nps = {
        "type": "line",
        "categories": trend["labels"],
        "series": [{"name": ctx.t("dashboard.nps"), "data": trend["nps"]}],
    }
    return PanelData(
        {
            "answered": len(rows),
            "csat": round(statistics.mean(all_csat), 2) if all_csat else None,
            "nps": nps_score(all_nps),
            "low_scores": sum(1 for *_, low in rows if low),
            "second_open": int(second_open or 0),
            "chart_csat": chart_csat,
            "chart_nps": chart_nps,
            "days": TREND_DAYS,
        }
    )


def _approvals(db: Session, now: datetime, ctx: PanelContext) -> PanelData:
    from aftersales.actions import service as actions_service

    waiting = actions_service.list_actions(db, status="requested", limit=200)
    oldest = sorted(waiting, key=lambda a: a.created_at)[:6]
    return PanelData({"count": len(waiting), "oldest": oldest})


PANELS: list[Panel] = [
    Panel("dashboard.sla", _sla),
    Panel("dashboard.backlog", _backlog),
    Panel("dashboard.flow", _flow, wide=True),
    Panel("dashboard.timings", _timings, wide=True),
    Panel("dashboard.satisfaction", _satisfaction),
    Panel("dashboard.approvals", _approvals),
]


def _loaded(request: Request, db: Session, now: datetime) -> list[tuple[Panel, PanelData]]:
    ctx = PanelContext(zone=request.app.state.web.zone, t=translator(language_of(request)))
    return [(panel, panel.load(db, now, ctx)) for panel in PANELS]


@router.get("/app/dashboard")
def dashboard(request: Request, actor: DashboardPage, db: DbSession, now: Now) -> Response:
    return page(request, "dashboard.html", actor, panels=_loaded(request, db, now))


@router.get("/app/dashboard/panels")
def dashboard_panels(request: Request, actor: DashboardPage, db: DbSession, now: Now) -> Response:
    return page(request, "_dashboard_panels.html", actor, panels=_loaded(request, db, now))
