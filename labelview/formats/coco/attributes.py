"""An annotation's `attributes` object, both ways.

Reading: plain keys become answers; a few keys name model fields instead (CVAT's and Encord's
`rotation`, `track_id` / `encord_track_uuid`, `source` / `manual_annotation`, `object_id`) and
Encord nests its answers under `classifications`. When any of those is present the source's
`attributes` object is also kept as it came (`ObjectLabel.extra["attributes"]`): the writer gives
it back unchanged while the model still says the same (`as_given`), so its keys survive a round
trip (Encord's `track_id` number, its `manual_annotation` flag, the nesting).
"""

from __future__ import annotations

from typing import Any

from labelview.formats.coco.read_shapes import keep
from labelview.model import ObjectLabel, RotatedBox
from labelview.model.classifications import flatten, from_flat

# Keys of `attributes` read as something other than an answer.
SPECIAL = frozenset(
    {
        "rotation",
        "encord_track_uuid",
        "track_id",
        "source",
        "manual_annotation",
        "object_id",
        "classifications",
    }
)


def read_attributes(obj: ObjectLabel, attributes: Any) -> float | None:
    """Fill answers, track, source and id from `attributes`; return the rotation, if set."""
    if not isinstance(attributes, dict):
        keep(obj, "attributes", attributes)
        return None
    rotation = _apply(obj, attributes)
    if not attributes.keys().isdisjoint(SPECIAL):
        keep(obj, "attributes", attributes)
    return rotation


def _apply(obj: ObjectLabel, attributes: dict) -> float | None:
    values = dict(attributes)
    rotation = values.pop("rotation", None)
    if rotation is not None:
        try:
            rotation = float(rotation)
        except (TypeError, ValueError):
            values["rotation"] = rotation
            rotation = None
    track = values.pop("encord_track_uuid", None)
    track_id = values.pop("track_id", None)
    if track is None:
        track = track_id
    if track is not None:
        obj.track = str(track)
    source = values.get("source")
    if source in ("manual", "model"):
        obj.source = values.pop("source")
    manual = values.get("manual_annotation")
    if isinstance(manual, bool):
        obj.source = "manual" if values.pop("manual_annotation") else "model"
    object_id = values.pop("object_id", None)
    if object_id is not None:
        obj.id = str(object_id)
    answers = []
    nested = values.pop("classifications", None)
    if isinstance(nested, dict):
        answers.extend(from_flat(nested))
    elif nested is not None:
        values["classifications"] = nested
    answers.extend(from_flat(values))
    obj.attributes = answers
    return rotation or None


def as_given(obj: ObjectLabel, written_id: int) -> Any:
    """The source's `attributes` as they came, when reading them again gives what `obj` holds
    now (answers, track, source, id, rotation); None otherwise.
    """
    given = (obj.extra or {}).get("attributes")
    if given is None:
        return None
    if not isinstance(given, dict):
        return given if not obj.attributes else None
    again = ObjectLabel(obj.category, None, str(written_id), confidence=obj.confidence)
    rotation = _apply(again, given)
    geometry = obj.geometry
    angle = geometry.angle if isinstance(geometry, RotatedBox) else None
    source = again.source
    if source is None and obj.confidence is not None:
        source = "model"  # what the reader makes of a `score`
    same = (
        again.track == obj.track
        and source == obj.source
        and again.id == obj.id
        and rotation == (angle or None)
        and flatten(again.attributes) == flatten(obj.attributes)
    )
    return given if same else None


def to_attributes(obj: ObjectLabel, frame: int | None, written_id: int) -> dict[str, Any]:
    """`attributes` for an object without source attributes to give back: its answers
    (flattened), and the rotation, track, source and a non-matching id under their COCO keys.
    """
    attributes = flatten(obj.attributes, frame)
    if isinstance(obj.geometry, RotatedBox):
        attributes.setdefault("rotation", obj.geometry.angle)
    if obj.track is not None:
        attributes.setdefault("track_id", as_number(obj.track))
    if obj.source is not None and not (obj.source == "model" and obj.confidence is not None):
        attributes.setdefault("source", obj.source)
    if obj.id is not None and obj.id != str(written_id):
        attributes.setdefault("object_id", as_number(obj.id))
    return attributes


def as_number(value: str) -> int | str:
    """Ids and track ids as ints when they are decimal integers (COCO tooling expects ints)."""
    if not isinstance(value, str):
        return str(value)  # a reader's id that is not text: written as text, never a crash
    if value.isdigit() and len(value) < 19 and str(int(value)) == value:
        return int(value)
    return value
