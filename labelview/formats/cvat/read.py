"""Reading CVAT for images 1.1 and CVAT for video 1.1 XML: an `annotations.xml` (or any .xml
with that root), a folder holding one, or CVAT's zipped export (annotations.xml + images/).

- `<image>` elements become image items with their shapes and `<tag>`s.
- `<track>` elements become a video item per task (one frame per frame of the task's sequence),
  each track's shapes expanded over its frames as CVAT interpolates them (`tracks.py`); a track
  in a file that also lists `<image>`s lands on the images of its frames.
- the label spec in `<meta>` gives the categories (`read_meta.py`).

A shape that cannot be read is a located warning (`annotations.xml: image[3].box[2]: …`) and is
skipped; a file that is not well-formed XML is one error naming its line.
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
import zipfile
from dataclasses import dataclass
from functools import reduce
from pathlib import Path, PurePosixPath
from typing import Any

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

from labelview import limits
from labelview.cancel import checked
from labelview.formats._reading import BAD_VALUE, Skip, at, describe, size
from labelview.formats.base import ReadContext
from labelview.formats.cvat.read_meta import (
    CUBOID_SKELETON,
    Meta,
    TaskInfo,
    categories,
    parse_meta,
)
from labelview.formats.cvat.read_shapes import (
    SHAPES,
    answers,
    geometry_of,
    shape_of,
    skeleton_nodes,
)
from labelview.formats.cvat.tracks import TrackShape, expand, made_count
from labelview.model import Answer, Category, Dataset, Frame, Item, ObjectLabel

ANNOTATIONS = "annotations.xml"
_IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp")
_MODEL_SOURCES = frozenset({"auto", "semi-auto"})


def find_annotations(path: Path) -> Path | None:
    """The annotation XML of a folder: annotations.xml, else its only top-level .xml."""
    if (path / ANNOTATIONS).is_file():
        return path / ANNOTATIONS
    xmls = sorted(p for p in path.glob("*.xml") if p.is_file())
    return xmls[0] if len(xmls) == 1 else None


def _load(path: Path, ctx: ReadContext) -> tuple[bytes, str, Path | None]:
    """The XML bytes, the name issues are located in, and the folder images are found under."""
    if path.is_dir():
        found = find_annotations(path)
        if found is None:
            raise ctx.fail("", "the folder holds no annotations.xml")
        return _read_bytes(found, ctx), found.name, path
    if zipfile.is_zipfile(path):
        try:
            with zipfile.ZipFile(path) as archive:
                names = [n for n in archive.namelist() if n.lower().endswith(".xml")]
                name = next(
                    (n for n in names if PurePosixPath(n).name.lower() == ANNOTATIONS),
                    names[0] if len(names) == 1 else None,
                )
                if name is None:
                    raise ctx.fail("", "the zip holds no annotations.xml")
                info = archive.getinfo(name)
                if info.file_size > limits.MAX_MEMBER_BYTES:
                    raise ctx.fail(name, f"member of {info.file_size:,} bytes is over the limit")
                return archive.read(name), name, None
        except (zipfile.BadZipFile, OSError) as error:
            raise ctx.fail("", f"not a readable zip: {error}") from error
    return _read_bytes(path, ctx), path.name, path.parent


def _read_bytes(path: Path, ctx: ReadContext) -> bytes:
    try:
        if path.stat().st_size > limits.MAX_FILE_BYTES:
            raise ctx.fail("", f"file of {path.stat().st_size:,} bytes is over the limit")
        return path.read_bytes()
    except OSError as error:
        raise ctx.fail("", f"cannot read: {error.strerror or error}") from error


def parse(raw: bytes, name: str, ctx: ReadContext) -> ET.Element:
    """The root of the XML; entity declarations are refused (defusedxml)."""
    try:
        root = SafeET.fromstring(raw)
    except ET.ParseError as error:
        line, column = getattr(error, "position", (0, 0))
        raise ctx.fail(str(line), f"not well-formed XML (column {column}): {error.msg}") from None
    except DefusedXmlException as error:
        raise ctx.fail("", f"refused: {error}") from None
    if root.tag != "annotations":
        raise ctx.fail("", f"the root element is <{root.tag}>, not CVAT's <annotations>")
    return root


def read(path: Path, ctx: ReadContext) -> Dataset:
    raw, name, base = _load(path, ctx)
    if name != path.name:
        ctx.file = Path(name) if not path.is_dir() else path / name
    root = parse(raw, name, ctx)
    meta = parse_meta(root.find("meta"))
    dataset = Dataset(meta={"cvat_mode": meta.mode} if meta.mode else {})
    categories(meta, dataset)
    _Reader(dataset, meta, ctx, base, zipped=path.is_file() and base is None).read(root)
    return dataset


# Frame entries cost ~1 KB each; a longer video lists none (its objects still name their frames).
MAX_FRAMES_LISTED = 20_000


@dataclass(slots=True)
class _Video:
    """A task read as a video: its frames are start, start + step, … (count of them)."""

    item: Item
    task: TaskInfo
    start: int
    step: int
    count: int

    def position(self, frame: int) -> int | None:
        offset, rest = divmod(frame - self.start, self.step)
        return offset if rest == 0 and 0 <= offset < self.count else None


class _Reader:
    def __init__(
        self, dataset: Dataset, meta: Meta, ctx: ReadContext, base: Path | None, zipped: bool
    ) -> None:
        self.dataset = dataset
        self.meta = meta
        self.ctx = ctx
        self.base = base
        self.zipped = zipped
        self.images: dict[tuple[str, int], Item] = {}  # (task id, frame) -> image item
        self.videos: dict[str, _Video] = {}
        self.budget = limits.MAX_FRAMES  # frames interpolation may fill in, in the whole file
        self.named: dict[str, list[int]] = {}  # task id -> frames its tracks name (no <meta> size)

    # --- images ---------------------------------------------------------------------------------

    def read(self, root: ET.Element) -> None:
        image_nodes = root.findall("image")
        track_nodes = root.findall("track")
        for node in track_nodes:
            task = self._task_of(node)
            if task.size is None and task.stop is None:
                frames = self.named.setdefault(task.id, [])
                frames += [int(f) for c in node if (f := c.get("frame", "")).lstrip("-").isdigit()]
        total = len(image_nodes) + len(track_nodes)
        for index, node in enumerate(checked(image_nodes, self.ctx)):
            if index % 200 == 0:
                self.ctx.progress(index, total)
            self._image(node, at("image", index))
        for index, node in enumerate(checked(track_nodes, self.ctx)):
            if index % 50 == 0:
                self.ctx.progress(len(image_nodes) + index, total)
            self._track(node, at("track", index))
        for video in self.videos.values():
            if video.task.names:
                video.item.kind = "sequence"
                if len(video.item.frames) == 1:  # a single image written as a one-frame task
                    _as_image(video.item)
            self.dataset.items.append(video.item)
        self.ctx.progress(total, total)

    def _task_of(self, node: ET.Element) -> TaskInfo:
        task_id = node.get("task_id")
        if task_id is not None and task_id in self.meta.tasks:
            return self.meta.tasks[task_id]
        if self.meta.tasks:
            return next(iter(self.meta.tasks.values()))
        return self.meta.tasks.setdefault("", TaskInfo(""))

    def _image(self, node: ET.Element, where: str) -> None:
        try:
            frame = int(node.get("id", ""))
        except ValueError:
            self.ctx.warn(where, f"image id {node.get('id')!r} is not an integer; image skipped")
            return
        name = node.get("name") or f"frame_{frame:06d}"
        try:
            width = size(node.get("width"), "width")
            height = size(node.get("height"), "height")
        except Skip as error:
            self.ctx.warn(where, f"{error.message}; size left unknown")
            width = height = None
        task = self._task_of(node)
        subset = node.get("subset") or task.subset
        item = Item(
            id=f"{subset}/{frame}" if subset and len(self.meta.tasks) > 1 else str(frame),
            name=name,
            image=name,
            width=width,
            height=height,
        )
        if subset:
            item.extra["subset"] = subset
        item.image_path = self._find(name)
        self.images[(task.id, frame)] = item
        self.dataset.items.append(item)
        size_ = item.size_of()
        group_parts: dict[str, int] = {}
        for kind_index, element in _indexed(node, SHAPES):
            place = f"{where}.{element.tag}[{kind_index}]"
            obj = self._shape_object(element, place, size_, group_parts)
            if obj is not None:
                item.objects.append(obj)
        for tag_index, element in enumerate(node.findall("tag")):
            answer = self._tag(element, f"{where}.tag[{tag_index}]", None)
            if answer is not None:
                item.classifications.append(answer)

    def _find(self, name: str) -> Path | None:
        if self.zipped:
            return None
        return self.ctx.images.find(name)

    def _label(self, element: ET.Element, fallback: str | None = None) -> str:
        label = element.get("label") or fallback or ""
        if label not in self.dataset.categories:
            # A label missing from <meta> (or none at all: Datumaro writes label="").
            self.dataset.categories[label] = Category(name=label)
        return label

    def _shape_object(
        self,
        element: ET.Element,
        where: str,
        size_: tuple[int, int] | None,
        groups: dict[str, int],
    ) -> ObjectLabel | None:
        try:
            shape = shape_of(element, 0)
            if element.tag == "skeleton":
                shape.payload = skeleton_nodes(element, 0, where)
            label = self._label(element)
            obj = self._object(shape, label, element.get("source"), size_, None, None)
        except BAD_VALUE as error:
            place = f"{where}.{error.where}" if isinstance(error, Skip) and error.where else where
            self.ctx.warn(place, f"{describe(error)}; shape skipped")
            return None
        group = element.get("group_id")
        if group not in (None, "", "0"):
            obj.extra = {**(obj.extra or {}), "group_id": group}
        return obj

    def _object(
        self,
        shape: TrackShape,
        label: str,
        source: str | None,
        size_: tuple[int, int] | None,
        frame: int | None,
        track: str | None,
    ) -> ObjectLabel:
        category = self.dataset.categories.get(label)
        nodes = ()
        if shape.kind == "skeleton" and category is not None and category.skeleton is not None:
            nodes = category.skeleton.names
        geometry = geometry_of(shape, size_, nodes)
        if shape.kind == "cuboid" and category is not None and category.skeleton is None:
            category.skeleton = CUBOID_SKELETON  # drawn as the cuboid's outline
        specs = self.meta.labels[label].attributes if label in self.meta.labels else {}
        attributes = []
        if shape.occluded is not None:
            attributes.append(Answer("occluded", shape.occluded))
        attributes += answers(shape.attributes, specs)
        obj = ObjectLabel(
            label,
            geometry,
            frame=frame,
            track=track,
            attributes=attributes,
            z_order=shape.z_order,
        )
        if source:
            obj.source = "model" if source in _MODEL_SOURCES else "manual"
            if source not in ("auto", "manual"):
                obj.extra = {"cvat_source": source}
        if track is not None:
            obj.extra = {**(obj.extra or {}), "keyframe": shape.keyframe and shape.given}
        if shape.kind in ("points", "cuboid") and not isinstance(geometry, type(None)):
            obj.extra = {**(obj.extra or {}), "cvat_shape": shape.kind}
        return obj

    def _tag(self, element: ET.Element, where: str, frame: int | None) -> Answer | None:
        label = element.get("label")
        if not label:
            self.ctx.warn(where, "tag without a label; skipped")
            return None
        specs = self.meta.labels[label].attributes if label in self.meta.labels else {}
        values = {
            child.get("name", ""): child.text or ""
            for child in element.findall("attribute")
            if child.get("name") is not None
        }
        flat = answers(values, specs)
        answer = Answer(label, frames=(frame, frame) if frame is not None else None)
        source = element.get("source")
        if source:
            answer.source = "model" if source in _MODEL_SOURCES else "manual"
        # Our writer nests answers as `question/sub-question`; a plain name is a child.
        for given in flat:
            if given.name == label:
                answer.value = given.value
                continue
            path = given.name
            if path.startswith(f"{label}/"):
                path = path[len(label) + 1 :]
            _nest(answer, path.split("/"), given.value)
        return answer

    # --- tracks ---------------------------------------------------------------------------------

    def _video(self, task: TaskInfo) -> _Video:
        found = self.videos.get(task.id)
        if found is not None:
            return found
        name = task.name or task.source or self.meta.source or "video"
        item = Item(
            id=task.id or "video",
            name=name,
            kind="video",
            image=task.source or self.meta.source,
            width=task.width,
            height=task.height,
        )
        if task.subset:
            item.extra["subset"] = task.subset
        start, step, count = self._sequence(task)
        video = _Video(item, task, start, step, count)
        self.videos[task.id] = video
        if count <= MAX_FRAMES_LISTED:  # Frame entries cost ~1 KB each: a longer video lists none
            stem = PurePosixPath(name).stem or "video"
            item.frames = [self._frame(video, start + i * step, stem) for i in range(count)]
        else:
            item.extra["frame_count"] = count
        return video

    def _sequence(self, task: TaskInfo) -> tuple[int, int, int]:
        """(first frame, step, frame count) of a task: from <meta>, else from the frames its
        tracks name (scanned before reading: the first to the last at their common step).
        """
        claimed = task.count()
        if claimed is not None:
            start, step, count = task.start, task.step, claimed
        else:
            named = sorted(self.named.get(task.id, ())) or [0]
            start = named[0]
            step = reduce(math.gcd, (f - start for f in named), 0) or 1
            count = (named[-1] - start) // step + 1
        if count > limits.MAX_FRAMES:
            self.ctx.warn(
                "meta", f"the task claims {count:,} frames; read up to {limits.MAX_FRAMES:,}"
            )
            count = limits.MAX_FRAMES
        return start, step, count

    def _frame(self, video: _Video, frame: int, stem: str) -> Frame:
        position = video.position(frame) or 0
        named = video.task.names.get(frame)
        if named is not None:  # written by labelview: the frame's own image name
            return Frame(index=frame, name=named, image=named, image_path=self._find(named))
        # CVAT's layout (images/frame_000000.png, by position), then ours (images/<task>/<frame>).
        for reference in (f"frame_{position:06d}", f"{video.item.name}/{frame:06d}"):
            path = self._find_stem(reference)
            if path is not None:
                return Frame(
                    index=frame,
                    name=f"{stem}/{frame:06d}",
                    image=reference + path.suffix,
                    image_path=path,
                )
        if (
            video.count == 1
            and video.item.image
            and video.item.image.lower().endswith(_IMAGE_SUFFIXES)
        ):
            return Frame(index=frame, name=video.item.image, image=video.item.image)
        return Frame(index=frame, name=f"{video.item.name}/{frame:06d}")

    def _find_stem(self, stem: str) -> Path | None:
        if self.base is None:
            return None
        for suffix in (".png", ".jpg", ".jpeg", ".PNG", ".JPG", ".JPEG"):
            candidate = self.base / "images" / f"{stem}{suffix}"
            if candidate.is_file():
                return candidate
        return None

    def _track(self, node: ET.Element, where: str) -> None:
        task = self._task_of(node)
        track_id = node.get("id") or where
        label = self._label(node)
        shapes: list[TrackShape] = []
        numbers: list[int] = []
        nested: dict[str, list[TrackShape]] = {}
        for kind_index, element in _indexed(node, SHAPES):
            place = f"{where}.{element.tag}[{kind_index}]"
            try:
                number = int(element.get("frame", ""))
                shape = shape_of(element, number)
                shape.where = place
                if element.tag == "skeleton":
                    shape.payload = skeleton_nodes(element, number, place)
            except BAD_VALUE as error:
                self.ctx.warn(place, f"{describe(error)}; shape skipped")
                continue
            shapes.append(shape)
            numbers.append(number)
        for sub_index, sub in enumerate(node.findall("track")):  # older skeleton tracks
            sub_label = sub.get("label") or ""
            for kind_index, element in _indexed(sub, ("points",)):
                place = f"{where}.track[{sub_index}].points[{kind_index}]"
                try:
                    number = int(element.get("frame", ""))
                    nested.setdefault(sub_label, []).append(shape_of(element, number))
                except BAD_VALUE as error:
                    self.ctx.warn(place, f"{describe(error)}; node skipped")
        if not shapes:
            self.ctx.warn(where, "track without a readable shape; skipped")
            return
        if (task.id, numbers[0]) in self.images:
            self._track_on_images(task, shapes, label, node, track_id)
            return
        video = self._video(task)
        kept = []
        for shape in shapes:
            position = video.position(shape.position)
            if position is None:
                self.ctx.warn(
                    shape.where, f"frame {shape.position} is not a frame of the task; skipped"
                )
                continue
            shape.position = position
            kept.append(shape)
        for sub_shapes in nested.values():
            for shape in sub_shapes:
                shape.position = video.position(shape.position) or 0
        if not kept:
            return
        shapes, end = kept, video.count
        self._expand_into(video, shapes, nested, label, node.get("source"), track_id, end, where)

    def _expand_into(
        self,
        video: _Video,
        shapes: list[TrackShape],
        nested: dict[str, list[TrackShape]],
        label: str,
        source: str | None,
        track_id: str,
        end: int,
        where: str,
    ) -> None:
        made = made_count(shapes, end)
        if made > self.budget:
            self.ctx.warn(
                where,
                f"track would fill in {made:,} frames, over the limit of {limits.MAX_FRAMES:,}"
                " interpolated frames per file (LABELVIEW_MAX_FRAMES); only its given shapes"
                " are read",
            )
            expanded = sorted((s for s in shapes if not s.outside), key=lambda s: s.position)
        else:
            self.budget -= made
            if shapes[0].kind == "skeleton":
                expanded = _skeleton_frames(shapes, nested, end)
            else:
                expanded = expand(shapes, end)
        count = 0
        for shape in expanded:
            frame = video.start + shape.position * video.step
            try:
                obj = self._object(
                    shape, label, shape.source or source, video.item.size_of(frame), frame, track_id
                )
            except BAD_VALUE as error:
                self.ctx.warn(shape.where or where, f"{describe(error)}; frame {frame} skipped")
                continue
            video.item.objects.append(obj)
            count += 1
        if not count:
            self.ctx.warn(where, "track is outside on every frame")

    def _track_on_images(
        self, task: TaskInfo, shapes: list[TrackShape], label: str, node: ET.Element, track_id: str
    ) -> None:
        frames = sorted(frame for (task_id, frame) in self.images if task_id == task.id)
        position = {frame: index for index, frame in enumerate(frames)}
        for shape in shapes:
            shape.position = position.get(shape.position, shape.position)
        for shape in expand(shapes, len(frames)):
            if shape.position >= len(frames):
                continue
            item = self.images[(task.id, frames[shape.position])]
            try:
                source = shape.source or node.get("source")
                obj = self._object(shape, label, source, item.size_of(), None, track_id)
            except BAD_VALUE as error:
                self.ctx.warn(shape.where, f"{describe(error)}; shape skipped")
                continue
            item.objects.append(obj)


def _as_image(item: Item) -> None:
    frame = item.frames[0]
    item.kind = "image"
    item.name = item.image = frame.image
    item.image_path = frame.image_path
    item.frames = []
    for obj in item.objects:
        obj.frame = None


def _skeleton_frames(
    shapes: list[TrackShape], nested: dict[str, list[TrackShape]], end: int
) -> list[TrackShape]:
    """A skeleton track's frames: where the skeleton is not outside and not every node is."""
    by_node: dict[str, list[TrackShape]] = {name: list(s) for name, s in nested.items()}
    for shape in shapes:
        for name, node in (shape.payload or {}).items():
            node.position = shape.position
            by_node.setdefault(name, []).append(node)
    node_frames = {
        name: {s.position: s for s in expand(node_shapes, end, include_outside=True)}
        for name, node_shapes in by_node.items()
    }
    result = []
    for shape in expand(shapes, end):
        nodes = {
            name: frames[shape.position]
            for name, frames in node_frames.items()
            if shape.position in frames
        }
        if nodes and all(node.outside for node in nodes.values()):
            continue
        shape.payload = nodes
        result.append(shape)
    return result


def _indexed(node: ET.Element, tags: tuple[str, ...]) -> list[tuple[int, ET.Element]]:
    """Children of `node` with one of `tags`, each with its index among siblings of its tag."""
    counts: dict[str, int] = {}
    found = []
    for child in node:
        if child.tag in tags:
            index = counts.get(child.tag, 0)
            counts[child.tag] = index + 1
            found.append((index, child))
    return found


def _nest(answer: Answer, path: list[str], value: Any) -> None:
    node = answer
    for part in path[:-1]:
        child = next((c for c in node.children if c.name == part), None)
        if child is None:
            child = Answer(part)
            node.children.append(child)
        node = child
    existing = next((c for c in node.children if c.name == path[-1]), None)
    if existing is not None:
        existing.value = value
    else:
        node.children.append(Answer(path[-1], value))
