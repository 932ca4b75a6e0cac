"""Dataloop JSON exports (reader).

An export is a set of *item* objects (one per image or video, each with an `annotations` list).
Accepted packagings: a zip or a folder of per-item JSON files mirroring the dataset folders (the
platform export and `download_annotations`, usually under `json/`), one JSON array of items (SDK
`dataset.export`, also zipped), gzip NDJSON partitions (V3 export), the SDK `annotations.download`
layout, the 2021 layout with `itemMetadata`, a bare list of annotations and the minimal
`{"annotations": [...]}` upload form. Zip members are read in memory; unsafe member names
(zip-slip) are skipped with a warning and never touch the disk. A Dataloop ontology/recipe JSON
found in the folder or zip (or given as `ctx.ontology`) supplies label colours, ids, attribute
titles and pose templates.

Conventions adopted at the boundary:
* Coordinates are absolute pixels with the origin at the top-left corner (the model's convention).
  Box corners may come in any order (normalised).
* Rotated box = `[p1, p2, angle]`: p1/p2 are the corners of the *unrotated* box and `angle` is in
  **degrees** (dtlpy `Box` documents degrees). We read it as a rotation about the box centre,
  clockwise on screen, which is our RotatedBox convention. The sign is inferred (the SDK renderer
  ignores the angle); it matches Dataloop's ellipse, which cv2 draws clockwise on screen.
* Ellipse `{center, rx, ry, angle}` is kept as our Ellipse shape (rx/ry are radii, angle in degrees,
  clockwise on screen as cv2.ellipse draws it) — not converted to a polygon.
* `segment` rings after the first: a ring lying inside ring 0 is a hole, any other ring an extra
  part (the SDK reads ring 0 only).
* `binary` is a full-size RGBA PNG data URL; the mask is alpha > 127 (PNGs without alpha: any
  non-black pixel). The header and the end of the PNG are checked at read time (cheap); the pixels
  are decoded on demand by a LazyMask, whose failures raise a ValueError naming the annotation.
* v1 attributes (a list of chosen strings) become Answer(tag, True); v2 attributes
  (`metadata.system.attributes`) become Answer(key, value), named by the ontology title when known.
* `class` annotations become item classifications Answer("class", label) (with a frame range in
  video); system `class` annotations ("completed"/"discarded") become the item status.
* `pose` parents and their child `point`s (`parentId`) become one Keypoints object; visibility
  comes from the child's attributes: "visible" → 2, "not-visible" → 1, neither → 2.
* Video tracks (image vs video is decided by the item mimetype, never by `endFrame`): the first
  state is the top-level `coordinates`, later ones are `metadata.system.snapshots_`; frames without
  a snapshot hold the previous state, `objectVisible: false` hides, `frame`..`endFrame` are both
  inclusive. One ObjectLabel per visible frame, with `track` = the annotation id.
* `note`, `cube`, `subtitle` and the other types we do not draw are kept in Item.extra
  ["other_annotations"], with one warning listing the counts.
"""

from __future__ import annotations

from labelview.formats.base import Format
from labelview.formats.dataloop.detect import detect
from labelview.formats.dataloop.read import read

FORMAT = Format(
    name="dataloop",
    title="Dataloop JSON",
    suffixes=(".json", ".zip", ".ndjson", ".jsonl", ".gz"),
    detect=detect,
    read=read,
    description="Dataloop item JSON exports: per-item files (folder or zip), JSON arrays, "
    "NDJSON partitions; boxes, polygons, masks, poses, video tracks.",
)

__all__ = ["FORMAT", "detect", "read"]
