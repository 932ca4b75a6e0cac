"""Writing CVAT for video 1.1: one task per item (a video, image group or sequence — or a single
image as a task of one frame), each object's frames as a `<track>` of shapes.

- A track is the objects sharing a track id (an object without one is a track of its own; an
  object without a frame is on every frame). A track whose label or shape type changes is split,
  since a CVAT track has one of each; a multi-part polygon gives one track per part.
- Every frame the object is on is written (as CVAT's own export does). A shape is a keyframe
  where a segment starts, where it differs from the frame before (geometry, occluded flag or an
  attribute), or where the CVAT read that made it said so; a consecutive identical shape is not.
- Where the object leaves (the next frame of the task has no shape of the track) an `outside`
  keyframe follows, so CVAT neither interpolates across the gap nor holds the shape.
- The task's frames are the item's frame numbers from the first to the last, at their common
  step (`<frame_filter>step=k</frame_filter>` when above 1). An attribute whose value changes
  along a track is declared `mutable`.
- CVAT for video has no tags: item and frame classifications are reported as dropped (`holds`).
- Frames of a video are named `<task name>/<frame:06d>` (the task is named after the video);
  frames of other items keep their image names in `<frame_names>` inside the task, labelview's
  own addition that CVAT and Datumaro skip.
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from functools import reduce

from labelview.cancel import checked
from labelview.formats._writing import ImagePlacer, Picture, is_multi_frame, pictures
from labelview.formats.base import WriteContext, WriteReport
from labelview.formats.cvat.labels import labels_element
from labelview.formats.cvat.shapes import ShapeWriter
from labelview.model import Dataset, Item, ObjectLabel

# What may differ between two frames' elements without making the second a keyframe.
_PER_FRAME = frozenset({"frame", "keyframe", "outside"})


@dataclass(slots=True)
class _Series:
    label: str
    tag: str
    source: str
    frames: dict[int, ET.Element] = field(default_factory=dict)  # position -> element
    keyframes: dict[int, bool | None] = field(default_factory=dict)  # the read's own flags
    group: str | None = None


@dataclass(slots=True)
class _Task:
    id: int
    item: Item
    name: str
    first: int
    step: int
    size: int
    pictures: list[Picture]
    series: dict[tuple, _Series] = field(default_factory=dict)


def write_tasks(
    dataset: Dataset,
    shapes: ShapeWriter,
    placer: ImagePlacer,
    ctx: WriteContext,
    report: WriteReport,
    images_dir: str,
) -> tuple[ET.Element, list[ET.Element]]:
    """The `<meta>` and the `<track>` elements of every item."""
    tasks = []
    total = len(dataset.items)
    every = []
    for index, item in enumerate(checked(dataset.items, ctx)):
        if index % 50 == 0:
            ctx.progress(index, total)
        found = pictures(item, ctx.image_roots, report, cancel=ctx)
        if found:
            every.append((item, found))
    for item, found in every:
        task = _task(len(tasks), item, found)
        for picture in checked(found, ctx):
            placer.place(picture.path, f"{images_dir}/{picture.name}")
            report.items += 1
        _collect(task, shapes, report, ctx)
        tasks.append(task)
    tracks: list[ET.Element] = []
    # One source track keeps one id in every task it is in (an export may reuse an object's id
    # across items); its other series (parts, splits) and untracked objects get ids of their own.
    shared: dict[str, int] = {}
    counter = 0
    for task in tasks:
        used: set[int] = set()
        for key, series in task.series.items():
            track_id = shared.get(key[0]) if isinstance(key[0], str) else None
            if track_id is None or track_id in used:
                track_id = counter
                counter += 1
                if isinstance(key[0], str) and key[0] not in shared:
                    shared[key[0]] = track_id
            used.add(track_id)
            tracks.append(_track(track_id, task, series, shapes, len(tasks) > 1))
    return _meta(dataset, tasks, shapes), tracks


def _task(task_id: int, item: Item, found: list[Picture]) -> _Task:
    frames = [p.frame if p.frame is not None else 0 for p in found]
    first, last = min(frames), max(frames)
    step = reduce(math.gcd, (f - first for f in frames), 0) or 1
    if not is_multi_frame(item):
        name = found[0].name
    elif item.kind == "video":
        name = found[0].name.rsplit("/", 1)[0]
    else:
        name = _stem(found[0].name)
    return _Task(task_id, item, name, first, step, (last - first) // step + 1, found)


def _stem(name: str) -> str:
    return name.rsplit(".", 1)[0] if "." in name.rsplit("/", 1)[-1] else name


def _collect(task: _Task, shapes: ShapeWriter, report: WriteReport, cancel=None) -> None:
    """Every object of every frame as an element of its track's series."""
    scratch = ET.Element("scratch")
    for picture in checked(task.pictures, cancel):
        frame = picture.frame if picture.frame is not None else task.first
        position = (frame - task.first) // task.step
        for obj in checked(picture.objects, cancel):
            scratch.clear()
            if not shapes.object(scratch, obj, picture.frame, picture.size):
                continue
            if picture.frame is None or obj.frame is not None or position == 0:
                report.objects += 1  # an object without a frame counts once, not per frame
            for part, element in enumerate(scratch):
                _place(task, obj, part, element, position, report)


