"""Every matrix in matrices/ loads cleanly and shows off the parts of the format it should."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from escalate_cli.core.matrix.loader import load_matrix, validate_file
from escalate_cli.core.matrix.model import Matrix

MATRICES = Path(__file__).resolve().parents[2] / "matrices"
BUNDLED = sorted(MATRICES.glob("*.yaml"))


def test_the_three_examples_are_there() -> None:
    assert [path.name for path in BUNDLED] == ["incident.yaml", "project.yaml", "support.yaml"]


@pytest.mark.parametrize("path", BUNDLED, ids=[path.stem for path in BUNDLED])
def test_bundled_matrix_is_valid(path: Path) -> None:
    assert validate_file(path) == []
    matrix = load_matrix(path)
    assert matrix.version == 1 and matrix.name


@pytest.mark.parametrize("path", BUNDLED, ids=[path.stem for path in BUNDLED])
def test_bundled_matrix_exercises_the_format(path: Path) -> None:
    matrix = load_matrix(path)
    contacts = matrix.contacts
    assert any(contact.hours for contact in contacts), "someone keeps office hours"
    assert any(away.delegate for contact in contacts for away in contact.away), "leave, covered"
    assert any(contact.external for contact in contacts), "an outside party"
    assert matrix.rotations and all(rotation.members for rotation in matrix.rotations)
    assert any(c.startswith("rotation:") for level in matrix.levels for c in level.contacts)
    paths = matrix.paths.values()
    assert any(p.also_notify for p in paths) and any(p.external for p in paths)
    assert any(p.agreement == "required" for p in paths)
    assert all(s.ack and s.resolve for s in matrix.severities)
    assert any(s.start for s in matrix.severities) and any(s.notify for s in matrix.severities)
    assert len(matrix.triggers) >= 5
    assert {t.then.kind for t in matrix.triggers} >= {"escalate", "jump", "path", "notify"}
    assert matrix.default_severity_id in matrix.severities_by_id


@pytest.mark.parametrize("path", BUNDLED, ids=[path.stem for path in BUNDLED])
def test_bundled_matrix_is_commented_for_its_readers(path: Path) -> None:
    lines = path.read_text(encoding="utf-8").splitlines()
    comments = [line for line in lines if line.lstrip().startswith("#")]
    assert len(comments) >= 20
    for section in ("contacts:", "rotations:", "levels:", "paths:", "severities:", "triggers:"):
        at = lines.index(section)
        assert lines[at - 1].startswith("#"), f"{section} has no comment above it"


def levels_of(matrix: Matrix, path: str) -> list[str]:
    return list(matrix.all_paths[path].levels)


def test_support_matrix_follows_the_spec_excerpt() -> None:
    matrix = load_matrix(MATRICES / "support.yaml")
    assert matrix.case_prefix == "ESC"
    assert str(matrix.timezone) == "Europe/London"
    assert set(matrix.levels_by_id) == {"L1", "L2", "L3", "L4", "FIN", "SEC", "CISO", "LEGAL"}
    assert list(matrix.paths) == ["default", "billing", "security", "legal"]
    assert levels_of(matrix, "default") == ["L1", "L2", "L3", "L4"]
    assert levels_of(matrix, "billing") == ["L1", "L2", "FIN", "L4"]
    security = matrix.paths["security"]
    assert security.levels == ("L2", "SEC", "CISO")
    assert security.also_notify == ("legal",) and security.agreement == "required"
    assert matrix.paths["legal"].external == ("regulator",)
    assert [s.id for s in matrix.severities] == ["sev1", "sev2", "sev3", "sev4"]
    assert matrix.severities_by_id["sev1"].start == "L2"
    assert matrix.default_severity == "sev3" and matrix.skip_unavailable
    assert matrix.contacts_by_id["dana"].away[0].delegate == "eli"
    assert matrix.levels_by_id["L2"].contacts == ("sam", "tia")
    assert matrix.levels_by_id["L1"].min_time == timedelta(minutes=30)
    triggers = {t.id: t for t in matrix.triggers}
    assert triggers["legal-threat"].then.target == "legal"
    assert triggers["reopened-twice"].when.reopened == 2


def test_incident_matrix_pages_fast() -> None:
    matrix = load_matrix(MATRICES / "incident.yaml")
    assert matrix.case_prefix == "INC"
    assert [s.id for s in matrix.severities] == ["SEV-1", "SEV-2", "SEV-3", "SEV-4"]
    assert {"IC", "COMMS", "EXEC"} <= set(matrix.levels_by_id)
    assert matrix.severities_by_id["SEV-1"].start == "IC"
    assert all(level.ack and level.ack <= timedelta(minutes=30) for level in matrix.levels)
    assert len(matrix.rotations_by_id["primary-oncall"].members) >= 3


def test_project_matrix_moves_in_days_and_takes_two_to_dispute() -> None:
    matrix = load_matrix(MATRICES / "project.yaml")
    labels = {level.id: (level.name or "").lower() for level in matrix.levels}
    assert "project manager" in labels["PM"] and "sponsor" in labels["SPONSOR"]
    assert "steering committee" in labels["STEERING"]
    timers = [t for level in matrix.levels for t in (level.ack, level.after) if t]
    assert timers and all(timer >= timedelta(days=1) for timer in timers)
    dispute = matrix.paths["dispute"]
    assert dispute.agreement == "required"
    assert levels_of(matrix, "dispute") == ["PM", "SPONSOR", "STEERING"]
