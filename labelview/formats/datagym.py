"""DataGym.ai exports: the project's "Export labels" JSON and the per-task video export.

The project export is a JSON array: element 0 holds `label_classes` (the ontology), the rest are
tasks. Both key generations are read (`internal_media_ID` / `external_media_ID` and the older
`internal_image_ID` / `external_image_ID`), geometries under their typed key or the generic
`geometry` key, image segmentations as rings (ring 0 outer, the rest holes). Classification values
are arrays whose trailing objects hold child answers; they become nested Answer trees.

Video projects export no labels inline; each task points at a per-task export
(`datagym_export_<millis>_<taskId>.json`: `frames` + `object`, keyframes only). Such files are read
on their own, or joined to the project export when they lie beside it; rectangles are interpolated
linearly between keyframes on the frames where the object is visible.
"""

from __future__ import annotations

import re
from fractions import Fraction
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from labelview.formats.base import (
    Confidence,
    Detection,
    Format,
    Probe,
    ReadContext,
    gc_paused,
    load_json,
    no,
    where,
)
from labelview.images import ImageFinder, default_roots, image_size
from labelview.model import (
    Answer,
    Box,
    Dataset,
    Frame,
    Item,
    ObjectLabel,
    Point,
    Polygon,
    Polyline,
    Relation,
    StageEvent,
)

NAME = "datagym"
_BAD = (KeyError, TypeError, ValueError, IndexError, AttributeError)
GEOMETRY_TYPES = ("rectangle", "polygon", "line", "point", "image_segmentation")
_SHAPES = {
    "rectangle": "box",
    "polygon": "polygon",
    "line": "polyline",
    "point": "point",
    "image_segmentation": "polygon",
}
_TASK_KEYS = frozenset(
    {
        "internal_media_ID",
        "external_media_ID",
        "internal_image_ID",
        "external_image_ID",
        "labeler",
        "status",
        "global_classifications",
        "labels",
    }
)
_TASK_URL = re.compile(r"exportVideoTask/([^/?#]+)")


class _Skip(ValueError):
    """One geometry that cannot be used (null coordinates, too few points)."""


# --- detection ------------------------------------------------------------------------------------

_LABEL_CLASSES_FIRST = re.compile(r'^\s*\[\s*\{\s*"label_classes"\s*:')
_RAW_MARKERS = (
    ('"labelTaskState"', "DataGym's internal label-task data (taskId, labelTaskState)"),
    ('"lcEntryParentId"', "DataGym's internal label configuration (entries, lcEntryParentId)"),
    ('"mediaCount"', "DataGym's internal project/dataset data (mediaCount)"),
    ('"mediaSourceType"', "DataGym's internal dataset data (media list)"),
)


def _not_export_reason(text: str) -> str | None:
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
    reason = _not_export_reason(text)
    if reason is not None:
        return no(reason)
    if start == "[" and ('"internal_media_ID"' in text or '"internal_image_ID"' in text):
        return Detection(Confidence.LIKELY, "array of DataGym tasks (internal_media_ID)")
    if probe.suffix == ".json":
        return Detection(Confidence.WEAK, "a .json file, but no DataGym label_classes")
    return no("no DataGym label_classes")


# --- values ---------------------------------------------------------------------------------------


def _is_null(value: Any) -> bool:
    return value is None or value == "null"


def _number(point: dict, key: str) -> float:
    value = point.get(key, point.get(key.upper()))  # video exports write a capital "Y"
    if _is_null(value):
        raise _Skip("null coordinates (DataGym exports negative values as null)")
    return float(value)


def _xy(points: Any) -> list[tuple[float, float]]:
    if not isinstance(points, list):
        raise TypeError("geometry is not a list of points")
    try:
        return [(float(p["x"]), float(p["y"])) for p in points]
    except (KeyError, TypeError, ValueError):
        # The slow path names the problem: null coordinates, a capital "Y", a missing key.
        return [(_number(p, "x"), _number(p, "y")) for p in points]