def _place(
    task: _Task, obj: ObjectLabel, part: int, element: ET.Element, position: int, report
) -> None:
    track: str | int = obj.track if obj.track is not None else id(obj)
    key = (track, part, obj.category, element.tag)
    series = task.series.get(key)
    copies = 1
    while series is not None and position in series.frames:
        # Two objects of one track on one frame: the second is a track of its own.
        if copies == 1:
            report.drop("objects sharing a track id on one frame (written as tracks of their own)")
        key = (track, part, obj.category, element.tag, copies)
        series = task.series.get(key)
        copies += 1
    if series is None:
        series = task.series[key] = _Series(obj.category, element.tag, element.get("source", ""))
    element.attrib.pop("label", None)
    if element.get("source") == series.source:
        element.attrib.pop("source")  # a shape keeps its own only where it differs
    group = element.attrib.pop("group_id", None)
    series.group = series.group or group
    series.frames[position] = element
    flag = (obj.extra or {}).get("keyframe")
    series.keyframes[position] = flag if isinstance(flag, bool) else None


def _same(a: ET.Element, b: ET.Element) -> bool:
    """Equal shapes: the same attributes (but frame flags) and the same attribute children."""
    keys = (set(a.attrib) | set(b.attrib)) - _PER_FRAME
    if any(a.get(k) != b.get(k) for k in keys):
        return False
    children_a = [(c.tag, c.attrib, c.text or "", [(g.attrib, g.text) for g in c]) for c in a]
    children_b = [(c.tag, c.attrib, c.text or "", [(g.attrib, g.text) for g in c]) for c in b]
    return children_a == children_b


def _track(
    track_id: int, task: _Task, series: _Series, shapes: ShapeWriter, several: bool
) -> ET.Element:
    attrs = {"id": str(track_id), "label": series.label, "source": series.source or "manual"}
    if several:
        attrs["task_id"] = str(task.id)
    if series.group:
        attrs["group_id"] = series.group
    element = ET.Element("track", attrs)
    positions = sorted(series.frames)
    previous: ET.Element | None = None
    previous_position = -2
    label = shapes.label(series.label)
    seen: dict[str, str] = {}
    for position in positions:
        shape = series.frames[position]
        starts = position != previous_position + 1
        given = series.keyframes[position]
        if starts:
            keyframe = True
        elif given is not None:
            keyframe = given
        else:
            keyframe = previous is None or not _same(previous, shape)
        _frame_flags(shape, task, position, keyframe, outside=False)
        element.append(shape)
        for child in shape.findall("attribute"):
            name, value = child.get("name", ""), child.text or ""
            if name in seen and seen[name] != value:
                label.mutable.add(name)
            seen[name] = value
        if shape.tag == "skeleton":
            for node in shape.findall("points"):
                node.attrib.pop("source", None)
                node.set("keyframe", "1" if keyframe else "0")
        leaves = position + 1 not in series.frames and position + 1 < task.size
        if leaves:
            outside = ET.fromstring(ET.tostring(shape))
            _frame_flags(outside, task, position + 1, True, outside=True)
            for node in outside.findall("points"):
                node.set("outside", "1")
                node.set("keyframe", "1")
            element.append(outside)
        previous, previous_position = shape, position
    return element


def _frame_flags(
    shape: ET.Element, task: _Task, position: int, keyframe: bool, *, outside: bool
) -> None:
    frame = task.first + position * task.step
    flags = {
        "frame": str(frame),
        "keyframe": "1" if keyframe else "0",
        "outside": "1" if outside else "0",
    }
    # CVAT writes these first; keep its order for readers that look.
    rest = dict(shape.attrib)
    shape.attrib.clear()
    shape.attrib.update(flags)
    shape.attrib.update({k: v for k, v in rest.items() if k not in flags})


def _meta(dataset: Dataset, tasks: list[_Task], shapes: ShapeWriter) -> ET.Element:
    meta = ET.Element("meta")
    if len(tasks) == 1:
        owner = ET.SubElement(meta, "task")
        _task_element(owner, tasks[0])
    else:
        owner = ET.SubElement(meta, "project")
        source = dataset.source.name if dataset.source is not None else "labelview export"
        ET.SubElement(owner, "name").text = source
        listed = ET.SubElement(owner, "tasks")
        for task in tasks:
            _task_element(ET.SubElement(listed, "task"), task)
    owner.append(labels_element(shapes.labels, dataset))
    return meta


def _task_element(node: ET.Element, task: _Task) -> None:
    stop = task.first + (task.size - 1) * task.step
    for tag, text in (
        ("id", str(task.id)),
        ("name", task.name),
        ("size", str(task.size)),
        ("mode", "interpolation"),
        ("overlap", "0"),
        ("bugtracker", ""),
        ("start_frame", str(task.first)),
        ("stop_frame", str(stop)),
        ("frame_filter", f"step={task.step}" if task.step > 1 else ""),
    ):
        ET.SubElement(node, tag).text = text
    size = task.item.size_of()
    if size is not None:
        original = ET.SubElement(node, "original_size")
        ET.SubElement(original, "width").text = str(size[0])
        ET.SubElement(original, "height").text = str(size[1])
    if task.item.kind != "video":
        names = ET.SubElement(node, "frame_names")
        for picture in task.pictures:
            frame = picture.frame if picture.frame is not None else task.first
            ET.SubElement(names, "frame_name", {"frame": str(frame), "name": picture.name})
