"""The lock file: exact versions of every dependency, consistent with ``pyproject.toml`` and
installed by the README's commands."""

from __future__ import annotations

import re
import tomllib

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from tests.conftest import ROOT
from tests.test_ci import _readme_block

LOCK = ROOT / "requirements.lock"


def _locked() -> dict[str, Version]:
    """``{canonical name: version}`` of every ``name==version`` line of the lock."""
    pins: dict[str, Version] = {}
    for number, line in enumerate(LOCK.read_text(encoding="utf-8").splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        match = re.fullmatch(r"([A-Za-z0-9._-]+)==([^\s;#]+)", line)
        assert match, f"requirements.lock:{number}: not an exact pin: {line!r}"
        name = canonicalize_name(match.group(1))
        assert name not in pins, f"requirements.lock:{number}: {name} is pinned twice"
        pins[name] = Version(match.group(2))
    return pins


def _declared() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    declared = list(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        declared.extend(extra)
    return [Requirement(text) for text in declared]


def test_every_declared_dependency_is_locked_at_a_version_it_allows():
    pins = _locked()
    for requirement in _declared():
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{requirement} is not in requirements.lock"
        assert requirement.specifier.contains(pins[name], prereleases=True), (
            f"requirements.lock pins {name}=={pins[name]}, which {requirement} does not allow"
        )
        for extra in requirement.extras:  # dask[distributed] locks distributed too
            assert canonicalize_name(extra) in pins or extra == "test", (
                f"{requirement}: its extra {extra!r} is not locked"
            )


def test_the_lock_pins_the_linter_and_not_the_project_itself():
    pins = _locked()
    assert "ruff" in pins
    assert "pytest" in pins
    assert "chenzhou-water" not in pins


def test_the_readme_commands_install_from_the_lock_and_name_its_refresh_command():
    for marker in ("run", "test"):
        assert "pip install -c requirements.lock -e " in _readme_block(marker)
    refresh = _readme_block("lock")
    assert refresh.startswith("uv pip compile pyproject.toml --extra test")
    assert refresh.endswith("-o requirements.lock")
    header = LOCK.read_text(encoding="utf-8").splitlines()[:2]
    assert header[1].strip("# ") == refresh, "the lock was made by another command"
