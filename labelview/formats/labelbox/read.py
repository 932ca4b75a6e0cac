"""Reading a Labelbox export: data rows to items, every project's labels to objects and history."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from labelview.formats._reading import (
    BAD_VALUE,
    CappedWarnings,
    Skip,
    at,
    describe,
    integer,
    mapping,
    number,
    sequence,
    size,
)
from labelview.formats.base import ReadContext, gc_paused, load_json
from labelview.formats.labelbox.answers import answers
from labelview.formats.labelbox.shapes import MaskNotLocal, geometry
from labelview.images import image_size, reference_parts
from labelview.limits import MAX_FRAMES
from labelview.model import Answer, Dataset, Frame, Item, ObjectLabel, Relation, StageEvent

_MAX_LOCATED = 20
_READ_KEYS = ("objects", "frames", "classifications", "relationships")
_PROGRESS_EVERY = 200
_OBJECT_META = (
    "feature_id",
    "feature_schema_id",
    "value",
    "annotation_kind",
    "page_number",
    "page_dimensions",
    "location",
    "conversational_location",
    "unit",
)


def read(path: Path, ctx: ReadContext) -> Dataset:
    """Read a Labelbox v2 export (NDJSON rows, or a JSON list of them) into a Dataset."""
    reader = _Reader(ctx)
    with gc_paused():
        for count, (where, row) in enumerate(_rows(path, ctx)):
            ctx.check_cancelled()
            if count % _PROGRESS_EVERY == 0:
                ctx.progress(count, 0)
            if not isinstance(row, dict):
                ctx.error(where, "row is not an object; skipped")
                continue
            try:
                reader.row(where, row)
            except BAD_VALUE as error:
                ctx.error(where, f"row skipped: {describe(error)}")
    reader.finish()
    if not reader.dataset.items and not reader.rows:
        raise ctx.fail("", "no data rows in the export")
    return reader.dataset


def _rows(path: Path, ctx: ReadContext) -> Iterator[tuple[str, Any]]:
    """(location, row) for every row: one per line of NDJSON, or the entries of a JSON list."""
    try:
        with path.open("rb") as stream:
            head = stream.read(4096).lstrip(b"\xef\xbb\xbf \t\r\n")
    except OSError as error:
        raise ctx.fail("", f"cannot read: {error.strerror or error}") from error
    if head.startswith(b"["):
        data = load_json(path, ctx)
        for index, row in enumerate(data):
            yield at(index), row
        return
    with path.open("rb") as stream:
        for number_, raw in enumerate(stream, start=1):
            text = raw.strip()
            if number_ == 1 and text.startswith(b"\xef\xbb\xbf"):
                text = text[3:]
            if not text:
                continue
            try:
                yield f"line {number_}", orjson.loads(text)
            except orjson.JSONDecodeError as error:
                ctx.error(str(number_), f"not a JSON row ({error}); skipped")


def _text(value: Any) -> str | None:
    if isinstance(value, str) and value:
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return None


class _Reader:
    def __init__(self, ctx: ReadContext) -> None:
        self.ctx = ctx
        self.dataset = Dataset()
        self.images = ctx.images
        self.ids: set[str] = set()
        self.rows = 0
        self.capped = CappedWarnings(self.ctx, _MAX_LOCATED)
        self.remote_masks = 0
        self.undrawn: Counter[str] = Counter()
        self.projects: dict[str, str | None] = {}

    def warn(self, kind: str, where: str, message: str, **ids: str | None) -> None:
        self.capped(kind, where, message, **ids)

    def finish(self) -> None:
        self.capped.finish()
        if self.remote_masks:
            self.ctx.warn(
                "",
                f"{self.remote_masks:,} masks are only URLs (not downloaded): kept without a "
                "shape, the URL in extra; a --url-map naming local copies of the PNGs reads them",
            )
        if self.undrawn:
            listed = ", ".join(f"{kind} {n:,}" for kind, n in self.undrawn.most_common())
            self.ctx.warn("", f"objects kept without a drawable shape (data in extra): {listed}")
        for _, obj in self.dataset.objects():
            if obj.category not in self.dataset.categories:
                self.dataset.category(obj.category, shape=obj.kind if obj.geometry else None)
        self.dataset.meta["labelbox"] = {"projects": self.projects}

    # -- rows -------------------------------------------------------------------------------------

    def row(self, where: str, row: dict) -> None:
        self.rows += 1
        data_row = mapping(row.get("data_row"), "data_row")
        media = row.get("media_attributes") if isinstance(row.get("media_attributes"), dict) else {}
        item = self.item(where, data_row, media)
        projects = row.get("projects") if isinstance(row.get("projects"), dict) else {}
        labels_seen = 0
        for project_id, project in projects.items():
            here = f"{where}: {at('projects', project_id)}"
            if not isinstance(project, dict):
                self.warn("project not an object", here, "project is not an object; skipped")
                continue
            self.projects.setdefault(str(project_id), _text(project.get("name")))
            labels = project.get("labels") or []
            try:
                labels = sequence(labels, "labels")
            except Skip as error:
                self.warn("bad labels", here, describe(error), item=item.id)
                continue
            for index, label in enumerate(labels):
                label_where = f"{here}.labels[{index}]"
                if not isinstance(label, dict):
                    self.warn("label not an object", label_where, "label is not an object; skipped")
                    continue
                labels_seen += 1
                self.label(label_where, label, item, str(project_id))
            self.project_details(project.get("project_details"), item, str(project_id))
        if labels_seen > 1:
            self.ctx.warn(
                where,
                f"data row has {labels_seen} labels: every label's objects are shown, each tagged "
                "with its label (extra.label) and labeler (created_by)",
                item=item.id,
            )
        # Attachments, metadata, model runs (`experiments`), …: kept as given.
        for key, value in row.items():
            if key not in ("data_row", "media_attributes", "projects") and value:
                item.extra[key] = value
        self.dataset.items.append(item)

    def item(self, where: str, data_row: dict, media: dict) -> Item:
        base = _text(data_row.get("id")) or _text(data_row.get("global_key"))
        base = base or f"row-{self.rows - 1}"
        item_id = base
        if item_id in self.ids:
            item_id = f"{base}#{self.rows - 1}"
            self.ctx.warn(where, f"duplicate data row id {base!r}; this one is {item_id!r}")
        self.ids.add(item_id)
        url = _text(data_row.get("row_data"))
        external = _text(data_row.get("external_id")) or _text(data_row.get("global_key"))
        url_name = reference_parts(url).name if url and not url.startswith("{") else ""
        name = external or url_name or item_id
        mime = str(media.get("mime_type") or "")
        if mime.startswith("video") or media.get("frame_count"):
            kind = "video"
        elif mime.startswith("image") or not mime:
            kind = "image"
        else:
            kind = "other"  # text, documents, conversations, audio: their objects have no shape
        found = self.images.find(url) or self.images.find(external)
        item = Item(id=item_id, name=name, kind=kind, image=url or external, image_path=found)
        try:
            item.width = size(media.get("width"), "width")
            item.height = size(media.get("height"), "height")
        except Skip as error:
            item.width = item.height = None
            self.warn("bad size", f"{where}: media_attributes", describe(error), item=item_id)
        if not (item.width and item.height):
            item.width = item.height = None
            if found is not None and kind == "image":
                item.width, item.height = image_size(found) or (None, None)
        if kind == "video":
            try:
                rate = media.get("frame_rate")
                item.fps = number(rate, "frame_rate") if rate else None
                count = media.get("frame_count")
                frames = integer(count, "frame_count", low=0, high=MAX_FRAMES) if count else 0
            except Skip as error:
                self.warn(
                    "bad video attributes",
                    f"{where}: media_attributes",
                    describe(error),
                    item=item_id,
                )
                frames = 0
            item.frames = [Frame(index=i) for i in range(frames)]
        item.extra = {
            "data_row": {k: v for k, v in data_row.items() if k != "row_data"},
            "media_attributes": media,
        }
        return item

    # -- labels -----------------------------------------------------------------------------------

    def label(self, where: str, label: dict, item: Item, project: str) -> None:
        details = label.get("label_details") if isinstance(label.get("label_details"), dict) else {}
        performance = label.get("performance_details")
        performance = performance if isinstance(performance, dict) else {}
        author = _text(details.get("created_by"))
        created = _text(details.get("created_at"))
        label_id = _text(label.get("id"))
        seconds = performance.get("seconds_to_create")
        item.history.append(
            StageEvent(
                stage="label",
                actor=author,
                action="skipped" if performance.get("skipped") else "created",
                at=created,
                duration=float(seconds) if isinstance(seconds, int | float) else None,
                extra={
                    "label": label_id,
                    "project": project,
                    **{
                        k: details[k]
                        for k in ("updated_at", "content_last_updated_at")
                        if k in details
                    },
                },
            )
        )
        for review in details.get("reviews") or []:
            if isinstance(review, dict):
                item.history.append(
                    StageEvent(
                        stage="review",
                        actor=_text(review.get("reviewed_by")),
                        action=str(review.get("review_action") or "reviewed").lower(),
                        at=_text(review.get("reviewed_at")),
                        extra={"label": label_id},
                    )
                )
        if item.labeler is None:
            item.labeler = author
        tag = {"label": label_id, "project": project}
        annotations = label.get("annotations")
        if not isinstance(annotations, dict):
            self.warn("no annotations", where, "label has no 'annotations' object", item=item.id)
            return
        here = f"{where}.annotations"
        # Video segments and keyframes, DICOM groups, …: kept as given.
        other = {k: v for k, v in annotations.items() if k not in _READ_KEYS and v}
        if other:
            item.extra.setdefault("annotations", []).append({**tag, **other})
        objects = annotations.get("objects")
        if isinstance(objects, list):
            for index, obj in enumerate(objects):
                self.object(f"{here}.objects[{index}]", obj, item, None, tag, author, created)
        frames = annotations.get("frames")
        if isinstance(frames, dict):
            self.frames(f"{here}.frames", frames, annotations, item, tag, author, created)
        try:
            item.classifications.extend(answers(annotations.get("classifications")))
        except BAD_VALUE as error:
            self.warn(
                "classification skipped",
                f"{here}.classifications",
                f"classifications skipped: {describe(error)}",
                item=item.id,
            )
        for index, entry in enumerate(annotations.get("relationships") or []):
            try:
                item.relations.append(_relation(entry))
            except BAD_VALUE as error:
                self.warn(
                    "relationship skipped",
                    f"{here}.relationships[{index}]",
                    f"relationship skipped: {describe(error)}",
                    item=item.id,
                )

    def frames(
        self,
        where: str,
        frames: dict,
        annotations: dict,
        item: Item,
        tag: dict,
        author: str | None,
        created: str | None,
    ) -> None:
        """Video: `frames` {"13": {objects: {feature_id: object}, classifications}}; Labelbox
        numbers frames from 1, the model from 0.
        """
        keys = annotations.get("key_frame_feature_map")
        keys = keys if isinstance(keys, dict) else {}
        per_frame: list[Answer] = []
        for number_, frame in frames.items():
            here = at(where, str(number_))
            try:
                index = integer(number_, "frame number", low=1, high=MAX_FRAMES) - 1
                frame = mapping(frame, "frame")
            except Skip as error:
                self.warn("bad frame", here, f"frame skipped: {describe(error)}", item=item.id)
                continue
            objects = frame.get("objects") or {}
            entries = objects.items() if isinstance(objects, dict) else enumerate(objects)
            for key, obj in entries:
                made = self.object(
                    at(here, "objects", str(key)), obj, item, index, tag, author, created
                )
                if made is not None:
                    made.track = made.id
                    flags = keys.get(made.id) if made.id else None
                    if isinstance(flags, dict) and str(number_) in flags:
                        made.extra = {**(made.extra or {}), "keyframe": bool(flags[str(number_)])}
            try:
                for answer in answers(frame.get("classifications")):
                    answer.frames = (index, index)
                    per_frame.append(answer)
            except BAD_VALUE as error:
                self.warn(
                    "classification skipped",
                    at(here, "classifications"),
                    f"classifications skipped: {describe(error)}",
                    item=item.id,
                )
        item.classifications.extend(_merge_frames(per_frame))
        if item.frames:
            last = max((obj.frame for obj in item.objects if obj.frame is not None), default=-1)
            if last >= len(item.frames):
                item.frames.extend(Frame(index=i) for i in range(len(item.frames), last + 1))

    def object(
        self,
        where: str,
        obj: Any,
        item: Item,
        frame: int | None,
        tag: dict,
        author: str | None,
        created: str | None,
    ) -> ObjectLabel | None:
        if not isinstance(obj, dict):
            self.warn(
                "object not an object", where, "object is not an object; skipped", item=item.id
            )
            return None
        size_ = (item.width, item.height) if item.width and item.height else None
        extra = {k: obj[k] for k in _OBJECT_META if k in obj}
        extra.update({k: v for k, v in tag.items() if v is not None})
        try:
            name = obj.get("name") or obj.get("value") or obj.get("title")
            if not isinstance(name, str) or not name:
                raise Skip("object has no name")
            try:
                shape = geometry(obj, self.images, size_)
            except MaskNotLocal as remote:
                self.remote_masks += 1
                extra["mask"] = obj.get("composite_mask") or obj.get("mask")
                self.warn(
                    "remote mask",
                    where,
                    f"mask {name!r} is a URL ({remote.url}), not downloaded: kept without a shape"
                    if remote.url
                    else f"mask {name!r} has no URL and no local copy: kept without a shape",
                    item=item.id,
                )
                shape = None
            else:
                if shape is None:
                    self.undrawn[str(obj.get("annotation_kind") or "no geometry")] += 1
            attributes = answers(obj.get("classifications"))
        except BAD_VALUE as error:
            self.warn("object skipped", where, f"object skipped: {describe(error)}", item=item.id)
            return None
        made = ObjectLabel(
            name,
            shape,
            id=_text(obj.get("feature_id")),
            frame=frame,
            attributes=attributes,
            source="manual",
            created_by=author,
            created_at=created,
            extra=extra,
        )
        item.objects.append(made)
        return made

    def project_details(self, details: Any, item: Item, project: str) -> None:
        if not isinstance(details, dict):
            return
        status = _text(details.get("workflow_status"))
        if status:
            item.status = status
        for entry in details.get("workflow_history") or []:
            if isinstance(entry, dict):
                item.history.append(
                    StageEvent(
                        stage=_text(entry.get("previous_task_name")) or "workflow",
                        actor=_text(entry.get("created_by")),
                        action=str(entry.get("action") or "moved").lower(),
                        at=_text(entry.get("created_at")),
                        extra={"project": project, "next": entry.get("next_task_name")},
                    )
                )
        item.extra.setdefault("project_details", {})[project] = details


def _relation(entry: Any) -> Relation:
    entry = mapping(entry, "relationship")
    inner = entry.get("relationship") if isinstance(entry.get("relationship"), dict) else entry
    source, target = _text(inner.get("source")), _text(inner.get("target"))
    if not source or not target:
        raise Skip("relationship has no source and target")
    kind = str(inner.get("type") or "unidirectional").lower()
    name = _text(entry.get("name")) or _text(entry.get("value")) or "relationship"
    return Relation(name, (source, target), directed=kind != "bidirectional", extra={"type": kind})


def _merge_frames(answers_: list[Answer]) -> list[Answer]:
    """Frame answers come one per frame: equal answers on consecutive frames become one range."""
    merged: list[Answer] = []
    runs: dict[tuple, Answer] = {}
    for answer in sorted(answers_, key=lambda a: a.frames[0] if a.frames else -1):
        key = (answer.name, repr(answer.value), repr([(c.name, c.value) for c in answer.children]))
        run = runs.get(key)
        if (
            run is not None
            and run.frames
            and answer.frames
            and run.frames[1] + 1 == answer.frames[0]
        ):
            run.frames = (run.frames[0], answer.frames[1])
            continue
        runs[key] = answer
        merged.append(answer)
    return merged
