"""Writing an Ultralytics YOLO dataset: data.yaml, labels/<split>/<name>.txt, <split>.txt and
the images beside the labels (images/<split>/<name>, linked by default).

What each task holds is declared in `holds()`; the registry reports the rest. Counted here are
only losses that depend on the data: sizes unknown, coordinates clipped, empty boxes or masks,
keypoints padded, duplicate lines, names made safe.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import PurePosixPath
from typing import Any, Literal

import yaml
from pydantic import Field, field_validator

from labelview.cancel import checked
from labelview.formats._writing import EXACT, Holds, ImagePlacer, Picture, pictures
from labelview.formats.base import WriteContext, WriteReport, WriterOptions
from labelview.formats.yolo.classes import class_ids
from labelview.formats.yolo.lines import ELLIPSE_POINTS, detect_lines, shape_line
from labelview.images import IMAGE_SUFFIXES
from labelview.model import Dataset, Keypoints
from labelview.output import OutputDir, UniqueStems, is_safe

# Characters that end a line for Python's and Ultralytics' readers of train.txt (str.splitlines):
# a name holding one would split its line in two.
_LINE_BREAKING = re.compile(r"[\x00-\x08\x0a-\x1f\x7f\x85\u2028\u2029]")
_SPLIT_FOLDERS = frozenset({"train", "val", "valid", "validation", "test", "default"})
_AS_BOX = "written as its bounding box"
_AREAS = ("polygon", "polygon_with_holes", "multipart_polygon", "ellipse", "mask")


class YoloOptions(WriterOptions):
    """Options of the YOLO writer."""

    task: Literal["detect", "segment", "pose", "obb"] = Field(
        "detect", description="Ultralytics task: boxes, polygons, keypoints or oriented boxes"
    )
    split: str = Field("train", description="Split name: labels/<split>/, images/<split>/")
    names: str | None = Field(
        None,
        description="Label map for class ids: a file listing class names one per line, or a"
        " data.yaml with `names`; categories it does not list are appended after it",
    )

    @field_validator("names")
    @classmethod
    def _no_empty_map(cls, value: str | None) -> str | None:
        return value or None  # an empty form field means "no label map"

    @field_validator("split")
    @classmethod
    def _safe_split(cls, value: str) -> str:
        if not re.fullmatch(r"[A-Za-z0-9_.-]+", value) or value in (".", ".."):
            raise ValueError("use letters, digits, '_', '-' or '.'")
        return value


def holds(options: YoloOptions) -> Holds:
    """What a YOLO label line carries for each task: a class and one shape, nothing else (no
    attributes, confidence, tracks, ids, relations or item answers).
    """
    if options.task == "segment":
        shapes = {
            "polygon": EXACT,
            "box": "written as a 4-point polygon",
            "rotated_box": "written as a 4-point polygon",
            "ellipse": f"written as a {ELLIPSE_POINTS}-point polygon",
            "polygon_with_holes": "written as one ring (holes joined by zero-width bridges)",
            "multipart_polygon": "written as one ring (parts joined by zero-width bridges)",
            "mask": "traced to one polygon ring (parts and holes joined by zero-width bridges)",
        }
    elif options.task == "obb":
        shapes = {"rotated_box": EXACT, "box": "written as an oriented box at angle 0"}
        shapes.update(dict.fromkeys(_AREAS, "written as its minimum-area rotated rectangle"))
    elif options.task == "pose":
        shapes = {"keypoints": EXACT}
    else:
        shapes = {"box": EXACT, "rotated_box": _AS_BOX, "polyline": _AS_BOX, "keypoints": _AS_BOX}
        shapes.update(dict.fromkeys(_AREAS, _AS_BOX))
    return Holds(shapes, sizes_from_images=True, clips=True)


def write(dataset: Dataset, out: OutputDir, options: YoloOptions, ctx: WriteContext) -> WriteReport:
    """Write `dataset` as an Ultralytics YOLO dataset for `options.task`."""
    report = WriteReport(format="yolo")
    split = options.split
    out.check_free(["data.yaml", f"{split}.txt"])
    ids = class_ids(dataset, options.names, report, ctx)
    kpt_k, kpt_names = _pose_shape(dataset, ctx) if options.task == "pose" else (0, [])
    stems = UniqueStems()
    placer = ImagePlacer(out, options.images, report)
    listed: list[str] = []
    total = len(dataset.items)
    for index, item in enumerate(checked(dataset.items, ctx)):
        if index % 200 == 0:
            ctx.check_cancelled()
            ctx.progress(index, total)
        for picture in checked(pictures(item, ctx.image_roots, report, cancel=ctx), ctx):
            size = picture.size
            if size is None:
                report.drop("images without a known size (labels cannot be normalised)")
                for obj in picture.objects:
                    report.skip(obj, "objects on images without a known size")
                continue
            stem, suffix = _file_name(picture, stems, report)
            if options.task == "detect":
                lines = detect_lines(checked(picture.objects, ctx), ids, size, report)
            else:
                lines = []
                for obj in checked(picture.objects, ctx):
                    text = shape_line(obj, ids[obj.category], size, options.task, kpt_k, report)
                    if text is not None:
                        lines.append(text)
            unique = list(dict.fromkeys(lines))
            if len(unique) < len(lines):
                duplicates = len(lines) - len(unique)
                report.drop("duplicate label lines (Ultralytics drops them)", duplicates)
            report.objects += len(unique)
            out.write_text(f"labels/{split}/{stem}.txt", "".join(f"{line}\n" for line in unique))
            image = f"images/{split}/{stem}{suffix}"
            listed.append(f"./{image}")
            placer.place(picture.path, image)
            report.items += 1
    placer.finish()
    out.write_text("data.yaml", _data_yaml(ids, options, kpt_k, kpt_names, report))
    out.write_text(f"{split}.txt", "".join(f"{line}\n" for line in listed))
    if options.images == "none":
        report.notes.append(
            f"images not placed: put them in images/{split}/ (names as in {split}.txt)"
        )
    ctx.progress(total, total)
    return report


def _file_name(picture: Picture, stems: UniqueStems, report: WriteReport) -> tuple[str, str]:
    """The stem (unique, one line of train.txt) and image suffix of one picture's files."""
    name = _under_split(picture.name, picture.frame)
    if _LINE_BREAKING.search(name):
        name = _LINE_BREAKING.sub("_", name)
        report.drop("image names with line breaks or control characters made safe ('_')")
    elif _made_safe(picture):
        report.drop("image names made safe (absolute or '..' parts removed)")
    path = PurePosixPath(name)
    suffix = path.suffix.lower()
    if suffix not in IMAGE_SUFFIXES:
        found = picture.path.suffix.lower() if picture.path is not None else ""
        suffix = found if found in IMAGE_SUFFIXES else ".jpg"
        path = PurePosixPath(f"{name}{suffix}")  # keep a non-image suffix in the stem
    return stems.claim(path), path.suffix


