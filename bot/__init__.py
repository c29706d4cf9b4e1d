"""oops: a Slack bot that walks a team through its own business mistakes."""

__version__ = "0.1.0"
