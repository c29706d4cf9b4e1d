"""The packages' imports, read from their source: no module imports one that imports it back; the
emulator never reaches into ``bot`` (it plays Slack; it must not lean on the code it tests); the
runbook rules import nothing from Slack, the database or the scheduler; use cases know no Slack."""

from __future__ import annotations

import ast
from collections.abc import Iterable
from pathlib import Path

import bot
import slack_emulator

PACKAGE_DIR = Path(slack_emulator.__file__).resolve().parent
BOT_DIR = Path(bot.__file__).resolve().parent


def module_names(package_dir: Path) -> dict[str, Path]:
    """Dotted name -> file, for every module of the package (``__init__`` as the package itself)."""
    package = package_dir.name
    names: dict[str, Path] = {}
    for path in sorted(package_dir.rglob("*.py")):
        parts = [package, *path.relative_to(package_dir).with_suffix("").parts]
        if parts[-1] == "__init__":
            parts.pop()
        names[".".join(parts)] = path
    return names


def imported_names(path: Path, module: str, is_package: bool, modules: Iterable[str] = ()) -> set[str]:
    """Every module named by an import anywhere in the file (functions and TYPE_CHECKING included).

    ``from pkg import name`` imports the submodule ``pkg.name`` when ``modules`` has one by that name,
    else a name defined in ``pkg`` itself (so ``pkg``, its ``__init__``).
    """
    known = set(modules)
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")
                base = base[: len(base) - node.level + (1 if is_package else 0)]
                origin = ".".join([*base, node.module] if node.module else base)
            else:
                origin = node.module or ""
            for alias in node.names:
                submodule = f"{origin}.{alias.name}"
                found.add(submodule if submodule in known else origin)
    return found


def import_graph(package_dir: Path) -> dict[str, set[str]]:
    """Module -> the package's modules it imports."""
    modules = module_names(package_dir)
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        targets = imported_names(path, name, path.name == "__init__.py", modules)
        graph[name] = {t for t in targets if t in modules and t != name}
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle as a path (first module repeated at the end), or None."""
    state: dict[str, str] = {}  # "open" while on the current path, "done" once fully explored
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = "open"
        path.append(node)
        for target in sorted(graph.get(node, ())):
            if state.get(target) == "open":
                return [*path[path.index(target) :], target]
            if target not in state and (cycle := visit(target)) is not None:
                return cycle
        path.pop()
        state[node] = "done"
        return None

    for start in sorted(graph):
        if start not in state and (cycle := visit(start)) is not None:
            return cycle
    return None


def test_the_emulator_package_has_no_import_cycle() -> None:
    graph = import_graph(PACKAGE_DIR)
    assert "slack_emulator.server" in graph["slack_emulator.driver"], "the graph reads the package's imports"
    assert find_cycle(graph) is None, f"import cycle: {' -> '.join(find_cycle(graph) or [])}"


def test_the_cycle_check_finds_a_cycle_through_a_function_level_import(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("from pkg.b import B\nA = 1\n")
    (package / "b.py").write_text("from . import c\nB = 2\n")
    (package / "c.py").write_text("def late() -> int:\n    from .a import A\n    return A\n")
    assert find_cycle(import_graph(package)) == ["pkg.a", "pkg.b", "pkg.c", "pkg.a"]


def test_the_cycle_check_tells_a_submodule_from_a_name_of_the_package(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("from pkg.a import A\n")
    (package / "a.py").write_text("from pkg import b\nA = b.B\n")  # the submodule b: no cycle
    (package / "b.py").write_text("B = 1\n")
    assert find_cycle(import_graph(package)) is None
    (package / "b.py").write_text("from pkg import A\nB = 1\n")  # a name of pkg: pkg -> a -> b -> pkg
    assert find_cycle(import_graph(package)) == ["pkg", "pkg.a", "pkg.b", "pkg"]


def test_the_emulator_imports_nothing_from_the_bot() -> None:
    reaching_in = {
        name: sorted(
            t for t in imported_names(path, name, path.name == "__init__.py") if t.split(".")[0] == "bot"
        )
        for name, path in module_names(PACKAGE_DIR).items()
    }
    assert {name: found for name, found in reaching_in.items() if found} == {}


def test_the_bot_package_has_no_import_cycle() -> None:
    graph = import_graph(BOT_DIR)
    assert "bot.usecases.thread" in graph["bot.usecases.decide"], "the graph reads the package's imports"
    assert find_cycle(graph) is None, f"import cycle: {' -> '.join(find_cycle(graph) or [])}"


def _reaches(package: str, forbidden: tuple[str, ...]) -> dict[str, list[str]]:
    modules = module_names(BOT_DIR)
    found: dict[str, list[str]] = {}
    for name, path in modules.items():
        if not name.startswith(package):
            continue
        bad = sorted(
            t
            for t in imported_names(path, name, path.name == "__init__.py", modules)
            if t.startswith(forbidden)
        )
        if bad:
            found[name] = bad
    return found


def test_the_runbook_rules_import_no_slack_database_model_or_scheduler() -> None:
    forbidden = (
        *("slack_bolt", "slack_sdk", "sqlalchemy", "sqlmodel", "apscheduler", "langchain"),
        *("bot.slack", "bot.store", "bot.scheduling", "bot.usecases", "bot.drafting", "bot.runtime"),
    )
    assert _reaches("bot.runbook", forbidden) == {}


def test_the_use_cases_know_no_slack() -> None:
    assert _reaches("bot.usecases", ("slack_bolt", "slack_sdk", "bot.slack")) == {}


def test_the_bot_starts_without_importing_langchain_or_alembic() -> None:
    """Each costs about a second or a fifth of one before the first acknowledgement: the template
    drafter is built after start, and a database at the newest migration is not handed to alembic."""
    import subprocess
    import sys

    probe = (
        "import sys; import bot.runtime, bot.slack.app, bot.store.db, bot.store.check, bot.http; "
        "from bot.drafting import DrafterSetupError, PromptError, LazyDrafter; "
        f"from bot.drafting import load_prompts; load_prompts({str(BOT_DIR.parent / 'prompts')!r}); "
        "print(' '.join(sorted({m.split('.')[0] for m in sys.modules} & {'langchain_core', 'alembic'})))"
    )
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert loaded.stdout.split() == [], loaded.stdout
