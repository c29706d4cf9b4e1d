"""The team's configuration: app.yaml, validated, with per-run overrides from the environment.

Secrets (Slack tokens, signing secret, model keys) are never read from app.yaml: they come from the
environment only, so the file can be committed and reviewed like code.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from datetime import time
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from bot.datafile import DataFile

DEFAULT_CONFIG = "app.yaml"
_DEPARTMENT_ID = re.compile(r"^[a-z][a-z0-9_-]*$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Team(_Strict):
    name: str = Field(min_length=1, max_length=80)
    timezone: str = "UTC"

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"unknown time zone {value!r} (use an IANA name such as 'Europe/London')"
            ) from None
        return value

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


class Brand(_Strict):
    name: str = Field(min_length=1, max_length=80)
    voice: str = Field(
        min_length=1, max_length=500, description="How the brand sounds, for the apology drafter."
    )
    signature: str = Field(min_length=1, max_length=120)
    default_offer: str | None = Field(default=None, max_length=300)


class Department(_Strict):
    label: str = Field(min_length=1, max_length=40)
    channel: str = Field(min_length=2, max_length=80, description="Channel ID (C…) or name (#finance).")


class Drafting(_Strict):
    provider: Literal["template", "openai", "anthropic", "ollama"] = "template"
    model: str | None = None
    base_url: str | None = None
    temperature: float = Field(default=0.3, ge=0, le=2)
    timeout_seconds: float = Field(default=20, gt=0, le=300)
    max_retries: int = Field(default=1, ge=0, le=5)
    # A draft whose body is longer cannot be approved until shortened (bot.runbook.guardrails). At most
    # 2,900: the edit modal's own limit (bot.drafting.models.BODY_MAX, which imports this module).
    max_body_chars: int = Field(default=1500, ge=200, le=2900)

    @model_validator(mode="after")
    def _model_named(self) -> Drafting:
        if self.provider != "template" and not self.model:
            raise ValueError(f"provider {self.provider!r} needs a model name (drafting.model)")
        return self


class Retrospective(_Strict):
    delay_working_days: int = Field(default=2, ge=0, le=30)
    at: time = time(10, 0)
    # Not held this long after its reminder: one more reminder; the same again later: marked overdue.
    remind_again_after_hours: float = Field(default=24, gt=0, le=24 * 14)


DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
Day = Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]


class WeeklySummary(_Strict):
    """When the weekly summary is posted to ``digest_channel``, in the team's time zone. Day names
    only: APScheduler 3 counts Monday as 0, cron as 1, and a number here would be read one way or
    the other."""

    enabled: bool = True
    day: Day = "monday"
    at: time = time(9, 0)

    @field_validator("day", mode="before")
    @classmethod
    def _day_name(cls, value: object) -> object:
        if isinstance(value, str):
            name = value.strip().lower()
            for day in DAYS:
                if name in (day, day[:3]):
                    return day
        if isinstance(value, int):
            raise ValueError("use a day name such as 'monday', not a number (cron and APScheduler disagree)")
        return value

    @property
    def weekday(self) -> int:
        """Monday is 0, as Python's date.weekday()."""
        return DAYS.index(self.day)


class Watch(_Strict):
    """After an apology is approved, the bot asks this much later for the complaints, unsubscribes
    and replies since (the seed checklist's "monitor all channels")."""

    after_working_days: int = Field(default=1, ge=0, le=30)
    at: time = time(10, 0)


class ActionItems(_Strict):
    # Local time at which an owner is sent the items due that day.
    remind_at: time = time(9, 0)


class Checklists(_Strict):
    # How alike two checklist items must read (rapidfuzz's token_set_ratio, 0-100) to be merged into one.
    merge_threshold: int = Field(default=85, ge=50, le=100)


_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")


class Roles(_Strict):
    """Who may do what on an incident: Slack user ids (U… or W…). A role left out means anyone.
    User group handles (@support-leads) are refused for now: they would need Slack to resolve them."""

    decide: tuple[str, ...] | None = None
    approve: tuple[str, ...] | None = None
    close: tuple[str, ...] | None = None

    @field_validator("decide", "approve", "close")
    @classmethod
    def _user_ids(cls, value: tuple[str, ...] | None) -> tuple[str, ...] | None:
        if value is None:
            return None
        for entry in value:
            if entry.startswith(("@", "S")) and not _USER_ID.match(entry):
                raise ValueError(
                    f"{entry!r} looks like a user group: user groups are not supported yet; "
                    "list the people's Slack user ids (U0123…) instead"
                )
            if not _USER_ID.match(entry):
                raise ValueError(f"{entry!r} is not a Slack user id (U0123… or W0123…)")
        if not value:
            raise ValueError("an empty list would let nobody do it; leave the role out to let anyone")
        return tuple(dict.fromkeys(value))


class Approvals(_Strict):
    """How many different people must approve an apology, and whether its reporter counts as one."""

    required: int = Field(default=1, ge=1, le=5)
    reporter_may_approve: bool = False


class AppConfig(_Strict):
    team: Team
    brand: Brand
    departments: dict[str, Department] = Field(min_length=1)
    digest_channel: str | None = None
    drafting: Drafting = Drafting()
    database_url: str = "sqlite:///oops.db"
    retrospective: Retrospective = Retrospective()
    checklists: Checklists = Checklists()
    weekly_summary: WeeklySummary = WeeklySummary()
    watch: Watch = Watch()
    action_items: ActionItems = ActionItems()
    roles: Roles = Roles()
    approvals: Approvals = Approvals()
    runbooks_dir: Path = Path("runbooks")
    prompts_dir: Path = Path("prompts")
    # Where app.yaml was read from: relative paths above are resolved against it.
    base_dir: Path = Field(default=Path("."), exclude=True)

    @model_validator(mode="after")
    def _enough_approvers(self) -> AppConfig:
        allowed = self.roles.approve
        if allowed is not None and self.approvals.required > len(set(allowed)):
            raise ValueError(
                f"approvals.required is {self.approvals.required} but roles.approve lists "
                f"{len(set(allowed))} person(s): no apology could ever be approved"
            )
        return self

    @field_validator("departments")
    @classmethod
    def _department_ids(cls, value: dict[str, Department]) -> dict[str, Department]:
        for key in value:
            if not _DEPARTMENT_ID.match(key):
                raise ValueError(f"department id {key!r} must be lower-case letters, digits, '-' or '_'")
        return value

    @property
    def runbooks_path(self) -> Path:
        return (self.base_dir / self.runbooks_dir).resolve()

    @property
    def prompts_path(self) -> Path:
        return (self.base_dir / self.prompts_dir).resolve()

    def resolved_database_url(self) -> str:
        """A relative SQLite path is relative to app.yaml, so the bot finds its file wherever it starts."""
        url = self.database_url
        prefix = "sqlite:///"
        if url.startswith(prefix) and not url.startswith(prefix + "/") and ":memory:" not in url:
            return prefix + str((self.base_dir / url[len(prefix) :]).resolve())
        return url


def load_config(path: Path | str | None = None, env: Mapping[str, str] | None = None) -> AppConfig:
    """Read app.yaml (``OOPS_CONFIG`` or ./app.yaml) and apply ``OOPS_DATABASE_URL``."""
    env = os.environ if env is None else env
    path = Path(path or env.get("OOPS_CONFIG") or DEFAULT_CONFIG)
    config = DataFile.read(path).validate(AppConfig)
    config = config.model_copy(update={"base_dir": path.resolve().parent})
    if env.get("OOPS_DATABASE_URL"):
        config = config.model_copy(update={"database_url": env["OOPS_DATABASE_URL"]})
    return config
