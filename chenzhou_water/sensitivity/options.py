"""Checks of a method's ``options`` in an SA file: names, types, ranges and rules between them."""

from __future__ import annotations

import numbers
from typing import Any

from chenzhou_water.schema.checker import Checker, suggest, what_is
from chenzhou_water.sensitivity.methods import Method, Option

__all__ = ["check_options"]


def check_options(checker: Checker, raw: Any, method: Method) -> dict[str, Any] | None:
    """The method's options with defaults filled in, or None if any is invalid.

    Parameters
    ----------
    checker : Checker
        Collects the problems, located under ``options``.
    raw : Any
        The ``options`` section as read (None: all defaults).
    method : Method
        The method named in the file.
    """
    allowed = method.all_options()
    what = "a mapping of option to value"
    given = {} if raw is None else checker.mapping(("options",), raw, what)
    if given is None:
        return None
    ok = True
    for key in given:
        if key not in allowed:
            hint = suggest(key, allowed) if isinstance(key, str) else ""
            checker.error(("options", key), f"unknown option {key!r} for {method.name}{hint} "
                          f"(options: {', '.join(allowed)})")
            ok = False
    values = {name: option.default for name, option in allowed.items()}
    for name, option in allowed.items():
        if name in given:
            value = _value(checker, name, given[name], option)
            ok = value is not None and ok
            values[name] = value
    if not ok:
        return None
    for name, message in method.constraints(values):
        checker.error(("options", name) if name in given else ("options",), message)
        ok = False
    return values if ok else None


def _value(checker: Checker, name: str, value: Any, option: Option) -> Any:
    path = ("options", name)
    if option.kind is bool:
        if isinstance(value, bool):
            return value
        checker.error(path, f"expected true or false, got {what_is(value)}")
        return None
    if option.kind is int:
        if checker.whole(path, value, option.minimum, option.maximum) is None:
            return None
    elif isinstance(value, bool) or not isinstance(value, numbers.Real):
        checker.error(path, f"expected a number, got {what_is(value)}")
        return None
    elif not checker.in_range(path, value, option.minimum, option.maximum, "the valid range"):
        return None
    message = option.rule(value) if option.rule is not None else None
    if message:
        checker.error(path, message)
        return None
    return option.kind(value)
