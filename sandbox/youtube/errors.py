"""Google's error shape, and the errors the YouTube stand-in answers with.

Every Google JSON API refuses a request with `{"error": {"code", "message", "errors":
[{"message", "domain", "reason", …}]}}`; a refused parameter also names itself in
`location` / `locationType` (the "Global domain errors" sample). The reasons come from the
YouTube Data API and Live Streaming API error tables.
"""

from __future__ import annotations

from aiohttp import web

# reason → (status, domain, message), for the errors a request can be answered with as is.
ERRORS: dict[str, tuple[int, str, str]] = {
    "quotaExceeded": (
        403,
        "youtube.quota",
        "The request cannot be completed because you have exceeded your "
        '<a href="/youtube/v3/getting-started#quota">quota</a>.',
    ),
    "rateLimitExceeded": (
        403,
        "youtube.liveChat",
        "The request was sent too soon after the previous one.",
    ),
    "liveChatEnded": (403, "youtube.liveChat", "The live chat is no longer live."),
    "liveChatNotFound": (
        404,
        "youtube.liveChat",
        "The live chat that you are trying to retrieve cannot be found.",
    ),
    "backendError": (503, "global", "Backend Error"),
}


class ApiError(Exception):
    """A refusal, raised anywhere in a handler and rendered once in Google's shape."""

    def __init__(
        self,
        status: int,
        reason: str,
        message: str,
        domain: str = "youtube.liveChat",
        location: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.reason = reason
        self.message = message
        self.domain = domain
        self.location = location

    @classmethod
    def of(cls, reason: str) -> ApiError:
        """One of the `ERRORS`; an unknown reason is a 400 in the live chat's domain."""
        status, domain, message = ERRORS.get(reason, (400, "youtube.liveChat", reason))
        return cls(status, reason, message, domain)

    def response(self) -> web.Response:
        return google_error(self.status, self.reason, self.message, self.domain, self.location)


def google_error(
    status: int,
    reason: str,
    message: str,
    domain: str = "youtube.liveChat",
    location: str | None = None,
) -> web.Response:
    """An error in the shape every Google JSON API answers with."""
    detail: dict[str, str] = {"message": message, "domain": domain, "reason": reason}
    if location is not None:
        detail.update(locationType="parameter", location=location)
    body = {"error": {"code": status, "message": message, "errors": [detail]}}
    return web.json_response(body, status=status)


def missing(parameter: str) -> ApiError:
    """A required parameter is absent ("Common request errors": missingRequiredParameter)."""
    return ApiError(
        400,
        "missingRequiredParameter",
        f"No value was specified for the required parameter: {parameter}.",
        "youtube.parameter",
        parameter,
    )


def no_filter(filters: tuple[str, ...]) -> ApiError:
    """A list call named none of the filters of which it takes exactly one."""
    return ApiError(
        400,
        "missingRequiredParameter",
        f"No filter selected. Expected one of: {', '.join(filters)}",
        "youtube.parameter",
        "parameters",
    )


def incompatible(names: list[str]) -> ApiError:
    """Two or more filters where exactly one is allowed (incompatibleParameters)."""
    return ApiError(
        400,
        "incompatibleParameters",
        f"Incompatible parameters specified in the request: {', '.join(names)}",
        "youtube.parameter",
        "parameters",
    )


def invalid(parameter: str, value: str, allowed: tuple[str, ...]) -> ApiError:
    """A value outside the documented ones, worded like the "Global domain errors" sample."""
    return ApiError(
        400,
        "invalidParameter",
        f"Invalid string value: '{value}'. Allowed values: [{', '.join(allowed)}]",
        "global",
        parameter,
    )
