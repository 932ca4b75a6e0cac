"""Is a file a Segments.ai release? (a look at its first bytes only)"""

from __future__ import annotations

import re

from labelview.formats.base import Confidence, Detection, Probe, no

_KEY = re.compile(
    r'"(dataset|samples|labels|task_attributes|labelsets|tasks|label_status|'
    r'segmentation_bitmap|is_groundtruth)"\s*:'
)


def detect(probe: Probe) -> Detection:
    """A dict with `dataset.samples` plus task_attributes / labelsets / tasks."""
    if probe.is_dir or probe.is_zip:
        return no("not a single JSON file")
    start = probe.json_start()
    if start != "{":
        if start == "[":
            return no("top level is a JSON array; a Segments.ai release is an object")
        return no("not JSON")
    text = probe.text
    keys = set(_KEY.findall(text))
    if "dataset" not in keys:
        return Detection(Confidence.WEAK, ".json, but no 'dataset' block of a Segments.ai release")
    if "task_attributes" in keys or "is_groundtruth" in keys or "segmentsai-" in text:
        return Detection(
            Confidence.CERTAIN, "Segments.ai release (dataset.task_attributes / labelsets)"
        )
    if "samples" in keys and ("labelsets" in keys or "tasks" in keys):
        return Detection(Confidence.CERTAIN, "Segments.ai release (dataset.samples + labelsets)")
    if "samples" in keys and ("labels" in keys or "label_status" in keys):
        return Detection(Confidence.LIKELY, "'dataset' with 'samples' and 'labels'")
    return Detection(Confidence.WEAK, ".json with a 'dataset' key, but no samples seen")
