"""Server-rendered pages: the agent workspace, the supervisor dashboard, admin pages and the customer portal.

Pages are thin: they call the same domain services and API handlers as the REST API, so a rule lives in one
place and a page can never allow what the API refuses.
"""

from __future__ import annotations

from fastapi import FastAPI


def install(app: FastAPI) -> None:
    """Mount the static files and every page router on the app."""
    from aftersales.web import admin, dashboard, knowledge, portal, resolution, views, webhooks
    from aftersales.web.render import install_rendering

    install_rendering(app)
    for router in (
        views.router,
        dashboard.router,
        admin.router,
        portal.router,
        resolution.router,
        webhooks.router,
        knowledge.router,
    ):
        app.include_router(router)
