"""Segments.ai release files: segmentation bitmaps, vector labels and image sequences.

A release is one JSON document whose images and label bitmaps are URLs. Three generations exist
(categories under `dataset.tasks`, under a `labelsets` dict, or under `dataset.task_attributes`);
all are read. One labelset is read per call: the ground-truth one unless the reader option
`labelset` names another (read twice and compare to see predictions against ground truth). The
other labelsets' statuses stay in `Item.extra["other_labelsets"]`, and a warning says which
labelset was chosen whenever several carry labels.

A segmentation bitmap is an RGBA PNG with instance id = R + 256·G + 65536·B (0 = unlabeled). Each
annotation becomes a Mask whose LazyMask selects its id from the bitmap; the bitmap is decoded once
and kept in a small LRU cache while its instances are being drawn or converted. Ids above 65535 are
kept exact (the platform's SDK cache clips them to 16 bits; such 16-bit files are read too, with a
warning when an id cannot fit).

Reader options (ReadContext.options): `labelset` (a labelset name), `check_bitmaps` (True: decode
every located bitmap while reading to warn about ids without annotations and annotations without
pixels; False: never; unset: only when the bitmaps are small, up to AUTO_CHECK_PIXELS in all).

Local files are found, in order: the user's URL map (`--url-map`, {url: path}), the layout the SDK
downloads to (image named like the sample, bitmap `<sample stem>_label_<labelset>.png`) under
`--images DIR` or beside the release and its subfolders, then the URL's base name. The network is
never used.
"""

from __future__ import annotations

import re
import threading
from collections import Counter, OrderedDict
from functools import partial
from pathlib import Path, PurePosixPath
from typing import Any

import numpy as np

from labelview.formats.base import (
    Confidence,
    Detection,
    Format,
    Probe,
    ReadContext,
    gc_paused,
    load_json,
    no,
    where,
)
from labelview.images import ImageFinder, default_roots, image_size, reference_parts
from labelview.model import (
    Answer,
    Box,
    Dataset,
    Frame,
    Item,
    LazyMask,
    Mask,
    ObjectLabel,
    Point,
    Polygon,
    Polyline,
    Relation,
    StageEvent,
)

NAME = "segments"
_BAD = (KeyError, TypeError, ValueError, IndexError, AttributeError)
# Reading decodes every located bitmap to check its ids when their pixels add up to no more than
# this (small releases are fully validated; big ones decode lazily, on demand).
AUTO_CHECK_PIXELS = 64_000_000
_VECTOR_TYPES = frozenset({"bbox", "polygon", "polyline", "point"})
_OBJECT_KEYS = frozenset(
    {"id", "category_id", "type", "points", "attributes", "track_id", "is_keyframe"}
)

# --- detection ------------------------------------------------------------------------------------

_KEY = re.compile(
    r'"(dataset|samples|labels|task_attributes|labelsets|tasks|label_status|'
    r'segmentation_bitmap|is_groundtruth)"\s*:'
)


def detect(probe: Probe) -> Detection:
    """A dict with `dataset.samples` plus task_attributes / labelsets / tasks."""
    if probe.is_dir or probe.is_zip:
        return no("not a single JSON file")
    start = probe.json_start()
    if start != "{":
        if start == "[":
            return no("top level is a JSON array; a Segments.ai release is an object")
        return no("not JSON")
    text = probe.text
    keys = set(_KEY.findall(text))
    if "dataset" not in keys:
        return Detection(Confidence.WEAK, ".json, but no 'dataset' block of a Segments.ai release")
    if "task_attributes" in keys or "is_groundtruth" in keys or "segmentsai-" in text:
        return Detection(
            Confidence.CERTAIN, "Segments.ai release (dataset.task_attributes / labelsets)"
        )
    if "samples" in keys and ("labelsets" in keys or "tasks" in keys):
        return Detection(Confidence.CERTAIN, "Segments.ai release (dataset.samples + labelsets)")
    if "samples" in keys and ("labels" in keys or "label_status" in keys):
        return Detection(Confidence.LIKELY, "'dataset' with 'samples' and 'labels'")
    return Detection(Confidence.WEAK, ".json with a 'dataset' key, but no samples seen")


# --- label bitmaps --------------------------------------------------------------------------------


class BitmapError(ValueError):
    """A label PNG that cannot be read as instance ids."""


_RGB_MODES = frozenset({"RGBA", "RGB"})
_ID_MODES = frozenset({"I", "I;16", "I;16B", "I;16L", "I;16N"})


