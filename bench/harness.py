"""What every measurement shares: the emulated workspace, the served processes, clocks and counters.

Two ways to run the bot, each where it measures best:
- ``served(...)`` starts ``oops serve --http`` (or the bare app) as its own process, as an operator
  runs it: start-up, acknowledgement latency, CPU per request and resident memory are the process's
  own, not mixed with the emulator's or the load generator's.
- ``bot.demo.demo_bot`` runs it in this process, so the bench can wait until the bot is idle
  (``runtime.wait_idle``) and count the engine's transactions; CPU is then summed over the bot's
  threads only (``BotThreadsCPU``).
"""

from __future__ import annotations

import math
import os
import secrets
import socket
import subprocess
import sys
import threading
import time
import urllib.error
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bench._slack import BenchEmulator, SlackDriver
from bot.config import AppConfig, load_config
from bot.demo import DECIDER, INCIDENT_CHANNEL, REPORTER, REVIEWER

ROOT = Path(__file__).resolve().parent.parent
EVENTS_PATH = "/slack/events"
TEAM_ID = "T0WHEY"  # the workspace the emulator reports
CLK_TCK = os.sysconf("SC_CLK_TCK")
START_TIMEOUT = 60.0


def bench_config() -> AppConfig:
    return load_config(ROOT / "app.yaml", env={})


def workspace(config: AppConfig) -> BenchEmulator:
    """An emulator with the channels and people ``oops demo`` has, so notices land somewhere real."""
    channels = {INCIDENT_CHANNEL: "oops"}
    for dept in config.departments.values():
        name = dept.channel.lstrip("#")
        channels.setdefault(f"C0{name.upper()[:8]}", name)
    users = {REPORTER: "ailsa", DECIDER: "marc", REVIEWER: "jo"}
    return BenchEmulator(channels=channels, users=users, team_id=TEAM_ID)


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..1): p99 of 200 samples is the 198th smallest."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = max(1, min(len(ordered), math.ceil(q * len(ordered))))
    return ordered[rank - 1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def oops_command() -> list[str]:
    """The `oops` console script installed beside this interpreter, else `python -m bot`."""
    script = Path(sys.executable).parent / "oops"
    return [str(script)] if script.exists() else [sys.executable, "-m", "bot"]


# ------------------------------------------------------------------------------------- CPU and memory


def process_cpu(pid: int) -> float:
    """User + system CPU seconds of a live process, all its threads (from /proc, clock-tick resolution)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def rss_mb(pid: int | None = None) -> float:
    """Resident memory (VmRSS) in MB."""
    for line in Path(f"/proc/{pid or 'self'}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc status")


# Threads in this process that are not the bot: the bench's own (main thread, its client pools named
# bench-*), and the emulator's (its server loop and one short-lived thread per request).
_NOT_BOT = ("slack-emulator", "bench-")


def _bot_threads() -> dict[int, float]:
    main = threading.main_thread()
    clocks: dict[int, float] = {}
    for thread in threading.enumerate():
        if (
            thread is main
            or thread.ident is None
            or thread.name.startswith(_NOT_BOT)
            or "process_request_thread" in thread.name
        ):
            continue
        try:
            clocks[thread.ident] = time.clock_gettime(time.pthread_getcpuclockid(thread.ident))
        except OSError:  # the thread ended meanwhile
            continue
    return clocks


class BotThreadsCPU:
    """CPU seconds spent by the in-process bot's threads (waitress, Bolt's listener pool, the scheduler),
    leaving out the emulator and the load generator that share the process."""

    def __init__(self) -> None:
        self._start = _bot_threads()

    def seconds(self) -> float:
        now = _bot_threads()
        return sum(max(0.0, value - self._start.get(ident, 0.0)) for ident, value in now.items())


# ------------------------------------------------------------------------------------ served processes


@dataclass
class Served:
    """A bot (or the bare app) running as its own process, and a driver signed for it."""

    name: str
    process: subprocess.Popen[bytes]
    driver: SlackDriver
    startup_seconds: float  # wall, from spawn to the first 2xx acknowledgement
    startup_cpu: float  # the process's CPU seconds by then

    @property
    def pid(self) -> int:
        return self.process.pid

    def cpu(self) -> float:
        return process_cpu(self.pid)

    def rss_mb(self) -> float:
        return rss_mb(self.pid)


def _first_ack(
    driver: SlackDriver, process: subprocess.Popen[bytes], tail: list[bytes], started: float
) -> float:
    """Seconds from ``started`` to the first 2xx answer to a signed /oops; polls every 10 ms."""
    deadline = started + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            process.wait()
            time.sleep(0.2)  # let the drain thread take the last lines
            output = b"".join(tail).decode(errors="replace")
            raise RuntimeError(f"the served process exited with {process.returncode}:\n{output[-3000:]}")
        try:
            response = driver.slash("/oops", "start-up probe", user=REPORTER, channel=INCIDENT_CHANNEL)
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.01)
            continue
        if response.ok:
            return time.monotonic() - started
        time.sleep(0.01)
    raise RuntimeError(f"no acknowledgement within {START_TIMEOUT:.0f} s")


@contextmanager
def served(kind: str, emulator: BenchEmulator, database_url: str, workdir: Path) -> Iterator[Served]:
    """Start ``oops serve --http`` (kind "oops") or ``python -m bench.bare`` (kind "bare") on a free
    port and return once it has acknowledged its first signed request."""
    port = free_port()
    secret = secrets.token_hex(16)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "OOPS_"))}
    env.update(
        {
            "SLACK_BOT_TOKEN": emulator.bot_token,
            "SLACK_SIGNING_SECRET": secret,
            "SLACK_API_URL": emulator.base_url,
            "OOPS_CONFIG": str(ROOT / "app.yaml"),
            "OOPS_DATABASE_URL": database_url,
        }
    )
    if kind == "oops":
        command = [*oops_command(), "serve", "--http", "--host", "127.0.0.1", "--port", str(port)]
        cwd = workdir
    elif kind == "bare":
        command = [sys.executable, "-m", "bench.bare", "--host", "127.0.0.1", "--port", str(port)]
        cwd = ROOT
    else:
        raise ValueError(kind)
    driver = SlackDriver(f"http://127.0.0.1:{port}{EVENTS_PATH}", secret, emulator, team_id=TEAM_ID)
    started = time.monotonic()
    process = subprocess.Popen(command, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    # Drain its log so a chatty process never blocks on a full pipe; keep the tail for errors.
    tail: list[bytes] = []
    threading.Thread(target=_drain, args=(process, tail), name="bench-drain", daemon=True).start()
    try:
        startup = _first_ack(driver, process, tail, started)
        yield Served(kind, process, driver, startup, process_cpu(process.pid))
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _drain(process: subprocess.Popen[bytes], tail: list[bytes]) -> None:
    assert process.stdout is not None
    for line in process.stdout:
        tail.append(line)
        del tail[:-50]
