"""One Dataloop item record: its name, kind (image or video), size, frames and status history.

The item name is the record's `filename` without the leading `/` (the path of the item in its
dataset), which is also the image reference; `..` segments are removed.
"""

from __future__ import annotations

from pathlib import PurePosixPath

from labelview.formats._reading import at
from labelview.formats.dataloop.shapes import MAX_SIDE, Warn
from labelview.formats.dataloop.tracks import frame_count, optional_integer, video_fps
from labelview.model import Frame, Item, StageEvent

VIDEO_SUFFIXES = frozenset({".mp4", ".webm", ".mov", ".avi", ".mkv", ".m4v", ".mpg", ".mpeg"})
MAX_FRAMES_LISTED = 20_000  # Frame entries cost ~1 KB each; longer videos list none


def under(loc: str, *parts: str | int) -> str:
    """at() below `loc`, which is '' for a record that is the whole document."""
    return at(loc, *parts) if loc else at(*parts)


def item_shell(raw: dict, loc: str, fallback: str, default_id: str, warn: Warn) -> Item:
    """The item of one record without its annotations: name, kind, size, frames, status."""
    metadata = raw.get("metadata")
    if not isinstance(metadata, dict):
        metadata = raw.get("itemMetadata") if isinstance(raw.get("itemMetadata"), dict) else {}
    system = metadata.get("system") if isinstance(metadata.get("system"), dict) else {}
    filename = raw.get("filename")
    if not isinstance(filename, str) or not filename.strip("/"):
        name = raw.get("name")
        folder = raw.get("dir") if isinstance(raw.get("dir"), str) else ""
        filename = f"{folder.rstrip('/')}/{name}" if isinstance(name, str) and name else None
    item_id = raw.get("id") or raw.get("_id") or fallback or default_id
    name = fallback
    if filename:
        parts = [p for p in filename.replace("\\", "/").split("/") if p not in ("", ".")]
        clean = [p for p in parts if p != ".."]
        if len(clean) != len(parts):
            warn(under(loc, "filename"), f"'..' removed from {filename!r}", item=str(item_id))
        name = "/".join(clean) or fallback
    mimetype = system.get("mimetype") if isinstance(system.get("mimetype"), str) else ""
    suffix = PurePosixPath(name).suffix.lower()
    if mimetype.startswith("video/") or (not mimetype and suffix in VIDEO_SUFFIXES):
        kind = "video"
    elif mimetype.startswith("image/") or not mimetype:
        kind = "image"
    else:
        kind = "other"
    width, height = optional_integer(system.get("width")), optional_integer(system.get("height"))
    if (
        width is not None
        and height is not None
        and not (0 < width <= MAX_SIDE and 0 < height <= MAX_SIDE)
    ):
        warn(
            under(loc, "metadata.system"),
            f"item size {width}×{height} ignored (not a usable image size)",
            item=str(item_id),
        )
        width = height = None
    exif = system.get("exif") if isinstance(system.get("exif"), dict) else {}
    orientation = optional_integer(exif.get("Orientation"))
    if orientation in (5, 6, 7, 8) and width and height:
        # Annotations live in the displayed (EXIF-applied) frame; width/height are the stored
        # pixels: swap.
        width, height = height, width
    extra = {
        k: v
        for k, v in raw.items()
        if k not in ("annotations", "url", "stream", "thumbnail", "dataset")
    }
    if orientation:
        extra["exif_orientation"] = orientation
    tags = system.get("tags") or metadata.get("tags")
    if tags:
        extra["tags"] = tags
    item = Item(
        id=str(item_id),
        name=name,
        kind=kind,
        image=name if filename else None,
        width=width or None,
        height=height or None,
        extra=extra,
    )
    if kind == "video":
        item.fps = video_fps(metadata, system)
        count = frame_count(system)
        if count:
            item.extra["frame_count"] = count  # item.extra: pydantic copied `extra`
            if count <= MAX_FRAMES_LISTED:
                item.frames = [Frame(index=i) for i in range(count)]
    read_status(item, system)
    return item


def read_status(item: Item, system: dict) -> None:
    """The item's status and its task/status history."""
    for ref in system.get("refs") or []:
        if isinstance(ref, dict) and isinstance(ref.get("metadata"), dict):
            status = ref["metadata"].get("status")
            if status and (item.status is None or ref.get("type") == "task"):
                item.status = str(status)
    for entry in system.get("taskStatusLog") or []:
        if not isinstance(entry, dict) or not isinstance(entry.get("status"), dict):
            continue
        status = entry["status"]
        action = str(status.get("status") or "")
        if entry.get("action") == "deleted":
            action = f"{action} removed"
        item.history.append(
            StageEvent(
                stage=f"task {status.get('taskId')}" if status.get("taskId") else None,
                actor=status.get("creator"),
                action=action or None,
                at=status.get("timestamp"),
                extra={k: v for k, v in status.items() if k in ("taskId", "assignmentId")},
            )
        )
    for entry in system.get("statusLog") or []:
        if isinstance(entry, dict):
            action = str(entry.get("status") or "")
            if entry.get("action") == "deleted":
                action = f"{action} removed"
            item.history.append(
                StageEvent(actor=entry.get("creator"), action=action, at=entry.get("timestamp"))
            )
    legacy = system.get("annotationStatus")
    if item.status is None and isinstance(legacy, list) and legacy:
        item.status = str(legacy[-1])


# -- annotations -------------------------------------------------------------------------------
