"""LabelMe detection: a JSON object with "shapes" and "imagePath" (or a folder of them)."""

from __future__ import annotations

from labelview.formats.base import Confidence, Detection, Probe, no


def head_level(head: bytes) -> Confidence:
    if b'"shapes"' in head and b'"imagePath"' in head:
        return Confidence.CERTAIN
    if b'"shapes"' in head and (b'"imageHeight"' in head or b'"shape_type"' in head):
        return Confidence.LIKELY
    return Confidence.NO


def detect(probe: Probe) -> Detection:
    """CERTAIN for a JSON object with "shapes" and "imagePath" (or a folder of them)."""
    if not probe.is_dir:
        if probe.suffix != ".json":
            return no("not a .json file")
        if probe.json_start() != "{":
            return Detection(Confidence.WEAK, ".json that is not an object")
        level = head_level(probe.head)
        if level is Confidence.NO:
            return Detection(Confidence.WEAK, ".json without LabelMe's shapes/imagePath")
        return Detection(level, 'JSON with LabelMe "shapes" and "imagePath"')
    for name in [n for n in probe.names if n.lower().endswith(".json")][:3]:
        try:
            with (probe.path / name).open("rb") as handle:
                level = head_level(handle.read(65536))
        except OSError:
            continue
        if level is not Confidence.NO:
            return Detection(level, f"{name} is a LabelMe JSON")
    return no("no LabelMe JSON files")
