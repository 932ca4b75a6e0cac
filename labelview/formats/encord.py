"""Encord JSON export (read only): a JSON array of label rows, or one label row object.

Spec: shared/formats/encord.md. The mapping, and the choices the spec leaves open:
- One Item per label row. `image` rows are images; `img_group` rows are groups (`sequence` when
  `is_image_sequence`), one Frame per data unit with frame index = `data_sequence` (int or numeric
  string); `video` rows hold sparse frame-keyed labels; `dicom`/`nifti` are `dicom` items whose
  slices map to files through the per-slice `metadata.file_uri` (never `data_links` order).
- Coordinates are fractions of the frame: x and w × width, y and h × height (the public docs swap
  w and h; three Encord code paths agree with this).
- Rotated boxes: `rotatableBoundingBox` holds the *unrotated* box (top-left, size) and `theta` in
  degrees about its centre. We take theta unchanged as RotatedBox.angle (positive = clockwise on
  screen): Encord Active draws these with `shapely.affinity.rotate(poly, theta)` on pixel corners,
  which is counter-clockwise in y-up maths and therefore clockwise on a y-down screen; the 2022
  sample came from a CVAT import, and CVAT's rotation is clockwise too. (Unconfirmed by Encord.)
- Polygons: `polygons` (list of [outer, *holes] flat rings, several = disjoint parts) wins over the
  legacy `polygon` dict whose keys are sorted numerically.
- Bitmasks: `rleString` is COCO's string codec over row-major pixels → Mask(RowMajorRle) at the
  mask's width×height; a mask that is offset or not frame-sized is pasted at (left, top) lazily.
  Runs are checked once at read time (a corrupt string is reported, runs past w·h are clamped).
- Skeletons: visibility from the `visibility` string or the older boolean flags (invisible → 0,
  occluded/selfOccluded → 1, else 2); invisible points hold (0, 0) as the model wants, their
  coordinates stay in `extra["hidden_points"]`. With an ontology skeleton template, points are put
  in template order (matched by featureHash, then key) and the template's edges go on the Category.
- Answers: `object_answers` (static), `object_actions` (dynamic, one Answer per inclusive range that
  holds the frame, `Answer.frames` set) and `classification_answers` (item/frame classifications,
  one Answer per contiguous run of frames they are marked on; `None` for global ones). Nested
  answers are flattened in the file; with an ontology the tree is rebuilt and options resolve by
  featureHash; without one, radio/checklist answers stay lists of option names, flat.
- Ontology: ctx.ontology, else a sibling `<stem>.ontology.json`; it supplies category colours,
  skeleton edges and the attribute tree. Everything still loads without it.
- History: `created_at`, `last_edited_at`, `export_history`, `annotation_task_status` become
  StageEvents (timestamps as ISO 8601, UTC when the export gives no zone); `label_status` is the
  item status.
"""

from __future__ import annotations

import gc
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import orjson

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
from labelview.model import (
    Answer,
    Box,
    Dataset,
    Frame,
    Item,
    Keypoints,
    LazyMask,
    Mask,
    ObjectLabel,
    Point,
    Polygon,
    PolygonPart,
    Polyline,
    RotatedBox,
    RowMajorRle,
    Skeleton,
    StageEvent,
)
from labelview.model.geometry import make_part
from labelview.ops import rle

ONTOLOGY_SUFFIX = ".ontology.json"
_BAD = (KeyError, TypeError, ValueError, IndexError, AttributeError)

_KINDS = {
    "image": "image",
    "img_group": "group",
    "video": "video",
    "dicom": "dicom",
    "nifti": "dicom",
}
# Frame-keyed `labels` ({"<frame>": {...}}) versus direct `labels` ({objects, classifications}).
_FRAME_KEYED = {"video", "dicom", "nifti", "pdf", "scene"}
_OUR_SHAPES = {
    "bounding_box": "box",
    "rotatable_bounding_box": "rotated_box",
    "polygon": "polygon",
    "polyline": "polyline",
    "point": "point",
    "skeleton": "keypoints",
    "bitmask": "mask",
}
# Object keys besides the shape and its geometry (kept out of extra even when nothing is drawn).
_META_KEYS = frozenset(
    {
        "objectHash",
        "featureHash",
        "name",
        "value",
        "color",
        "confidence",
        "manualAnnotation",
        "createdBy",
        "createdAt",
        "lastEditedBy",
        "lastEditedAt",
    }
)
# Object keys the reader maps; anything else lands in ObjectLabel.extra.
_OBJECT_KEYS = _META_KEYS | {
    "shape",
    "boundingBox",
    "rotatableBoundingBox",
    "polygon",
    "polygons",
    "polyline",
    "point",
    "skeleton",
    "bitmask",
}
# Deprecated keys that carry nothing when at their defaults.
_DEFAULTS = {"isDeleted": False, "reviews": []}
_ROW_MAPPED = frozenset(
    {
        "data_units",
        "object_answers",
        "classification_answers",
        "object_actions",
        "data_title",
        "data_type",
        "label_status",
        "annotation_task_status",
        "export_history",
        "created_at",
        "last_edited_at",
    }
)
# ObjectLabel's fields, which the reader passes positionally (the hot loop).
_OBJECT_FIELDS = (
    "category",
    "geometry",
    "id",
    "frame",
    "track",
    "attributes",
    "confidence",
    "source",
    "created_by",
    "created_at",
    "updated_by",
    "updated_at",
    "z_order",
    "extra",
)
if tuple(field.name for field in fields(ObjectLabel)) != _OBJECT_FIELDS:
    raise ImportError(
        "labelview.model.ObjectLabel changed its fields; update encord._OBJECT_FIELDS"
    )