def geometry(kind: str, value: Any) -> Box | Polygon | Polyline | Point:
    """The model geometry for one DataGym geometry value of type `kind`."""
    if kind == "rectangle":
        if not isinstance(value, list) or len(value) != 1:
            raise ValueError("a rectangle is a list of one {x, y, w, h}")
        rect = value[0]
        try:
            return Box(float(rect["x"]), float(rect["y"]), float(rect["w"]), float(rect["h"]))
        except (KeyError, TypeError, ValueError):
            w, h = _number(rect, "w"), _number(rect, "h")  # names the problem
            return Box(_number(rect, "x"), _number(rect, "y"), w, h)
    if kind == "polygon":
        return Polygon.from_points(_xy(value))
    if kind == "line":
        return Polyline.from_points(_xy(value))
    if kind == "point":
        points = _xy(value)
        if len(points) != 1:
            raise ValueError(f"a point has {len(points)} coordinates, expected 1")
        return Point(*points[0])
    if kind == "image_segmentation":
        if not isinstance(value, list) or not value:
            raise ValueError("a segmentation is a non-empty list of rings")
        rings = [_xy(ring) for ring in value]
        return Polygon.from_points(rings[0], rings[1:])
    raise ValueError(f"unknown geometry type {kind!r}")


def answers(values: Any, types: dict[str, str]) -> list[Answer]:
    """{class: [value..., {child: [...]}]} as nested Answers (checklists as lists)."""
    if not values or not isinstance(values, dict):
        return []
    result = []
    for name, entry in values.items():
        entry = entry if isinstance(entry, list) else [entry]
        own = [v for v in entry if not isinstance(v, dict) and not _is_null(v)]
        children: list[Answer] = []
        for child in entry:
            if isinstance(child, dict):
                children.extend(answers(child, types))
        if types.get(name) == "checklist":
            value: Any = own
        else:
            value = own[0] if len(own) == 1 else (own or None)
        result.append(Answer(str(name), value, children))
    return result


# --- reading --------------------------------------------------------------------------------------


