"""The API schema's AutoSchema (REST_FRAMEWORK's DEFAULT_SCHEMA_CLASS): drf-spectacular's, with
the pagination documented as the API answers it: every paginated operation documents the 400
that a `limit` or `offset` out of bounds gets.
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
    # An override of drf-spectacular's (pinned) internals: it has no public hook for it.
    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if self._get_pagination_parameters() and "400" not in responses:
            responses["400"] = self._get_response_for_code(PAGE_REFUSED, "400", None, direction)
        return responses