_ACTION_KEYS = ("dynamic", "shouldPropagate", "trackHash", "spaceId")
_VISIBILITY = {"visible": 2, "invisible": 0, "occluded": 1, "selfoccluded": 1}
_TIME_FORMATS = (
    "%Y-%m-%d %H:%M:%S",
    "%a, %d %b %Y %H:%M:%S %Z",
    "%a, %d %b %Y %H:%M:%S",
)


_ROW_MARKERS = (
    "data_units",
    "label_hash",
    "object_answers",
    "classification_answers",
    "object_actions",
    "classificationHash",
    "label_status",
)

# --- detection ------------------------------------------------------------------------------------


def detect(probe: Probe) -> Detection:
    """Encord label rows: `data_units` beside `label_hash`/`object_answers` in the first bytes."""
    if probe.is_dir or probe.is_zip:
        return no("not a single JSON file")
    start = probe.json_start()
    if not start:
        return no("does not start like JSON")
    head = probe.text
    # Two of these keys (rows may be key-sorted, and an early classification_answers can push
    # data_units past the 64 KB head).
    found = [key for key in _ROW_MARKERS if f'"{key}"' in head]
    if len(found) >= 2:
        shape = "an array of label rows" if start == "[" else "a label row"
        return Detection(Confidence.CERTAIN, f"{shape} with Encord keys {', '.join(found[:3])}")
    if probe.suffix == ".json":
        return Detection(Confidence.WEAK, ".json, but no Encord label-row keys")
    return no("no Encord label-row keys")


# --- small converters -----------------------------------------------------------------------------


def _rgb(text: Any) -> tuple[int, int, int] | None:
    if not isinstance(text, str):
        return None
    value = text.strip().lstrip("#")
    if len(value) == 3:
        value = "".join(c * 2 for c in value)
    if len(value) != 6:
        return None
    try:
        return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)
    except ValueError:
        return None


_time_cache: dict[Any, str | None] = {}
_ZONE = re.compile(r"\s+(UTC|GMT|Z)$")


def iso_time(text: Any) -> str | None:
    """An Encord timestamp (any of its four styles) as ISO 8601, UTC when it names no zone."""
    if text is None or text == "":
        return None
    cached = _time_cache.get(text)
    if cached is not None or text in _time_cache:
        return cached
    result: str | None = str(text)
    if isinstance(text, str):
        stripped = _ZONE.sub("", text.strip())
        # fromisoformat first: it is C-fast and accepts none of the strptime-only styles.
        for pattern in (None, *_TIME_FORMATS):
            try:
                if pattern is None:
                    parsed = datetime.fromisoformat(stripped)
                else:
                    parsed = datetime.strptime(stripped, pattern)
            except ValueError:
                continue
            if parsed.tzinfo is None:
                parsed = parsed.replace(tzinfo=UTC)
            result = parsed.isoformat()
            break
    if len(_time_cache) > 200_000:
        _time_cache.clear()
    _time_cache[text] = result
    return result


def _ordered(points: Any) -> list[dict]:
    """A `{"0": {...}, "1": ...}` dict (sorted numerically) or a list, as a list of point dicts."""
    if not points:
        return []
    if isinstance(points, dict):
        return [points[key] for key in sorted(points, key=int)]
    return list(points)


def _xy(points: list[dict], width: float, height: float) -> np.ndarray:
    if not points:
        return np.zeros((0, 2))
    array = np.array([(p["x"], p["y"]) for p in points], dtype=np.float64)
    array *= (width, height)
    return array


# --- ontology -------------------------------------------------------------------------------------


class Ontology:
    """The parts of an Encord ontology the reader joins on: objects, attributes, templates."""

    def __init__(self, data: dict | None) -> None:
        data = data or {}
        if "objects" not in data and isinstance(data.get("structure"), dict):
            data = data["structure"]
        self.objects: dict[str, dict] = {}
        self.classifications: dict[str, dict] = {}
        self.attributes: dict[str, dict] = {}
        self.options: dict[str, dict] = {}
        self.templates: dict[str, dict] = {}
        self.present = bool(data)
        for obj in data.get("objects") or []:
            if isinstance(obj, dict) and obj.get("featureNodeHash"):
                self.objects[obj["featureNodeHash"]] = obj
                self._index(obj.get("attributes") or [])
        for cls in data.get("classifications") or []:
            if isinstance(cls, dict) and cls.get("featureNodeHash"):
                self.classifications[cls["featureNodeHash"]] = cls
                self._index(cls.get("attributes") or [])
        for entry in data.get("skeleton_templates") or []:
            template = entry.get("template", entry) if isinstance(entry, dict) else None
            if not isinstance(template, dict):
                continue
            key = template.get("feature_node_hash") or template.get("featureNodeHash")
            if key:
                self.templates[key] = template
            if template.get("name"):
                self.templates.setdefault(f"name:{template['name']}", template)

    def _index(self, attributes: list) -> None:
        for attribute in attributes:
            if not isinstance(attribute, dict):
                continue
            if attribute.get("featureNodeHash"):
                self.attributes[attribute["featureNodeHash"]] = attribute
            for option in attribute.get("options") or []:
                if not isinstance(option, dict):
                    continue
                if option.get("featureNodeHash"):
                    self.options[option["featureNodeHash"]] = option
                self._index(option.get("options") or [])

    def template_for(self, feature_hash: str | None, name: str | None) -> dict | None:
        """The skeleton template of an ontology object (by hash, then by name)."""
        return self.templates.get(feature_hash or "") or self.templates.get(f"name:{name}")


