"""ASGI entry point for uvicorn/gunicorn: `uvicorn aftersales.asgi:app`."""

import sys

from aftersales.app import create_app
from aftersales.kit.logging import configure_logging
from aftersales.kit.settings import get_settings

settings = get_settings()
configure_logging(settings.log_level)
# The intake writer thread (tickets/intake.py) waits on the database between statements. With Python's default
# 5 ms switch interval it then waits up to 5 ms more for the GIL while the event loop thread parses and answers
# requests, and a batch's dozen round trips add up. A shorter interval lets it take the GIL back sooner
# (benchmarks/intake.py on PostgreSQL, same hour: 150 tickets/s at 5 ms, 228 at 0.5 ms; README).
sys.setswitchinterval(settings.gil_switch_interval_ms / 1000)
app = create_app()
