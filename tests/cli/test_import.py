"""Bulk intake (docs/working-cases.md): `escalate import FILE [--dry-run]` from CSV or JSON lines,
and `open --external-id` opening the same external id only once. On both stores, with
tests/data/basic.yaml.
"""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from escalate_cli.cli import app
from tests.conftest import Cli

CSV = """\
title,severity,customer,external_id,customer_contact
Printer on fire,sev2,Initech,ZD-1,it@initech.example
Toner leak,sev9,Initech,ZD-2,
Paper jam,,Acme,ZD-3,ops@acme.example; boss@acme.example
Printer on fire (again),sev2,Initech,ZD-1,
"""


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_import_opens_each_good_row_and_says_why_the_others_were_refused(
    cli: Cli, tmp_path: Path
) -> None:
    path = write(tmp_path, "tickets.csv", CSV)
    done = cli("import", path, "--no-notify", code=2)
    assert done.stdout == (
        "opened 2 cases (ESC-1 to ESC-2); 1 already there (same external id); 1 refused\n"
    )
    assert done.stderr.startswith('row 3: unknown severity "sev9"')
    assert done.stderr.count("\n") == 1
    first, second = cli.json("list")
    assert (first["title"], first["external_id"], first["customer"]["contacts"]) == (
        "Printer on fire",
        "ZD-1",
        ["it@initech.example"],
    )
    assert second["customer"]["contacts"] == ["ops@acme.example", "boss@acme.example"]
    again = cli.json("import", path, "--no-notify", code=2)
    assert again["opened"] == [] and [e["case"] for e in again["existing"]] == [
        "ESC-1",
        "ESC-2",
        "ESC-1",
    ]
    assert len(cli.json("list")) == 2


def test_a_dry_run_reports_the_same_and_saves_nothing(cli: Cli, tmp_path: Path) -> None:
    path = write(tmp_path, "tickets.csv", CSV)
    dry = cli.json("import", path, "--dry-run", code=2)
    assert dry["dry_run"] is True and [e["case"] for e in dry["opened"]] == ["ESC-1", "ESC-2"]
    assert cli.json("list") == []
    real = cli.json("import", path, "--no-notify", code=2)
    assert real["opened"] == dry["opened"] and real["refused"] == dry["refused"]


def test_json_lines_refuse_a_bad_record_and_open_the_rest(cli: Cli, tmp_path: Path) -> None:
    lines = [
        json.dumps({"title": "From JSON", "external_id": "ZD-9", "severity": "sev1"}),
        "[1]",
        json.dumps({"severity": "sev2"}),
        '{"title": "trailing comma",}',
        '{"title": ' + "[" * 100_000,
    ]
    report = cli.json("import", write(tmp_path, "t.jsonl", "\n".join(lines)), code=2)
    assert [e["case"] for e in report["opened"]] == ["ESC-1"]
    assert [(r["row"], r["error"]) for r in report["refused"]] == [
        (2, "not a JSON object"),
        (3, "a case needs a title"),
        (4, "not valid JSON (Expecting property name enclosed in double quotes, column 28)"),
        (5, "not valid JSON (nested too deeply)"),
    ]
    assert cli.json("show", "ESC-1")["severity"] == "sev1"


def test_a_file_that_cannot_be_imported_at_all_is_one_usage_line(cli: Cli, tmp_path: Path) -> None:
    for name, text, said in [
        ("a.csv", "name,severity\nx,sev1\n", "needs `title`"),
        ("b.csv", "title,colour\nx,red\n", "unknown column 'colour'"),
        ("c.csv", "", "no rows to import"),
        (
            "d.jsonl",
            '{"title": "x"}\n{"title": "y", " Colour ": "red"}\n',
            "row 2: unknown column 'Colour'",
        ),
        ("e.jsonl", '{"title": "x", "Title": "y"}\n', "row 1: column 'title' is named twice"),
    ]:
        failed = cli("import", write(tmp_path, name, text), code=2)
        assert failed.stdout == "" and failed.stderr.startswith("error: ")
        assert said in failed.stderr and failed.stderr.count("\n") == 1
    assert "cannot read it" in cli("import", str(tmp_path / "missing.csv"), code=2).stderr
    assert cli.json("list") == []


def test_json_keys_are_column_names_as_in_a_csv_header(cli: Cli, tmp_path: Path) -> None:
    line = json.dumps({" Title": "From JSON", "SEVERITY": "sev1"})
    report = cli.json("import", write(tmp_path, "t.jsonl", line), "--no-notify")
    assert [e["case"] for e in report["opened"]] == ["ESC-1"]
    assert cli.json("show", "ESC-1")["severity"] == "sev1"