def _skeleton_of(template: dict) -> tuple[Skeleton, dict[str, int], dict[str, int]]:
    """Skeleton (names, edges, colours) plus point index by featureHash and by key."""
    points = template.get("skeleton") or {}
    if isinstance(points, list):
        points = {str(i): point for i, point in enumerate(points)}
    keys = sorted(points, key=int)
    names = tuple(str(points[k].get("name") or k) for k in keys)
    by_key = {k: i for i, k in enumerate(keys)}
    by_hash = {
        points[k]["featureHash"]: i for i, k in enumerate(keys) if points[k].get("featureHash")
    }
    edges_raw = template.get("skeletonEdges") or template.get("skeletonedges") or {}
    edges = []
    for start, ends in edges_raw.items():
        for end in ends or {}:
            if str(start) in by_key and str(end) in by_key:
                edges.append((by_key[str(start)], by_key[str(end)]))
    colors = tuple(_rgb(points[k].get("color")) for k in keys)
    return Skeleton(names=names, edges=tuple(edges), colors=colors), by_hash, by_key


# --- answers --------------------------------------------------------------------------------------


def _source(entry: dict) -> str | None:
    manual = entry.get("manualAnnotation")
    if manual is None:
        return None
    return "manual" if manual else "model"


def _answer(raw: dict, onto: Ontology, *, frames: tuple[int, int] | None = None) -> Answer:
    """One attribute-answer record as an Answer (no children yet)."""
    attribute = onto.attributes.get(raw.get("featureHash") or "") if onto.present else None
    name = raw.get("name") or (attribute or {}).get("name") or raw.get("value") or ""
    answers = raw.get("answers")
    if isinstance(answers, list):
        labels = []
        options = onto.options
        for option in answers:
            if not isinstance(option, dict):
                continue
            known = options.get(option.get("featureHash") or "") if options else None
            if known is not None:
                labels.append(known.get("label") or known.get("value") or "")
                continue
            label = option.get("name")
            # Platform exports put the attribute's name here in dynamic answers: the value names
            # the option then.
            if not label or label == name:
                label = option.get("value") or label or ""
            labels.append(label)
        value: Any = labels
        if attribute is not None and attribute.get("type") == "radio":
            value = labels[0] if labels else None
    else:
        value = answers
    extra = None
    if "dynamic" in raw:
        extra = {key: raw[key] for key in _ACTION_KEYS if key in raw}
    manual = raw.get("manualAnnotation")
    return Answer(
        name if isinstance(name, str) else str(name),
        value,
        frames=frames,
        source=None if manual is None else ("manual" if manual else "model"),
        extra=extra,
    )


def _merge(raws: Iterable[dict]) -> dict[str, dict]:
    """Answer records by attribute featureHash; repeated checklist records are unioned."""
    merged: dict[str, dict] = {}
    for index, raw in enumerate(raws):
        if not isinstance(raw, dict):
            continue
        key = raw.get("featureHash") or f"#{index}"
        seen = merged.get(key)
        if seen is None:
            merged[key] = raw
        elif isinstance(seen.get("answers"), list) and isinstance(raw.get("answers"), list):
            merged[key] = {**seen, "answers": [*seen["answers"], *raw["answers"]]}
    return merged


def build_answers(
    raws: list,
    attributes: list | None,
    onto: Ontology,
    *,
    frames: tuple[int, int] | None = None,
) -> list[Answer]:
    """Answers as a tree following the ontology `attributes` (flat when not known)."""
    if not attributes and len(raws) == 1 and isinstance(raws[0], dict):
        return [_answer(raws[0], onto, frames=frames)]  # the common case, without the merge
    pending = _merge(raws)
    out: list[Answer] = []
    if attributes:
        out = _tree(attributes, pending, onto, frames)
    out.extend(_answer(raw, onto, frames=frames) for raw in pending.values())
    return out


def _tree(
    attributes: list, pending: dict[str, dict], onto: Ontology, frames: tuple[int, int] | None
) -> list[Answer]:
    out = []
    for attribute in attributes:
        if not isinstance(attribute, dict):
            continue
        raw = pending.pop(attribute.get("featureNodeHash") or "", None)
        if raw is None:
            continue
        answer = _answer(raw, onto, frames=frames)
        chosen = {a.get("featureHash") for a in raw.get("answers") or [] if isinstance(a, dict)}
        for option in attribute.get("options") or []:
            if isinstance(option, dict) and option.get("featureNodeHash") in chosen:
                answer.children.extend(_tree(option.get("options") or [], pending, onto, frames))
        out.append(answer)
    return out


def _runs(frames: Iterable[int]) -> list[tuple[int, int]]:
    """Contiguous inclusive runs of a set of frame numbers."""
    runs: list[tuple[int, int]] = []
    for frame in sorted(set(frames)):
        if runs and frame == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], frame)
        else:
            runs.append((frame, frame))
    return runs


# --- reading --------------------------------------------------------------------------------------


def _load_ontology(path: Path, ctx: ReadContext) -> Ontology:
    candidate = ctx.ontology
    if candidate is None:
        sibling = path.with_name(path.name.removesuffix(".json") + ONTOLOGY_SUFFIX)
        if path.name.endswith(".json") and sibling.is_file() and sibling != path:
            candidate = sibling
    if candidate is None:
        return Ontology(None)
    candidate = Path(candidate)
    try:
        data = load_json(candidate)
    except Exception as error:  # a broken ontology must not stop the labels from loading
        ctx.warn("", f"ontology not used: {error}", file=candidate)
        return Ontology(None)
    if not isinstance(data, dict):
        ctx.warn("", "ontology not used: expected a JSON object", file=candidate)
        return Ontology(None)
    return Ontology(data)


