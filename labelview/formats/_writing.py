"""The writing toolkit every format's writer shares.

- `Holds`: what a writer can carry, declared once beside the writer (`Format.holds`). The loss
  report is computed from it by `losses()` — called by the registry around every writer — so a
  writer cannot drop a field silently by forgetting to count it.
- `pictures()`: the one naming rule. Every image labels go to gets one relative POSIX name:
  the image as found (relative to the images folder or the export), else the reference's path
  (never a URL, never a `#` fragment); frames of a video are `<video stem>/<frame:06d>.<ext>`.
- `ImagePlacer`: puts the images beside the labels (hard link, else symlink, else copy) and says
  in the report which it did.
"""

from __future__ import annotations

import os
import shutil
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from labelview.cancel import checked
from labelview.images import reference_parts
from labelview.model import Dataset, Frame, Item, ObjectLabel
from labelview.model.classifications import walk
from labelview.model.geometry import Polygon
from labelview.output import sanitised

if TYPE_CHECKING:
    from labelview.formats.base import WriteReport
    from labelview.output import OutputDir

# --- what a writer holds --------------------------------------------------------------------------

EXACT = ""  # Holds.shapes value: the shape is written as it is

# Shape kinds as the loss report distinguishes them: a polygon with holes or with several parts is
# a kind of its own, because most targets hold plain polygons only.
SHAPE_KINDS = (
    "box",
    "rotated_box",
    "polygon",
    "polygon_with_holes",
    "multipart_polygon",
    "polyline",
    "point",
    "ellipse",
    "keypoints",
    "mask",
)

# Everything besides the shape a dataset can carry, with how much of it an object or item has.
OBJECT_FIELDS: dict[str, Callable[[ObjectLabel], int]] = {
    "attributes": lambda obj: sum(1 for _ in walk(obj.attributes)) if obj.attributes else 0,
    "confidence": lambda obj: obj.confidence is not None,
    "source": lambda obj: obj.source is not None,
    "track": lambda obj: obj.track is not None,
    "object id": lambda obj: obj.id is not None,
    "author": lambda obj: (
        obj.created_by is not None
        or obj.created_at is not None
        or obj.updated_by is not None
        or obj.updated_at is not None
    ),
    "z order": lambda obj: obj.z_order is not None,
}
ITEM_FIELDS: dict[str, Callable[[Item], int]] = {
    "classifications": lambda item: sum(1 for _ in walk(item.classifications)),
    "relations": lambda item: len(item.relations),
    "review verdicts": lambda item: sum(1 for e in item.history if _is_verdict(e.action)),
    "stage history": lambda item: sum(1 for e in item.history if not _is_verdict(e.action)),
    "status": lambda item: item.status is not None,
}
FIELDS = frozenset(OBJECT_FIELDS) | frozenset(ITEM_FIELDS)

_VERDICTS = frozenset({"accepted", "rejected", "approved", "approve", "reject", "accept"})

# How each field is named in a loss line ("YOLO cannot hold attributes: 1,204 values").
_UNITS = {
    "attributes": "attribute values",
    "confidence": "confidence scores",
    "source": "manual/model flags",
    "track": "track ids",
    "object id": "object ids",
    "author": "objects' author and time stamps",
    "z order": "z-order values",
    "classifications": "item/frame classification answers",
    "relations": "relations",
    "review verdicts": "review verdicts",
    "stage history": "stage history events",
    "status": "item statuses",
}


def _is_verdict(action: str | None) -> bool:
    return action is not None and action.lower() in _VERDICTS


@dataclass(frozen=True, slots=True)
class Holds:
    """What a writer can carry: shape kind → EXACT or how it is written instead (a kind missing
    here is dropped), and the fields of FIELDS it writes (the rest are dropped).
    """

    shapes: Mapping[str, str]
    fields: frozenset[str] = frozenset()
    # The target stores no image size (YOLO): its labels read back only where the images are.
    sizes_from_images: bool = False
    # Coordinates are clipped to the image (and the writer reports each clip).
    clips: bool = False

    def __post_init__(self) -> None:
        unknown = (set(self.shapes) - set(SHAPE_KINDS)) | (set(self.fields) - FIELDS)
        if unknown:
            raise ValueError(f"unknown kinds or fields in a writer's Holds: {sorted(unknown)}")

    def exact(self, kind: str) -> bool:
        return self.shapes.get(kind) == EXACT


