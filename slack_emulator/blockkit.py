"""Block Kit as the emulator needs it: which elements hold state or take clicks, and validation.

One table for the Web API (which fills in missing action_ids), the drivers (which send ``state`` and
actions) and the tests' hand-built payloads, so they cannot disagree about an element type.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from slack_emulator.limits import MAX_MESSAGE_BLOCKS

# Elements whose current value Slack sends in ``state.values`` (of a message or a view).
STATEFUL_ELEMENTS = frozenset(
    {
        "checkboxes",
        "datepicker",
        "datetimepicker",
        "timepicker",
        "email_text_input",
        "url_text_input",
        "number_input",
        "plain_text_input",
        "rich_text_input",
        "radio_buttons",
        "static_select",
        "external_select",
        "users_select",
        "conversations_select",
        "channels_select",
        "multi_static_select",
        "multi_external_select",
        "multi_users_select",
        "multi_conversations_select",
        "multi_channels_select",
    }
)
# Every element that carries an action_id (Slack generates one when the app leaves it out): the stateful
# ones, and those that are clicked (overflow sends its pick but keeps no state).
INTERACTIVE_ELEMENTS = STATEFUL_ELEMENTS | {"button", "workflow_button", "overflow", "file_input"}


def block_elements(block: Mapping[str, Any]) -> list[dict[str, Any]]:
    """What a block can hold: an actions block's elements, a section's accessory, an input's element."""
    out: list[dict[str, Any]] = []
    if block.get("type") in ("actions", "context_actions"):
        out.extend(e for e in block.get("elements") or [] if isinstance(e, dict))
    for key in ("accessory", "element"):
        if isinstance(block.get(key), dict):
            out.append(block[key])
    return out


def validate_message_blocks(blocks: list[Any]) -> list[str]:
    """Slack-style error strings for a message's blocks (empty if valid)."""
    errors: list[str] = []
    if len(blocks) > MAX_MESSAGE_BLOCKS:
        errors.append(f"no more than {MAX_MESSAGE_BLOCKS} items allowed [json-pointer:/blocks]")
    errors.extend(_validate_blocks(blocks, "/blocks"))
    return errors


def validate_view(view: dict[str, Any]) -> list[str]:
    """Slack-style error strings for a view payload, via slack_sdk's models (empty if valid)."""
    errors: list[str] = []
    try:
        model = View(**view)
        model.validate_json()
    except Exception as exc:
        errors.append(f"{exc} [json-pointer:/view]")
        return errors
    if view.get("type") != "modal" and view.get("type") is not None:
        errors.append("only modal views can be opened [json-pointer:/view/type]")
    if not view.get("title"):
        errors.append("missing required field: title [json-pointer:/view/title]")
    errors.extend(_validate_blocks(list(view.get("blocks") or []), "/view/blocks"))
    return errors


def validate_home_view(view: dict[str, Any]) -> list[str]:
    """Slack-style error strings for a Home tab view (views.publish): type home, at most 100 blocks
    with Block Kit's text limits, and no submit or close button (a home is no modal)."""
    errors: list[str] = []
    if view.get("type") != "home":
        errors.append("views.publish only takes a view of type home [json-pointer:/view/type]")
    for key in ("submit", "close"):
        if view.get(key):
            errors.append(f"a home view has no {key} [json-pointer:/view/{key}]")
    if errors:
        return errors
    try:
        View(**view).validate_json()
    except Exception as exc:
        return [f"{exc} [json-pointer:/view]"]
    return _validate_blocks(list(view.get("blocks") or []), "/view/blocks")


def _validate_blocks(blocks: list[Any], pointer: str) -> list[str]:
    errors: list[str] = []
    seen: set[str] = set()
    for i, raw in enumerate(blocks):
        if not isinstance(raw, dict):
            errors.append(f"expected an object [json-pointer:{pointer}/{i}]")
            continue
        try:
            block = Block.parse(raw)
            if block is None:
                errors.append(f"unsupported type: {raw.get('type')!r} [json-pointer:{pointer}/{i}/type]")
                continue
            block.validate_json()
            block.to_dict()  # validates nested elements and text objects too
        except Exception as exc:
            errors.append(f"{exc} [json-pointer:{pointer}/{i}]")
            continue
        block_id = raw.get("block_id")
        if block_id is not None:
            if block_id in seen:
                errors.append(f"duplicate block_id {block_id!r} [json-pointer:{pointer}/{i}/block_id]")
            seen.add(block_id)
    return errors
