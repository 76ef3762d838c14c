"""`escalate matrix export` and `escalate matrix import` through the CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, Cli

# Neither command reads the store: the JSON one is enough.
pytestmark = pytest.mark.json_store

SUPPORT = str(ROOT / "escalate_cli" / "matrices" / "support.yaml")


def test_export_prints_the_document_and_warns_on_stderr(cli: Cli) -> None:
    result = cli("matrix", "export", SUPPORT, "--to", "pagerduty")
    document = json.loads(result.stdout)
    assert [p["id"] for p in document["escalation_policies"]] == [
        "default",
        "billing",
        "security",
        "legal",
    ]
    lines = result.stderr.splitlines()
    assert "warning: trigger legal-threat: triggers have no equivalent" in lines
    assert "warning: severity sev1: SLAs (ack 15m, resolve 4h) have no equivalent" in lines
    warned = [line for line in lines if line.startswith("warning: ")]
    assert lines[-1] == f"exported for pagerduty; {len(warned)} warnings (no equivalent there)"


def test_export_to_a_file_with_json_reports_the_warnings(cli: Cli, tmp_path: Path) -> None:
    target = tmp_path / "support.tf"
    report = cli.json("matrix", "export", SUPPORT, "--to", "terraform-pagerduty", "-o", str(target))
    assert report["file"] == str(target)
    assert "tiers: no equivalent" in report["warnings"]
    hcl = target.read_text()
    assert 'resource "pagerduty_escalation_policy" "billing" {' in hcl
    assert 'resource "pagerduty_schedule" "product-oncall" {' in hcl


def test_export_opsgenie_and_a_severity(cli: Cli) -> None:
    document = json.loads(
        cli("matrix", "export", SUPPORT, "--to", "opsgenie", "--severity", "sev1").stdout
    )
    default = document["escalations"][0]
    assert default["rules"][0]["recipient"] == {"type": "user", "username": "sam@acme.example"}


def test_export_errors(cli: Cli, tmp_path: Path) -> None:
    cli("matrix", "export", SUPPORT, "--to", "jira", code=2)
    result = cli("matrix", "export", SUPPORT, "--severity", "sev9", code=3)
    assert "unknown severity" in result.stderr
    broken = tmp_path / "broken.yaml"
    broken.write_text("version: 1\nlevels: []\n")
    cli("matrix", "export", str(broken), code=4)


def test_import_gives_a_matrix_that_validates(cli: Cli, tmp_path: Path) -> None:
    exported = tmp_path / "support.pd.json"
    cli("matrix", "export", SUPPORT, "-o", str(exported))
    matrix = tmp_path / "escalation.yaml"
    result = cli("matrix", "import", "--from", "pagerduty", str(exported), "-o", str(matrix))
    assert result.stdout == ""
    assert result.stderr.startswith(f"imported from pagerduty to {matrix}; 0 warnings")
    checked = cli.json("matrix", "validate", str(matrix))
    assert checked["valid"] is True
    # PagerDuty has no ladder across policies: any order every policy keeps will do.
    shown = cli.json("matrix", "show", str(matrix))
    order = [level["id"] for level in shown["levels"]]
    assert order == ["L1", "L2", "L3", "FIN", "L4", "SEC", "CISO", "LEGAL"]
    assert {name: path["levels"] for name, path in shown["paths"].items()}["billing"] == [
        "L1",
        "L2",
        "FIN",
        "L4",
    ]


def test_import_to_stdout_and_its_errors(cli: Cli, tmp_path: Path) -> None:
    exported = tmp_path / "pd.json"
    cli("matrix", "export", SUPPORT, "-o", str(exported))
    assert cli("matrix", "import", "--from", "pagerduty", str(exported)).stdout.startswith(
        "# Imported from PagerDuty"
    )
    junk = tmp_path / "junk.json"
    junk.write_text("{")
    assert "not JSON" in cli("matrix", "import", "--from", "pagerduty", str(junk), code=2).stderr
    missing = str(tmp_path / "missing.json")
    assert "cannot read" in cli("matrix", "import", "--from", "pagerduty", missing, code=2).stderr
    cli("matrix", "import", str(exported), code=2)  # --from is required


def test_export_piped_into_import_in_real_processes(tmp_path: Path) -> None:
    escalate = str(Path(sys.executable).with_name("escalate"))
    script = (
        f'"{escalate}" matrix export "{SUPPORT}" 2>/dev/null'
        f' | "{escalate}" matrix import --from pagerduty /dev/stdin -o escalation.yaml'
        f' && "{escalate}" matrix validate escalation.yaml'
    )
    done = subprocess.run(
        ["sh", "-c", script], capture_output=True, text=True, timeout=60, cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("escalation.yaml: valid (8 levels, 17 contacts, 1 rotation")
