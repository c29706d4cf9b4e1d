"""The machine a bench ran on, in one line: figures mean nothing without it."""

from __future__ import annotations

import os
import platform
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path


@dataclass
class Machine:
    arch: str
    cores: int
    cpu: str
    memory_gb: float
    python: str
    os: str
    date: str
    load: float  # 1-minute load average when the bench started: others' work on a shared machine
    sqlite: str

    def line(self) -> str:
        return (
            f"{self.arch}, {self.cores} cores, {self.cpu}, {self.memory_gb:.0f} GB, Python {self.python}, "
            f"{self.os}, SQLite {self.sqlite}, {self.date}, load {self.load:.1f} at start"
        )


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def _memory_gb() -> float:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 1024 / 1024
    except OSError:
        pass
    return 0.0


def _os() -> str:
    try:
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                return line.split("=", 1)[1].strip('"')
    except OSError:
        pass
    return platform.platform()


def describe_machine() -> Machine:
    return Machine(
        arch=platform.machine(),
        cores=os.cpu_count() or 0,
        cpu=_cpu_model(),
        memory_gb=_memory_gb(),
        python=platform.python_version(),
        os=_os(),
        date=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        load=os.getloadavg()[0],
        sqlite=sqlite3.sqlite_version,
    )
