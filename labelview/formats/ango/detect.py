"""Recognising an Ango Hub export (JSON, NDJSON or a zip of them) from its first bytes."""

from __future__ import annotations

import zlib

from labelview.formats.base import Confidence, Detection, Probe


def detect(probe: Probe) -> Detection:
    """Ango: `externalId` with `task`/`tasks`; certain on Ango-only keys (hyphenated tools, …)."""
    if probe.is_dir:
        return Detection(Confidence.NO, "a folder, not an Ango export")
    text = probe.text
    if probe.is_zip:
        text = _zip_head(probe.head)
        if not text:
            json_members = [n for n in probe.names if n.lower().endswith((".json", ".ndjson"))]
            if json_members:
                return Detection(Confidence.WEAK, "a zip holding JSON")
            return Detection(Confidence.NO, "a zip without JSON")
    elif probe.suffix not in (".json", ".ndjson", ".jsonl"):
        return Detection(Confidence.NO, f"suffix {probe.suffix}")
    start = text.lstrip()[:1]
    if not start or start not in "[{":
        return Detection(Confidence.NO, "not JSON")
    has_external = '"externalId"' in text
    has_task = '"task"' in text or '"tasks"' in text
    ango_only = (
        '"stageHistory"' in text
        or '"brushDataUrl"' in text
        or '"rotated-bounding-box"' in text
        or ('"bounding-box"' in text and '"schemaId"' in text)
        or ("angohub-" in text and has_external)
    )
    if has_external and has_task and ango_only:
        return Detection(Confidence.CERTAIN, "Ango assets (externalId, task(s), Ango tool keys)")
    if has_external and has_task and '"asset"' in text:
        return Detection(Confidence.LIKELY, "assets with externalId and task(s), like Ango")
    if probe.is_zip:
        return Detection(Confidence.WEAK, "a zip holding JSON without Ango keys")
    if probe.suffix in (".ndjson", ".jsonl"):
        return Detection(Confidence.WEAK, "NDJSON suffix")
    return Detection(Confidence.WEAK, "JSON suffix")


def _zip_head(head: bytes) -> str:
    """The first member's first bytes as text (stored or deflated), from the probe head only."""
    if len(head) < 30 or not head.startswith(b"PK\x03\x04"):
        return ""
    method = int.from_bytes(head[8:10], "little")
    start = 30 + int.from_bytes(head[26:28], "little") + int.from_bytes(head[28:30], "little")
    body = head[start:]
    if method == 0:
        raw = body
    elif method == 8:
        try:
            raw = zlib.decompressobj(-15).decompress(body, 64 * 1024)
        except zlib.error:
            return ""
    else:
        return ""
    return raw.decode("utf-8", errors="replace").lstrip("\ufeff")
