"""Label Studio's JSON-MIN export: one flat record per annotation.

A record holds the task's data keys, `id`, `annotator`, `annotation_id`, `created_at`,
`updated_at`, `lead_time`, and one key per control (its `from_name`): regions as a list of their
values (with `original_width`/`original_height` and the *labels key that names their type), a
single choice or text as a plain value. The result type is not written, so a region's type comes
from its labels key (or its keys: `points`, `rle`, `radiusX`, `x`), and a plain value is an answer.
"""

from __future__ import annotations

from typing import Any

from labelview.formats._reading import BAD_VALUE, at, describe
from labelview.formats.base import ReadContext
from labelview.formats.label_studio import media
from labelview.model import Answer, Dataset, StageEvent

_RECORD_KEYS = (
    "id",
    "annotator",
    "annotation_id",
    "created_at",
    "updated_at",
    "lead_time",
    "agreement",
)


def is_minimal(records: list) -> bool:
    """True when the records are JSON-MIN ones (no `data`/`annotations`, an `annotation_id`)."""
    first = next((r for r in records[:50] if isinstance(r, dict)), None)
    return (
        first is not None
        and "annotation_id" in first
        and "data" not in first
        and "annotations" not in first
    )


def _region_type(value: dict) -> str | None:
    for key in value:
        if key.endswith("labels") and isinstance(value[key], list):
            return key
    if "rle" in value:
        return "brush"
    if "points" in value:
        return "polygon"
    if "radiusX" in value:
        return "ellipse"
    if "x" in value and "y" in value:
        return "rectangle" if "height" in value else "keypoint"
    return None


def _plain(value: Any) -> Any:
    """A control's value as the answer: several choices (written as `[{"choices": […]}]`) as
    their list, one text or choice as it is.
    """
    if (
        isinstance(value, list)
        and value
        and all(isinstance(v, dict) and len(v) == 1 for v in value)
    ):
        inner = [next(iter(v.values())) for v in value]
        flat = [x for part in inner for x in (part if isinstance(part, list) else [part])]
        return flat[0] if len(flat) == 1 else flat
    return value


def read_minimal(records: list, ctx: ReadContext) -> Dataset:
    from labelview.formats.label_studio.read import TaskReader

    reader = TaskReader(ctx)
    for index, record in enumerate(records):
        ctx.check_cancelled()
        where = at(index)
        if not isinstance(record, dict):
            ctx.error(where, "record is not an object; skipped")
            continue
        try:
            _record(reader, where, record, index)
        except BAD_VALUE as error:
            ctx.error(where, f"record skipped: {describe(error)}")
    reader.finish()
    reader.dataset.meta["label_studio"]["variant"] = "JSON-MIN"
    return reader.dataset


def _record(reader: Any, where: str, record: dict, index: int) -> None:
    regions: dict[str, list[dict]] = {}
    plain: dict[str, Any] = {}
    data: dict[str, Any] = {}
    for key, value in record.items():
        if key in _RECORD_KEYS:
            continue
        if (
            isinstance(value, list)
            and value
            and all(isinstance(v, dict) and _region_type(v) for v in value)
        ):
            regions[key] = value
        elif media.image_urls(value) is not None:
            data[key] = value
        else:
            plain[key] = value
    item = reader.new_item(where, data, [], reader.item_id(where, record.get("id"), index))
    reader.object_ids = set()
    who = record.get("annotator")
    who = str(who) if who not in (None, "") else None
    results: list[dict] = []
    for name, value in regions.items():
        for region in value:
            result = {
                k: region[k]
                for k in ("original_width", "original_height", "image_rotation")
                if k in region
            }
            result.update({"from_name": name, "type": _region_type(region), "value": region})
            results.append(result)
    answers = [
        Answer(name, _plain(value), source="manual", answered_by=who)
        for name, value in plain.items()
    ]
    reader.sizes(where, item, results)
    reader.results(
        where,
        results,
        item,
        source="manual",
        who=who,
        when=record.get("created_at"),
        confidence=None,
        tag={"annotation": record.get("annotation_id")},
    )
    item.classifications.extend(answers)
    lead_time = record.get("lead_time")
    item.history.append(
        StageEvent(
            stage="annotation",
            actor=who,
            action="submitted",
            at=record.get("created_at") if isinstance(record.get("created_at"), str) else None,
            duration=float(lead_time) if isinstance(lead_time, int | float) else None,
            extra={
                k: record[k] for k in ("annotation_id", "updated_at", "agreement") if k in record
            },
        )
    )
    item.labeler = who
    item.status = "labeled"
    reader.dataset.items.append(item)
