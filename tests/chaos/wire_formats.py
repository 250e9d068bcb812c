"""What schemathesis needs to read our wire formats: XML by the schema's ``xml``
objects (OpenAPI's rules: an element per property, an unwrapped array as its element
repeated, ``attribute`` for attributes, ``x-text`` for an element's own text), and text
answers as the text they are, in the charset the Content-Type names."""

import re
import xml.etree.ElementTree as ET  # noqa: S405 (our own server's answers)

import schemathesis

# Off, and why: both protocols answer a request they refuse with HTTP 200 and the error
# in the body (seed 001 §2b; SMSC clients take any other status for a network failure),
# so a 4xx for invalid data (negative_data_rejection) is what they must not answer.
CHECKS_OFF: dict = {"negative_data_rejection": {"enabled": False}}


def _resolve(document: dict, schema: dict) -> dict:
    while "$ref" in schema:
        node = document
        for part in schema["$ref"].removeprefix("#/").split("/"):
            node = node[part]
        schema = node
    return schema


def _merged(document: dict, schema: dict) -> dict:
    """``allOf`` folded into one schema: properties, type and xml (enough for ours)."""
    schema = _resolve(document, schema)
    if "allOf" not in schema:
        return schema
    merged = {k: v for k, v in schema.items() if k != "allOf"}
    properties = {}
    for part in schema["allOf"]:
        part = _merged(document, part)
        properties.update(part.get("properties", {}))
        merged.setdefault("type", part.get("type"))
    merged["properties"] = {**properties, **merged.get("properties", {})}
    return merged


def _scalar(text: str, schema: dict):
    kind = schema.get("type")
    if kind == "integer" and text.lstrip("-").isdigit():
        return int(text)
    if kind == "boolean" and text in ("true", "false"):
        return text == "true"
    return text  # a wrong text stays text, for the schema to refuse


def _alternatives(document: dict, schema: dict) -> list[dict]:
    schema = _resolve(document, schema)
    return [_resolve(document, s) for s in schema.get("oneOf", schema.get("anyOf", [schema]))]


def element_value(document: dict, element: ET.Element, schema: dict):
    """The value of ``element`` read as ``schema`` says."""
    schema = _merged(document, schema)
    if schema.get("type") != "object" and "properties" not in schema:
        return _scalar(element.text or "", schema)
    value = {}
    for name, prop in schema.get("properties", {}).items():
        prop = _merged(document, prop)
        xml = prop.get("xml", {})
        if xml.get("attribute"):
            if xml.get("name", name) in element.attrib:
                value[name] = _scalar(element.attrib[xml.get("name", name)], prop)
        elif xml.get("x-text"):
            value[name] = _scalar(element.text or "", prop)
        elif prop.get("type") == "array":
            items = prop["items"]
            tag = _merged(document, items).get("xml", {}).get("name", xml.get("name", name))
            found = element.findall(tag)
            if found or name in schema.get("required", []):
                value[name] = [element_value(document, child, items) for child in found]
        else:
            child = element.find(xml.get("name", name))
            if child is not None:
                value[name] = element_value(document, child, prop)
    known = {
        _merged(document, p).get("xml", {}).get("name", n)
        for n, p in schema.get("properties", {}).items()
    }
    for child in element:
        if child.tag not in known:
            value[child.tag] = child.text or ""  # left for additionalProperties to judge
    return value


def _fits(document: dict, element: ET.Element, schema: dict) -> bool:
    """Whether ``schema`` can be ``element``'s: its name, and a text for a text, an
    object naming each child for children."""
    schema = _merged(document, schema)
    if schema.get("xml", {}).get("name") != element.tag:
        return False
    if "properties" not in schema:
        return len(element) == 0
    names = {
        _merged(document, p).get("xml", {}).get("name", n) for n, p in schema["properties"].items()
    }
    return all(child.tag in names for child in element)


def read_xml(document: dict, content: bytes, schema: dict):
    """The body as the response schema describes it: among its alternatives, the first
    that fits the root element (``_fits``)."""
    root = ET.fromstring(content)  # noqa: S314
    for alternative in _alternatives(document, schema):
        if _fits(document, root, alternative):
            return element_value(document, root, alternative)
    raise ValueError(f"<{root.tag}> with these children is none of the documented answers")


def _response_schema(ctx, response, media: str) -> dict:
    definition = ctx.operation.definition.raw["responses"][str(response.status_code)]
    return definition["content"][media]["schema"]


@schemathesis.deserializer("application/xml", "text/xml")
def _xml(ctx, response):
    media = response.headers["content-type"][0].split(";")[0].strip()
    document = ctx.operation.schema.raw_schema
    return read_xml(document, response.content, _response_schema(ctx, response, media))


@schemathesis.deserializer("text/plain")
def _text(ctx, response):
    return response.content.decode(response.encoding or "utf-8")


def outcome(response) -> str:
    """The answer's ``error`` (the SMS API's JSON or XML), else its status code."""
    media = response.headers.get("content-type", [""])[0]
    if "json" in media:
        return str(response.json().get("error"))
    if "xml" in media:
        found = ET.fromstring(response.content).find("error")  # noqa: S314
        return found.text if found is not None else "?"
    return str(response.status_code)


SMSC_MEDIA = {0: "text/plain", 1: "text/plain", 2: "text/xml", 3: "application/json"}


def _fmt(case) -> int:
    fields = case.body if isinstance(case.body, dict) else (case.query or {})
    value = str(fields.get("fmt", "0")).strip() or "0"
    return int(value) if value in ("0", "1", "2", "3") else 0


def fmt_gives_the_content_type(ctx, response, case):
    """SMSC: the answer is in the media type of the fmt asked (fmt 0 when it cannot be
    read), which the schema alone cannot say."""
    if not case.operation.path.startswith("/sys/") or response.status_code != 200:
        return None
    media = response.headers["content-type"][0].split(";")[0].strip()
    expected = SMSC_MEDIA[_fmt(case)]
    if media != expected:
        raise AssertionError(f"fmt={_fmt(case)} answered {media}, not {expected}")
    return None


def smsc_outcome(response) -> str:
    """OK, or the SMSC error code, or the status code."""
    if response.status_code != 200:
        return str(response.status_code)
    text = response.content.decode(response.encoding or "utf-8", "replace")
    code = re.search(
        r"ERROR = (\d+)|<error_code>(\d+)<|\"error_code\": (\d+)|^[^\n]*,-(\d+)$", text
    )
    return f"error {next(filter(None, code.groups()))}" if code else "OK"
