"""`matrix lint`: what a valid matrix gets wrong in practice, each finding with a code and line."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from escalate_cli.core.errors import MatrixProblem
from escalate_cli.core.matrix.lint_checks import Found, coverage_findings, model_findings
from escalate_cli.core.matrix.matrix_refs import KeyPath, check_warnings, format_key
from escalate_cli.core.time import timing

# Every code and what it finds; docs/matrix-lint.md explains each (a test holds it to that).
CODES = {
    "L101": "a level has nobody available at some hours",
    "L102": "a level timer is longer than the SLA it races",
    "L103": "a contact has no way to be reached",
    "L104": "leave without a delegate leaves a level empty",
    "L105": "a contact is named nowhere",
    "L106": "a rotation is on no level",
    "L107": "a level is on no path",
    "L108": "a path is named by no trigger",
    "L109": "a trigger can never fire",
    "L110": "a keyword is so short or common it matches most cases",
    "L111": "a path's top has no external contacts and no repeat",
}
_KEYWORD_CODE = "L110"  # check_warnings says only this: a keyword too short

# A comment holding noqa, alone or with codes (`noqa: L101, L111` and why), on the line a
# finding points at silences it there: the reason stays next to what it excuses.
_NOQA = re.compile(r"#.*?\bnoqa\b(?::\s*(?P<codes>L\d+(?:[\s,]+L\d+)*))?", re.IGNORECASE)


@dataclass(frozen=True)
class Finding:
    """One lint finding: its code, where it is (file, line, key path) and what it says."""

    code: str
    file: str
    line: int | None
    key: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.code} {self.message}"

    def to_json(self) -> dict[str, Any]:
        # `path` is the key path under the name issue 15 asked for; `key` is validate's name.
        return {
            "code": self.code,
            "file": self.file,
            "line": self.line,
            "key": self.key,
            "path": self.key,
            "message": self.message,
        }


@dataclass(frozen=True)
class LintResult:
    """A matrix's problems (when invalid, lint stops there), findings and silenced findings."""

    problems: list[MatrixProblem]
    findings: list[Finding]
    silenced: int = 0


def lint_file(path: str | os.PathLike[str], start: date | datetime, weeks: int) -> LintResult:
    """Lint the matrix at `path`, walking availability for `weeks` weeks from midnight, in the
    matrix's zone, of the day `start` is (an instant: the day it falls on in that zone)."""
    from escalate_cli.core.matrix import loader

    filename = os.fspath(path)
    problems, _ = loader.check_file(filename)
    if problems:
        return LintResult(problems, [])
    # Valid, so reading again cannot fail; the private helpers are how validate finds lines.
    text = loader._read(filename)
    model = loader.load_matrix_text(text, filename)
    data, lines, _ = loader._parse(text)
    data, short = loader._normalise(data)

    def located(code: str, where: KeyPath, message: str) -> Finding:
        path = loader._user_path(loader._keyed(where, data), short)
        return Finding(code, filename, loader._line_of(path, lines), format_key(path), message)

    found: list[Found] = [(_KEYWORD_CODE, where, said) for where, said in check_warnings(data)]
    found += model_findings(model, data)
    first_day = (
        timing.local_wall(start, model.timezone).date() if isinstance(start, datetime) else start
    )
    found += coverage_findings(model, first_day, weeks)
    findings = [located(*item) for item in found]
    written = text.splitlines()
    kept = [finding for finding in findings if not _silenced(finding, written)]
    kept.sort(key=lambda finding: (finding.line or 0, finding.code))
    return LintResult([], kept, len(findings) - len(kept))


def _silenced(finding: Finding, lines: list[str]) -> bool:
    if finding.line is None or finding.line > len(lines):
        return False
    match = _NOQA.search(lines[finding.line - 1])
    if match is None:
        return False
    codes = match["codes"]
    return codes is None or finding.code in re.split(r"[\s,]+", codes.upper())
