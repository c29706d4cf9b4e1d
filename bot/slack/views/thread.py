"""The incident's messages in Slack: the channel header and each step's message in its thread.

Every builder draws from a Snapshot alone and returns (fallback text, blocks). A message is drawn
for the incident as it is now, so an old message redrawn after a later step shows the outcome
instead of stale buttons.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ConfirmObject,
    ContextBlock,
    DateTimePickerElement,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    Option,
    SectionBlock,
    StaticSelectElement,
)

from bot.runbook.incident import Status
from bot.runbook.model import Decision
from bot.slack import ids
from bot.slack.views.actions import thread_actions
from bot.slack.views.common import (
    BUTTON_TEXT,
    CONTEXT_TEXT,
    FIELD_TEXT,
    HEADER_TEXT,
    OPTION_TEXT,
    SECTION_TEXT,
    blocks_json,
    clip,
    esc,
    user,
    when,
)
from bot.slack.views.precedents import precedents
from bot.snapshot import NoticeView, Snapshot

Rendered = tuple[str, list[dict[str, Any]]]

SCALE_ICONS = {"tiny": "⚪", "small": "🟡", "big": "🟠", "huge": "🔴"}


def _md(text: str, limit: int = SECTION_TEXT) -> MarkdownTextObject:
    return MarkdownTextObject(text=clip(text, limit))


def _section(text: str) -> SectionBlock:
    return SectionBlock(text=_md(text))


def _long_text(text: str) -> list[SectionBlock]:
    """Text that may pass a section's 3,000 characters (escaping grows it) in as many sections as needed,
    cut between paragraphs or lines, so whoever approves an apology reads all of it."""
    sections: list[SectionBlock] = []
    rest = text
    while len(rest) > SECTION_TEXT:
        cut = max(rest.rfind("\n\n", 0, SECTION_TEXT), rest.rfind("\n", 0, SECTION_TEXT))
        if cut <= 0:
            cut = rest.rfind(" ", 0, SECTION_TEXT)
        if cut <= 0:
            cut = SECTION_TEXT
        sections.append(_section(rest[:cut].rstrip()))
        rest = rest[cut:].lstrip("\n ")
    sections.append(_section(rest))
    return sections


def _context(text: str) -> ContextBlock:
    return ContextBlock(elements=[_md(text, CONTEXT_TEXT)])


def _button(text: str, action_id: str, value: str, style: str | None = None) -> ButtonElement:
    return ButtonElement(text=clip(text, BUTTON_TEXT), action_id=action_id, value=value, style=style)


def _scale(snap: Snapshot) -> str:
    return f"{SCALE_ICONS.get(snap.scale, '◽')} {snap.scale}"


def _out(text: str, blocks: list[Block]) -> Rendered:
    return clip(text, 3000), blocks_json(blocks)


def header(snap: Snapshot) -> Rendered:
    """The channel message that stands for the incident; edited in place as it moves on."""
    fields = [
        _md(f"*Scale*\n{_scale(snap)}", FIELD_TEXT),
        _md(f"*Status*\n{snap.status.label}", FIELD_TEXT),
        _md(f"*Reported by*\n{user(snap.reporter)}", FIELD_TEXT),
        _md(f"*Runbook*\n{esc(snap.runbook_name)}", FIELD_TEXT),
    ]
    if snap.decision:
        fields.append(_md(f"*Decision*\n{snap.decision.label} — {user(snap.decided_by)}", FIELD_TEXT))
    if snap.retro_at and not snap.closed:
        overdue = f"\n⚠️ overdue since {when(snap.overdue_since, snap.tz)}" if snap.overdue_since else ""
        fields.append(_md(f"*Retrospective*\n{when(snap.retro_at, snap.tz)}{overdue}", FIELD_TEXT))
    blocks: list[Block] = [
        HeaderBlock(text=clip(f"{snap.ref} · {snap.title}", HEADER_TEXT)),
        SectionBlock(fields=fields),
    ]
    if snap.details:
        blocks.append(_section(esc(snap.details)))
    footer = f"Opened {when(snap.created_at, snap.tz)} · the steps are in the thread below"
    if snap.closed:
        footer = f"Closed {when(snap.closed_at, snap.tz)} · the retrospective summary is in the thread"
    blocks.append(_context(footer))
    text = f"{snap.ref}: {esc(snap.title)} ({snap.scale}, {snap.status.label.lower()})"
    return _out(text, blocks)


def assessment(snap: Snapshot) -> Rendered:
    reasons = "\n".join(f"• {esc(r)}" for r in snap.scale_reasons) or "• no rule matched"
    answers = "\n".join(f"{esc(label)}: *{esc(value)}*" for label, value in snap.answers)
    blocks: list[Block] = [
        _section(f"*1 · Scale: {_scale(snap)}*\nWhy:\n{reasons}"),
        _context(answers or "No answers recorded."),
    ]
    if not snap.closed:
        blocks.append(ActionsBlock(elements=[_button("Re-assess", ids.REASSESS, str(snap.id))]))
    return _out(f"{snap.ref} scale: {snap.scale}", blocks)


def _notice_line(notice: NoticeView) -> str:
    if notice.notified_by == "oops":
        line = f"*{esc(notice.label)}* in {esc(notice.channel)}, by the runbook: {esc(notice.reason)}"
    else:
        line = f"*{esc(notice.label)}* in {esc(notice.channel)}, added by {user(notice.notified_by)}"
    if notice.error:
        return (
            f"• ⚠️ {line}: *not delivered* ({esc(notice.error)}). Invite me to that channel, or fix its "
            "name in app.yaml, then pick the department again below."
        )
    if not notice.delivered:
        return f"• ⏳ {line}: being posted"
    return f"• {line}"


def told_count(snap: Snapshot) -> str:
    """'3 told', or '2 told, 1 not delivered': a refused notice is never counted as told."""
    told = sum(n.delivered for n in snap.notices)
    failed = sum(bool(n.error) for n in snap.notices)
    return f"{told} told" + (f", {failed} not delivered" if failed else "")


def departments(snap: Snapshot) -> Rendered:
    lines = "\n".join(_notice_line(n) for n in snap.notices) or "Nobody yet: no rule asked for it."
    trouble = any(n.error or not n.delivered for n in snap.notices)
    heading = f"*2 · Told* ({told_count(snap)})" if trouble else "*2 · Told*"
    blocks: list[Block] = [_section(f"{heading}\n{lines}")]
    if snap.addable_departments and not snap.closed:
        options = [
            Option(value=key, label=clip(label, OPTION_TEXT)) for key, label in snap.addable_departments
        ]
        blocks.append(
            ActionsBlock(
                block_id=f"{ids.ADD_DEPARTMENT_BLOCK}{snap.id}",
                elements=[
                    StaticSelectElement(
                        placeholder="Tell another department",
                        action_id=ids.ADD_DEPARTMENT,
                        options=options[:100],
                    )
                ],
            )
        )
    return _out(f"{snap.ref}: departments {told_count(snap)}", blocks)


def department_notice(snap: Snapshot, notice: NoticeView, link: str) -> Rendered:
    """The short notice a department gets in its own channel."""
    why = (
        esc(notice.reason) if notice.notified_by == "oops" else f"{user(notice.notified_by)} added your team"
    )
    text = f"*{snap.ref}* ({_scale(snap)}): {esc(snap.title)}\nWhy you: {why}"
    if link:
        text += f"\n<{link}|Follow it in the incident thread>"
    return _out(f"{snap.ref}: {esc(snap.title)}", [_section(text)])


def decision(snap: Snapshot) -> Rendered:
    rec = snap.recommendation
    if snap.decision is None:
        buttons = [
            _button(
                f"{choice.label} (recommended)" if choice is rec else choice.label,
                ids.DECIDE_PREFIX + choice.value,
                str(snap.id),
                "primary" if choice is rec else None,
            )
            for choice in Decision
        ]
        blocks: list[Block] = [
            _section(f"*3 · Decide*\nRecommended: *{rec.label}*, because {esc(snap.recommendation_reason)}"),
        ]
        if snap.closed:
            blocks.append(_context("Closed without a decision."))
        else:
            blocks.append(ActionsBlock(elements=buttons))
        return _out(f"{snap.ref}: decide what to do (recommended: {rec.label})", blocks)
    note = f"\n> {esc(snap.decision_note)}" if snap.decision_note else ""
    followed = "as recommended" if snap.decision is rec else f"the runbook recommended {rec.label}"
    blocks = [
        _section(
            f"*3 · Decided: {snap.decision.label}*\n"
            f"{user(snap.decided_by)} on {when(snap.decided_at, snap.tz)} ({followed}){note}"
        )
    ]
    if snap.can_change_decision:
        blocks.append(ActionsBlock(elements=[_button("Change decision", ids.CHANGE_DECISION, str(snap.id))]))
    return _out(f"{snap.ref}: decided {snap.decision.label}", blocks)


def _approve_button(snap: Snapshot, version: int) -> ButtonElement:
    """Approve names the version on screen, and asks once: approving locks the decision."""
    button = _button("Approve", ids.DRAFT_APPROVE, f"{snap.id}:{version}", "primary")
    button.confirm = ConfirmObject(
        title="Approve this apology?",
        text=f"v{version} becomes the message to send, and the decision can no longer change.",
        confirm="Approve",
        deny="Not yet",
    )
    return button


def _people(users: tuple[str, ...]) -> str:
    return ", ".join(user(u) for u in users)


def draft(snap: Snapshot) -> Rendered:
    d = snap.draft
    if d is None:
        return _out(f"{snap.ref}: drafting the apology…", [_section("*4 · Apology*\nDrafting…")])
    if snap.status is Status.DRAFTING and not d.current:
        text = "*4 · Apology*\nWriting a new draft for the new decision…"
        return _out(f"{snap.ref}: drafting the apology…", [_section(text)])
    made = "edited by " + user(d.author) if d.source == "edit" else f"drafted by oops · {d.source}"
    blocks: list[Block] = [
        _section(f"*4 · Apology, draft v{d.version}* ({made})"),
        _section(f"*Subject:* {esc(d.subject)}"),
        *_long_text(esc(d.body)),
    ]
    if d.approved_by:
        by = _people(d.approvals) if len(d.approvals) > 1 else user(d.approved_by)
        blocks.append(
            _context(
                f"✅ Approved by {by} on {when(d.approved_at, snap.tz)}. "
                "Send it from your email tool as written."
            )
        )
    elif snap.status is Status.DRAFTING:
        # A draft that breaks a guardrail says why and offers no Approve until it is edited or rewritten.
        if d.findings:
            reasons = "\n".join(f"• {esc(f.why)}" for f in d.findings)
            blocks.append(_section(f"⚠️ *Not ready to approve:*\n{reasons}"))
        approve = [] if d.findings else [_approve_button(snap, d.version)]
        if d.approvals:  # more than one approval is needed: say how far it is
            count = f"({len(d.approvals)} of {d.required})"
            blocks.append(_context(f"Approved by {_people(d.approvals)} {count}"))
        blocks.append(
            ActionsBlock(
                elements=[
                    *approve,
                    _button("Edit", ids.DRAFT_EDIT, str(snap.id)),
                    _button("Regenerate", ids.DRAFT_REGENERATE, str(snap.id)),
                ]
            )
        )
    else:
        blocks.append(_context("Set aside: the decision changed, so this draft will not be sent."))
    return _out(f"{snap.ref}: apology draft v{d.version}: {esc(d.subject)}", blocks)


def retro(snap: Snapshot) -> Rendered:
    """Step 5: pick the retrospective's time; redrawn once it is scheduled, due or done."""
    if snap.status in (Status.DECIDING, Status.DRAFTING):
        waiting = "the decision" if snap.status is Status.DECIDING else "the apology to be approved"
        return _out(
            f"{snap.ref}: the retrospective waits", [_section(f"*5 · Retrospective*\nWaiting for {waiting}.")]
        )
    if snap.closed:
        return _out(f"{snap.ref}: retrospective held", [_section("*5 · Retrospective* held ✅")])
    current = snap.retro_at or snap.retro_default
    text = "*5 · Retrospective*\n"
    if snap.retro_at:
        text += f"Scheduled for *{when(snap.retro_at, snap.tz)}*. Pick another time to move it."
    else:
        text += "When shall we look back at this, so it becomes a lesson? (default: the team's usual delay)"
    controls: list[Any] = [
        DateTimePickerElement(action_id=ids.RETRO_WHEN, initial_date_time=int(current.timestamp())),
        _button("Reschedule" if snap.retro_at else "Schedule", ids.RETRO_SCHEDULE, str(snap.id), "primary"),
    ]
    if snap.retro_at:
        # The team may meet before the reminder, and this button stays if a reminder goes astray.
        controls.append(_button("Hold it now", ids.RETRO_HOLD, str(snap.id)))
    blocks: list[Block] = [_section(text), ActionsBlock(block_id="retro_when", elements=controls)]
    return _out(f"{snap.ref}: schedule the retrospective", blocks)


