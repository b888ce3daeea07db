"""Reading and checking YAML input files, with every problem located by file, line and path.

The scenario loader uses this module, and so will the loaders of sweep, sensitivity and
calibration-target files, so that every input file of the project reports problems the same way::

    scenarios/bad.yaml:7: parameters.leakage_rte: unknown model constant; did you mean ...?

The pieces:

- :func:`load_yaml` / :func:`parse_yaml` read a file with PyYAML's *safe* loader, compose the
  node tree and map each YAML path (a tuple of keys and list indices) to its 1-based line.
  Malformed YAML and unreadable files raise :class:`~chenzhou_water.errors.ValidationError`
  with the line of the error; duplicate keys are recorded as problems of the document.
- :class:`Checker` collects problems for one document: type checks (a number is an ``int`` or
  ``float``, never a YAML boolean, never ``.nan`` or ``.inf``), allowed keys with nearest-name
  suggestions, range checks and model-name resolution. :meth:`Checker.raise_if_problems`
  (or :func:`raise_problems` for several documents) raises them all in one
  :class:`~chenzhou_water.errors.ValidationError`.

Numbers follow YAML 1.2 rather than PyYAML's YAML 1.1 default: ``1e9`` and ``1.5e9`` are
numbers, not strings. Everything else is plain safe YAML.
"""

from __future__ import annotations

import difflib
import math
import numbers
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from chenzhou_water.errors import Problem, ValidationError
from chenzhou_water.model.metadata import Kind, ModelInfo, Variable, py_name
from chenzhou_water.schema.yamlsafe import check_text, construct_bounded_int

YamlKey = str | int | float
YamlPath = tuple[YamlKey, ...]

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")

_KIND_PHRASE: dict[str, str] = {
    "constant": "a constant",
    "lookup": "a lookup",
    "stock": "a stock",
    "auxiliary": "an auxiliary",
    "data": "a data variable",
    "control": "a control variable",
}


class _Loader(yaml.SafeLoader):
    """PyYAML's safe loader, reading ``1e9`` and ``1.5e9`` as numbers as YAML 1.2 does."""


# Appended after the built-in resolvers, so plain integers still resolve to int first.
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(
        r"^(?:[-+]?[0-9][0-9_]*(?:\.[0-9_]*)?[eE][-+]?[0-9]+"
        r"|[-+]?\.[0-9][0-9_]*[eE][-+]?[0-9]+)$"
    ),
    list("-+0123456789."),
)
_Loader.add_constructor("tag:yaml.org,2002:int", construct_bounded_int)


@dataclass(frozen=True)
class YamlDocument:
    """A parsed YAML file.

    Attributes
    ----------
    file : str
        The file's name as shown in messages (as the user named it).
    data : Any
        The document as plain Python data (``None`` for an empty file).
    lines : Mapping
        1-based line of each YAML path: of the key for a mapping entry, of the item for a
        list item.
    problems : tuple of Problem
        Problems found while reading that are not YAML syntax errors (duplicate keys).
    """

    file: str
    data: Any
    lines: Mapping[YamlPath, int] = field(repr=False, default_factory=dict)
    problems: tuple[Problem, ...] = ()

    def line(self, path: YamlPath) -> int | None:
        """The line of ``path``, or of its nearest ancestor that has one."""
        for n in range(len(path), -1, -1):
            line = self.lines.get(path[:n])
            if line is not None:
                return line
        return None


def load_yaml(path: str | Path, display: str | None = None) -> YamlDocument:
    """Read a YAML file with the safe loader and index the line of every path.

    Parameters
    ----------
    path : str or Path
        The file to read.
    display : str, optional
        The name shown in messages; default ``str(path)``.

    Raises
    ------
    ValidationError
        If the file is missing, unreadable, not UTF-8, or not well-formed YAML (the problem
        carries the line of the error).
    """
    file = display if display is not None else str(path)
    path = Path(path)
    if not path.is_file():
        if path.is_dir():
            what = "is a directory, not a file"
        elif path.exists():
            what = "is not a regular file (a device, pipe or socket): give a YAML file"
        else:
            what = "file not found"
        raise ValidationError([Problem(file, "", what)])
    try:
        text = path.read_bytes().decode("utf-8")
    except OSError as exc:
        raise ValidationError([Problem(file, "", f"cannot read the file: {exc}")]) from exc
    except UnicodeDecodeError as exc:
        msg = f"not UTF-8 text (byte {exc.start}: {exc.reason})"
        raise ValidationError([Problem(file, "", msg)]) from exc
    return parse_yaml(text, file)


