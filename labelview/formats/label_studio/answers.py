"""Non-region results as answers (choices, taxonomy, textarea, rating, number, …) and relations."""

from __future__ import annotations

from typing import Any

from labelview.formats._reading import Skip, mapping, take, text
from labelview.formats.label_studio.shapes import labels_of
from labelview.model import Answer, Relation

# Where each control type keeps its answer inside `value`.
_VALUE_KEYS = {
    "choices": "choices",
    "taxonomy": "taxonomy",
    "textarea": "text",
    "rating": "rating",
    "number": "number",
    "datetime": "datetime",
    "ranker": "ranker",
    "pairwise": "selected",
}
# A region's position, repeated in the value of a per-region answer: not part of the answer.
_POSITION_KEYS = frozenset(
    {
        "x",
        "y",
        "width",
        "height",
        "rotation",
        "points",
        "radiusX",
        "radiusY",
        "rle",
        "format",
        "start",
        "end",
        "closed",
    }
)


def answer_value(kind: str, value: Any) -> Any:
    """The answer a control result holds: one choice as text, several as a list; a taxonomy path
    joined with '/'; one text as text.
    """
    value = mapping(value, "value")
    key = _VALUE_KEYS.get(kind)
    if key is None:
        rest = {k: v for k, v in value.items() if k not in _POSITION_KEYS}
        if kind in rest:
            return rest[kind]
        return rest if len(rest) != 1 else next(iter(rest.values()))
    raw = take(value, key)
    if kind == "taxonomy" and isinstance(raw, list):
        raw = [
            "/".join(str(part) for part in path) if isinstance(path, list) else str(path)
            for path in raw
        ]
    if isinstance(raw, list) and len(raw) == 1 and kind in ("choices", "taxonomy", "textarea"):
        return raw[0]
    return raw


def answer(
    result: dict,
    kind: str,
    *,
    source: str,
    confidence: float | None,
    who: str | None,
) -> Answer:
    name = text(result.get("from_name") or kind, "from_name")
    extra = {"type": kind}
    for key in ("to_name", "origin", "readonly", "hidden"):
        if key in result:
            extra[key] = result[key]
    return Answer(
        name=name,
        value=answer_value(kind, result.get("value")),
        confidence=confidence,
        source=source,
        answered_by=who,
        extra=extra,
    )


def relation(result: dict, ids: dict[str, str]) -> Relation:
    """A `relation` result between two regions (by their result ids, mapped to object ids)."""
    first = text(take(result, "from_id"), "from_id")
    second = text(take(result, "to_id"), "to_id")
    missing = [rid for rid in (first, second) if rid not in ids]
    if missing:
        raise Skip(f"relation to regions not in this annotation: {', '.join(missing)}")
    direction = result.get("direction", "right")
    members = (ids[first], ids[second])
    if direction == "left":
        members = members[::-1]
    names = labels_of(result) or labels_of({"labels": result.get("labels")})
    extra = {"direction": direction}
    if len(names) > 1:
        extra["labels"] = names
    return Relation(
        name=names[0] if names else "relation",
        members=members,
        directed=direction != "bi",
        extra=extra,
    )
