"""Persistence: SQLModel tables, the repository and schema migrations."""

from bot.store.db import make_engine, migrate
from bot.store.repo import Repo, Store

__all__ = ["Repo", "Store", "make_engine", "migrate"]
