"""Take the mistake history out of the database and back in: `oops history show`, `export`, `import`.

Export writes every incident of one workspace, by id, as JSON Lines (bot.usecases.archive_format) or
as a CSV summary for spreadsheets. Import reads JSON Lines only, validates the whole file before it
writes anything, and writes it in one transaction into the workspace it is given.

An imported incident is *already there* when the workspace holds an incident reported at the same
instant (to the microsecond) by the same person with the same title: importing a file twice adds
nothing, whatever ids the first import gave. Otherwise it keeps its id (OOPS-N) when no incident of
any workspace has it, and gets the next free one when it is taken; a source key (the Slack view that
reported it) already used elsewhere is dropped. Export → import into an empty database → export gives
the same bytes.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import TextIO

from bot.store.archive import ArchiveRows, Rows
from bot.store.repo import Repo
from bot.store.tables import Incident
from bot.usecases.archive_format import ArchiveError, IncidentRecord, dumps, iso, parse_lines, record_of
from bot.usecases.archive_format import rows_of as new_rows
from bot.usecases.history import lesson

# New columns go at the end, so a spreadsheet reading columns by place keeps working.
CSV_COLUMNS = (
    "id", "ref", "title", "runbook", "scale", "decision", "status", "reporter", "created", "closed", "lesson",
    "cause", "open_action_items",
)  # fmt: skip
# A cell a spreadsheet would run as a formula (=, +, -, @, or a tab/CR first) is kept as text.
_FORMULA = re.compile(r"^[=+\-@\t\r]")
_REF = re.compile(r"^\s*(?:oops-?|#)?\s*(\d{1,9})\s*$", re.IGNORECASE)


def incident_id(ref: str) -> int | None:
    """``OOPS-7``, ``oops-7``, ``#7`` or ``7`` → 7; anything else → None."""
    match = _REF.match(ref)
    return int(match.group(1)) if match else None


def record(repo: Repo, ref: str) -> Rows | None:
    """One incident and everything it owns, for `oops history show`; None when the workspace has none."""
    number = incident_id(ref)
    return None if number is None else ArchiveRows(repo).one(number)


def jsonl(repo: Repo) -> Iterator[str]:
    """The workspace's history, one line (with its newline) per incident, by id."""
    for rows in ArchiveRows(repo).all():
        yield dumps(record_of(rows)) + "\n"


def _cell(value: str) -> str:
    return "'" + value if _FORMULA.match(value) else value


def write_csv(repo: Repo, out: TextIO) -> int:
    """One summary row per incident under a header; returns how many incidents."""
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    count = 0
    for rows in ArchiveRows(repo).all():
        i = rows.incident
        assert i.created_at is not None
        writer.writerow(
            [
                str(i.id),
                i.ref,
                _cell(i.title),
                _cell(i.runbook_id),
                _cell(i.scale),
                _cell(i.decision or ""),
                _cell(i.status),
                _cell(i.reporter),
                iso(i.created_at),
                iso(i.closed_at) if i.closed_at else "",
                _cell(lesson(rows.retrospective)),
                _cell(rows.retrospective.cause if rows.retrospective else ""),
                str(sum(item.done_at is None for item in rows.action_items)),
            ]
        )
        count += 1
    return count


def read(lines: Iterable[str], name: str) -> list[IncidentRecord]:
    """A whole file's records; ArchiveError (each bad line, its place and why) when any line is bad."""
    return parse_lines(lines, name)


@dataclass
class Summary:
    imported: list[str] = field(default_factory=list)  # refs as they are now
    already: list[str] = field(default_factory=list)  # refs in the file of incidents already there
    renumbered: list[tuple[str, str]] = field(default_factory=list)  # (ref in the file, new ref)
    source_keys_dropped: list[str] = field(default_factory=list)  # new refs

    def lines(self) -> list[str]:
        out = [f"Imported {len(self.imported)} incident(s); {len(self.already)} already there."]
        out += [f"{old} is taken by another incident: imported as {new}." for old, new in self.renumbered]
        if self.source_keys_dropped:
            refs = ", ".join(self.source_keys_dropped)
            out.append(f"Source keys already used by other incidents were left out for {refs}.")
        return out


def import_records(repo: Repo, records: list[IncidentRecord], *, dry_run: bool = False) -> Summary:
    """Write the records that are not there yet into the repo's workspace (see the module's note).

    Ids that are free are written first, so that an incident given a new id never takes the id of one
    further down the file. ``dry_run`` does it all and then rolls it back: the summary is the same.
    """
    rows = ArchiveRows(repo)
    summary = Summary()
    later: list[IncidentRecord] = []
    for rec in records:
        if rows.same_incident(rec.id, (rec.created_at, rec.reporter, rec.title)) is not None:
            summary.already.append(rec.ref)
        elif rows.id_taken(rec.id):
            later.append(rec)
        else:
            summary.imported.append(_add(rows, rec, summary, keep_id=True).ref)
    if not dry_run:  # PostgreSQL's sequence is not rolled back: a dry run numbers by hand instead
        rows.follow_ids()
    for rec in later:
        if dry_run:
            incident = _add(rows, rec.model_copy(update={"id": rows.next_id()}), summary, keep_id=True)
        else:
            incident = _add(rows, rec, summary, keep_id=False)
        summary.imported.append(incident.ref)
        summary.renumbered.append((rec.ref, incident.ref))
    if dry_run:
        rows.discard()
    return summary


def _add(rows: ArchiveRows, rec: IncidentRecord, summary: Summary, *, keep_id: bool) -> Incident:
    keep_key = rec.source_key is None or not rows.source_key_taken(rec.source_key)
    incident = rows.add(new_rows(rec, keep_id=keep_id, keep_source_key=keep_key))
    if not keep_key:
        summary.source_keys_dropped.append(incident.ref)
    return incident


__all__ = ["ArchiveError", "Summary", "import_records", "jsonl", "read", "record", "write_csv"]
