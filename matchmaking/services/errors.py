"""The one domain exception. The API turns it into 400 (on `field`), 403 or 409; the pages show it."""


class ServiceError(Exception):
    """A domain rule refused the operation; `field` names the input at fault, if any."""

    def __init__(self, message, field=None):
        super().__init__(message)
        self.message = message
        self.field = field


class Conflict(ServiceError):
    """The operation does not fit the current state (an illegal transition, capacity used up)."""


class NotAllowed(ServiceError):
    """The user may not take this step (a 403), whatever the state."""
