"""Load an escalation matrix from YAML into the model, reporting every problem by file and line."""

from __future__ import annotations

import contextlib
import difflib
import os
from dataclasses import fields
from functools import cache
from typing import TYPE_CHECKING, Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from escalate_cli.core.errors import MatrixError, MatrixProblem
from escalate_cli.core.matrix.matrix_channels import check_channels
from escalate_cli.core.matrix.matrix_file import decode_matrix, read_matrix_bytes
from escalate_cli.core.matrix.matrix_refs import (
    READS_VERSION,
    Issue,
    KeyPath,
    check_references,
    check_warnings,
    format_key,
)
from escalate_cli.core.matrix.model import (
    Channel,
    Conditions,
    Contact,
    Hooks,
    Level,
    Matrix,
    NotifyOn,
    Path,
    Rotation,
    Severity,
    Trigger,
)

if TYPE_CHECKING:
    from pydantic import TypeAdapter
    from pydantic_core import ErrorDetails

__all__ = ["check_file", "load_matrix", "load_matrix_bytes", "load_matrix_text", "validate_file"]

_Parsed = tuple[dict[str, Any], dict[KeyPath, int], list[tuple[int, KeyPath, str]]]

# Aliases can make a few lines expand to millions of values; no real matrix comes close.
_MAX_VALUES = 50_000
_C_MAX_DEPTH = 2_000
_MERGE_TAG = "tag:yaml.org,2002:merge"
_SCALAR_KINDS = {"timestamp": "date", "int": "number", "float": "number", "bool": "boolean"}

# Which dataclass sits at each key path, with list indices and path names written as "*".
_SHAPES: dict[tuple[str, ...], type] = {
    (): Matrix,
    ("contacts", "*"): Contact,
    ("rotations", "*"): Rotation,
    ("levels", "*"): Level,
    ("paths", "*"): Path,
    ("severities", "*"): Severity,
    ("triggers", "*"): Trigger,
    ("triggers", "*", "when"): Conditions,
    ("channels", "*"): Channel,
    ("hooks",): Hooks,
    ("notify_on",): NotifyOn,
}
# Sections that are mappings keyed by a name the user chose, like `paths: {security: ...}`.
_NAMED = ("paths", "channels")
# YAML keys that are Python keywords, and the model field that holds each.
_KEYWORDS = {"from": "from_"}

_EXPECTED = {
    "string_type": "expected a string",
    "int_type": "expected a whole number",
    "int_parsing": "expected a whole number",
    "int_from_float": "expected a whole number",
    "bool_type": "expected true or false",
    "bool_parsing": "expected true or false",
    "list_type": "expected a list",
    "tuple_type": "expected a list",
    "dict_type": "expected a mapping",
    "dataclass_type": "expected a mapping",
}


def load_matrix(path: str | os.PathLike[str]) -> Matrix:
    """Read and validate the matrix at `path`; MatrixError lists every problem found."""
    filename = os.fspath(path)
    matrix, problems, _ = _check_text(_read(filename), filename)
    if matrix is None or problems:
        raise MatrixError(problems)
    return matrix


def load_matrix_bytes(data: bytes, filename: str) -> Matrix:
    """Validate the bytes of a matrix file already read; `filename` is only used in messages."""
    return load_matrix_text(decode_matrix(data, filename), filename)


def load_matrix_text(text: str, filename: str) -> Matrix:
    """Validate matrix YAML given as text; `filename` is only used in messages."""
    matrix, problems, _ = _check_text(text, filename)
    if matrix is None or problems:
        raise MatrixError(problems)
    return matrix


def validate_file(path: str | os.PathLike[str]) -> list[MatrixProblem]:
    """Every problem with the matrix at `path`, sorted by line; empty when it is valid."""
    return check_file(path)[0]


def check_file(path: str | os.PathLike[str]) -> tuple[list[MatrixProblem], list[MatrixProblem]]:
    """Every problem with the matrix at `path`, and every warning (valid, but likely not what
    was meant, such as a very short keyword), each list sorted by line."""
    filename = os.fspath(path)
    try:
        text = _read(filename)
    except MatrixError as exc:
        return exc.problems, []
    _, problems, warnings = _check_text(text, filename, warn=True)
    return problems, warnings


