"""LabelMe JSON (wkentaro/labelme, with X-AnyLabeling's superset): read + write.

Reading: one .json or a folder of them. Shape types: polygon, rectangle (2 corners; 4 points are
taken by their bounds), circle ([centre, rim] → Ellipse), line / linestrip (→ Polyline), point,
points (→ Keypoints, named by our `keypoint_names` key when present), mask (a PNG of the crop whose
corner points are *inclusive* pixel indices, as labelme pastes it: `mask[y1:y2+1, x1:x2+1]`),
X-AnyLabeling `rotation` and labelme's `oriented_rectangle` (4 corners → RotatedBox). Shape flags,
`description`, `difficult` and `attributes` become attributes, `score` the confidence, `group_id`
a "group" relation between the shapes sharing it (labelme's instance = (label, group_id)).
Image-level `flags` become item answers. An image embedded as `imageData` (and not found on disk)
is written once to a cache folder so that it can be shown.

Writing: one JSON per image, beside where its image goes (imagePath = the image's file name).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import math
import posixpath
import tempfile
from pathlib import Path, PurePosixPath
from typing import Any

import numpy as np
import orjson

from labelview.formats.base import (
    Confidence,
    Detection,
    Format,
    Probe,
    ReadContext,
    WriteContext,
    WriteReport,
    WriterOptions,
    gc_paused,
    load_json,
    no,
)
from labelview.formats.yolo import frames_of
from labelview.images import ImageFinder, default_roots, image_size
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
from labelview.model.classifications import Answer, flatten
from labelview.model.geometry import LazyMask
from labelview.model.objects import Relation
from labelview.output import OutputDir, UniqueStems, safe_reference

VERSION = "5.5.0"
GROUP = "group"
_SHAPE_KEYS = {
    "label",
    "points",
    "group_id",
    "shape_type",
    "flags",
    "description",
    "mask",
    "score",
    "difficult",
    "attributes",
    "direction",
    "keypoint_names",
    "visibility",
}


# --- detection ------------------------------------------------------------------------------------


def _head_level(head: bytes) -> Confidence:
    if b'"shapes"' in head and b'"imagePath"' in head:
        return Confidence.CERTAIN
    if b'"shapes"' in head and (b'"imageHeight"' in head or b'"shape_type"' in head):
        return Confidence.LIKELY
    return Confidence.NO


def detect(probe: Probe) -> Detection:
    """CERTAIN for a JSON object with "shapes" and "imagePath" (or a folder of them)."""
    if not probe.is_dir:
        if probe.suffix != ".json":
            return no("not a .json file")
        if probe.json_start() != "{":
            return Detection(Confidence.WEAK, ".json that is not an object")
        level = _head_level(probe.head)
        if level is Confidence.NO:
            return Detection(Confidence.WEAK, ".json without LabelMe's shapes/imagePath")
        return Detection(level, 'JSON with LabelMe "shapes" and "imagePath"')
    for name in [n for n in probe.names if n.lower().endswith(".json")][:3]:
        try:
            with (probe.path / name).open("rb") as handle:
                level = _head_level(handle.read(65536))
        except OSError:
            continue
        if level is not Confidence.NO:
            return Detection(level, f"{name} is a LabelMe JSON")
    return no("no LabelMe JSON files")


# --- reading --------------------------------------------------------------------------------------


def _files(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    return sorted(path.rglob("*.json"))


def read(path: Path, ctx: ReadContext) -> Dataset:
    """Read LabelMe JSON (a file or a folder of files) into a Dataset."""
    dataset = Dataset()
    base = path if path.is_dir() else path.parent
    finder = ImageFinder(default_roots(path, ctx.images_dir))
    files = _files(path)
    with gc_paused():
        for index, file in enumerate(files):
            if index % 100 == 0:
                ctx.check_cancelled()
                ctx.progress(index, len(files))
            if path.is_file():
                data = load_json(file, ctx)
            else:
                try:
                    data = load_json(file, ctx)
                except Exception as error:  # one broken file must not stop the folder
                    ctx.error("", str(error), file=file)
                    continue
            if not isinstance(data, dict) or not isinstance(data.get("shapes"), list):
                if path.is_file():
                    raise ctx.fail("", 'not a LabelMe file (no "shapes" list)')
                ctx.warn("", 'not a LabelMe file (no "shapes" list): skipped', file=file)
                continue
            dataset.items.append(_item(data, file, base, finder, dataset, ctx))
    ctx.progress(len(files), len(files))
    return dataset


def _item(
    data: dict, file: Path, base: Path, finder: ImageFinder, dataset: Dataset, ctx: ReadContext
) -> Item:
    relative_json = file.relative_to(base).as_posix()
    image_ref = str(data.get("imagePath") or "").replace("\\", "/")
    folder = PurePosixPath(relative_json).parent
    if not image_ref or image_ref.lower().endswith(".json"):
        # imagePath names the JSON itself (or nothing): the picture is in imageData; name the
        # item like an image so that writers give it an image name.
        image_ref = f"{PurePosixPath(relative_json).stem}{_embedded_suffix(data)}"
    name = posixpath.normpath((folder / image_ref).as_posix())  # "a/../b.jpg" -> "b.jpg"
    item = Item(id=relative_json, name=name, image=name)
    item.image_path = finder.find(name) or finder.find(image_ref)
    width, height = data.get("imageWidth"), data.get("imageHeight")
    if isinstance(width, int) and isinstance(height, int) and width > 0 and height > 0:
        item.width, item.height = width, height
    image_data = data.get("imageData")
    if item.image_path is None and isinstance(image_data, str) and image_data:
        item.image_path = _cache_embedded(image_data, ctx, file)
        if item.image_path is not None:
            item.extra["image_from"] = "imageData"
    if item.width is None and item.image_path is not None:
        size = image_size(item.image_path)
        if size is not None:
            item.width, item.height = size
    if item.width is None:
        ctx.warn("", "image size unknown (no imageWidth/imageHeight, no image)", file=file)
    flags = data.get("flags")
    if isinstance(flags, dict):
        item.classifications.extend(Answer(str(k), v) for k, v in flags.items())
    attributes = data.get("attributes")
    if isinstance(attributes, dict):
        item.classifications.extend(Answer(str(k), v) for k, v in attributes.items())
    known = {"version", "flags", "shapes", "imagePath", "imageData", "imageHeight", "imageWidth"}
    for key, value in data.items():
        if key not in known and key != "attributes":
            item.extra[key] = value
    if "version" in data:
        item.extra["labelme_version"] = data["version"]
    groups: dict[tuple[str, Any], list[str]] = {}
    for index, shape in enumerate(data["shapes"]):
        location = f"shapes[{index}]"
        try:
            obj = _object(shape, str(index), item)
        except (KeyError, TypeError, ValueError, IndexError, AttributeError) as error:
            ctx.warn(location, str(error), item=item.id, obj=str(index), file=file)
            continue
        if obj.geometry is None:
            ctx.warn(
                f"{location}.shape_type",
                f"unknown shape type {shape.get('shape_type')!r}: kept without geometry",
                item=item.id,
                obj=obj.id,
                file=file,
            )
        dataset.category(obj.category)
        item.objects.append(obj)
        group_id = shape.get("group_id")
        if isinstance(group_id, int | str):
            groups.setdefault((obj.category, group_id), []).append(str(index))
    for (_label, group_id), members in groups.items():
        if len(members) > 1:
            item.relations.append(Relation(GROUP, tuple(members), extra={"group_id": group_id}))
    return item


def _embedded_suffix(data: dict) -> str:
    """The file suffix of an embedded image, from its base64 magic bytes."""
    head = str(data.get("imageData") or "")
    if head.startswith("iVBOR"):
        return ".png"
    if head.startswith("Qk"):
        return ".bmp"
    return ".jpg"


def _cache_embedded(image_data: str, ctx: ReadContext, file: Path) -> Path | None:
    """Write an embedded image once to a cache folder (keyed by its hash); None if unusable."""
    try:
        raw = base64.b64decode(image_data, validate=False)
    except (binascii.Error, ValueError):
        ctx.warn("imageData", "not base64", file=file)
        return None
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(raw)) as image:
            suffix = {"JPEG": ".jpg", "PNG": ".png", "BMP": ".bmp"}.get(image.format or "", ".img")
    except (OSError, UnidentifiedImageError, ValueError):
        ctx.warn("imageData", "not an image", file=file)
        return None
    folder = Path(tempfile.gettempdir()) / "labelview-embedded"
    target = folder / f"{hashlib.sha1(raw).hexdigest()}{suffix}"
    if not target.is_file():
        from labelview.output import atomic_write

        try:
            atomic_write(target, raw)  # a temp name + rename: concurrent readers never clash
        except OSError as error:
            ctx.warn("imageData", f"cannot cache the embedded image: {error}", file=file)
            return None
    return target


def _points(shape: dict) -> np.ndarray:
    points = np.asarray(shape["points"], dtype=np.float64)
    if points.ndim != 2 or points.shape[1] != 2 or not np.isfinite(points).all():
        raise ValueError(f"points: expected [[x, y], ...], got shape {points.shape}")
    return points


def _object(shape: dict, object_id: str, item: Item) -> ObjectLabel:
    if not isinstance(shape, dict):
        raise TypeError("shape is not an object")
    label = shape.get("label")
    if not isinstance(label, str):
        raise ValueError("label: missing or not a string")
    kind = shape.get("shape_type") or "polygon"
    geometry = _geometry(kind, shape, item)
    answers: list[Answer] = []
    flags = shape.get("flags")
    if isinstance(flags, dict):
        answers.extend(Answer(str(k), v) for k, v in flags.items())
    attributes = shape.get("attributes")
    if isinstance(attributes, dict):
        answers.extend(Answer(str(k), v) for k, v in attributes.items())
    if shape.get("difficult") is not None:
        answers.append(Answer("difficult", bool(shape["difficult"])))
    if isinstance(shape.get("description"), str) and shape["description"]:
        answers.append(Answer("description", shape["description"]))
    score = shape.get("score")
    confidence = float(score) if isinstance(score, int | float) else None
    extra = {k: v for k, v in shape.items() if k not in _SHAPE_KEYS}
    if shape.get("group_id") is not None:
        extra["group_id"] = shape["group_id"]
    if geometry is None:
        extra.update({"shape_type": kind, "points": shape.get("points")})
    return ObjectLabel(
        label,
        geometry,
        id=object_id,
        attributes=answers,
        confidence=confidence,
        source="model" if confidence is not None else None,
        extra=extra or None,
    )


def _geometry(kind: str, shape: dict, item: Item) -> Any:
    if kind == "mask":
        return _mask(shape, item)
    points = _points(shape)
    if kind == "polygon":
        return Polygon.from_points(points)
    if kind == "rectangle":
        if len(points) < 2:
            raise ValueError(f"rectangle has {len(points)} points")
        x0, y0 = points.min(axis=0)
        x1, y1 = points.max(axis=0)
        return Box.from_corners(float(x0), float(y0), float(x1), float(y1))
    if kind in ("rotation", "oriented_rectangle"):
        return RotatedBox.from_corners(points)
    if kind == "circle":
        if len(points) != 2:
            raise ValueError(f"circle has {len(points)} points (expected centre and rim)")
        (cx, cy), (px, py) = points
        radius = float(math.hypot(px - cx, py - cy))
        return Ellipse(float(cx), float(cy), radius, radius)
    if kind in ("line", "linestrip"):
        return Polyline.from_points(points)
    if kind == "point":
        if len(points) != 1:
            raise ValueError(f"point has {len(points)} points")
        return Point(float(points[0, 0]), float(points[0, 1]))
    if kind == "points":
        names = shape.get("keypoint_names") or ()
        visibility = shape.get("visibility") or [2] * len(points)
        return Keypoints.from_lists(points, visibility, [str(n) for n in names])
    return None


def _mask(shape: dict, item: Item) -> Mask:
    if item.width is None or item.height is None:
        raise ValueError("mask: image size unknown, cannot place the mask")
    points = _points(shape)
    if len(points) != 2:
        raise ValueError(f"mask has {len(points)} points (expected the box corners)")
    payload = shape.get("mask")
    if not isinstance(payload, str) or not payload:
        raise ValueError("mask: missing base64 PNG")
    raw = base64.b64decode(payload, validate=False)
    x0, y0 = (int(v) for v in points.min(axis=0))
    width, height = item.width, item.height

    def load() -> np.ndarray:
        from PIL import Image

        with Image.open(io.BytesIO(raw)) as image:
            crop = np.asarray(image.convert("L")) > 0
        full = np.zeros((height, width), dtype=bool)
        # labelme pastes the crop at the first corner: mask[y1:y2+1, x1:x2+1] = crop.
        ys, xs = max(y0, 0), max(x0, 0)
        ye, xe = min(y0 + crop.shape[0], height), min(x0 + crop.shape[1], width)
        if ye > ys and xe > xs:
            full[ys:ye, xs:xe] = crop[ys - y0 : ye - y0, xs - x0 : xe - x0]
        return full

    return Mask(height, width, LazyMask(load, f"shape mask at ({x0}, {y0})"))


# --- writing --------------------------------------------------------------------------------------


class LabelmeOptions(WriterOptions):
    """Options of the LabelMe writer (images beside the JSON files when copied)."""


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
    return {
        "points": [[float(x0), float(y0)], [float(x1), float(y1)]],
        "shape_type": "mask",
        "mask": _png_b64(pixels[y0 : y1 + 1, x0 : x1 + 1]),
    }


def write(
    dataset: Dataset, out: OutputDir, options: LabelmeOptions, ctx: WriteContext
) -> WriteReport:
    """Write `dataset` as LabelMe JSON files, one per image."""
    report = WriteReport(format="labelme")
    stems = UniqueStems()
    total = len(dataset.items)
    for index, item in enumerate(dataset.items):
        if index % 100 == 0:
            ctx.check_cancelled()
            ctx.progress(index, total)
        frames = frames_of(item)
        for frame, reference, image_path in frames:
            safe = safe_reference(reference, report)
            stem = stems.claim(safe)
            suffix = (safe.suffix if safe.suffix.lower() != ".json" else "") or ".jpg"
            image_name = f"{PurePosixPath(stem).name}{suffix}"
            document = _document(item, frame, image_name, report)
            out.write_bytes(f"{stem}.json", orjson.dumps(document, option=orjson.OPT_INDENT_2))
            report.items += 1
            if options.images != "none":
                if image_path is None:
                    report.drop("images not found on disk (not copied)")
                else:
                    out.copy_file(image_path, f"{stem}{suffix}", link=options.images == "link")
    ctx.progress(total, total)
    return report


def _document(item: Item, frame: int | None, image_name: str, report: WriteReport) -> dict:
    size = item.size_of(frame)
    objects = item.objects_on(frame) if frame is not None else list(item.objects)
    flags: dict[str, bool] = {}
    attributes: dict[str, Any] = {}
    for key, value in flatten(item.classifications, frame).items():
        if isinstance(value, bool):
            flags[key] = value
        else:
            attributes[key] = value
    groups: dict[str, int] = {}
    for relation in item.relations:
        if relation.name == GROUP:
            number = (relation.extra or {}).get("group_id")
            if not isinstance(number, int):
                number = len(groups) + 1000
            for member in relation.members:
                groups[member] = number
    next_group = max([0, *groups.values()]) + 1
    shapes: list[dict] = []
    for obj in objects:
        produced = _shapes(obj, size, report)
        if not produced:
            continue
        group_id = groups.get(obj.id or "") if obj.id is not None else None
        if group_id is None and obj.extra and isinstance(obj.extra.get("group_id"), int):
            group_id = obj.extra["group_id"]
        if group_id is None and len(produced) > 1:
            group_id, next_group = next_group, next_group + 1
        common = _common(obj, frame)
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
    values = flatten(obj.attributes, frame)
    description = values.pop("description", "")
    flags = {k: v for k, v in values.items() if isinstance(v, bool) and k != "difficult"}
    more: dict[str, Any] = {}
    if "difficult" in values:
        more["difficult"] = bool(values.pop("difficult"))
    rest = {k: v for k, v in values.items() if k not in flags}
    if rest:
        more["attributes"] = rest
    if obj.confidence is not None:
        more["score"] = obj.confidence
    return {"description": str(description or ""), "flags": flags, "more": more}


def _shapes(obj: ObjectLabel, size: tuple[int, int] | None, report: WriteReport) -> list[dict]:
    geometry = obj.geometry
    if geometry is None:
        report.drop("objects without a shape")
        return []
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
        report.drop("ellipses written as 64-point polygons (LabelMe circles only)")
        return [{"points": _pts(geometry.to_points(64)), "shape_type": "polygon"}]
    if isinstance(geometry, Polyline):
        kind = "line" if len(geometry.points) == 2 else "linestrip"
        return [{"points": _pts(geometry.points), "shape_type": kind}]
    if isinstance(geometry, Point):
        return [{"points": [[geometry.x, geometry.y]], "shape_type": "point"}]
    if isinstance(geometry, Keypoints):
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
        if not shown.all():
            report.drop("absent keypoints (LabelMe points hold labelled points only)")
        return [shape]
    if isinstance(geometry, Polygon):
        if geometry.has_holes:
            if size is None:
                report.drop("polygons with holes on images without a size")
                return []
            from labelview.ops.raster import rasterise

            shape_or_none = _mask_shape(rasterise(geometry, size[1], size[0]))
            report.drop("polygons with holes written as masks (LabelMe polygons have no holes)")
            return [shape_or_none] if shape_or_none else []
        if len(geometry.parts) > 1:
            report.drop("multi-part polygons written as polygons sharing a group_id")
        return [{"points": _pts(p.outer), "shape_type": "polygon"} for p in geometry.parts]
    if isinstance(geometry, Mask):
        shape_or_none = _mask_shape(geometry.decode())
        if shape_or_none is None:
            report.drop("empty masks")
            return []
        return [shape_or_none]
    report.drop(f"{geometry.kind} shapes (no LabelMe equivalent)")
    return []


FORMAT = Format(
    name="labelme",
    title="LabelMe JSON",
    suffixes=(".json",),
    detect=detect,
    read=read,
    write=write,
    options=LabelmeOptions,
    description="LabelMe / X-AnyLabeling: one JSON per image with shapes",
)

__all__ = ["FORMAT", "LabelmeOptions"]