def reminder(snap: Snapshot) -> Rendered:
    if snap.closed:
        return _out(f"{snap.ref}: retrospective held", [_section("⏰ Retrospective time: done, thank you.")])
    if snap.status is not Status.RETRO_DUE:
        moved = f"moved to {when(snap.retro_at, snap.tz)}" if snap.retro_at else "moved"
        return _out(f"{snap.ref}: retrospective {moved}", [_section(f"⏰ The retrospective was {moved}.")])
    blocks: list[Block] = [
        _section(
            f"⏰ *Time for the retrospective of {snap.ref}.* What went wrong, why, and what do we change? "
            "The answers close the incident and add to the checklist for next time."
        ),
        ActionsBlock(elements=[_button("Start the retrospective", ids.RETRO_START, str(snap.id), "primary")]),
    ]
    if snap.overdue_since:
        blocks.append(_context(f"⚠️ Overdue since {when(snap.overdue_since, snap.tz)}: hold it, or move it."))
    blocks += move_it(snap.id, snap.retro_default)
    return _out(f"{snap.ref}: time for the retrospective", blocks)


def move_it(incident_id: int, default: datetime) -> list[Block]:
    """'Move it': a time picker and a button that reschedules the retrospective (a new reminder then)."""
    return [
        _context("Not now? Pick another time and move it."),
        ActionsBlock(
            block_id=ids.RETRO_MOVE_BLOCK,
            elements=[
                DateTimePickerElement(
                    action_id=ids.RETRO_MOVE_WHEN, initial_date_time=int(default.timestamp())
                ),
                _button("Move it", ids.RETRO_MOVE, str(incident_id)),
            ],
        ),
    ]


