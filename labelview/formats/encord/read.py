"""Read an Encord export: label rows → items, data units → frames, objects → ObjectLabels."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from labelview.cancel import checked
from labelview.formats._reading import (
    BAD_VALUE,
    Skip,
    at,
    describe,
    integer,
    number,
    optional_mapping,
    optional_sequence,
    optional_text,
    size,
)
from labelview.formats.base import ReadContext, load_json
from labelview.formats.encord.answers import RowState, classifications
from labelview.formats.encord.history import review_events, row_history
from labelview.formats.encord.objects import Objects
from labelview.formats.encord.ontology import Ontology, load_ontology
from labelview.formats.encord.values import frame_order
from labelview.model import Dataset, Frame, Item

_KINDS = {
    "image": "image",
    "img_group": "group",
    "video": "video",
    "dicom": "dicom",
    "nifti": "dicom",
}
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
_FRAME_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff"})


class _Reader(Objects):
    """Reads one export file: rows, data units, frames."""

    def __init__(self, ctx: ReadContext, onto: Ontology) -> None:
        super().__init__(ctx, onto)
        self.done = 0  # frames read, for progress
        self.total = 0

    def read(self, data: Any) -> Dataset:
        if isinstance(data, dict) and "data_units" not in data:
            raise self.ctx.fail("", "a JSON object without data_units is not an Encord label row")
        rows = [data] if isinstance(data, dict) else data
        del data
        if not isinstance(rows, list):
            raise self.ctx.fail("", "expected a JSON array of Encord label rows")
        for row in checked(rows, self.ctx):
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
                self.ctx.error(at(index), "label row is not an object; skipped")
                continue
            try:
                item = self.row(index, row)
            except BAD_VALUE as error:
                title = row.get("data_title")
                self.ctx.error(
                    at(index),
                    f"label row not read: {describe(error)}",
                    item=title if isinstance(title, str) else None,
                )
                continue
            if item is not None:
                self.dataset.items.append(item)
        self.ctx.progress(self.total, self.total)
        self.dataset.meta["encord"] = {"ontology": self.onto.present}
        return self.dataset

    def row(self, index: int, row: dict) -> Item | None:
        data_type = row.get("data_type")
        title = optional_text(row.get("data_title") or row.get("data_hash"), "data_title")
        title = title or f"row {index}"
        units = row.get("data_units")
        if not isinstance(units, dict):
            if "labels" in row:
                self.ctx.error(
                    at(index),
                    "old cord-client row (labels at row level) is not supported",
                    item=title,
                )
                return None
            raise KeyError("data_units")
        kind = _KINDS.get(data_type) if isinstance(data_type, str) else None
        if kind == "group" and row.get("is_image_sequence"):
            kind = "sequence"
        item = Item(
            id=optional_text(row.get("label_hash") or row.get("data_hash"), "label_hash") or title,
            name=title,
            kind=kind or "other",
            status=optional_text(row.get("label_status"), "label_status"),
        )
        item.extra = {k: v for k, v in row.items() if k not in _ROW_MAPPED}
        if row.get("annotation_task_status") is not None:
            item.extra["annotation_task_status"] = row["annotation_task_status"]
        answers = self._keyed(row, "object_answers", index, item)
        actions = self._keyed(row, "object_actions", index, item)
        state = RowState(answers, actions, self.shared_answers)
        if kind is None:
            self.ctx.warn(
                at(index, "data_type"),
                f"data type {data_type!r} has no image geometry; labels kept without shapes",
                item=title,
            )
            self.text_objects(index, answers, item, state)
        else:
            for unit_key, unit in checked(sorted(units.items(), key=_sequence), self.ctx):
                if not isinstance(unit, dict):
                    self.ctx.warn(at(index, "data_units", unit_key), "data unit is not an object")
                    continue
                try:
                    self.unit(index, unit_key, unit, data_type, item, state)
                except BAD_VALUE as error:
                    self.ctx.error(
                        at(index, "data_units", unit_key),
                        f"data unit not read: {describe(error)}",
                        item=title,
                    )
        item.classifications = classifications(index, row, state, item, self.onto, self.ctx)
        item.history = row_history(row, state.reviews)
        if state.creators:
            item.labeler = Counter(state.creators).most_common(1)[0][0]
        return item

    def _keyed(self, row: dict, key: str, index: int, item: Item) -> dict:
        """`object_answers` / `object_actions` keyed by objectHash; a located warning for a
        container or an entry of the wrong type.
        """
        keyed: dict = {}
        try:
            entries = optional_mapping(row.get(key), key)
        except Skip as error:
            self.ctx.warn(at(index, key), f"{error.message}: not read", item=item.name)
            return keyed
        for name, entry in entries.items():
            if isinstance(entry, dict):
                keyed[entry.get("objectHash") or name] = entry
            else:
                self.ctx.warn(at(index, key, name), "not an object: not read", item=item.name)
        return keyed

    def unit(
        self, index: int, unit_key: str, unit: dict, data_type: str, item: Item, state: RowState
    ) -> None:
        width = size(unit.get("width"), "width") or 0
        height = size(unit.get("height"), "height") or 0
        base = (index, "data_units", unit_key, "labels")
        try:
            labels = optional_mapping(unit.get("labels"), "labels")
        except Skip as error:
            self.ctx.warn(at(*base), f"{error.message}: no labels read", item=item.name)
            labels = {}
        unit_extra = {k: v for k, v in unit.items() if k not in ("labels", "width", "height")}
        if data_type in ("image", "img_group"):
            frame = integer(unit.get("data_sequence") or 0, "data_sequence", low=0)
            title = optional_text(unit.get("data_title"), "data_title")
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
        # Frame-keyed data: video, DICOM, NIfTI.
        item.width, item.height = width or None, height or None
        item.image = None
        item.fps = number(unit["data_fps"], "data_fps") if unit.get("data_fps") else None
        item.extra["data_unit"] = unit_extra
        if not isinstance(labels, dict):
            raise Skip("labels is not an object")
        frame_files = self._frame_files(str(unit.get("data_title") or item.name))
        for key in sorted(labels, key=frame_order):
            self.ctx.check_cancelled()
            content = labels[key]
            try:
                frame = integer(key, "frame key", low=0)
            except Skip:
                self.ctx.warn(at(*base, key), f"frame key {key!r} is not a frame number; skipped")
                continue
            if not isinstance(content, dict):
                self.ctx.warn(at(*base, key), "frame labels are not an object; skipped")
                continue
            meta = content.get("metadata") if isinstance(content.get("metadata"), dict) else {}
            try:
                fw = size(meta.get("width"), "slice width") or width
                fh = size(meta.get("height"), "slice height") or height
                image = optional_text(meta.get("file_uri"), "file_uri") or frame_files.get(frame)
            except Skip as error:
                self.ctx.warn(at(*base, key, "metadata"), f"slice metadata not used: {error}")
                fw, fh, image = width, height, frame_files.get(frame)
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
        """Extracted frames `<title>/<frame>.<ext>` (Encord's frame numbers, from 0) in the
        folders the image resolver searches (--images, beside the export, its images/ …).
        """
        found: dict[int, str] = {}
        if not title or "/" in title or "\\" in title or title in (".", ".."):
            return found
        for root in self.ctx.images.finder.roots:
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
        state: RowState,
    ) -> None:
        self.done += 1
        if self.done % 200 == 0:
            self.ctx.progress(self.done, self.total)
            self.ctx.check_cancelled()
        if not width or not height:
            if content.get("objects"):
                self.ctx.warn(
                    at(*base),
                    "frame size unknown; coordinates kept normalised (0–1)",
                    item=item.name,
                )
            width = height = 1
        try:
            objects = optional_sequence(content.get("objects"), "objects")
        except Skip as error:
            self.ctx.warn(at(*base, "objects"), f"{error.message}: none read", item=item.name)
            objects = ()
        for position, obj in enumerate(checked(objects, self.ctx)):
            try:
                label = self.object(obj, frame, width, height, state, base, position)
            except BAD_VALUE as error:
                object_id = obj.get("objectHash") if isinstance(obj, dict) else None
                self.ctx.warn(
                    at(*base, "objects", position),
                    f"object skipped: {describe(error)}",
                    item=item.name,
                    obj=object_id if isinstance(object_id, str) else None,
                )
                continue
            if label is not None:
                item.objects.append(label)
                if obj.get("reviews"):
                    where = (*base, "objects", position, "reviews")
                    self.reviews(obj["reviews"], "object", label.id, frame, where, state, item)
        for position, marker in enumerate(checked(content.get("classifications") or (), self.ctx)):
            if isinstance(marker, dict) and marker.get("classificationHash"):
                class_hash = marker["classificationHash"]
                state.markers.setdefault(class_hash, (marker, set()))[1].add(
                    frame if frame is not None else -1
                )
                if marker.get("reviews"):
                    where = (*base, "classifications", position, "reviews")
                    self.reviews(
                        marker["reviews"], "classification", class_hash, frame, where, state, item
                    )

    # -- reviews ---------------------------------------------------------------------------------

    def reviews(
        self,
        records: Any,
        target: str,
        target_hash: Any,
        frame: int | None,
        where: tuple,
        state: RowState,
        item: Item,
    ) -> None:
        """Review verdicts on an object or classification, into the item's history."""
        try:
            for position, event in review_events(
                records, target, target_hash, frame, state.reviews_seen
            ):
                if isinstance(event, Skip):
                    self.ctx.warn(
                        at(*where, position), f"review skipped: {event.message}", item=item.name
                    )
                else:
                    state.reviews.append(event)
        except BAD_VALUE as error:
            self.ctx.warn(at(*where), f"reviews skipped: {describe(error)}", item=item.name)


def _sequence(pair: tuple[str, Any]) -> int:
    """Order of a data unit: its `data_sequence` (an int, or a numeric string in SDK rows)."""
    try:
        return int(pair[1].get("data_sequence") or 0)
    except (TypeError, ValueError, AttributeError, OverflowError):
        return 0


def read(path: Path, ctx: ReadContext) -> Dataset:
    """Read an Encord JSON export (array of label rows, or one row) into a Dataset.

    The registry pauses the GC around every read and freezes what was built.
    """
    ctx.control.stage(f"Reading {path.name}")
    reader = _Reader(ctx, load_ontology(path, ctx))
    # The parsed JSON is handed over without another reference, so rows can be freed early.
    return reader.read(load_json(path, ctx))
