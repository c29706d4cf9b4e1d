"""Renders an emulated channel as the plain text a person would read in Slack.

Used by `oops demo` to show the conversation and by tests to assert on what people actually see
(resolved mentions, button labels) rather than on raw Block Kit JSON. Dependency-free on purpose.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, tzinfo
from typing import Any

from slack_emulator.history import ts_key
from slack_emulator.server import Ephemeral, Message, SlackEmulator

INDENT = "    "
RULE = "─" * 40

_LINK = re.compile(r"<([^<>|]+)(?:\|([^<>]*))?>")
_BOLD = re.compile(r"(?<![\w*])\*(?=\S)([^*\n]+?)(?<=\S)\*(?![\w*])")
_ITALIC = re.compile(r"(?<![\w_])_(?=\S)([^_\n]+?)(?<=\S)_(?![\w_])")
_STRIKE = re.compile(r"(?<![\w~])~(?=\S)([^~\n]+?)(?<=\S)~(?![\w~])")


def mrkdwn_to_text(emulator: SlackEmulator, text: str) -> str:
    """Slack mrkdwn -> readable text: mentions and links resolved, markers dropped, entities unescaped."""

    def link(match: re.Match[str]) -> str:
        target, label = match.group(1), match.group(2)
        if target.startswith("@"):
            return "@" + (label or emulator.user_name(target[1:]))
        if target.startswith("#"):
            return "#" + (label or emulator.channel_name(target[1:]).lstrip("#"))
        if target.startswith("!"):
            special = target[1:]
            if special.startswith("subteam^"):
                return label or "@group"
            if special.startswith("date^"):
                return label or special.split("^")[1]
            return label or "@" + special
        return label or target

    out = _LINK.sub(link, text)
    out = _BOLD.sub(r"\1", out)
    out = _ITALIC.sub(r"\1", out)
    out = _STRIKE.sub(r"\1", out)
    return out.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _text(emulator: SlackEmulator, obj: Any) -> str:
    if obj is None:
        return ""
    if isinstance(obj, str):
        return mrkdwn_to_text(emulator, obj)
    if obj.get("type") == "mrkdwn":
        return mrkdwn_to_text(emulator, obj.get("text", ""))
    return str(obj.get("text", ""))


def _time(ts: str, tz: tzinfo) -> str:
    return datetime.fromtimestamp(float(ts), tz).strftime("%H:%M")


def _datetime(seconds: Any, tz: tzinfo) -> str:
    return datetime.fromtimestamp(int(seconds), tz).strftime("%Y-%m-%d %H:%M")


def render_element(emulator: SlackEmulator, element: dict[str, Any], *, tz: tzinfo = UTC) -> str:
    """One interactive element as a person sees it, e.g. ``[*Approve*]`` or ``[ Owner ▾ ]``."""
    kind = element.get("type", "")
    label = _text(emulator, element.get("text"))
    placeholder = _text(emulator, element.get("placeholder"))
    if kind in ("button", "workflow_button"):
        if element.get("style") == "primary":
            return f"[*{label}*]"
        if element.get("style") == "danger":
            return f"[!{label}!]"
        return f"[ {label} ↗ ]" if element.get("url") else f"[ {label} ]"
    if kind in ("static_select", "external_select"):
        chosen = element.get("initial_option")
        shown = _text(emulator, chosen.get("text")) if chosen else placeholder or "Select"
        return f"[ {shown} ▾ ]"
    if kind.startswith("multi_"):
        chosen_options = element.get("initial_options") or []
        shown = ", ".join(_text(emulator, o.get("text")) for o in chosen_options) or placeholder or "Select"
        return f"[ {shown} ▾ ]"
    if kind == "users_select":
        initial = element.get("initial_user")
        return f"[ {'@' + emulator.user_name(initial) if initial else placeholder or 'Select a person'} ▾ ]"
    if kind in ("conversations_select", "channels_select"):
        initial = element.get("initial_conversation") or element.get("initial_channel")
        return (
            f"[ {'#' + emulator.channel_name(initial) if initial else placeholder or 'Select a channel'} ▾ ]"
        )
    if kind == "datetimepicker":
        initial = element.get("initial_date_time")
        return f"[ 📅 {_datetime(initial, tz) if initial is not None else 'Pick date and time'} ]"
    if kind == "datepicker":
        return f"[ 📅 {element.get('initial_date') or placeholder or 'Pick a date'} ]"
    if kind == "timepicker":
        return f"[ 🕒 {element.get('initial_time') or placeholder or 'Pick a time'} ]"
    if kind == "overflow":
        return "[ ⋯ ]"
    if kind in ("checkboxes", "radio_buttons"):
        initial = element.get("initial_options") or (
            [element["initial_option"]] if element.get("initial_option") else []
        )
        chosen_values = {o.get("value") for o in initial}
        box = ("[x]", "[ ]") if kind == "checkboxes" else ("(•)", "( )")
        return "  ".join(
            f"{box[0] if o.get('value') in chosen_values else box[1]} {_text(emulator, o.get('text'))}"
            for o in element.get("options") or []
        )
    if kind in ("plain_text_input", "email_text_input", "url_text_input", "number_input", "rich_text_input"):
        initial_value = element.get("initial_value")
        if isinstance(initial_value, dict):
            initial_value = _rich_text(emulator, initial_value)
        return f"[ {initial_value or placeholder or '…'} ]"
    if kind == "image":
        return f"[image: {element.get('alt_text', '')}]"
    if kind in ("mrkdwn", "plain_text"):
        return _text(emulator, element)
    return f"[{kind}]"


def _rich_text(emulator: SlackEmulator, block: dict[str, Any]) -> str:
    lines: list[str] = []

    def inline(elements: list[dict[str, Any]]) -> str:
        parts: list[str] = []
        for el in elements:
            kind = el.get("type")
            if kind == "text":
                parts.append(el.get("text", ""))
            elif kind == "user":
                parts.append("@" + emulator.user_name(el.get("user_id", "")))
            elif kind == "channel":
                parts.append("#" + emulator.channel_name(el.get("channel_id", "")))
            elif kind == "link":
                parts.append(el.get("text") or el.get("url", ""))
            elif kind == "emoji":
                parts.append(f":{el.get('name', '')}:")
            elif kind == "broadcast":
                parts.append("@" + el.get("range", "here"))
            elif kind == "date":
                parts.append(el.get("fallback") or _datetime(el.get("timestamp", 0), UTC))
            else:
                parts.append(el.get("text", ""))
        return "".join(parts)

    for section in block.get("elements") or []:
        kind = section.get("type")
        if kind == "rich_text_list":
            bullet_style = section.get("style", "bullet")
            for i, item in enumerate(section.get("elements") or [], start=1):
                bullet = f"{i}." if bullet_style == "ordered" else "•"
                lines.append(
                    "  " * int(section.get("indent", 0)) + f"{bullet} {inline(item.get('elements') or [])}"
                )
        elif kind == "rich_text_quote":
            lines.extend("> " + line for line in inline(section.get("elements") or []).split("\n"))
        elif kind == "rich_text_preformatted":
            lines.append("```" + inline(section.get("elements") or []) + "```")
        else:
            lines.append(inline(section.get("elements") or []))
    return "\n".join(lines)


def _field(emulator: SlackEmulator, field: Any) -> str:
    raw = field.get("text", "") if isinstance(field, dict) else str(field)
    if "\n" in raw:
        label, rest = raw.split("\n", 1)
        label_text = _text(emulator, {**(field if isinstance(field, dict) else {}), "text": label}).rstrip(
            ":"
        )
        value_text = _text(emulator, {**(field if isinstance(field, dict) else {}), "text": rest})
        return f"{label_text}: {value_text}".strip()
    return _text(emulator, field)


def render_blocks(emulator: SlackEmulator, blocks: list[dict[str, Any]], *, tz: tzinfo = UTC) -> list[str]:
    """Block Kit blocks as lines of readable text."""
    lines: list[str] = []
    for block in blocks:
        kind = block.get("type")
        if kind == "header":
            title = _text(emulator, block.get("text"))
            lines.extend([title, "═" * max(len(title), 3)])
        elif kind == "section":
            if block.get("text"):
                lines.extend(_text(emulator, block["text"]).split("\n"))
            fields = [_field(emulator, f) for f in block.get("fields") or []]
            for i in range(0, len(fields), 2):
                lines.append("    ".join(fields[i : i + 2]))
            if block.get("accessory"):
                accessory = render_element(emulator, block["accessory"], tz=tz)
                if lines and block.get("text") and not fields and len(lines[-1]) + len(accessory) < 100:
                    lines[-1] = f"{lines[-1]}   {accessory}"
                else:
                    lines.append(accessory)
        elif kind == "context":
            parts = [render_element(emulator, e, tz=tz) for e in block.get("elements") or []]
            first, *rest = "  ".join(p for p in parts if p).split("\n")
            lines.extend(["› " + first, *("  " + line for line in rest)])
        elif kind == "divider":
            lines.append(RULE)
        elif kind in ("actions", "context_actions"):
            lines.append("  ".join(render_element(emulator, e, tz=tz) for e in block.get("elements") or []))
        elif kind == "input":
            label = _text(emulator, block.get("label"))
            optional = " (optional)" if block.get("optional") else ""
            lines.append(f"{label}{optional}: {render_element(emulator, block.get('element') or {}, tz=tz)}")
            if block.get("hint"):
                lines.append("› " + _text(emulator, block["hint"]))
        elif kind == "image":
            title = _text(emulator, block.get("title"))
            lines.append(f"[image: {title or block.get('alt_text', '')}]")
        elif kind == "rich_text":
            lines.extend(_rich_text(emulator, block).split("\n"))
        elif kind == "markdown":
            lines.extend(str(block.get("text", "")).split("\n"))
        else:
            lines.append(f"[{kind} block]")
    return lines


def _author(emulator: SlackEmulator, user: str) -> str:
    name = emulator.user_name(user)
    return f"{name} [APP]" if user == emulator.bot_user_id else name


def render_message(emulator: SlackEmulator, message: Message | Ephemeral, *, tz: tzinfo = UTC) -> str:
    """One message: ``name  HH:MM`` then its body, indented; blocks win over the fallback text."""
    author = message.author if isinstance(message, Ephemeral) else message.user
    header = (
        f"{_author(emulator, author)}  {_time(message.ts, tz)}" if message.ts else _author(emulator, author)
    )
    if isinstance(message, Ephemeral):
        header += "  (only visible to you)"
    if isinstance(message, Message) and message.deleted:
        return f"{header}\n{INDENT}(This message was deleted.)"
    body = render_blocks(emulator, message.blocks, tz=tz) if message.blocks else []
    if not body:
        body = mrkdwn_to_text(emulator, message.text).split("\n")
    if isinstance(message, Message) and message.edited:
        body[-1] = f"{body[-1]} (edited)"
    return "\n".join([header, *[f"{INDENT}{line}".rstrip() for line in body]])


def _as_reply(text: str) -> str:
    first, *rest = text.split("\n")
    return "\n".join([f"  ↳ {first}", *(f"{INDENT}{line}".rstrip() for line in rest)])


def render_channel(
    emulator: SlackEmulator,
    channel: str,
    *,
    ts: str | None = None,
    tz: tzinfo = UTC,
    viewer: str | None = None,
) -> str:
    """What a person reads in a channel (or one thread when ``ts`` is given), threads indented.

    ``viewer`` adds the ephemeral messages only that person would see.
    """
    channel_id = emulator.resolve_channel(channel) or channel
    name = emulator.channel_name(channel_id)
    title = name if name.startswith("@") else f"#{name}"
    tops = emulator.messages(channel_id)
    if ts is not None:
        tops = emulator.thread(channel_id, ts)[:1]
    ephemerals = [e for e in emulator.ephemerals if viewer and e.user == viewer and e.channel == channel_id]
    items: list[Message | Ephemeral] = [*tops, *(e for e in ephemerals if not e.thread_ts and ts is None)]
    items.sort(key=lambda m: ts_key(m.ts))
    parts = [f"── {title} ──"]
    for item in items:
        parts.append(render_message(emulator, item, tz=tz))
        if isinstance(item, Message):
            replies: list[Message | Ephemeral] = [r for r in item.replies if not r.deleted]
            replies += [e for e in ephemerals if e.thread_ts == item.ts]
            replies.sort(key=lambda m: ts_key(m.ts))
            for reply in replies:
                parts.append(_as_reply(render_message(emulator, reply, tz=tz)))
        parts.append("")
    if len(parts) == 1:
        parts.append("(no messages)")
    return "\n".join(parts).rstrip() + "\n"