class _Reader:
    def __init__(self, path: Path, ctx: ReadContext) -> None:
        self.path = path
        self.ctx = ctx
        self.dataset = Dataset()
        self.types: dict[str, str] = {}  # class name -> geometry or classification type
        self.finder = ImageFinder(default_roots(path, ctx.images_dir))

    def label_classes(self, head: dict) -> None:
        classes = head.get("label_classes")
        if not isinstance(classes, list):
            raise self.ctx.fail("[0].label_classes", "not a list")
        classifications = {}
        for index, entry in enumerate(classes):
            loc = where("[0].label_classes", index)
            if not isinstance(entry, dict) or "class_name" not in entry:
                self.ctx.warn(loc, "label class without class_name skipped")
                continue
            name = str(entry["class_name"])
            kind = str(entry.get("geometry_type") or entry.get("classification_type") or "")
            kind = kind.lower()
            if kind == "radio":
                kind = "select"  # migration V25 turned every radio into a select
            self.types[name] = kind
            extra = {k: v for k, v in entry.items() if k != "class_name"}
            if kind in GEOMETRY_TYPES:
                # image_segmentation is listed as a classification_type; it is a geometry.
                self.dataset.category(name, shape=_SHAPES[kind], extra=extra)
            elif kind in ("select", "checklist", "freetext"):
                classifications[name] = kind
            else:
                self.ctx.warn(loc, f"label class {name!r} has an unknown type {kind!r}")
        self.dataset.meta["classifications"] = classifications

    def task(self, index: int, task: dict) -> Item:
        loc = where(index)
        media_id = task.get("internal_media_ID", task.get("internal_image_ID"))
        raw_name = task.get("external_media_ID", task.get("external_image_ID"))
        name = unquote(str(raw_name)) if raw_name is not None else None
        item = Item(
            id=str(media_id or f"task-{index}"),
            name=name or str(media_id or f"task-{index}"),
            image=name,
            status=task.get("status"),
            labeler=task.get("labeler"),
        )
        item.extra = {k: v for k, v in task.items() if k not in _TASK_KEYS}
        if raw_name is not None and raw_name != name:
            item.extra["external_media_ID"] = raw_name
        if item.status:
            item.history.append(StageEvent(stage="Label", actor=item.labeler, action=item.status))
        item.classifications = answers(task.get("global_classifications"), self.types)
        if "task_export_url" in task or "video_total_frames" in task:
            self.video_task(item, task, loc)
        else:
            self.locate(item, raw_name)
        labels = task.get("labels") or {}
        if not isinstance(labels, dict):
            self.ctx.warn(where(loc, "labels"), "labels is not an object", item=item.id)
            return item
        for class_name, entries in labels.items():
            cloc = where(loc, "labels", class_name)
            if not isinstance(entries, list):
                self.ctx.warn(cloc, "not a list of geometries", item=item.id)
                continue
            for number, entry in enumerate(entries):
                at = (loc, "labels", class_name, number)  # joined only when warning
                self.entry(item, str(class_name), entry, at, f"{class_name}/{number}")
        return item

    def locate(self, item: Item, raw_name: Any) -> None:
        found = self.finder.find(item.image) if item.image else None
        if found is None and isinstance(raw_name, str):
            # A file literally named with %xx escapes (the finder decodes references).
            for root in self.finder.roots:
                if (root / raw_name).is_file():
                    found = root / raw_name
                    break
        item.image_path = found
        if found is not None and item.width is None:
            size = image_size(found)
            if size is not None:
                item.width, item.height = size

    def entry(
        self,
        item: Item,
        class_name: str,
        entry: Any,
        at: tuple,
        ident: str,
        parent: str | None = None,
    ) -> None:
        if not isinstance(entry, dict):
            self.ctx.warn(where(*at), "geometry entry is not an object", item=item.id, obj=ident)
            return
        kind = next((key for key in GEOMETRY_TYPES if key in entry), None)
        key = kind
        if kind is None and "geometry" in entry:
            key, kind = "geometry", self.types.get(class_name)
        if kind not in GEOMETRY_TYPES:
            self.ctx.warn(
                where(*at),
                f"no geometry of a known type for class {class_name!r} (keys: {sorted(entry)})",
                item=item.id,
                obj=ident,
            )
            return
        if class_name not in self.dataset.categories:
            self.ctx.warn(where(*at), f"class {class_name!r} is not in label_classes", item=item.id)
            self.dataset.category(class_name, shape=_SHAPES[kind], extra={"undeclared": True})
        try:
            shape = geometry(kind, entry[key])
        except _BAD as error:
            self.ctx.warn(where(*at, key), f"{kind} skipped: {error}", item=item.id, obj=ident)
            return
        extra = None
        if len(entry) > 3:  # more than the geometry, classifications and nested_geometries
            known = {key, "classifications", "nested_geometries"}
            extra = {k: v for k, v in entry.items() if k not in known} or None
        if parent is not None:
            extra = {**(extra or {}), "parent": parent}
        item.objects.append(
            ObjectLabel(
                category=class_name,
                geometry=shape,
                id=ident,
                attributes=answers(entry.get("classifications"), self.types),
                source="manual",
                extra=extra,
            )
        )
        nested = entry.get("nested_geometries")
        if parent is None and isinstance(nested, dict):
            for child_class, children in nested.items():
                if not isinstance(children, list):
                    continue
                for number, child in enumerate(children):
                    child_id = f"{ident}/{child_class}/{number}"
                    self.entry(
                        item,
                        str(child_class),
                        child,
                        (*at, "nested_geometries", child_class, number),
                        child_id,
                        parent=ident,
                    )
                    if item.objects and item.objects[-1].id == child_id:
                        item.relations.append(Relation("nested", (ident, child_id), directed=True))

    # -- video --

    def video_task(self, item: Item, task: dict, loc: str) -> None:
        item.kind = "video"
        try:
            item.width = int(task["video_width"])
            item.height = int(task["video_height"])
        except _BAD:
            pass
        try:
            item.fps = float(Fraction(str(task["video_frame_rate"])))
        except (*_BAD, ZeroDivisionError):
            pass
        self.locate(item, task.get("external_media_ID", task.get("external_image_ID")))
        match = _TASK_URL.search(str(task.get("task_export_url", "")))
        task_id = match.group(1) if match else None
        found = self.find_task_export(task_id) if task_id else None
        if found is None:
            self.ctx.warn(
                where(loc, "task_export_url"),
                "video labels are not in the project export; save the per-task export "
                f"(datagym_export_<time>_{task_id}.json) beside it to see them",
                item=item.id,
            )
            return
        try:
            data = load_json(found)
        except Exception as error:  # the project still loads without this task's labels
            self.ctx.warn("", f"per-task video export not read: {error}", item=item.id, file=found)
            return
        if not isinstance(data, dict) or not isinstance(data.get("object"), dict):
            self.ctx.warn("", "not a DataGym per-task video export", item=item.id, file=found)
            return
        video_objects(item, data, self.ctx, self.dataset, self.types, file=found)

    def find_task_export(self, task_id: str) -> Path | None:
        for root in self.finder.roots:
            for candidate in sorted(root.glob(f"datagym_export_*_{task_id}.json")):
                return candidate
            if (root / f"{task_id}.json").is_file():
                return root / f"{task_id}.json"
        return None


