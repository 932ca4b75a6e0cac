"""Encord JSON export (read only): a JSON array of label rows, or one label row object.

The mapping and the conventions chosen are described in docs/formats/encord.md. The parts:
- `detect`: label-row keys in the first bytes;
- `ontology`: the companion ontology (categories, attribute tree, skeleton templates);
- `answers`: object attributes (static and dynamic) and item/frame classifications;
- `shapes`: polygons, skeletons and row-major bitmasks in pixels;
- `history`: row events and review verdicts;
- `read`: rows → items, data units → frames, objects → ObjectLabels.
"""

from __future__ import annotations

from labelview.formats.base import Format
from labelview.formats.encord.answers import build_answers
from labelview.formats.encord.detect import detect
from labelview.formats.encord.ontology import ONTOLOGY_SUFFIX, Ontology, skeleton_of
from labelview.formats.encord.read import read
from labelview.formats.encord.shapes import run_stats
from labelview.formats.encord.values import iso_time

FORMAT = Format(
    name="encord",
    title="Encord JSON export",
    suffixes=(".json",),
    detect=detect,
    read=read,
    description="Encord label rows (images, image groups and sequences, videos, DICOM/NIfTI)",
)

__all__ = [
    "FORMAT",
    "ONTOLOGY_SUFFIX",
    "Ontology",
    "build_answers",
    "detect",
    "iso_time",
    "read",
    "run_stats",
    "skeleton_of",
]
