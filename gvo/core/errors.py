"""Errors that carry a message fit to show an operator or a user as it is."""


class GvoError(Exception):
    """A failure with a clear, user-facing message (no traceback needed)."""


class WrongMasterKey(GvoError):
    """The master key does not open this instance (or a replica of it)."""


class NotFound(GvoError):
    """A school, user or other named thing does not exist, or is hidden from the person
    asking; the web answers 404 (gvo.web.errors)."""


class InvalidInput(GvoError):
    """Input that breaks a rule; the message says which. Views show it beside the field it
    names (`field`: the input's name, as the service and its form call it; None for a
    rule about the whole thing, such as "the meeting is cancelled"); one that reaches the
    web unhandled answers 400 with the message (gvo.web.errors)."""

    def __init__(self, message: str = "", *args, field: str | None = None):
        super().__init__(message, *args)
        self.field = field


class NotPermitted(GvoError):
    """The person's role or capabilities do not allow this, on something they may see (the
    message says who may); the web answers 403 (gvo.web.errors)."""


class SchoolUnavailable(GvoError):
    """A school is briefly closed by its server (a live rekey or the last sync of a move):
    its requests answer 503 "back in a moment" with Retry-After (gvo.web.errors)."""


class SchoolMoved(GvoError):
    """A school moved to another server (`gvo school move`): this server refuses its reads
    and writes, and its pages say where it went (`moved_to`, the address the operator gave)."""

    def __init__(self, slug: str, moved_to: str):
        super().__init__(f"school {slug} has moved to {moved_to}; it is served there now")
        self.slug = slug
        self.moved_to = moved_to
