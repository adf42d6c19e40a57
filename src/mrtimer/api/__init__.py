"""Client for the Meet and Rock Timer Management API (knows HTTP, nothing of the app)."""

from ._client import DEFAULT_BASE_URL, USER_AGENT, ApiClient, ClockOffset
from ._errors import (
    AmbiguousError,
    ApiError,
    AuthError,
    BadRequestError,
    ConflictError,
    ConnectError,
    DecodeError,
    HttpStatusError,
    NotFoundError,
    RateLimitedError,
    ServerError,
    TransportError,
)
from ._models import (
    Timer,
    decode_timer,
    decode_timer_list,
    encode_timer,
    format_hms,
    parse_datetime,
    parse_duration,
)
from ._url import InsecureUrlError, validate_base_url

__all__ = [
    "DEFAULT_BASE_URL",
    "USER_AGENT",
    "AmbiguousError",
    "ApiClient",
    "ApiError",
    "AuthError",
    "BadRequestError",
    "ClockOffset",
    "ConflictError",
    "ConnectError",
    "DecodeError",
    "HttpStatusError",
    "InsecureUrlError",
    "NotFoundError",
    "RateLimitedError",
    "ServerError",
    "Timer",
    "TransportError",
    "decode_timer",
    "decode_timer_list",
    "encode_timer",
    "format_hms",
    "parse_datetime",
    "parse_duration",
    "validate_base_url",
]
