"""Label Studio JSON exports: the task export (`annotations[].result[]`, `predictions[]`) and
JSON-MIN.

Regions (rectangles with rotation about their top-left corner, polygons, keypoints, ellipses,
brush masks in Label Studio's bit-packed RLE) are in percent of `original_width`/`original_height`
and become pixel shapes; choices, taxonomy, textarea, rating and number results become answers —
of the region whose id they share, else of the item. Every annotation's regions are kept, tagged
with the annotation (`extra.annotation`) and annotator (`created_by`); predictions' regions are
model labels with their score. Annotations and predictions are the item's history. Images are
found with the shared resolver under the names `media` lists (upload prefix stripped, local-storage
paths). docs/formats/label_studio.md describes the mapping in full.
"""

from __future__ import annotations

from labelview.formats.base import Format
from labelview.formats.label_studio.detect import detect
from labelview.formats.label_studio.read import read

__all__ = ["FORMAT", "detect", "read"]

FORMAT = Format(
    name="label_studio",
    title="Label Studio JSON",
    suffixes=(".json",),
    detect=detect,
    read=read,
    description="Label Studio JSON task export (annotations, predictions) and JSON-MIN",
)
