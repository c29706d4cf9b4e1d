"""Guardrails for the customer apology: what a draft must not contain before anyone may approve it.

Pure rules (plain regular expressions, no model): the same subject and body always give the same
findings, so the thread, the approve use case and the tests agree on what blocks an approval. Each
finding names its rule and says, in a sentence a person can act on, what to change.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

SUBJECT_LIMIT = 80  # an inbox shows about this much; a longer subject is cut mid-thought

PLACEHOLDER, BLAME, PING, OFFER, SUBJECT_LENGTH, BODY_LENGTH = (
    "placeholder",
    "blame",
    "ping",
    "offer",
    "subject_length",
    "body_length",
)


@dataclass(frozen=True)
class Finding:
    """One broken guardrail: ``rule`` is its id, ``why`` what is wrong and what to do about it."""

    rule: str
    why: str

    def __str__(self) -> str:
        return self.why


_PLACEHOLDERS = re.compile(
    r"\[[A-Za-z][A-Za-z _.-]{0,40}\]"  # [Name], [name], [customer first name]
    r"|\{\{.*?\}\}|\{%.*?%\}"  # jinja left unrendered
    r"|<\s*insert\b[^>]*>"  # <insert date>
    r"|\blorem ipsum\b",
    re.IGNORECASE | re.DOTALL,
)
# Upper case only: "todo" or "xxx" in lower case is ordinary text.
_MARKERS = re.compile(r"\b(?:TODO|TBD|FIXME|XXX+)\b")

_BLAME = re.compile(
    r"\b(?:our|an|the|a|one of our)\s+(?:new\s+|junior\s+)?(?:intern|trainee|new starter|new hire|temp)s?\b"
    r"|\bhuman error\s+(?:by|from|of|on the part of)\b"
    r"|\b(?!it['’]s\b)\w+['’]s\s+fault\b"  # "Marc's fault" ("our fault" is candid, and fine)
    r"|\b(?:his|her|their)\s+fault\b"
    r"|\bfault of\b"
    r"|\bblam(?:e|ed|es|ing)\b"
    r"|\b(?:an|one|the)\s+employee\b|\bone of our (?:employees|staff|colleagues|team)\b"
    r"|\b(?:a|our|the)\s+colleague\b"
    r"|\b(?:a|one)\s+(?:member of (?:our )?staff|staff member|team member)\b",
    re.IGNORECASE,
)

_PINGS = re.compile(
    r"<!(?:channel|here|everyone)(?:\|[^>]*)?>"
    r"|<@[UW][A-Z0-9]+(?:\|[^>]*)?>"
    r"|<!subteam\^[A-Z0-9]+(?:\|[^>]*)?>"
    r"|(?<![\w@])@(?:channel|here|everyone)\b",
    re.IGNORECASE,
)

# Things that read as an offer: a code such as SORRY10 (upper case only), "10% off", a free month.
_CODE = re.compile(r"\b[A-Z]{3,}[0-9]{1,4}\b")
_OFFER_WORDS = re.compile(
    r"\b\d{1,3}\s?(?:%|per ?cent)\s*(?:off|discount)\b"
    r"|\bfree\s+(?:months?|delivery|shipping)\b|\bmonths?\s+free\b|\bon the house\b",
    re.IGNORECASE,
)


def _shown(text: str, limit: int = 40) -> str:
    """The offending text quoted so it can be shown in Slack without becoming a link or a mention."""
    text = " ".join(text.split()).replace("<", "‹").replace(">", "›")
    return f"“{text if len(text) <= limit else text[: limit - 1] + '…'}”"


def _norm(text: str) -> str:
    return " ".join(text.casefold().split()).strip(" .!")


def _marks(text: str) -> set[str]:
    """The offer markers in ``text``, normalised so "10 % OFF" and "10% off" are the same offer."""
    found = {m.group(0) for m in _CODE.finditer(text)}
    found |= {_norm(m.group(0)).replace(" %", "%") for m in _OFFER_WORDS.finditer(text)}
    return found


def _placeholders(where: str, text: str) -> Iterator[Finding]:
    match = _PLACEHOLDERS.search(text) or _MARKERS.search(text)
    if match:
        yield Finding(
            PLACEHOLDER,
            f"The {where} still has a placeholder, {_shown(match.group(0))}: write the real words in.",
        )


def _blame(where: str, text: str) -> Iterator[Finding]:
    match = _BLAME.search(text)
    if match:
        yield Finding(
            BLAME,
            f"The {where} points at a person ({_shown(match.group(0))}): say what *we* got wrong and "
            "what we fixed, without naming or blaming a colleague.",
        )


def _ping_name(token: str) -> str:
    """How a mention reads in Slack ("@channel", "@U123", "@team"), without the markup that pings."""
    label = token.strip("<>").partition("|")[2]
    if label:
        return label if label.startswith("@") else "@" + label
    return "@" + token.strip("<>").lstrip("!@").replace("subteam^", "")


def _pings(where: str, text: str) -> Iterator[Finding]:
    found = sorted({_shown(_ping_name(m.group(0))) for m in _PINGS.finditer(text)})
    if found:
        yield Finding(
            PING,
            f"The {where} has a Slack mention that would notify people ({', '.join(found)}): "
            "take it out; customers should never see one.",
        )


def _offers(
    text: str, decision: str, decided_offer: str | None, brand_offer: str | None
) -> Iterator[Finding]:
    marks = _marks(text)
    brand = bool(brand_offer and _norm(brand_offer) and _norm(brand_offer) in _norm(text))
    decided = (decided_offer or "").strip()
    if decision != "make_it_big":
        if marks or brand:
            what = _shown(brand_offer or "") if brand else ", ".join(_shown(m) for m in sorted(marks))
            yield Finding(
                OFFER,
                f"The draft makes an offer ({what}) but the decision was *correct*, which has none: "
                "take it out, or change the decision to *make it big*.",
            )
        return
    if not decided:
        if marks or brand:
            what = _shown(brand_offer or "") if brand else ", ".join(_shown(m) for m in sorted(marks))
            yield Finding(
                OFFER,
                f"The draft makes an offer ({what}) but the decision chose none: take it out, "
                "or change the decision to include it.",
            )
        return
    wanted = _marks(decided)
    extra, missing = marks - wanted, wanted - marks
    if extra:
        yield Finding(
            OFFER,
            f"The draft offers {', '.join(_shown(m) for m in sorted(extra))}, which is not the offer "
            f"decided ({_shown(decided, 120)}): offer exactly what was decided.",
        )
    elif brand and _norm(brand_offer or "") != _norm(decided):
        yield Finding(
            OFFER,
            f"The draft offers the brand's default ({_shown(brand_offer or '', 120)}) but the decision "
            f"chose {_shown(decided, 120)}: offer exactly what was decided.",
        )
    if missing:
        yield Finding(
            OFFER,
            f"The draft leaves out the offer decided ({_shown(decided, 120)}): put it back, "
            "or change the decision.",
        )


def check(
    subject: str,
    body: str,
    *,
    decision: str,
    decided_offer: str | None,
    brand_offer: str | None,
    body_max: int,
) -> list[Finding]:
    """Every guardrail the draft breaks, in a stable order; an empty list means it may be approved.

    ``decision`` is a Decision value ("correct", "make_it_big"); ``decided_offer`` the offer recorded
    with the decision (empty: none); ``brand_offer`` the brand's default offer from app.yaml.
    """
    findings: list[Finding] = []
    for where, text in (("subject", subject), ("body", body)):
        for rule in (_placeholders, _blame, _pings):
            findings.extend(rule(where, text))
    findings.extend(_offers(f"{subject}\n{body}", decision, decided_offer, brand_offer))
    if len(subject) > SUBJECT_LIMIT:
        findings.append(
            Finding(
                SUBJECT_LENGTH,
                f"The subject is {len(subject)} characters; keep it to {SUBJECT_LIMIT} so inboxes show "
                "all of it.",
            )
        )
    if len(body) > body_max:
        findings.append(
            Finding(
                BODY_LENGTH,
                f"The body is {len(body):,} characters; this team's limit is {body_max:,} "
                "(drafting.max_body_chars in app.yaml): shorten it.",
            )
        )
    return findings


def rules_broken(findings: Iterable[Finding]) -> list[str]:
    """The rule ids, once each, in order: what a log line or a test names."""
    return list(dict.fromkeys(f.rule for f in findings))