class _Reader:
    """State shared while reading one export file."""

    def __init__(self, path: Path, ctx: ReadContext, onto: Ontology) -> None:
        self.path = path
        self.ctx = ctx
        self.onto = onto
        self.dataset = Dataset()
        self.done = 0
        self.total = 0
        self.roots = [
            root
            for root in (ctx.images_dir, path.parent, path.parent / "images")
            if root is not None
        ]
        # Skeleton layout per category: (by featureHash, by key) indices into Category.skeleton.
        self.layouts: dict[str, tuple[dict[str, int], dict[str, int]] | None] = {}
        # Static object answers by (featureHash, raw JSON): exports repeat the same few answers.
        self.shared_answers: dict[tuple[str | None, bytes], list[Answer]] = {}
        self._last_scale: tuple[tuple[float, float], np.ndarray] = ((0, 0), np.ones(512))
        self._categories_from_ontology()

    def _categories_from_ontology(self) -> None:
        for feature, obj in self.onto.objects.items():
            name = str(obj.get("name") or feature)
            shape = obj.get("shape")
            if shape in ("audio", "text"):
                continue
            self._category(name, feature, shape, obj.get("color"), ontology_entry=obj)

    def _category(
        self,
        name: str,
        feature: str | None,
        shape: str | None,
        color: Any,
        *,
        ontology_entry: dict | None = None,
    ) -> None:
        if name in self.dataset.categories:
            return
        extra: dict[str, Any] = {}
        if shape:
            extra["encord_shape"] = shape
        if ontology_entry is not None and ontology_entry.get("id") is not None:
            extra["ontology_id"] = ontology_entry["id"]
        skeleton = None
        layout = None
        if shape == "skeleton":
            template = self.onto.template_for(feature, name)
            if template is not None:
                skeleton, by_hash, by_key = _skeleton_of(template)
                layout = (by_hash, by_key)
        self.layouts[name] = layout
        self.dataset.category(
            name,
            id=feature,
            color=_rgb(color),
            shape=_OUR_SHAPES.get(shape or "", shape),
            skeleton=skeleton,
            extra=extra,
        )

    # -- rows ------------------------------------------------------------------------------------

    def read(self, data: Any) -> Dataset:
        if isinstance(data, dict) and "data_units" not in data:
            raise self.ctx.fail("", "a JSON object without data_units is not an Encord label row")
        rows = [data] if isinstance(data, dict) else data
        del data
        if not isinstance(rows, list):
            raise self.ctx.fail("", "expected a JSON array of Encord label rows")
        for row in rows:
            units = row.get("data_units") if isinstance(row, dict) else None
            if isinstance(units, dict):
                for unit in units.values():
                    labels = unit.get("labels") if isinstance(unit, dict) else None
                    frame_keyed = isinstance(labels, dict) and "objects" not in labels
                    self.total += len(labels) if frame_keyed else 1
        for index, row in enumerate(rows):
            # Drop the parsed row from the list as soon as it is read: its memory is then reused
            # for the next rows' objects (fewer page faults, warmer caches, a lower peak).
            rows[index] = None
            self.ctx.check_cancelled()
            if not isinstance(row, dict):
                self.ctx.error(where(index), "label row is not an object; skipped")
                continue
            try:
                item = self.row(index, row)
            except _BAD as error:
                self.ctx.error(
                    where(index),
                    f"label row not read: {_describe(error)}",
                    item=row.get("data_title"),
                )
                continue
            if item is not None:
                self.dataset.items.append(item)
        self.ctx.progress(self.total, self.total)
        self.dataset.meta["encord"] = {"ontology": self.onto.present}
        return self.dataset

    def row(self, index: int, row: dict) -> Item | None:
        data_type = row.get("data_type")
        title = str(row.get("data_title") or row.get("data_hash") or f"row {index}")
        units = row.get("data_units")
        if not isinstance(units, dict):
            if "labels" in row:
                self.ctx.error(
                    where(index),
                    "old cord-client row (labels at row level) is not supported",
                    item=title,
                )
                return None
            raise KeyError("data_units")
        kind = _KINDS.get(data_type or "")
        if kind == "group" and row.get("is_image_sequence"):
            kind = "sequence"
        item = Item(
            id=str(row.get("label_hash") or row.get("data_hash") or title),
            name=title,
            kind=kind or "other",
            status=row.get("label_status"),
        )
        item.extra = {k: v for k, v in row.items() if k not in _ROW_MAPPED}
        if row.get("annotation_task_status") is not None:
            item.extra["annotation_task_status"] = row["annotation_task_status"]
        item.history = self.history(row)
        if kind is None:
            self.ctx.warn(
                where(index, "data_type"),
                f"data type {data_type!r} has no image geometry; labels kept without shapes",
                item=title,
            )
            self.text_objects(index, row, item)
            return item

        answers = {}
        for key, entry in (row.get("object_answers") or {}).items():
            if isinstance(entry, dict):
                answers[entry.get("objectHash") or key] = entry
        actions = {}
        for key, entry in (row.get("object_actions") or {}).items():
            if isinstance(entry, dict):
                actions[entry.get("objectHash") or key] = entry
        state = _RowState(answers, actions, self.shared_answers)

        def order(pair: tuple[str, Any]) -> int:
            try:
                return int(pair[1].get("data_sequence") or 0)
            except (TypeError, ValueError, AttributeError):
                return 0

        for unit_key, unit in sorted(units.items(), key=order):
            if not isinstance(unit, dict):
                self.ctx.warn(where(index, "data_units", unit_key), "data unit is not an object")
                continue
            try:
                self.unit(index, unit_key, unit, data_type, item, state)
            except _BAD as error:
                self.ctx.error(
                    where(index, "data_units", unit_key),
                    f"data unit not read: {_describe(error)}",
                    item=title,
                )

        item.classifications = self.classifications(index, row, state, item)
        if state.creators:
            item.labeler = Counter(state.creators).most_common(1)[0][0]
        return item

    def history(self, row: dict) -> list[StageEvent]:
        events: list[StageEvent] = []
        if row.get("created_at"):
            events.append(StageEvent(action="created", at=iso_time(row["created_at"])))
        for export in row.get("export_history") or []:
            if isinstance(export, dict):
                events.append(
                    StageEvent(
                        stage="export",
                        actor=export.get("user_email"),
                        action="exported",
                        at=iso_time(export.get("exported_at")),
                        extra={"export_hash": export.get("export_hash")},
                    )
                )
        if row.get("last_edited_at"):
            events.append(StageEvent(action="edited", at=iso_time(row["last_edited_at"])))
        events.sort(key=lambda event: event.at or "")
        if row.get("label_status"):
            events.append(StageEvent(stage="label", action=str(row["label_status"]).lower()))
        if row.get("annotation_task_status"):
            events.append(
                StageEvent(stage="task", action=str(row["annotation_task_status"]).lower())
            )
        return events

    # -- data units ------------------------------------------------------------------------------

    def unit(
        self,
        index: int,
        unit_key: str,
        unit: dict,
        data_type: str,
        item: Item,
        state: _RowState,
    ) -> None:
        width = unit.get("width") or 0
        height = unit.get("height") or 0
        labels = unit.get("labels") or {}
        base = (index, "data_units", unit_key, "labels")
        unit_extra = {k: v for k, v in unit.items() if k not in ("labels", "width", "height")}
        if data_type in ("image", "img_group"):
            frame = int(unit.get("data_sequence") or 0)
            title = unit.get("data_title")
            if data_type == "image":
                item.image = title or None
                item.width, item.height = width or None, height or None
                item.extra["data_unit"] = unit_extra
                self.frame(base, labels, None, width, height, item, state)
            else:
                item.frames.append(
                    Frame(
                        index=frame,
                        name=title,
                        image=title or None,
                        width=width or None,
                        height=height or None,
                        extra=unit_extra,
                    )
                )
                if item.width is None and width and height:
                    item.width, item.height = width, height
                self.frame(base, labels, frame, width, height, item, state)
            return
        # Frame-keyed data: video, DICOM, NIfTI (also pdf/scene-like layouts).
        item.width, item.height = width or None, height or None
        item.image = None
        item.fps = unit.get("data_fps") or None
        item.extra["data_unit"] = unit_extra
        if not isinstance(labels, dict):
            raise TypeError("labels is not an object")
        frame_files = self._frame_files(str(unit.get("data_title") or item.name))
        for key in sorted(labels, key=_int_or_inf):
            self.ctx.check_cancelled()
            content = labels[key]
            try:
                frame = int(key)
            except ValueError:
                self.ctx.warn(where(*base, key), f"frame key {key!r} is not a number; skipped")
                continue
            if not isinstance(content, dict):
                self.ctx.warn(where(*base, key), "frame labels are not an object; skipped")
                continue
            meta = content.get("metadata") if isinstance(content.get("metadata"), dict) else {}
            fw = meta.get("width") or width
            fh = meta.get("height") or height
            image = meta.get("file_uri") or frame_files.get(frame)
            item.frames.append(
                Frame(
                    index=frame,
                    image=image,
                    width=fw or None,
                    height=fh or None,
                    extra={"metadata": meta} if meta else {},
                )
            )
            self.frame((*base, key), content, frame, fw, fh, item, state)

    def _frame_files(self, title: str) -> dict[int, str]:
        """Extracted frames `<title>/<index>.<ext>` found beside the export or in --images."""
        found: dict[int, str] = {}
        if not title or "/" in title or "\\" in title or title in (".", ".."):
            return found
        for root in self.roots:
            folder = root / title
            if not folder.is_dir():
                continue
            for child in folder.iterdir():
                if child.stem.isdigit() and child.suffix.lower() in _FRAME_SUFFIXES:
                    found.setdefault(int(child.stem), f"{title}/{child.name}")
            if found:
                break
        return found

    def frame(
        self,
        base: tuple,
        content: dict,
        frame: int | None,
        width: float,
        height: float,
        item: Item,
        state: _RowState,
    ) -> None:
        self.done += 1
        if self.done % 200 == 0:
            self.ctx.progress(self.done, self.total)
            self.ctx.check_cancelled()
        if not width or not height:
            if content.get("objects"):
                self.ctx.warn(
                    where(*base),
                    "frame size unknown; coordinates kept normalised (0–1)",
                    item=item.name,
                )
            width = height = 1
        for position, obj in enumerate(content.get("objects") or ()):
            try:
                label = self.object(obj, frame, width, height, state, base, position)
            except _BAD as error:
                object_id = obj.get("objectHash") if isinstance(obj, dict) else None
                self.ctx.warn(
                    where(*base, "objects", position),
                    f"object skipped: {_describe(error)}",
                    item=item.name,
                    obj=object_id,
                )
                continue
            if label is not None:
                item.objects.append(label)
        for marker in content.get("classifications") or ():
            if isinstance(marker, dict) and marker.get("classificationHash"):
                state.markers.setdefault(marker["classificationHash"], (marker, set()))[1].add(
                    frame if frame is not None else -1
                )

    # -- objects ---------------------------------------------------------------------------------

    def object(
        self,
        obj: dict,
        frame: int | None,
        width: float,
        height: float,
        state: _RowState,
        base: tuple,
        position: int,
    ) -> ObjectLabel | None:
        shape = obj.get("shape")
        name = str(obj.get("name") or obj.get("value") or obj.get("featureHash") or "object")
        feature = obj.get("featureHash")
        if name not in self.dataset.categories:
            self._category(name, feature, shape, obj.get("color"))
        object_hash = obj.get("objectHash")
        extra = None
        if "skeleton" in obj and shape in (None, "skeleton"):
            geometry, extra = self.keypoints(obj["skeleton"], name, width, height)
        elif "bitmask" in obj and shape in (None, "bitmask"):
            path = (*base, "objects", position)
            geometry = self.mask(obj["bitmask"], width, height, path, object_hash)
        elif shape == "bounding_box":
            b = obj["boundingBox"]
            geometry = Box(b["x"] * width, b["y"] * height, b["w"] * width, b["h"] * height)
        elif shape == "rotatable_bounding_box":
            b = obj["rotatableBoundingBox"]
            w, h = b["w"] * width, b["h"] * height
            geometry = RotatedBox(
                b["x"] * width + w / 2, b["y"] * height + h / 2, w, h, float(b.get("theta") or 0)
            )
        elif shape == "polygon":
            geometry = self.polygon(obj, width, height)
        elif shape == "polyline":
            geometry = Polyline.from_points(_xy(_ordered(obj["polyline"]), width, height))
        elif shape == "point":
            p = _ordered(obj["point"])[0]
            geometry = Point(p["x"] * width, p["y"] * height)
        else:
            geometry = None
            state.unknown[str(shape)] += 1
            if state.unknown[str(shape)] == 1:
                self.ctx.warn(
                    where(*base, "objects", position),
                    f"shape {shape!r} is not drawn; the object is kept without geometry",
                    obj=object_hash,
                )
        if geometry is None:
            # Keep the raw shape data (whatever its key) so nothing is lost.
            unknown = [k for k in obj if k not in _META_KEYS]
        elif _OBJECT_KEYS.issuperset(obj):
            unknown = None
        else:
            unknown = [k for k in obj if k not in _OBJECT_KEYS and obj[k] != _DEFAULTS.get(k, k)]
        if unknown:
            extra = {**(extra or {}), **{key: obj[key] for key in unknown}}
        creator = obj.get("createdBy")
        if creator:
            state.creators.append(creator)
        confidence = obj.get("confidence")
        manual = obj.get("manualAnnotation")
        created, edited = obj.get("createdAt"), obj.get("lastEditedAt")
        # Positional (in _OBJECT_FIELDS order, checked at import): keywords cost ~0.4 µs here.
        return ObjectLabel(
            name,
            geometry,
            object_hash,
            frame,
            object_hash,
            state.attributes(object_hash, feature, frame, self.onto),
            None if confidence is None else float(confidence),
            None if manual is None else ("manual" if manual else "model"),
            creator,
            _time_cache.get(created) or iso_time(created),
            obj.get("lastEditedBy"),
            _time_cache.get(edited) or iso_time(edited),
            None,
            extra,
        )

    def _scale(self, width: float, height: float) -> np.ndarray:
        """(w, h, w, h, …) as a flat array: slices of it scale flat rings without broadcasting."""
        if self._last_scale[0] != (width, height):
            tiled = np.tile(np.array((width, height), dtype=np.float64), 256)
            self._last_scale = ((width, height), tiled)
        return self._last_scale[1]

    @staticmethod
    def _ring(ring: list, scale: np.ndarray) -> np.ndarray:
        array = np.array(ring, dtype=np.float64)
        if array.ndim == 1 and len(array) <= len(scale):
            array *= scale[: len(array)]
            array.shape = (-1, 2)  # ValueError for an odd count
            return array
        array = array.reshape(-1, 2)
        array *= scale[:2]
        return array

    def polygon(self, obj: dict, width: float, height: float) -> Polygon:
        polygons = obj.get("polygons")
        if polygons:
            scale = self._scale(width, height)
            if len(polygons) == 1 and len(polygons[0]) == 1:  # the common case: one ring
                outer = self._ring(polygons[0][0], scale)
                if len(outer) >= 3:
                    return Polygon((PolygonPart(outer),))
            parts = []
            for rings in polygons:
                arrays = [self._ring(ring, scale) for ring in rings]
                if len(arrays) == 1 and len(arrays[0]) >= 3:
                    parts.append(PolygonPart(arrays[0]))  # unclosed, finite (JSON has no NaN)
                elif arrays:
                    parts.append(make_part(arrays[0], arrays[1:]))
            if parts:
                return Polygon(tuple(parts))
        return Polygon.from_points(_xy(_ordered(obj.get("polygon")), width, height))

    def keypoints(
        self, skeleton: Any, category: str, width: float, height: float
    ) -> tuple[Keypoints, dict | None]:
        keys = sorted(skeleton, key=int) if isinstance(skeleton, dict) else None
        points = [skeleton[k] for k in keys] if keys is not None else list(skeleton)
        keys = keys or [str(i) for i in range(len(points))]
        layout = self.layouts.get(category)
        category_skeleton = self.dataset.categories[category].skeleton
        if layout is not None and category_skeleton is not None:
            count = len(category_skeleton.names)
            names = category_skeleton.names
            by_hash, by_key = layout
        else:
            count = len(points)
            names = tuple(str(p.get("name") or k) for p, k in zip(points, keys, strict=True))
            by_hash, by_key = {}, {k: i for i, k in enumerate(keys)}
        xy = np.zeros((count, 2))
        visibility = np.zeros(count, dtype=np.uint8)
        hidden = {}
        for key, point in zip(keys, points, strict=True):
            slot = by_hash.get(point.get("featureHash") or "", by_key.get(key))
            if slot is None or slot >= count:
                continue
            value = _visibility(point)
            x, y = point["x"] * width, point["y"] * height
            visibility[slot] = value
            if value:
                xy[slot] = (x, y)
            else:
                hidden[names[slot]] = [x, y]
        if layout is None and category_skeleton is None:
            # Without a template the first instance names the points; no edges are known.
            self.dataset.categories[category].skeleton = Skeleton(names=names)
        extra = {"hidden_points": hidden} if hidden else None
        return Keypoints(xy, visibility, names), extra

    def mask(
        self, bitmask: dict, width: float, height: float, path: tuple, object_hash: str | None
    ) -> Mask:
        string = bitmask.get("rleString") or ""
        mw = int(bitmask.get("width") or width)
        mh = int(bitmask.get("height") or height)
        top = int(bitmask.get("top") or 0)
        left = int(bitmask.get("left") or 0)
        if string:
            total, smallest = _run_stats(string)  # ValueError for a corrupt string
            if smallest < 0:
                raise ValueError("bitmask rleString has a negative run")
            if total > mw * mh:
                self.ctx.warn(
                    where(*path, "bitmask"),
                    f"bitmask runs sum to {total:,}, more than {mw}×{mh}; clamped",
                    obj=object_hash,
                )
                string = rle.counts_to_string(_clamp(rle.string_to_counts(string), mw * mh))
        fw, fh = int(width), int(height)
        if (top, left, mw, mh) == (0, 0, fw, fh) or width == 1:
            return Mask(mh, mw, RowMajorRle(string))
        self.ctx.warn(
            where(*path, "bitmask"),
            f"bitmask is {mw}×{mh} at ({left}, {top}) on a {fw}×{fh} frame; pasted there",
            obj=object_hash,
        )
        return Mask(fh, fw, LazyMask(_paster(string, mh, mw, top, left, fh, fw), "bitmask"))

    def text_objects(self, index: int, row: dict, item: Item) -> None:
        """Audio/text rows: objects live in object_answers with a range; kept without geometry."""
        for key, entry in (row.get("object_answers") or {}).items():
            if not isinstance(entry, dict) or "name" not in entry:
                continue
            name = str(entry.get("name"))
            self._category(name, entry.get("featureHash"), entry.get("shape"), entry.get("color"))
            item.objects.append(
                ObjectLabel(
                    category=name,
                    geometry=None,
                    id=entry.get("objectHash") or key,
                    attributes=build_answers(entry.get("classifications") or [], None, self.onto),
                    source=_source(entry),
                    created_by=entry.get("createdBy"),
                    created_at=iso_time(entry.get("createdAt")),
                    extra={
                        k: v
                        for k, v in entry.items()
                        if k in ("shape", "range", "range_html", "featureHash")
                    },
                )
            )

    # -- classifications -------------------------------------------------------------------------

    def classifications(self, index: int, row: dict, state: _RowState, item: Item) -> list[Answer]:
        out: list[Answer] = []
        answers = row.get("classification_answers") or {}
        by_hash = {}
        for key, entry in answers.items():
            if isinstance(entry, dict):
                by_hash[entry.get("classificationHash") or key] = entry
        hashes = list(dict.fromkeys([*state.markers, *by_hash]))
        single = item.kind == "image"
        for class_hash in hashes:
            marker, frames = state.markers.get(class_hash, ({}, set()))
            entry = by_hash.get(class_hash, {})
            try:
                if single or not frames:
                    ranges: list[tuple[int, int] | None] = [None]
                    explicit = entry.get("range") or []
                    if not single and explicit:
                        ranges = [(int(s), int(e)) for s, e in explicit]
                else:
                    ranges = list(_runs(frames))
                for frames_range in ranges:
                    out.extend(self.classification(marker, entry, frames_range))
            except _BAD as error:
                self.ctx.warn(
                    where(index, "classification_answers", class_hash),
                    f"classification skipped: {_describe(error)}",
                    item=item.name,
                )
        return out

    def classification(
        self, marker: dict, entry: dict, frames: tuple[int, int] | None
    ) -> list[Answer]:
        feature = entry.get("featureHash") or marker.get("featureHash")
        raws = entry.get("classifications") or []
        onto_class = self.onto.classifications.get(feature or "")
        if onto_class is not None:
            built = build_answers(raws, onto_class.get("attributes"), self.onto, frames=frames)
        else:
            flat = build_answers(raws, None, self.onto, frames=frames)
            # A classification has one top-level question, named like the frame marker; without
            # the ontology the depth of the others is unknown, so they hang directly under it.
            top_name = marker.get("name")
            top = next((a for a in flat if a.name == top_name), flat[0] if flat else None)
            if top is None:
                top = Answer(name=str(top_name or feature or "classification"), frames=frames)
            top.children.extend(a for a in flat if a is not top)
            built = [top]
        meta = {**entry, **marker}
        for answer in built:
            if meta.get("confidence") is not None:
                answer.confidence = float(meta["confidence"])
            answer.source = _source(meta) or answer.source
            answer.answered_by = meta.get("createdBy")
            extra = dict(answer.extra or {})
            extra["classificationHash"] = marker.get("classificationHash") or entry.get(
                "classificationHash"
            )
            answer.extra = extra
        return built


