"""The one domain exception. The API turns it into 400 (on `field`), 403 or 409, with its `code`; the
pages show it. Messages are translated: they are said in the language of the request."""


class ServiceError(Exception):
    """A domain rule refused the operation; `field` names the input at fault, if any; `code` says which
    rule, for API clients (the message is for people, in their language)."""

    def __init__(self, message, field=None, code="refused"):
        super().__init__(message)
        self.message = message
        self.field = field
        self.code = code


class Conflict(ServiceError):
    """The operation does not fit the current state (an illegal transition, capacity used up)."""


class NotAllowed(ServiceError):
    """The user may not take this step (a 403), whatever the state."""