def decode_bitmap(path: Path) -> np.ndarray:
    """Instance ids (uint32, h × w) of a label PNG: RGBA/RGB colour-coded, or 16/32-bit ids."""
    from PIL import Image

    try:
        with Image.open(path) as image:
            mode = image.mode
            if mode in _RGB_MODES:
                rgb = np.asarray(image, dtype=np.uint8)
                ids = rgb[..., 0].astype(np.uint32)
                ids |= rgb[..., 1].astype(np.uint32) << 8
                ids |= rgb[..., 2].astype(np.uint32) << 16
                return ids
            if mode in _ID_MODES:
                values = np.asarray(image)
                if values.dtype.kind == "i" and (values < 0).any():
                    raise BitmapError(f"{path.name}: negative instance ids")
                return values.astype(np.uint32)
    except OSError as error:
        raise BitmapError(f"{path.name}: cannot read PNG: {error}") from error
    raise BitmapError(f"{path.name}: PNG mode {mode} holds no instance ids (expected RGBA)")


class _BitmapCache:
    """A few decoded bitmaps, least recently used dropped first (thread-safe for GUI workers)."""

    def __init__(self, *, max_entries: int = 8, max_bytes: int = 512 * 1024 * 1024) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._entries: OrderedDict[Path, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, path: Path) -> np.ndarray:
        with self._lock:
            found = self._entries.get(path)
            if found is not None:
                self._entries.move_to_end(path)
                return found
        ids = decode_bitmap(path)
        with self._lock:
            self._entries[path] = ids
            self._entries.move_to_end(path)
            while len(self._entries) > 1 and (
                len(self._entries) > self.max_entries
                or sum(a.nbytes for a in self._entries.values()) > self.max_bytes
            ):
                self._entries.popitem(last=False)
        return ids

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


BITMAP_CACHE = _BitmapCache()


class Bitmap:
    """One located label PNG: header (size, mode) read at load time, ids decoded on demand."""

    __slots__ = ("height", "mode", "path", "width")

    def __init__(self, path: Path, width: int, height: int, mode: str) -> None:
        self.path = path
        self.width = width
        self.height = height
        self.mode = mode

    @classmethod
    def open(cls, path: Path) -> Bitmap:
        """Read the header only; BitmapError for unreadable files and modes without ids."""
        from PIL import Image, UnidentifiedImageError

        try:
            with Image.open(path) as image:
                width, height = image.size
                mode = image.mode
        except (OSError, UnidentifiedImageError, ValueError) as error:
            raise BitmapError(f"{path.name}: cannot read image: {error}") from error
        if mode not in _RGB_MODES and mode not in _ID_MODES:
            raise BitmapError(
                f"{path.name}: PNG mode {mode} holds no instance ids (expected RGBA; an 8-bit "
                "file is usually a semantic or coloured export, not the label bitmap)"
            )
        return cls(path, width, height, mode)

    @property
    def sixteen_bit(self) -> bool:
        return self.mode.startswith("I;16")

    def ids(self) -> np.ndarray:
        """The decoded instance ids (cached)."""
        return BITMAP_CACHE.get(self.path)

    def select(self, instance_id: int) -> np.ndarray:
        """The bool mask of one instance."""
        return self.ids() == instance_id

    def mask(self, instance_id: int) -> Mask:
        """A lazily decoded Mask for one instance id."""
        loader = partial(self.select, instance_id)
        source = LazyMask(loader, describe=f"{self.path.name} id {instance_id}")
        return Mask(self.height, self.width, source)


# --- finding local files --------------------------------------------------------------------------