def _read(filename: str) -> str:
    return decode_matrix(read_matrix_bytes(filename), filename)


_Checked = tuple[Matrix | None, list[MatrixProblem], list[MatrixProblem]]


def _check_text(text: str, filename: str, warn: bool = False) -> _Checked:
    """The validated matrix (None when it has problems), every problem and, with `warn`, every
    warning, each sorted by line."""
    try:
        data, lines, duplicates = _parse(text)
    except _Unreadable as exc:
        return None, [MatrixProblem(filename, exc.line, "", exc.message)], []
    data, shorthand = _normalise(data)
    matrix, schema = _validate_schema(data)

    def located(found: list[Issue]) -> list[tuple[int | None, KeyPath, str]]:
        paths = [(_user_path(_keyed(loc, data), shorthand), message) for loc, message in found]
        return [(_line_of(path, lines), path, message) for path, message in paths]

    checked = schema + check_references(data) + check_channels(data)
    problems = _by_line(filename, [*duplicates, *located(checked)])
    warnings = _by_line(filename, located(check_warnings(data))) if warn else []
    return (None if problems else matrix), problems, warnings


def _by_line(filename: str, issues: list[tuple[int | None, KeyPath, str]]) -> list[MatrixProblem]:
    problems = [MatrixProblem(filename, line, format_key(path), msg) for line, path, msg in issues]
    return sorted(dict.fromkeys(problems), key=lambda problem: problem.line or 0)


class _Unreadable(Exception):
    """The text is not a YAML mapping: nothing past this point can be checked."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


class _Loader(yaml.SafeLoader):
    """A SafeLoader whose scalars fail as YAML errors with a line, never as a bare ValueError."""

    def construct_object(self, node: Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep)
        except (ValueError, TypeError, OverflowError, AttributeError, KeyError) as exc:
            # PyYAML's own constructors fail this way on a tagged junk scalar: `!!timestamp x`
            # (AttributeError), `!!bool x` (KeyError), `!!int x` (ValueError).
            kind = _SCALAR_KINDS.get(node.tag.rsplit(":", 1)[-1], "value")
            shown = f' "{node.value}"' if isinstance(node, ScalarNode) else ""
            raise yaml.constructor.ConstructorError(
                None, None, f"bad {kind}{shown}", node.start_mark
            ) from exc


def _parse(text: str) -> _Parsed:
    """YAML text to (data, line of every key path, duplicate keys); _Unreadable if it is not."""
    fast = getattr(yaml, "CSafeLoader", None)
    if fast is not None and _shallow(text):
        # libyaml composes ten times faster; on any trouble the Python loader below says what.
        with contextlib.suppress(Exception):
            return _read_with(fast, text)
    try:
        loader = _Loader(text)
    except yaml.reader.ReaderError as exc:  # the reader checks every character up front
        line = text.count("\n", 0, exc.position) + 1
        raise _Unreadable(f"invalid YAML: {str(exc).splitlines()[0]}", line) from exc
    try:
        return _read_document(loader)
    except yaml.MarkedYAMLError as exc:
        raise _Unreadable(_yaml_message(exc), _line(exc.problem_mark or exc.context_mark)) from exc
    except yaml.YAMLError as exc:
        raise _Unreadable(f"invalid YAML: {str(exc).splitlines()[0]}") from exc
    except RecursionError as exc:
        raise _Unreadable("invalid YAML: nested too deeply") from exc
    finally:
        loader.dispose()


def _shallow(text: str) -> bool:
    """Whether `text` cannot nest deeper than libyaml's C recursion safely goes (it has no limit).

    Block nesting needs indentation or a `- ` per level, flow nesting a bracket per level.
    """
    longest = max(map(len, text.splitlines()), default=0)
    return 2 * longest + text.count("[") + text.count("{") < _C_MAX_DEPTH


def _read_with(loader_class: Any, text: str) -> _Parsed:
    loader = loader_class(text)
    try:
        return _read_document(loader)
    finally:
        loader.dispose()


def _read_document(loader: Any) -> _Parsed:
    node = loader.get_single_node()
    if node is None or (isinstance(node, ScalarNode) and node.value == "" and not node.style):
        raise _Unreadable("the file is empty (a matrix needs at least `levels`)")
    line = node.start_mark.line + 1
    if not isinstance(node, MappingNode):
        raise _Unreadable("expected a mapping of keys (version, contacts, levels, ...)", line)
    _check_size(node)
    lines: dict[KeyPath, int] = {(): line}
    duplicates: list[tuple[int, KeyPath, str]] = []
    _walk(node, (), lines, duplicates, set())
    return loader.construct_document(node), lines, duplicates


def _yaml_message(exc: yaml.MarkedYAMLError) -> str:
    """PyYAML's words, with the context when the problem alone reads as half a sentence."""
    problem, context = exc.problem or "", exc.context or ""
    if context and (not problem or problem.startswith("but ")):
        problem = f"{context}, {problem}" if problem else context
    mark = exc.problem_mark or exc.context_mark
    where = f" (column {mark.column + 1})" if mark else ""
    return f"invalid YAML: {problem}{where}"