def shape_kind(obj: ObjectLabel) -> str:
    """The kind of an object's shape as Holds names it ('none' without a shape)."""
    geometry = obj.geometry
    if geometry is None:
        return "none"
    if isinstance(geometry, Polygon):
        if geometry.has_holes:
            return "polygon_with_holes"
        if len(geometry.parts) > 1:
            return "multipart_polygon"
    return geometry.kind


def losses(dataset: Dataset, holds: Holds, title: str, cancel: Any = None) -> Counter[str]:
    """What writing `dataset` to a target holding `holds` loses, as reason → count (`cancel`: as
    for `labelview.cancel.checked`).
    """
    lost: Counter[str] = Counter()
    missing_objects = [pair for pair in OBJECT_FIELDS.items() if pair[0] not in holds.fields]
    missing_items = [pair for pair in ITEM_FIELDS.items() if pair[0] not in holds.fields]
    kinds: Counter[str] = Counter()
    for item in checked(dataset.items, cancel):
        for name, count in missing_items:
            n = count(item)
            if n:
                lost[f"{title} cannot hold {_UNITS[name]}"] += n
        for obj in checked(item.objects, cancel):
            kinds[shape_kind(obj)] += 1
            for name, count in missing_objects:
                n = count(obj)
                if n:
                    lost[f"{title} cannot hold {_UNITS[name]}"] += n
    for kind, n in kinds.items():
        if kind == "none":
            lost["objects without a shape"] += n
            continue
        how = holds.shapes.get(kind)
        if how is None:
            lost[f"{_kind_text(kind)} shapes ({title} has no equivalent)"] += n
        elif how != EXACT:
            lost[f"{_kind_text(kind)} {how}"] += n
    return lost


def _kind_text(kind: str) -> str:
    return kind.replace("_", " ")


# --- the naming rule ------------------------------------------------------------------------------


@dataclass(slots=True)
class Picture:
    """One image that labels are written for: a single image, or one frame of a multi-frame item."""

    item: Item
    frame: int | None  # None for a single image
    name: str  # relative POSIX path, as written in the labels (never a URL or a fragment)
    path: Path | None  # the local file, when found
    width: int | None
    height: int | None
    objects: list[ObjectLabel] = field(default_factory=list)

    @property
    def size(self) -> tuple[int, int] | None:
        return (self.width, self.height) if self.width and self.height else None


def is_multi_frame(item: Item) -> bool:
    """True for items whose labels are written per frame (videos, groups, sequences, DICOM)."""
    if item.kind != "image" or item.frames:
        return True
    return any(obj.frame is not None for obj in item.objects)


def pictures(
    item: Item,
    roots: Iterable[Path] = (),
    report: WriteReport | None = None,
    cancel: Any = None,
) -> list[Picture]:
    """Every image `item`'s labels go to, each named by the one rule (see the module docstring).

    `roots` are the folders names are made relative to (the images folder first, then the
    export's folder). With `report`, names that cannot be files as given are recorded there.
    `cancel`: as for `labelview.cancel.checked` (a track may span many frames).
    """
    roots = list(roots)
    if not is_multi_frame(item):
        name = image_name(
            item.image_path, item.image or item.name, roots, fallback=item.name, report=report
        )
        return [Picture(item, None, name, item.image_path, item.width, item.height, item.objects)]
    declared = {frame.index: frame for frame in item.frames}
    by_frame: dict[int, list[ObjectLabel]] = {}
    unframed: list[ObjectLabel] = []
    for obj in checked(item.objects, cancel):
        if obj.frame is None:
            unframed.append(obj)
        else:
            by_frame.setdefault(obj.frame, []).append(obj)
    stem = _stem(item, report)
    # One suffix for a whole video: the first found frame's, so a video never mixes .png and .jpg.
    found = next((f.image_path for f in item.frames if f.image_path is not None), None)
    video_suffix = found.suffix.lower() if found is not None else ""
    result = []
    for index in checked(item.frame_indices(), cancel):
        frame = declared.get(index)
        path = frame.image_path if frame is not None else None
        reference = _frame_reference(frame) if frame is not None else None
        if item.kind == "video" or not (path or reference):
            suffix = video_suffix or (path.suffix.lower() if path else "") or _suffix(reference)
            suffix = suffix or ".jpg"
            name = f"{stem}/{index:06d}{suffix}"
        else:
            name = image_name(
                path, reference, roots, fallback=f"{stem}/{index:06d}.jpg", report=report
            )
        width = frame.width if frame is not None and frame.width else item.width
        height = frame.height if frame is not None and frame.height else item.height
        objects = unframed + by_frame.get(index, [])
        result.append(Picture(item, index, name, path, width, height, objects))
    return result


