"""JSON and XML bodies in the seed's shapes (seed 001 §2b).

JSON is an object; XML is the same object inside ``<root>…</root>``, each key
an element, a list as that element repeated. A recipient list can hold
100,000 rows, so it is rendered straight from its compact text
(``messaging.statuslist.StatusList``) instead of through 100,000 dictionaries.
"""

import json
import re
import uuid
from xml.sax.saxutils import escape

from rest_framework.negotiation import BaseContentNegotiation, DefaultContentNegotiation
from rest_framework.renderers import BaseRenderer

from messaging.statuslist import StatusList


def to_json(payload: dict) -> bytes:
    raws: list[bytes] = []
    plain = {}
    # Each list stands in as a placeholder no caller's text can hold (a user_flag of
    # "\x00raw0\x00" once took the recipient list's place): made anew for each answer.
    marker = uuid.uuid4().hex
    for key, value in payload.items():
        if isinstance(value, StatusList):
            plain[key] = f"\x00{marker}:{len(raws)}\x00"
            raws.append(value.to_json())
        else:
            plain[key] = value
    rest = json.dumps(plain, ensure_ascii=False, separators=(",", ":")).encode()
    # Lists go in whole, as rendered: 4 MB copied once, not replaced into a string.
    pieces = []
    for index, raw in enumerate(raws):
        before, rest = rest.split(json.dumps(f"\x00{marker}:{index}\x00").encode(), 1)
        pieces += [before, raw]
    pieces.append(rest)
    return b"".join(pieces)


# Characters XML 1.0 cannot carry at all, even escaped; they are left out.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _xml_scalar(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    # A carriage return as a reference: a parser turns a literal one into a line feed.
    return escape(_NOT_XML.sub("", str(value)), {"\r": "&#13;"})


def _xml_element(tag: str, value, out: list[str]) -> None:
    if isinstance(value, StatusList):
        out.append(value.to_xml(tag))
    elif isinstance(value, list | tuple):
        for item in value:  # a list is its element repeated
            _xml_element(tag, item, out)
    elif isinstance(value, dict):
        out.append(f"<{tag}>")
        for key, item in value.items():
            _xml_element(key, item, out)
        out.append(f"</{tag}>")
    else:
        out.append(f"<{tag}>{_xml_scalar(value)}</{tag}>")


def to_xml(payload: dict) -> bytes:
    out = ['<?xml version="1.0" encoding="UTF-8"?>\n<root>']
    for key, value in payload.items():
        _xml_element(key, value, out)
    out.append("</root>")
    return "".join(out).encode()


class WireJSONRenderer(BaseRenderer):
    media_type = "application/json"
    format = "json"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return to_json(data)


class WireXMLRenderer(BaseRenderer):
    media_type = "application/xml"
    format = "xml"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return to_xml(data)


class UrlFormatNegotiation(BaseContentNegotiation):
    """The format comes from the URL (``…/json/``, ``…/xml/``), else JSON; never Accept."""

    def select_parser(self, request, parsers):
        return DefaultContentNegotiation().select_parser(request, parsers)

    def select_renderer(self, request, renderers, format_suffix=None):
        for renderer in renderers:
            if renderer.format == format_suffix:
                return renderer, renderer.media_type
        return renderers[0], renderers[0].media_type
