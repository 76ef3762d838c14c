"""Start-up cost: a command imports and converts only the CLI module that defines it."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from escalate_cli import cli
from escalate_cli.cli import COMMAND_MODULES, load_commands
from tests.conftest import BASIC_MATRIX, FIXED_NOW, Cli, run_python

# Runs the app in a fresh interpreter (this one has imported every CLI module already) and
# prints, last, the modules it imported that `kept` (an expression of `name`) keeps.
PROBE = """
import sys
from escalate_cli.cli import app
try:
    app(sys.argv[1:])
except SystemExit as done:
    assert not done.code, done.code
print(" ".join(sorted(name for name in sys.modules if {kept})))
"""


def modules_loaded_by(kept: str, *args: str) -> set[str]:
    done = run_python(PROBE.format(kept=kept), *args)
    assert done.returncode == 0, done.stderr
    return set(done.stdout.splitlines()[-1].split())


def cli_modules_loaded_by(*args: str) -> set[str]:
    return modules_loaded_by('name.startswith("escalate_cli.cli.")', *args)


def test_open_loads_the_case_commands_alone() -> None:
    loaded = cli_modules_loaded_by("open", "Printer on fire", "-q")
    assert loaded == {"escalate_cli.cli._app", "escalate_cli.cli.cases"}


def test_show_loads_the_case_views_alone(cli: Cli) -> None:
    # open's and list's options, built as their module is imported, cost ~0.5 ms.
    opened = cli("open", "Printer on fire", "-q").stdout.strip()
    loaded = cli_modules_loaded_by("show", opened)
    assert loaded == {"escalate_cli.cli._app", "escalate_cli.cli.case_views"}


def test_version_loads_no_command_module() -> None:
    assert cli_modules_loaded_by("--version") == {"escalate_cli.cli._app"}


@pytest.mark.parametrize("module", COMMAND_MODULES)
def test_the_command_table_lists_what_each_module_registers(module: str) -> None:
    assert tuple(load_commands(module)) == COMMAND_MODULES[module]


@pytest.mark.parametrize("module", COMMAND_MODULES)
def test_a_command_is_converted_without_the_other_commands_of_its_module(module: str) -> None:
    for name in COMMAND_MODULES[module]:
        found = load_commands(module, only=name)
        # Groups come along (identity.py has `config` beside `whoami`): few, and small.
        assert name in found and set(found) - {name} <= {"config"}
    assert list(load_commands("case_views", only="show")) == ["show"]


@pytest.mark.parametrize("module", ["__init__", *COMMAND_MODULES])
def test_command_modules_keep_annotations_as_objects(module: str) -> None:
    # Typer evals a string annotation again each time it converts a command: for the four case
    # commands that was about 10 ms of every `escalate open`. Quote TYPE_CHECKING names instead.
    source = (Path(cli.__file__).parent / f"{module}.py").read_text()
    assert "from __future__ import annotations" not in source


def test_list_imports_no_matrix_model_while_every_wake_holds(cli: Cli) -> None:
    # The wake key and the team come from the matrix cache's first line, and each case's due
    # time from its wake, overdue or not: the model, zoneinfo, pickle and the engine (~7 ms of
    # imports) stay unloaded. A sort by severity needs the matrix itself.
    cli("open", "Printer on fire", "-q")
    due = cli.json("list")[0]["next_due"]
    heavy = (
        'name in ("escalate_cli.core.matrix.model", "zoneinfo", "_pickle",'
        ' "escalate_cli.core.engine.routing")'
    )
    # The PostgreSQL store reads an overdue case whole, to be worked out.
    on_postgres = os.environ["ESCALATE_STORE"].startswith("postgres")
    for now in [FIXED_NOW] if on_postgres else [FIXED_NOW, due]:
        assert modules_loaded_by(heavy, "--now", now, "list") == set(), now
    by_severity = modules_loaded_by(heavy, "list", "--sort", "severity")
    assert "escalate_cli.core.matrix.model" in by_severity


def test_a_mistyped_command_still_gets_suggestions(cli: Cli) -> None:
    stderr = cli("opn", code=2).stderr
    assert (
        stderr
        == "error: No such command 'opn'. Did you mean 'open', 'reopen'? (see escalate --help)\n"
    )


# Runs the app in a fresh interpreter and prints, last, how many methods `@dataclass` wrote
# (each one compiled, class by class, as the command imports its modules: ~0.1 ms apiece on
# Python 3.11) and for which classes.
COUNT_GENERATED = """
import dataclasses, sys
written = []
process_class = dataclasses._process_class
def counted(cls, *args):
    made = process_class(cls, *args)
    for name, value in vars(made).items():
        code = getattr(value, "__code__", None)
        if code is not None and code.co_filename == "<string>":
            written.append(f"{made.__module__}.{made.__qualname__}.{name}")
    return made
