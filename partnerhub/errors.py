"""The one error hierarchy of PartnerHub.

A :class:`UserError` is a mistake the person can fix (a wrong argument, a bad config, a file
that breaks its contract). Its message says what went wrong *and* what to do; the CLI prints it
on one line and exits with code 2, the API answers 4xx with the same text. Anything else that
escapes is our bug and keeps its traceback.
"""

from __future__ import annotations

__all__ = [
    "AuthenticationError",
    "BusyError",
    "ConfigError",
    "ContractError",
    "DisclosureError",
    "NotFoundError",
    "PartnerHubError",
    "PermissionDeniedError",
    "PolicyError",
    "UserError",
    "describe_validation_error",
]


class PartnerHubError(Exception):
    """Base class of every error PartnerHub raises on purpose."""


class UserError(PartnerHubError):
    """A mistake the user can fix; the message names the problem and the fix."""

    exit_code = 2


class ConfigError(UserError):
    """`partnership.toml` (or a CLI argument standing in for it) is wrong."""


class ContractError(UserError):
    """A dataset contract, or data checked against one, is wrong."""


class NotFoundError(UserError):
    """A named thing (partner, dataset, file) does not exist."""


class PolicyError(UserError):
    """No data-sharing agreement in force permits what was asked (API: 403)."""


class AuthenticationError(UserError):
    """No token, or a token that is not valid (API: 401)."""


class PermissionDeniedError(UserError):
    """The user's role may not do this (API: 403)."""


class BusyError(UserError):
    """A store is held by a writer (an ingest or a link run) just now; try again when it has
    finished (API: 409)."""


class DisclosureError(UserError):
    """Disclosure control refuses an output as a whole (too few people or degrees of freedom,
    more than one person where one is allowed)."""


def describe_validation_error(source: str, exc: object) -> str:
    """One line per problem of a pydantic ``ValidationError``: ``source: key: problem — fix``.

    ``source`` names the file (or argument) being validated, so the message says where to look.
    """
    errors = getattr(exc, "errors", None)
    if errors is None:
        return f"{source}: {exc}"
    lines = []
    for err in errors():
        loc = ".".join(str(part) for part in err.get("loc", ())) or "(top level)"
        kind = err.get("type", "")
        msg = err.get("msg", "invalid")
        if kind == "missing":
            fix = f"add `{loc.rsplit('.', 1)[-1]}`"
        elif kind == "extra_forbidden":
            fix = "remove it or check its spelling"
        else:
            fix = "correct the value"
        lines.append(f"{source}: {loc}: {msg} — {fix}")
    return "; ".join(lines)
