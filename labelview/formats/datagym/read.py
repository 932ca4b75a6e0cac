"""Reading a DataGym project export: the label classes, then one item per task."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from labelview.cancel import checked
from labelview.formats._reading import BAD_VALUE, at, describe, number, size
from labelview.formats.base import ReadContext, load_json
from labelview.formats.datagym.detect import not_export_reason
from labelview.formats.datagym.values import GEOMETRY_TYPES, SHAPES, answers, geometry
from labelview.formats.datagym.video import (
    find_task_export,
    read_video_task,
    task_id_of,
    video_objects,
)
from labelview.images import default_roots, image_size, is_file
from labelview.model import Dataset, Item, ObjectLabel, Relation, StageEvent

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


def read(path: Path, ctx: ReadContext) -> Dataset:
    """Read a DataGym project export (or a per-task video export) into a Dataset."""
    data = load_json(path, ctx)
    if isinstance(data, dict):
        if isinstance(data.get("object"), dict) and "frames" in data:
            return read_video_task(path, data, ctx)
        reason = not_export_reason(_head(path))
        raise ctx.fail("top level", reason or "not a DataGym export: expected a JSON array")
    if not isinstance(data, list):
        raise ctx.fail("top level", "not a DataGym export: expected a JSON array")
    reader = ProjectReader(path, ctx)
    if not data:
        return reader.dataset  # an empty project exports []
    head = data[0]
    if not isinstance(head, dict) or "label_classes" not in head:
        reason = not_export_reason(_head(path))
        raise ctx.fail(
            "[0]", reason or "not a DataGym export: the first element has no 'label_classes'"
        )
    reader.label_classes(head)
    total = len(data) - 1
    for index in range(1, len(data)):
        ctx.check_cancelled()
        if index % 200 == 0:
            ctx.progress(index - 1, total)
        task = data[index]
        if not isinstance(task, dict):
            ctx.error(at(index), "task is not an object; skipped")
            continue
        try:
            reader.dataset.items.append(reader.task(index, task))
        except BAD_VALUE as error:
            ctx.error(at(index), f"task skipped: {describe(error)}")
    ctx.progress(total, total)
    return reader.dataset


def _head(path: Path) -> str:
    return path.read_text(encoding="utf-8", errors="replace")[:65536]


class ProjectReader:
    """State shared while reading one project export."""

    def __init__(self, path: Path, ctx: ReadContext) -> None:
        self.path = path
        self.ctx = ctx
        self.dataset = Dataset()
        self.types: dict[str, str] = {}  # class name -> geometry or classification type

    def label_classes(self, head: dict) -> None:
        classes = head.get("label_classes")
        if not isinstance(classes, list):
            raise self.ctx.fail("[0].label_classes", "not a list")
        classifications = {}
        for index, entry in enumerate(classes):
            loc = at("[0].label_classes", index)
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
                self.dataset.category(name, shape=SHAPES[kind], extra=extra)
            elif kind in ("select", "checklist", "freetext"):
                classifications[name] = kind
            else:
                self.ctx.warn(loc, f"label class {name!r} has an unknown type {kind!r}")
        self.dataset.meta["classifications"] = classifications

    def task(self, index: int, task: dict) -> Item:
        loc = at(index)
        media_id = task.get("internal_media_ID", task.get("internal_image_ID"))
        raw_name = task.get("external_media_ID", task.get("external_image_ID"))
        # The media's name as uploaded, which is what a download of the project's media gives.
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
        labels = task.get("labels")
        if labels is None:
            labels = {}
        if not isinstance(labels, dict):
            self.ctx.warn(at(loc, "labels"), "labels is not an object", item=item.id)
            return item
        for class_name, entries in labels.items():
            if not isinstance(entries, list):
                self.ctx.warn(
                    at(loc, "labels", class_name), "not a list of geometries", item=item.id
                )
                continue
            for number_, entry in enumerate(checked(entries, self.ctx)):
                place = (loc, "labels", class_name, number_)  # joined only when warning
                self.entry(item, str(class_name), entry, place, f"{class_name}/{number_}")
        return item

    def locate(self, item: Item, raw_name: Any) -> None:
        found = self.ctx.images.find(item.image)
        if found is None and isinstance(raw_name, str) and raw_name != item.image:
            # A file literally named with %xx escapes (the resolver decodes references).
            for root in default_roots(self.path, self.ctx.images_dir):
                if is_file(root / raw_name):
                    found = root / raw_name
                    break
        item.image_path = found
        if found is not None and item.width is None:
            found_size = image_size(found)
            if found_size is not None:
                item.width, item.height = found_size

    def entry(
        self,
        item: Item,
        class_name: str,
        entry: Any,
        place: tuple,
        ident: str,
        parent: str | None = None,
    ) -> None:
        if not isinstance(entry, dict):
            self.ctx.warn(at(*place), "geometry entry is not an object", item=item.id, obj=ident)
            return
        kind = next((key for key in GEOMETRY_TYPES if key in entry), None)
        key = kind
        if kind is None and "geometry" in entry:
            key, kind = "geometry", self.types.get(class_name)
        if kind not in GEOMETRY_TYPES or key is None:
            self.ctx.warn(
                at(*place),
                f"no geometry of a known type for class {class_name!r} (keys: {sorted(entry)})",
                item=item.id,
                obj=ident,
            )
            return
        if class_name not in self.dataset.categories:
            self.ctx.warn(at(*place), f"class {class_name!r} is not in label_classes", item=item.id)
            self.dataset.category(class_name, shape=SHAPES[kind], extra={"undeclared": True})
        try:
            shape = geometry(kind, entry[key])
        except BAD_VALUE as error:
            self.ctx.warn(
                at(*place, key), f"{kind} skipped: {describe(error)}", item=item.id, obj=ident
            )
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
        if parent is None and nested is not None and not isinstance(nested, dict):
            self.ctx.warn(at(*place, "nested_geometries"), "not an object: none read", item=item.id)
        if parent is None and isinstance(nested, dict):
            for child_class, children in nested.items():
                if not isinstance(children, list):
                    self.ctx.warn(
                        at(*place, "nested_geometries", child_class),
                        "not a list of geometries: none read",
                        item=item.id,
                    )
                    continue
                for number_, child in enumerate(checked(children, self.ctx)):
                    child_id = f"{ident}/{child_class}/{number_}"
                    child_place = (*place, "nested_geometries", child_class, number_)
                    self.entry(item, str(child_class), child, child_place, child_id, parent=ident)
                    if item.objects and item.objects[-1].id == child_id:
                        item.relations.append(Relation("nested", (ident, child_id), directed=True))

    # -- video --

    def video_task(self, item: Item, task: dict, loc: str) -> None:
        item.kind = "video"
        try:
            item.width = size(task.get("video_width"), "video_width")
            item.height = size(task.get("video_height"), "video_height")
        except BAD_VALUE as error:
            item.width = item.height = None
            self.ctx.warn(loc, f"video size not used: {describe(error)}", item=item.id)
        try:
            rate = task.get("video_frame_rate")
            if rate is not None:
                item.fps = number(Fraction(str(rate)), "video_frame_rate")
        except (*BAD_VALUE, ZeroDivisionError):
            pass  # no frame rate: frames are still numbered
        self.locate(item, task.get("external_media_ID", task.get("external_image_ID")))
        task_id = task_id_of(task.get("task_export_url"))
        roots = default_roots(self.path, self.ctx.images_dir)
        found = find_task_export(roots, task_id) if task_id else None
        if found is None:
            self.ctx.warn(
                at(loc, "task_export_url"),
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
