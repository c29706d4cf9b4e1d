"""`oops` as a person runs it, from the repository root with no Slack tokens in sight.

The commands run in-process through typer's CliRunner (a cold `python -m bot` costs a second each);
one smoke test runs the real program in a fresh process, to prove the entry point and the imports.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from sqlalchemy import create_engine, inspect, text
from typer.testing import Result

from bot.cli import app
from bot.manifest import build_manifest
from bot.store.db import make_engine, migrate, normalise_url
from tests.cli_helpers import ROOT, oops

COMMANDS = ("serve", "manifest", "check", "demo")
HTTP_URL = "https://oops.example.com/slack/events"
PASSWORD = "s3cret-pw"


def _show(result: Result) -> str:
    return f"exit {result.exit_code}\n--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"


def _no_traceback(result: Result) -> None:
    """The command ended on its own terms: no exception escaped, nothing printed a traceback."""
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output, _show(result)


@pytest.fixture(scope="module")
def bad_config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    text = (ROOT / "app.yaml").read_text(encoding="utf-8")
    assert "timezone: Europe/London" in text
    path = tmp_path_factory.mktemp("bad") / "app.yaml"
    path.write_text(text.replace("timezone: Europe/London", "timezone: Europe/Atlantis"), encoding="utf-8")
    return path


def test_help_lists_every_command_and_points_at_the_demo() -> None:
    result = oops("--help")
    assert result.exit_code == 0, _show(result)
    for command in COMMANDS:
        assert command in result.stdout, f"{command} missing from --help\n{_show(result)}"
    assert "oops demo" in result.stdout, _show(result)


def _description(command: str) -> str:
    for info in app.registered_commands:
        if (info.name or info.callback.__name__) == command:  # type: ignore[union-attr]
            doc = (info.callback.__doc__ or "").strip()  # type: ignore[union-attr]
            return doc.split(":")[0].split(".")[0][:40]
    raise AssertionError(f"no command {command}")


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_with_a_description(command: str) -> None:
    result = oops(command, "--help")
    assert result.exit_code == 0, _show(result)
    description = _description(command)
    assert len(description) >= 10, f"{command} has no description in its docstring"
    assert description in " ".join(result.stdout.split()), _show(result)
    assert "Usage" in result.stdout and command in result.stdout


def test_main_help_shows_each_commands_whole_description() -> None:
    """The whole first line of each command's docstring, not one cut at 45 characters with '...'."""
    text = " ".join(oops("--help").stdout.split())
    for info in app.registered_commands:
        first_line = (info.callback.__doc__ or "").strip().splitlines()[0]  # type: ignore[union-attr]
        assert " ".join(first_line.split()) in text, first_line


def test_manifest_prints_yaml() -> None:
    result = oops("manifest")
    assert result.exit_code == 0, _show(result)
    assert yaml.safe_load(result.stdout) == build_manifest()
    assert result.stderr == ""


def test_manifest_json() -> None:
    result = oops("manifest", "--json")
    assert result.exit_code == 0, _show(result)
    assert json.loads(result.stdout) == build_manifest()
    http = json.loads(oops("manifest", "--json", "--http-url", HTTP_URL).stdout)
    assert http["settings"]["socket_mode_enabled"] is False
    assert http["features"]["slash_commands"][0]["url"] == HTTP_URL


def test_check_validates_the_shipped_files_and_names_the_runbooks(tmp_path: Path) -> None:
    result = oops("check", OOPS_DATABASE_URL=f"sqlite:///{tmp_path / 'none-yet.db'}")
    assert result.exit_code == 0, _show(result)
    for runbook in sorted(p.stem for p in (ROOT / "runbooks").glob("*.yaml")):
        assert runbook in result.stdout, f"{runbook} not named\n{_show(result)}"
    assert "valid" in result.stdout
    assert "no database yet" in result.stdout, _show(result)
    assert not (tmp_path / "none-yet.db").exists(), "check created the database"


def test_check_with_a_bad_time_zone_names_file_and_line(bad_config: Path) -> None:
    result = oops("check", "-c", str(bad_config))
    assert result.exit_code == 1, _show(result)
    line = next(
        n for n, text in enumerate(bad_config.read_text().splitlines(), start=1) if "Europe/Atlantis" in text
    )
    message = " ".join(result.output.split())
    assert f"{bad_config}:{line}:" in message, _show(result)
    assert "team.timezone" in message and "Europe/Atlantis" in message, _show(result)
    _no_traceback(result)


def test_serve_without_tokens_explains_how_to_get_them() -> None:
    result = oops("serve")
    assert result.exit_code == 2, _show(result)
    message = " ".join(result.output.split())
    assert "SLACK_BOT_TOKEN" in message and "SLACK_APP_TOKEN" in message, _show(result)
    assert "manifest" in message and "api.slack.com/apps" in message, _show(result)
    assert "demo" in message, _show(result)
    _no_traceback(result)


def test_serve_over_http_without_tokens_asks_for_the_signing_secret() -> None:
    result = oops("serve", "--http")
    assert result.exit_code == 2, _show(result)
    first_line = result.output.strip().splitlines()[0]
    assert "SLACK_SIGNING_SECRET" in first_line and "SLACK_APP_TOKEN" not in first_line, _show(result)


def test_check_with_a_missing_config_says_so() -> None:
    result = oops("check", "-c", "no/such/app.yaml")
    assert result.exit_code == 1, _show(result)
    assert "no/such/app.yaml: file not found" in " ".join(result.stderr.split()), _show(result)
    _no_traceback(result)


