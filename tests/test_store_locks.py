"""Reads never queue behind SQLite's write lock, so a modal opens while another process writes."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path
from typing import Any

from bot.demo import DemoBot
from bot.slack import ids
from bot.store.db import make_engine, migrate
from bot.store.repo import Store

TEAM = "T0WHEY"  # the emulator's workspace: rows are always written for one

try:  # tests/ may or may not become a package; work either way
    from tests import slack_helpers as h
except ImportError:
    import slack_helpers as h  # type: ignore[no-redef]


NOWHERE = "C0NOWHERE"  # a channel the workspace does not have (or the bot was never invited to)


def _hold_write_lock(path: str) -> sqlite3.Connection:
    other = sqlite3.connect(path, isolation_level=None, timeout=0.1, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    return other


def test_reads_do_not_queue_behind_sqlites_write_lock_but_transactions_do(tmp_path: Path) -> None:
    path = str(tmp_path / "oops.db")
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine)
    store = Store(engine)
    outcome: dict[str, Any] = {}

    def read() -> None:
        with store.read(TEAM) as repo:
            outcome["read"] = repo.incidents()

    def write() -> None:
        with store.transaction(TEAM) as repo:
            outcome["write"] = repo.incidents()

    other = _hold_write_lock(path)
    try:
        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        reader.join(timeout=2)
        assert not reader.is_alive(), "Store.read waited for the write lock"
        assert outcome["read"] == [], outcome

        writer = threading.Thread(target=write, daemon=True)
        writer.start()
        writer.join(timeout=0.5)
        assert writer.is_alive(), "Store.transaction should wait for the write lock (BEGIN IMMEDIATE)"
    finally:
        other.execute("COMMIT")
        other.close()
    writer.join(timeout=5)
    assert not writer.is_alive() and outcome["write"] == []
    engine.dispose()


def test_a_modal_opens_while_another_process_holds_the_write_lock(sqlite_bot: DemoBot) -> None:
    bot, emu = sqlite_bot, sqlite_bot.emulator
    assert h.report(bot).status == 200
    database = bot.runtime.engine.url.database
    assert database
    message = h.button_message(bot, ids.REASSESS)
    opened = len(emu.opened_views)

    other = _hold_write_lock(database)
    try:
        ack = bot.driver.click(message.channel, message.ts, ids.REASSESS, user=h.REVIEWER)
        assert ack.status == 200, ack.body_text
        emu.wait_for(lambda e: len(e.opened_views) > opened, timeout=2.5)
    finally:
        other.execute("COMMIT")
        other.close()
    bot.settle()
    assert emu.opened_views[-1]["callback_id"] == ids.REASSESS_VIEW
    assert all(c.ok for c in emu.calls_to("views.open")), [c.response for c in emu.calls_to("views.open")]
