"""The Dataloop reader: builds one Dataset from every document of an input.

Locations: a warning names the member of the folder or zip (when there is one), then the JSON
path inside it (`json/a.json: annotations[3].coordinates`); NDJSON records are `line N`.
"""

from __future__ import annotations

import re
from collections import Counter
from contextlib import ExitStack
from pathlib import Path, PurePosixPath
from typing import Any

from labelview.cancel import checked
from labelview.errors import FormatError
from labelview.formats._reading import BAD_VALUE, at, describe, member
from labelview.formats.base import ReadContext, gc_paused, load_json
from labelview.formats.dataloop.documents import SKIP, Document, Lines, parse, read_documents
from labelview.formats.dataloop.items import item_shell, under
from labelview.formats.dataloop.ontology import Ontology, hex_color, is_ontology, parse_ontology
from labelview.formats.dataloop.shapes import read_geometry
from labelview.formats.dataloop.tracks import (
    DEFAULT_FPS,
    TrackReading,
    annotation_system,
    has_tracks,
)
from labelview.model import Answer, Dataset, Item, ObjectLabel, StageEvent
from labelview.model.geometry import Geometry

_DRAWN = frozenset({"box", "segment", "polyline", "point", "ellipse", "binary"})


class _Reader(TrackReading):
    """Builds one Dataset from all the documents of an input."""

    def __init__(self, path: Path, ctx: ReadContext) -> None:
        self.path = path
        self.ctx = ctx
        self.dataset = Dataset()
        self.ontology: Ontology | None = None
        self.ontology_source: str | None = None
        self.labels: dict[str, None] = {}  # labels in first-seen order
        self.poses: dict[str, list[ObjectLabel]] = {}  # pose label -> its objects (post-fix)
        self.pose_templates: dict[str, str] = {}  # pose label -> its template id
        self.other: Counter[str] = Counter()
        self.item_ids: set[str] = set()
        self.member = ""  # the folder/zip member being read ('' for the input file itself)

    def warn(self, where: str, message: str, **at: Any) -> None:
        """A warning located at JSON path `where` inside the current member."""
        self.ctx.warn(member(self.member, where) if self.member else where, message, **at)

    def error(self, where: str, message: str, **at: Any) -> None:
        self.ctx.error(member(self.member, where) if self.member else where, message, **at)

    # -- top level ---------------------------------------------------------------------------------

    def run(self) -> Dataset:
        with ExitStack() as stack:
            return self._run(stack)

    def _run(self, stack: ExitStack) -> Dataset:
        ctx = self.ctx
        if ctx.ontology is not None:
            try:
                value = load_json(Path(ctx.ontology), ctx)
            except FormatError as error:
                ctx.error("ontology", f"cannot read the ontology {ctx.ontology}: {error}")
            else:
                if is_ontology(value) or isinstance(value, dict):
                    self.ontology = parse_ontology(value)
                    self.ontology_source = Path(ctx.ontology).name
                else:
                    ctx.warn("ontology", f"{ctx.ontology} is not a Dataloop ontology: ignored")
        documents = list(read_documents(self.path, ctx, stack))
        single = len(documents) == 1 and documents[0].name == ""
        # Ontology files first, so attribute titles apply to every item; items are built as they
        # are parsed (one parse tree in memory at a time). Categories are made at the end.
        documents.sort(key=lambda doc: not re.search(r"ontolog|recipe", doc.name, re.I))
        found = False
        with gc_paused():
            for index, doc in enumerate(documents):
                ctx.check_cancelled()
                value = parse(doc, self.path, ctx, single)
                if value is SKIP:
                    continue
                if is_ontology(value):
                    if single:
                        raise ctx.fail(
                            "", "a Dataloop ontology/recipe, not an export: pass it with --ontology"
                        )
                    if self.ontology is None:
                        self.ontology = parse_ontology(value)
                        self.ontology_source = doc.name
                    continue
                found = True
                self._document(doc, value, single)
                del value
                if not single:
                    ctx.progress(index + 1, len(documents))
        if not found and not single:
            raise ctx.fail("", "no Dataloop item JSON found in this folder or zip")
        self.member = ""
        self._finish()
        ctx.progress(1, 1)
        return self.dataset

    def _document(self, doc: Document, value: Any, single: bool) -> None:
        ctx = self.ctx
        self.member = doc.name
        fallback = self._fallback_name(doc)
        if isinstance(value, Lines):
            for number, record in checked(value.records, ctx):
                if isinstance(record, dict) and isinstance(record.get("annotations"), list):
                    self._item(record, f"line {number}", fallback)
                else:
                    self.warn(f"line {number}", "not a Dataloop item: skipped")
            return
        if isinstance(value, list):
            items = [v for v in value if isinstance(v, dict)]
            # An item whose `annotations` is not a list is warned about by _item, not a reason to
            # reject the whole document.
            if (
                items
                and all("annotations" in v for v in items)
                and any(isinstance(v.get("annotations"), list) for v in items)
            ):
                for index, record in enumerate(checked(value, ctx)):
                    if single and index % 500 == 0:
                        ctx.check_cancelled()
                        ctx.progress(index, len(value))
                    if isinstance(record, dict):
                        self._item(record, at(index), fallback)
                    else:
                        self.warn(at(index), "not an item object: skipped")
                return
            if not value or any("type" in v and "label" in v for v in items):
                self._item({"annotations": value}, "", fallback, bare=True)
                return
        elif isinstance(value, dict) and isinstance(value.get("annotations"), list):
            self._item(value, "", fallback)
            return
        elif isinstance(value, dict) and ("manifestVersion" in value or "partitioning" in value):
            self.dataset.meta.setdefault("manifest", value)
            return
        if single:
            raise ctx.fail("", "not a Dataloop export: no item with an annotations list")
        ctx.warn(doc.name, "not a Dataloop item JSON: skipped")

    def _fallback_name(self, doc: Document) -> str:
        """An item name for files that carry none: the member path without json/ and suffix."""
        name = doc.name or self.path.name
        for suffix in (".gz", ".json", ".ndjson", ".jsonl"):
            name = name.removesuffix(suffix)
        parts = PurePosixPath(name).parts
        if parts and parts[0] == "json" and len(parts) > 1:
            parts = parts[1:]
        return "/".join(parts)

    # -- one item ----------------------------------------------------------------------------------

    def _item(self, raw: dict, loc: str, fallback: str, *, bare: bool = False) -> None:
        try:
            if raw.get("type") == "dir" or raw.get("hidden") is True:
                return
            item = item_shell(raw, loc, fallback, self.path.stem, self.warn)
        except BAD_VALUE as error:
            self.error(loc, f"item skipped: {describe(error)}")
            return
        if item.id in self.item_ids:
            self.warn(loc, f"duplicate item id {item.id}: skipped", item=item.id)
            return
        self.item_ids.add(item.id)
        annotations = raw.get("annotations")
        if annotations is None:
            annotations = []
        if not isinstance(annotations, list):
            self.warn(under(loc, "annotations"), "not a list: no annotations read", item=item.id)
            annotations = []
        if item.kind != "video" and bare and has_tracks(annotations):
            item.kind = "video"  # a bare annotation list has no mimetype: snapshots say video
            item.fps = item.fps or DEFAULT_FPS
        self._annotations(item, annotations, under(loc, "annotations"))
        self.dataset.items.append(item)

    def _annotations(self, item: Item, annotations: list, loc: str) -> None:
        children: dict[str, list[tuple[int, dict]]] = {}
        pose_ids = {
            str(a.get("id") or a.get("_id"))
            for a in annotations
            if isinstance(a, dict) and a.get("type") == "pose"
        }
        all_ids = {str(a.get("id") or a.get("_id")) for a in annotations if isinstance(a, dict)}
        creators: Counter[str] = Counter()
        for index, ann in enumerate(checked(annotations, self.ctx)):
            if not isinstance(ann, dict):
                self.warn(at(loc, index), "not an object: skipped", item=item.id)
                continue
            system = annotation_system(ann)
            parent = system.get("parentId")
            if parent is not None and str(parent) in pose_ids and ann.get("type") == "point":
                children.setdefault(str(parent), []).append((index, ann))
            elif parent is not None and str(parent) not in all_ids:
                # An orphan stays what it is (a point stays a point); parentId is kept in extra.
                self.warn(
                    at(loc, index, "metadata.system.parentId"),
                    f"parent annotation {parent} not found: kept as a {ann.get('type')}",
                    item=item.id,
                )
            if isinstance(ann.get("creator"), str) and not system.get("automated"):
                creators[ann["creator"]] += 1
        for index, ann in enumerate(checked(annotations, self.ctx)):
            if not isinstance(ann, dict):
                continue
            system = annotation_system(ann)
            parent = system.get("parentId")
            if parent is not None and str(parent) in pose_ids and ann.get("type") == "point":
                continue  # consumed by its pose
            ann_loc = at(loc, index)
            ann_id = ann.get("id") or ann.get("_id") or ann.get("annotationId")
            try:
                self._annotation(item, ann, system, ann_loc, children, index)
            except BAD_VALUE as error:
                self.warn(
                    ann_loc,
                    f"{ann.get('type', 'annotation')} skipped: {describe(error)}",
                    item=item.id,
                    obj=str(ann_id) if ann_id is not None else None,
                )
        if creators:
            item.labeler = creators.most_common(1)[0][0]
        else:
            found = [a.get("creator") for a in annotations if isinstance(a, dict)]
            item.labeler = next((c for c in found if isinstance(c, str)), None)

    def _annotation(
        self,
        item: Item,
        ann: dict,
        system: dict,
        loc: str,
        children: dict[str, list[tuple[int, dict]]],
        index: int,
    ) -> None:
        kind = ann.get("type")
        ann_id = ann.get("id") or ann.get("_id") or ann.get("annotationId")
        # Without an id (2019 files), the position names the annotation and its track.
        ann_id = str(ann_id) if ann_id is not None else f"#{index}"
        label = ann.get("label")
        label = str(label) if label is not None and label != "" else "(no label)"
        if kind == "class":
            self._classification(item, ann, system, label, ann_id, loc)
            return
        if kind == "item_description":
            coords = ann.get("coordinates")
            text = coords.get("text") if isinstance(coords, dict) else coords
            item.extra["description_annotation"] = text
            return
        if kind not in _DRAWN and kind != "pose":
            self.other[str(kind)] += 1
            item.extra.setdefault("other_annotations", []).append(ann)
            return
        attributes = self._attributes(ann.get("attributes"), system.get("attributes"), loc)
        common = self._common(ann, system)
        if item.kind != "video" and kind != "pose":  # the common case, without track machinery
            coords = (
                ann["data"]
                if "coordinates" not in ann and "data" in ann
                else ann.get("coordinates")
            )
            geometry = read_geometry(item, kind, coords, ann_id, loc, self.warn)
            self.labels.setdefault(label, None)
            item.objects.append(
                ObjectLabel(label, geometry, ann_id, attributes=attributes, **common)
            )
            return
        segments = self._track(item, ann, system, label, attributes, loc)
        if kind == "pose":
            self._pose(item, ann, ann_id, segments, children.get(ann_id or "", []), common, loc)
            return
        geometries: dict[int, Geometry] = {}
        for seg in checked(segments, self.ctx):
            if not seg.visible:
                continue
            geometry = geometries.get(id(seg.coords))
            if geometry is None:
                geometry = read_geometry(item, kind, seg.coords, ann_id, loc, self.warn)
                geometries[id(seg.coords)] = geometry
            self.labels.setdefault(seg.label, None)
            frames: range | list[None] = (
                range(seg.start, seg.end + 1) if item.kind == "video" else [None]
            )
            for frame in checked(frames, self.ctx):
                item.objects.append(
                    ObjectLabel(
                        category=seg.label,
                        geometry=geometry,
                        id=ann_id,
                        frame=frame,
                        track=ann_id if item.kind == "video" else None,
                        attributes=list(seg.attributes),
                        **common,
                    )
                )

    def _common(self, ann: dict, system: dict) -> dict[str, Any]:
        user = (
            ann.get("metadata", {}).get("user") if isinstance(ann.get("metadata"), dict) else None
        )
        model = (user or {}).get("model") if isinstance(user, dict) else None
        if not isinstance(model, dict):
            model = system.get("model") if isinstance(system.get("model"), dict) else {}
        confidence = model.get("confidence")
        extra: dict[str, Any] = {"type": ann.get("type")}
        for key in ("objectId", "parentId", "status", "coordinateVersion", "description"):
            if system.get(key) is not None:
                extra[key] = system[key]
        if model and not (isinstance(user, dict) and user.get("model") is model):
            extra["model"] = model
        if isinstance(user, dict) and user:
            extra["user"] = user
        if ann.get("source") is not None:
            extra["source"] = ann["source"]
        return {
            "confidence": float(confidence)
            if isinstance(confidence, int | float) and not isinstance(confidence, bool)
            else None,
            "source": "model" if system.get("automated") is True else "manual",
            "created_by": ann.get("creator"),
            "created_at": ann.get("createdAt"),
            "updated_by": ann.get("updatedBy"),
            "updated_at": ann.get("updatedAt"),
            "extra": extra,
        }

    def _attributes(self, v1: Any, v2: Any, loc: str) -> list[Answer]:
        answers: list[Answer] = []
        if isinstance(v1, list):
            answers.extend(Answer(str(tag), True) for tag in v1 if isinstance(tag, str | int))
        elif v1 is not None and not isinstance(v1, dict):
            self.warn(at(loc, "attributes"), f"attributes are {type(v1).__name__}: ignored")
        if isinstance(v1, dict):  # some writers put the v2 dict here
            v2 = {**v1, **v2} if isinstance(v2, dict) else v1
        if isinstance(v2, dict):
            titles = self.ontology.titles if self.ontology else {}
            for key, value in v2.items():
                title = titles.get(str(key))
                answers.append(
                    Answer(title or str(key), value, extra={"key": key} if title else None)
                )
        return answers

    def _classification(
        self, item: Item, ann: dict, system: dict, label: str, ann_id: str | None, loc: str
    ) -> None:
        if system.get("system") is True:
            # The legacy item status ("completed"/"discarded") is a system class annotation.
            item.status = item.status or label
            item.history.append(
                StageEvent(action=label, actor=ann.get("creator"), at=ann.get("createdAt"))
            )
            return
        common = self._common(ann, system)
        frames = None
        if item.kind == "video":
            segments = self._track(item, ann, system, label, [], loc)
            frames = (segments[0].start, segments[-1].end)
        item.classifications.append(
            Answer(
                "class",
                label,
                children=self._attributes(ann.get("attributes"), system.get("attributes"), loc),
                frames=frames,
                confidence=common["confidence"],
                source=common["source"],
                answered_by=ann.get("creator"),
                extra={"id": ann_id, **common["extra"]},
            )
        )

    def _finish(self) -> None:
        dataset = self.dataset
        onto = self.ontology
        if onto is not None:
            for number, tag in enumerate(sorted(onto.labels), start=1):
                value = onto.labels[tag]
                parent, _, _leaf = tag.rpartition(".")
                extra = {
                    k: value[k] for k in ("displayLabel", "attributes") if value.get(k) is not None
                }
                dataset.category(
                    tag,
                    id=number,  # Dataloop's default instance_map: sorted tags, 1-based
                    color=hex_color(value.get("color")),
                    supercategory=parent or None,
                    extra=extra,
                )
            dataset.meta["ontology"] = self.ontology_source
        for label in self.labels:
            parent, _, _leaf = label.rpartition(".")
            dataset.category(label, supercategory=parent or None)
        for label, objects in self.poses.items():
            self._skeleton(label, objects)
        if self.other:
            counts = ", ".join(f"{n:,} {kind}" for kind, n in sorted(self.other.items()))
            self.ctx.warn(
                "annotations",
                f"kept {counts} annotation(s) in the items' extra: labelview does not draw these "
                "types",
            )


def read(path: Path, ctx: ReadContext) -> Dataset:
    """Read a Dataloop export (file, folder or zip) into a Dataset."""
    return _Reader(Path(path), ctx).run()