def _lerp(a: Box, b: Box, t: float) -> Box:
    return Box(
        a.x + (b.x - a.x) * t, a.y + (b.y - a.y) * t, a.w + (b.w - a.w) * t, a.h + (b.h - a.h) * t
    )


def video_objects(
    item: Item,
    data: dict,
    ctx: ReadContext,
    dataset: Dataset,
    types: dict[str, str],
    *,
    file: Path | None = None,
) -> None:
    """Per-task video export → one ObjectLabel per visible frame (rectangles interpolated)."""
    visible: dict[str, list[int]] = {}
    frames = data.get("frames") if isinstance(data.get("frames"), dict) else {}
    for frame_key, entries in frames.items():
        try:
            frame = int(frame_key)
            for entry in entries:
                visible.setdefault(str(entry["visibleObjectId"]), []).append(frame)
        except _BAD as error:
            ctx.warn(where("frames", str(frame_key)), f"frame skipped: {error!r}", file=file)
    # The per-task export names no class: objects are grouped by their shape.
    geometry_classes = [name for name, kind in types.items() if kind in GEOMETRY_TYPES]
    single = geometry_classes[0] if len(geometry_classes) == 1 else None
    unusable = 0
    for object_id, changes in data.get("object", {}).items():
        oloc = where("object", str(object_id))
        if not isinstance(changes, dict):
            ctx.warn(oloc, "object is not an object", item=item.id, obj=str(object_id), file=file)
            continue
        keyframes: list[tuple[int, Box | None, list[Answer]]] = []
        kinds = set()
        for frame_key, change in changes.items():
            floc = where(oloc, str(frame_key))
            try:
                frame = int(frame_key)
            except ValueError:
                ctx.warn(floc, "frame is not a number", item=item.id, file=file)
                continue
            attributes = answers(change.get("classifications"), types)
            kind = next((k for k in GEOMETRY_TYPES if k in change), None)
            box: Box | None = None
            if kind == "rectangle":
                kinds.add(kind)
                try:
                    box = geometry(kind, change[kind])  # type: ignore[assignment]
                except _BAD as error:
                    ctx.warn(floc, f"rectangle skipped: {error}", item=item.id, file=file)
            elif kind is not None:
                kinds.add(kind)
                unusable += 1
                continue
            keyframes.append((frame, box, attributes))
        keyframes.sort(key=lambda entry: entry[0])
        if not kinds & {"rectangle"}:
            continue
        category = single or "rectangle"
        dataset.category(category, shape="box")
        shown = sorted(set(visible.get(str(object_id), [k[0] for k in keyframes])))
        for frame in shown:
            before = [k for k in keyframes if k[0] <= frame]
            after = [k for k in keyframes if k[0] > frame]
            if not before:
                continue
            start = before[-1]
            attributes = next((k[2] for k in reversed(before) if k[2]), [])
            if start[1] is None:
                continue
            box = start[1]
            keyframe = start[0] == frame
            if not keyframe and after and after[0][1] is not None:
                end = after[0]
                box = _lerp(start[1], end[1], (frame - start[0]) / (end[0] - start[0]))
            item.objects.append(
                ObjectLabel(
                    category=category,
                    geometry=box,
                    id=f"{object_id}@{frame}",
                    frame=frame,
                    track=str(object_id),
                    attributes=list(attributes),
                    source="manual",
                    extra={"keyframe": keyframe},
                )
            )
    if unusable:
        ctx.warn(
            "object",
            f"{unusable} polygon/line/point keyframes skipped: DataGym's video export keeps only "
            "their last point",
            item=item.id,
            file=file,
        )
    if single is None:
        ctx.warn(
            "object",
            "the per-task video export names no class; its objects are shown as 'rectangle'",
            item=item.id,
            file=file,
        )
    indices = sorted({obj.frame for obj in item.objects if obj.frame is not None})
    known = {frame.index for frame in item.frames}
    item.frames.extend(Frame(index=i) for i in indices if i not in known)