class _RowState:
    """Per-row lookups: answers and actions by objectHash, classification markers, counters."""

    def __init__(
        self,
        answers: dict[str, dict],
        actions: dict[str, dict],
        shared: dict[tuple[str | None, bytes], list[Answer]],
    ) -> None:
        self.answers = answers
        self.shared = shared
        self.actions = actions
        self.static: dict[str, list[Answer]] = {}
        self.dynamic: dict[str, list[tuple[int, int, dict]]] = {}
        self.markers: dict[str, tuple[dict, set[int]]] = {}
        self.creators: list[str] = []  # counted once per row
        self.unknown: Counter[str] = Counter()

    @staticmethod
    def _tree_of(feature: str | None, onto: Ontology) -> list | None:
        if not onto.present:
            return None
        return (onto.objects.get(feature or "") or {}).get("attributes")

    def _shared(self, raws: list, feature: str | None, onto: Ontology) -> list[Answer]:
        """Static answers, the same Answer objects for every object answered identically.

        Sharing is safe: nothing mutates an object's Answers after reading (lists are per object).
        """
        try:
            key = (feature, orjson.dumps(raws))
        except (TypeError, orjson.JSONEncodeError):
            return build_answers(raws, self._tree_of(feature, onto), onto)
        answers = self.shared.get(key)
        if answers is None:
            answers = build_answers(raws, self._tree_of(feature, onto), onto)
            if len(self.shared) < 50_000:  # free-text answers may all differ
                self.shared[key] = answers
        return answers

    def attributes(
        self, object_hash: str | None, feature: str | None, frame: int | None, onto: Ontology
    ) -> list[Answer]:
        if object_hash is None:
            return []
        if frame is None:  # a single image: each object shows once
            entry = self.answers.get(object_hash)
            raws = entry.get("classifications") if entry else None
            return [*self._shared(raws, feature, onto)] if raws else []
        static = self.static.get(object_hash)
        if static is None:
            entry = self.answers.get(object_hash)
            raws = entry.get("classifications") if entry else None
            static = self.static[object_hash] = self._shared(raws, feature, onto) if raws else []
            action_entry = self.actions.get(object_hash) if self.actions else None
            if action_entry:
                ranges = []
                for action in action_entry.get("actions") or []:
                    if isinstance(action, dict):
                        for start, end in action.get("range") or []:
                            ranges.append((int(start), int(end), action))
                self.dynamic[object_hash] = ranges
        ranges = self.dynamic.get(object_hash) if self.dynamic else None
        if not ranges or frame is None:
            return list(static)
        out = list(static)
        onto_attributes = self._tree_of(feature, onto)
        holding = [(s, e, a) for s, e, a in ranges if s <= frame <= e]
        if holding:
            by_range: dict[tuple[int, int], list[dict]] = {}
            for start, end, action in holding:
                by_range.setdefault((start, end), []).append(action)
            for frames, actions in by_range.items():
                out.extend(build_answers(actions, onto_attributes, onto, frames=frames))
        return out