def test_demo_walks_a_whole_incident() -> None:
    result = oops("demo")
    assert result.exit_code == 0, _show(result)
    out = result.stdout
    assert "OOPS-1" in out, _show(result)
    assert "Make it big" in out or "Correct it" in out, _show(result)
    assert "Retrospective" in out, _show(result)
    assert "closed" in out, _show(result)
    assert "Decision log of OOPS-1" in out, _show(result)
    _no_traceback(result)


# What `import bot.cli` must not load: each takes from tens of milliseconds to a second, and
# `oops --help` has 0.4 s in all. The commands import them when they run.
HEAVY = (
    "slack_bolt",
    "slack_sdk",
    "sqlalchemy",
    "sqlmodel",
    "alembic",
    "langchain_core",
    "apscheduler",
    "rich",
)
IMPORTS_THEN_CHECK = f"""
import sys
import bot.cli
loaded = sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r}))
print('heavy modules after import:', ' '.join(loaded) or '(none)', flush=True)
sys.argv = ['oops', 'check']
bot.cli.main()
"""


def test_the_real_program_starts_light_and_checks_the_shipped_files(tmp_path: Path) -> None:
    """The one cold process: the console script's `main()` running `oops check`, as `make check` does;
    first it reports what importing the CLI loaded."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "OOPS_"))}
    env.update({"OOPS_DATABASE_URL": f"sqlite:///{tmp_path / 'oops.db'}", "COLUMNS": "200", "NO_COLOR": "1"})
    done = subprocess.run(
        [sys.executable, "-c", IMPORTS_THEN_CHECK],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.splitlines()[0] == "heavy modules after import: (none)", done.stdout
    assert "valid" in done.stdout and "Database:" in done.stdout, done.stdout
    assert done.stderr == "", done.stderr


# ---------------------------------------------------------------------------------------------- the database


def _closed_port() -> int:
    """A local port nothing listens on: bound, then released."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


TOKENS = {"SLACK_BOT_TOKEN": "xoxb-not-used", "SLACK_SIGNING_SECRET": "not-used"}


def _one_line_error(result: Result) -> str:
    """The error, which must be one line on stderr, with no traceback and no password."""
    _no_traceback(result)
    assert result.exit_code == 1, _show(result)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, _show(result)
    assert PASSWORD not in result.output, _show(result)
    return lines[0]


@pytest.mark.parametrize("command", [("check",), ("serve", "--http")])
def test_an_unreachable_database_is_one_line_saying_what_to_check(command: tuple[str, ...]) -> None:
    port = _closed_port()
    url = f"postgresql://oops:{PASSWORD}@127.0.0.1:{port}/oops"
    line = _one_line_error(oops(*command, OOPS_DATABASE_URL=url, **TOKENS))
    assert f"postgresql://oops@127.0.0.1:{port}/oops" in line, line
    assert "connection refused" in line and "is the server running" in line, line
    assert "OOPS_DATABASE_URL" in line, line


@pytest.mark.parametrize("command", [("check",), ("serve", "--http")])
@pytest.mark.parametrize(
    "url", [f"postgresql://oops:{PASSWORD}@db.example.com:port/oops", "database at the usual place"]
)
def test_a_malformed_database_url_is_one_line(command: tuple[str, ...], url: str) -> None:
    line = _one_line_error(oops(*command, OOPS_DATABASE_URL=url, **TOKENS))
    assert "malformed" in line and "OOPS_DATABASE_URL" in line, line


def test_a_database_url_from_app_yaml_names_the_file(tmp_path: Path) -> None:
    config = tmp_path / "app.yaml"
    text = (ROOT / "app.yaml").read_text(encoding="utf-8")
    settings = {
        "database_url: sqlite:///oops.db": f"database_url: postgresql://oops:{PASSWORD}@127.0.0.1:{_closed_port()}/oops",
        "runbooks_dir: runbooks": f"runbooks_dir: {ROOT / 'runbooks'}",
        "prompts_dir: prompts": f"prompts_dir: {ROOT / 'prompts'}",
    }
    for old, new in settings.items():
        assert old in text, old
        text = text.replace(old, new)
    config.write_text(text, encoding="utf-8")
    line = _one_line_error(oops("serve", "--http", "-c", str(config), **TOKENS))
    assert f"database_url in {config}" in line, line


@pytest.mark.parametrize("command", [("check",), ("serve", "--http")])
def test_a_sqlite_path_whose_directory_cannot_be_made_is_one_line(
    command: tuple[str, ...], tmp_path: Path
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    path = blocker / "data" / "oops.db"
    line = _one_line_error(oops(*command, OOPS_DATABASE_URL=f"sqlite:///{path}", **TOKENS))
    assert str(path) in line and "not a directory" in line, line


def _tables(url: str) -> set[str]:
    engine = create_engine(normalise_url(url))
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_check_reports_the_schema_and_never_migrates(database_url: str) -> None:
    """An empty database is reported, left empty; a migrated one is current; one migrated by a newer
    oops (a revision this one does not know) fails the check."""
    result = oops("check", OOPS_DATABASE_URL=database_url)
    assert result.exit_code == 0, _show(result)
    assert "Database:" in result.stdout and (
        "no tables yet" in result.stdout or "no database yet" in result.stdout
    )
    assert "alembic_version" not in _tables(database_url), "check migrated the database"

    engine = make_engine(database_url)
    try:
        migrate(engine)
        result = oops("check", OOPS_DATABASE_URL=database_url)
        assert result.exit_code == 0, _show(result)
        assert "schema current" in result.stdout, _show(result)

        with engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = 'f00d'"))
        result = oops("check", OOPS_DATABASE_URL=database_url)
        assert result.exit_code == 1, _show(result)
        assert "f00d" in result.stderr and "does not know" in result.stderr, _show(result)
    finally:
        engine.dispose()