def _read_video_task(path: Path, data: dict, ctx: ReadContext) -> Dataset:
    dataset = Dataset(meta={"kind": "datagym video task export"})
    match = re.search(r"datagym_export_\d+_(.+)$", path.stem)
    task_id = match.group(1) if match else path.stem
    item = Item(id=task_id, name=task_id, kind="video")
    video_objects(item, data, ctx, dataset, {})
    dataset.items.append(item)
    return dataset


def read(path: Path, ctx: ReadContext) -> Dataset:
    """Read a DataGym project export (or a per-task video export) into a Dataset."""
    # Building a million small objects with the cyclic GC on costs more than the parse itself.
    with gc_paused():
        return _read(path, ctx)


def _read(path: Path, ctx: ReadContext) -> Dataset:
    data = load_json(path, ctx)
    if isinstance(data, dict):
        if isinstance(data.get("object"), dict) and "frames" in data:
            return _read_video_task(path, data, ctx)
        reason = _not_export_reason(path.read_text(encoding="utf-8", errors="replace")[:65536])
        raise ctx.fail("top level", reason or "not a DataGym export: expected a JSON array")
    if not isinstance(data, list):
        raise ctx.fail("top level", "not a DataGym export: expected a JSON array")
    dataset_reader = _Reader(path, ctx)
    if not data:
        return dataset_reader.dataset  # an empty project exports []
    head = data[0]
    if not isinstance(head, dict) or "label_classes" not in head:
        text = path.read_text(encoding="utf-8", errors="replace")[:65536]
        reason = _not_export_reason(text)
        raise ctx.fail(
            "[0]", reason or "not a DataGym export: the first element has no 'label_classes'"
        )
    dataset_reader.label_classes(head)
    total = len(data) - 1
    for index in range(1, len(data)):
        ctx.check_cancelled()
        if index % 200 == 0:
            ctx.progress(index - 1, total)
        task = data[index]
        if not isinstance(task, dict):
            ctx.error(where(index), "task is not an object; skipped")
            continue
        try:
            dataset_reader.dataset.items.append(dataset_reader.task(index, task))
        except _BAD as error:
            ctx.error(where(index), f"task skipped: {error!r}")
    ctx.progress(total, total)
    return dataset_reader.dataset


FORMAT = Format(
    name=NAME,
    title="DataGym.ai export",
    suffixes=(".json",),
    detect=detect,
    read=read,
    description="DataGym.ai project export JSON (and per-task video exports)",
)
