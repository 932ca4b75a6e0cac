"""COCO panoptic detection: the COCO keys plus a panoptic sign, from the head of the file only."""

from __future__ import annotations

from labelview.formats.base import Confidence, Detection, Probe, no
from labelview.formats.coco.detect import _keys_by_depth, panoptic_evidence


def detect(probe: Probe) -> Detection:
    """Certain when the head shows `segments_info` (or another panoptic sign, see
    `panoptic_evidence`); the COCO detector steps down to WEAK on the same signs.
    """
    if probe.is_dir:
        names = set(probe.names)
        pairs = [
            name
            for name in names
            if name.endswith(".json") and "/" not in name and _has_png(probe.names, name[:-5])
        ]
        if len(pairs) == 1:
            return Detection(Confidence.LIKELY, f"{pairs[0]} beside a PNG folder of its name")
        return no("a folder without a JSON beside a PNG folder of its name")
    if probe.json_start() != "{":
        return no("not a JSON object")
    top, nested, _ = _keys_by_depth(probe.head.lstrip(b"\xef\xbb\xbf"))
    keys = set(top)
    if not keys & {"images", "annotations"}:
        return no("no COCO images or annotations")
    reason = panoptic_evidence(probe, keys, nested)
    if reason:
        return Detection(Confidence.CERTAIN, reason)
    return no("no segments_info, isthing or panoptic PNG folder seen")


def _has_png(names: list[str], stem: str) -> bool:
    prefix = f"{stem}/"
    return any(name.startswith(prefix) and name.lower().endswith(".png") for name in names)
