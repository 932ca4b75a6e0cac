"""The Ango reader: assets to items, tasks to objects, classifications, relations and history."""

from __future__ import annotations

import math
from collections import Counter
from pathlib import Path, PurePosixPath
from typing import Any

from labelview.cancel import checked
from labelview.formats._reading import BAD_VALUE, CappedWarnings, Skip, describe, number, size
from labelview.formats.ango.answers import AnswersMixin, _merge_frames
from labelview.formats.ango.ontology import _load_ontology, _Ontology, _rgb
from labelview.formats.ango.shapes import ShapesMixin, _Skipped
from labelview.formats.ango.sources import Place, _sources
from labelview.formats.ango.status import StatusMixin
from labelview.formats.ango.values import iso_time, nonempty_str
from labelview.formats.base import ReadContext, gc_paused
from labelview.images import image_size, reference_parts
from labelview.model import Dataset, Frame, Item, ObjectLabel

_VIDEO_SUFFIXES = frozenset({".mp4", ".webm", ".mov", ".avi", ".mkv", ".m4v", ".ogv"})
_MAX_LOCATED = 20  # located warnings of one kind before the rest are only counted
_PROGRESS_EVERY = 200
_MAX_FRAMES = 200_000  # a bigger frameTotal is kept in extra only (no Frame per frame)


def read(path: Path, ctx: ReadContext) -> Dataset:
    """Read an Ango Hub export (JSON array, single asset, NDJSON, or a zip of those)."""
    reader = _Reader(path, ctx, _load_ontology(path, ctx))
    # One pause for the whole read: re-enabling the GC between assets makes it walk the whole
    # parsed export again and again (measured: 2.5× slower on a 100 MB export).
    with gc_paused():
        for source in _sources(path, ctx):
            for count, (at, asset) in enumerate(source.assets):
                ctx.check_cancelled()
                if count % _PROGRESS_EVERY == 0:
                    ctx.progress(source.done(), source.total)
                reader.asset(at, asset)
            ctx.progress(source.total, source.total)
    reader.finish()
    if not reader.dataset.items and not reader.seen:
        raise ctx.fail("", "no assets in the export")
    return reader.dataset


# Ango tool names as the model's shape kinds (Category.shape).
_SHAPES = {
    "bounding-box": "box",
    "rotated-bounding-box": "rotated_box",
    "polygon": "polygon",
    "polyline": "polyline",
    "point": "point",
    "segmentation": "polygon",
    "brush": "mask",
}