def _line(mark: yaml.Mark | None) -> int | None:
    return mark.line + 1 if mark else None


def _check_size(root: Node) -> None:
    """Refuse alias loops and alias bombs before anything walks the expanded data."""
    sizes: dict[int, int] = {}
    active: set[int] = set()

    def size(node: Node) -> int:
        if id(node) in sizes:
            return sizes[id(node)]
        if id(node) in active:
            raise _Unreadable("invalid YAML: an alias refers to itself", _line(node.start_mark))
        active.add(id(node))
        children: list[Node] = []
        if isinstance(node, SequenceNode):
            children = list(node.value)
        elif isinstance(node, MappingNode):
            children = [child for pair in node.value for child in pair]
        total = 1 + sum(size(child) for child in children)
        active.discard(id(node))
        if total > _MAX_VALUES:
            raise _Unreadable(f"too many values once aliases are expanded (over {_MAX_VALUES})")
        sizes[id(node)] = total
        return total

    size(root)


def _walk(
    node: Node,
    path: KeyPath,
    lines: dict[KeyPath, int],
    duplicates: list[tuple[int, KeyPath, str]],
    seen: set[int],
) -> None:
    """Record the line of every key path under `node`, and every duplicate mapping key."""
    if id(node) in seen:
        return  # an alias: its lines belong where its anchor is
    seen.add(id(node))
    if isinstance(node, SequenceNode):
        for index, item in enumerate(node.value):
            lines[(*path, index)] = item.start_mark.line + 1
            _walk(item, (*path, index), lines, duplicates, seen)
    elif isinstance(node, MappingNode):
        first: dict[tuple[str, str], int] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, ScalarNode) or key_node.tag == _MERGE_TAG:
                continue
            key = (key_node.tag, key_node.value)
            child = (*path, key_node.value)
            line = key_node.start_mark.line + 1
            if key in first:
                message = f'duplicate key "{key_node.value}" (first on line {first[key]})'
                duplicates.append((line, child, message))
            first.setdefault(key, line)
            lines[child] = line
            _walk(value_node, child, lines, duplicates, seen)


def _normalise(data: dict[str, Any]) -> tuple[dict[str, Any], frozenset[str]]:
    """Expand `name: [L1, L2]` paths to `{levels: [...]}`; return the names written short.
    A channel's `from` is handed to the model as `from_`."""
    channels = data.get("channels")
    if isinstance(channels, dict):
        renamed = {
            name: {_KEYWORDS.get(k, k): v for k, v in value.items()}
            if isinstance(value, dict)
            else value
            for name, value in channels.items()
        }
        data = {**data, "channels": renamed}
    paths = data.get("paths")
    if not isinstance(paths, dict):
        return data, frozenset()
    short = frozenset(
        name for name, value in paths.items() if value is None or isinstance(value, list)
    )
    expanded = {
        name: {"levels": value or []} if name in short else value for name, value in paths.items()
    }
    return {**data, "paths": expanded}, short