class _Locator:
    """Maps the release's URLs to local files (URL map, SDK download layout, URL base name)."""

    def __init__(self, release: Path, ctx: ReadContext) -> None:
        self.finder = ImageFinder(default_roots(release, ctx.images_dir))
        self.url_map: dict[str, Path] = {}
        if ctx.url_map is not None:
            self._load_map(Path(ctx.url_map), ctx)

    def _load_map(self, path: Path, ctx: ReadContext) -> None:
        try:
            data = load_json(path)
        except Exception as error:  # a bad map must not stop the release from loading
            ctx.warn("", f"URL map not used: {error}", file=path)
            return
        if not isinstance(data, dict):
            ctx.warn("", "URL map not used: expected a JSON object {url: local path}", file=path)
            return
        for url, local in data.items():
            if isinstance(local, str) and local:
                target = Path(local)
                self.url_map[str(url)] = target if target.is_absolute() else path.parent / target

    def _mapped(self, url: str | None) -> Path | None:
        if url and url in self.url_map and self.url_map[url].is_file():
            return self.url_map[url]
        return None

    def image(self, url: str | None, sample_name: str | None) -> Path | None:
        found = self._mapped(url)
        if found is None and sample_name:
            found = self.finder.find(sample_name)
            if found is None and url:
                # The SDK caches an image as <sample stem><url extension>.
                suffix = reference_parts(url).suffix
                if suffix:
                    found = self.finder.find(PurePosixPath(sample_name).stem + suffix)
        if found is None and url:
            found = self.finder.find(url)
        return found

    def frame_image(self, url: str, frame_name: str | None) -> Path | None:
        """A sequence frame: URL map, URL file name, then the frame's name (plus the URL suffix)."""
        found = self._mapped(url) or self.finder.find(url)
        if found is None and frame_name:
            found = self.finder.find(frame_name + reference_parts(url).suffix)
        return found

    def bitmap(self, url: str | None, sample_name: str | None, labelset: str | None) -> Path | None:
        found = self._mapped(url)
        if found is None and sample_name and labelset:
            found = self.finder.find(f"{PurePosixPath(sample_name).stem}_label_{labelset}.png")
        if found is None and url:
            found = self.finder.find(url)
        return found


# --- reading --------------------------------------------------------------------------------------


def _rgb(color: Any) -> tuple[tuple[int, int, int] | None, int | None]:
    if isinstance(color, (list, tuple)) and len(color) in (3, 4):
        values = [int(v) for v in color]
        if all(0 <= v <= 255 for v in values):
            return (values[0], values[1], values[2]), (values[3] if len(values) == 4 else None)
    return None, None


