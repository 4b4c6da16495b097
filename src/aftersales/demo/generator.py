"""A demo brand: products, batches, customers, orders, agents and tickets in every state.

``build_demo(database, "dairy", now)`` fills an (upgraded) database with a realistic Chinese brand for one
industry pack. Everything goes through the real services — catalog, agents, tickets, SLA — so the demo shows
what the product really does: tickets are triaged, routed, replied to, paused, resolved, closed and reopened
at times in the past, and a final SLA sweep records the warnings, breaches and escalations that are due.

All data is invented (names, mobile numbers, tracking numbers); the agents share one demo password, printed by
:meth:`DemoSummary.describe`. Never use the demo accounts on a server reachable by others.

The build is deterministic for a given ``seed`` and ``now``, and safe to run twice: if the demo admin account
exists, nothing is written and the summary says so.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from aftersales.agents.models import Agent
from aftersales.agents.schemas import AgentCreate
from aftersales.agents.service import create_agent
from aftersales.catalog.models import Batch, Customer, Order, Product
from aftersales.catalog.schemas import BatchIn, CustomerIn, OrderIn, OrderItemIn, ProductIn
from aftersales.catalog.service import create_batch, create_customer, create_order, create_product
from aftersales.demo import texts as T
from aftersales.kit.actor import Actor
from aftersales.kit.db import Database
from aftersales.sla.service import ensure_defaults, sweep
from aftersales.tickets import service as tickets
from aftersales.tickets.models import STATUSES, Ticket, TicketEntry
from aftersales.tickets.schemas import CustomerRef, TicketCreate, TriageOverride
from aftersales.triage.engine import IndustryPack, load_pack

DEMO_DOMAIN = "demo.aftersales"
ADMIN_EMAIL = f"admin@{DEMO_DOMAIN}"
DEMO_PASSWORD = "demo-password-2026"
N_CUSTOMERS = 120
N_ORDERS = 200
N_TICKETS = 80
ORDER_WINDOW_DAYS = 60

# (email local part, name, role, department, skills, capacity)
AGENTS: tuple[tuple[str, str, str, str, tuple[str, ...], int], ...] = (
    ("admin", "演示管理员", "admin", "management", (), 0),
    ("zhang.wei", "张伟", "supervisor", "customer_service", ("vip",), 6),
    ("liu.yang", "刘洋", "supervisor", "management", ("adverse_reaction", "quality", "vip"), 12),
    ("wang.fang", "王芳", "agent", "customer_service", ("usage_question", "service_attitude"), 10),
    ("li.na", "李娜", "agent", "customer_service", ("vip",), 10),
    ("chen.jing", "陈静", "agent", "after_sales", ("packaging_damage", "wrong_or_missing_item"), 10),
    ("yang.lei", "杨磊", "agent", "after_sales", (), 8),
    ("zhao.min", "赵敏", "agent", "quality", ("quality", "authenticity", "adverse_reaction"), 12),
    ("huang.qiang", "黄强", "agent", "quality", (), 10),
    ("zhou.jie", "周杰", "agent", "logistics", ("logistics_delay", "cold_chain"), 10),
    ("wu.tingting", "吴婷婷", "agent", "logistics", (), 8),
    ("sun.haoran", "孙浩然", "agent", "product", ("suggestion",), 10),
)

# Final state of each demo ticket and how many: the mix guarantees every reachable status.
SCENARIOS: tuple[tuple[str, int], ...] = (
    ("closed", 17),
    ("resolved", 12),
    ("reopened", 3),
    ("waiting", 9),
    ("in_progress", 16),
    ("assigned", 17),
    ("queued", 6),
)
# How long ago (hours) a ticket of each scenario was created.
AGE_HOURS: dict[str, tuple[float, float]] = {
    "closed": (96, 40 * 24),
    "resolved": (30, 10 * 24),
    "reopened": (48, 8 * 24),
    "waiting": (6, 4 * 24),
    "in_progress": (3, 3 * 24),
    "assigned": (0.3, 8),
    "queued": (0.2, 3),
}
CHANNEL_WEIGHTS = {
    "web": 14,
    "chat": 12,
    "wechat": 16,
    "app": 10,
    "ecommerce": 14,
    "phone": 10,
    "email": 6,
    "douyin": 8,
    "store": 4,
    "social": 3,
    "api": 3,
}
TIER_WEIGHTS = {"standard": 55, "silver": 25, "gold": 14, "vip": 6}


@dataclass
class DemoSummary:
    pack: str
    already_present: bool
    customers: int
    products: int
    batches: int
    orders: int
    agents: int
    tickets_by_status: dict[str, int]
    sla_breached: int = 0
    sla_warned: int = 0
    sla_paused: int = 0
    escalated: int = 0
    accounts: list[tuple[str, str, str]] = field(default_factory=list)  # (email, role, name)
    password: str = DEMO_PASSWORD
    seconds: float = 0.0

    @property
    def tickets(self) -> int:
        return sum(self.tickets_by_status.values())

    def describe(self, host: str, port: int) -> str:
        base = f"http://{host}:{port}"
        head = (
            "Demo data was already there; nothing was added."
            if self.already_present
            else f"Demo brand created for the '{self.pack}' pack in {self.seconds:.1f} s."
        )
        statuses = ", ".join(f"{s} {n}" for s, n in self.tickets_by_status.items() if n)
        lines = [
            head,
            f"  {self.customers} customers, {self.products} products, {self.batches} batches, {self.orders} orders, "
            f"{self.agents} agents",
            f"  {self.tickets} tickets: {statuses}",
            f"  SLA: {self.sla_breached} breached, {self.sla_warned} warned, {self.sla_paused} paused, "
            f"{self.escalated} escalated",
            "",
            f"Workspace: {base}/  (log in with an account below; supervisors see the dashboard)",
            f"Portal:    {base}/portal/new  (customers open a ticket; no password)",
            f"API:       {base}/api/v1",
            f"API docs:  {base}/docs",
            "",
            f"Demo accounts (DEMO ONLY — every account uses the password {self.password}):",
        ]
        width = max((len(email) for email, _, _ in self.accounts), default=0)
        for email, role, name in self.accounts:
            login = f"{email} / {self.password}"
            lines.append(f"  {login.ljust(width + len(self.password) + 3)}   {role:<10} {name}")
        lines += [
            "",
            "Try it:",
            f"  TOKEN=$(curl -s -X POST {base}/api/v1/auth/token -H 'Content-Type: application/json' \\",
            f'    -d \'{{"email": "{ADMIN_EMAIL}", "password": "{self.password}"}}\' \\',
            "    | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"token\"])')",
            f"  curl -s -H \"Authorization: Bearer $TOKEN\" '{base}/api/v1/tickets?status=in_progress'",
        ]
        return "\n".join(lines)


# ---------------------------------------------------------------- helpers


def _agent_actor(agent: Agent) -> Actor:
    return Actor(type="agent", id=agent.id, role=agent.role, name=agent.name)


def _pick_weighted(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _phone(rng: random.Random, used: set[str]) -> str:
    while True:
        number = rng.choice(T.MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"
        if number not in used:
            used.add(number)
            return number


def _address(rng: random.Random) -> str:
    city, districts, streets = rng.choice(T.CITIES)
    return (
        f"{city}{rng.choice(districts)}{rng.choice(streets)}{rng.randint(1, 399)}号"
        f"{rng.choice(T.ESTATES)}{rng.randint(1, 30)}栋{rng.randint(1, 4)}单元{rng.randint(1, 32)}0{rng.randint(1, 4)}"
    )


def _tracking(rng: random.Random, prefix: str, digits: int) -> str:
    return prefix + "".join(str(rng.randrange(10)) for _ in range(digits))


def _local_day(moment: datetime) -> date:
    return (moment + timedelta(hours=8)).date()  # Asia/Shanghai has no DST


def _count(session: Session, model: type) -> int:
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


def _summary(session: Session, pack: str, already: bool, now: datetime) -> DemoSummary:
    by_status = dict.fromkeys(STATUSES, 0)
    for status, n in session.execute(select(Ticket.status, func.count()).group_by(Ticket.status)):
        by_status[status] = n
    events = Counter(
        (e.data or {}).get("event") for e in session.scalars(select(TicketEntry).where(TicketEntry.kind == "sla_event"))
    )
    breached_tickets = session.scalar(
        select(func.count(func.distinct(TicketEntry.ticket_id))).where(
            TicketEntry.kind == "sla_event", TicketEntry.body.like("% breached")
        )
    )
    accounts = [
        (a.email, a.role, a.name)
        for a in session.scalars(select(Agent).where(Agent.email.like(f"%@{DEMO_DOMAIN}")).order_by(Agent.id))
    ]
    return DemoSummary(
        pack=pack,
        already_present=already,
        customers=_count(session, Customer),
        products=_count(session, Product),
        batches=_count(session, Batch),
        orders=_count(session, Order),
        agents=len(accounts),
        tickets_by_status=by_status,
        sla_breached=int(breached_tickets or 0),
        sla_warned=events.get("warned", 0),
        sla_paused=int(
            session.scalar(select(func.count()).select_from(Ticket).where(Ticket.sla_state == "paused")) or 0
        ),
        escalated=int(session.scalar(select(func.count()).select_from(Ticket).where(Ticket.escalation_level > 0)) or 0),
        accounts=accounts,
    )


# ---------------------------------------------------------------- catalog


def _products(session: Session, pack: IndustryPack, rng: random.Random, start: datetime) -> list[Product]:
    prefix = T.SKU_PREFIX.get(pack.name, pack.name[:3].upper())
    brand = T.BRAND.get(pack.name, "演示品牌")
    low, high = T.PRICE_RANGE.get(pack.name, (20, 500))
    specs = [(a.name, a.shelf_life_days, a.storage, a.cold_chain, list(a.materials)) for a in pack.product_attributes]
    specs += [(n, life, storage, cold, []) for n, life, storage, cold in T.EXTRA_PRODUCTS.get(pack.name, ())]
    products = []
    for i, (name, life, storage, cold, materials) in enumerate(specs, start=1):
        product = create_product(
            session,
            ProductIn(
                sku=f"{prefix}-{i:03d}",
                name=f"{brand} {name}",
                category=pack.name,
                shelf_life_days=life,
                storage=storage or None,
                cold_chain=cold,
            ),
            start,
        )
        price = Decimal(rng.randint(low, high)) - Decimal("0.10")
        product.attributes = {
            "brand": brand,
            "list_price": str(price),
            **({"materials": materials} if materials else {}),
        }
        products.append(product)
    return products


def _batches(
    session: Session, products: list[Product], rng: random.Random, now: datetime, start: datetime
) -> dict[int, list[Batch]]:
    """Batches produced regularly over the order window (every few days for short-life goods)."""
    out: dict[int, list[Batch]] = {}
    first_day = _local_day(now) - timedelta(days=ORDER_WINDOW_DAYS + 10)
    for product in products:
        life = product.shelf_life_days or 365
        step = max(2, min(30, life // 3))
        day, seq = first_day, 0
        rows = []
        while day <= _local_day(now):
            seq += 1
            code = f"{product.sku.split('-')[0]}{day:%Y%m%d}{'ABC'[seq % 3]}"
            rows.append(
                create_batch(
                    session,
                    BatchIn(product_sku=product.sku, code=code, produced_on=day, expires_on=day + timedelta(days=life)),
                    start,
                )
            )
            day += timedelta(days=step)
        out[product.id] = rows
    return out


def _customers(session: Session, pack: str, rng: random.Random, start: datetime) -> list[Customer]:
    used: set[str] = set()
    tags = T.CUSTOMER_TAGS.get(pack, ())
    customers = []
    for i in range(1, N_CUSTOMERS + 1):
        name = rng.choice(T.SURNAMES) + rng.choice(T.GIVEN_NAMES)
        customer = create_customer(
            session,
            CustomerIn(
                name=name,
                phone=_phone(rng, used),
                email=f"demo.customer{i:03d}@example.com" if rng.random() < 0.2 else None,
                tier=_pick_weighted(rng, TIER_WEIGHTS),  # type: ignore[arg-type]
                address=_address(rng),
                external_ref=f"DEMO-C{i:04d}",
                tags=rng.sample(tags, k=rng.randint(0, min(2, len(tags)))),
            ),
            start - timedelta(days=rng.randint(0, 400)),
        )
        customers.append(customer)
    return customers


def _orders(
    session: Session,
    customers: list[Customer],
    products: list[Product],
    batches: dict[int, list[Batch]],
    rng: random.Random,
    now: datetime,
) -> list[Order]:
    orders = []
    for i in range(N_ORDERS):
        customer = rng.choice(customers)
        age_days = rng.uniform(0.1, ORDER_WINDOW_DAYS)
        placed = (now - timedelta(days=age_days)).replace(microsecond=0)
        chosen = rng.sample(products, k=rng.choice((1, 1, 1, 2, 2, 3)))
        cold = any(p.cold_chain for p in chosen)
        carriers = T.COLD_CARRIERS if cold else T.CARRIERS
        carrier = rng.choice(list(carriers))
        # Fresh goods arrive within a day; parcels in 1-4 days. Recent orders may still be on the way.
        transit_hours = rng.uniform(6, 20) if cold else rng.uniform(20, 96)
        shipped = placed + timedelta(hours=rng.uniform(1, 18))
        delivered = shipped + timedelta(hours=transit_hours)
        roll = rng.random()
        if shipped > now:
            status, shipped_at, delivered_at = "paid", None, None
        elif delivered > now:
            status, shipped_at, delivered_at = ("in_transit" if roll < 0.8 else "shipped"), shipped, None
        elif roll < 0.04:
            status, shipped_at, delivered_at = "returned", shipped, delivered
        elif roll < 0.07 and age_days < 30:
            status, shipped_at, delivered_at = "cancelled", None, None
        else:
            status, shipped_at, delivered_at = "delivered", shipped, delivered
        items = []
        for product in chosen:
            made_before = [b for b in batches[product.id] if b.produced_on and b.produced_on <= _local_day(placed)]
            batch = made_before[-1] if made_before else None
            items.append(
                OrderItemIn(
                    product_sku=product.sku,
                    batch_code=batch.code if batch else None,
                    quantity=rng.choice((1, 1, 2, 2, 3, 6)),
                    unit_price=Decimal(str(product.attributes["list_price"])),
                )
            )
        shipped_info = shipped_at is not None
        prefix, digits = carriers[carrier]
        order = create_order(
            session,
            OrderIn(
                number=f"DM{_local_day(placed):%Y%m%d}{i + 1:04d}",
                customer_id=customer.id,
                status=status,  # type: ignore[arg-type]
                sales_channel=rng.choice(T.SALES_CHANNELS),
                placed_at=placed,
                shipped_at=shipped_at,
                delivered_at=delivered_at,
                carrier=carrier if shipped_info else None,
                tracking_number=_tracking(rng, prefix, digits) if shipped_info else None,
                delivery_address=customer.address,
                items=items,
            ),
            placed,
        )
        orders.append(order)
    return orders


def _agents(session: Session, now: datetime) -> list[Agent]:
    """The demo team. All share one password, so it is hashed once (Argon2 takes ~0.2 s a hash)."""
    agents: list[Agent] = []
    for local, name, role, department, skills, capacity in AGENTS:
        data = AgentCreate.model_validate(
            {
                "email": f"{local}@{DEMO_DOMAIN}",
                "name": name,
                "password": DEMO_PASSWORD,
                "role": role,
                "department": department,
                "skills": list(skills),
                "capacity": capacity,
            }
        )
        if not agents:
            agents.append(create_agent(session, data, now - timedelta(days=120)))
            continue
        agent = Agent(
            email=data.email.lower(),
            name=data.name,
            password_hash=agents[0].password_hash,
            role=data.role,
            department=data.department,
            skills=sorted(set(data.skills)),
            capacity=data.capacity,
            available=True,
            active=True,
            created_at=now - timedelta(days=120),
        )
        session.add(agent)
        agents.append(agent)
    session.flush()
    return agents


# ---------------------------------------------------------------- tickets


@dataclass
class _Plan:
    scenario: str
    created: datetime
    text: str
    need: str
    channel: str


def _plans(pack: str, rng: random.Random, now: datetime) -> list[_Plan]:
    texts = T.CUSTOMER_TEXTS.get(pack) or T.CUSTOMER_TEXTS["dairy"]
    pool = list(texts)
    rng.shuffle(pool)
    plans = []
    n = 0
    for scenario, count in SCENARIOS:
        low, high = AGE_HOURS[scenario]
        for _ in range(count):
            text, need = pool[n % len(pool)]
            n += 1
            if need == "transit" and scenario in ("closed", "resolved", "reopened"):
                need = "none"  # an old ticket about a parcel that is still in transit would look odd
            hours = rng.uniform(low, high)
            channel = _pick_weighted(rng, CHANNEL_WEIGHTS)
            plans.append(_Plan(scenario, (now - timedelta(hours=hours)).replace(microsecond=0), text, need, channel))
    # One ticket answered in time is nearly due: it shows a warning without a breach.
    for plan in plans:
        if plan.scenario == "assigned" and plan.need == "delivered":
            plan.created, plan.channel = now - timedelta(minutes=100), "web"
            break
    plans.sort(key=lambda p: (p.created, p.text))
    return plans


def _order_for(plan: _Plan, orders: list[Order], rng: random.Random) -> Order | None:
    if plan.need == "delivered":
        fitting = [
            o
            for o in orders
            if o.delivered_at is not None
            and o.status == "delivered"
            and plan.created - timedelta(days=14) < o.delivered_at < plan.created - timedelta(minutes=30)
        ]
    elif plan.need == "transit":
        fitting = [o for o in orders if o.status in ("paid", "shipped", "in_transit") and o.placed_at < plan.created]
    else:
        return None
    return rng.choice(fitting) if fitting else None


def _reply_delay(channel: str, rng: random.Random) -> timedelta:
    if channel == "phone":
        return timedelta(seconds=rng.randint(20, 50))  # the agent answers during the call
    if channel == "chat":
        return timedelta(seconds=rng.randint(40, 240))
    return timedelta(minutes=rng.choice((8, 15, 25, 40, 55, 70, 95, 150)))


def _ticket(
    session: Session,
    plan: _Plan,
    pack: IndustryPack,
    customers: list[Customer],
    orders: list[Order],
    agents: dict[int, Agent],
    supervisor: Agent,
    rng: random.Random,
    now: datetime,
) -> None:
    order = _order_for(plan, orders, rng)
    customer_id = order.customer_id if order else rng.choice(customers).id
    product_sku = batch_code = None
    if order is not None and order.items:
        item = rng.choice(order.items)
        product_sku = item.product.sku
        batch_code = item.batch.code if item.batch else None
    phone_agent = next(a for a in agents.values() if a.department == "customer_service" and a.role == "agent")
    creator = (
        _agent_actor(phone_agent) if plan.channel in ("phone", "store") else Actor(type="customer", id=customer_id)
    )
    data = TicketCreate(
        description=plan.text,
        channel=plan.channel,  # type: ignore[arg-type]
        customer=CustomerRef(id=customer_id),
        order_number=order.number if order else None,
        product_sku=product_sku,
        batch_code=batch_code,
    )
    t = plan.created
    ticket = tickets.create_ticket(session, data, creator, t, pack, auto_assign=plan.scenario != "queued")
    if plan.scenario in ("queued", "assigned") or ticket.assignee_id is None:
        return
    owner = agents[ticket.assignee_id]
    me = _agent_actor(owner)
    customer = Actor(type="customer", id=customer_id)
    question = ticket.category in ("usage_question", "suggestion")

    def later(delta: timedelta) -> datetime:
        nonlocal t
        t = min(t + delta, now - timedelta(minutes=1)).replace(microsecond=0)
        return t

    tickets.add_message(
        session,
        ticket,
        rng.choice(T.QUESTION_REPLIES if question else T.FIRST_REPLIES),
        me,
        later(_reply_delay(plan.channel, rng)),
    )
    if ticket.status == "assigned":
        tickets.transition(session, ticket, "start", me, t)
    if rng.random() < 0.35:
        tickets.add_note(session, ticket, rng.choice(T.NOTES), me, later(timedelta(minutes=rng.randint(2, 30))))
    if plan.scenario == "waiting":
        tickets.add_message(session, ticket, rng.choice(T.WAIT_REPLIES), me, later(timedelta(minutes=5)))
        tickets.transition(session, ticket, "wait_on_customer", me, t, reason="等待客户补充照片/信息")
        return
    if plan.scenario == "in_progress":
        if not question:
            tickets.add_progress(
                session, ticket, rng.choice(T.PROGRESS), me, later(timedelta(minutes=rng.randint(20, 240)))
            )
            _demo_open_action(session, ticket, me, supervisor, rng, later)
        if rng.random() < 0.5:  # the customer wrote again and waits for the next reply
            tickets.add_message(
                session,
                ticket,
                rng.choice(T.CUSTOMER_FOLLOWUPS),
                customer,
                later(timedelta(hours=rng.uniform(0.5, 20))),
            )
        return
    # resolved, closed, reopened
    if not question:
        tickets.add_progress(session, ticket, rng.choice(T.PROGRESS), me, later(timedelta(hours=rng.uniform(0.5, 6))))
        _demo_actions(session, ticket, me, rng, later)
        if rng.random() < 0.3:
            tickets.add_message(session, ticket, rng.choice(T.WAIT_REPLIES), me, later(timedelta(minutes=10)))
            tickets.transition(session, ticket, "wait_on_customer", me, t)
            tickets.add_message(
                session,
                ticket,
                rng.choice(T.CUSTOMER_FOLLOWUPS[:2]),
                customer,
                later(timedelta(hours=rng.uniform(1, 18))),
            )
    tickets.add_message(
        session,
        ticket,
        rng.choice(T.RESOLUTIONS) if not question else "还有其他问题随时联系我们。",
        me,
        later(timedelta(hours=rng.uniform(0.5, 12))),
    )
    tickets.transition(session, ticket, "resolve", me, later(timedelta(minutes=2)))
    if plan.scenario == "closed":
        tickets.record_callback(
            session,
            ticket,
            reached=True,
            summary=rng.choice(["回访：客户表示问题已解决，对处理速度满意。", "回访：客户已收到补发，态度满意。"]),
            actor=me,
            now=later(timedelta(hours=rng.uniform(2, 20))),
        )
        tickets.add_note(session, ticket, rng.choice(T.CLOSE_NOTES), me, later(timedelta(hours=rng.uniform(4, 60))))
        tickets.transition(session, ticket, "close", me, later(timedelta(minutes=1)))
    elif plan.scenario == "reopened":
        if rng.random() < 0.5:
            tickets.add_message(
                session,
                ticket,
                "补发的产品还是有同样的问题，请再处理一下。",
                customer,
                later(timedelta(hours=rng.uniform(6, 30))),
            )
        else:
            tickets.transition(
                session,
                ticket,
                "reopen",
                _agent_actor(supervisor),
                later(timedelta(hours=rng.uniform(6, 30))),
                reason="回访时客户表示问题未解决",
            )


def _override_some(session: Session, now: datetime, supervisor: Agent) -> None:
    """A supervisor corrects the triage of two tickets, as happens in real life."""
    candidates = list(
        session.scalars(
            select(Ticket)
            .where(Ticket.status == "in_progress", Ticket.severity == "L1")
            .order_by(Ticket.created_at)
            .limit(2)
        )
    )
    for ticket in candidates:
        tickets.override_triage(
            session,
            ticket,
            TriageOverride(severity="L2", reason="同批次已有多起类似投诉，升级处理"),
            _agent_actor(supervisor),
            max(ticket.updated_at, now - timedelta(minutes=30)),
        )


def build_demo(database: Database, pack: str, now: datetime, *, seed: int = 7) -> DemoSummary:
    """Create the demo brand for ``pack`` (dairy | tonic | calcium | cashmere); see the module docstring."""
    import time

    started = time.perf_counter()
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    now = now.astimezone(UTC).replace(microsecond=0)
    pack_obj = load_pack(pack)
    with database.transaction() as session:
        if session.scalars(select(Agent).where(Agent.email == ADMIN_EMAIL)).first() is not None:
            return _summary(session, pack, True, now)
    rng = random.Random(seed)
    start = now - timedelta(days=ORDER_WINDOW_DAYS + 30)
    with database.transaction() as session:
        ensure_defaults(session, now)
        agent_rows = _agents(session, now)
        products = _products(session, pack_obj, rng, start)
        batches = _batches(session, products, rng, now, start)
        customers = _customers(session, pack, rng, start)
        orders = _orders(session, customers, products, batches, rng, now)
        agent_ids = [a.id for a in agent_rows]
        customer_ids = [c.id for c in customers]
        order_ids = [o.id for o in orders]
    plans = _plans(pack, rng, now)
    chunk = 10
    for first in range(0, len(plans), chunk):
        with database.transaction() as session:
            agents = {a.id: a for a in session.scalars(select(Agent).where(Agent.id.in_(agent_ids)))}
            customers = list(
                session.scalars(select(Customer).where(Customer.id.in_(customer_ids)).order_by(Customer.id))
            )
            orders = list(session.scalars(select(Order).where(Order.id.in_(order_ids)).order_by(Order.id)))
            supervisor = next(a for a in agents.values() if a.role == "supervisor")
            for plan in plans[first : first + chunk]:
                _ticket(session, plan, pack_obj, customers, orders, agents, supervisor, rng, now)
    with database.transaction() as session:
        agents = {a.id: a for a in session.scalars(select(Agent).where(Agent.id.in_(agent_ids)))}
        _override_some(session, now, next(a for a in agents.values() if a.role == "supervisor"))
        for _ in range(10):  # the sweep takes 500 tickets at a time
            if not sweep(session, now)["checked"]:
                break
    _demo_callbacks_and_surveys(database, now, rng)
    _load_knowledge(database, pack, now)
    with database.transaction() as session:
        summary = _summary(session, pack, False, now)
    summary.seconds = time.perf_counter() - started
    return summary


# ---------------------------------------------------------------- resolution loop (actions, callbacks, surveys)

SURVEY_COMMENTS = ("补发很快，客服态度很好", "处理及时，点赞", "希望包装再结实一些", "", "", "下次还会买")
LOW_SURVEY_COMMENTS = ("等了太久才有人联系我", "补偿太少了，问题也没说清楚")


def _demo_actions(
    session: Session,
    ticket: Ticket,
    me: Actor,
    rng: random.Random,
    later: Callable[[timedelta], datetime],
) -> None:
    """The resolution a real team would choose for the category, approved and carried out."""
    from aftersales.actions import service as actions
    from aftersales.actions.policy import load_policies
    from aftersales.actions.schemas import ActionCreate, ActionExecute

    plans: list[dict[str, str]] = {
        "quality": [{"kind": "reissue"}]
        if rng.random() < 0.6
        else [{"kind": "refund", "refund_mode": "partial", "amount": "59.00"}],
        "cold_chain": [
            {"kind": "reissue"},
            {"kind": "compensation", "compensation_type": "amount", "amount": "250.00"},
        ],
        "packaging_damage": [{"kind": "reissue"}],
        "wrong_or_missing_item": [{"kind": "reissue"}],
        "logistics_delay": [{"kind": "compensation", "compensation_type": "coupon", "amount": "20.00"}],
        "adverse_reaction": [
            {"kind": "medical_referral"},
            {"kind": "refund", "refund_mode": "partial", "amount": "300.00"},
        ],
        "service_attitude": [{"kind": "compensation", "compensation_type": "coupon", "amount": "10.00"}],
    }.get(ticket.category, [])
    for body in plans:
        at = later(timedelta(minutes=rng.randint(5, 40)))
        try:
            action = actions.request_action(session, load_policies(), ticket, ActionCreate.model_validate(body), me, at)
        except actions.PolicyRefused:
            continue
        if action.status == "requested":  # above the requester's limit: someone else with a higher one approves
            approver = session.scalars(
                select(Agent)
                .where(Agent.role.in_(action.approver_roles), Agent.id != me.id)
                .order_by(Agent.role.desc(), Agent.id)
            ).first()
            if approver is None:
                continue
            at = later(timedelta(minutes=rng.randint(5, 60)))
            actions.approve(session, load_policies(), action, _agent_actor(approver), at)
        reference = f"SF{rng.randint(10**11, 10**12 - 1)}" if action.kind in ("reissue", "exchange") else None
        actions.execute(
            session, action, ActionExecute(reference=reference), me, later(timedelta(hours=rng.uniform(0.5, 8)))
        )


# The open tickets' actions cycle through the states a team sees on a normal day.
OPEN_ACTION_STATES = ("requested", "approved", "requested", "rejected", "declined", "requested")


def _demo_open_action(
    session: Session,
    ticket: Ticket,
    me: Actor,
    supervisor: Agent,
    rng: random.Random,
    later: Callable[[timedelta], datetime],
) -> None:
    """An action still under way: waiting for approval, approved but not carried out, rejected by the
    supervisor, or proposed and declined by the customer — through the same services the pages call."""
    from aftersales.actions import service as actions
    from aftersales.actions.policy import load_policies
    from aftersales.actions.schemas import ActionCreate

    state = OPEN_ACTION_STATES[ticket.id % len(OPEN_ACTION_STATES)]
    if state in ("requested", "rejected"):  # above the agent's ¥200 limit: a supervisor decides
        body = {"kind": "compensation", "compensation_type": "amount", "amount": rng.choice(("260.00", "300.00"))}
        note = "客户情绪激动，申请超出权限的补偿"
    else:
        body = {"kind": "reissue"}
        note = None
    try:
        action = actions.request_action(
            session,
            load_policies(),
            ticket,
            ActionCreate.model_validate({**body, "note": note}),
            me,
            later(timedelta(minutes=rng.randint(5, 40))),
        )
    except actions.PolicyRefused:
        return
    if state == "rejected" and action.status == "requested":
        reason = "补偿金额超出同类问题标准，建议先补发并赠送优惠券"
        actions.reject(session, action, reason, _agent_actor(supervisor), later(timedelta(minutes=rng.randint(10, 90))))
    elif state == "declined" and action.status == "approved":
        actions.respond_for_customer(
            session,
            action,
            ticket.customer_id,
            False,
            "不想再等补发了，希望直接退款",
            later(timedelta(hours=rng.uniform(0.5, 4))),
        )


def _demo_callbacks_and_surveys(database: Database, now: datetime, rng: random.Random) -> None:
    """Run the event handlers (callbacks scheduled, surveys sent), then let some customers answer."""
    from aftersales.events.dispatcher import Dispatcher
    from aftersales.kit.clock import FrozenClock
    from aftersales.kit.settings import Settings
    from aftersales.surveys import service as surveys
    from aftersales.surveys.models import CallbackTask, Survey

    # No outbound channels for the demo: customer messages stay queued, agents' inbox items are readable.
    settings = Settings(database_url=database.url, smtp_host=None, sms_gateway_url=None)
    dispatcher = Dispatcher(database, FrozenClock(now), settings, channels={})
    try:
        dispatcher.run_until_idle()
        with database.transaction() as session:
            # Customers answer the survey whether or not the callback has happened yet.
            tasks = list(
                session.scalars(select(CallbackTask).where(CallbackTask.kind == "follow_up").order_by(CallbackTask.id))
            )
            low_left = 2
            for task in tasks:
                survey = session.get(Survey, task.survey_id) if task.survey_id else None
                if survey is None or rng.random() < (0.25 if task.status == "done" else 0.45):
                    continue  # some customers never answer
                low = low_left > 0 and rng.random() < 0.2
                low_left -= low
                scores = (2, 3, 2) if low else (rng.choice((4, 5, 5)), 5, rng.choice((4, 5)))
                surveys.answer(
                    session,
                    survey,
                    speed=scores[0],
                    attitude=scores[1],
                    result=scores[2],
                    nps=3 if low else rng.choice((8, 9, 10)),
                    comment=(rng.choice(LOW_SURVEY_COMMENTS) if low else rng.choice(SURVEY_COMMENTS)) or None,
                    threshold=settings.survey_low_csat_threshold,
                    now=_answered_at(session, task, now, rng),
                )
        dispatcher.run_until_idle()
    finally:
        dispatcher.close()


def _answered_at(session: Session, task: Any, now: datetime, rng: random.Random) -> datetime:
    """Customers answer within a day or two of the resolution, so the CSAT and NPS trends spread over weeks."""
    ticket = session.get(Ticket, task.ticket_id)
    resolved = ticket.resolved_at if ticket is not None and ticket.resolved_at is not None else now
    return min(resolved + timedelta(hours=rng.uniform(2, 40)), now - timedelta(minutes=10)).replace(microsecond=0)


def _load_knowledge(database: Database, pack: str, now: datetime) -> None:
    """The pack's starter knowledge base for the assistant, when the package ships one."""
    from aftersales.assistant.knowledge import EntryError
    from aftersales.assistant.knowledge import load_pack as load_knowledge
    from aftersales.kb.service import import_entries

    try:
        entries = load_knowledge(pack)
    except EntryError:
        return
    with database.transaction() as session:
        import_entries(session, entries, Actor(type="system", name="demo"), now, source=pack)