def parse_yaml(text: str, file: str = "<string>") -> YamlDocument:
    """Parse YAML text with the safe loader; see :func:`load_yaml`.

    The text is first checked against the limits of :mod:`chenzhou_water.schema.yamlsafe` (size,
    control characters, depth, alias expansion), so that nothing below walks a document
    that could exhaust memory or the stack.
    """
    try:
        check_text(text, file)
    except yaml.MarkedYAMLError as exc:
        raise ValidationError([_syntax_problem(exc, file)]) from exc
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        lines: dict[YamlPath, int] = {}
        problems: list[Problem] = []
        if node is not None:
            lines[()] = node.start_mark.line + 1
            _index_lines(loader, node, (), lines, problems, file)
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        raise ValidationError([_syntax_problem(exc, file)]) from exc
    except yaml.YAMLError as exc:  # reader errors (control characters) carry no mark
        raise ValidationError([Problem(file, "", f"invalid YAML: {exc}")]) from exc
    finally:
        loader.dispose()
    return YamlDocument(file, data, lines, tuple(problems))


def _syntax_problem(exc: yaml.MarkedYAMLError, file: str) -> Problem:
    mark = exc.problem_mark or exc.context_mark
    parts = [p for p in (exc.context, exc.problem) if p]
    message = "invalid YAML: " + ", ".join(parts)
    if exc.context_mark is not None and exc.problem_mark is not None:
        if exc.context_mark.line != exc.problem_mark.line:
            message += f" (started on line {exc.context_mark.line + 1})"
    return Problem(file, "", message, mark.line + 1 if mark is not None else None)


def _index_lines(
    loader: yaml.SafeLoader,
    node: yaml.Node,
    path: YamlPath,
    lines: dict[YamlPath, int],
    problems: list[Problem],
    file: str,
) -> None:
    """Record the line of every path under ``node``; report duplicate keys."""
    if isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            lines[(*path, i)] = item.start_mark.line + 1
            _index_lines(loader, item, (*path, i), lines, problems, file)
    elif isinstance(node, yaml.MappingNode):
        seen: dict[Any, int] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge" or not isinstance(
                key_node, yaml.ScalarNode
            ):
                continue  # merge keys and complex keys: the constructor handles or rejects them
            key = loader.construct_object(key_node, deep=True)
            line = key_node.start_mark.line + 1
            sub = (*path, key)
            if key in seen:
                where = format_path(sub)
                msg = f"duplicate key {key!r} (first given on line {seen[key]})"
                problems.append(Problem(file, where, msg, line))
                continue
            seen[key] = line
            lines[sub] = line
            _index_lines(loader, value_node, sub, lines, problems, file)


# --- formatting ------------------------------------------------------------------------------


def format_path(path: Iterable[YamlKey]) -> str:
    """``('levers', 'leakage_target', 2025)`` → ``levers.leakage_target[2025]``."""
    out = ""
    for key in path:
        if isinstance(key, str) and _IDENTIFIER.match(key):
            out += f".{key}" if out else key
        elif isinstance(key, str):
            out += f"[{key!r}]"
        else:
            out += f"[{format_number(key)}]"
    return out


def format_number(x: Any) -> str:
    """A number as a person would write it: ``2025``, ``0.1``, ``8120000000``."""
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        return str(x)
    x = float(x) if not isinstance(x, int) else x
    if isinstance(x, float):
        if math.isnan(x):
            return ".nan"
        if math.isinf(x):
            return ".inf" if x > 0 else "-.inf"
        if x.is_integer() and abs(x) < 1e16:
            return str(int(x))
        return repr(x)
    return str(x)


def format_range(lo: float | None, hi: float | None) -> str:
    """``[0, 1]``, ``[0, +inf)`` or ``(-inf, 1]``; ``None`` is an open end."""
    left = "(-inf" if lo is None else f"[{format_number(lo)}"
    right = "+inf)" if hi is None else f"{format_number(hi)}]"
    return f"{left}, {right}"


