"""JSON that a user sends (a request body, an uploaded cue file) is read with a nesting limit.

Python's json module, DRF's serializers and any later walk of the data recurse once per level,
so `[[[[...]]]]` 5,000 deep is a RecursionError (a 500) somewhere. The depth is counted here
by a flat scan of the text before it is parsed, so no recursion ever sees a deeper document.
The limit is the EMOCUE_MAX_JSON_DEPTH setting (docs/security.md).
"""

import json
import re
from itertools import accumulate

from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser
from rest_framework.settings import api_settings
from rest_framework.utils.json import strict_constant

# A JSON string (its brackets are text, not nesting), possessive so that a long string is one
# step; an unterminated one runs to the end of the text, as json reads it.
_STRING = re.compile(r'"[^"\\]*+(?:\\.[^"\\]*+)*+(?:"|\Z)', re.DOTALL)
_NOT_A_BRACKET = re.compile(r"[^\[\]{}]++")
_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}


class JsonTooDeep(ValueError):
    """JSON nested deeper than the limit; the message names the limit and its setting."""

    def __init__(self, limit: int):
        self.limit = limit
        super().__init__(
            f"the JSON nests arrays and objects more than {limit} levels deep; at most {limit} "
            "are allowed (EMOCUE_MAX_JSON_DEPTH)"
        )


def json_max_depth() -> int:
    return settings.EMOCUE_MAX_JSON_DEPTH


def json_depth_check(text: str, *, limit: int | None = None) -> None:
    """Raise JsonTooDeep when `text` opens more than `limit` (default: the setting) arrays and
    objects inside each other. Text that is not JSON is left for the parser to refuse."""
    limit = json_max_depth() if limit is None else limit
    brackets = _NOT_A_BRACKET.sub("", _STRING.sub("", text))
    if max(accumulate(map(_STEP.__getitem__, brackets)), default=0) > limit:
        raise JsonTooDeep(limit)


def json_loads(text: str, **kwargs):
    """json.loads with the depth limit: raises JsonTooDeep before parsing a deeper document, and
    json.JSONDecodeError as json.loads does (also for an integer too long for int(), which
    json.loads lets out as a bare ValueError)."""
    json_depth_check(text)

    def whole_number(digits: str) -> int:
        try:
            return int(digits)
        except ValueError:
            message = f"a number of {len(digits)} digits (Python reads at most 4300)"
            raise json.JSONDecodeError(message, text, text.find(digits)) from None

    return json.loads(text, parse_int=whole_number, **kwargs)


class DepthLimitedJSONParser(JSONParser):
    """DRF's JSONParser (REST_FRAMEWORK's DEFAULT_PARSER_CLASSES), refusing a body nested deeper
    than EMOCUE_MAX_JSON_DEPTH with a 400 that names the limit."""

    def parse(self, stream, media_type=None, parser_context=None):
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            text = stream.read().decode(encoding) if stream is not None else ""
        except UnicodeDecodeError as error:
            raise ParseError(f"JSON parse error - the body is not {encoding} text") from error
        try:
            json_depth_check(text)
            constant = strict_constant if api_settings.STRICT_JSON else None
            return json.loads(text, parse_constant=constant)
        except JsonTooDeep as error:
            raise ParseError(f"JSON too deep - {error}") from None
        except ValueError as error:
            raise ParseError(f"JSON parse error - {error}") from None