class _Reader(ShapesMixin, AnswersMixin, StatusMixin):
    def __init__(self, path: Path, ctx: ReadContext, ontology: _Ontology) -> None:
        self.path = path
        self.ctx = ctx
        self.ontology = ontology
        self.dataset = Dataset()
        self.dataset.meta["ango"] = {"ontology": ontology.file, "generations": Counter()}
        # URL map, then the folders beside the export and --images.
        self.images = ctx.images
        self.ids: set[str] = set()
        self.seen = 0
        self.capped = CappedWarnings(self.ctx, _MAX_LOCATED)
        self.undrawn: Counter[str] = Counter()
        self.inferred_rotation = 0
        self.strings: dict[str, str] = {}

    def shared(self, value: Any) -> Any:
        """One copy of each short repeated string (titles, answers, emails): parsed JSON makes a new
        str object per occurrence, ~60 bytes each, several per object.
        """
        if isinstance(value, str) and len(value) <= 64:
            return self.strings.setdefault(value, value)
        return value

    # -- warnings ---------------------------------------------------------------------------------

    def warn(self, kind: str, where: Place | str, message: str, **ids: str | None) -> None:
        """A located warning; after _MAX_LOCATED of one kind, the rest are only counted."""
        self.capped(kind, str(where), message, **ids)

    def finish(self) -> None:
        self.capped.finish()
        if self.undrawn:
            listed = ", ".join(f"{tool} {n:,}" for tool, n in self.undrawn.most_common())
            self.ctx.warn("", f"objects kept without a drawable shape (data in extra): {listed}")
        if self.inferred_rotation:
            self.ctx.warn(
                "",
                f"{self.inferred_rotation:,} rotated boxes have no corners: (x, y) taken as the "
                "rotated first corner and pivot (the export convention); check them",
            )
        generations = self.dataset.meta["ango"]["generations"]
        self.dataset.meta["ango"]["generations"] = dict(generations)

    # -- assets -----------------------------------------------------------------------------------

    def asset(self, at: Place, asset: Any) -> None:
        self.seen += 1
        if not isinstance(asset, dict):
            self.ctx.error(at(), f"asset is {type(asset).__name__}, not an object; skipped")
            return
        try:
            item = self._item(at, asset)
        except BAD_VALUE as error:
            self.ctx.error(at(), f"asset skipped: {describe(error)}")
            return
        if item is not None:
            self.dataset.items.append(item)

    def _item(self, at: Place, asset: dict) -> Item | None:
        task = asset.get("task")
        tasks_raw = asset.get("tasks")
        if isinstance(task, dict):
            generation, tasks, geom_key, task_path = "v3", [task], "tools", [("task",)]
        elif isinstance(tasks_raw, list):
            generation, geom_key = "v2", "objects"
            tasks = [t for t in tasks_raw if isinstance(t, dict)]
            task_path = [("tasks", i) for i, t in enumerate(tasks_raw) if isinstance(t, dict)]
            if len(tasks) < len(tasks_raw):
                self.ctx.warn(at("tasks"), "task entries that are not objects were skipped")
        else:
            self.ctx.error(
                at(),
                "asset has neither a `task` object (v3) nor a `tasks` list (v2); skipped",
            )
            return None
        self.dataset.meta["ango"]["generations"][generation] += 1

        external = asset.get("externalId")
        external = str(external) if external not in (None, "") else None
        url = asset.get("asset") if isinstance(asset.get("asset"), str) else None
        url_name = reference_parts(url).name if url else ""
        item_id = self._item_id(asset, tasks, at)
        name = external or url_name or item_id
        image = external if external and PurePosixPath(external).suffix else (url or external)

        metadata = asset.get("metadata") if isinstance(asset.get("metadata"), dict) else {}
        pages = asset.get("dataset") if isinstance(asset.get("dataset"), list) else None
        frame_total = metadata.get("frameTotal")
        suffix = PurePosixPath(url_name or external or "").suffix.lower()
        if pages:
            kind = "group"
        elif frame_total or metadata.get("frameRate") or suffix in _VIDEO_SUFFIXES:
            kind = "video"
        elif suffix == ".dcm":
            kind = "dicom"
        else:
            kind = "image"
        if kind == "image" and any(
            isinstance(o, dict) and isinstance(o.get("page"), int) and o["page"] > 0
            for t in tasks
            for o in (t.get(geom_key) if isinstance(t.get(geom_key), list) else ())
        ):
            kind = "sequence"
        multi_frame = kind != "image"

        item = Item(id=item_id, name=name, kind=kind, image=image, image_path=self.images.find(url))
        try:
            item.width = size(metadata.get("width"), "width")
            item.height = size(metadata.get("height"), "height")
        except Skip as error:
            item.width = item.height = None  # taken from the image, brush mask or extent below
            self.warn("bad image size", at("metadata"), describe(error), item=item.id)
        if not (item.width and item.height):
            item.width = item.height = None
        if isinstance(metadata.get("frameRate"), int | float) and metadata["frameRate"] > 0:
            item.fps = float(metadata["frameRate"])
        if pages:
            item.frames = [
                Frame(
                    index=i, image=p, name=reference_parts(p).name, image_path=self.images.find(p)
                )
                for i, p in enumerate(pages)
                if isinstance(p, str)
            ]
        elif kind == "video" and _frame_count(frame_total) is not None:
            item.frames = [Frame(index=i) for i in range(_frame_count(frame_total) or 0)]

        extra = {k: v for k, v in asset.items() if k not in ("task", "tasks", "dataset")}
        extra["generation"] = generation
        if isinstance(extra.get("batches"), list):
            extra["batches"] = [b for b in extra["batches"] if b is not None]
        item.extra = extra

        multi = len(tasks) > 1
        for index, (one, path) in enumerate(checked(zip(tasks, task_path, strict=True), self.ctx)):
            tag = (
                {"task": one.get("taskId"), "task_index": index, "labeler": one.get("completedBy")}
                if multi
                else None
            )
            self._task(at.child(*path), one, geom_key, item, tag, multi_frame=multi_frame)
        if generation == "v3":
            self._v3_status(at, tasks[0], item)
        else:
            self._v2_status(asset, tasks, item)
        if multi:
            labelers = ", ".join(str(t.get("completedBy") or "?") for t in tasks)
            self.ctx.warn(
                at("tasks"),
                f"asset has {len(tasks)} tasks ({labelers}): every task's objects are shown, "
                "each tagged with its task (extra.task) and labeler (created_by)",
                item=item.id,
            )
        self._size(at, item, external, url)
        return item

    def _item_id(self, asset: dict, tasks: list[dict], at: Place) -> str:
        candidates = [asset.get("assetId"), *(t.get("taskId") for t in tasks[:1])]
        base = next((str(c) for c in candidates if c not in (None, "")), None)
        if base is None:
            base = f"asset-{self.seen - 1}"
        item_id = base
        if item_id in self.ids:
            item_id = f"{base}#{self.seen - 1}"
            self.ctx.warn(at(), f"duplicate asset id {base!r}; this one is {item_id!r}")
        self.ids.add(item_id)
        return item_id

    def _size(self, at: Place, item: Item, external: str | None, url: str | None) -> None:
        brush_size = item.extra.pop("brush_size", None)
        if item.width and item.height:
            return
        for found in (item.image_path, self.images.find(external), self.images.find(url)):
            size = image_size(found) if found is not None else None
            if size:
                item.width, item.height = size
                return
        if brush_size:
            item.width, item.height = brush_size
            return
        bounds = [obj.geometry.bounds() for obj in item.objects if obj.geometry is not None]
        if bounds:
            item.width = max(1, math.ceil(max(b[2] for b in bounds)))
            item.height = max(1, math.ceil(max(b[3] for b in bounds)))
            self.warn(
                "image size taken from the annotations' extent",
                at("metadata"),
                f"no width/height in metadata and no local image: size taken from the "
                f"annotations' extent ({item.width}×{item.height}), the image may be larger",
                item=item.id,
            )
        else:
            self.warn(
                "image size unknown",
                at("metadata"),
                "no width/height in metadata and no local image: size unknown",
                item=item.id,
            )

    # -- tasks ------------------------------------------------------------------------------------

    def _task(
        self,
        at: Place,
        task: dict,
        geom_key: str,
        item: Item,
        tag: dict | None,
        *,
        multi_frame: bool,
    ) -> None:
        labeler = task.get("completedBy") if isinstance(task.get("completedBy"), str) else None
        tools = task.get(geom_key)
        if tools is None and geom_key == "objects" and isinstance(task.get("tools"), list):
            tools = task["tools"]  # a v2-shaped asset with v3-named tools: take them anyway
        if tools is not None and not isinstance(tools, list):
            self.ctx.warn(at(geom_key), f"{geom_key} is not a list; ignored", item=item.id)
            tools = None
        known_ids: set[str] = set()
        for index, entry in enumerate(checked(tools or (), self.ctx)):
            where = at.child(geom_key, index)
            if not isinstance(entry, dict):
                self.warn(
                    "tool entry not an object",
                    where,
                    "tool entry is not an object; skipped",
                    item=item.id,
                )
                continue
            try:
                obj = self._object(where, entry, item, tag, labeler, multi_frame=multi_frame)
            except _Skipped:
                continue
            except BAD_VALUE as error:
                self.warn(
                    "bad tool",
                    where,
                    f"object skipped: {describe(error)}",
                    item=item.id,
                    obj=nonempty_str(entry.get("objectId")),
                )
                continue
            if obj is not None:
                item.objects.append(obj)
                if obj.id:
                    known_ids.add(obj.id)
        self._brush(at, task, item, tag)

        classes = task.get("classifications")
        if isinstance(classes, list):
            answers = self._answers(at.child("classifications"), classes, item, 0)
            for answer in _merge_frames(answers) if multi_frame else answers:
                if tag is not None:
                    answer.extra = {**(answer.extra or {}), "task": tag["task"]}
                item.classifications.append(answer)
        relations = task.get("relations")
        if isinstance(relations, list):
            for index, entry in enumerate(checked(relations, self.ctx)):
                relation = self._relation(at.child("relations", index), entry, item, known_ids)
                if relation is not None:
                    if tag is not None:
                        relation.extra = {**(relation.extra or {}), "task": tag["task"]}
                    item.relations.append(relation)

    def _object(
        self,
        where: Place,
        entry: dict,
        item: Item,
        tag: dict | None,
        labeler: str | None,
        *,
        multi_frame: bool,
    ) -> ObjectLabel | None:
        object_id = nonempty_str(entry.get("objectId"))
        page = entry.get("page")
        frame = page if isinstance(page, int) and (multi_frame or page > 0) else None
        if entry.get("interpolationStopped"):
            # The track ends on this frame: iMerit's own tools draw and count nothing here.
            ends = item.extra.setdefault("track_ends", {})
            if object_id is not None:
                ends[object_id] = page
            return None
        title = entry.get("title")
        schema_id = nonempty_str(entry.get("schemaId"))
        if not isinstance(title, str) or not title:
            schema = self.ontology.schemas.get(schema_id or "")
            title = schema.get("title") if schema else None
            if not isinstance(title, str) or not title:
                title = schema_id or "unknown"
                self.warn(
                    "object without title",
                    where,
                    f"no title: named {title!r}",
                    item=item.id,
                    obj=object_id,
                )

        geometry, tool, extra = self._geometry(where, entry, item, object_id)
        category = self.dataset.categories.get(title)
        if category is None:
            schema = self.ontology.schemas.get(schema_id or "", {})
            kind = schema.get("tool") or tool
            category = self.dataset.category(
                title,
                id=schema_id,
                color=_rgb(schema.get("color")),
                shape=_SHAPES.get(kind or "", kind),
            )
        elif schema_id and category.id != schema_id:
            # One title, several schemas (e.g. a box and a polygon tool both called "car").
            ids = category.extra.setdefault("schemaIds", [category.id])
            if schema_id not in ids:
                ids.append(schema_id)

        if extra.get("schemaId") == category.id:
            del extra["schemaId"]  # the category holds it: no dict per object for a million boxes
        metadata = entry.get("metadata") if isinstance(entry.get("metadata"), dict) else {}
        left = {
            k: v
            for k, v in metadata.items()
            if k not in ("createdBy", "createdAt", "updatedBy", "updatedAt")
        }
        if left:
            extra["metadata"] = left
        if tag is not None:
            extra.update(tag)
        attributes = []
        classes = entry.get("classifications")
        if isinstance(classes, list) and classes:
            attributes = self._answers(where.child("classifications"), classes, item, 0)
        confidence = entry.get("confidence")
        shared = self.shared
        return ObjectLabel(
            category=category.name,
            geometry=geometry,
            id=object_id,
            frame=frame,
            track=object_id if multi_frame else None,  # the same objectId on every frame
            attributes=attributes,
            confidence=_optional_number(confidence),
            # "import" marks uploaded labels (pre-labels or migrated work): origin unknown.
            source=None if metadata.get("createdBy") == "import" else "manual",
            created_by=shared(nonempty_str(metadata.get("createdBy"))) or labeler,
            created_at=iso_time(metadata.get("createdAt")),
            updated_by=shared(nonempty_str(metadata.get("updatedBy"))),
            updated_at=iso_time(metadata.get("updatedAt")),
            extra=extra or None,
        )


def _frame_count(value: Any) -> int | None:
    """frameTotal when it is a frame count we make Frames for (bigger ones stay in extra only)."""
    try:
        count = size(value, "frameTotal")
    except Skip:
        return None
    return count if count is not None and count <= _MAX_FRAMES else None


def _optional_number(value: Any) -> float | None:
    """A number when there is a usable one: a bad confidence must not cost the object."""
    try:
        return None if value is None else number(value)
    except Skip:
        return None
