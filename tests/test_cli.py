"""`oops` as a person runs it: a fresh process from the repository root, no Slack tokens in sight.

The commands run once each, side by side (a module fixture), to keep the file quick.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from bot.cli import app
from bot.manifest import build_manifest

ROOT = Path(__file__).resolve().parent.parent
COMMANDS = ("serve", "manifest", "check", "demo")
HTTP_URL = "https://oops.example.com/slack/events"


@dataclass(frozen=True)
class Run:
    args: tuple[str, ...]
    code: int
    out: str
    err: str

    def __str__(self) -> str:
        return f"oops {' '.join(self.args)} -> {self.code}\n--- stdout\n{self.out}\n--- stderr\n{self.err}"


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLACK_") and not k.startswith("OOPS_")}
    # Wide enough that rich never folds a path or a table title in the middle.
    env.update({"COLUMNS": "200", "NO_COLOR": "1", "TERM": "dumb"})
    return env


def _run(args: tuple[str, ...]) -> Run:
    done = subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=ROOT,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return Run(args, done.returncode, done.stdout, done.stderr)


@pytest.fixture(scope="module")
def bad_config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    text = (ROOT / "app.yaml").read_text(encoding="utf-8")
    assert "timezone: Europe/London" in text
    path = tmp_path_factory.mktemp("bad") / "app.yaml"
    path.write_text(text.replace("timezone: Europe/London", "timezone: Europe/Atlantis"), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def runs(bad_config: Path) -> dict[tuple[str, ...], Run]:
    wanted: list[tuple[str, ...]] = [
        ("--help",),
        *[(command, "--help") for command in COMMANDS],
        ("manifest",),
        ("manifest", "--json"),
        ("manifest", "--json", "--http-url", HTTP_URL),
        ("check",),
        ("check", "-c", str(bad_config)),
        ("check", "-c", "no/such/app.yaml"),
        ("serve",),
        ("serve", "--http"),
        ("demo",),
    ]
    with ThreadPoolExecutor(max_workers=min(len(wanted), 2 * (os.cpu_count() or 2))) as pool:
        return dict(zip(wanted, pool.map(_run, wanted), strict=True))


def test_help_lists_every_command_and_points_at_the_demo(runs: dict[tuple[str, ...], Run]) -> None:
    run = runs[("--help",)]
    assert run.code == 0, run
    for command in COMMANDS:
        assert command in run.out, f"{command} missing from --help\n{run}"
    assert "oops demo" in run.out, run


def _description(command: str) -> str:
    for info in app.registered_commands:
        if (info.name or info.callback.__name__) == command:  # type: ignore[union-attr]
            doc = (info.callback.__doc__ or "").strip()  # type: ignore[union-attr]
            return doc.split(":")[0].split(".")[0][:40]
    raise AssertionError(f"no command {command}")


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_with_a_description(runs: dict[tuple[str, ...], Run], command: str) -> None:
    run = runs[(command, "--help")]
    assert run.code == 0, run
    description = _description(command)
    assert len(description) >= 10, f"{command} has no description in its docstring"
    assert description in " ".join(run.out.split()), run
    assert "Usage" in run.out and command in run.out


def test_main_help_shows_each_commands_description(runs: dict[tuple[str, ...], Run]) -> None:
    text = " ".join(runs[("--help",)].out.split())
    for command in COMMANDS:
        assert _description(command)[:20] in text, command


def test_manifest_prints_yaml(runs: dict[tuple[str, ...], Run]) -> None:
    run = runs[("manifest",)]
    assert run.code == 0, run
    assert yaml.safe_load(run.out) == build_manifest()
    assert run.err == ""


def test_manifest_json(runs: dict[tuple[str, ...], Run]) -> None:
    run = runs[("manifest", "--json")]
    assert run.code == 0, run
    assert json.loads(run.out) == build_manifest()
    http = json.loads(runs[("manifest", "--json", "--http-url", HTTP_URL)].out)
    assert http["settings"]["socket_mode_enabled"] is False
    assert http["features"]["slash_commands"][0]["url"] == HTTP_URL


def test_check_validates_the_shipped_files_and_names_the_runbooks(runs: dict[tuple[str, ...], Run]) -> None:
    run = runs[("check",)]
    assert run.code == 0, run
    for runbook in sorted(p.stem for p in (ROOT / "runbooks").glob("*.yaml")):
        assert runbook in run.out, f"{runbook} not named\n{run}"
    assert "valid" in run.out


def test_check_with_a_bad_time_zone_names_file_and_line(
    runs: dict[tuple[str, ...], Run], bad_config: Path
) -> None:
    run = runs[("check", "-c", str(bad_config))]
    assert run.code == 1, run
    line = next(
        n for n, text in enumerate(bad_config.read_text().splitlines(), start=1) if "Europe/Atlantis" in text
    )
    message = " ".join((run.err + run.out).split())
    assert f"{bad_config}:{line}:" in message, run
    assert "team.timezone" in message and "Europe/Atlantis" in message, run
    assert "Traceback" not in run.err, run


def test_serve_without_tokens_explains_how_to_get_them(runs: dict[tuple[str, ...], Run]) -> None:
    run = runs[("serve",)]
    assert run.code == 2, run
    message = " ".join((run.err + run.out).split())
    assert "SLACK_BOT_TOKEN" in message and "SLACK_APP_TOKEN" in message, run
    assert "oops manifest" in message and "api.slack.com/apps" in message, run
    assert "oops demo" in message, run
    assert "Traceback" not in run.err, run


def test_serve_over_http_without_tokens_asks_for_the_signing_secret(runs: dict[tuple[str, ...], Run]) -> None:
    run = runs[("serve", "--http")]
    assert run.code == 2, run
    first_line = (run.err + run.out).strip().splitlines()[0]
    assert "SLACK_SIGNING_SECRET" in first_line and "SLACK_APP_TOKEN" not in first_line, run


def test_check_with_a_missing_config_says_so(runs: dict[tuple[str, ...], Run]) -> None:
    run = runs[("check", "-c", "no/such/app.yaml")]
    assert run.code == 1, run
    assert "no/such/app.yaml: file not found" in " ".join(run.err.split()), run
    assert "Traceback" not in run.err, run


def test_demo_walks_a_whole_incident(runs: dict[tuple[str, ...], Run]) -> None:
    run = runs[("demo",)]
    assert run.code == 0, run
    out = run.out
    assert "OOPS-1" in out, run
    assert "Make it big" in out or "Correct it" in out, run
    assert "Retrospective" in out, run
    assert "closed" in out, run
    assert "Decision log of OOPS-1" in out, run
    assert "Traceback" not in run.err, run
