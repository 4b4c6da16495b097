"""SLA state derived from a ticket's timeline alone (pure: no database, never reads the clock).

Metrics (Zendesk-style):

* ``first_reply`` — from ``created`` until the first ``agent_reply``. **Not pausable**: putting a ticket in
  ``waiting_on_customer`` before anyone has answered must not stop the first-reply clock.
* ``next_reply`` — from the oldest ``customer_message`` left unanswered after an agent reply, until the next
  ``agent_reply``. Pausable. One cycle per unanswered batch; the report shows the latest cycle.
* ``resolution`` — from ``created`` until the status becomes ``resolved``/``closed``; a reopen (status leaving
  resolved/closed) resumes it and elapsed time accumulates across reopens. Pausable.
* ``follow_up`` — the callback, from the (latest) resolution until ``callback_done``. A reopen cancels the
  running cycle; the next resolution starts a new one. Not pausable.

Pausing: status ``waiting_on_customer`` pauses the pausable metrics. A ``customer_message`` also ends the
wait (the customer has answered) even if the ticket workflow has not yet moved the status back.

Resolving the ticket fulfils a still-open ``first_reply``/``next_reply`` (there is nothing left to answer).

Policies: a ``policy`` fact applies from its own time on. Elapsed time is always counted in business time of
the calendar of the policy in effect; time before the first policy is counted with the first policy's
calendar. When a policy changes, running/paused metrics switch to the new target; if it is already exceeded,
the warning and breach are recorded *at the policy change*, never earlier. Fulfilled metrics keep the target
they were fulfilled under. A metric whose target is ``None`` is not tracked (status ``inactive``).

Thresholds: warning when elapsed >= ``warn_ratio`` × target, breach when elapsed >= target, management
escalation when elapsed >= (1 + ``management_after_ratio``) × target. Exact times come from
:func:`add_business_time`. A fulfilling fact at exactly the due time wins over the breach.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from aftersales.sla.calendar import BusinessCalendar, _from_us, _to_us
from aftersales.sla.policy import METRICS, SlaPolicy

__all__ = [
    "FACT_KINDS",
    "STATUSES",
    "ClockEvent",
    "Escalation",
    "MetricState",
    "SlaReport",
    "TimelineFact",
    "compute_sla",
    "escalation",
    "escalation_level",
]

FactKind = Literal["created", "customer_message", "agent_reply", "status", "policy", "callback_done"]
FACT_KINDS: tuple[str, ...] = (
    "created",
    "customer_message",
    "agent_reply",
    "status",
    "policy",
    "callback_done",
)
STATUSES: tuple[str, ...] = (
    "new",
    "triaged",
    "assigned",
    "in_progress",
    "waiting_on_customer",
    "resolved",
    "closed",
)
_DONE = ("resolved", "closed")
_PAUSABLE = {"first_reply": False, "next_reply": True, "resolution": True, "follow_up": False}

MetricStatus = Literal["inactive", "active", "paused", "fulfilled", "breached"]
OverallState = Literal["ok", "warning", "breached", "paused", "none"]
EventKind = Literal["activated", "paused", "resumed", "fulfilled", "warned", "breached"]

_FALLBACK_CALENDAR = BusinessCalendar(name="24x7", mode="24x7", hours={}, use_cn_statutory=False)


@dataclass(frozen=True)
class TimelineFact:
    at: datetime
    kind: FactKind
    status: str | None = None
    policy: SlaPolicy | None = None

    def __post_init__(self) -> None:
        if self.at.tzinfo is None or self.at.utcoffset() is None:
            raise ValueError("TimelineFact.at: must be timezone-aware")
        if self.kind not in FACT_KINDS:
            raise ValueError(f"TimelineFact.kind: unknown kind {self.kind!r}")
        if self.kind == "status" and self.status not in STATUSES:
            raise ValueError(f"TimelineFact.status: unknown status {self.status!r}")
        if self.kind == "policy" and not isinstance(self.policy, SlaPolicy):
            raise ValueError("TimelineFact.policy: a policy fact needs an SlaPolicy")


@dataclass(frozen=True)
class ClockEvent:
    at: datetime
    metric: str
    event: EventKind
    detail: str = ""


@dataclass(frozen=True)
class MetricState:
    metric: str
    status: MetricStatus
    warning: bool
    target_minutes: float | None
    started_at: datetime | None
    due_at: datetime | None
    fulfilled_at: datetime | None
    breached_at: datetime | None
    remaining_seconds: float | None
    elapsed_seconds: float
    paused_since: datetime | None
    warned_at: datetime | None = None
    management_at: datetime | None = None  # when elapsed reached (1 + management_after_ratio) × target


@dataclass(frozen=True)
class SlaReport:
    now: datetime
    state: OverallState
    metrics: Mapping[str, MetricState]
    events: tuple[ClockEvent, ...]
    policy: SlaPolicy | None = None
    calendar: BusinessCalendar | None = None

    @property
    def next_due_at(self) -> datetime | None:
        """Earliest future due time of an active metric (for scheduling the next re-evaluation)."""
        dues = [m.due_at for m in self.metrics.values() if m.status == "active" and m.due_at is not None]
        return min(dues) if dues else None


@dataclass
class _Clock:
    metric: str
    pausable: bool
    open: bool = False
    started: int | None = None
    fulfilled: int | None = None
    due_when_fulfilled: int | None = None
    breached: int | None = None
    warned: int | None = None
    management: int | None = None
    elapsed: int = 0  # microseconds accumulated before ``seg_start``
    seg_start: int | None = None  # running segment start (None = not running)
    paused_since: int | None = None
    target: int | None = None  # microseconds; None = not tracked
    target_minutes: float | None = None
    announced: bool = False
    cancelled: bool = False  # follow-up cycle cancelled by a reopen

    def elapsed_at(self, cal: BusinessCalendar, t: int) -> int:
        if self.seg_start is None:
            return self.elapsed
        return self.elapsed + cal._between_us(self.seg_start, t)


@dataclass
class _Sim:
    calendars: Mapping[str, BusinessCalendar]
    cal: BusinessCalendar
    policy: SlaPolicy | None = None
    status: str | None = None
    created: bool = False
    waiting: bool = False
    agent_replied: bool = False
    unanswered_since: int | None = None
    events: list[tuple[int, str, EventKind, str]] = field(default_factory=list)
    clocks: dict[str, _Clock] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.clocks = {m: _Clock(m, _PAUSABLE[m]) for m in METRICS}

    # -- helpers
    def emit(self, t: int, clock: _Clock, event: EventKind, detail: str = "") -> None:
        if clock.target is not None:
            self.events.append((t, clock.metric, event, detail))

    def thresholds(self, clock: _Clock) -> list[tuple[str, int]]:
        """Pending thresholds (name, elapsed microseconds) for a tracked open clock, in order."""
        if clock.target is None or not clock.open or self.policy is None:
            return []
        out: list[tuple[str, int]] = []
        if clock.warned is None:
            out.append(("warned", round(clock.target * self.policy.warn_ratio)))
        if clock.breached is None:
            out.append(("breached", clock.target))
        if clock.management is None:
            out.append(("management", clock.target + round(clock.target * self.policy.management_after_ratio)))
        return out

    def record(self, clock: _Clock, name: str, t: int, detail: str) -> None:
        if name == "warned":
            clock.warned = t
            self.emit(t, clock, "warned", detail)
        elif name == "breached":
            clock.breached = t
            self.emit(t, clock, "breached", detail)
        else:
            clock.management = t

    def advance(self, t: int, inclusive: bool) -> None:
        """Emit thresholds crossed by running clocks strictly before ``t`` (or at ``t`` if inclusive)."""
        pending: list[tuple[int, str, _Clock]] = []
        for clock in self.clocks.values():
            if clock.seg_start is None:
                continue
            for name, thr in self.thresholds(clock):
                need = thr - clock.elapsed
                if need <= 0:
                    continue  # already crossed: handled by ``check`` at the last fact
                at = self.cal._add_us(clock.seg_start, need)
                if at < t or (inclusive and at == t):
                    pending.append((at, name, clock))
        pending.sort(key=lambda p: p[0])  # stable: metric order, then warned/breached/management
        for at, name, clock in pending:
            self.record(clock, name, at, "")

    def check(self, t: int, detail: str) -> None:
        """Thresholds already exceeded at ``t`` (after a fact) are recorded at ``t``: never back-dated."""
        for clock in self.clocks.values():
            if clock.target is None or not clock.open:
                continue
            e = clock.elapsed_at(self.cal, t)
            for name, thr in self.thresholds(clock):
                if e >= thr:
                    self.record(clock, name, t, detail)

    def _running(self, clock: _Clock) -> bool:
        return not (clock.pausable and self.waiting)

    def start(self, clock: _Clock, t: int, detail: str = "") -> None:
        clock.open = True
        clock.cancelled = False
        clock.started = t
        clock.fulfilled = None
        clock.due_when_fulfilled = None
        clock.breached = clock.warned = clock.management = None
        clock.elapsed = 0
        clock.announced = False
        self._set_target(clock)
        if clock.target is not None:
            clock.announced = True
            self.emit(t, clock, "activated", detail)
        if self._running(clock):
            clock.seg_start, clock.paused_since = t, None
        else:
            clock.seg_start, clock.paused_since = None, t
            self.emit(t, clock, "paused", "waiting on customer")

    def stop(self, clock: _Clock, t: int) -> None:
        if clock.seg_start is not None:
            clock.elapsed += self.cal._between_us(clock.seg_start, t)
            clock.seg_start = None

    def fulfil(self, clock: _Clock, t: int, detail: str = "") -> None:
        if not clock.open:
            return
        self.stop(clock, t)
        clock.open = False
        clock.paused_since = None
        clock.fulfilled = t
        if clock.target is not None:
            left = clock.target - clock.elapsed
            clock.due_when_fulfilled = self.cal._add_us(t, left) if left > 0 else clock.breached
        self.emit(t, clock, "fulfilled", detail)

    def pause(self, clock: _Clock, t: int, detail: str) -> None:
        if clock.open and clock.seg_start is not None:
            self.stop(clock, t)
            clock.paused_since = t
            self.emit(t, clock, "paused", detail)

    def resume(self, clock: _Clock, t: int, detail: str) -> None:
        if clock.open and clock.seg_start is None:
            clock.seg_start = t
            clock.paused_since = None
            self.emit(t, clock, "resumed", detail)

    def _rearm_warning(self, clock: _Clock, t: int) -> None:
        """A warning that no longer holds under a looser target is re-armed (the event stays in the history);
        breaches are never withdrawn."""
        if (
            clock.warned is not None
            and clock.breached is None
            and clock.target is not None
            and self.policy is not None
            and clock.elapsed_at(self.cal, t) < round(clock.target * self.policy.warn_ratio)
        ):
            clock.warned = None

    def _set_target(self, clock: _Clock) -> None:
        minutes = self.policy.targets.get(clock.metric) if self.policy else None
        clock.target_minutes = minutes
        clock.target = None if minutes is None else round(minutes * 60_000_000)

    def set_waiting(self, waiting: bool, t: int, detail: str) -> None:
        if waiting == self.waiting:
            return
        self.waiting = waiting
        for clock in self.clocks.values():
            if clock.pausable:
                if waiting:
                    self.pause(clock, t, detail)
                else:
                    self.resume(clock, t, detail)

    def maybe_start_next_reply(self, t: int) -> None:
        nr = self.clocks["next_reply"]
        if self.unanswered_since is not None and not nr.open and self.status not in _DONE and self.created:
            self.start(nr, t, "customer message awaiting reply")

    # -- facts
    def apply(self, fact: TimelineFact, t: int) -> str:
        """Apply one fact; returns the detail to use for thresholds found exceeded at this moment."""
        c = self.clocks
        if fact.kind == "policy":
            assert fact.policy is not None
            new = fact.policy
            try:
                new_cal = self.calendars[new.calendar_name]
            except KeyError:
                if new.calendar_name != "24x7":
                    raise KeyError(f"SLA policy {new.name!r} uses unknown calendar {new.calendar_name!r}") from None
                new_cal = _FALLBACK_CALENDAR
            for clock in c.values():
                if clock.open and clock.seg_start is not None:
                    self.stop(clock, t)
                    clock.seg_start = t
            self.policy, self.cal = new, new_cal
            for clock in c.values():
                if clock.open:
                    self._set_target(clock)
                    self._rearm_warning(clock, t)
                    if clock.target is not None and not clock.announced:
                        clock.announced = True
                        self.emit(t, clock, "activated", f"policy {new.name!r} v{new.version}")
            return f"target exceeded when policy {new.name!r} v{new.version} was applied"
        if fact.kind == "created":
            if not self.created:
                self.created = True
                if self.status is None:
                    self.status = "new"
                self.start(c["first_reply"], t, "ticket created")
                self.start(c["resolution"], t, "ticket created")
            return ""
        if not self.created:
            return ""  # facts before creation do not drive clocks
        if fact.kind == "customer_message":
            self.set_waiting(False, t, "customer replied")
            if self.agent_replied and self.unanswered_since is None:
                self.unanswered_since = t
            self.maybe_start_next_reply(t)
        elif fact.kind == "agent_reply":
            self.agent_replied = True
            self.unanswered_since = None
            self.fulfil(c["first_reply"], t, "first agent reply")
            self.fulfil(c["next_reply"], t, "agent replied")
        elif fact.kind == "callback_done":
            self.fulfil(c["follow_up"], t, "callback done")
        elif fact.kind == "status":
            assert fact.status is not None
            prev, new_status = self.status, fact.status
            self.status = new_status
            was_done, is_done = prev in _DONE, new_status in _DONE
            if is_done and not was_done:
                self.waiting = False  # the clocks below stop for good; no "resumed" noise
                self.fulfil(c["first_reply"], t, f"ticket {new_status} without a reply")
                self.fulfil(c["next_reply"], t, f"ticket {new_status}")
                self.fulfil(c["resolution"], t, f"ticket {new_status}")
                self.start(c["follow_up"], t, f"ticket {new_status}: callback due")
            elif was_done and not is_done:
                fu = c["follow_up"]
                if fu.open:
                    self.stop(fu, t)
                    fu.open = False
                    fu.cancelled = True
                    fu.paused_since = None
                    self.emit(t, fu, "paused", "ticket reopened: callback cancelled")
                res = c["resolution"]
                self.waiting = new_status == "waiting_on_customer"
                res.open = True
                res.fulfilled = None
                res.due_when_fulfilled = None
                self._set_target(res)
                self._rearm_warning(res, t)  # the policy may have changed while the ticket was resolved
                if self._running(res):
                    res.seg_start, res.paused_since = t, None
                    if res.target is not None and not res.announced:
                        res.announced = True
                        self.emit(t, res, "activated", "ticket reopened")
                    else:
                        self.emit(t, res, "resumed", "ticket reopened")
                else:
                    res.seg_start, res.paused_since = None, t
                    self.emit(t, res, "paused", "ticket reopened, waiting on customer")
                self.maybe_start_next_reply(t)
            elif not is_done:
                self.set_waiting(
                    new_status == "waiting_on_customer",
                    t,
                    "waiting on customer" if new_status == "waiting_on_customer" else f"status {new_status}",
                )
        return ""

    # -- report
    def metric_state(self, clock: _Clock, now: int) -> MetricState:
        def dt(us: int | None) -> datetime | None:
            return None if us is None else _from_us(us)

        elapsed = clock.elapsed_at(self.cal, now) if clock.open else clock.elapsed
        remaining = None if clock.target is None else (clock.target - elapsed) / 1e6
        due: int | None = None
        status: MetricStatus
        if clock.started is None or clock.target is None or clock.cancelled:
            status = "inactive"
        elif clock.breached is not None:
            status, due = "breached", clock.breached
        elif not clock.open:
            status, due = "fulfilled", clock.due_when_fulfilled
        elif clock.seg_start is None:
            status = "paused"
        else:
            status = "active"
            due = self.cal._add_us(clock.seg_start, clock.target - clock.elapsed)
        warning = status in ("active", "paused") and clock.warned is not None
        return MetricState(
            metric=clock.metric,
            status=status,
            warning=warning,
            target_minutes=clock.target_minutes,
            started_at=dt(clock.started),
            due_at=dt(due),
            fulfilled_at=dt(clock.fulfilled),
            breached_at=dt(clock.breached),
            remaining_seconds=remaining,
            elapsed_seconds=elapsed / 1e6,
            paused_since=dt(clock.paused_since) if clock.open else None,
            warned_at=dt(clock.warned),
            management_at=dt(clock.management),
        )


def _first_calendar(
    facts: Iterable[TimelineFact], calendars: Mapping[str, BusinessCalendar], now_us: int
) -> BusinessCalendar:
    for f in facts:
        if _to_us(f.at) > now_us:
            break
        if f.kind == "policy" and f.policy is not None:
            return calendars.get(f.policy.calendar_name, _FALLBACK_CALENDAR)
    return _FALLBACK_CALENDAR


def compute_sla(facts: Iterable[TimelineFact], calendars: Mapping[str, BusinessCalendar], now: datetime) -> SlaReport:
    """Derive the SLA report of a ticket from its timeline facts (sorted by time), as of ``now``.

    Facts after ``now`` are ignored; events are only emitted up to ``now`` (``due_at`` tells the future).
    Raises ``KeyError`` if a policy names a calendar missing from ``calendars`` (``"24x7"`` is built in).
    """
    now_us = _to_us(now)
    fact_list = list(facts)
    sim = _Sim(calendars=calendars, cal=_first_calendar(fact_list, calendars, now_us))
    last = None
    for fact in fact_list:
        t = _to_us(fact.at)
        if t > now_us:
            break
        if last is not None and t < last:
            raise ValueError(f"facts must be sorted by time ({fact.at.isoformat()} comes after a later fact)")
        last = t
        sim.advance(t, inclusive=False)
        detail = sim.apply(fact, t)
        sim.check(t, detail)
    sim.advance(now_us, inclusive=True)

    metrics = {m: sim.metric_state(sim.clocks[m], now_us) for m in METRICS}
    tracked = [s for s in metrics.values() if s.status != "inactive"]
    state: OverallState
    if not tracked:
        state = "none"
    elif any(s.status == "breached" for s in tracked):
        state = "breached"
    elif any(s.warning for s in tracked):
        state = "warning"
    elif any(s.status == "paused" for s in tracked) and not any(s.status == "active" for s in tracked):
        state = "paused"
    else:
        state = "ok"
    events = tuple(ClockEvent(_from_us(t), m, e, d) for t, m, e, d in sim.events)
    return SlaReport(
        now=now,
        state=state,
        metrics=metrics,
        events=events,
        policy=sim.policy,
        calendar=sim.cal if sim.policy is not None else None,
    )


@dataclass(frozen=True)
class Escalation:
    """Escalation as of ``now``: 0 none, 1 supervisor (at a breach), 2 management."""

    level: int
    supervisor_at: datetime | None
    management_at: datetime | None
    metric: str | None  # the metric that triggered the highest level first


def escalation(report: SlaReport, now: datetime | None = None) -> Escalation:
    """Escalation derived from a report (pure). Only breaches of metrics still counting or already missed
    are considered; times are the earliest breach / management threshold across metrics, up to ``now``.

    The management threshold uses ``management_after_ratio`` of the policy in effect when it was crossed
    (tracked by :func:`compute_sla`, never back-dated).
    """
    cutoff = report.now if now is None else now
    sup: tuple[datetime, str] | None = None
    mgmt: tuple[datetime, str] | None = None
    for name in METRICS:
        m = report.metrics[name]
        if m.breached_at is not None and m.breached_at <= cutoff and (sup is None or m.breached_at < sup[0]):
            sup = (m.breached_at, name)
        if (
            m.breached_at is not None
            and m.management_at is not None
            and m.management_at <= cutoff
            and (mgmt is None or m.management_at < mgmt[0])
        ):
            mgmt = (m.management_at, name)
    if mgmt is not None:
        assert sup is not None
        return Escalation(2, sup[0], mgmt[0], mgmt[1])
    if sup is not None:
        return Escalation(1, sup[0], None, sup[1])
    return Escalation(0, None, None, None)


def escalation_level(report: SlaReport, now: datetime | None = None, policy: SlaPolicy | None = None) -> int:
    """0 none, 1 supervisor, 2 management. ``policy`` is accepted for API symmetry and must be the report's
    policy if given (the management ratio is applied inside :func:`compute_sla`)."""
    if (
        policy is not None
        and report.policy is not None
        and policy.management_after_ratio != report.policy.management_after_ratio
    ):
        raise ValueError("escalation_level: policy differs from the policy the report was computed with")
    return escalation(report, now).level