def _keyed(loc: KeyPath, data: Any) -> KeyPath:
    """Spell mapping keys as strings, as the file does, so that `7:` is not taken for `[7]`."""
    out: list[str | int] = []
    for part in loc:
        if isinstance(data, dict):
            out.append(str(part))
            data = data.get(part)
        elif isinstance(data, list) and isinstance(part, int) and 0 <= part < len(data):
            out.append(part)
            data = data[part]
        else:
            out.append(part)
            data = None
    return tuple(out)


def _user_path(path: KeyPath, short: frozenset[str]) -> KeyPath:
    """Point a key path into an expanded short path back at what the user wrote."""
    if len(path) >= 3 and path[0] == "paths" and path[1] in short and path[2] == "levels":
        return path[:2] + path[3:]
    if path[:1] == ("channels",) and len(path) >= 3 and isinstance(path[2], str):
        spelled = {field: key for key, field in _KEYWORDS.items()}
        return (*path[:2], spelled.get(path[2], path[2]), *path[3:])
    return path


def _line_of(path: KeyPath, lines: dict[KeyPath, int]) -> int | None:
    """The line of `path`, or of its nearest ancestor written in the file."""
    for end in range(len(path), -1, -1):
        if path[:end] in lines:
            return lines[path[:end]]
    return None


@cache
def _adapter() -> TypeAdapter[Matrix]:
    from pydantic import TypeAdapter

    return TypeAdapter(Matrix)


def _validate_schema(data: dict[str, Any]) -> tuple[Matrix | None, list[Issue]]:
    from pydantic import ValidationError

    try:
        return _adapter().validate_python(data), []
    except ValidationError as exc:
        return None, [_translate(error) for error in exc.errors(include_url=False)]


def _translate(error: ErrorDetails) -> Issue:
    """A pydantic error as (key path, plain words)."""
    loc: KeyPath = tuple(error["loc"])
    kind = error["type"]
    if loc and loc[-1] == "[key]":
        return loc[:-1], "expected a name as the key"
    if kind in ("extra_forbidden", "unexpected_keyword_argument", "invalid_key"):
        return loc, _unknown_key(loc)
    if kind in ("missing", "missing_argument", "missing_keyword_only_argument"):
        return loc[:-1], f'missing required key "{loc[-1]}"'
    if kind == "value_error":
        return loc, str(
            error.get("ctx", {}).get("error", error["msg"].removeprefix("Value error, "))
        )
    if kind == "literal_error":
        return loc, _literal(loc, error)
    if kind == "dataclass_type" and _shape(loc) == ("paths", "*"):
        return loc, "expected a list of levels, or a mapping with a levels key"
    message = _EXPECTED.get(kind, error["msg"])
    if kind == "string_type" and isinstance(error["input"], int | float):
        message += " (put the value in quotes)"
    return loc, message


def _shape(loc: KeyPath) -> tuple[str, ...]:
    return tuple(
        "*" if isinstance(part, int) or (index == 1 and loc[0] in _NAMED) else str(part)
        for index, part in enumerate(loc)
    )


def _unknown_key(loc: KeyPath) -> str:
    name = str(loc[-1])
    message = f'unknown key "{name}"'
    shape = _SHAPES.get(_shape(loc[:-1]))
    if shape is not None:
        spelled = {field: key for key, field in _KEYWORDS.items()}
        known = [spelled.get(item.name, item.name) for item in fields(shape)]
        close = difflib.get_close_matches(name, known, n=1)
        if close:
            message += f' (did you mean "{close[0]}"?)'
    return message


def _literal(loc: KeyPath, error: ErrorDetails) -> str:
    if loc == ("version",):
        shown = f'"{error["input"]}"' if isinstance(error["input"], str) else error["input"]
        return f"unsupported version {shown} ({READS_VERSION})"
    expected = str(error.get("ctx", {}).get("expected", "")).replace("'", '"')
    return f"expected {expected}"
