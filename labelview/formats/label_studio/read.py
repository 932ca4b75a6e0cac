"""Reading a Label Studio task export: tasks to items, annotations and predictions to objects."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Any

from labelview.formats._reading import (
    BAD_VALUE,
    CappedWarnings,
    Skip,
    at,
    describe,
    number,
    sequence,
    size,
)
from labelview.formats.base import ReadContext, gc_paused, load_json
from labelview.formats.label_studio import answers, media
from labelview.formats.label_studio.shapes import REGION_TYPES, labels_of, shape
from labelview.images import image_size
from labelview.model import Answer, Dataset, Frame, Item, ObjectLabel, StageEvent

_MAX_LOCATED = 20  # located warnings of one kind before the rest are only counted
_PROGRESS_EVERY = 200
_TRAILING_INDEX = re.compile(r"_(\d+)$")
# Result types whose regions have no image shape we draw (text spans, audio and video regions).
_UNDRAWN = frozenset(
    {
        "labels",
        "hypertextlabels",
        "paragraphlabels",
        "timeserieslabels",
        "videorectangle",
        "timelinelabels",
    }
)
_RESULT_FIELDS = (
    "from_name",
    "to_name",
    "type",
    "origin",
    "readonly",
    "hidden",
    "parentID",
    "image_rotation",
    "item_index",
)


def read(path: Path, ctx: ReadContext) -> Dataset:
    """Read a Label Studio JSON (or JSON-MIN) export into a Dataset."""
    data = load_json(path, ctx)
    if isinstance(data, dict):
        tasks, prefix = [data], None  # one task, as the API returns it
    elif isinstance(data, list):
        tasks, prefix = data, 0
    else:
        raise ctx.fail("", "not a Label Studio export: expected a list of tasks")
    from labelview.formats.label_studio.minimal import is_minimal, read_minimal

    if is_minimal(tasks):
        return read_minimal(tasks, ctx)
    reader = TaskReader(ctx)
    with gc_paused():
        for index, task in enumerate(tasks):
            ctx.check_cancelled()
            if index % _PROGRESS_EVERY == 0:
                ctx.progress(index, len(tasks))
            where = at(index) if prefix is not None else ""
            if not isinstance(task, dict):
                ctx.error(where, "task is not an object; skipped")
                continue
            try:
                reader.task(where, task, index)
            except BAD_VALUE as error:
                ctx.error(where, f"task skipped: {describe(error)}")
    ctx.progress(len(tasks), len(tasks))
    reader.finish()
    return reader.dataset


def person(value: Any) -> str | None:
    """`completed_by` as written: a user id, or a user object (email first)."""
    if isinstance(value, dict):
        for key in ("email", "username", "id"):
            if value.get(key) not in (None, ""):
                return str(value[key])
        return None
    if value is None or isinstance(value, bool):
        return None
    return str(value)


class TaskReader:
    """Builds items from tasks; shared by the full and the JSON-MIN reader."""

    def __init__(self, ctx: ReadContext) -> None:
        self.ctx = ctx
        self.dataset = Dataset()
        self.images = ctx.images
        self.ids: set[str] = set()
        self.capped = CappedWarnings(self.ctx, _MAX_LOCATED)
        self.undrawn: Counter[str] = Counter()
        self.unplaced = 0
        self.rotated_images = 0
        self.found_images = 0
        self.image_refs = 0
        self.object_ids: set[str] = set()  # of the task being read: region ids are per annotation

    # -- warnings ---------------------------------------------------------------------------------

    def warn(self, kind: str, where: str, message: str, **ids: str | None) -> None:
        """A located warning; after _MAX_LOCATED of one kind, the rest are only counted."""
        self.capped(kind, where, message, **ids)

    def finish(self) -> None:
        self.capped.finish()
        if self.undrawn:
            listed = ", ".join(f"{kind} {n:,}" for kind, n in self.undrawn.most_common())
            self.ctx.warn("", f"regions kept without a drawable shape (value in extra): {listed}")
        if self.unplaced:
            self.ctx.warn(
                "",
                f"{self.unplaced:,} regions kept without a shape: no original_width/height and "
                "no local image, so their percent coordinates cannot be placed",
            )
        if self.rotated_images:
            self.ctx.warn(
                "",
                f"{self.rotated_images:,} regions were drawn on an image rotated in the editor "
                "(image_rotation); they are placed on the image as stored",
            )
        for _, obj in self.dataset.objects():
            if obj.category not in self.dataset.categories:
                self.dataset.category(obj.category, shape=obj.kind if obj.geometry else None)
        self.dataset.meta["label_studio"] = {
            "images_found": self.found_images,
            "image_references": self.image_refs,
        }

    # -- tasks ------------------------------------------------------------------------------------

    def item_id(self, where: str, raw: Any, index: int) -> str:
        base = str(raw) if raw not in (None, "") and not isinstance(raw, dict | list) else None
        base = base or f"task-{index}"
        item_id = base
        if item_id in self.ids:
            item_id = f"{base}#{index}"
            self.ctx.warn(where, f"duplicate task id {base!r}; this one is {item_id!r}")
        self.ids.add(item_id)
        return item_id

    def new_item(self, where: str, data: dict, to_names: list[str], item_id: str) -> Item:
        """An item for a task's `data`: an image, or a group when it lists several."""
        key = media.image_key(data, to_names)
        urls = media.image_urls(data[key], named=True) if key else None
        if not urls:
            item = Item(id=item_id, name=item_id, kind="other")
            self.warn("no image", at(where, "data"), "task data names no image", item=item_id)
        elif isinstance(data[key], list):
            item = Item(id=item_id, name=media.display_name(urls[0]), kind="group", image=urls[0])
            item.frames = [
                Frame(
                    index=i, image=url, name=media.display_name(url), image_path=self._locate(url)
                )
                for i, url in enumerate(urls)
            ]
        else:
            url = urls[0]
            item = Item(
                id=item_id, name=media.display_name(url), image=url, image_path=self._locate(url)
            )
        item.extra["data"] = {k: v for k, v in data.items() if k != key}
        if key:
            item.extra["image_key"] = key
        return item

    def _locate(self, url: str) -> Path | None:
        self.image_refs += 1
        found = media.locate(self.images, url)
        self.found_images += found is not None
        return found

    def task(self, where: str, task: dict, index: int) -> None:
        data = task.get("data")
        if not isinstance(data, dict):
            raise Skip("task has no 'data' object")
        annotations = task.get("annotations", task.get("completions")) or []
        predictions = task.get("predictions") or []
        annotations = sequence(annotations, "annotations")
        predictions = sequence(predictions, "predictions")
        results = [
            result
            for entry in (*annotations, *predictions)
            if isinstance(entry, dict) and isinstance(entry.get("result"), list)
            for result in entry["result"]
            if isinstance(result, dict)
        ]
        to_names = [r["to_name"] for r in results if isinstance(r.get("to_name"), str)]
        item = self.new_item(where, data, to_names, self.item_id(where, task.get("id"), index))
        self.object_ids = set()
        self.sizes(where, item, results)
        item.extra.update(
            {
                k: v
                for k, v in task.items()
                if k not in ("data", "annotations", "completions", "predictions")
            }
        )
        key = "annotations" if "annotations" in task else "completions"
        done = cancelled = 0
        for number_, entry in enumerate(annotations):
            here = at(where, key, number_)
            if not isinstance(entry, dict):
                self.warn("annotation not an object", here, "annotation is not an object; skipped")
                continue
            if self.annotation(here, entry, item):
                done += 1
            else:
                cancelled += 1
        for number_, entry in enumerate(predictions):
            here = at(where, "predictions", number_)
            if not isinstance(entry, dict):
                self.warn("prediction not an object", here, "prediction is not an object; skipped")
                continue
            self.prediction(here, entry, item)
        if any(event.extra and event.extra.get("ground_truth") for event in item.history):
            item.status = "ground truth"
        elif done:
            item.status = "labeled"
        elif cancelled:
            item.status = "skipped"
        elif predictions:
            item.status = "predicted"
        else:
            item.status = "unlabeled"
        self.dataset.items.append(item)

    def sizes(self, where: str, item: Item, results: list[dict]) -> None:
        """Image (and frame) sizes from the results' original_width/height, else the image file."""
        for result in results:
            try:
                width = size(result.get("original_width"), "original_width")
                height = size(result.get("original_height"), "original_height")
            except Skip as error:
                self.warn("bad size", where, describe(error), item=item.id)
                continue
            if not (width and height):
                continue
            frame = self.frame_of(result, item)
            if frame is not None and frame < len(item.frames):
                target = item.frames[frame]
                if not target.width:
                    target.width, target.height = width, height
            elif not item.width:
                item.width, item.height = width, height
        if item.kind == "group" and item.frames and not item.width:
            first = item.frames[0]
            item.width, item.height = first.width, first.height
        for target in (item, *item.frames):
            if not target.width and target.image_path is not None:
                found = image_size(target.image_path)
                if found:
                    target.width, target.height = found

    def frame_of(self, result: dict, item: Item) -> int | None:
        """The image of a multi-image task a result is on: `item_index`, else a Repeater's
        `to_name` suffix (`page_2`), else the first.
        """
        if item.kind != "group":
            return None
        index = result.get("item_index")
        if isinstance(index, int) and not isinstance(index, bool) and index >= 0:
            return index
        match = _TRAILING_INDEX.search(str(result.get("to_name") or ""))
        return int(match.group(1)) if match else 0

    # -- annotations and predictions --------------------------------------------------------------

    def annotation(self, where: str, entry: dict, item: Item) -> bool:
        """Read one annotation; False when it was cancelled (skipped by its annotator)."""
        who = person(entry.get("completed_by"))
        cancelled = bool(entry.get("was_cancelled") or entry.get("skipped"))
        results = entry.get("result") or []
        extra = {
            k: entry[k] for k in ("id", "ground_truth", "updated_at", "result_count") if k in entry
        }
        lead_time = entry.get("lead_time")
        item.history.append(
            StageEvent(
                stage="annotation",
                actor=who,
                action="cancelled" if cancelled else "submitted",
                at=_text_or_none(entry.get("created_at")),
                duration=_seconds(lead_time),
                extra=extra,
            )
        )
        if cancelled:
            if results:
                self.warn(
                    "cancelled annotation",
                    where,
                    f"cancelled annotation with {len(results)} results: not shown",
                    item=item.id,
                )
            return False
        if item.labeler is None:
            item.labeler = who
        tag = {"annotation": entry.get("id")}
        self.results(
            at(where, "result"),
            results,
            item,
            source="manual",
            who=who,
            when=entry.get("created_at"),
            confidence=None,
            tag=tag,
        )
        return True

    def prediction(self, where: str, entry: dict, item: Item) -> None:
        model = entry.get("model_version")
        score = entry.get("score")
        try:
            score = number(score, "score") if score is not None else None
        except Skip as error:
            self.warn("bad score", at(where, "score"), describe(error), item=item.id)
            score = None
        item.history.append(
            StageEvent(
                stage="prediction",
                actor=str(model) if model not in (None, "") else None,
                action="predicted",
                at=_text_or_none(entry.get("created_at")),
                extra={k: entry[k] for k in ("id", "score") if k in entry},
            )
        )
        tag = {"prediction": entry.get("id"), "model_version": model}
        self.results(
            at(where, "result"),
            entry.get("result") or [],
            item,
            source="model",
            who=None,
            when=entry.get("created_at"),
            confidence=score,
            tag=tag,
        )

    def results(
        self,
        where: str,
        results: Any,
        item: Item,
        *,
        source: str,
        who: str | None,
        when: Any,
        confidence: float | None,
        tag: dict,
    ) -> None:
        """One annotation's (or prediction's) results: regions first, then the answers that share
        a region's id (its attributes, or its label), then item answers and relations.
        """
        try:
            results = sequence(results, "result")
        except Skip as error:
            self.warn("bad result list", where, describe(error), item=item.id)
            return
        regions: dict[str, ObjectLabel] = {}
        ids: dict[str, str] = {}
        later: list[tuple[str, dict, str]] = []
        created = when if isinstance(when, str) else None
        for index, result in enumerate(results):
            here = at(where, index)
            if not isinstance(result, dict):
                self.warn(
                    "result not an object", here, "result is not an object; skipped", item=item.id
                )
                continue
            kind = str(result.get("type") or "").lower()
            if kind not in REGION_TYPES:
                later.append((here, result, kind))
                continue
            try:
                obj = self.region(here, result, kind, item, source, confidence, tag)
            except BAD_VALUE as error:
                self.warn(
                    f"{kind} skipped", here, f"{kind} skipped: {describe(error)}", item=item.id
                )
                continue
            obj.created_by, obj.created_at = who, created
            self.add(item, obj, result, regions, ids, tag)
        for here, result, kind in later:
            if kind == "relation":
                continue
            rid = str(result.get("id")) if result.get("id") is not None else None
            target = regions.get(rid) if rid is not None else None
            try:
                if kind in _UNDRAWN or (kind.endswith("labels") and target is None):
                    if target is not None:
                        # A <Labels> control naming a region drawn by a plain tool.
                        names = labels_of(result.get("value"))
                        if names and target.extra and target.extra.get("unlabelled"):
                            target.category = names[0]
                            target.extra.pop("unlabelled")
                            if len(names) > 1:
                                target.attributes.append(Answer("labels", names))
                        continue
                    obj = self.undrawn_region(result, kind, item, source, confidence, tag)
                    obj.created_by, obj.created_at = who, created
                    self.add(item, obj, result, regions, ids, tag)
                    continue
                score = _score(result, confidence) if source == "model" else None
                found = answers.answer(
                    result, kind or "unknown", source=source, confidence=score, who=who
                )
            except BAD_VALUE as error:
                self.warn(
                    f"{kind} skipped",
                    here,
                    f"{kind or 'result'} skipped: {describe(error)}",
                    item=item.id,
                )
                continue
            (target.attributes if target is not None else item.classifications).append(found)
        for obj in regions.values():
            if obj.extra:
                obj.extra.pop("unlabelled", None)  # no <Labels> result named it: its from_name
        for here, result, kind in later:
            if kind != "relation":
                continue
            try:
                item.relations.append(answers.relation(result, ids))
            except BAD_VALUE as error:
                self.warn(
                    "relation skipped", here, f"relation skipped: {describe(error)}", item=item.id
                )

    def add(
        self, item: Item, obj: ObjectLabel, result: dict, regions: dict, ids: dict, tag: dict
    ) -> None:
        rid = str(result["id"]) if result.get("id") is not None else None
        if rid is not None:
            unique = rid
            if rid in self.object_ids:
                origin = "prediction" if "prediction" in tag else "annotation"
                unique = f"{origin} {tag.get(origin)}/{rid}"
            obj.id = unique
            self.object_ids.add(unique)
            regions[rid] = obj
            ids[rid] = unique
        item.objects.append(obj)

    def region(
        self,
        where: str,
        result: dict,
        kind: str,
        item: Item,
        source: str,
        confidence: float | None,
        tag: dict,
    ) -> ObjectLabel:
        frame = self.frame_of(result, item)
        width, height = _size_for(result, item, frame)
        shape_kind = REGION_TYPES[kind]
        names = labels_of(result.get("value"))
        extra = _extra(result, tag)
        if source == "manual" and "score" in result:
            extra["score"] = result["score"]  # a prediction the annotator changed keeps it
        if not names:
            extra["unlabelled"] = True  # a plain tool: a <Labels> result with its id names it
        category = names[0] if names else str(result.get("from_name") or kind)
        if result.get("image_rotation"):
            self.rotated_images += 1
        geometry = None
        if width and height:
            geometry = shape(shape_kind, result.get("value"), width, height)
        else:
            self.unplaced += 1
            extra["value"] = result.get("value")
        value = result.get("value") if isinstance(result.get("value"), dict) else {}
        if shape_kind == "point" and "width" in value:
            extra["point_size"] = value["width"]
        obj = ObjectLabel(
            category,
            geometry,
            frame=frame,
            source=source,  # type: ignore[arg-type]
            confidence=_score(result, confidence) if source == "model" else None,
            extra=extra,
        )
        if len(names) > 1:
            obj.attributes.append(Answer("labels", names))
        return obj

    def undrawn_region(
        self, result: dict, kind: str, item: Item, source: str, confidence: float | None, tag: dict
    ) -> ObjectLabel:
        names = labels_of(result.get("value"))
        extra = _extra(result, tag)
        extra["value"] = result.get("value")
        self.undrawn[kind] += 1
        return ObjectLabel(
            names[0] if names else str(result.get("from_name") or kind),
            None,
            frame=self.frame_of(result, item),
            source=source,  # type: ignore[arg-type]
            confidence=_score(result, confidence) if source == "model" else None,
            extra=extra,
        )


def _text_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _seconds(value: Any) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool) and value >= 0:
        return float(value)
    return None


def _score(result: dict, fallback: float | None) -> float | None:
    """A prediction region's own `score`, else its prediction's."""
    score = result.get("score")
    if isinstance(score, int | float) and not isinstance(score, bool):
        return float(score)
    return fallback


def _extra(result: dict, tag: dict) -> dict:
    extra = {key: result[key] for key in _RESULT_FIELDS if key in result}
    extra.update({k: v for k, v in tag.items() if v is not None})
    return extra


def _size_for(result: dict, item: Item, frame: int | None) -> tuple[int | None, int | None]:
    """The pixel size a result's percents are of: its own, else its image's."""
    width, height = result.get("original_width"), result.get("original_height")
    if isinstance(width, int) and isinstance(height, int) and width > 0 and height > 0:
        return width, height
    if frame is not None and frame < len(item.frames) and item.frames[frame].width:
        return item.frames[frame].width, item.frames[frame].height
    return item.width, item.height
