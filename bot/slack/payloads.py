"""Reading Slack's interaction payloads: input values, private metadata and delivery keys."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from bot.slack import ids


def input_value(element: Mapping[str, Any]) -> str | None:
    """The value of one input element in a ``state.values`` entry, as text (None when empty)."""
    kind = element.get("type")
    if kind in ("static_select", "radio_buttons"):
        option = element.get("selected_option") or {}
        return option.get("value")
    if kind == "datetimepicker":
        value = element.get("selected_date_time")
        return None if value is None else str(value)
    if kind == "users_select":
        return element.get("selected_user")
    if kind == "datepicker":
        return element.get("selected_date")
    if kind == "timepicker":
        return element.get("selected_time")
    return element.get("value")


def view_values(view: Mapping[str, Any]) -> dict[str, str | None]:
    """``{block_id: value}`` for every input of a submitted modal."""
    out: dict[str, str | None] = {}
    for block_id, actions in (view.get("state") or {}).get("values", {}).items():
        for element in actions.values():
            out[block_id] = input_value(element)
    return out


def answers_from(values: Mapping[str, str | None]) -> dict[str, str | None]:
    """The runbook answers among a modal's values (their blocks are named ``q_<question id>``)."""
    prefix = ids.QUESTION_PREFIX
    return {key[len(prefix) :]: value for key, value in values.items() if key.startswith(prefix)}


def question_errors(errors: Mapping[str, str], question_ids: Iterable[str]) -> dict[str, str]:
    """Map errors keyed by field or question id back to the modal's block ids."""
    questions = set(question_ids)
    return {
        ids.QUESTION_PREFIX + key if key in questions else key: message for key, message in errors.items()
    }


def metadata(view: Mapping[str, Any]) -> dict[str, Any]:
    try:
        value = json.loads(view.get("private_metadata") or "{}")
    except json.JSONDecodeError:
        return {}
    return value if isinstance(value, dict) else {}


def user_id(body: Mapping[str, Any]) -> str:
    return (body.get("user") or {}).get("id") or body.get("user_id") or ""


def view_key(body: Mapping[str, Any]) -> str:
    """A submitted modal can be submitted successfully once: its id names the delivery."""
    return f"view:{body['view']['id']}"


def action_key(body: Mapping[str, Any]) -> str:
    """One click: Slack stamps each with its own action_ts; a re-delivery repeats it."""
    action = body["actions"][0]
    return f"action:{action.get('action_ts')}:{action.get('action_id')}:{user_id(body)}"


def incident_id(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ValueError(f"not an incident id: {value!r}") from None
