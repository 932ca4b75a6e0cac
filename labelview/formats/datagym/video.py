"""DataGym video labels: the per-task export (`datagym_export_<millis>_<taskId>.json`).

It holds `frames` (frame → the object ids visible there) and `object` (object id → keyframe →
geometry and classifications), keyframes only, and names no class. Rectangles are interpolated
linearly between keyframes on the frames where the object is visible; the other shapes keep only
their last point in this export and are skipped.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from labelview.cancel import checked
from labelview.formats._reading import BAD_VALUE, at, describe, integer, sequence, take, text
from labelview.formats.base import ReadContext
from labelview.formats.datagym.values import GEOMETRY_TYPES, answers, geometry
from labelview.model import Answer, Box, Dataset, Frame, Item, ObjectLabel

_TASK_FILE = re.compile(r"datagym_export_\d+_(.+)$")


def _lerp(a: Box, b: Box, t: float) -> Box:
    return Box(
        a.x + (b.x - a.x) * t, a.y + (b.y - a.y) * t, a.w + (b.w - a.w) * t, a.h + (b.h - a.h) * t
    )


def _visible(data: dict, item: Item, ctx: ReadContext, file: Path | None) -> dict[str, list[int]]:
    visible: dict[str, list[int]] = {}
    frames = data.get("frames") if isinstance(data.get("frames"), dict) else {}
    for frame_key, entries in checked(frames.items(), ctx):
        try:
            frame = integer(frame_key, "frame", low=0)
            for entry in sequence(entries, "visible objects"):
                visible.setdefault(text(take(entry, "visibleObjectId")), []).append(frame)
        except BAD_VALUE as error:
            ctx.warn(
                at("frames", str(frame_key)),
                f"frame skipped: {describe(error)}",
                item=item.id,
                file=file,
            )
    return visible


def video_objects(
    item: Item,
    data: dict,
    ctx: ReadContext,
    dataset: Dataset,
    types: dict[str, str],
    *,
    file: Path | None = None,
) -> None:
    """Per-task video export → one ObjectLabel per visible frame (rectangles interpolated)."""
    visible = _visible(data, item, ctx, file)
    # The per-task export names no class: objects are grouped by their shape.
    geometry_classes = [name for name, kind in types.items() if kind in GEOMETRY_TYPES]
    single = geometry_classes[0] if len(geometry_classes) == 1 else None
    unusable = 0
    objects = data.get("object") if isinstance(data.get("object"), dict) else {}
    for object_id, changes in checked(objects.items(), ctx):
        oloc = at("object", str(object_id))
        if not isinstance(changes, dict):
            ctx.warn(oloc, "object is not an object", item=item.id, obj=str(object_id), file=file)
            continue
        keyframes: list[tuple[int, Box | None, list[Answer]]] = []
        kinds = set()
        for frame_key, change in checked(changes.items(), ctx):
            floc = at(oloc, str(frame_key))
            try:
                frame = integer(frame_key, "frame", low=0)
            except BAD_VALUE:
                ctx.warn(floc, "frame is not a number", item=item.id, file=file)
                continue
            if not isinstance(change, dict):
                ctx.warn(floc, "keyframe is not an object", item=item.id, file=file)
                continue
            attributes = answers(change.get("classifications"), types)
            kind = next((k for k in GEOMETRY_TYPES if k in change), None)
            box: Box | None = None
            if kind == "rectangle":
                kinds.add(kind)
                try:
                    box = geometry(kind, change[kind])  # type: ignore[assignment]
                except BAD_VALUE as error:
                    ctx.warn(floc, f"rectangle skipped: {describe(error)}", item=item.id, file=file)
            elif kind is not None:
                kinds.add(kind)
                unusable += 1
                continue
            keyframes.append((frame, box, attributes))
        keyframes.sort(key=lambda entry: entry[0])
        if "rectangle" not in kinds:
            continue
        category = single or "rectangle"
        dataset.category(category, shape="box")
        shown = sorted(set(visible.get(str(object_id), [k[0] for k in keyframes])))
        item.objects.extend(_track(str(object_id), category, keyframes, shown, ctx))
    if unusable:
        ctx.warn(
            "object",
            f"{unusable} polygon/line/point keyframes skipped: DataGym's video export keeps only "
            "their last point",
            item=item.id,
            file=file,
        )
    if single is None:
        ctx.warn(
            "object",
            "the per-task video export names no class; its objects are shown as 'rectangle'",
            item=item.id,
            file=file,
        )
    indices = sorted({obj.frame for obj in item.objects if obj.frame is not None})
    known = {frame.index for frame in item.frames}
    item.frames.extend(Frame(index=i) for i in indices if i not in known)


def _track(
    object_id: str,
    category: str,
    keyframes: list[tuple[int, Box | None, list[Answer]]],
    shown: list[int],
    cancel: Any = None,
) -> list[ObjectLabel]:
    """One box per frame the object is shown on: its keyframe's, or interpolated to the next."""
    result = []
    for frame in checked(shown, cancel):
        before = [k for k in keyframes if k[0] <= frame]
        after = [k for k in keyframes if k[0] > frame]
        if not before:
            continue
        start = before[-1]
        attributes = next((k[2] for k in reversed(before) if k[2]), [])
        if start[1] is None:
            continue
        box = start[1]
        keyframe = start[0] == frame
        if not keyframe and after and after[0][1] is not None:
            end = after[0]
            box = _lerp(start[1], end[1], (frame - start[0]) / (end[0] - start[0]))
        result.append(
            ObjectLabel(
                category=category,
                geometry=box,
                id=f"{object_id}@{frame}",
                frame=frame,
                track=object_id,
                attributes=list(attributes),
                source="manual",
                extra={"keyframe": keyframe},
            )
        )
    return result


def read_video_task(path: Path, data: dict, ctx: ReadContext) -> Dataset:
    """A per-task video export read on its own: one video item named by its task id."""
    dataset = Dataset(meta={"kind": "datagym video task export"})
    match = _TASK_FILE.search(path.stem)
    task_id = match.group(1) if match else path.stem
    item = Item(id=task_id, name=task_id, kind="video")
    video_objects(item, data, ctx, dataset, {})
    dataset.items.append(item)
    return dataset


def find_task_export(roots: list[Path], task_id: str) -> Path | None:
    """The per-task export of `task_id` in the folders searched (the first by name)."""
    for root in roots:
        if not root.is_dir():
            continue
        for candidate in sorted(root.glob(f"datagym_export_*_{task_id}.json")):
            return candidate
        if (root / f"{task_id}.json").is_file():
            return root / f"{task_id}.json"
    return None


def task_id_of(value: Any) -> str | None:
    match = re.search(r"exportVideoTask/([^/?#]+)", str(value or ""))
    return match.group(1) if match else None