def _under_split(name: str, frame: int | None) -> str:
    """The file name of one picture inside images/<split>/: a plain file, no folders.

    Datumaro's YOLO importer (and some trainers) look one folder deep and pair images with labels
    by stem, and Ultralytics pairs them by replacing the last `/images/` with `/labels/`: a folder
    in the name breaks one or the other. So a frame keeps its video's name as a prefix
    (`clip/000003.jpg` → `clip_000003.jpg`), a single image keeps its file name (a repeat gets
    `_2`).
    """
    parts = PurePosixPath(name).parts
    if len(parts) > 2 and parts[0] == "images" and parts[1].lower() in _SPLIT_FOLDERS:
        parts = parts[2:]
    return "_".join(parts) if frame is not None else parts[-1]


def _made_safe(picture: Picture) -> bool:
    """True when the name had to be cut out of an unsafe reference (absolute, `..`)."""
    if picture.frame is not None or picture.path is not None:
        return False
    reference = picture.item.image or picture.item.name
    return bool(reference) and "://" not in reference and not is_safe(reference)


def _data_yaml(
    ids: dict[str, int], options: YoloOptions, kpt_k: int, kpt_names: list[str], report: WriteReport
) -> str:
    split = options.split
    # No `path:` key: Ultralytics then uses the data.yaml folder, whereas a relative `path: .`
    # resolves against the current directory or DATASETS_DIR depending on its version. `val:` is
    # required by Ultralytics, so it names the one split written.
    data: dict[str, object] = {"train": f"images/{split}", "val": f"images/{split}"}
    report.notes.append(f"data.yaml: val points at the {split} split (the only one written)")
    if options.task != "detect":
        data["task"] = options.task
    data["names"] = {i: name for name, i in ids.items()}
    if options.task == "pose" and not kpt_k:
        report.notes.append("no keypoint objects: kpt_shape left out of data.yaml")
    elif options.task == "pose":
        data["kpt_shape"] = [kpt_k, 3]
        data["flip_idx"] = flip_index(kpt_names) if kpt_names else list(range(kpt_k))
        if kpt_names:
            data["kpt_names"] = {0: list(kpt_names)}
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, default_flow_style=None)


def flip_index(names: Iterable[str]) -> list[int]:
    """Ultralytics flip_idx: each left_* point swaps with its right_* twin; others map to self."""
    names = list(names)
    index = {name.lower(): i for i, name in enumerate(names)}
    flip = list(range(len(names)))
    pattern = re.compile(r"(^|[_\s-])(left|right|l|r)([_\s-]|$)")
    swap = {"left": "right", "right": "left", "l": "r", "r": "l"}
    for i, name in enumerate(names):
        lowered = name.lower()
        match = pattern.search(lowered)
        if match is None:
            continue
        twin = lowered[: match.start(2)] + swap[match.group(2)] + lowered[match.end(2) :]
        if twin in index:
            flip[i] = index[twin]
    return flip


def _pose_shape(dataset: Dataset, cancel: Any = None) -> tuple[int, list[str]]:
    k = 0
    names: list[str] = []
    for category in dataset.categories.values():
        if category.skeleton is not None and len(category.skeleton.names) > k:
            k, names = len(category.skeleton.names), list(category.skeleton.names)
    for _, obj in checked(dataset.objects(), cancel):
        if isinstance(obj.geometry, Keypoints) and len(obj.geometry.points) > k:
            k = len(obj.geometry.points)
            names = list(obj.geometry.names)
    return k, names
