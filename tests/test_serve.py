"""`oops serve --http` as a real process: the command an operator runs, answering signed requests."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.demo import ANSWERS, INCIDENT_CHANNEL, SUMMARY, _fill
from bot.slack import ids
from slack_emulator import SlackDriver, SlackEmulator

ROOT = Path(__file__).resolve().parent.parent
SECRET = "serve-test-signing-secret"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[SlackEmulator, SlackDriver, subprocess.Popen[str]]]:
    port = _free_port()
    channels = {
        INCIDENT_CHANNEL: "oops",
        "C0SUP": "support",
        "C0LEAD": "leadership",
        "C0MKT": "marketing",
        "C0FIN": "finance",
        "C0COMMS": "comms",
    }
    with SlackEmulator(channels=channels) as emulator:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "OOPS_"))}
        env.update(
            {
                "SLACK_BOT_TOKEN": emulator.bot_token,
                "SLACK_SIGNING_SECRET": SECRET,
                "SLACK_API_URL": emulator.base_url,
                "OOPS_CONFIG": str(ROOT / "app.yaml"),
                "OOPS_DATABASE_URL": f"sqlite:///{tmp_path / 'served.db'}",
            }
        )
        process = subprocess.Popen(
            [sys.executable, "-m", "bot", "serve", "--http", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                    break
                except OSError:
                    assert process.poll() is None, process.stdout.read() if process.stdout else ""
                    time.sleep(0.1)
            else:
                pytest.fail("oops serve --http did not start listening within 30 s")
            driver = SlackDriver(f"http://127.0.0.1:{port}/slack/events", SECRET, emulator)
            yield emulator, driver, process
        finally:
            process.terminate()
            process.wait(timeout=10)


def test_serve_http_answers_slack_and_opens_an_incident(
    served: tuple[SlackEmulator, SlackDriver, subprocess.Popen[str]], tmp_path: Path
) -> None:
    emulator, driver, process = served
    assert driver.slash("/oops", SUMMARY).status == 200
    emulator.wait_for(lambda e: bool(e.calls_to("views.open")), timeout=10)
    view = emulator.opened_views[-1]
    values = _fill(view, {ids.QUESTION_PREFIX + k: v for k, v in ANSWERS.items()})
    assert driver.submit_view(view["id"], values).status == 200
    message = emulator.wait_for_message(INCIDENT_CHANNEL, contains="OOPS-1", timeout=15)
    emulator.wait_for(lambda e: len(e.thread(INCIDENT_CHANNEL, message.ts)) >= 4, timeout=15)
    assert (tmp_path / "served.db").exists(), "OOPS_DATABASE_URL was not used"

    # A request signed with another secret never reaches a listener.
    forged = SlackDriver(driver.request_url, "not-the-secret", emulator)
    calls_before = len(emulator.calls)
    assert forged.slash("/oops", "forged").status == 401
    assert len(emulator.calls) == calls_before
    assert process.poll() is None


def test_serve_http_refuses_to_start_without_signing_secret(tmp_path: Path) -> None:
    """In-process (typer's CliRunner): the refusal needs no cold process of its own."""
    env: dict[str, str | None] = {k: None for k in os.environ if k.startswith(("SLACK_", "OOPS_"))}
    env.update({"SLACK_BOT_TOKEN": "xoxb-anything", "OOPS_CONFIG": str(ROOT / "app.yaml"), "COLUMNS": "200"})
    result = CliRunner().invoke(app, ["serve", "--http"], env=env)
    assert result.exit_code == 2, result.output
    assert "SLACK_SIGNING_SECRET" in result.stderr
    assert "oops demo" in result.stderr
