"""Limits on what a user can send (docs/security.md lists them): each is a setting
(studio/settings/base.py, "limits"), and each refusal names the setting and its value.

A limit is checked before anything is written, by the service that would write it, so the API,
the pages and the management commands refuse alike and nothing is half-stored.
"""

from django.conf import settings

from annotate.core.errors import DomainError


class LimitExceeded(DomainError):
    """Over a size limit: 413, with the setting and its value in the answer."""

    code = "too_large"
    status = 413

    def __init__(self, message: str, *, setting: str, limit: int):
        super().__init__(message)
        self.setting = setting
        self.limit = limit

    def api_body(self) -> dict:
        return {**super().api_body(), "limit": {"setting": self.setting, "value": self.limit}}


def limit_value(setting: str) -> int:
    return int(getattr(settings, setting))


def limit_message(*, setting: str, what: str, count: int, unit: str) -> str:
    """ "<what> has <count> <unit>; the limit is <value> (<setting>)." and what to do."""
    limit = limit_value(setting)
    return (
        f"{what} has {count:,} {unit}; the limit is {limit:,} ({setting} = {limit}). "
        "Nothing was stored; send less, or ask the administrator to raise the limit."
    )


def limit_check(*, setting: str, what: str, count: int, unit: str) -> None:
    """Refuse with LimitExceeded when count is over the setting's value."""
    limit = limit_value(setting)
    if count > limit:
        raise LimitExceeded(
            limit_message(setting=setting, what=what, count=count, unit=unit),
            setting=setting,
            limit=limit,
        )
