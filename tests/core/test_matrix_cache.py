"""The matrix cache: served when the file is unchanged, rebuilt when anything differs."""

from __future__ import annotations

import dataclasses
import os
import pickle
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from escalate_cli.core.errors import MatrixError
from escalate_cli.core.matrix import loader as matrix
from escalate_cli.core.matrix import matrix_cache
from tests.conftest import BASIC_MATRIX


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    target = tmp_path / "escalation.yaml"
    target.write_text(BASIC_MATRIX.read_text())
    return target


def cached_name(path: Path) -> str | None:
    """The matrix's name as its cache entry's first line tells it; None: no usable entry."""
    head = matrix_cache.cached_head(path)
    return None if head is None else head.name


def counting_validator(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    calls: list[str] = []
    real = matrix.load_matrix_bytes

    def validate(raw: bytes, filename: str) -> object:
        calls.append(filename)
        return real(raw, filename)

    monkeypatch.setattr(matrix, "load_matrix_bytes", validate)
    return calls


def test_an_unchanged_file_is_validated_once(copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = counting_validator(monkeypatch)
    first = matrix_cache.load(copy)
    second = matrix_cache.load(copy)
    assert calls == [str(copy)]
    assert second == first
    assert second.levels_by_id["L2"].contacts == ("sam", "tia")


def test_an_edited_file_is_validated_again(copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = counting_validator(monkeypatch)
    matrix_cache.load(copy)
    stat = copy.stat()
    # Same size, same mtime: only the bytes tell the edit apart.
    copy.write_text(copy.read_text().replace("after: 4h", "after: 5h"))
    os.utime(copy, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    edited = matrix_cache.load(copy)
    assert len(calls) == 2
    assert edited.levels_by_id["L2"].after is not None
    assert edited.levels_by_id["L2"].after.total_seconds() == 5 * 3600


def test_an_entry_keeps_the_digest_of_the_matrix_it_holds(copy: Path) -> None:
    built = matrix_cache.load(copy)
    served = matrix_cache.load(copy)
    assert "digest" in vars(served)  # read from the entry: `list` never works it out
    assert served.digest == built.digest == matrix.load_matrix(copy).digest
    copy.write_text(copy.read_text().replace("after: 4h", "after: 5h"))
    assert matrix_cache.load(copy).digest != served.digest


def test_the_name_is_read_from_the_entry_of_the_file_as_it_is(copy: Path) -> None:
    assert cached_name(copy) is None  # nothing cached yet
    matrix_cache.load(copy)
    assert cached_name(copy) == "Test support"
    copy.write_text(copy.read_text().replace("name: Test support", "name: Renamed"))
    assert cached_name(copy) is None  # the entry is of the file before the edit
    assert matrix_cache.load(copy).name == "Renamed"
    assert cached_name(copy) == "Renamed"


def test_an_entry_without_the_name_line_is_rebuilt(copy: Path, tmp_path: Path) -> None:
    # As escalate wrote entries before the name had a line of its own: the pickle alone.
    matrix_cache.load(copy)
    (cached,) = (tmp_path / "cache").glob("matrix-*.pickle")
    _, _, pickled = cached.read_bytes().partition(b"\n")
    cached.write_bytes(pickled)
    assert cached_name(copy) is None
    assert matrix_cache.load(copy).name == "Test support"
    assert cached_name(copy) == "Test support"


def test_the_head_tells_the_name_and_digest_of_the_file_as_it_is(copy: Path) -> None:
    assert matrix_cache.cached_head(copy) is None  # nothing cached yet
    loaded = matrix_cache.load(copy)
    assert matrix_cache.cached_head(copy) == ("Test support", loaded.digest)
    copy.write_text(copy.read_text().replace("after: 4h", "after: 5h"))
    assert matrix_cache.cached_head(copy) is None  # the entry is of the file before the edit
    edited = matrix_cache.load(copy)
    assert matrix_cache.cached_head(copy) == ("Test support", edited.digest)
    assert edited.digest != loaded.digest


def test_an_entry_whose_head_tells_no_digest_is_rebuilt(copy: Path, tmp_path: Path) -> None:
    # As escalate wrote entries before the head held the digest: the name alone.
    loaded = matrix_cache.load(copy)
    (cached,) = (tmp_path / "cache").glob("matrix-*.pickle")
    head, _, pickled = cached.read_bytes().partition(b"\n")
    fingerprint = head.split(b" ", 1)[0]
    cached.write_bytes(b'%s "Test support"\n%s' % (fingerprint, pickled))
    assert matrix_cache.cached_head(copy) is None
    assert matrix_cache.load(copy) == loaded
    assert matrix_cache.cached_head(copy) == ("Test support", loaded.digest)


def test_an_invalid_matrix_is_never_cached(copy: Path, tmp_path: Path) -> None:
    copy.write_text("version: 1\nlevels: []\n")
    for _ in range(2):
        with pytest.raises(MatrixError):
            matrix_cache.load(copy)
    assert not list((tmp_path / "cache").glob("matrix-*.pickle"))


def test_a_missing_file_is_a_matrix_error(tmp_path: Path) -> None:
    with pytest.raises(MatrixError, match=r"nope\.yaml"):
        matrix_cache.load(tmp_path / "nope.yaml")


def test_a_damaged_cache_file_is_rebuilt(copy: Path, tmp_path: Path) -> None:
    matrix_cache.load(copy)
    (cached,) = (tmp_path / "cache").glob("matrix-*.pickle")
    cached.write_bytes(b"\x80\x05garbage")
    assert matrix_cache.load(copy).name == "Test support"
    assert cached.read_bytes() != b"\x80\x05garbage"


def test_an_entry_is_served_only_for_the_bytes_it_was_built_from(
    copy: Path, tmp_path: Path
) -> None:
    # Entries are named by a CRC, so two files may share a name: the content decides.
    original = copy.read_text()
    matrix_cache.load(copy)
    (first,) = (tmp_path / "cache").glob("matrix-*.pickle")
    copy.write_text(original.replace("Test support", "Other support"))
    matrix_cache.load(copy)
    (second,) = set((tmp_path / "cache").glob("matrix-*.pickle")) - {first}
    second.replace(first)
    copy.write_text(original)
    assert matrix_cache.load(copy).name == "Test support"


def test_an_unwritable_cache_still_gives_the_matrix(
    copy: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    monkeypatch.setenv("ESCALATE_CACHE_DIR", str(blocker / "cache"))
    assert matrix_cache.load(copy, os.environ).name == "Test support"


def test_old_entries_are_pruned(copy: Path, tmp_path: Path) -> None:
    for n in range(matrix_cache.KEEP + 3):
        copy.write_text(BASIC_MATRIX.read_text().replace("Test support", f"Test {n}"))
        matrix_cache.load(copy)
    assert len(list((tmp_path / "cache").glob("matrix-*.pickle"))) == matrix_cache.KEEP


def test_a_cache_hit_does_not_start_pydantic_yaml_or_openssl(copy: Path) -> None:
    program = (
        "import sys\n"
        "from escalate_cli.core.matrix import matrix_cache\n"
        f"m = matrix_cache.load({str(copy)!r})\n"
        "print(m.name, *(name in sys.modules for name in ('pydantic', 'yaml', 'hashlib')))\n"
    )
    run = [sys.executable, "-c", program]
    cold = subprocess.run(run, capture_output=True, text=True, check=True).stdout.split()
    warm = subprocess.run(run, capture_output=True, text=True, check=True).stdout.split()
    assert cold[-3:-1] == ["True", "True"]
    assert warm == ["Test", "support", "False", "False", "False"]


def test_changed_model_code_is_never_served_a_stale_entry(
    copy: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    code = tmp_path / "code"
    code.mkdir()
    files = []
    for source in matrix_cache.code_files():
        files.append(code / source.name)
        files[-1].write_bytes(source.read_bytes())
    monkeypatch.setattr(matrix_cache, "code_files", lambda: files)
    calls = counting_validator(monkeypatch)
    matrix_cache.load(copy)
    matrix_cache.load(copy)
    assert len(calls) == 1
    for changed in files:  # an upgraded escalate: any of the model's or validator's modules
        changed.write_bytes(changed.read_bytes() + b"\n# changed\n")
        matrix_cache.load(copy)
    assert len(calls) == 1 + len(files)


def test_the_key_covers_every_module_that_builds_or_checks_a_matrix() -> None:
    program = (
        "import sys\n"
        "import escalate_cli.core.matrix.loader\n"
        "print(*(m.__file__ for n, m in sys.modules.items() if n.startswith('escalate_cli.core.')))"
    )
    run = [sys.executable, "-c", program]
    loaded = {
        Path(name) for name in subprocess.run(run, capture_output=True, text=True).stdout.split()
    }
    keyed = set(matrix_cache.code_files())
    assert {path.name for path in loaded - keyed} <= {"errors.py", "__init__.py"}


# Unpickling runs code: an entry is read only from a folder and a file no other user could write.


def planted(copy: Path, tmp_path: Path) -> Path:
    """The entry `copy` is served from, rewritten to hold another matrix: served, it would
    show as "Planted"."""
    matrix_cache.load(copy)
    (cached,) = (tmp_path / "cache").glob("matrix-*.pickle")
    header, _, pickled = cached.read_bytes().partition(b"\n")
    sources, found = pickle.loads(pickled)
    plant = dataclasses.replace(found, name="Planted")
    cached.write_bytes(header + b"\n" + pickle.dumps((sources, plant)))
    assert matrix_cache.load(copy).name == "Planted"  # the plant works while the folder is safe
    return cached


def test_the_cache_folder_and_files_are_private(copy: Path, tmp_path: Path) -> None:
    old = os.umask(0)
    try:
        matrix_cache.load(copy)
    finally:
        os.umask(old)
    folder = tmp_path / "cache"
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    (cached,) = folder.glob("matrix-*.pickle")
    assert stat.S_IMODE(cached.stat().st_mode) == 0o600


@pytest.mark.parametrize("mode", [0o777, 0o770, 0o702], ids=oct)
def test_a_folder_others_can_write_is_never_read(copy: Path, tmp_path: Path, mode: int) -> None:
    cached = planted(copy, tmp_path)
    (tmp_path / "cache").chmod(mode)
    assert cached_name(copy) is None
    assert matrix_cache.load(copy).name == "Test support"
    before = cached.read_bytes()
    cached.unlink()
    matrix_cache.load(copy)
    assert not cached.exists(), "nothing is written into a folder others can write"
    assert before


@pytest.mark.parametrize("mode", [0o666, 0o620, 0o602], ids=oct)
def test_a_file_others_can_write_is_never_read(copy: Path, tmp_path: Path, mode: int) -> None:
    cached = planted(copy, tmp_path)
    cached.chmod(mode)
    assert cached_name(copy) is None
    assert matrix_cache.load(copy).name == "Test support"


def test_a_symlinked_folder_or_file_is_never_read(copy: Path, tmp_path: Path) -> None:
    cached = planted(copy, tmp_path)
    elsewhere = tmp_path / "elsewhere"
    (tmp_path / "cache").rename(elsewhere)
    (tmp_path / "cache").symlink_to(elsewhere)
    assert cached_name(copy) is None
    assert matrix_cache.load(copy).name == "Test support"
    (tmp_path / "cache").unlink()
    (tmp_path / "cache").mkdir(mode=0o700)
    cached.symlink_to(elsewhere / cached.name)
    assert cached_name(copy) is None
    assert matrix_cache.load(copy).name == "Test support"


def test_a_folder_owned_by_someone_else_is_never_read(
    copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    planted(copy, tmp_path)
    monkeypatch.setattr(os, "geteuid", lambda: os.stat(tmp_path / "cache").st_uid + 1)
    assert cached_name(copy) is None
    assert matrix_cache.load(copy).name == "Test support"
