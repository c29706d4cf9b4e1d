"""`make bench`: how fast the bot answers Slack, measured over real HTTP against the local emulator.

Slack gives every slash command, click and submission 3 seconds for its acknowledgement, and a
modal's trigger_id lives 3 seconds: those are the figures that matter. Printed here, never asserted
in tests (timings on a shared CI machine make flaky tests, not information).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import tempfile
import time
from pathlib import Path

from bot.config import load_config
from bot.demo import ANSWERS, DETAILS, INCIDENT_CHANNEL, SUMMARY, DemoBot, _fill, demo_bot, walk_incident
from bot.slack import ids

ROOT = Path(__file__).resolve().parent.parent


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _row(name: str, seconds: list[float]) -> str:
    ms = [s * 1000 for s in seconds]
    return f"{name:<44} {len(ms):>4} {statistics.median(ms):>8.1f} {_pct(ms, 0.95):>8.1f} {max(ms):>8.1f}"


def _cpu() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def measure(bot: DemoBot, incidents: int) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {
        k: []
        for k in (
            "ack /oops (then the modal opens)",
            "ack report submission",
            "report → decision prompt posted",
            "ack a decision click (then its modal opens)",
            "whole incident, /oops to closed",
        )
    }
    emu, driver = bot.emulator, bot.driver
    for _ in range(incidents):
        response = driver.slash("/oops", SUMMARY, channel=INCIDENT_CHANNEL)
        out["ack /oops (then the modal opens)"].append(response.elapsed_seconds)
        bot.settle()
        view = emu.opened_views[-1]
        values = {"details": DETAILS}
        values.update(_fill(view, {ids.QUESTION_PREFIX + k: v for k, v in ANSWERS.items()}))
        started = time.monotonic()
        response = driver.submit_view(view["id"], values)
        out["ack report submission"].append(response.elapsed_seconds)
        bot.settle()
        out["report → decision prompt posted"].append(time.monotonic() - started)
        header = emu.messages(INCIDENT_CHANNEL)[-1]
        decide = next(
            m
            for m in emu.thread(INCIDENT_CHANNEL, header.ts)
            if any(
                e.get("action_id") == ids.DECIDE_PREFIX + "correct"
                for b in m.blocks
                for e in b.get("elements", [])
            )
        )
        response = driver.click(decide.channel, decide.ts, ids.DECIDE_PREFIX + "correct")
        out["ack a decision click (then its modal opens)"].append(response.elapsed_seconds)
        bot.settle()
    for _ in range(incidents):
        started = time.monotonic()
        walk_incident(bot)
        out["whole incident, /oops to closed"].append(time.monotonic() - started)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--incidents", type=int, default=20, help="incidents per measurement (default 20)")
    args = parser.parse_args()
    config = load_config(ROOT / "app.yaml", env={})
    with (
        tempfile.TemporaryDirectory(prefix="oops-bench-") as tmp,
        demo_bot(config, f"sqlite:///{tmp}/bench.db") as bot,
    ):
        results = measure(bot, args.incidents)
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, {_cpu()}, Python {platform.python_version()}"
    )
    print("setup:   bot over HTTP (waitress + Bolt) ↔ local Slack emulator, SQLite (WAL), template drafter")
    print(f"{'measure':<44} {'n':>4} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
    for name, values in results.items():
        print(_row(name, values))
    print("Slack's limit for every acknowledgement: 3000 ms")


if __name__ == "__main__":
    main()
