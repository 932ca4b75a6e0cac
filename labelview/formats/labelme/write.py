"""LabelMe writing: one JSON per image, beside the image (placed as `<name>.<ext>`, linked by
default), `imagePath` its file name.

What LabelMe holds is declared in `HOLDS`; the registry reports the rest. Counted here are only
the losses that depend on the data: holes on an image without a size, empty masks, keypoints
with no labelled point, groups LabelMe cannot express, relations other than groups.
"""

from __future__ import annotations

import base64
import io
import math
from pathlib import PurePosixPath
from typing import Any

import numpy as np
import orjson

from labelview.cancel import checked
from labelview.formats._writing import EXACT, Holds, ImagePlacer, Picture, pictures
from labelview.formats.base import WriteContext, WriteReport, WriterOptions
from labelview.formats.labelme.read import GROUP
from labelview.model import (
    Box,
    Dataset,
    Ellipse,
    Item,
    Keypoints,
    Mask,
    ObjectLabel,
    Point,
    Polygon,
    Polyline,
    RotatedBox,
)
from labelview.model.classifications import flatten
from labelview.output import OutputDir, UniqueStems

VERSION = "5.5.0"

HOLDS = Holds(
    {
        "box": EXACT,
        "rotated_box": EXACT,  # X-AnyLabeling's "rotation"
        "polygon": EXACT,
        "polygon_with_holes": "written as a mask (LabelMe polygons have no holes)",
        "multipart_polygon": "written as polygons sharing a group_id",
        "polyline": EXACT,
        "point": EXACT,
        "ellipse": "written as a circle, or as a 64-point polygon when not round",
        # LabelMe shows every point it is given: absent keypoints (at 0, 0) are left out.
        "keypoints": "written as their labelled points",
        "mask": EXACT,
    },
    frozenset({"attributes", "confidence", "classifications", "relations"}),
)


class LabelmeOptions(WriterOptions):
    """Options of the LabelMe writer (images placed beside the JSON files)."""


def write(
    dataset: Dataset, out: OutputDir, options: LabelmeOptions, ctx: WriteContext
) -> WriteReport:
    """Write `dataset` as LabelMe JSON files, one per image."""
    report = WriteReport(format="labelme")
    stems = UniqueStems()
    placer = ImagePlacer(out, options.images, report)
    total = len(dataset.items)
    for index, item in enumerate(checked(dataset.items, ctx)):
        if index % 100 == 0:
            ctx.check_cancelled()
            ctx.progress(index, total)
        groups, lost = _groups(item)
        if lost:
            report.drop(
                "relations other than groups of same-label objects (LabelMe has group_id)", lost
            )
        for picture in checked(pictures(item, ctx.image_roots, report, cancel=ctx), ctx):
            name = PurePosixPath(picture.name)
            stem = stems.claim(name)
            suffix = (name.suffix if name.suffix.lower() != ".json" else "") or ".jpg"
            placer.place(picture.path, f"{stem}{suffix}")
            image_name = f"{PurePosixPath(stem).name}{suffix}"  # relative to the JSON beside it
            document = _document(picture, image_name, groups, report, ctx)
            out.write_bytes(f"{stem}.json", orjson.dumps(document, option=orjson.OPT_INDENT_2))
            report.items += 1
    placer.finish()
    ctx.progress(total, total)
    return report


def _groups(item: Item) -> tuple[dict[str, int], int]:
    """Object id → group_id from the item's group relations, and how many relations cannot be
    written: other relations, and groups LabelMe cannot express (labelme's instance is
    (label, group_id), so a group must share one label; an object has one group_id).
    """
    labels = {obj.id: obj.category for obj in item.objects if obj.id is not None}
    groups: dict[str, int] = {}
    taken = {r.extra.get("group_id") for r in item.relations if r.extra}
    next_number = max([0, *(n for n in taken if isinstance(n, int))]) + 1
    lost = 0
    for relation in item.relations:
        members = relation.members
        if (
            relation.name != GROUP
            or not all(member in labels for member in members)
            or len({labels[member] for member in members}) != 1
            or any(member in groups for member in members)
        ):
            lost += 1
            continue
        number = (relation.extra or {}).get("group_id")
        if not isinstance(number, int) or isinstance(number, bool):
            number, next_number = next_number, next_number + 1
        for member in members:
            groups[member] = number
    return groups, lost


def _document(
    picture: Picture,
    image_name: str,
    groups: dict[str, int],
    report: WriteReport,
    cancel: Any = None,
) -> dict:
    size = picture.size
    flags: dict[str, bool] = {}
    attributes: dict[str, Any] = {}
    for key, value in flatten(picture.item.classifications, picture.frame).items():
        if isinstance(value, bool):
            flags[key] = value
        else:
            attributes[key] = value
    next_group = max([0, *groups.values()]) + 1
    shapes: list[dict] = []
    for obj in checked(picture.objects, cancel):
        produced = _shapes(obj, size, report)
        if not produced:
            continue
        group_id = groups.get(obj.id) if obj.id is not None else None
        if group_id is None and obj.extra and isinstance(obj.extra.get("group_id"), int):
            group_id = obj.extra["group_id"]
        if group_id is None and len(produced) > 1:
            group_id, next_group = next_group, next_group + 1
        common = _common(obj, picture.frame)
        for shape in produced:
            shapes.append(
                {
                    "label": obj.category,
                    "points": shape.pop("points"),
                    "group_id": group_id,
                    "description": common["description"],
                    "shape_type": shape.pop("shape_type"),
                    "flags": common["flags"],
                    **shape,
                    **common["more"],
                }
            )
        report.objects += 1
    document: dict[str, Any] = {"version": VERSION, "flags": flags, "shapes": shapes}
    if attributes:
        document["attributes"] = attributes
    document.update(
        {
            "imagePath": image_name,
            "imageData": None,
            "imageHeight": size[1] if size else None,
            "imageWidth": size[0] if size else None,
        }
    )
    if size is None:
        report.drop("images without a known size (imageWidth/imageHeight left null)")
    return document