def _id_key(value: Any) -> Any:
    """Category ids compare as ints when they are int-like ("3" in one place, 3 in another)."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return value


def _answers(values: Any) -> list[Answer]:
    if values and isinstance(values, dict):
        return [Answer(str(name), value) for name, value in values.items()]
    return []


class _Reader:
    """State shared while reading one release."""

    def __init__(self, path: Path, ctx: ReadContext, data: dict) -> None:
        self.path = path
        self.ctx = ctx
        self.data = data
        self.block: dict = data["dataset"]
        self.dataset = Dataset()
        self.locator = _Locator(path, ctx)
        self.labelset: str | None = None
        self.categories: dict[Any, str] = {}
        self.no_geometry: Counter[str] = Counter()
        self.no_geometry_at: dict[str, str] = {}
        self.missing_images: list[tuple[str, str, str]] = []  # (where, item id, message)
        self.missing_bitmaps: list[tuple[str, str, str]] = []
        self.images_found = 0
        self.bitmaps_found = 0
        self.checks: list[tuple[str, Item, Bitmap, list[ObjectLabel], int | None]] = []

    # -- release level --

    def labelset_names(self, samples: list) -> list[str]:
        names: list[str] = []
        for source in (self.block.get("labelsets"), self.block.get("tasks")):
            if isinstance(source, dict):
                names += [str(key) for key in source]
            elif isinstance(source, list):
                names += [str(e["name"]) for e in source if isinstance(e, dict) and "name" in e]
            if names:
                break
        for sample in samples:
            labels = sample.get("labels") if isinstance(sample, dict) else None
            if isinstance(labels, dict):
                names += [str(key) for key in labels if str(key) not in names]
        return list(dict.fromkeys(names))

    def choose_labelset(self, samples: list) -> str | None:
        names = self.labelset_names(samples)
        asked = self.ctx.options.get("labelset")
        if asked:
            if str(asked) not in names:
                raise self.ctx.fail(
                    "dataset.labelsets",
                    f"no labelset {asked!r} in this release (it has: {', '.join(names) or 'none'})",
                )
            return str(asked)
        declared = self.block.get("labelsets")
        if isinstance(declared, list):
            for entry in declared:
                if isinstance(entry, dict) and entry.get("is_groundtruth"):
                    return str(entry.get("name"))
        if "ground-truth" in names:
            return "ground-truth"
        return names[0] if names else None

    def schema(self) -> tuple[list, list, str | None, str]:
        """(categories, image attribute defs, task type, generation) from whichever era wrote it."""
        block = self.block
        task_attributes = block.get("task_attributes")
        if isinstance(task_attributes, dict):
            return (
                task_attributes.get("categories") or [],
                task_attributes.get("image_attributes") or [],
                block.get("task_type"),
                "task_attributes",
            )
        for key in ("labelsets", "tasks"):
            holder = block.get(key)
            entry = None
            if isinstance(holder, dict):
                entry = holder.get(self.labelset) if self.labelset else None
            elif isinstance(holder, list) and key == "tasks":
                entry = next(
                    (
                        e
                        for e in holder
                        if isinstance(e, dict) and str(e.get("name")) == self.labelset
                    ),
                    None,
                )
            if isinstance(entry, dict):
                attributes = entry.get("attributes") or {}
                return (
                    attributes.get("categories") or [],
                    attributes.get("image_attributes") or [],
                    entry.get("task_type") or block.get("task_type"),
                    key,
                )
        self.ctx.warn("dataset", "no categories in the release (task_attributes missing)")
        return [], [], block.get("task_type"), "unknown"

    def add_categories(self, categories: list, at: str) -> None:
        for index, category in enumerate(categories):
            loc = where(at, index)
            try:
                cid = category["id"]
                name = str(category["name"])
                if _id_key(cid) in self.categories:
                    self.ctx.warn(loc, f"duplicate category id {cid}: {name!r} ignored")
                    continue
                if name in self.dataset.categories:
                    self.ctx.warn(
                        loc, f"category name {name!r} repeats; this one is {name} ({cid})"
                    )
                    name = f"{name} ({cid})"
                color, alpha = _rgb(category.get("color"))
                extra = {k: v for k, v in category.items() if k not in ("id", "name", "color")}
                if alpha is not None:
                    extra["alpha"] = alpha
                self.dataset.category(name, id=cid, color=color, extra=extra)
                self.categories[_id_key(cid)] = name
            except _BAD as error:
                self.ctx.warn(loc, f"category skipped: {error!r}")

    def category_of(self, annotation: dict, at: tuple, item: Item) -> str:
        cid = annotation.get("category_id")
        name = self.categories.get(_id_key(cid))
        if name is None:
            name = f"unknown category {cid}"
            self.dataset.category(name, id=cid, extra={"undeclared": True})
            self.ctx.warn(
                where(*at, "category_id"),
                f"category id {cid} is not in the release's categories",
                item=item.id,
                obj=str(annotation.get("id")),
            )
        return name

    # -- samples --

    def sample(self, index: int, sample: dict) -> Item:
        loc = where("dataset.samples", index)
        uuid = str(sample.get("uuid") or f"sample-{index}")
        name = str(sample.get("name") or uuid)
        attributes = sample.get("attributes") or {}
        extra: dict[str, Any] = {
            k: v for k, v in sample.items() if k not in ("uuid", "name", "attributes", "labels")
        }
        extra.update(
            {k: v for k, v in attributes.items() if k not in ("image", "frames", "sensors")}
        )
        item = Item(id=uuid, name=name, extra=extra)
        frames_source = attributes.get("frames")
        sensors = attributes.get("sensors")
        if isinstance(attributes.get("image"), dict):
            item.image = attributes["image"].get("url")
            self.locate_image(item, loc)
        elif isinstance(frames_source, list):
            point_cloud = any(isinstance(f, dict) and "pcd" in f for f in frames_source)
            item.kind = "other" if point_cloud else "sequence"
            self.add_frames(item, frames_source, where(loc, "attributes.frames"))
        elif isinstance(sensors, list):
            item.kind = "sequence"
            self.add_sensor_frames(item, sensors, loc)
        elif "pcd" in attributes or "text" in attributes:
            item.kind = "other"

        labels = sample.get("labels") or {}
        if not isinstance(labels, dict):
            self.ctx.warn(where(loc, "labels"), "labels is not an object", item=item.id)
            return item
        others = {
            str(k): (v.get("label_status") if isinstance(v, dict) else None)
            for k, v in labels.items()
            if str(k) != self.labelset
        }
        if others:
            item.extra["other_labelsets"] = others
        label = labels.get(self.labelset) if self.labelset else None
        if label is None:
            item.status = "UNLABELED"  # null label: an unlabeled sample, not an error
            return item
        if not isinstance(label, dict):
            self.ctx.warn(where(loc, "labels", self.labelset), "label is not an object", item=uuid)
            return item
        self.read_label(item, label, where(loc, "labels", self.labelset), name)
        return item

    def locate_image(self, item: Item, loc: str) -> None:
        path = self.locator.image(item.image, item.name)
        if path is None:
            self.missing_images.append(
                (where(loc, "attributes.image.url"), item.id, f"image not found: {item.image}")
            )
            return
        self.images_found += 1
        item.image_path = path
        size = image_size(path)
        if size is not None:
            item.width, item.height = size

    def add_frames(self, item: Item, frames: list, loc: str) -> None:
        for index, entry in enumerate(frames):
            if not isinstance(entry, dict):
                self.ctx.warn(where(loc, index), "frame is not an object", item=item.id)
                continue
            image = entry.get("image") if isinstance(entry.get("image"), dict) else {}
            url = image.get("url") or None
            frame = Frame(index=index, name=str(entry.get("name") or f"{index + 1:05d}"), image=url)
            frame.extra = {k: v for k, v in entry.items() if k not in ("image", "name")}
            if url:
                path = self.locator.frame_image(url, entry.get("name"))
                if path is None:
                    self.missing_images.append(
                        (where(loc, index, "image.url"), item.id, f"image not found: {url}")
                    )
                else:
                    self.images_found += 1
                    frame.image_path = path
                    size = image_size(path)
                    if size is not None:
                        frame.width, frame.height = size
            item.frames.append(frame)

    def add_sensor_frames(self, item: Item, sensors: list, loc: str) -> None:
        """Multi-sensor samples show their first image sensor; the rest is kept in extra."""
        item.extra["sensors"] = sensors
        for index, sensor in enumerate(sensors):
            if isinstance(sensor, dict) and str(sensor.get("task_type", "")).startswith("image"):
                frames = (sensor.get("attributes") or {}).get("frames")
                if isinstance(frames, list):
                    item.extra["shown_sensor"] = sensor.get("name")
                    self.add_frames(item, frames, where(loc, "attributes.sensors", index, "frames"))
                    return

    # -- labels --

    def read_label(self, item: Item, label: dict, loc: str, sample_name: str) -> None:
        status = label.get("label_status")
        item.status = str(status) if status is not None else None
        source = "model" if status == "PRELABELED" else "manual"
        item.labeler = label.get("created_by")
        for stage, who, when in (
            ("Label", "created_by", "created_at"),
            ("Update", "updated_by", "updated_at"),
            ("Review", "reviewed_by", "reviewed_at"),
        ):
            if label.get(who) or label.get(when):
                item.history.append(
                    StageEvent(
                        stage=stage, actor=label.get(who), action=stage.lower(), at=label.get(when)
                    )
                )
        rest = {k: v for k, v in label.items() if k not in ("attributes", "label_status")}
        if rest:
            item.extra["label"] = rest
        attributes = label.get("attributes")
        if not attributes:
            return  # a multi-sensor label without annotations is written as []
        if not isinstance(attributes, dict):
            self.ctx.warn(where(loc, "attributes"), "label attributes not an object", item=item.id)
            return
        loc = where(loc, "attributes")
        if isinstance(attributes.get("sensors"), list):
            self.read_sensors(item, attributes["sensors"], loc, source)
        elif isinstance(attributes.get("frames"), list):
            self.read_frames(item, attributes["frames"], loc, source)
        else:
            self.read_frame_label(item, attributes, loc, source, None, sample_name)
        self.read_links(item, attributes.get("links"), loc)

    def read_sensors(self, item: Item, sensors: list, loc: str, source: str) -> None:
        shown = item.extra.get("shown_sensor")
        for index, sensor in enumerate(sensors):
            if not isinstance(sensor, dict) or sensor.get("name") != shown:
                continue
            attributes = sensor.get("attributes")
            if isinstance(attributes, dict) and isinstance(attributes.get("frames"), list):
                self.read_frames(
                    item, attributes["frames"], where(loc, "sensors", index, "attributes"), source
                )
        if len(sensors) > 1:
            self.ctx.warn(
                where(loc, "sensors"),
                f"multi-sensor sample: showing sensor {shown!r}; the labels of "
                f"{len(sensors) - (shown is not None)} other sensors are kept in extra",
                item=item.id,
            )

    def read_frames(self, item: Item, frames: list, loc: str, source: str) -> None:
        runs: dict[str, list[tuple[int, Any]]] = {}
        for index, frame in enumerate(frames):
            floc = where(loc, "frames", index)
            if not isinstance(frame, dict):
                self.ctx.warn(floc, "frame label is not an object", item=item.id)
                continue
            if index >= len(item.frames) and item.kind == "sequence":
                self.ctx.warn(floc, "label frame has no matching sample frame", item=item.id)
            self.read_frame_label(item, frame, floc, source, index, None)
            image_attributes = frame.get("image_attributes")
            if isinstance(image_attributes, dict):
                for name, value in image_attributes.items():
                    runs.setdefault(str(name), []).append((index, value))
        # Per-frame scene attributes become answers over runs of equal values.
        for name, values in runs.items():
            start, current = values[0]
            last = start
            for index, value in [*values[1:], (None, object())]:
                if index is not None and index == last + 1 and value == current:
                    last = index
                    continue
                item.classifications.append(Answer(name, current, frames=(start, last)))
                if index is not None:
                    start, last, current = index, index, value

    def read_frame_label(
        self,
        item: Item,
        attributes: dict,
        loc: str,
        source: str,
        frame: int | None,
        sample_name: str | None,
    ) -> None:
        """One image's (or one frame's) annotations: bitmap instances or vector shapes."""
        annotations = attributes.get("annotations")
        if annotations is None and isinstance(attributes.get("objects"), list):
            annotations = attributes["objects"]  # 2020 upload layout: objects[].instance_id
        if annotations is None:
            annotations = []
        if not isinstance(annotations, list):
            self.ctx.warn(where(loc, "annotations"), "annotations is not a list", item=item.id)
            annotations = []
        bitmap_ref = attributes.get(
            "segmentation_bitmap", attributes.get("segmentation_bitmap_url")
        )
        is_bitmap = (
            "segmentation_bitmap" in attributes
            or "segmentation_bitmap_url" in attributes
            or "objects" in attributes
        )
        if frame is None:
            item.classifications.extend(_answers(attributes.get("image_attributes")))
        if is_bitmap:
            self.read_bitmap_label(item, annotations, bitmap_ref, loc, source, frame, sample_name)
            return
        for index, annotation in enumerate(annotations):
            at = (loc, "annotations", index)  # joined into a path only when warning
            try:
                obj = self.vector_object(item, annotation, at, source, frame)
            except _BAD as error:
                self.ctx.warn(
                    where(*at),
                    f"annotation skipped: {error}",
                    item=item.id,
                    obj=str(annotation.get("id")) if isinstance(annotation, dict) else None,
                )
                continue
            item.objects.append(obj)

    def _object(
        self, item: Item, annotation: dict, at: tuple, source: str, frame: int | None
    ) -> ObjectLabel:
        if not isinstance(annotation, dict):
            raise TypeError("annotation is not an object")
        ident = annotation.get("id", annotation.get("instance_id"))
        track = annotation.get("track_id", ident if frame is not None else None)
        extra: dict[str, Any] = {}  # the annotation id itself is ObjectLabel.id
        if "is_keyframe" in annotation:
            extra["keyframe"] = bool(annotation["is_keyframe"])
        extra.update({k: v for k, v in annotation.items() if k not in _OBJECT_KEYS})
        return ObjectLabel(
            category=self.category_of(annotation, at, item),
            geometry=None,
            id=str(ident) if ident is not None else None,
            frame=frame,
            track=str(track) if track is not None else None,
            attributes=_answers(annotation.get("attributes")),
            source=source,  # type: ignore[arg-type]
            extra=extra or None,
        )

    def vector_object(
        self, item: Item, annotation: dict, at: tuple, source: str, frame: int | None
    ) -> ObjectLabel:
        obj = self._object(item, annotation, at, source, frame)
        kind = annotation.get("type")
        points = annotation.get("points")
        planar = item.kind != "other"  # point-cloud samples have no image to draw on
        if kind in _VECTOR_TYPES and points and len(points[0]) == 2 and planar:
            if kind == "bbox":
                if len(points) != 2:
                    raise ValueError(f"bbox has {len(points)} points, expected 2")
                (x0, y0), (x1, y1) = points
                obj.geometry = Box.from_corners(float(x0), float(y0), float(x1), float(y1))
            elif kind == "polygon":
                obj.geometry = Polygon.from_points(points)
            elif kind == "polyline":
                obj.geometry = Polyline.from_points(points)
            else:
                if len(points) != 1:
                    raise ValueError(f"point has {len(points)} points, expected 1")
                obj.geometry = Point(float(points[0][0]), float(points[0][1]))
            return obj
        if kind in _VECTOR_TYPES and not points:
            raise ValueError(f"{kind} without points")
        # Cuboids, 3D points, text spans: kept (category, attributes, raw values), not drawable.
        what = f"3D {kind}" if kind in _VECTOR_TYPES else str(kind or "untyped")
        if not planar:
            what = f"point-cloud {kind or 'untyped'}"
        obj.extra = {
            **(obj.extra or {}),
            **{k: annotation[k] for k in ("type", "points") if k in annotation},
        }
        self.no_geometry[what] += 1
        if what not in self.no_geometry_at:
            self.no_geometry_at[what] = where(*at)
        return obj

    def read_bitmap_label(
        self,
        item: Item,
        annotations: list,
        ref: Any,
        loc: str,
        source: str,
        frame: int | None,
        sample_name: str | None,
    ) -> None:
        url = ref.get("url") if isinstance(ref, dict) else ref if isinstance(ref, str) else None
        bitmap: Bitmap | None = None
        bloc = where(loc, "segmentation_bitmap")
        if url:
            path = self.locator.bitmap(url, sample_name, self.labelset)
            if path is None:
                self.missing_bitmaps.append(
                    (
                        bloc,
                        item.id,
                        f"label bitmap not found: {url} ({len(annotations)} masks lost)",
                    )
                )
            else:
                self.bitmaps_found += 1
                try:
                    bitmap = Bitmap.open(path)
                except BitmapError as error:
                    self.ctx.warn(bloc, f"{error}; masks not shown", item=item.id)
        elif annotations:
            self.ctx.warn(
                bloc, "no segmentation bitmap: the annotations have no mask", item=item.id
            )
        if bitmap is not None:
            self.check_bitmap_size(item, bitmap, frame, bloc)
        objects = []
        for index, annotation in enumerate(annotations):
            at = (loc, "annotations", index)
            try:
                obj = self._object(item, annotation, at, source, frame)
                ident = int(annotation.get("id", annotation.get("instance_id")))
            except _BAD as error:
                self.ctx.warn(where(*at), f"annotation skipped: {error}", item=item.id)
                continue
            if bitmap is not None:
                if bitmap.sixteen_bit and ident > 0xFFFF:
                    self.ctx.warn(
                        where(*at),
                        f"id {ident} cannot be held by the 16-bit {bitmap.path.name} (the SDK "
                        "clipped it); use the RGBA bitmap from the release URL",
                        item=item.id,
                        obj=str(ident),
                    )
                else:
                    obj.geometry = bitmap.mask(ident)
            objects.append(obj)
        item.objects.extend(objects)
        if bitmap is not None:
            self.checks.append((bloc, item, bitmap, objects, frame))

    def check_bitmap_size(self, item: Item, bitmap: Bitmap, frame: int | None, loc: str) -> None:
        size = item.size_of(frame)
        if size is None:
            if frame is None:
                item.width, item.height = bitmap.width, bitmap.height
            return
        if size != (bitmap.width, bitmap.height):
            self.ctx.warn(
                loc,
                f"bitmap {bitmap.path.name} is {bitmap.width}×{bitmap.height}, "
                f"the image {size[0]}×{size[1]}",
                item=item.id,
            )

    def read_links(self, item: Item, links: Any, loc: str) -> None:
        if not isinstance(links, list):
            return
        for index, link in enumerate(links):
            try:
                members = (str(link["from_id"]), str(link["to_id"]))
            except _BAD as error:
                self.ctx.warn(where(loc, "links", index), f"link skipped: {error!r}", item=item.id)
                continue
            extra = {k: v for k, v in link.items() if k not in ("from_id", "to_id")}
            item.relations.append(Relation("link", members, directed=True, extra=extra or None))

    # -- after the pass --

    def check_bitmaps(self) -> None:
        """Decode located bitmaps: warn on pixel ids without an annotation and empty annotations."""
        option = self.ctx.options.get("check_bitmaps")
        total = sum(bitmap.width * bitmap.height for _, _, bitmap, _, _ in self.checks)
        if option is False or (option is None and total > AUTO_CHECK_PIXELS):
            return
        for done, (loc, item, bitmap, objects, frame) in enumerate(self.checks):
            self.ctx.check_cancelled()
            self.ctx.progress(done, len(self.checks))
            try:
                ids = bitmap.ids()
            except BitmapError as error:
                self.ctx.warn(loc, f"{error}; masks not shown", item=item.id)
                for obj in objects:
                    obj.geometry = None
                continue
            present, counts = np.unique(ids, return_counts=True)
            pixels = dict(zip(present.tolist(), counts.tolist(), strict=True))
            listed = set()
            for obj in objects:
                ident = int(obj.id) if obj.id is not None else None
                listed.add(ident)
                if obj.geometry is not None and not pixels.get(ident):
                    obj.geometry = None
                    obj.extra = {**(obj.extra or {}), "no_pixels": True}
                    self.ctx.warn(
                        loc,
                        f"annotation id {ident} has no pixels in {bitmap.path.name}",
                        item=item.id,
                        obj=str(ident),
                    )
            for ident in sorted(set(pixels) - listed - {0}):
                self.ctx.warn(
                    loc,
                    f"{pixels[ident]} pixels of id {ident} in {bitmap.path.name} have no "
                    "annotation (shown as category 'unknown')",
                    item=item.id,
                    obj=str(ident),
                )
                self.dataset.category("unknown", extra={"undeclared": True})
                item.objects.append(
                    ObjectLabel(
                        category="unknown",
                        geometry=bitmap.mask(ident),
                        id=str(ident),
                        frame=frame,
                        extra={"unlisted": True},
                    )
                )

    def report_missing(
        self, kind: str, found: int, missing: list[tuple[str, str, str]], looked: str
    ) -> None:
        """One warning when nothing was found (the usual lone release file), else one per miss."""
        if not missing:
            return
        if found == 0 and len(missing) > 1:
            self.ctx.warn(
                "dataset.samples",
                f"none of the {len(missing)} {kind}s was found locally (looked for {looked}, "
                "beside the release and in its subfolders); pass --images DIR or --url-map FILE",
            )
            return
        for loc, item_id, message in missing:
            self.ctx.warn(loc, message, item=item_id)


def read(path: Path, ctx: ReadContext) -> Dataset:
    """Read a Segments.ai release JSON into a Dataset (one labelset, see the module docstring)."""
    # Building a million small objects with the cyclic GC on costs more than the parse itself.
    with gc_paused():
        return _read(path, ctx)


def _read(path: Path, ctx: ReadContext) -> Dataset:
    data = load_json(path, ctx)
    if not isinstance(data, dict) or not isinstance(data.get("dataset"), dict):
        raise ctx.fail("", "not a Segments.ai release: expected an object with a 'dataset' block")
    samples = data["dataset"].get("samples")
    if not isinstance(samples, list):
        raise ctx.fail("dataset.samples", "not a Segments.ai release: 'samples' is not a list")
    reader = _Reader(path, ctx, data)
    reader.labelset = reader.choose_labelset(samples)
    categories, image_attributes, task_type, generation = reader.schema()
    at = "dataset.task_attributes.categories"
    if generation != "task_attributes":
        at = where("dataset", generation, reader.labelset or "", "attributes.categories")
    reader.add_categories(categories, at)
    block = data["dataset"]
    names = reader.labelset_names(samples)
    reader.dataset.meta = {
        "release": data.get("name"),
        "release_created_at": data.get("created_at"),
        "dataset": block.get("name"),
        "owner": block.get("owner"),
        "task_type": task_type,
        "labelset": reader.labelset,
        "labelsets": names,
        "generation": generation,
        "image_attributes": image_attributes,
    }
    total = len(samples)
    for index, sample in enumerate(samples):
        ctx.check_cancelled()
        if index % 200 == 0:
            ctx.progress(index, total)
        if not isinstance(sample, dict):
            ctx.error(where("dataset.samples", index), "sample is not an object; skipped")
            continue
        try:
            item = reader.sample(index, sample)
        except _BAD as error:
            ctx.error(where("dataset.samples", index), f"sample skipped: {error!r}")
            continue
        reader.dataset.items.append(item)
    ctx.progress(total, total)
    labelled = [
        name
        for name in names
        if any(
            isinstance(s, dict) and isinstance(s.get("labels"), dict) and s["labels"].get(name)
            for s in samples
        )
    ]
    if len(labelled) > 1:
        ctx.warn(
            "dataset.labelsets",
            f"{len(labelled)} labelsets carry labels ({', '.join(labelled)}): showing "
            f"{reader.labelset!r}; read again with the reader option labelset=NAME for another",
        )
    reader.report_missing(
        "image", reader.images_found, reader.missing_images, "the sample name, the URL file name"
    )
    labelset = reader.labelset
    reader.report_missing(
        "label bitmap",
        reader.bitmaps_found,
        reader.missing_bitmaps,
        f"<sample stem>_label_{labelset}.png, the URL file name",
    )
    reader.check_bitmaps()
    for what, count in reader.no_geometry.items():
        ctx.warn(
            reader.no_geometry_at[what],
            f"{count} {what} annotation(s) have no 2D image geometry; kept without a shape",
        )
    return reader.dataset


FORMAT = Format(
    name=NAME,
    title="Segments.ai release",
    suffixes=(".json",),
    detect=detect,
    read=read,
    description="Segments.ai release JSON (segmentation bitmaps, vector labels, sequences)",
)
