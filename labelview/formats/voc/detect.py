"""Pascal VOC detection: an `<annotation>` root (a file, or the first XML files of a folder), or a
devkit folder holding only SegmentationClass/ + SegmentationObject/ PNGs.
"""

from __future__ import annotations

import re
from pathlib import Path

from labelview.formats import _input
from labelview.formats.base import Confidence, Detection, Probe, no

_ROOT = re.compile(rb"<annotation[\s>]")


def _as_utf8(head: bytes) -> bytes:
    """A UTF-16 head (with its BOM) as UTF-8, so the byte patterns below see its tags."""
    if head[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return head[: len(head) // 2 * 2].decode("utf-16", errors="ignore").encode()
    return head


def head_is_voc(head: bytes) -> Confidence:
    """How sure the first bytes of an XML file make us that it is a VOC annotation."""
    head = _as_utf8(head)
    start = head.lstrip()[:4096]
    if not _ROOT.search(start):
        return Confidence.NO
    if b"<bndbox>" in head or b"<segmented" in head or b"<object>" in head:
        return Confidence.CERTAIN
    return Confidence.LIKELY


def read_head(path: Path) -> bytes:
    """The first bytes of a regular file; b"" for a FIFO, a device or an unreadable file."""
    return _input.read_head(path, 8192)


def detect(probe: Probe) -> Detection:
    """CERTAIN for an `<annotation>` XML with `<object>`/`<bndbox>`/`<segmented>`."""
    if not probe.is_dir:
        if probe.suffix != ".xml":
            return no("not an .xml file")
        level = head_is_voc(probe.head)
        if level is Confidence.NO:
            return Detection(Confidence.WEAK, ".xml without an <annotation> root")
        return Detection(level, "XML with a Pascal VOC <annotation> root")
    xmls = [n for n in probe.names if n.lower().endswith(".xml")]
    preferred = [n for n in xmls if "annotations/" in n.lower()] or xmls
    for name in preferred[:3]:
        level = head_is_voc(read_head(probe.path / name))
        if level is not Confidence.NO:
            return Detection(level, f"{name} has a Pascal VOC <annotation> root")
    lowered = [n.lower() for n in probe.names]
    if any(n.startswith("segmentationobject/") for n in lowered) and any(
        n.startswith("segmentationclass/") for n in lowered
    ):
        return Detection(Confidence.LIKELY, "VOC SegmentationClass/ + SegmentationObject/ PNGs")
    return no("no VOC annotation XML")