def summary(snap: Snapshot) -> Rendered:
    r = snap.retro
    if r is None:
        return _out(f"{snap.ref} closed", [_section(f"*{snap.ref} is closed.*")])
    checklist = "\n".join(f"☐ {esc(item)}" for item in r.checklist) or "none added"
    cause = f" · _{esc(r.cause_label)}_" if r.cause_label else ""
    written = (
        _long_text(esc(r.summary))
        if r.summary
        else [
            _section(f"*What went wrong*\n{esc(r.what_went_wrong)}"),
            _section(f"*Root cause*{cause}\n{esc(r.root_cause)}"),
            _section(f"*What we change*\n{esc(r.what_we_change)}"),
            _section(f"*Checklist for next time*\n{checklist}"),
        ]
    )
    blocks: list[Block] = [
        _section(f"*{snap.ref} is closed.* Retrospective by {user(r.submitted_by)}."),
        DividerBlock(),
        *written,
        *thread_actions(snap),
        _context(
            f"Scale {snap.scale} · decision {snap.decision.label if snap.decision else 'none'} · "
            f"{sum(n.delivered for n in snap.notices)} department(s) told · "
            "the full record is in the mistake history"
        ),
    ]
    return _out(f"{snap.ref} closed: {esc(r.what_we_change)}", blocks)


RENDERERS = {
    "header": header,
    "assessment": assessment,
    "departments": departments,
    "precedents": precedents,
    "decision": decision,
    "draft": draft,
    "retro": retro,
    "reminder": reminder,
    "summary": summary,
}


def render(kind: str, snap: Snapshot) -> Rendered:
    return RENDERERS[kind](snap)
