"""Load runbook files and report every mistake in them with the file, the line and the place.

A runbook is checked completely when it is loaded (schema, ids, levels, departments, every condition
and reason), so a typo is found by ``oops check`` or at start-up, never halfway through an incident.
"""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path

import yaml

from bot.datafile import DataFile, DataFileError, format_place
from bot.runbook.model import DEFER_CHECKS, Loc, Runbook

__all__ = ["load_runbook", "load_runbooks"]


def _duplicate_key(
    node: yaml.Node | None, loc: Loc = (), visited: set[int] | None = None
) -> tuple[Loc, str, int] | None:
    """Find a key written twice in one mapping: YAML keeps the last one and silently drops the first."""
    visited = set() if visited is None else visited
    if id(node) in visited:  # an alias: already looked at, and it may contain itself
        return None
    visited.add(id(node))
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key, value in node.value:
            name = str(key.value)
            if name in seen and name != "<<":
                return (*loc, name), name, key.start_mark.line + 1
            seen.add(name)
            found = _duplicate_key(value, (*loc, name), visited)
            if found:
                return found
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            found = _duplicate_key(item, (*loc, index), visited)
            if found:
                return found
    return None


def load_runbook(path: Path | str, *, departments: Collection[str] | None = None) -> Runbook:
    """Read, validate and compile one runbook; ``departments`` are the ids in app.yaml, when known."""
    path = Path(path)
    data_file = DataFile.read(path)
    duplicate = _duplicate_key(data_file.node)
    if duplicate:
        loc, name, line = duplicate
        raise DataFileError(
            path,
            f"{name!r} is written twice here; YAML would silently use the last one",
            format_place(loc),
            line,
        )
    runbook = data_file.validate(Runbook, context={DEFER_CHECKS: True})
    problems = []
    if runbook.id != path.stem:
        problems.append((("id",), f"id {runbook.id!r} must match the file name (expected {path.stem!r})"))
    problems.extend(runbook.problems(departments=departments))
    if problems:
        errors = [data_file.error(loc, message) for loc, message in problems]
        # Report the first one in the file, the order an editor reads it in.
        first = min(errors, key=lambda error: error.line or 0)
        if len(errors) > 1:
            more = len(errors) - 1
            first = DataFileError(
                first.path,
                f"{first.message} (and {more} more problem{'s' if more > 1 else ''})",
                first.place,
                first.line,
            )
        raise first
    return runbook


def load_runbooks(directory: Path | str, *, departments: Collection[str] | None = None) -> dict[str, Runbook]:
    """Load every ``*.yaml`` in ``directory``, keyed and sorted by id; an empty directory is an error."""
    directory = Path(directory)
    if not directory.is_dir():
        problem = "not a directory" if directory.exists() else "runbooks directory not found"
        raise DataFileError(directory, problem)
    paths = sorted(directory.glob("*.yaml"))
    if not paths:
        hint = ""
        misnamed = sorted(p.name for p in directory.glob("*.yml"))
        if misnamed:
            hint = f"; rename {', '.join(misnamed)} to end in .yaml"
        raise DataFileError(directory, f"no runbooks found (expected files named *.yaml){hint}")
    runbooks = [load_runbook(path, departments=departments) for path in paths]
    return {runbook.id: runbook for runbook in sorted(runbooks, key=lambda runbook: runbook.id)}
