"""Knowledge base: versioned changes, validation naming the field, CSV/YAML import and export, starter packs."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from aftersales.assistant.evaluate import demo_catalogue
from aftersales.assistant.knowledge import (
    EntryError,
    entry_from_mapping,
    load_pack,
    parse_pack,
    render_answer,
    shipped_packs,
)
from aftersales.kb import service as kb
from aftersales.kb.models import KbEntryVersion
from aftersales.kit.outbox import OutboxEvent

API = "/api/v1"
BODY = {
    "key": "invoice-paper",
    "intent": "invoice",
    "questions": ["能开纸质发票吗", "纸质发票怎么开"],
    "answer": "纸质发票请联系客服申请。",
}


def test_every_change_is_a_new_version(client, supervisor, database):
    h = supervisor[1]
    created = client.post(f"{API}/kb/entries", headers=h, json=BODY)
    assert created.status_code == 201, created.text
    entry_id = created.json()["id"]
    same = client.put(f"{API}/kb/entries/{entry_id}", headers=h, json=BODY)
    assert same.json()["version"] == 1  # nothing changed, no version
    changed = client.put(f"{API}/kb/entries/{entry_id}", headers=h, json={**BODY, "answer": "纸质发票随货寄出。"})
    assert changed.json()["version"] == 2
    retired = client.delete(f"{API}/kb/entries/{entry_id}", headers=h)
    assert (retired.json()["version"], retired.json()["active"]) == (3, False)
    assert client.delete(f"{API}/kb/entries/{entry_id}", headers=h).status_code == 409
    assert client.get(f"{API}/kb/entries", headers=h).json() == []
    restored = client.put(f"{API}/kb/entries/{entry_id}", headers=h, json=BODY)
    assert (restored.json()["version"], restored.json()["active"]) == (4, True)
    versions = client.get(f"{API}/kb/entries/{entry_id}/versions", headers=h).json()
    assert [(v["version"], v["change"]) for v in versions] == [
        (1, "created"),
        (2, "updated"),
        (3, "retired"),
        (4, "restored"),
    ]
    assert versions[1]["snapshot"]["answer"] == "纸质发票随货寄出。"
    assert versions[0]["changed_by"].startswith("agent:")
    with database.transaction() as session:
        topics = session.scalars(select(OutboxEvent.topic).where(OutboxEvent.aggregate_type == "kb_entry")).all()
        assert topics == ["kb.entry_created", "kb.entry_updated", "kb.entry_retired", "kb.entry_restored"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"answer": "保质期{shelf_life_days}天"}, "answer"),  # a placeholder not listed in uses_facts
        ({"category": "no_such_category"}, "category"),
        ({"valid_from": "2026-12-01", "valid_to": "2026-11-01"}, "valid_to"),
        ({"key": "Bad Key"}, "key"),
        ({"questions": []}, "questions"),
        ({"uses_facts": ["colour"]}, "uses_facts.0"),
    ],
)
def test_bad_entries_are_refused_naming_the_field(client, supervisor, database, change, field):
    response = client.post(f"{API}/kb/entries", headers=supervisor[1], json={**BODY, **change})
    assert response.status_code == 422, response.text
    assert response.json()["error"]["field"] == field
    with database.transaction() as session:
        assert session.scalar(select(func.count(KbEntryVersion.id))) == 0


def test_duplicate_key_is_a_conflict(client, supervisor):
    assert client.post(f"{API}/kb/entries", headers=supervisor[1], json=BODY).status_code == 201
    again = client.post(f"{API}/kb/entries", headers=supervisor[1], json=BODY)
    assert again.status_code == 409 and again.json()["error"]["field"] == "key"


def test_csv_and_yaml_round_trip(mini_entries):
    csv_text = kb.export_csv(mini_entries)
    assert kb.parse_csv(csv_text) == (mini_entries, [])
    assert kb.parse_yaml(kb.export_yaml(mini_entries)) == mini_entries


def test_csv_import_reports_bad_rows_by_line():
    text = "key,intent,questions,answer\nok-one,invoice,怎么开发票|发票,在订单页申请\nBAD KEY,invoice,问,答\n"
    good, errors = kb.parse_csv(text)
    assert [e.key for e in good] == ["ok-one"] and good[0].questions == ("怎么开发票", "发票")
    assert errors == ["line 3: key: key must be a lower-case slug (letters, digits, - _ .), 2-120 characters"]


def test_import_updates_by_key_and_skips_unchanged(database, clock, mini_entries):
    from aftersales.kit.actor import Actor

    actor = Actor(type="system", name="test")
    with database.transaction() as session:
        first = kb.import_entries(session, mini_entries, actor, clock.now(), source="mini")
    assert len(first.created) == len(mini_entries)
    changed = entry_from_mapping({**kb.entry_to_mapping(mini_entries[1]), "answer": "开封后冷藏，12小时内喝完。"})
    with database.transaction() as session:
        second = kb.import_entries(session, [changed, *mini_entries[2:]], actor, clock.now(), source="mini")
    assert (second.created, second.updated) == ([], [changed.key])
    assert len(second.unchanged) == len(mini_entries) - 2


def test_cli_import_and_export(tmp_path, db_url, monkeypatch, mini_entries):
    from aftersales.cli import app
    from aftersales.kit.settings import get_settings

    monkeypatch.setenv("AFTERSALES_DATABASE_URL", db_url)
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        source = tmp_path / "kb.csv"
        source.write_text(kb.export_csv(mini_entries), encoding="utf-8")
        imported = runner.invoke(app, ["kb", "import", str(source)])
        assert imported.exit_code == 0, imported.output
        assert f"{len(mini_entries)} created" in imported.output
        again = runner.invoke(app, ["kb", "import", str(source)])
        assert f"{len(mini_entries)} unchanged" in again.output
        out = tmp_path / "out.yaml"
        exported = runner.invoke(app, ["kb", "export", "--format", "yaml", "-o", str(out)])
        assert exported.exit_code == 0, exported.output
        assert sorted(e.key for e in parse_pack(out.read_text("utf-8"), "out")[1]) == sorted(
            e.key for e in mini_entries
        )
        bad = tmp_path / "bad.csv"
        bad.write_text("key,intent,questions,answer\nBAD KEY,x,y,z\n", encoding="utf-8")
        refused = runner.invoke(app, ["kb", "import", str(bad)])
        assert refused.exit_code == 1
    finally:
        get_settings.cache_clear()


def test_pack_parser_refuses_duplicate_keys_and_stray_placeholders():
    text = Path(__file__).with_name("fixtures").joinpath("mini.yaml").read_text("utf-8")
    duplicated = text + "\n  - key: invoice\n    intent: invoice\n    questions: [发票]\n    answer: 有\n"
    with pytest.raises(EntryError) as err:
        parse_pack(duplicated, "dup")
    assert "duplicate key" in str(err.value)
    with pytest.raises(EntryError) as err:
        entry_from_mapping({"key": "x1", "intent": "a_b", "questions": ["q"], "answer": "{care}"})
    assert err.value.field == "answer"


def test_answer_lists_each_product_in_scope_when_none_is_named(mini_entries):
    from aftersales.assistant.knowledge import ProductFacts

    entry = next(e for e in mini_entries if e.key == "milk-shelf-life")
    catalogue = [
        ProductFacts("A", "鲜奶", "dairy", 7),
        ProductFacts("B", "酸奶", "dairy", 21),
        ProductFacts("C", "围巾", "cashmere", None),
    ]
    rendered = render_answer(entry, None, catalogue)
    assert (
        rendered.text is not None and "【鲜奶】保质期为7天" in rendered.text and "【酸奶】保质期为21天" in rendered.text
    )
    assert "围巾" not in rendered.text
    assert render_answer(entry, catalogue[1], catalogue).text == "保质期为21天，请在保质期内饮用。"


def test_shipped_packs_parse_when_present():
    from aftersales.assistant.knowledge import load_pack, shipped_packs

    for pack in shipped_packs():
        entries = load_pack(pack)
        assert len(entries) >= 60, pack
        assert all(len(e.questions) >= 3 for e in entries), pack


def test_eval_command_scores_a_pack(tmp_path):
    from aftersales.cli import app

    fixtures = Path(__file__).with_name("fixtures")
    result = CliRunner().invoke(app, ["assistant", "eval", "--packs-dir", str(fixtures), "--eval-dir", str(fixtures)])
    assert result.exit_code == 0, result.output
    assert "set v1 (eval/<pack>.jsonl)" in result.output and "set v2" not in result.output
    line = next(row for row in result.output.splitlines() if row.startswith("mini"))
    cells = line.split()
    assert cells[1:4] == ["10", "5", "100.0%"]  # entries, cases, accuracy
    assert cells[4] == "60.0%"  # coverage: the risk and the unknown question go to a person
    assert cells[5] == "1/1"


def test_eval_command_reports_a_second_set_on_its_own(tmp_path):
    from aftersales.cli import app

    fixtures = Path(__file__).with_name("fixtures")
    (tmp_path / "mini.jsonl").write_text((fixtures / "mini.jsonl").read_text("utf-8"), "utf-8")
    (tmp_path / "mini.v2.jsonl").write_text(
        '{"text": "能开增值税发票吗", "expected_key": "invoice", "expect_handoff": false, "risk": false}\n'
        '{"text": "怎么开发票", "expected_key": "membership", "expect_handoff": false, "risk": false}\n',
        "utf-8",
    )
    result = CliRunner().invoke(app, ["assistant", "eval", "--packs-dir", str(fixtures), "--eval-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    v1, v2 = result.output.split("set v2 (eval/<pack>.v2.jsonl)")
    assert next(r for r in v1.splitlines() if r.startswith("mini")).split()[1:4] == ["10", "5", "100.0%"]
    assert next(r for r in v2.splitlines() if r.startswith("mini")).split()[1:4] == ["10", "2", "50.0%"]


def test_dev_command_lists_each_row_and_cv_scores_the_knowledge_base():
    from aftersales.cli import app

    fixtures = Path(__file__).with_name("fixtures")
    dev = CliRunner().invoke(
        app, ["assistant", "dev", "--packs-dir", str(fixtures), "--dev-dir", str(fixtures), "--all-rows"]
    )
    assert dev.exit_code == 0, dev.output
    rows = [r for r in dev.output.splitlines() if r.startswith(("ok ", "BAD"))]
    assert len(rows) == 5 and all(r.startswith("ok ") for r in rows)  # the fixture's five cases, all right
    assert any("(risk)" in r and "got <risk>" in r for r in rows)
    cv = CliRunner().invoke(app, ["assistant", "cv", "--packs-dir", str(fixtures), "--folds", "3"])
    assert cv.exit_code == 0, cv.output
    cells = next(r for r in cv.output.splitlines() if r.startswith("mini")).split()
    # each of the 34 phrasings is asked once, but not the 3 of the promotion outside its dates
    assert cells[1:3] == ["10", "31"]


@pytest.mark.parametrize("pack", shipped_packs())
def test_no_shipped_fact_answer_doubles_the_day_unit(pack):
    catalogue = demo_catalogue(pack)
    rendered = [render_answer(e, None, catalogue).text for e in load_pack(pack) if "shelf_life_days" in e.uses_facts]
    if pack != "cashmere":  # garments have no shelf life
        assert rendered, "every food pack has shelf-life answers"
    for text in rendered:
        assert text is not None and "天天" not in text.replace("夏天天热", ""), text


def test_agreement_command_scores_both_labellings_and_checks_the_alignment(tmp_path):
    from aftersales.cli import app

    fixtures = Path(__file__).with_name("fixtures")
    (tmp_path / "mini.v3.jsonl").write_text(
        '{"text": "能开增值税发票吗", "expected_key": "invoice", "expect_handoff": false, "risk": false}\n'
        '{"text": "怎么开发票", "expected_key": "membership", "expect_handoff": false, "risk": false}\n',
        "utf-8",
    )
    (tmp_path / "second").mkdir()
    second = tmp_path / "second" / "mini.v3.jsonl"
    # the second annotator agrees on the first row and labels the second one the invoice entry too
    second.write_text(
        '{"id": 1, "expected_key": "invoice", "expect_handoff": false, "risk": false, "also_ok": []}\n'
        '{"id": 2, "expected_key": "invoice", "expect_handoff": false, "risk": false, "also_ok": []}\n',
        "utf-8",
    )
    args = ["assistant", "agreement", "--packs-dir", str(fixtures), "--eval-dir", str(tmp_path)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    cells = next(r for r in result.output.splitlines() if r.startswith("mini")).split()
    # rows, same label, same kind, overlap, kappa, accuracy under the first labels, under the second
    assert cells[1:4] == ["2", "50.0%", "100.0%"]
    assert cells[6:8] == ["50.0%", "100.0%"]
    assert "1/1" in result.output  # right on the one row where they agree
    second.write_text('{"id": 1, "expected_key": "invoice", "expect_handoff": false, "risk": false}\n', "utf-8")
    misaligned = CliRunner().invoke(app, args)
    assert misaligned.exit_code == 2 and "one row per case" in misaligned.output
    second.unlink()
    assert CliRunner().invoke(app, args).exit_code == 2  # no second labels anywhere


def test_the_shipped_second_labels_align_with_their_sets():
    from aftersales.assistant import evaluate as ev

    for set_name, packs in ev.eval_sets().items():
        for pack in packs:
            second = ev.second_labels(pack, set_name)
            if second is None:
                continue
            keys = {e.key for e in load_pack(pack)} | {None}
            assert len(second) == len(ev.load_cases(pack, None, set_name)), (pack, set_name)
            assert all(r["expected_key"] in keys and set(r.get("also_ok") or []) <= keys for r in second), pack
