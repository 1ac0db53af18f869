"""What can go wrong while auditing, and how each failure is said (never as ``ok``)."""

from __future__ import annotations

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    NoCredentialsError,
    PartialCredentialsError,
)
from botocore.exceptions import ConnectionError as BotoConnectionError

#: Error codes that mean "this endpoint cannot answer that", as opposed to "no such thing".
NOT_IMPLEMENTED_CODES = frozenset(
    {"NotImplemented", "NotImplementedException", "InternalFailure", "InternalError", "500", "501"}
)
#: Error codes that mean the credentials may not read this: the check is unverifiable.
ACCESS_DENIED_CODES = frozenset(
    {
        "AccessDenied",
        "AccessDeniedException",
        "UnauthorizedOperation",
        "AuthorizationError",
        "AuthorizationErrorException",
        "Forbidden",
        "403",
        "OptInRequired",
        "SubscriptionRequiredException",
    }
)
#: Error codes that mean the credentials themselves were refused: no check could run at all.
REFUSED_CREDENTIALS_CODES = frozenset(
    {
        "InvalidClientTokenId",
        "UnrecognizedClientException",
        "ExpiredToken",
        "ExpiredTokenException",
        "SignatureDoesNotMatch",
        "AuthFailure",
        "InvalidAccessKeyId",
    }
)


class AuditError(Exception):
    """The audit could not run (inputs, credentials, endpoint): a usage problem, exit status 2."""


class AssemblyError(AuditError):
    """The assembly directory is missing, not a cloud assembly, or lacks a selected stack."""


class UnresolvableError(Exception):
    """A template value the audit cannot compute; the check needing it is ``unverifiable``."""


class UnverifiableError(Exception):
    """A check that ran but could not read or compare what it needs; carries the reason."""

    def __init__(self, reason: str, expected: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.expected = expected


def error_code(exc: ClientError) -> str:
    """The service's error code of a failed call."""
    return str(exc.response.get("Error", {}).get("Code", ""))


def http_status(exc: ClientError) -> int:
    """The HTTP status of a failed call (0 when unknown)."""
    return int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)


def is_not_implemented(exc: ClientError) -> bool:
    """The endpoint cannot answer this operation at all (moto's "not yet implemented")."""
    message = str(exc.response.get("Error", {}).get("Message", "")).lower()
    return (
        error_code(exc) in NOT_IMPLEMENTED_CODES
        or http_status(exc) >= 500
        or "not yet implemented" in message
    )


def is_access_denied(exc: ClientError) -> bool:
    """The credentials may not make this call."""
    return error_code(exc) in ACCESS_DENIED_CODES


def describe_error(exc: ClientError) -> str:
    """A failed call as one line: why the check it served is unverifiable."""
    code = error_code(exc)
    if is_not_implemented(exc):
        return f"the endpoint cannot answer {exc.operation_name} ({code or http_status(exc)})"
    message = str(exc.response.get("Error", {}).get("Message", "")).strip()
    if is_access_denied(exc):
        return f"not permitted to call {exc.operation_name} ({code}): {message}"[:300]
    return f"{exc.operation_name}: {code}: {message}"[:300]


def describe_failure(exc: BaseException) -> str:
    """Any read failure as one line."""
    if isinstance(exc, ClientError):
        return describe_error(exc)
    if isinstance(exc, BotoCoreError):
        return f"not read: {exc}"
    return f"not compared: {type(exc).__name__}: {exc}"


def raise_if_fatal(exc: BaseException) -> None:
    """Re-raise what no single check can survive: no credentials, refused ones, no endpoint."""
    if isinstance(exc, NoCredentialsError | PartialCredentialsError):
        raise AuditError(
            "no AWS credentials found; set AWS_PROFILE or AWS_ACCESS_KEY_ID and "
            "AWS_SECRET_ACCESS_KEY (or run `aws sso login`) for the account to audit"
        ) from exc
    if isinstance(exc, BotoConnectionError):
        raise AuditError(
            f"cannot reach the AWS endpoint: {exc}; check --endpoint-url / AWS_ENDPOINT_URL "
            "and the network"
        ) from exc
    if isinstance(exc, ClientError) and error_code(exc) in REFUSED_CREDENTIALS_CODES:
        raise AuditError(f"the AWS credentials were refused: {describe_error(exc)}") from exc
