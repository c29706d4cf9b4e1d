"""Root-cause categories in a runbook: a default list when absent, and every mistake in a hand-edited
list reported with the file, the line and the place."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.datafile import DataFileError
from bot.runbook import load_runbook, load_runbooks
from bot.runbook.model import default_causes

try:
    from tests.test_runbook_model import SAMPLE, line_of, write
except ImportError:
    from test_runbook_model import SAMPLE, line_of, write  # type: ignore[no-redef]

ROOT = Path(__file__).resolve().parents[1]


def _error(path: Path) -> str:
    with pytest.raises(DataFileError) as caught:
        load_runbook(path)
    return str(caught.value)


def test_a_runbook_without_causes_offers_the_five_defaults(tmp_path: Path) -> None:
    runbook = load_runbook(write(tmp_path, SAMPLE))
    assert [c.id for c in runbook.causes] == [
        "process",
        "communication",
        "tooling",
        "human_slip",
        "third_party",
    ]
    assert runbook.cause_label("human_slip") == "Human slip"
    assert runbook.cause_label("gone") == "gone", "a cause the runbook dropped still reads as its id"


def test_a_runbook_lists_its_own_causes(tmp_path: Path) -> None:
    text = (
        SAMPLE
        + "causes:\n  - {id: wrong_list, label: The list was wrong}\n  - {id: process, label: Process}\n"
    )
    runbook = load_runbook(write(tmp_path, text))
    assert [(c.id, c.label) for c in runbook.causes] == [
        ("wrong_list", "The list was wrong"),
        ("process", "Process"),
    ]


def test_a_cause_id_used_twice_names_file_line_and_place(tmp_path: Path) -> None:
    text = SAMPLE + "causes:\n  - {id: process, label: Process}\n  - {id: process, label: Again}\n"
    path = write(tmp_path, text)
    message = _error(path)
    assert message.startswith(f"{path}:{line_of(text, 'label: Again')}: causes[1].id: "), message
    assert "already used by causes[0]" in message


@pytest.mark.parametrize(
    ("entry", "place", "fragment"),
    [
        ("{id: Human Slip, label: Slip}", "causes[0].id", "lower-case word"),
        ("{id: slip}", "causes[0].label", "label"),
        ("{id: slip, label: Slip, colour: red}", "causes[0].colour", "colour"),
        ("{id: slip, label: '" + "x" * 76 + "'}", "causes[0].label", "75"),
    ],
)
def test_a_bad_cause_names_file_line_and_place(tmp_path: Path, entry: str, place: str, fragment: str) -> None:
    text = SAMPLE + f"causes:\n  - {entry}\n"
    path = write(tmp_path, text)
    message = _error(path)
    assert message.startswith(f"{path}:{line_of(text, entry[:8])}: {place}"), message
    assert fragment in message, message


def test_an_empty_list_of_causes_is_an_error(tmp_path: Path) -> None:
    path = write(tmp_path, SAMPLE + "causes: []\n")
    assert "causes" in _error(path)


def test_each_shipped_runbook_lists_causes_of_its_own() -> None:
    defaults = [c.id for c in default_causes()]
    for runbook in load_runbooks(ROOT / "runbooks").values():
        assert 3 <= len(runbook.causes) <= 10 and all(len(c.label) <= 75 for c in runbook.causes)
        if runbook.id != "general":
            assert [c.id for c in runbook.causes] != defaults, runbook.id
