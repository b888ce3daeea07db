"""Limits that make reading a YAML file safe whatever its content.

Every input file of the project (scenario, sweep, sensitivity, targets, parameters) is read by
:func:`chenzhou_water.schema.checker.parse_yaml`, which calls :func:`check_text` before it builds
anything. The check reads the file's *event stream* — PyYAML's parser is a state machine, so this
pass neither recurses nor copies — and rejects, each as a located problem:

- text longer than :data:`MAX_BYTES`, and control characters YAML does not allow (NUL and the
  like), with the line they are on;
- nesting deeper than :data:`MAX_DEPTH` (PyYAML builds and walks documents recursively: 5,000
  levels would otherwise end in ``RecursionError``);
- an alias inside the node it refers to (``&a [*a]``: a document that never ends);
- documents larger than :data:`MAX_NODES` nodes *once every alias is expanded*: a few hundred
  bytes of nested aliases ("billion laughs") otherwise expand to billions of nodes;
- whole numbers longer than :data:`MAX_INT_DIGITS` digits (no model value needs more, and
  ``float()`` of a 400-digit integer raises ``OverflowError``) — checked when the number is built,
  see :func:`construct_bounded_int`.

Duplicate keys are reported by :mod:`chenzhou_water.schema.checker` itself.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import yaml

from chenzhou_water.errors import Problem, ValidationError

#: The largest YAML file read, in bytes (the project's largest input is a few kilobytes).
MAX_BYTES = 2 * 1024 * 1024
#: The deepest nesting of lists and mappings (the project's files nest at most 6 levels).
MAX_DEPTH = 100
#: The most nodes a document may have once every alias is expanded.
MAX_NODES = 200_000
#: The most digits a whole number may have (2**63 has 19).
MAX_INT_DIGITS = 19

_NOT_ALLOWED = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f\ud800-\udfff\ufffe\uffff]")


@dataclass
class _Open:
    """A collection being read: its anchor and the expanded count of nodes so far."""

    anchor: str | None
    line: int
    nodes: int = 1


@dataclass
class _Walk:
    file: str
    stack: list[_Open] = field(default_factory=list)
    sizes: dict[str, int] = field(default_factory=dict)  # anchor -> expanded nodes
    total: int = 0

    def problem(self, line: int | None, message: str) -> ValidationError:
        return ValidationError([Problem(self.file, "", message, line)])

    def add(self, nodes: int, line: int) -> None:
        if self.stack:
            self.stack[-1].nodes += nodes
        else:
            self.total += nodes
        expanded = self.total + sum(item.nodes for item in self.stack)
        if expanded > MAX_NODES:
            raise self.problem(line, f"the document expands to more than {MAX_NODES:,} nodes "
                               "(aliases are copied where they are used); a valid file is far "
                               "smaller")


def check_text(text: str, file: str) -> None:
    """Reject text that is too large, holds forbidden characters, nests too deep or whose
    aliases expand too far; see the module's description.

    Raises
    ------
    ValidationError
        With the file and, where known, the line.
    """
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > MAX_BYTES:
        raise ValidationError([Problem(file, "", f"the file has {size:,} bytes; at most "
                                       f"{MAX_BYTES:,} are read")])
    bad = _NOT_ALLOWED.search(text)
    if bad is not None:
        line = text.count("\n", 0, bad.start()) + 1
        code = f"U+{ord(bad.group()):04X}"
        raise ValidationError([Problem(file, "", f"control character {code} is not allowed in "
                                       "a YAML file (was it saved as text?)", line)])
    walk = _Walk(file)
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        _step(walk, event)


def _step(walk: _Walk, event: yaml.Event) -> None:
    line = event.start_mark.line + 1 if event.start_mark is not None else None
    if isinstance(event, yaml.CollectionStartEvent):
        if len(walk.stack) >= MAX_DEPTH:
            raise walk.problem(line, f"lists and mappings nested more than {MAX_DEPTH} deep")
        walk.stack.append(_Open(event.anchor, line or 0))
    elif isinstance(event, yaml.CollectionEndEvent):
        done = walk.stack.pop()
        if done.anchor is not None:
            walk.sizes[done.anchor] = done.nodes
        walk.add(done.nodes, line or 0)
    elif isinstance(event, yaml.ScalarEvent):
        if event.anchor is not None:
            walk.sizes[event.anchor] = 1
        walk.add(1, line or 0)
    elif isinstance(event, yaml.AliasEvent):
        if any(item.anchor == event.anchor for item in walk.stack):
            raise walk.problem(line, f"alias *{event.anchor} is used inside the node it names "
                               f"(&{event.anchor}): the document would never end")
        # an undefined alias is left to the composer, which reports it with its line
        walk.add(walk.sizes.get(event.anchor, 1), line or 0)


def construct_bounded_int(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> int:
    """PyYAML's integer constructor, refusing numbers of more than :data:`MAX_INT_DIGITS`
    digits with the line they are on."""
    digits = len(str(node.value).replace("_", "").lstrip("+-"))
    if digits > MAX_INT_DIGITS:
        raise yaml.constructor.ConstructorError(
            None, None,
            f"a whole number of {digits} digits; at most {MAX_INT_DIGITS} are allowed (write "
            "large values as 1.5e9)",
            node.start_mark,
        )
    return yaml.SafeLoader.construct_yaml_int(loader, node)

