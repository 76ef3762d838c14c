"""The package's layout, read from its files and imports: command modules share helpers only
through cli/_app.py, never through each other; core/ is grouped into sub-packages and imports no
CLI."""

import ast
from pathlib import Path

import escalate_cli

PACKAGE = Path(escalate_cli.__file__).parent
CLI = PACKAGE / "cli"

# cli modules that are no command group: the root app and its plumbing.
CLI_PLUMBING = {"__init__", "_app", "help"}

# A command group split over several files registers its parts' commands, or shows its output
# through a view module of its own; nothing else may import them.
GROUP_PARTS = {"matrix": {"matrix_io", "matrix_more"}, "cases": {"list_view"}}


def imported_modules(path: Path) -> set[str]:
    """Every module `path` imports, at the top or inside a function, as dotted names;
    `from package import module` counts as `package.module`."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def cli_modules_imported(path: Path) -> set[str]:
    """The escalate_cli.cli modules `path` imports, by their short names."""
    prefix = "escalate_cli.cli."
    named = {
        name.removeprefix(prefix).split(".")[0]
        for name in imported_modules(path)
        if name.startswith(prefix)
    }
    return named & {module.stem for module in CLI.glob("*.py")}


def test_command_modules_share_helpers_only_through_app() -> None:
    wrong = {}
    for path in sorted(CLI.glob("*.py")):
        if path.stem in CLI_PLUMBING:
            continue
        allowed = {"_app"} | GROUP_PARTS.get(path.stem, set())
        extra = cli_modules_imported(path) - allowed
        if extra:
            wrong[path.name] = sorted(extra)
    assert wrong == {}


def test_the_layout_test_sees_imports_between_command_modules(tmp_path: Path) -> None:
    module = tmp_path / "steps.py"
    module.write_text(
        "from escalate_cli.cli._app import settings\n"
        "def gather():\n"
        "    from escalate_cli.cli.routing import By\n"
        "    from escalate_cli.cli import cases\n",
        encoding="utf-8",
    )
    assert cli_modules_imported(module) == {"_app", "routing", "cases"}


CORE = PACKAGE / "core"

# core/'s own modules: the unit of work and the sweep (both span the store, the matrix and the
# outbox), the errors every part raises, where the settings and files are, and the bases that
# give dataclasses their repr, == and hash (time/ uses them too).
CORE_FLAT = {"__init__", "session", "sweeping", "errors", "config", "locations", "values"}


def folders(parent: Path) -> list[Path]:
    return [path for path in parent.iterdir() if path.is_dir() and path.name != "__pycache__"]


def test_core_is_grouped_into_sub_packages_one_level_deep() -> None:
    assert {path.stem for path in CORE.glob("*.py")} == CORE_FLAT
    for package in folders(CORE):
        assert (package / "__init__.py").is_file(), package.name
        assert folders(package) == [], package.name


def test_core_and_its_store_import_neither_the_cli_nor_its_output() -> None:
    for path in sorted(CORE.rglob("*.py")):
        wrong = {
            name
            for name in imported_modules(path)
            if name.startswith(("escalate_cli.cli", "escalate_cli.output", "typer", "rich"))
        }
        assert wrong == set(), path.relative_to(PACKAGE)