def _common(obj: ObjectLabel, frame: int | None) -> dict[str, Any]:
    """What every shape of `obj` carries: LabelMe's own keys where the value fits them
    (description text, boolean flags, a boolean difficult), the other attributes as a dict.
    """
    values = flatten(obj.attributes, frame)
    description = values.get("description")
    if isinstance(description, str) and description:
        del values["description"]
    else:
        description = ""  # an empty or non-text description stays in "attributes"
    more: dict[str, Any] = {}
    if isinstance(values.get("difficult"), bool):
        more["difficult"] = values.pop("difficult")
    flags = {k: v for k, v in values.items() if isinstance(v, bool)}
    rest = {k: v for k, v in values.items() if k not in flags}
    if rest:
        more["attributes"] = rest
    if obj.confidence is not None:
        more["score"] = obj.confidence
    return {"description": description, "flags": flags, "more": more}


def _pts(points: np.ndarray) -> list[list[float]]:
    return [[float(x), float(y)] for x, y in points]


def _png_b64(crop: np.ndarray) -> str:
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(crop.astype(np.uint8) * 255, mode="L").convert("1").save(buffer, "PNG")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _mask_shape(pixels: np.ndarray) -> dict | None:
    ys, xs = np.nonzero(pixels)
    if not len(ys):
        return None
    y0, y1, x0, x1 = int(ys.min()), int(ys.max()), int(xs.min()), int(xs.max())
    # Corners are inclusive pixel indices, as labelme pastes the crop: mask[y0:y1+1, x0:x1+1].
    return {
        "points": [[float(x0), float(y0)], [float(x1), float(y1)]],
        "shape_type": "mask",
        "mask": _png_b64(pixels[y0 : y1 + 1, x0 : x1 + 1]),
    }


def _shapes(obj: ObjectLabel, size: tuple[int, int] | None, report: WriteReport) -> list[dict]:
    """The LabelMe shapes of one object (several for a multi-part polygon); [] when none."""
    geometry = obj.geometry
    if isinstance(geometry, Box):
        x0, y0, x1, y1 = geometry.bounds()
        return [{"points": [[x0, y0], [x1, y1]], "shape_type": "rectangle"}]
    if isinstance(geometry, RotatedBox):
        return [
            {
                "points": _pts(geometry.corners()),
                "shape_type": "rotation",
                "direction": math.radians(geometry.angle) % (2 * math.pi),
            }
        ]
    if isinstance(geometry, Ellipse):
        if math.isclose(geometry.rx, geometry.ry, rel_tol=1e-9):
            rim = [geometry.cx + geometry.rx, geometry.cy]
            return [{"points": [[geometry.cx, geometry.cy], rim], "shape_type": "circle"}]
        return [{"points": _pts(geometry.to_points(64)), "shape_type": "polygon"}]
    if isinstance(geometry, Polyline):
        kind = "line" if len(geometry.points) == 2 else "linestrip"
        return [{"points": _pts(geometry.points), "shape_type": kind}]
    if isinstance(geometry, Point):
        return [{"points": [[geometry.x, geometry.y]], "shape_type": "point"}]
    if isinstance(geometry, Keypoints):
        return _keypoints(geometry, report)
    if isinstance(geometry, Polygon):
        if geometry.has_holes:
            if size is None:
                report.skip(obj, "polygons with holes on images without a size (no mask possible)")
                return []
            from labelview.ops.raster import rasterise

            shape = _mask_shape(rasterise(geometry, size[1], size[0]))
            return [shape] if shape else []
        return [{"points": _pts(p.outer), "shape_type": "polygon"} for p in geometry.parts]
    if isinstance(geometry, Mask):
        shape = _mask_shape(geometry.decode())
        if shape is None:
            report.drop("empty masks")
            return []
        return [shape]
    return []  # no shape: reported from HOLDS


def _keypoints(geometry: Keypoints, report: WriteReport) -> list[dict]:
    shown = geometry.labelled
    if not shown.any():
        report.drop("keypoint objects without a labelled point")
        return []
    shape: dict[str, Any] = {
        "points": _pts(geometry.points[shown]),
        "shape_type": "points",
        "visibility": [int(v) for v in geometry.visibility[shown]],
    }
    if geometry.names:
        shape["keypoint_names"] = [n for n, s in zip(geometry.names, shown, strict=True) if s]
    return [shape]
