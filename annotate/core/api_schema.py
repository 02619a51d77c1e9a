"""The API schema's AutoSchema (REST_FRAMEWORK's DEFAULT_SCHEMA_CLASS): drf-spectacular's, with
the pagination documented as the API answers it.

- Only a GET answers a page. drf-spectacular wraps any list answer of a view that has a
  pagination class in a page, POSTs included; a POST that answers a list answers all of it
  (as the review queue's auto-promotion does).
- Every paginated operation documents the 400 that a `limit` or `offset` out of bounds gets.
"""

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse

from annotate.core.api_errors import RunErrorOutput

PAGE_REFUSED = OpenApiResponse(
    RunErrorOutput,
    description="`limit` or `offset` is not a whole number within its bounds: the message "
    "names the parameter and its bounds.",
)


class StudioAutoSchema(AutoSchema):
    # Both overrides are of drf-spectacular's (pinned) internals: it has no public hook for them.
    def _get_paginator(self):
        if self.method != "GET":
            return None
        return super()._get_paginator()

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if self._get_pagination_parameters() and "400" not in responses:
            responses["400"] = self._get_response_for_code(PAGE_REFUSED, "400", None, direction)
        return responses
