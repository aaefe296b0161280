"""Parsing and rendering as Harbor does: JSON in, JSON out (each answer ends with a new
line, as Go's json.Encoder writes it), whatever Accept says."""

from __future__ import annotations

from rest_framework import exceptions, parsers, renderers
from rest_framework.negotiation import DefaultContentNegotiation


class HarborContentNegotiation(DefaultContentNegotiation):
    """Harbor ignores Accept: an unmatched one gets the view's first renderer, not a 406."""

    def select_renderer(self, request, renderers_, format_suffix=None):
        try:
            return super().select_renderer(request, renderers_, format_suffix)
        except exceptions.NotAcceptable:
            return renderers_[0], renderers_[0].media_type


class JSONRenderer(renderers.JSONRenderer):
    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        content = super().render(data, accepted_media_type, renderer_context)
        return content + b"\n" if content else content


class PlainTextRenderer(renderers.BaseRenderer):
    media_type = "text/plain"
    format = "txt"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        return str(data).encode(self.charset)


class JSONParser(parsers.JSONParser):
    """DRF's parser; JSON nested beyond Python's recursion limit is a parse error, not a 500.
    (A body over DATA_UPLOAD_MAX_MEMORY_SIZE never gets here: Django refuses to read it.)"""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise exceptions.ParseError("JSON parse error - the body nests arrays or objects too deeply")