def _frame_reference(frame: Frame) -> str | None:
    """A frame's image reference; the reader's canonical name when the export gives a URL."""
    image = frame.image
    if image and ("://" in image or image.startswith("data:")) and frame.name:
        return frame.name
    return image or frame.name


def image_name(
    path: Path | None,
    reference: str | None,
    roots: list[Path],
    *,
    fallback: str,
    report: WriteReport | None = None,
) -> str:
    """The relative name of one image: where it was found under a root, else its reference's path
    (a URL gives `fallback`, the platform's download name), made safe to write (with `report`, a
    name that cannot be a file as given is recorded there: `WriteReport.renamed`).
    """
    if path is not None:
        for root in roots:
            try:
                relative = Path(os.path.abspath(path)).relative_to(os.path.abspath(root))
            except ValueError:
                continue
            found = relative.as_posix()
            safe = sanitised(found, report, original=reference or found)
            return safe.as_posix() if safe is not None else "item"
    text = reference or ""
    if not text or "://" in text or text.startswith("data:"):
        text = fallback or (path.name if path is not None else "")
    safe = sanitised(reference_parts(text).as_posix(), report, original=text) if text else None
    if safe is None and path is not None:
        safe = PurePosixPath(path.name)
    return safe.as_posix() if safe is not None else "item"


def _stem(item: Item, report: WriteReport | None = None) -> str:
    reference = item.image if item.image and "://" not in item.image else item.name
    if reference and "://" in reference:
        reference = reference_parts(reference).name  # a server's folders are not the dataset's
    original = reference or item.id
    safe = sanitised(reference_parts(original).as_posix(), report, original=original)
    if safe is None:
        safe = sanitised(item.id) or PurePosixPath("item")
    return safe.with_suffix("").as_posix() if safe.suffix else safe.as_posix()


def _suffix(reference: str | None) -> str:
    if not reference:
        return ""
    suffix = PurePosixPath(reference_parts(reference).name).suffix.lower()
    return suffix if suffix in {".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp"} else ""


# --- image placement ------------------------------------------------------------------------------


class ImagePlacer:
    """Puts images into the output (mode `link`: hard link, else symlink, else copy; `copy`;
    `none`) and adds one note per method used to the report.
    """

    def __init__(self, out: OutputDir, mode: str, report: WriteReport) -> None:
        self.out = out
        self.mode = mode
        self.report = report
        self.placed: set[str] = set()
        self.methods: Counter[str] = Counter()
        self.missing = 0

    def place(self, source: Path | None, name: str) -> None:
        """Stage `source` as `name` (once per name); a missing source is counted."""
        if self.mode == "none" or name in self.placed:
            return
        self.placed.add(name)
        if source is None or not source.is_file():
            self.missing += 1
            return
        staged, _ = self.out.staged_path(name)
        self.methods[_place(source, staged, self.mode)] += 1

    def finish(self) -> None:
        """Write what was placed, and how, into the report."""
        for method, count in sorted(self.methods.items()):
            self.report.notes.append(f"images: {count:,} {method}")
        if self.missing:
            self.report.drop(
                "images not found on disk (not placed beside the labels)", self.missing
            )


def _place(source: Path, staged: Path, mode: str) -> str:
    if mode == "link":
        try:
            os.link(source, staged)
            return "hard-linked"
        except OSError:
            pass
        try:
            os.symlink(os.path.abspath(source), staged)
            return "symlinked"
        except OSError:
            pass
    shutil.copyfile(source, staged)
    return "copied"


def holds_for(holds: Holds | Callable[[Any], Holds] | None, options: Any) -> Holds | None:
    """A writer's declaration, resolved for its options (YOLO's depends on its task)."""
    if holds is None or isinstance(holds, Holds):
        return holds
    return holds(options)


__all__ = [
    "EXACT",
    "FIELDS",
    "SHAPE_KINDS",
    "Holds",
    "ImagePlacer",
    "Picture",
    "holds_for",
    "image_name",
    "is_multi_frame",
    "losses",
    "pictures",
    "shape_kind",
]
