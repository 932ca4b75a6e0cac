"""Is a file a DataGym.ai export? (a look at its first bytes only)"""

from __future__ import annotations

import re

from labelview.formats.base import Confidence, Detection, Probe, no

_LABEL_CLASSES_FIRST = re.compile(r'^\s*\[\s*\{\s*"label_classes"\s*:')
_RAW_MARKERS = (
    ('"labelTaskState"', "DataGym's internal label-task data (taskId, labelTaskState)"),
    ('"lcEntryParentId"', "DataGym's internal label configuration (entries, lcEntryParentId)"),
    ('"mediaCount"', "DataGym's internal project/dataset data (mediaCount)"),
    ('"mediaSourceType"', "DataGym's internal dataset data (media list)"),
)


def not_export_reason(text: str) -> str | None:
    """Why a JSON head is DataGym data that is not an export (raw API files, the import schema)."""
    if '"$schema"' in text and "Import" in text and '"geometry"' in text:
        return "not a DataGym export: the JSON Schema of DataGym's import format"
    for marker, what in _RAW_MARKERS:
        if marker in text:
            return f"not a DataGym export: {what}; use the project's 'Export labels' file"
    return None


def detect(probe: Probe) -> Detection:
    """A JSON array whose first element has `label_classes`; or a per-task video export."""
    if probe.is_dir or probe.is_zip:
        return no("not a single JSON file")
    start = probe.json_start()
    if not start:
        return no("not JSON")
    text = probe.text
    if start == "[" and _LABEL_CLASSES_FIRST.match(text):
        return Detection(Confidence.CERTAIN, "DataGym export (array starting with label_classes)")
    if start == "{" and '"visibleObjectId"' in text and '"object"' in text:
        return Detection(Confidence.CERTAIN, "DataGym per-task video export (frames + object)")
    reason = not_export_reason(text)
    if reason is not None:
        return no(reason)
    if start == "[" and ('"internal_media_ID"' in text or '"internal_image_ID"' in text):
        return Detection(Confidence.LIKELY, "array of DataGym tasks (internal_media_ID)")
    if probe.suffix == ".json":
        return Detection(Confidence.WEAK, "a .json file, but no DataGym label_classes")
    return no("no DataGym label_classes")
