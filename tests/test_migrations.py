"""The schema built by the migrations is the schema the models declare, on both databases."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

import aftersales.models  # noqa: F401
from aftersales.kit.db import Base
from aftersales.kit.migrate import include_object


def test_migrated_schema_matches_models(database):
    with database.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_object": include_object, "compare_type": True})
        diff = compare_metadata(context, Base.metadata)
    assert diff == []


def test_downgrade_then_upgrade_round_trips(db_url):
    from aftersales.kit.migrate import downgrade, upgrade

    downgrade(db_url, "base")
    upgrade(db_url)


def test_upgrade_creates_the_sqlite_folder_on_a_fresh_checkout(tmp_path):
    from aftersales.kit.migrate import upgrade

    target = tmp_path / "var" / "nested" / "aftersales.db"
    upgrade(f"sqlite:///{target}")
    assert target.exists()
