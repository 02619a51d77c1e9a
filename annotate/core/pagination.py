"""The API's one pagination (REST_FRAMEWORK's DEFAULT_PAGINATION_CLASS): `?limit=` and
`?offset=`, checked.

DRF's LimitOffsetPagination quietly ignores a limit or offset that is not a number and passes
any number to the database, where one past 2**63 is a 500 ("datatype mismatch" on SQLite,
bigint out of range on PostgreSQL). Here a limit is 1 to EMOCUE_API_MAX_PAGE_SIZE and an offset
0 to MAX_OFFSET, and anything else is a 400 naming the parameter and its bounds.
"""

from django.conf import settings
from rest_framework.pagination import LimitOffsetPagination

from annotate.core.errors import DomainError

# Far past the end of any table here, and far below what a database or a client overflows on.
MAX_OFFSET = 2**31 - 1


class PageRequestInvalid(DomainError):
    """A `limit` or `offset` that is not a whole number within its bounds: 400."""

    code = "invalid"
    status = 400


class BoundedLimitOffsetPagination(LimitOffsetPagination):
    limit_query_description = "Number of results per page (1 to {max}; default {default})."
    offset_query_description = "The index of the first result to return (0 to {max}; default 0)."

    def __init__(self):
        self.max_limit = settings.EMOCUE_API_MAX_PAGE_SIZE
        self.default_limit = min(self.default_limit, self.max_limit)

    def get_limit(self, request) -> int:
        return self._bounded(request, self.limit_query_param, 1, self.max_limit, self.default_limit)

    def get_offset(self, request) -> int:
        return self._bounded(request, self.offset_query_param, 0, MAX_OFFSET, 0)

    @staticmethod
    def _bounded(request, name: str, low: int, high: int, default: int) -> int:
        raw = request.query_params.get(name)
        if raw is None or raw == "":
            return default
        text = raw.strip()
        value = int(text) if text.isascii() and text.isdigit() and len(text) <= 19 else None
        if value is None or not low <= value <= high:
            shown = raw if len(raw) <= 40 else raw[:40] + "…"
            raise PageRequestInvalid(
                f"must be a whole number from {low} to {high}; got {shown!r}.", field=name
            )
        return value

    def get_schema_operation_parameters(self, view):
        limit, offset = super().get_schema_operation_parameters(view)
        limit["schema"].update(minimum=1, maximum=self.max_limit, default=self.default_limit)
        limit["description"] = self.limit_query_description.format(
            max=self.max_limit, default=self.default_limit
        )
        offset["schema"].update(minimum=0, maximum=MAX_OFFSET, default=0)
        offset["description"] = self.offset_query_description.format(max=MAX_OFFSET)
        return [limit, offset]


def whole_number(raw: str | None, *, default: int, low: int, high: int) -> int | None:
    """A page view's numeric query value (`default` when left out), or None when it is not a
    whole number from low to high (int() of "²" or of 5,000 digits raises, which was a 500)."""
    text = (raw or str(default)).strip()
    if not (text.isascii() and text.isdigit() and len(text) <= 10):
        return None
    value = int(text)
    return value if low <= value <= high else None


def page_number(raw: str | None) -> int | None:
    """A page view's `?page=` (1 when left out), from 1 to MAX_OFFSET, else None."""
    return whole_number(raw, default=1, low=1, high=MAX_OFFSET)
