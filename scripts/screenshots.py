"""Build a demo brand and save screenshots of the main pages into docs/screenshots/.

    python scripts/screenshots.py [--pack dairy] [--out docs/screenshots] [--lang zh]

Needs Chromium at /usr/bin/chromium (Debian package `chromium`, plus `fonts-wqy-microhei` for Chinese) and the
`playwright` Python package (test extras). Everything runs on a throw-away SQLite database in a temp folder.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-gpu"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pack", default="dairy")
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent.parent / "docs" / "screenshots")
    parser.add_argument("--lang", default="zh", choices=["zh", "en"])
    args = parser.parse_args()
    if not Path(CHROMIUM).exists():
        print(f"{CHROMIUM} is missing: apt-get install chromium fonts-wqy-microhei", file=sys.stderr)
        return 2

    from playwright.sync_api import sync_playwright

    from aftersales.actions.models import ResolutionAction
    from aftersales.app import create_app
    from aftersales.demo.generator import ADMIN_EMAIL, DEMO_DOMAIN, DEMO_PASSWORD, build_demo
    from aftersales.kit.db import Database
    from aftersales.kit.migrate import upgrade
    from aftersales.kit.settings import Settings
    from aftersales.sla.service import ensure_defaults
    from aftersales.tickets import repository as repo
    from aftersales.web.live_server import live_server

    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/demo.db"
        now = datetime.now(UTC)
        upgrade(url)
        database = Database(url)
        with database.transaction() as session:
            ensure_defaults(session, now)
        build_demo(database, args.pack, now, seed=7)
        settings = Settings(
            database_url=url,
            data_dir=Path(tmp),
            secret_key="screenshot-secret-key-0123456789",
            industry_pack=args.pack,
            sla_sweep_interval_seconds=0,
        )
        app = create_app(settings, database=database)
        with database.transaction() as session:
            rows, _ = repo.list_page(session, repo.TicketFilters(status=["in_progress"]), now, limit=50, cursor=None)
            # A ticket with an action still under way, so the actions card has something to show.
            pending = set(
                session.scalars(select(ResolutionAction.ticket_id).where(ResolutionAction.status != "executed"))
            )
            ticket = next(
                (t for t in rows if t.order_id and t.customer_id and t.id in pending),
                next((t for t in rows if t.order_id and t.customer_id), rows[0]),
            )
            ticket_id, customer_id = ticket.id, ticket.customer_id
            _example_rule_edit(session, app, now)
        token = app.state.signer.sign(ticket_id, customer_id)

        with live_server(app) as base, sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            desk = browser.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN")
            desk.add_cookies([{"name": "as_lang", "value": args.lang, "url": base}])
            page = desk.new_page()
            page.goto(f"{base}/login")
            page.fill("input[name=email]", f"zhang.wei@{DEMO_DOMAIN}")
            page.fill("input[name=password]", DEMO_PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_url("**/app/queue**")

            def shot(path: str, name: str, full: bool = False) -> None:
                page.goto(base + path)
                page.wait_for_load_state("networkidle")
                target = args.out / f"{name}.png"
                page.screenshot(path=str(target), full_page=full)
                print(f"saved {target} ({target.stat().st_size // 1024} KiB)")

            shot("/app/queue?view=open", "workspace")
            shot(f"/app/tickets/{ticket_id}", "ticket")
            shot("/app/dashboard", "dashboard", full=True)
            shot("/app/approvals", "approvals")
            shot("/app/callbacks", "callbacks")
            shot("/app/inbox", "inbox")
            page.context.clear_cookies()  # the rules are edited by an admin: log in again as one
            page.context.add_cookies([{"name": "as_lang", "value": args.lang, "url": base}])
            page.goto(f"{base}/login")
            page.fill("input[name=email]", ADMIN_EMAIL)
            page.fill("input[name=password]", DEMO_PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_url("**/app/queue**")
            shot("/app/admin/rules", "rules")
            phone = browser.new_context(
                viewport={"width": 390, "height": 844},
                device_scale_factor=2,
                is_mobile=True,
                has_touch=True,
                locale="zh-CN",
            )
            phone.add_cookies([{"name": "as_lang", "value": args.lang, "url": base}])
            page = phone.new_page()
            shot(f"/portal/t/{token}", "portal")
            shot("/portal/new", "portal-new")
            browser.close()
        database.dispose()
    return 0


def _example_rule_edit(session: Any, app: Any, now: datetime) -> None:
    """One edit a brand would make, through the triage rules service, so the rules page shows an overlay."""
    from aftersales.agents.models import Agent
    from aftersales.demo.generator import ADMIN_EMAIL
    from aftersales.kit.actor import Actor
    from aftersales.triage import service

    overlay = {
        "severity_rules": [
            {"id": "hospital_visit", "level": "L3", "any": ["急诊", "送医", "挂水"], "reason": "客户已就医，按严重处理"}
        ],
        "keywords": {"brand.category.quality": {"哈喇味": 3}},
    }
    agent = session.scalars(select(Agent).where(Agent.email == ADMIN_EMAIL)).one()
    admin = Actor(type="agent", id=agent.id, role=agent.role, name=agent.name)
    base = app.state.triage_rules.base
    service.save(
        session, base, overlay, base_version=0, change="新增就医关键词规则；新增关键词 哈喇味", actor=admin, now=now
    )


if __name__ == "__main__":
    os.environ.setdefault("AFTERSALES_LOG_LEVEL", "WARNING")
    raise SystemExit(main())
