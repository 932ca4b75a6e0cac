"""Is a file a Label Studio JSON export? (a look at its first bytes only)"""

from __future__ import annotations

import re

from labelview.formats.base import Confidence, Detection, Probe, no

# Keys of a task export: the task's `data`, its `annotations` (`completions` before 1.0) and
# `predictions`, and each result's control and object tag names.
_KEY = re.compile(
    r'"(data|annotations|completions|predictions|result|from_name|to_name|original_width|'
    r"was_cancelled|lead_time|completed_by|annotation_id|annotator|model_version|"
    r"rectanglelabels|polygonlabels|keypointlabels|brushlabels|ellipselabels|choices|"
    r'total_annotations|inner_id)"\s*:'
)
_REGION_KEYS = {
    "rectanglelabels",
    "polygonlabels",
    "keypointlabels",
    "brushlabels",
    "ellipselabels",
}


def detect(probe: Probe) -> Detection:
    """Tasks with `data` and `annotations[].result[]` (from_name/to_name), or JSON-MIN records."""
    if probe.is_dir or probe.is_zip:
        return no("not a single JSON file")
    if probe.suffix != ".json":
        return no(f"suffix {probe.suffix or '(none)'}, a Label Studio export is .json")
    start = probe.json_start()
    if not start:
        return no("not JSON")
    keys = set(_KEY.findall(probe.text))
    has_results = "result" in keys and ("from_name" in keys or "to_name" in keys)
    has_tasks = "data" in keys and bool(keys & {"annotations", "completions", "predictions"})
    if has_tasks and has_results:
        return Detection(Confidence.CERTAIN, "Label Studio tasks (data, annotations[].result[])")
    if has_tasks and keys & {"total_annotations", "inner_id", "was_cancelled", "completed_by"}:
        return Detection(Confidence.CERTAIN, "Label Studio tasks (data, annotations, task fields)")
    if start == "[" and {"annotation_id", "annotator"} <= keys:
        if keys & (_REGION_KEYS | {"original_width", "lead_time"}):
            return Detection(Confidence.CERTAIN, "Label Studio JSON-MIN (annotator, annotation_id)")
        return Detection(Confidence.LIKELY, "records with annotator and annotation_id (JSON-MIN)")
    if has_tasks:
        return Detection(
            Confidence.WEAK, "'data' with annotations, but no Label Studio results seen"
        )
    return Detection(Confidence.WEAK, ".json without Label Studio task keys")
