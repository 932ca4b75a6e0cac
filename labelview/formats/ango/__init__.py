"""Ango Hub (iMerit) exports: v3 (`task` dict) and v2 (`tasks` list), as JSON, NDJSON or a zip.

Geometry is in absolute pixels with a top-left origin, so only boxes
(negative sizes: (x, y) is the first click) and rotated boxes need converting. Rotated boxes:
`corners` win (Ango lists them (0,0), (0,h), (w,h), (w,0) in the box frame); without them (x, y) is
the *rotated* first corner and the pivot — the convention the export example in Ango's
documentation checks out against — and one warning says how many boxes relied on it.

Brush masks are one PNG per task (`brushDataUrl`, a signed URL that expires): read when a local copy
is found (--url-map, beside the export or in --images, by the URL's file name or `<taskId>.png`);
colours map to classes through the ontology (`--ontology` or a sibling `*.ontology.json`), without
one each colour becomes a category. v2 assets with several tasks keep every task's objects, tagged
with their task (`extra.task`, `extra.task_index`) and labeler (`created_by`), with a warning per
asset. Tools without a drawable shape (ner, pdf, pct, medical-brush, unknown keys) stay as objects
with no geometry, their data in `extra`. Multi-image assets (`dataset`) become frames with the page
URL as `image` and its file name as `name`. Video: `page` is the frame, `objectId` the track, an
`interpolationStopped` entry ends the track (not drawn); per-frame answers merge into frame ranges.
Stage history entries become StageEvents (review verdicts as actions); the annotation snapshots they
carry are kept as counts only. docs/formats/ango.md describes the mapping in full.
"""

from __future__ import annotations

from labelview.formats.ango.detect import detect
from labelview.formats.ango.read import read
from labelview.formats.base import Format

__all__ = ["FORMAT", "detect", "read"]

FORMAT = Format(
    name="ango",
    title="Ango Hub export",
    suffixes=(".json", ".ndjson", ".jsonl", ".zip"),
    detect=detect,
    read=read,
    description="Ango Hub (iMerit) JSON/NDJSON export, v2 and v3, zipped or not",
)
