"""Load YAML data files (app.yaml, runbooks) so that every error names the file, the line and the place.

A team edits these files by hand; an error that says only "field required" sends them hunting.
Here a pydantic error becomes ``runbooks/pricing.yaml:14: scale.rules[1].when: …``.
"""

from __future__ import annotations

import copy
import difflib
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

M = TypeVar("M", bound=BaseModel)


class DataFileError(ValueError):
    """A data file that cannot be used, with where and why."""

    def __init__(self, path: Path | str, message: str, place: str = "", line: int | None = None) -> None:
        self.path = str(path)
        self.place = place
        self.line = line
        self.message = message
        where = self.path + (f":{line}" if line else "")
        super().__init__(f"{where}: {place + ': ' if place else ''}{message}")


def format_place(loc: Sequence[str | int]) -> str:
    """Turn a pydantic location ('scale', 'rules', 1, 'when') into 'scale.rules[1].when'."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def _line_of(node: yaml.Node | None, loc: Sequence[str | int]) -> int | None:
    """Walk the composed YAML tree along ``loc`` and return the 1-based line of the deepest node found."""
    line = node.start_mark.line + 1 if node is not None else None
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if key.value == part:
                    node, line = value, key.start_mark.line + 1
                    break
            else:
                return line
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            return line
    return line


def _unknown_key(loc: Sequence[str | int], errors: Sequence[Any]) -> str:
    """'unknown key' and, when a required key beside it is missing and looks alike, the likely fix."""
    key = str(loc[-1])
    missing = [
        str(e["loc"][-1]) for e in errors if e["type"] == "missing" and list(e["loc"][:-1]) == list(loc[:-1])
    ]
    close = difflib.get_close_matches(key, missing, n=1)
    return f"unknown key {key!r}" + (f" (did you mean {close[0]!r}?)" if close else "")


# libyaml parses about ten times faster than the pure-Python loader and builds the same nodes.
_FAST_LOADER: type[Any] = yaml.CSafeLoader if yaml.__with_libyaml__ else yaml.SafeLoader


def _has_merge_key(node: yaml.Node) -> bool:
    """Whether the tree uses ``<<``: building the data then rewrites the mappings it appears in."""
    stack: list[yaml.Node] = [node]
    seen: set[int] = set()
    while stack:
        node = stack.pop()
        if id(node) in seen:  # an alias may point back at a node that contains it
            continue
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if key.tag == "tag:yaml.org,2002:merge":
                    return True
                stack.append(key)
                stack.append(value)
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
    return False


def _parse(text: str, loader_class: type[Any]) -> tuple[yaml.Node | None, Any]:
    """Compose the tree once and build the data from it, so values and line numbers share one parse."""
    loader = loader_class(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, None
        # Merge keys are expanded in place; keep the tree as written for line numbers and duplicate keys.
        source = copy.deepcopy(node) if _has_merge_key(node) else node
        return node, loader.construct_document(source)
    finally:
        loader.dispose()


class DataFile:
    """A parsed YAML file that remembers where each value came from."""

    def __init__(self, path: Path, data: Any, node: yaml.Node | None) -> None:
        self.path = path
        self.data = data
        self._node = node

    @classmethod
    def read(cls, path: Path | str) -> DataFile:
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise DataFileError(path, "file not found") from None
        except OSError as exc:
            raise DataFileError(path, f"cannot read it ({exc.strerror})") from None
        try:
            node, data = _parse(text, _FAST_LOADER)
        except yaml.YAMLError:
            # libyaml words its errors differently: the pure loader gives the message people have seen.
            node, data = None, None
            try:
                node, data = _parse(text, yaml.SafeLoader)
            except yaml.YAMLError as exc:
                mark = getattr(exc, "problem_mark", None)
                problem = getattr(exc, "problem", None) or str(exc)
                raise DataFileError(
                    path, f"not valid YAML: {problem}", line=mark.line + 1 if mark else None
                ) from None
        return cls(path, data, node)

    @property
    def node(self) -> yaml.Node | None:
        """The composed YAML tree, as written (merge keys not expanded), for checks that need lines."""
        return self._node

    def error(self, loc: Sequence[str | int], message: str) -> DataFileError:
        return DataFileError(self.path, message, place=format_place(loc), line=_line_of(self._node, loc))

    def validate(self, model: type[M], context: dict[str, Any] | None = None) -> M:
        if not isinstance(self.data, dict):
            raise DataFileError(self.path, "expected a mapping of keys to values at the top of the file")
        try:
            return model.model_validate(self.data, context=context)
        except ValidationError as exc:
            # A misspelt key explains the "field required" that comes with it: say it first.
            errors = sorted(exc.errors(), key=lambda e: e["type"] != "extra_forbidden")
            first = errors[0]
            loc = [part for part in first["loc"] if part not in ("__root__",)]
            message = first["msg"].removeprefix("Value error, ")
            if first["type"] == "extra_forbidden":
                message = _unknown_key(loc, errors)
            more = len(exc.errors()) - 1
            if more:
                message += f" (and {more} more problem{'s' if more > 1 else ''})"
            raise self.error(loc, message) from None
