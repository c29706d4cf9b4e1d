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


# Only words a template leaves for a person to fill: "[URGENT]", "[Newsletter]" or a Markdown link
# "[here](https://…)" are ordinary text.
_PLACEHOLDERS = re.compile(
    r"\[\s*(?:(?:customer|your)[ _])?(?:(?:first|last|full)[ _]?)?name\s*\]"  # [Name], [first_name]
    r"|\[\s*(?:date|customer|company(?:[ _]name)?|tbd|insert\b[^\]\n]{0,40}|\.\.\.|…)\s*\]"
    r"|\{\{.*?\}\}|\{%.*?%\}"  # jinja left unrendered
    r"|(?<!\{)\{\s*[a-z_][a-z0-9_]{0,30}\s*\}(?!\})"  # {first_name}
    r"|(?-i:%[A-Z][A-Z0-9_]{1,30}%)|\*\|[A-Z0-9_]{1,30}\|\*"  # %FIRSTNAME%, *|FNAME|*
    r"|<\s*insert\b[^>]*>"  # <insert date>
    r"|\blorem ipsum\b",
    re.IGNORECASE | re.DOTALL,
)
# Upper case only: "todo" or "xxx" in lower case is ordinary text.
_MARKERS = re.compile(r"\b(?:TODO|TBD|FIXME|XXX+)\b")

# Blame pointed at someone. "We take the blame", "nobody is to blame but us", "the fault of our
# process" or "a colleague from support will call you" own the mistake, and pass.
_NAME = r"(?-i:(?!(?:The|Our|We|Us|It|This|That|Today|Yesterday|Nobody|Everyone)\b)[A-Z][a-z]+)"
_SOMEONE = (
    r"(?:a|an|one|our|the)\s+(?:new\s+|junior\s+)?"
    r"(?:colleague|employee|staff member|team member|member of (?:our )?staff)"
    r"|one of our (?:employees|staff|colleagues|team)"
)
# What "a colleague …" did when the sentence hands them the mistake ("a colleague will call" is fine).
_SLIP = (
    r"(?:made|pressed|picked|sent|clicked|chose|selected|added|typed|entered|uploaded|deleted|removed"
    r"|set|forgot|missed|skipped|mixed|mistyped|misspelled|misconfigured|put|hit|ran|got|left|copied"
    r"|pasted|scheduled|imported|used|approved|published|posted|launched|failed|didn['’]t|did not"
    r"|accidentally|mistakenly|wrongly)"
)
_BLAME = re.compile(
    r"\b(?:our|an|the|a|one of our)\s+(?:new\s+|junior\s+)?"
    r"(?:intern|trainee|new starter|new hire|temp|junior)s?\b"
    r"|\bhuman error\s+(?:by|from|of|on the part of)\b(?!\s+(?:us|me|our|my)\b)"
    rf"|\b(?:{_NAME}|(?:intern|trainee|colleague|employee|temp))['’]s\s+(?:fault|mistake|error)\b"
    r"|\b(?:his|her|their)\s+(?:fault|mistake|error)\b"
    rf"|\bfault of\s+(?:him|her|them|{_NAME})\b"
    rf"|\bblam(?:e|ed|es|ing)\s+(?:it\s+)?(?:on\s+)?(?:him|her|them|{_NAME}|{_SOMEONE})\b"
    r"|(?<!\bno )\b(?!(?:nobody|none|we|us|I|alone|ourselves|myself|who)\b)"
    r"\w+\s+(?:is|was|are|were)\s+to\s+blame\b"
    rf"|\b(?:{_SOMEONE})\s+(?:\w+ly\s+)?{_SLIP}\b",
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
# A code counts only when an offer names it or a cue word comes just before it: "ABC123", "UPS2",
# "COVID19" or a "SUMMER25" in a title are order numbers and names, not offers.
_CODE = re.compile(r"\b[A-Z]{3,}[0-9]{1,4}\b")
_CODE_CUE = re.compile(  # the cue within three words before the code, in the same sentence
    r"\b(?:code|use|voucher|coupon)\b(?:[^\w.!?\n]+\w+){0,3}?[^\w.!?\n]*$", re.IGNORECASE
)
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


def _codes(*offers: str | None) -> set[str]:
    """The codes the decided and brand offers name: those count as offers wherever they appear."""
    return {m.group(0) for offer in offers if offer for m in _CODE.finditer(offer)}


def _marks(text: str, known: set[str]) -> set[str]:
    """The offer markers in ``text``, normalised so "10 % OFF" and "10% off" are the same offer."""
    found = {
        m.group(0)
        for m in _CODE.finditer(text)
        if m.group(0) in known or _CODE_CUE.search(text[max(0, m.start() - 60) : m.start()])
    }
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
    known = _codes(decided_offer, brand_offer)
    marks = _marks(text, known)
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
    wanted = _marks(decided, known)
    extra, missing = marks - wanted, wanted - marks
    if extra:
        yield Finding(
            OFFER,
            f"The draft offers {', '.join(_shown(m) for m in sorted(extra))}, which is not the offer "
            f"decided ({_shown(decided, 120)}): offer exactly what was decided.",
        )
    elif brand and _norm(brand_offer or "") not in _norm(decided):  # "… SORRY10, and free delivery"
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
    decision: str | None,
    decided_offer: str | None,
    brand_offer: str | None,
    body_max: int,
) -> list[Finding]:
    """Every guardrail the draft breaks, in a stable order; an empty list means it may be approved.

    ``decision`` is a Decision value ("correct", "make_it_big"); any other (none yet, "no_action")
    skips only the offer rule, which is the one that depends on it. ``decided_offer`` is the offer
    the draft must make (empty: none); ``brand_offer`` the brand's default offer from app.yaml.
    """
    findings: list[Finding] = []
    for where, text in (("subject", subject), ("body", body)):
        for rule in (_placeholders, _blame, _pings):
            findings.extend(rule(where, text))
    if decision in ("correct", "make_it_big"):  # no apology decided: no offer to check against
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