def test_open_with_an_external_id_already_opened_gives_that_case(cli: Cli) -> None:
    first = cli.json("open", "Printer on fire", "--external-id", "ZD-1")
    again = cli("open", "Printer smoking", "--external-id", " ZD-1 ", "-q")
    assert again.stdout == "ESC-1\n"
    assert "ESC-1 has external id ZD-1 already" in again.stderr
    assert cli.json("open", "Other", "--external-id", "ZD-2")["id"] == "ESC-2"
    cli("resolve", "ESC-1", "--summary", "done")
    cli("close", "ESC-1")
    closed = cli.json("open", "Back", "--external-id", "ZD-1")  # closed, archived: still it
    assert (closed["id"], closed["status"], closed["created_at"]) == (
        "ESC-1",
        "closed",
        first["created_at"],
    )
    assert "printable" in cli("open", "x", "--external-id", "   ", code=2).stderr


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.text(max_size=200))
def test_any_file_is_imported_or_refused_in_one_line_never_a_traceback(
    cli: Cli, tmp_path: Path, text: str
) -> None:
    result = cli.runner.invoke(app, ["import", write(tmp_path, "junk.csv", text), "--dry-run"])
    assert result.exit_code in (0, 2), result.output
    assert "Traceback" not in result.stderr and "unexpected failure" not in result.stderr


def test_a_quote_never_closed_refuses_the_file_and_opens_nothing(cli: Cli, tmp_path: Path) -> None:
    for text in ('title,severity\n"bad,sev1\nok,sev2\n', 'title,severity\n"unterminated,sev3\n'):
        for dry in ([], ["--dry-run"]):
            failed = cli("import", write(tmp_path, "broken.csv", text), *dry, code=2)
            assert failed.stdout == ""
            assert failed.stderr.endswith(
                "broken.csv: row 2: a quote opened in this row is never closed (it runs to the"
                " end); nothing was imported\n"
            )
            assert failed.stderr.count("\n") == 1
    assert cli.json("list") == []


def test_a_misshapen_csv_row_is_refused_alone_and_the_rest_open(cli: Cli, tmp_path: Path) -> None:
    text = (
        "title,severity\n"
        "Printer, on fire,sev2\n"
        '"Closed too late,sev1\n'
        "Swallowed,sev2\n"
        'x",sev3\n'
        "Fine,sev2\n"
    )
    report = cli.json("import", write(tmp_path, "t.csv", text), "--no-notify", code=2)
    assert [(e["row"], e["case"]) for e in report["opened"]] == [(6, "ESC-1")]
    assert [(r["row"], r["error"]) for r in report["refused"]] == [
        (2, "3 values for 2 columns (quote a value with a comma)"),
        (3, "title spans lines (is a quote closed too late, swallowing rows?)"),
    ]
    assert [case["title"] for case in cli.json("list")] == ["Fine"]


def test_csv_column_names_ignore_case_and_surrounding_spaces(cli: Cli, tmp_path: Path) -> None:
    text = " Title ,SEVERITY, External_ID \nPrinter on fire,sev1,ZD-1\n"
    report = cli.json("import", write(tmp_path, "export.csv", text), "--no-notify")
    assert [(e["row"], e["external_id"]) for e in report["opened"]] == [(2, "ZD-1")]
    case = cli.json("show", "ESC-1")
    assert (case["title"], case["severity"]) == ("Printer on fire", "sev1")
    for header, said in [
        ("title,Title", "row 1: column 'title' is named twice"),
        ("title,,severity", "row 1: column 2 has no name"),
    ]:
        failed = cli("import", write(tmp_path, "bad.csv", f"{header}\nx,y,z\n"), code=2)
        assert failed.stderr.endswith(f"bad.csv: {said}\n")
    assert len(cli.json("list")) == 1


def test_a_json_value_that_is_not_a_string_refuses_its_row_naming_the_field(
    cli: Cli, tmp_path: Path
) -> None:
    lines = [
        {"title": 5},
        {"title": "Disk full", "severity": True},
        {"title": "Disk full", "customer": {"name": "Acme"}},
        {"title": "Disk full", "customer_contact": ["ops@acme.example"]},
        {"title": "Null is a value not given", "severity": None, "tier": None},
        {"title": None},
    ]
    text = "\n".join(json.dumps(line) for line in lines)
    report = cli.json("import", write(tmp_path, "t.jsonl", text), "--no-notify", code=2)
    assert [(r["row"], r["error"]) for r in report["refused"]] == [
        (1, "title must be a string, not a number"),
        (2, "severity must be a string, not true or false"),
        (3, "customer must be a string, not an object"),
        (4, "customer_contact must be a string, not a list"),
        (6, "a case needs a title"),
    ]
    assert [case["title"] for case in cli.json("list")] == ["Null is a value not given"]


def test_a_bad_value_is_reported_under_its_column_not_an_option_of_open(
    cli: Cli, tmp_path: Path
) -> None:
    text = (
        "title,customer_contact,external_id\n"
        "Printer on fire,it@initech.example; not-an-address,\n"
        'Printer on fire,,"ZD\t1"\n'
    )
    failed = cli("import", write(tmp_path, "t.csv", text), code=2)
    assert failed.stderr == (
        'row 2: customer_contact "not-an-address" is not an email address (use name@example.com)\n'
        "row 3: external_id 'ZD\\t1': expected up to 200 printable characters\n"
    )
    assert cli.json("list") == []