dataclasses._process_class = counted
from escalate_cli.cli import app
try:
    app(sys.argv[1:])
except SystemExit as done:
    assert not done.code, done.code
print(" ".join(written))
"""


def generated_methods(*args: str) -> list[str]:
    done = run_python(COUNT_GENERATED, *args)
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()[-1].split()


def test_list_and_show_compile_few_dataclass_methods(cli: Cli) -> None:
    # The matrix's classes take repr, ==, hash and immutability from core.values.Value, other
    # frozen classes their repr and immutability from Frozen, the records their repr from
    # Record; small immutable records are NamedTuples. A @frozen or @record class's `__init__`
    # is written when the first one is made, and the matrix is unpickled without one. They were
    # 150 and 157, then 38 and 43.
    opened = cli("open", "Printer on fire", "-q").stdout.strip()  # the matrix cached, as usual
    listed = generated_methods("list")
    assert len(listed) <= 10, listed
    shown = generated_methods("show", opened)
    assert len(shown) <= 2, shown


def test_show_starts_no_openssl(cli: Cli) -> None:
    # hashlib starts OpenSSL (~3 ms); show lists attachments without hashing them.
    opened = cli("open", "Printer on fire", "-q").stdout.strip()
    assert modules_loaded_by('name == "hashlib"', "show", opened) == set()


def test_show_reads_the_team_without_the_matrix_model(cli: Cli) -> None:
    # Whose the case is comes from the first line of the matrix cache's entry; the model and
    # pickle (~12 ms of imports) are for the commands that work the case.
    opened = cli("open", "Printer on fire", "-q").stdout.strip()  # the matrix cached, as usual
    kept = 'name in ("escalate_cli.core.matrix.model", "pickle")'
    assert modules_loaded_by(kept, "show", opened) == set()


def test_show_reads_a_store_named_in_the_environment_without_the_config_module(cli: Cli) -> None:
    # $ESCALATE_STORE names the store: config.py (~0.9 ms of imports) is for the commands
    # that read the config file.
    opened = cli("open", "Printer on fire", "-q").stdout.strip()
    kept = 'name == "escalate_cli.core.config"'
    assert modules_loaded_by(kept, "show", opened) == set()


def test_show_tells_attachments_states_without_the_steps(cli: Cli) -> None:
    # Open actions and attachments are read from the case; the steps' own work, with its
    # classes and lifecycle, costs ~1.5 ms of imports.
    opened = cli("open", "Printer on fire", "-q").stdout.strip()
    kept = 'name in ("escalate_cli.core.cases.steps", "escalate_cli.core.cases.lifecycle")'
    assert modules_loaded_by(kept, "show", opened) == set()


@pytest.mark.skipif(sys.platform != "linux", reason="the XDG rule is worked out on Linux alone")
def test_list_and_show_find_the_default_cache_without_platformdirs(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # platformdirs costs ~5 ms of imports (tempfile, random); on Linux the cache's folder is
    # worked out by the XDG rule (core/locations.py), and the entry must be found there.
    monkeypatch.delenv("ESCALATE_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))
    opened = cli("open", "Printer on fire", "-q").stdout.strip()
    assert list((tmp_path / "xdg-cache" / "escalate").glob("matrix-*.pickle"))
    kept = 'name in ("platformdirs", "escalate_cli.core.matrix.model")'
    assert modules_loaded_by(kept, "list") == set()
    assert modules_loaded_by(kept, "show", opened) == set()


@pytest.mark.skipif(sys.platform != "linux", reason="the XDG rule is worked out on Linux alone")
def test_list_as_a_user_with_no_settings_in_the_environment_imports_no_platformdirs(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A user who ran `init` names nothing in the environment: the config, the store and the
    # matrix cache are found in their home's folders, and neither platformdirs nor tempfile
    # (~6.5 ms of imports together) is needed for that.
    for name in ("ESCALATE_STORE", "ESCALATE_MATRIX", "ESCALATE_CONFIG", "ESCALATE_CACHE_DIR"):
        monkeypatch.delenv(name)
    for name in ("XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    cli("init", "--matrix", str(BASIC_MATRIX))
    cli("open", "Printer on fire", "-q")
    assert (tmp_path / "home" / ".local" / "share" / "escalate" / "cases.json").is_file()
    assert modules_loaded_by('name in ("platformdirs", "tempfile")', "list") == set()
