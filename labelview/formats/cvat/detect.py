"""Is it CVAT XML? A root `<annotations>` whose first child is `<version>` (1.1) or `<meta>`:
no other XML format we know starts that way (Pascal VOC's root is `<annotation>`).
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

from labelview.formats.base import HEAD_BYTES, Confidence, Detection, Probe, no

_ROOT = re.compile(
    rb"^(?:\xef\xbb\xbf)?\s*(?:<\?xml[^>]*\?>\s*)?(?:<!--.*?-->\s*)*<annotations\s*>\s*"
    rb"(?:<!--.*?-->\s*)*<(version|meta)\b",
    re.DOTALL,
)
_VERSION = re.compile(rb"<version>\s*([\d.]+)\s*</version>")


def head_is_cvat(head: bytes) -> Detection:
    match = _ROOT.match(head)
    if match is None:
        return no("no <annotations> root starting with <version> or <meta>")
    version = _VERSION.search(head)
    if version is not None and version.group(1) not in (b"1.0", b"1.1"):
        return Detection(Confidence.LIKELY, f"CVAT XML of version {version.group(1).decode()}")
    return Detection(Confidence.CERTAIN, "XML with CVAT's <annotations><version>/<meta> root")


def _head(path: Path) -> bytes:
    try:
        with path.open("rb") as stream:
            return stream.read(HEAD_BYTES)
    except OSError:
        return b""


def detect(probe: Probe) -> Detection:
    """CERTAIN for CVAT XML, a folder holding annotations.xml of it, or CVAT's zipped export."""
    if probe.is_dir:
        names = [n for n in probe.names if "/" not in n and n.lower().endswith(".xml")]
        preferred = [n for n in names if n.lower() == "annotations.xml"] or names[:1]
        for name in preferred:
            verdict = head_is_cvat(_head(probe.path / name))
            if verdict:
                return Detection(verdict.confidence, f"{name}: {verdict.reason}")
        return no("no CVAT annotations.xml in the folder")
    if probe.is_zip:
        xmls = [n for n in probe.names if n.lower().endswith(".xml")]
        chosen = [n for n in xmls if n.rsplit("/", 1)[-1].lower() == "annotations.xml"]
        if not chosen:
            return no("no annotations.xml in the zip")
        try:
            with zipfile.ZipFile(probe.path) as archive, archive.open(chosen[0]) as stream:
                head = stream.read(HEAD_BYTES)
        except (zipfile.BadZipFile, OSError, KeyError):
            return no("unreadable zip")
        verdict = head_is_cvat(head)
        return Detection(verdict.confidence, f"zip member {chosen[0]}: {verdict.reason}")
    if probe.suffix != ".xml":
        return no("not an .xml file")
    return head_is_cvat(probe.head)
