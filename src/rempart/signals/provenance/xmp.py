"""Read the few XMP properties that carry provenance, without trusting the XML.

XMP never needs a DTD, so a packet that declares one (the only way to define entities, hence
"billion laughs" and external-entity attacks) is never handed to the XML parser: it is read
with bounded regular expressions instead, as is any packet the parser rejects. Packets are
size-limited by the container walk before they get here.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

# Local names read, whatever the namespace prefix: IPTC Extension, XMP basic, Photoshop, TIFF.
PROPERTIES = (
    "DigitalSourceType",  # Iptc4xmpExt (IPTC 2022+)
    "AISystemUsed",  # Iptc4xmpExt (IPTC 2025.1)
    "AISystemVersionUsed",
    "CreatorTool",  # xmp:CreatorTool
    "Software",  # tiff:Software
    "Credit",  # photoshop:Credit ("Made with Google AI")
)
MAX_VALUE = 500
_DTD = re.compile(rb"<!(?:DOCTYPE|ENTITY)", re.IGNORECASE)
_RDF = "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}"


@dataclass
class XmpProps:
    """Values found per property local name; ``unsafe`` when the packet declared a DTD."""

    values: dict[str, list[str]] = field(default_factory=dict)
    unsafe: bool = False

    def add(self, name: str, value: str) -> None:
        """Record a value (trimmed, bounded, deduplicated)."""
        value = value.strip()[:MAX_VALUE]
        bucket = self.values.setdefault(name, [])
        if value and value not in bucket and len(bucket) < 20:
            bucket.append(value)


def read_xmp(packets: list[bytes]) -> XmpProps:
    """The provenance properties of every packet, merged."""
    props = XmpProps()
    for packet in packets:
        start = packet.find(b"<")
        body = packet[start:].rstrip(b"\x00 \r\n\t") if start >= 0 else b""
        if not body:
            continue
        if _DTD.search(body):
            props.unsafe = True
            _regex(body, props)
            continue
        try:
            root = ET.fromstring(body)  # noqa: S314 - no DTD (checked above), bounded size
        except (ET.ParseError, ValueError):
            _regex(body, props)
            continue
        _walk(root, props)
    return props


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1].rsplit(":", 1)[-1]


def _walk(root: ET.Element, props: XmpProps) -> None:
    wanted = set(PROPERTIES)
    for el in root.iter():
        for key, value in el.attrib.items():
            if _local(key) in wanted:
                props.add(_local(key), value)
        name = _local(el.tag) if isinstance(el.tag, str) else ""
        if name not in wanted:
            continue
        resource = el.attrib.get(f"{_RDF}resource")
        if resource:
            props.add(name, resource)
        texts = [t for t in (li.text for li in el.iter(f"{_RDF}li")) if t and t.strip()]
        for text in texts or ([el.text] if el.text else []):
            props.add(name, text)


_OPEN_TAG = re.compile(r"<[\w.-]{0,40}$")
_ATTR = re.compile(rf"""\s*=\s*["']([^"'<>]{{1,{MAX_VALUE}}})["']""")
_ELEM = re.compile(rf"(?:\s[^<>]{{0,300}})?>\s*([^<\s][^<]{{0,{MAX_VALUE}}})<")
_RES = re.compile(r"""\s[^<>]{0,300}?rdf:resource\s*=\s*["']([^"'<>]{1,300})""")
_LI = re.compile(
    rf"[^<>]{{0,300}}>\s*<rdf:(?:Alt|Seq|Bag)>\s*<rdf:li[^<>]{{0,200}}>([^<]{{1,{MAX_VALUE}}})<"
)
MAX_HITS = 50  # occurrences of one property name looked at per packet


def _regex(body: bytes, props: XmpProps) -> None:
    """Bounded pattern reading for packets the XML parser must not (or cannot) see.

    Each property name is found as a literal (fast), then small anchored patterns read the
    value from a window after it, so the cost stays linear in the packet size.
    """
    text = body[: 4 << 20].decode("utf-8", "replace")
    for name in PROPERTIES:
        needle = ":" + name
        pos = 0
        for _ in range(MAX_HITS):
            at = text.find(needle, pos)
            if at < 0:
                break
            pos = at + len(needle)
            window = text[pos : pos + 1200]
            if window[:1].isalnum():  # a longer name, e.g. DigitalSourceTypeX
                continue
            found = _ATTR.match(window)
            if found is None and _OPEN_TAG.search(text, max(0, at - 41), at):
                found = _RES.match(window) or _LI.match(window) or _ELEM.match(window)
            if found is not None:
                props.add(name, found.group(1))
