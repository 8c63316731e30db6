"""Errors that carry a message fit to show an operator or a user as it is."""


class GvoError(Exception):
    """A failure with a clear, user-facing message (no traceback needed)."""


class WrongMasterKey(GvoError):
    """The master key does not open this instance (or a replica of it)."""


class NotFound(GvoError):
    """A school, user or other named thing does not exist."""


class InvalidInput(GvoError):
    """Input that breaks a rule; the message says which."""


class NotPermitted(GvoError):
    """The actor's role does not allow this change (the message says whose role does)."""
