"""The shape of Slack's request bodies, as Slack documents them, checked once at the door.

Bolt routes on these fields and our listeners read them without checking each one: a signed body that
breaks the shape (an `actions` that is not a list, a `state.values` entry that is not an object) would
otherwise raise inside Bolt or a listener and answer 500. Only what Bolt and the listeners read is
checked; unknown fields pass, so a field Slack adds tomorrow changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

# Fields of a slash command (form-encoded, so always text) that Slack always sends and we read.
SLASH_FIELDS = ("command", "team_id", "channel_id", "user_id", "trigger_id")
_Check = Callable[[Any, str], str | None]


def _text(value: Any, where: str) -> str | None:
    return None if isinstance(value, str) else f"{where} is not text"


def _optional(check: _Check) -> _Check:
    return lambda value, where: None if value is None else check(value, where)


def _object(fields: Mapping[str, _Check], required: tuple[str, ...] = ()) -> _Check:
    """An object whose listed fields, when present, pass their checks; ``required`` must be there."""

    def check(value: Any, where: str) -> str | None:
        if not isinstance(value, dict):
            return f"{where} is not an object"
        for name in required:
            if name not in value:
                return f"{where}.{name} is missing"
        for name, field_check in fields.items():
            if name in value:
                problem = field_check(value[name], f"{where}.{name}")
                if problem:
                    return problem
        return None

    return check


def _list_of(item: _Check, *, non_empty: bool = False) -> _Check:
    def check(value: Any, where: str) -> str | None:
        if not isinstance(value, list):
            return f"{where} is not a list"
        if non_empty and not value:
            return f"{where} is empty"
        for index, element in enumerate(value):
            problem = item(element, f"{where}[{index}]")
            if problem:
                return problem
        return None

    return check


def _map_of(item: _Check) -> _Check:
    def check(value: Any, where: str) -> str | None:
        if not isinstance(value, dict):
            return f"{where} is not an object"
        for key, element in value.items():
            problem = item(element, f"{where}.{key}")
            if problem:
                return problem
        return None

    return check


_ID = _optional(_text)
_OPTION = _object({"value": _text}, required=("value",))
# One input's state: what each element type reports (Slack: "Block Kit › state.values").
_ELEMENT_STATE = _object(
    {
        "type": _text,
        "value": _optional(_text),
        "selected_option": _optional(_OPTION),
        "selected_options": _list_of(_OPTION),
        "selected_date": _optional(_text),
        "selected_time": _optional(_text),
        "selected_date_time": _optional(lambda v, w: None if isinstance(v, int) else f"{w} is not a number"),
        "selected_user": _optional(_text),
        "selected_channel": _optional(_text),
        "selected_conversation": _optional(_text),
    }
)
_STATE = _object({"values": _map_of(_map_of(_ELEMENT_STATE))})
_VIEW = _object(
    {
        "id": _text,
        "callback_id": _text,
        "private_metadata": _text,
        "state": _STATE,
        "blocks": _list_of(_object({})),
    },
    required=("id", "callback_id"),
)
_USER = _object({"id": _text}, required=("id",))
_ACTION = _object(
    {
        "action_id": _text,
        "block_id": _text,
        "type": _text,
        "value": _text,
        "action_ts": _text,
        "selected_option": _optional(_OPTION),
        "selected_options": _list_of(_OPTION),
    },
    required=("action_id",),
)
_COMMON: dict[str, _Check] = {
    "type": _text,
    "token": _ID,
    "trigger_id": _text,
    "response_url": _text,
    "api_app_id": _ID,
    "user": _USER,
    "channel": _optional(_object({"id": _text})),
    "container": _object({}),
    "message": _object({"ts": _text, "thread_ts": _text, "blocks": _list_of(_object({}))}),
    "view": _VIEW,
    "state": _STATE,
}
# Per payload type: the fields that must be there (checked, with the common ones, by _COMMON).
_BY_TYPE: dict[str, tuple[dict[str, _Check], tuple[str, ...]]] = {
    "block_actions": ({"actions": _list_of(_ACTION, non_empty=True)}, ("actions", "user")),
    "view_submission": ({}, ("view", "user")),
    "view_closed": ({}, ("view", "user")),
    "block_suggestion": ({"action_id": _text, "block_id": _text, "value": _text}, ("action_id", "user")),
    "shortcut": ({"callback_id": _text}, ("callback_id", "user")),
    "message_action": ({"callback_id": _text}, ("callback_id", "user")),
    "event_callback": ({"event": _object({"type": _text}, required=("type",))}, ("event",)),
    "url_verification": ({"challenge": _text}, ("challenge",)),
}


def shape_error(body: Any) -> str | None:
    """What is wrong with a parsed request body (None when nothing we read is out of shape)."""
    if not isinstance(body, dict):
        return "the body is not an object"
    if "command" in body:
        missing = [name for name in SLASH_FIELDS if not body.get(name)]
        if missing:
            return f"a slash command without {', '.join(missing)}"
        odd = [name for name in (*SLASH_FIELDS, "text") if not isinstance(body.get(name, ""), str)]
        return f"a slash command whose {', '.join(odd)} is not text" if odd else None
    kind = body.get("type")
    if kind is None:
        return None  # not routed by type (an ssl_check, say): Bolt answers it or says it is unhandled
    if not isinstance(kind, str):
        return "type is not text"
    fields, required = _BY_TYPE.get(kind, ({}, ()))
    return _object({**_COMMON, **fields}, required)(body, "payload")
