"""The meetings blueprint (`meetings`), one module per sub-feature."""

from gvo.blueprints.meetings.meetings import bp  # noqa: F401