def what_is(value: Any) -> str:
    """A value and its YAML type for messages: ``'abc' (str)``, ``true (bool)``, ``a list``."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"{str(value).lower()} (bool)"
    if isinstance(value, str):
        return f"{excerpt(value)} (str)"
    if isinstance(value, numbers.Real):
        return f"{format_number(value)} ({type(value).__name__})"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list | tuple):
        return "a list"
    return f"a {type(value).__name__}"


def excerpt(text: str, limit: int = 40) -> str:
    """``text`` quoted for a message, cut to its first line and ``limit`` characters: a message
    never echoes a file (a non-YAML file read as one long string) beyond a short excerpt."""
    first = text.split("\n", 1)[0]
    if first == text and len(text) <= limit:
        return repr(text)
    return f"{first[:limit]!r}... ({len(text):,} characters)"


def suggest(name: str, options: Iterable[str]) -> str:
    """``"; did you mean 'x'?"`` for the closest of ``options``, or ``""``."""
    close = difflib.get_close_matches(name, list(options), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def is_number(value: Any) -> bool:
    """True for a finite real number that is not a boolean (numpy scalars included)."""
    return (
        isinstance(value, numbers.Real)
        and not isinstance(value, bool)
        and math.isfinite(float(value))
    )


def kind_phrase(kind: str) -> str:
    """``'stock'`` → ``'a stock'``, ``'auxiliary'`` → ``'an auxiliary'``."""
    return _KIND_PHRASE.get(kind, f"a {kind}")


# --- checking --------------------------------------------------------------------------------


class Checker:
    """Collects the problems of one YAML document, each with its file, line and path.

    Every ``check`` method records a problem and returns ``None`` (or ``False``) when the value
    is invalid, so callers validate everything and raise once at the end.

    Parameters
    ----------
    document : YamlDocument
        The document being checked; its reading problems (duplicate keys) are included.
        For data that did not come from a file, pass ``YamlDocument("<overrides>", data)``.
    """

    def __init__(self, document: YamlDocument):
        self.document = document
        self.problems: list[Problem] = list(document.problems)

    @property
    def file(self) -> str:
        """The file's name as shown in messages."""
        return self.document.file

    def error(self, path: YamlPath, message: str) -> None:
        """Record a problem at ``path``."""
        line = self.document.line(path)
        self.problems.append(Problem(self.file, format_path(path), message, line))

    def raise_if_problems(self) -> None:
        """Raise all recorded problems as one :class:`ValidationError`, if there are any."""
        raise_problems(self.problems)

    # --- types -------------------------------------------------------------------------------

    def mapping(self, path: YamlPath, value: Any, what: str = "a mapping") -> dict | None:
        """``value`` if it is a mapping, else record ``expected <what>``."""
        if isinstance(value, Mapping):
            return dict(value)
        self.error(path, f"expected {what}, got {what_is(value)}")
        return None

    def sequence(self, path: YamlPath, value: Any, what: str = "a list") -> list | None:
        """``value`` if it is a list, else record ``expected <what>``."""
        if isinstance(value, list | tuple):
            return list(value)
        self.error(path, f"expected {what}, got {what_is(value)}")
        return None

    def string(
        self,
        path: YamlPath,
        value: Any,
        pattern: re.Pattern[str] | None = None,
        rule: str = "",
    ) -> str | None:
        """``value`` if it is a non-empty string (matching ``pattern``, explained by ``rule``)."""
        if not isinstance(value, str):
            hint = (
                " (YAML reads yes/no/on/off as booleans: quote it)"
                if isinstance(value, bool)
                else ""
            )
            self.error(path, f"expected a string, got {what_is(value)}{hint}")
            return None
        if not value.strip():
            self.error(path, "must not be empty")
            return None
        if pattern is not None and not pattern.fullmatch(value):
            self.error(
                path, f"{value!r} is not valid: {rule}" if rule else f"{value!r} is not valid"
            )
            return None
        return value

    def bilingual(
        self,
        path: YamlPath,
        value: Any,
        pattern: re.Pattern[str] | None = None,
        rule: str = "",
    ) -> dict[str, str] | None:
        """A text given as one string or in both languages as ``{zh: ..., en: ...}``.

        Returns ``{"en": ..., "zh": ...}`` (one string counts for both languages); ``pattern``
        and ``rule`` apply to the string, or to the English text of a mapping.
        """
        if isinstance(value, str | bool):  # a boolean gets string()'s hint on yes/no
            text = self.string(path, value, pattern, rule)
            return None if text is None else {"en": text, "zh": text}
        if not isinstance(value, Mapping):
            self.error(path, f"expected a string or a mapping {{zh: ..., en: ...}}, "
                       f"got {what_is(value)}")
            return None
        if not self.keys(path, value, ("zh", "en"), required=("zh", "en")):
            return None
        en = self.string((*path, "en"), value["en"], pattern, rule)
        zh = self.string((*path, "zh"), value["zh"])
        return None if en is None or zh is None else {"en": en, "zh": zh}

    def number(self, path: YamlPath, value: Any, what: str = "a number") -> float | None:
        """``value`` as a float if it is a finite number; booleans and strings are rejected."""
        if is_number(value):
            return float(value)
        if isinstance(value, numbers.Real) and not isinstance(value, bool):
            self.error(path, f"expected a finite number, got {format_number(value)}")
        else:
            self.error(path, f"expected {what}, got {what_is(value)}")
        return None

    def whole(
        self,
        path: YamlPath,
        value: Any,
        lo: float | None = None,
        hi: float | None = None,
        what: str = "the valid range",
    ) -> int | None:
        """``value`` if it is a whole number (never a YAML boolean) inside ``[lo, hi]``."""
        if isinstance(value, bool) or not isinstance(value, int):
            self.error(path, f"expected a whole number, got {what_is(value)}")
            return None
        return value if self.in_range(path, value, lo, hi, what) else None

    # --- structure and ranges ----------------------------------------------------------------

    def keys(
        self,
        path: YamlPath,
        mapping: Mapping[Any, Any],
        allowed: Sequence[str],
        required: Sequence[str] = (),
    ) -> bool:
        """Record unknown keys (with the nearest allowed name) and missing required keys."""
        ok = True
        for key in mapping:
            if key not in allowed:
                hint = suggest(key, allowed) if isinstance(key, str) else ""
                self.error(
                    (*path, key), f"unknown key {key!r}{hint} (allowed: {', '.join(allowed)})"
                )
                ok = False
        for key in required:
            if key not in mapping:
                self.error(path, f"missing required key {key!r}")
                ok = False
        return ok

    def in_range(
        self,
        path: YamlPath,
        value: float,
        lo: float | None,
        hi: float | None,
        what: str = "the model's range",
        label: str = "",
    ) -> bool:
        """Record ``<label><value> is above <what> [lo, hi]`` (or below); ``None`` is open."""
        text = f"{label}{format_number(value)}"
        if lo is not None and value < lo:
            self.error(path, f"{text} is below {what} {format_range(lo, hi)}")
            return False
        if hi is not None and value > hi:
            self.error(path, f"{text} is above {what} {format_range(lo, hi)}")
            return False
        return True

    def model_variable(
        self,
        path: YamlPath,
        name: Any,
        info: ModelInfo,
        kinds: Sequence[Kind],
        role: str,
        wrong_kind_hint: str = "",
        wanted: str = "",
    ) -> Variable | None:
        """Resolve ``name`` (Vensim or normalised spelling) to a model variable of ``kinds``.

        Parameters
        ----------
        path : tuple
            Where the name is written.
        name : Any
            The name as written in the file.
        info : ModelInfo
            The model the name must belong to.
        kinds : sequence of str
            The variable kinds acceptable here.
        role : str
            What the name should be, for messages: ``constant``, ``lookup``, ``variable``.
        wrong_kind_hint : str
            Appended after `` — `` when the variable exists but is of another kind, e.g.
            ``only constants can be set under parameters``.
        wanted : str
            What the variable should have been, for that message; default ``a <role>``.
        """
        if not isinstance(name, str):
            self.error(path, f"expected a model {role} name, got {what_is(name)}")
            return None
        var = info.get(name)
        if var is None:
            options = [n for n in info.names() if info.variables[n].kind in kinds]
            self.error(path, f"unknown model {role}{suggest(py_name(name), options)}")
            return None
        if var.kind not in kinds:
            msg = f"{var.py_name!r} is {kind_phrase(var.kind)}, not {wanted or _article(role)}"
            self.error(path, msg + (f" — {wrong_kind_hint}" if wrong_kind_hint else ""))
            return None
        return var


def _article(role: str) -> str:
    return kind_phrase(role) if role in _KIND_PHRASE else f"a {role}"


def raise_problems(problems: Iterable[Problem]) -> None:
    """Raise ``problems`` as one :class:`ValidationError`, if there are any."""
    problems = list(problems)
    if problems:
        raise ValidationError(problems)