_FRAME_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff"})


def _int_or_inf(key: str) -> float:
    try:
        return int(key)
    except ValueError:
        return float("inf")


def _visibility(point: dict) -> int:
    text = point.get("visibility")
    if isinstance(text, str):
        return _VISIBILITY.get(text.lower(), 2)
    if point.get("invisible"):
        return 0
    if point.get("occluded") or point.get("selfOccluded"):
        return 1
    if point.get("visible") is False:
        return 0
    return 2


def _run_stats(string: str) -> tuple[int, int]:
    """(sum, smallest) of the runs of a COCO-codec RLE string, vectorised (validates the string).

    Same decoding as rle.string_to_counts — 6-bit groups, low bits first, bit 5 = continue, bit 4
    of a value's last group = sign, runs from the 4th on stored as deltas to the run two before —
    but in numpy: masks are checked once at read time and a Python loop costs ~0.1 ms per mask.
    """
    codes = np.frombuffer(string.encode("latin-1"), dtype=np.uint8).astype(np.int64) - 48
    if codes.min() < 0 or codes.max() > 63:
        raise rle.RleError("invalid character in RLE string")
    more = (codes & 32) != 0
    if more[-1]:
        raise rle.RleError("truncated RLE string (continuation bit set on the last character)")
    ends = np.flatnonzero(~more)
    starts = np.empty_like(ends)
    starts[0] = 0
    starts[1:] = ends[:-1] + 1
    lengths = ends - starts + 1
    if lengths.max() > 10:
        raise rle.RleError("RLE value too large")
    group = np.repeat(np.arange(len(ends)), lengths)
    shift = 5 * (np.arange(len(codes)) - starts[group])
    values = np.bincount(group, weights=(codes & 31) << shift).astype(np.int64)
    negative = (codes[ends] & 16) != 0
    values[negative] -= np.int64(1) << (5 * lengths[negative])
    values[1::2] = np.cumsum(values[1::2])
    values[2::2] = np.cumsum(values[2::2])
    return int(values.sum()), int(values.min())


