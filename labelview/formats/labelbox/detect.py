"""Is a file a Labelbox export (v2 / streamable NDJSON rows)? A look at its first bytes only."""

from __future__ import annotations

import re

from labelview.formats.base import Confidence, Detection, Probe, no

_KEY = re.compile(
    r'"(data_row|media_attributes|projects|row_data|external_id|global_key|label_details|'
    r'annotation_kind|feature_schema_id|data_row_details)"\s*:'
)
_SUFFIXES = (".ndjson", ".jsonl", ".json")


def detect(probe: Probe) -> Detection:
    """Rows with `data_row` {id, row_data} and `projects` / `media_attributes`."""
    if probe.is_dir or probe.is_zip:
        return no("not a single NDJSON file")
    if probe.suffix not in _SUFFIXES:
        return no(f"suffix {probe.suffix or '(none)'}, a Labelbox export is .ndjson")
    if not probe.json_start():
        return no("not JSON")
    keys = set(_KEY.findall(probe.text))
    if "data_row" not in keys:
        return Detection(Confidence.WEAK, "JSON rows without a Labelbox 'data_row'")
    if keys & {"projects", "media_attributes"} and keys & {"row_data", "external_id", "global_key"}:
        return Detection(Confidence.CERTAIN, "Labelbox export rows (data_row, projects)")
    return Detection(Confidence.LIKELY, "rows with a 'data_row', like a Labelbox export")
