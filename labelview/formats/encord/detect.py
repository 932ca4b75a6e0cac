"""Is this file an Encord export? A look at the first bytes only."""

from __future__ import annotations

from labelview.formats.base import Confidence, Detection, Probe, no

# Keys of a label row; two of them in the head are enough (rows may be key-sorted, and an early
# classification_answers can push data_units past the 64 KB head).
ROW_MARKERS = (
    "data_units",
    "label_hash",
    "object_answers",
    "classification_answers",
    "object_actions",
    "classificationHash",
    "label_status",
)


def detect(probe: Probe) -> Detection:
    """Encord label rows: `data_units` beside `label_hash`/`object_answers` in the first bytes."""
    if probe.is_dir or probe.is_zip:
        return no("not a single JSON file")
    start = probe.json_start()
    if not start:
        return no("does not start like JSON")
    head = probe.text
    found = [key for key in ROW_MARKERS if f'"{key}"' in head]
    if len(found) >= 2:
        shape = "an array of label rows" if start == "[" else "a label row"
        return Detection(Confidence.CERTAIN, f"{shape} with Encord keys {', '.join(found[:3])}")
    if probe.suffix == ".json":
        return Detection(Confidence.WEAK, ".json, but no Encord label-row keys")
    return no("no Encord label-row keys")
