"""ASGI entry point for uvicorn/gunicorn: `uvicorn aftersales.asgi:app`."""

from aftersales.app import create_app
from aftersales.kit.logging import configure_logging
from aftersales.kit.settings import get_settings

configure_logging(get_settings().log_level)
app = create_app()