def _clamp(runs: list[int], pixels: int) -> list[int]:
    out, total = [], 0
    for run in runs:
        take = min(run, pixels - total)
        out.append(take)
        total += take
        if total >= pixels:
            break
    return out


def _paster(string: str, mh: int, mw: int, top: int, left: int, fh: int, fw: int):
    def load() -> np.ndarray:
        patch = rle.decode_row_major(string, mh, mw)
        canvas = np.zeros((fh, fw), dtype=bool)
        y0, x0 = max(top, 0), max(left, 0)
        y1, x1 = min(top + mh, fh), min(left + mw, fw)
        if y1 > y0 and x1 > x0:
            canvas[y0:y1, x0:x1] = patch[y0 - top : y1 - top, x0 - left : x1 - left]
        return canvas

    return load


def _describe(error: BaseException) -> str:
    if isinstance(error, KeyError):
        return f"missing key {error.args[0]!r}"
    return str(error) or type(error).__name__


def read(path: Path, ctx: ReadContext) -> Dataset:
    """Read an Encord JSON export (array of label rows, or one row) into a Dataset."""
    ctx.control.stage(f"Reading {path.name}")
    onto = _load_ontology(path, ctx)
    reader = _Reader(path, ctx, onto)
    with gc_paused():
        # The parsed JSON is handed over without another reference, so rows can be freed early.
        dataset = reader.read(load_json(path, ctx))
        del reader
        # Everything just built was made with the GC off, so the first collection after it would
        # walk all of it (~0.25 s per 100k objects), and later ones again: move it to the
        # permanent generation, as the COCO reader does. The model holds no reference cycles,
        # so it is still freed by reference counting.
        gc.freeze()
    return dataset


FORMAT = Format(
    name="encord",
    title="Encord JSON export",
    suffixes=(".json",),
    detect=detect,
    read=read,
    description="Encord label rows (images, image groups and sequences, videos, DICOM/NIfTI)",
)
