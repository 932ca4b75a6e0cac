"""Encord objects: one entry of a frame's `objects` (or an audio/text row's object answers) as
an ObjectLabel, and the categories they name.
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from labelview.cancel import checked
from labelview.formats._reading import (
    BAD_VALUE,
    MAX_COORDINATE,
    Skip,
    at,
    describe,
    number,
    optional_text,
)
from labelview.formats.base import ReadContext
from labelview.formats.encord.answers import RowState, build_answers
from labelview.formats.encord.ontology import Ontology, skeleton_of
from labelview.formats.encord.shapes import Shapes
from labelview.formats.encord.values import TIME_CACHE, iso_time, ordered, rgb, source, xy
from labelview.model import (
    Answer,
    Box,
    Dataset,
    Item,
    ObjectLabel,
    Point,
    Polyline,
    RotatedBox,
)

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
        "reviews",  # read into the item's history
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
_DEFAULTS = {"isDeleted": False}
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
    raise ImportError("labelview.model.ObjectLabel changed its fields; update encord.objects")


class Objects:
    """Reads objects and their categories; the state one export's objects share."""

    def __init__(self, ctx: ReadContext, onto: Ontology) -> None:
        self.ctx = ctx
        self.onto = onto
        self.dataset = Dataset()
        self.shapes = Shapes(self.dataset, ctx)
        # Static object answers by (featureHash, raw JSON): exports repeat the same few answers.
        self.shared_answers: dict[tuple[str | None, bytes], list[Answer]] = {}
        for feature, obj in self.onto.objects.items():
            if obj.get("shape") not in ("audio", "text"):
                name = str(obj.get("name") or feature)
                try:
                    self._category(name, feature, obj.get("shape"), obj.get("color"), obj)
                except BAD_VALUE as error:
                    message = f"ontology object {name!r} not used: {describe(error)}"
                    ctx.warn("", message, file=onto.path)

    def _category(
        self, name: str, feature: str | None, shape: str | None, color: Any, entry: Any = None
    ) -> None:
        if name in self.dataset.categories:
            return
        if not isinstance(shape, str):
            shape = None
        extra: dict[str, Any] = {}
        if shape:
            extra["encord_shape"] = shape
        if entry is not None and entry.get("id") is not None:
            extra["ontology_id"] = entry["id"]
        skeleton = layout = None
        if shape == "skeleton":
            template = self.onto.template_for(feature, name)
            if template is not None:
                try:
                    skeleton, by_hash, by_key = skeleton_of(template)
                    layout = (by_hash, by_key)
                except BAD_VALUE as error:
                    message = f"skeleton template of {name!r} not used: {describe(error)}"
                    self.ctx.warn("", message, file=self.onto.path)
        self.shapes.layouts[name] = layout
        self.dataset.category(
            name,
            id=feature,
            color=rgb(color),
            shape=_OUR_SHAPES.get(shape or "", shape),
            skeleton=skeleton,
            extra=extra,
        )

    def text_objects(self, index: int, answers: dict, item: Item, state: RowState) -> None:
        """Audio / text rows: objects live in object_answers with a range (milliseconds or
        characters, kept in extra), without geometry.
        """
        for key, entry in checked(answers.items(), self.ctx):
            if "name" not in entry:
                continue
            name = str(entry.get("name"))
            feature = entry.get("featureHash")
            self._category(name, feature, entry.get("shape"), entry.get("color"))
            try:
                attributes = build_answers(
                    entry.get("classifications") or [], self.onto.tree_of(feature), self.onto
                )
                item.objects.append(
                    ObjectLabel(
                        category=name,
                        geometry=None,
                        id=optional_text(entry.get("objectHash") or key, "objectHash"),
                        attributes=attributes,
                        source=source(entry),
                        created_by=optional_text(entry.get("createdBy"), "createdBy"),
                        created_at=iso_time(entry.get("createdAt")),
                        extra={
                            k: v
                            for k, v in entry.items()
                            if k in ("shape", "range", "range_html", "featureHash")
                        },
                    )
                )
            except BAD_VALUE as error:
                self.ctx.warn(
                    at(index, "object_answers", key),
                    f"object skipped: {describe(error)}",
                    item=item.name,
                )

    def object(
        self,
        obj: dict,
        frame: int | None,
        width: float,
        height: float,
        state: RowState,
        base: tuple,
        position: int,
    ) -> ObjectLabel | None:
        shape = obj.get("shape")
        name = str(obj.get("name") or obj.get("value") or obj.get("featureHash") or "object")
        feature = obj.get("featureHash")
        if name not in self.dataset.categories:
            self._category(name, feature, shape, obj.get("color"))
        object_hash = optional_text(obj.get("objectHash"), "objectHash")  # ids are text downstream
        extra = None
        if "skeleton" in obj and shape in (None, "skeleton"):
            geometry, extra = self.shapes.keypoints(obj["skeleton"], name, width, height)
        elif "bitmask" in obj and shape in (None, "bitmask"):
            path = (*base, "objects", position)
            geometry = self.shapes.mask(obj["bitmask"], width, height, path, object_hash)
        elif shape == "bounding_box":
            b = obj["boundingBox"]
            x, y, w, h = b["x"] * width, b["y"] * height, b["w"] * width, b["h"] * height
            # One comparison, not an accessor per value (the hot loop); `not <=` catches NaN too.
            if not abs(x) + abs(y) + abs(w) + abs(h) <= MAX_COORDINATE:
                raise Skip("box coordinates are far outside any image")
            geometry = Box(x, y, w, h)
        elif shape == "rotatable_bounding_box":
            b = obj["rotatableBoundingBox"]
            x, y, w, h = b["x"] * width, b["y"] * height, b["w"] * width, b["h"] * height
            # One comparison, not an accessor per value (the hot loop); `not <=` catches NaN too.
            if not abs(x) + abs(y) + abs(w) + abs(h) <= MAX_COORDINATE:
                raise Skip("box coordinates are far outside any image")
            theta = b.get("theta")
            geometry = RotatedBox(
                x + w / 2, y + h / 2, w, h, number(theta, "theta") if theta else 0.0
            )
        elif shape == "polygon":
            geometry = self.shapes.polygon(obj, width, height)
        elif shape == "polyline":
            geometry = Polyline.from_points(xy(ordered(obj["polyline"]), width, height))
        elif shape == "point":
            p = ordered(obj["point"])[0]
            x, y = p["x"] * width, p["y"] * height
            if not abs(x) + abs(y) <= MAX_COORDINATE:
                raise Skip("point is far outside any image")
            geometry = Point(x, y)
        else:
            geometry = None
            state.unknown[str(shape)] += 1
            if state.unknown[str(shape)] == 1:
                self.ctx.warn(
                    at(*base, "objects", position),
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
            TIME_CACHE.get(created) or iso_time(created),
            obj.get("lastEditedBy"),
            TIME_CACHE.get(edited) or iso_time(edited),
            None,
            extra,
        )
