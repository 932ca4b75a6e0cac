"""Labelbox exports: the v2 / streamable NDJSON rows (`data_row`, `media_attributes`,
`projects.<id>.labels[]`), or a JSON list of such rows.

Objects are in pixels with a top-left origin: bounding boxes, polygons, lines, points; masks are
URLs, read only from local copies a URL map names (never downloaded), otherwise kept without a
shape with one warning. Nested classifications (radio, checklist, text) become nested answers of
the item or of their object. Video labels' `frames` give one object per frame, tracked by
`feature_id` (frames numbered from 1 by Labelbox, from 0 here). Every project's and label's
objects are kept, tagged with the label (`extra.label`) and its author (`created_by`);
label_details, reviews and workflow history are the item's history. docs/formats/labelbox.md
describes the mapping in full.
"""

from __future__ import annotations

from labelview.formats.base import Format
from labelview.formats.labelbox.detect import detect
from labelview.formats.labelbox.read import read

__all__ = ["FORMAT", "detect", "read"]

FORMAT = Format(
    name="labelbox",
    title="Labelbox NDJSON",
    suffixes=(".ndjson", ".jsonl", ".json"),
    detect=detect,
    read=read,
    description="Labelbox v2 / streamable export rows (NDJSON), images and video",
)
