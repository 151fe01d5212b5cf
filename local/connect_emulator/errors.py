"""The typed error every emulated operation raises, answered as a Connect rest-json error."""

from __future__ import annotations


class ConnectError(Exception):
    """A Connect error: the HTTP status comes from the service model unless given.

    `reason` fills the modelled `Reason` member of InvalidRequestException and
    ServiceQuotaExceededException; it stays out of the body when None.
    """

    def __init__(
        self,
        code: str,
        message: str,
        *,
        status: int | None = None,
        reason: dict[str, str] | None = None,
    ) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status
        self.reason = reason


def invalid_request(message: str) -> ConnectError:
    return ConnectError("InvalidRequestException", message)


def not_found(message: str) -> ConnectError:
    return ConnectError("ResourceNotFoundException", message)


def throttled(message: str = "Rate exceeded") -> ConnectError:
    return ConnectError("ThrottlingException", message)
