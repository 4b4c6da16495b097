"""Settings fail fast with a message naming the bad variable."""

import pytest
from pydantic import ValidationError

from aftersales.kit.settings import Settings


def test_unknown_database_scheme_is_refused(monkeypatch):
    monkeypatch.setenv("AFTERSALES_DATABASE_URL", "mysql://x@y/z")
    with pytest.raises(ValidationError, match="database_url"):
        Settings()


def test_short_secret_key_is_refused(monkeypatch):
    monkeypatch.setenv("AFTERSALES_SECRET_KEY", "short")
    with pytest.raises(ValidationError, match="at least 16"):
        Settings()


def test_secret_key_is_read_from_file(tmp_path, monkeypatch):
    key_file = tmp_path / "key"
    key_file.write_text("a-very-long-secret-key-from-a-file\n")
    monkeypatch.setenv("AFTERSALES_SECRET_KEY_FILE", str(key_file))
    assert Settings().resolved_secret_key() == "a-very-long-secret-key-from-a-file"


def test_plain_postgres_url_gets_the_psycopg_driver(monkeypatch):
    monkeypatch.setenv("AFTERSALES_DATABASE_URL", "postgresql://u@h/db")
    assert Settings().database_url == "postgresql+psycopg://u@h/db"
