"""Ultralytics YOLO (detect / segment / pose / OBB) and the Darknet "YOLO 1.1" layout: read + write.

Reading
- Input: a dataset root (data.yaml / any *.yaml with `names`, `images/<split>/`, `labels/<split>/`),
  a data.yaml file, a Darknet root (`obj.data`, `obj.names`, `train.txt`), or a bare folder of label
  .txt files plus images and a names file (`labels.txt`, `classes.txt`, `obj.names`, `*.names`).
  Labels are found like Ultralytics does (`img2label_paths`: the last `/images/` becomes
  `/labels/`, the suffix `.txt`); bare label files are matched to images by stem, looking in
  the --images folder first, then the input folder, then (when it holds no media at all) the
  folders beside it: Dataloop's converter writes `yolo/labels.txt` + `yolo/annotations/**.txt`
  next to the downloaded items (an opened `annotations/` folder looks one level higher). Media
  outside the input get the label's path after `annotations/` as item id (`sub/x.jpg`).
- Dataloop's video lines `frame object_id label_id cx cy w h` are read (object `frame`, `track`
  = object id, item kind video) when the label file's stem matches a video file, or with the
  reader option `dataloop_video=true` (false forces plain lines). Without either, a file whose
  lines all look like that gets a warning naming the option: 7 numbers are also a valid 3-point
  polygon, so the shape alone does not decide. A video's size comes from its MP4 `tkhd` box or
  the `image_size` option.
- Line kinds, by how many numbers follow the class id: 4 → box; 4 + K·D with `kpt_shape: [K, D]` →
  pose; any other even count ≥ 6 → polygon (segment). Exactly 8 is ambiguous (OBB or a 4-point
  polygon). The rule: the yaml `task:` key or the reader option `task` decides when given;
  otherwise the lines are OBB when *every* 8-number line of the dataset is a rectangle in pixels
  (right angles within 1°) and no other polygon length occurs, else segment.
- Coordinates are normalised, so a label needs its image's size (from the image header, after
  EXIF rotation like Ultralytics' exif_size: orientations 5-8 swap width and height). An item
  whose image is missing is kept, its objects skipped, with a located warning — unless the reader
  option `image_size` ("WxH" or (w, h)) gives one size for all.
- Class ids: names from the yaml (dict or list) or the names file; every named class becomes a
  category (in id order) even when unused, so ids survive a YOLO round trip. Dataloop's converter
  writes 1-based ids; they are taken as 1-based (with a warning) only when id N occurs with N
  names and id 0 never does — otherwise ids are 0-based. Reader option `one_based` (bool) forces
  either way. Ids outside the names get a category `class_<id>` and a warning.

Writing: data.yaml + labels/<split>/<name>.txt + <split>.txt (0-based ids in category order,
coordinates normalised and clipped to [0, 1], 6 decimals). data.yaml has no `path:` key (so that
Ultralytics resolves the splits against the yaml's folder) and `val:` names the written split.
detect: every shape as its bounding box; segment: one ring per object (parts and holes joined by
zero-width bridges, masks traced with ops.raster); pose: keypoints with the box of their labelled
points, missing points `0 0 0`; obb: rotated box corners clockwise from the top-left (other areas
as their minimum-area rectangle). Every lossy step is reported.
"""

from __future__ import annotations

import glob
import math
import os
import re
from collections import Counter
from collections.abc import Iterable
from pathlib import Path, PurePosixPath
from typing import Any, Literal

import numpy as np
import yaml
from pydantic import Field, field_validator

from labelview.formats.base import (
    Confidence,
    Detection,
    Format,
    Probe,
    ReadContext,
    WriteContext,
    WriteReport,
    WriterOptions,
    gc_paused,
    no,
)
from labelview.images import IMAGE_SUFFIXES, image_size, reference_parts
from labelview.model import (
    Box,
    Dataset,
    Item,
    Keypoints,
    Mask,
    ObjectLabel,
    Polygon,
    RotatedBox,
)
from labelview.model.classifications import walk
from labelview.model.geometry import Ellipse
from labelview.model.objects import Skeleton
from labelview.output import OutputDir, UniqueStems

_NAMES_FILES = ("labels.txt", "classes.txt", "obj.names", "names.txt", "class_names.txt")
_SPLITS = ("train", "val", "test")
_LABEL_DIRS = {"labels", "annotations", "obj_train_data", "obj_valid_data", "obj_test_data"}
_VIDEO_SUFFIXES = frozenset({".mp4", ".webm", ".mov", ".avi", ".mkv", ".m4v", ".mpg", ".mpeg"})
_MAX_WALKED = 200_000  # files looked at per folder searched for media beside the labels
_CLIP_TOLERANCE = 1e-9  # float noise at the border is not worth a "clipped" report
_NUMBER = re.compile(r"^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$")


# --- detection ------------------------------------------------------------------------------------


def detect(probe: Probe) -> Detection:
    """CERTAIN for a data.yaml with `names` beside labels/*.txt; LIKELY for label .txt + images."""
    if not probe.is_dir:
        if probe.suffix in (".yaml", ".yml"):
            text = probe.text
            if re.search(r"^names\s*:", text, re.M) and re.search(r"^(train|val)\s*:", text, re.M):
                return Detection(Confidence.CERTAIN, "YAML with names and train/val splits")
            if re.search(r"^names\s*:", text, re.M):
                return Detection(Confidence.LIKELY, "YAML with names")
            return no("YAML without names")
        if probe.path.name == "obj.data":
            return Detection(Confidence.CERTAIN, "Darknet obj.data")
        return no("not a YOLO dataset file or folder")
    names = probe.names
    lowered = {PurePosixPath(n).name.lower() for n in names}
    images = [n for n in names if PurePosixPath(n).suffix.lower() in IMAGE_SUFFIXES]
    label_txt = [n for n in names if n.endswith(".txt") and "labels/" in f"/{n}"]
    # The probe lists at most a few thousand names (images first): look at the top level directly.
    yaml_path = _find_yaml(probe.path)
    if yaml_path is not None:
        has_labels = (
            bool(label_txt) or any(probe.path.glob("labels/*")) or any(probe.path.glob("*/labels"))
        )
        if has_labels:
            return Detection(Confidence.CERTAIN, f"{yaml_path.name} with names and labels/")
        return Detection(Confidence.LIKELY, f"{yaml_path.name} with names (no labels/ folder)")
    if (probe.path / "obj.data").is_file() and "obj.names" in lowered:
        return Detection(Confidence.CERTAIN, "Darknet obj.data + obj.names")
    other_txt = [
        n
        for n in names
        if n.endswith(".txt")
        and not _is_names_or_list(n)
        and not PurePosixPath(n).name.lower().startswith(("readme", "license", "notes"))
    ]
    names_file = next(
        (n for n in names if _is_names_file(n) and len(PurePosixPath(n).parts) <= 2), None
    )
    if names_file is None and probe.path.name.lower() in _LABEL_DIRS:
        # An opened annotations/ folder: the names file sits one level up.
        above = next((n for n in _NAMES_FILES if (probe.path.parent / n).is_file()), None)
        names_file = f"../{above}" if above else None
    if names_file is not None and other_txt and _first_label_line_ok(probe.path, other_txt):
        # Dataloop's converter (labels.txt + annotations/**.txt) and bare Darknet folders keep
        # the images elsewhere: the names file and the label lines are the evidence.
        if PurePosixPath(names_file).name.lower() == "labels.txt" and any(
            n.startswith("annotations/") for n in other_txt
        ):
            return Detection(
                Confidence.CERTAIN,
                f"labels.txt + {len(other_txt)} YOLO label files in annotations/ "
                "(Dataloop converter layout)",
            )
        return Detection(
            Confidence.LIKELY, f"{names_file} + {len(other_txt)} YOLO label .txt files"
        )
    if (label_txt or other_txt) and images:
        stems = {PurePosixPath(n).stem for n in images}
        matched = sum(PurePosixPath(n).stem in stems for n in (label_txt or other_txt))
        if matched and _first_label_line_ok(probe.path, label_txt or other_txt):
            return Detection(Confidence.LIKELY, f"{matched} label .txt files matching images")
    return no("no data.yaml and no label .txt files beside images")


def _is_names_file(name: str) -> bool:
    lowered = PurePosixPath(name).name.lower()
    return lowered in _NAMES_FILES or lowered.endswith(".names")


def _is_names_or_list(name: str) -> bool:
    """A class-names file or a Darknet/Ultralytics split list (train.txt): not a label file."""
    lowered = PurePosixPath(name).name.lower()
    return _is_names_file(name) or lowered in {f"{s}.txt" for s in (*_SPLITS, "valid")}


def _first_label_line_ok(root: Path, names: list[str]) -> bool:
    """True when the first non-empty of a few label files starts with `int float float ...`."""
    for name in names[:5]:
        try:
            with (root / name).open("r", encoding="utf-8", errors="replace") as handle:
                for line in handle:
                    tokens = line.split()
                    if tokens:
                        return (
                            tokens[0].isdigit()
                            and len(tokens) >= 5
                            and all(_NUMBER.match(t) for t in tokens[1:])
                        )
        except OSError:
            continue
    return False


# --- reading --------------------------------------------------------------------------------------


class _Source:
    """Where the labels, images and names of a YOLO input are."""

    def __init__(self) -> None:
        self.root: Path = Path()
        self.names: dict[int, str] = {}
        self.kpt_shape: tuple[int, int] | None = None
        self.kpt_names: list[str] = []
        self.flip_idx: list[int] | None = None
        self.task: str | None = None
        self.pairs: list[tuple[Path | None, Path | None, str]] = []  # (label, image, split)
        self.meta: dict[str, Any] = {}


def _names_from(value: Any) -> dict[int, str]:
    if isinstance(value, dict):
        return {int(k): str(v) for k, v in value.items()}
    if isinstance(value, list):
        return {i: str(v) for i, v in enumerate(value)}
    raise TypeError(f"names must be a list or a mapping, got {type(value).__name__}")


def _names_file(path: Path) -> dict[int, str]:
    lines = path.read_text("utf-8", errors="replace").splitlines()
    return {i: line.strip() for i, line in enumerate(lines) if line.strip()} if lines else {}


def _find_yaml(root: Path) -> Path | None:
    candidates = sorted(root.glob("*.yaml")) + sorted(root.glob("*.yml"))
    preferred = [p for p in candidates if p.stem in ("data", "dataset")]
    for path in preferred + candidates:
        try:
            head = path.read_text("utf-8", errors="replace")
        except OSError:
            continue
        if re.search(r"^names\s*:", head, re.M):
            return path
    return None


def _load_yaml(path: Path, ctx: ReadContext) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text("utf-8", errors="replace"))
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else ""
        raise ctx.fail(where, f"invalid YAML: {error}") from error
    except OSError as error:
        raise ctx.fail("", f"cannot read: {error}") from error
    if not isinstance(data, dict):
        raise ctx.fail("", "the YAML file is not a mapping")
    return data


def _img2label(image: Path) -> Path:
    """Ultralytics' rule: the last /images/ segment becomes /labels/, the suffix .txt."""
    parts = list(image.parts)
    for index in range(len(parts) - 2, -1, -1):
        if parts[index] == "images":
            parts[index] = "labels"
            return Path(*parts).with_suffix(".txt")
    return image.with_suffix(".txt")


def _list_images(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES)


def _split_images(value: Any, root: Path, base: Path) -> list[Path]:
    """Images named by a split entry: a folder, a .txt list of image paths, or a list of either."""
    if isinstance(value, list):
        return [image for entry in value for image in _split_images(entry, root, base)]
    if not isinstance(value, str) or not value:
        return []
    path = Path(value) if Path(value).is_absolute() else root / value
    if not path.exists() and value.startswith("../"):
        path = root / value[3:]  # Ultralytics' fallback; Roboflow writes `train: ../train/images`
    if path.is_dir():
        return _list_images(path)
    if path.is_file() and path.suffix == ".txt":
        images = []
        for line in path.read_text("utf-8", errors="replace").splitlines():
            line = line.strip()
            if not line:
                continue
            images.append(_list_entry(line, path.parent, base))
        return images
    return []


def _list_entry(line: str, list_dir: Path, base: Path) -> Path:
    """A train.txt line: './x' is relative to the list, Darknet's 'data/x' to the root."""
    line = line.replace("\\", "/")  # lists written on Windows
    if line.startswith("./"):
        return list_dir / line[2:]
    candidate = Path(line)
    if candidate.is_absolute():
        return candidate
    for start in (base, list_dir):
        if (start / candidate).exists():
            return start / candidate
    if candidate.parts and candidate.parts[0] == "data":  # Darknet: data/ = the export root
        return base.joinpath(*candidate.parts[1:])
    return base / candidate


def _apply_yaml(source: _Source, data: dict[str, Any], ctx: ReadContext) -> None:
    """Names, keypoint shape and names, flip_idx and task from a data.yaml."""
    if "names" in data:
        try:
            source.names = _names_from(data["names"])
        except (TypeError, ValueError) as error:
            raise ctx.fail("names", str(error)) from error
    shape = data.get("kpt_shape")
    if shape is not None:
        try:
            k, d = (int(v) for v in shape)
            if k < 1 or d not in (2, 3):
                raise ValueError
            source.kpt_shape = (k, d)
        except (TypeError, ValueError):
            raise ctx.fail("kpt_shape", f"expected [K, 2|3], got {shape!r}") from None
    kpt_names = data.get("kpt_names")
    if isinstance(kpt_names, dict) and kpt_names:
        kpt_names = next(iter(kpt_names.values()))
    if isinstance(kpt_names, list):
        source.kpt_names = [str(n) for n in kpt_names]
    if isinstance(data.get("flip_idx"), list):
        try:
            source.flip_idx = [int(i) for i in data["flip_idx"]]
        except (TypeError, ValueError):
            ctx.warn("flip_idx", f"not a list of integers: {data['flip_idx']!r}")
    if isinstance(data.get("task"), str):
        source.task = data["task"]


def _resolve(path: Path, ctx: ReadContext) -> _Source:
    source = _Source()
    yaml_path: Path | None = None
    obj_data: Path | None = None
    if path.is_file():
        if path.suffix.lower() in (".yaml", ".yml"):
            yaml_path = path
        elif path.name == "obj.data":
            obj_data = path
        elif path.suffix.lower() == ".txt":
            return _single_label_file(path, ctx)
        else:
            raise ctx.fail("", "expected a dataset folder, a data.yaml or an obj.data file")
        base = path.parent
    else:
        base = path
        yaml_path = _find_yaml(path)
        if yaml_path is None and (path / "obj.data").is_file():
            obj_data = path / "obj.data"
    source.root = base
    if yaml_path is not None:
        data = _load_yaml(yaml_path, ctx)
        root = data.get("path")
        if isinstance(root, str) and root:
            candidate = Path(root) if Path(root).is_absolute() else yaml_path.parent / root
            if candidate.is_dir():
                source.root = candidate
        _apply_yaml(source, data, ctx)
        source.meta = {k: v for k, v in data.items() if k not in ("names",)}
        for split in _SPLITS:
            for image in _split_images(data.get(split), source.root, base):
                source.pairs.append((_img2label(image), image, split))
    elif obj_data is not None:
        settings = {}
        for line in obj_data.read_text("utf-8", errors="replace").splitlines():
            key, _, value = line.partition("=")
            settings[key.strip()] = value.strip()
        names_ref = settings.get("names")
        if names_ref:
            names_path = _list_entry(names_ref, base, base)
            if names_path.is_file():
                source.names = _names_file(names_path)
        for split in (*_SPLITS, "valid"):
            ref = settings.get(split)
            if ref:
                list_path = _list_entry(ref, base, base)
                for image in _split_images(str(list_path), base, base):
                    source.pairs.append((image.with_suffix(".txt"), image, split))
    if not source.names:
        for name in (*_NAMES_FILES, "*.names"):
            # An opened annotations/ folder has Dataloop's labels.txt one level up.
            found = sorted(base.rglob(name)) or sorted(base.parent.glob(name))
            if found:
                source.names = _names_file(found[0])
                break
    if not source.pairs:
        source.pairs = _pair_by_stem(base, ctx.images_dir)
    asked = ctx.options.get("task")
    if asked not in (None, "auto", "detect", "segment", "pose", "obb"):
        raise ctx.fail("", f"option task={asked!r}: use auto, detect, segment, pose or obb")
    if asked not in (None, "auto"):
        source.task = str(asked)
    # The same image listed by several splits (val: images/train is common) is one item.
    unique: dict[Path, tuple[Path | None, Path | None, str]] = {}
    for label, image, split in source.pairs:
        key = image if image is not None else label
        if key in unique:
            first = unique[key]
            unique[key] = (first[0], first[1], f"{first[2]},{split}" if split else first[2])
        else:
            unique[key] = (label, image, split)  # type: ignore[index]
    source.pairs = list(unique.values())
    return source


def bool_option(value: Any) -> bool | None:
    """A reader option given as a bool or as text ("true", "0", …); None when unset."""
    if value is None or isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"expected true or false, got {value!r}")


def _single_label_file(path: Path, ctx: ReadContext) -> _Source:
    """One label .txt: its image by Ultralytics' rule or beside it, names from the folders above."""
    source = _Source()
    source.root = path.parent
    image = None
    parts = list(path.parts)
    if "labels" in parts[:-1]:
        index = len(parts) - 2 - parts[-2::-1].index("labels")
        parts[index] = "images"
        image = next(
            (
                c
                for c in Path(*parts).parent.glob(f"{path.stem}.*")
                if c.suffix.lower() in IMAGE_SUFFIXES
            ),
            None,
        )
        source.root = Path(*path.parts[:index])
    for folder, pattern in ((path.parent, "{}.*"), (ctx.images_dir, "**/{}.*")):
        if image is None and folder is not None and Path(folder).is_dir():
            image = next(
                (
                    c
                    for c in sorted(Path(folder).glob(pattern.format(glob.escape(path.stem))))
                    if c.suffix.lower() in IMAGE_SUFFIXES or c.suffix.lower() in _VIDEO_SUFFIXES
                ),
                None,
            )
    for folder in (path.parent, path.parent.parent, path.parent.parent.parent):
        yaml_path = _find_yaml(folder)
        if yaml_path is not None:
            _apply_yaml(source, _load_yaml(yaml_path, ctx), ctx)
            break
        found = next((folder / n for n in _NAMES_FILES if (folder / n).is_file()), None)
        if found is not None:
            source.names = _names_file(found)
            break
    source.pairs = [(path, image, "")]
    task = ctx.options.get("task")
    if task not in (None, "auto"):
        source.task = str(task)
    return source


def _pair_by_stem(
    base: Path, images_dir: Path | None
) -> list[tuple[Path | None, Path | None, str]]:
    """A bare layout: every label .txt matched to the image (or video) with the same stem.

    Media are looked up in `images_dir` (preferred), then under `base`; when `base` holds no media
    at all (Dataloop's converter writes `yolo/` beside the downloaded items), in the folders
    beside it. Among several files with the stem, the one whose folder path ends like the label's
    (after `labels/`, `annotations/`, `images/`) wins.
    """
    media_by_stem: dict[str, list[tuple[Path, Path]]] = {}  # stem -> [(root, file)]
    labels = []
    base_media: list[Path] = []
    for file in sorted(base.rglob("*")):
        if not file.is_file():
            continue
        suffix = file.suffix.lower()
        if suffix in IMAGE_SUFFIXES or suffix in _VIDEO_SUFFIXES:
            base_media.append(file)
        elif suffix == ".txt" and not _is_names_or_list(file.name):
            labels.append(file)
    roots: list[tuple[Path, list[Path]]] = []
    if images_dir is not None and Path(images_dir).is_dir():
        roots.append((Path(images_dir), _list_media(Path(images_dir))))
    roots.append((base, base_media))
    # An opened annotations/ folder: its media sit beside the export folder, one more level up.
    skip, depth = base, 2 if base.name in _LABEL_DIRS else 1
    found = bool(base_media)
    while not found and images_dir is None and labels and depth > 0:
        for sibling in sorted(skip.parent.iterdir()):
            if sibling.is_dir() and sibling != skip and not sibling.name.startswith("."):
                media = _list_media(sibling)
                found = found or bool(media)
                roots.append((skip.parent, media))
        skip, depth = skip.parent, depth - 1
    for root, files in roots:
        for file in files:
            media_by_stem.setdefault(file.stem, []).append((root, file))
    pairs: list[tuple[Path | None, Path | None, str]] = []
    for label in labels:
        candidates = media_by_stem.get(label.stem, [])
        folders = {base.name, *label.relative_to(base).parts[:-1]}
        if not candidates and not _LABEL_DIRS.intersection(folders):
            continue  # a stray .txt (README, notes) beside the data, not a label file
        image = None
        if candidates:
            label_dirs = [p for p in label.relative_to(base).parent.parts if p not in _LABEL_DIRS]
            _root, image = max(
                candidates,
                key=lambda c: _common_tail(
                    [q for q in c[1].relative_to(c[0]).parent.parts if q != "images"], label_dirs
                ),
            )
        pairs.append((label, image, ""))
    return pairs


def _list_media(folder: Path, *, limit: int = _MAX_WALKED) -> list[Path]:
    """Images and videos under `folder`; the walk stops after `limit` files (a home folder)."""
    media = []
    seen = 0
    for current, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for file in sorted(files):
            suffix = os.path.splitext(file)[1].lower()
            if suffix in IMAGE_SUFFIXES or suffix in _VIDEO_SUFFIXES:
                media.append(Path(current, file))
        seen += len(files)
        if seen > limit:
            break
    return media


def _common_tail(a: list[str], b: list[str]) -> float:
    """How many trailing folder names two paths share (ties go to the closer depth)."""
    count = 0
    for x, y in zip(reversed(a), reversed(b), strict=False):
        if x != y:
            break
        count += 1
    return count - abs(len(a) - len(b)) * 0.01


def _parse_size(value: Any) -> tuple[int, int] | None:
    if value is None:
        return None
    if isinstance(value, str):
        match = re.fullmatch(r"\s*(\d+)\s*[xX×,]\s*(\d+)\s*", value)
        return (int(match[1]), int(match[2])) if match else None
    try:
        w, h = (int(v) for v in value)
    except (TypeError, ValueError):
        return None
    return (w, h) if w > 0 and h > 0 else None


def _is_rectangle(points: np.ndarray) -> bool:
    for i in range(4):
        a = points[(i + 1) % 4] - points[i]
        b = points[(i + 2) % 4] - points[(i + 1) % 4]
        na, nb = np.hypot(*a), np.hypot(*b)
        if na == 0 or nb == 0:
            return False
        if abs(float(np.dot(a, b)) / (na * nb)) > math.sin(math.radians(1.0)):
            return False
    return True


def read(path: Path, ctx: ReadContext) -> Dataset:
    """Read a YOLO dataset (Ultralytics or Darknet layout) into a Dataset."""
    with gc_paused():  # many small objects: the cyclic GC would triple the time
        return _read(path, ctx)


def _read(path: Path, ctx: ReadContext) -> Dataset:
    source = _resolve(path, ctx)
    fallback_size = _parse_size(ctx.options.get("image_size"))
    dataset = Dataset()
    dataset.meta["yolo"] = {k: v for k, v in source.meta.items() if _plain(v)}

    try:
        video_option = bool_option(ctx.options.get("dataloop_video"))
    except ValueError as error:
        raise ctx.fail("", f"option dataloop_video: {error}") from None

    # Pass 1: parse every label file into raw rows, so ids and the OBB rule see the whole dataset.
    parsed = []
    total = len(source.pairs)
    seen_ids: Counter[int] = Counter()
    sizes = _SizeCache()
    for index, (label, image, split) in enumerate(source.pairs):
        if index % 200 == 0:
            ctx.check_cancelled()
            ctx.progress(index, total * 2)
        rel_label = _rel(label, source.root) if label else ""
        item_id = _item_id(image, rel_label, source.root)
        is_video = image is not None and image.suffix.lower() in _VIDEO_SUFFIXES
        video_lines = video_option if video_option is not None else is_video
        rows: list[_Row] = []
        if label is not None and label.is_file():
            try:
                text = label.read_text("utf-8-sig", errors="replace")
            except OSError as error:
                ctx.error(rel_label, f"cannot read: {error}")
                text = ""
            for lineno, line in enumerate(text.splitlines(), 1):
                tokens = line.split()
                if not tokens:
                    continue
                frame = track = None
                try:
                    if video_lines:
                        # Dataloop's video lines: `frame object_id label_id cx cy w h`.
                        if len(tokens) != 7:
                            raise ValueError(f"{len(tokens)} fields, a video line has 7")
                        frame, track = _integer(tokens[0], "frame"), tokens[1]
                        _integer(track, "object id")
                        tokens = tokens[2:]
                    cls = _integer(tokens[0], "class id")
                    values = np.array([float(t) for t in tokens[1:]], dtype=np.float64)
                    if not np.isfinite(values).all():
                        raise ValueError("NaN or infinity")
                except ValueError as error:
                    where = f"{rel_label}:{lineno}"
                    ctx.warn(where, f"not a YOLO label line ({error})", item=item_id)
                    continue
                if cls < 0:
                    ctx.warn(f"{rel_label}:{lineno}", f"negative class id {cls}", item=item_id)
                    continue
                rows.append((lineno, cls, values, frame, track))
                seen_ids[cls] += 1
        if not video_lines and _looks_like_video_lines(text if rows else ""):
            ctx.warn(
                rel_label,
                "every line is `int int int x y w h`: Dataloop's video YOLO lines "
                "(frame, object id, class)? Read as polygons; pass dataloop_video=true",
                item=item_id,
            )
        parsed.append((label, image, split, rel_label, item_id, rows))

    shift = _id_shift(source, seen_ids, ctx)
    obb = _decide_obb(source, parsed, fallback_size, sizes)
    unnamed: set[int] = set()
    for cls in sorted(source.names):  # the whole class list, so ids survive a YOLO round trip
        _category_name(cls, source, dataset)

    for index, (label, image, split, rel_label, item_id, rows) in enumerate(parsed):
        if index % 200 == 0:
            ctx.check_cancelled()
            ctx.progress(total + index, total * 2)
        is_video = image is not None and image.suffix.lower() in _VIDEO_SUFFIXES
        item = Item(
            id=item_id,
            name=item_id,
            kind="video" if is_video or any(row[3] is not None for row in rows) else "image",
            image=item_id if image is not None else None,
            image_path=image if image is not None and image.is_file() and not is_video else None,
        )
        if is_video:
            item.extra["video_path"] = str(image)
        if split:
            item.extra["split"] = split
        if label is not None and not label.is_file():
            item.extra["labels"] = "missing (background image)"
        size = sizes.get(item.image_path) if item.image_path is not None else None
        if size is None and is_video and image is not None:
            size = mp4_size(image)
        if size is None:
            size = fallback_size
        if size is not None:
            item.width, item.height = size
        dataset.items.append(item)
        if not rows:
            continue
        if size is None:
            what = "not found" if item.image_path is None else "unreadable"
            if is_video:
                what = "size unknown (no MP4 track header)"
            ctx.warn(
                rel_label,
                f"image {what}: {len(rows)} objects skipped (YOLO coordinates are relative to the "
                "image size; pass the image folder or the image_size option)",
                item=item.id,
            )
            continue
        width, height = size
        for lineno, cls, values, frame, track in rows:
            where = f"{rel_label}:{lineno}"
            try:
                geometry = _geometry(values, width, height, source, obb)
            except (ValueError, IndexError) as error:
                ctx.warn(where, str(error), item=item.id, obj=str(lineno))
                continue
            if source.names and cls - shift not in source.names and cls - shift not in unnamed:
                unnamed.add(cls - shift)
                ctx.warn(where, f"class id {cls - shift} has no name (read as class_{cls - shift})")
            name = _category_name(cls - shift, source, dataset)
            obj = ObjectLabel(name, geometry, id=str(lineno), frame=frame, track=track)
            if values.size and (
                (values.min() < -1e-6 or values.max() > 1 + 1e-6)
                and not isinstance(geometry, Keypoints)
            ):
                ctx.warn(
                    where,
                    "coordinates outside [0, 1] (Ultralytics rejects such files)",
                    item=item.id,
                    obj=str(lineno),
                )
            item.objects.append(obj)
    ctx.progress(total * 2, total * 2)
    return dataset


_Row = tuple[int, int, np.ndarray, int | None, str | None]  # line, class, numbers, frame, track


def _integer(token: str, what: str) -> int:
    number = float(token)
    if not number.is_integer():
        raise ValueError(f"{what} {token!r} is not an integer")
    return int(number)


def _looks_like_video_lines(text: str) -> bool:
    """Every line `int int int x y w h` with several frames: Dataloop's video flavour, unflagged."""
    frames = set()
    for line in text.splitlines():
        tokens = line.split()
        if not tokens:
            continue
        if len(tokens) != 7 or not all(t.isdigit() for t in tokens[:3]):
            return False
        frames.add(tokens[0])
    return len(frames) > 1


def _item_id(image: Path | None, rel_label: str, root: Path) -> str:
    """The image's path under the root; for media outside it, the label's path after its label
    folder with the media suffix (`annotations/sub/x.txt` + `../input/sub/x.jpg` → `sub/x.jpg`).
    """
    if image is None:
        return rel_label
    try:
        return image.relative_to(root).as_posix()
    except ValueError:
        pass
    parts = PurePosixPath(rel_label).parts
    for index in range(len(parts) - 2, -1, -1):
        if parts[index] in _LABEL_DIRS:
            parts = parts[index + 1 :]
            break
    return str(PurePosixPath(*parts).with_suffix(image.suffix))


def mp4_size(path: Path) -> tuple[int, int] | None:
    """(width, height) of an MP4/MOV's first video track from its `tkhd` box; None otherwise."""
    try:
        with path.open("rb") as handle:
            data = handle.read(4 << 20)  # moov sits at the start of web-optimised files
            if b"tkhd" not in data:
                size = path.stat().st_size
                handle.seek(max(0, size - (4 << 20)))
                data = handle.read()
    except OSError:
        return None
    start = 0
    while (index := data.find(b"tkhd", start)) >= 0:
        start = index + 4
        version = data[index + 4] if index + 4 < len(data) else 0
        # version 0: 84-byte body; version 1: 96. Width and height are the last two 16.16 fields.
        end = index + 4 + (96 if version == 1 else 84)
        if end > len(data):
            break
        width = int.from_bytes(data[end - 8 : end - 6], "big")
        height = int.from_bytes(data[end - 4 : end - 2], "big")
        if width and height:
            return width, height
    return None


def _plain(value: Any) -> bool:
    return isinstance(value, (str, int, float, bool, list, dict, type(None)))


def _rel(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return os.path.relpath(path, root).replace(os.sep, "/")


def _id_shift(source: _Source, seen: Counter[int], ctx: ReadContext) -> int:
    try:
        forced = bool_option(ctx.options.get("one_based"))
    except ValueError as error:
        raise ctx.fail("", f"option one_based: {error}") from None
    if forced is not None:
        return 1 if forced else 0
    count = len(source.names)
    if count and seen and 0 not in seen and count in seen and max(seen) == count:
        ctx.warn(
            "",
            f"class ids run 1..{count} with {count} names and no id 0: read as 1-based "
            "(Dataloop's YOLO converter); pass one_based=False to read them as 0-based",
        )
        return 1
    return 0


class _SizeCache:
    """Image sizes read once per file (the OBB rule and the items both need them)."""

    def __init__(self) -> None:
        self.sizes: dict[Path, tuple[int, int] | None] = {}

    def get(self, path: Path | None) -> tuple[int, int] | None:
        if path is None:
            return None
        if path not in self.sizes:
            self.sizes[path] = _displayed_size(path) if path.is_file() else None
        return self.sizes[path]


def _displayed_size(path: Path) -> tuple[int, int] | None:
    """(width, height) after EXIF rotation, as Ultralytics' exif_size normalises against."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            width, height = image.size
            if image.format == "JPEG" and image.getexif().get(0x0112) in (5, 6, 7, 8):
                return height, width  # stored rotated a quarter turn
            return width, height
    except (OSError, UnidentifiedImageError, ValueError):
        return image_size(path)


def _decide_obb(
    source: _Source, parsed: list, fallback: tuple[int, int] | None, sizes: _SizeCache
) -> bool:
    """True when 8-number lines are oriented boxes (see the module docstring for the rule)."""
    if source.task is not None:
        return source.task == "obb"
    eight = 0
    for _label, image, _split, _rel_label, _item, rows in parsed:
        size = None
        for _lineno, _cls, values, _frame, _track in rows:
            if source.kpt_shape and values.size == 4 + source.kpt_shape[0] * source.kpt_shape[1]:
                continue
            if values.size == 4:
                continue
            if values.size != 8:
                return False
            if size is None:
                size = sizes.get(image) or fallback or (1, 1)
            points = values.reshape(4, 2) * np.array(size, dtype=np.float64)
            if not _is_rectangle(points):
                return False
            eight += 1
    return eight > 0


def _geometry(
    values: np.ndarray, width: int, height: int, source: _Source, obb: bool
) -> Box | RotatedBox | Polygon | Keypoints:
    scale = np.array([width, height], dtype=np.float64)
    n = values.size
    if source.kpt_shape is not None and n == 4 + source.kpt_shape[0] * source.kpt_shape[1]:
        k, d = source.kpt_shape
        raw = values[4:].reshape(k, d)
        points = raw[:, :2] * scale
        if d == 3:
            visibility = np.clip(np.rint(raw[:, 2]), 0, 2).astype(np.uint8)
        else:
            visibility = np.where((raw[:, 0] == 0) & (raw[:, 1] == 0), 0, 2).astype(np.uint8)
        points[visibility == 0] = 0.0
        names = source.kpt_names if len(source.kpt_names) == k else [str(i) for i in range(k)]
        return Keypoints.from_lists(points, visibility, names)
    if source.kpt_shape is not None and n != 4:
        k, d = source.kpt_shape
        raise ValueError(f"{n} numbers: a pose line has {4 + k * d} (kpt_shape [{k}, {d}])")
    if n == 4:
        cx, cy, w, h = (float(v) for v in values)
        if w < 0 or h < 0:
            raise ValueError(f"negative box size {w:g}×{h:g}")
        return Box((cx - w / 2) * width, (cy - h / 2) * height, w * width, h * height)
    if n % 2:
        raise ValueError(f"{n} coordinates: not a box (4), polygon (even) or pose line")
    points = values.reshape(-1, 2) * scale
    if n == 8 and obb:
        return RotatedBox.from_corners(points)
    if len(points) < 3:
        raise ValueError(f"polygon has {len(points)} points")
    return Polygon.from_points(points)


def _category_name(cls: int, source: _Source, dataset: Dataset) -> str:
    name = source.names.get(cls)
    if name is None:
        name = f"class_{cls}" if source.names else str(cls)
    if name not in dataset.categories:
        category = dataset.category(name, id=cls)
        if source.kpt_shape is not None:
            k = source.kpt_shape[0]
            names = source.kpt_names if len(source.kpt_names) == k else [str(i) for i in range(k)]
            category.skeleton = Skeleton(names=tuple(names))
            if source.flip_idx is not None:
                category.extra["flip_idx"] = list(source.flip_idx)
    return name


# --- writing --------------------------------------------------------------------------------------


class YoloOptions(WriterOptions):
    """Options of the YOLO writer."""

    task: Literal["detect", "segment", "pose", "obb"] = Field(
        "detect", description="Ultralytics task: boxes, polygons, keypoints or oriented boxes"
    )
    split: str = Field("train", description="Split name: labels/<split>/, images/<split>/")

    @field_validator("split")
    @classmethod
    def _safe_split(cls, value: str) -> str:
        if not re.fullmatch(r"[A-Za-z0-9_.-]+", value) or value in (".", ".."):
            raise ValueError("use letters, digits, '_', '-' or '.'")
        return value


def _num(value: float) -> str:
    text = f"{value:.6f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _clip01(array: np.ndarray) -> np.ndarray:
    return np.clip(array, 0.0, 1.0)


def _bridge(rings: list[np.ndarray]) -> np.ndarray:
    """Join rings into one with zero-width bridges between nearest points (like Ultralytics'
    merge_multi_segment): ring 0 in full, forward to the last ring, back through the middle ones.
    """
    rings = [np.asarray(r, dtype=np.float64) for r in rings]
    if len(rings) == 1:
        return rings[0]
    enter = [0] * len(rings)
    leave = [0] * len(rings)
    for i in range(1, len(rings)):
        d = ((rings[i - 1][:, None, :] - rings[i][None, :, :]) ** 2).sum(-1)
        a, b = np.unravel_index(int(d.argmin()), d.shape)
        leave[i - 1], enter[i] = int(a), int(b)
    last = len(rings) - 1
    first = np.roll(rings[0], -leave[0], axis=0)
    out = [first, first[:1]]
    rolled = [np.roll(r, -enter[i], axis=0) for i, r in enumerate(rings)]
    for i in range(1, last):
        out.append(rolled[i][: (leave[i] - enter[i]) % len(rings[i]) + 1])
    out += [rolled[last], rolled[last][:1]]
    for i in range(last - 1, 0, -1):
        out += [rolled[i][(leave[i] - enter[i]) % len(rings[i]) :], rolled[i][:1]]
    return np.concatenate(out)


def _polygon_ring(geometry: Polygon) -> tuple[np.ndarray, int, int]:
    """One ring for a polygon: parts and holes bridged. Returns (ring, extra parts, holes)."""
    rings = []
    holes = 0
    for part in geometry.parts:
        rings.append(part.outer)
        rings.extend(part.holes)
        holes += len(part.holes)
    return _bridge(rings), len(geometry.parts) - 1, holes


def _mask_polygon(mask: Mask) -> Polygon | None:
    from labelview.ops.raster import mask_to_polygons

    parts = mask_to_polygons(mask.decode())
    parts = [p for p in parts if len(p.outer) >= 3]
    return Polygon(tuple(parts)) if parts else None


def _min_area_rect(points: np.ndarray) -> np.ndarray:
    """Corners of the minimum-area rectangle around `points` (rotating calipers over the hull)."""
    hull = _convex_hull(points)
    if len(hull) < 3:
        x0, y0 = points.min(axis=0)
        x1, y1 = points.max(axis=0)
        return Box.from_corners(x0, y0, x1, y1).corners()
    best = None
    for i in range(len(hull)):
        edge = hull[(i + 1) % len(hull)] - hull[i]
        length = np.hypot(*edge)
        if length == 0:
            continue
        u = edge / length
        v = np.array([-u[1], u[0]])
        pu, pv = hull @ u, hull @ v
        area = (pu.max() - pu.min()) * (pv.max() - pv.min())
        if best is None or area < best[0]:
            best = (area, u, v, pu.min(), pu.max(), pv.min(), pv.max())
    _, u, v, u0, u1, v0, v1 = best  # type: ignore[misc]
    return np.array([u0 * u + v0 * v, u1 * u + v0 * v, u1 * u + v1 * v, u0 * u + v1 * v])


def _convex_hull(points: np.ndarray) -> np.ndarray:
    pts = sorted({(float(x), float(y)) for x, y in points})
    if len(pts) < 3:
        return np.array(pts, dtype=np.float64).reshape(-1, 2)

    def cross(o: tuple, a: tuple, b: tuple) -> float:
        return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])

    lower: list[tuple] = []
    for p in pts:
        while len(lower) >= 2 and cross(lower[-2], lower[-1], p) <= 0:
            lower.pop()
        lower.append(p)
    upper: list[tuple] = []
    for p in reversed(pts):
        while len(upper) >= 2 and cross(upper[-2], upper[-1], p) <= 0:
            upper.pop()
        upper.append(p)
    return np.array(lower[:-1] + upper[:-1], dtype=np.float64)


def _clockwise_from_top_left(corners: np.ndarray) -> np.ndarray:
    """Order 4 corners clockwise on screen (y down), starting from the top-left-most one."""
    centre = corners.mean(axis=0)
    angles = np.arctan2(corners[:, 1] - centre[1], corners[:, 0] - centre[0])
    ordered = corners[np.argsort(angles)]  # increasing angle = clockwise on screen
    start = int(np.argmin(ordered[:, 0] + ordered[:, 1]))
    return np.roll(ordered, -start, axis=0)


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


def write(dataset: Dataset, out: OutputDir, options: YoloOptions, ctx: WriteContext) -> WriteReport:
    """Write `dataset` as an Ultralytics YOLO dataset for `options.task`."""
    report = WriteReport(format="yolo")
    split = options.split
    out.check_free(["data.yaml", f"{split}.txt"])
    ids = {name: i for i, name in enumerate(dataset.categories)}
    # Objects whose category is missing from dataset.categories still need an id.
    for _, obj in dataset.objects():
        if obj.category not in ids:
            ids[obj.category] = len(ids)
    kpt_k, kpt_names = _pose_shape(dataset) if options.task == "pose" else (0, [])
    names = UniqueStems()
    listed: list[str] = []
    attribute_values = 0
    classification_values = 0
    total = len(dataset.items)
    for index, item in enumerate(dataset.items):
        if index % 200 == 0:
            ctx.check_cancelled()
            ctx.progress(index, total)
        classification_values += sum(1 for _ in walk(item.classifications))
        frames = frames_of(item)
        for frame, reference, image_path in frames:
            size = item.size_of(frame)
            objects = item.objects_on(frame) if frame is not None else item.objects
            if size is None:
                report.drop("images without a known size (labels cannot be normalised)")
                if objects:
                    report.drop("objects on images without a known size", len(objects))
                continue
            stem = names.make(reference, report)
            for obj in objects:
                if obj.attributes:
                    attribute_values += sum(1 for _ in walk(obj.attributes))
            if options.task == "detect":
                lines = _detect_lines(objects, ids, size, report)
            else:
                lines = []
                for obj in objects:
                    line = _line(obj, ids[obj.category], size, options.task, kpt_k, report)
                    if line is not None:
                        lines.append(line)
            unique = list(dict.fromkeys(lines))
            if len(unique) < len(lines):
                duplicates = len(lines) - len(unique)
                report.drop("duplicate label lines (Ultralytics drops them)", duplicates)
            report.objects += len(unique)
            out.write_text(f"labels/{split}/{stem}.txt", "".join(f"{line}\n" for line in unique))
            suffix = PurePosixPath(reference_parts(reference).name).suffix or ".jpg"
            image_name = f"images/{split}/{stem}{suffix}"
            listed.append(f"./{image_name}")
            if options.images != "none":
                if image_path is None:
                    report.drop("images not found on disk (not copied)")
                else:
                    out.copy_file(image_path, image_name, link=options.images == "link")
            report.items += 1
    if attribute_values:
        report.drop(
            f"YOLO cannot hold attributes: {attribute_values:,} attribute values dropped",
            attribute_values,
        )
    if classification_values:
        report.drop(
            "YOLO cannot hold classifications (item-level answers dropped)", classification_values
        )
    relations = sum(len(item.relations) for item in dataset.items)
    if relations:
        report.drop("relations (YOLO has none)", relations)
    # No `path:` key: Ultralytics then uses the data.yaml folder, whereas a relative `path: .`
    # resolves against the current directory or DATASETS_DIR depending on its version. `val:` is
    # required by Ultralytics, so it names the one split written.
    data: dict[str, Any] = {"train": f"images/{split}", "val": f"images/{split}"}
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
    text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, default_flow_style=None)
    out.write_text("data.yaml", text)
    out.write_text(f"{split}.txt", "".join(f"{line}\n" for line in listed))
    if options.images == "none":
        report.notes.append(
            f"images not copied: put them in images/{split}/ (names as in {split}.txt)"
        )
    ctx.progress(total, total)
    return report


def frames_of(item: Item) -> list[tuple[int | None, str, Path | None]]:
    """(frame, image reference, image path) for each image an item's labels go to.

    A single image gives one entry (frame None); a multi-frame item one per declared frame and per
    frame an object sits on (frames without an image are named `<item>/frame_000123.jpg`).
    """
    # A URL's folders are the server's, not the dataset's: name the labels after the item then.
    base = item.image if item.image and "://" not in item.image else (item.name or item.id)
    indices = item.frame_indices() if item.frames or item.kind != "image" else []
    if not indices:
        return [(None, base, item.image_path)]
    declared = {frame.index: frame for frame in item.frames}
    stem = PurePosixPath(reference_parts(base).as_posix()).with_suffix("").as_posix() or item.id
    result: list[tuple[int | None, str, Path | None]] = []
    for index in indices:
        frame = declared.get(index)
        named = (frame.image or frame.name) if frame is not None else None
        if named and "://" in named:
            named = reference_parts(named).name
        reference = named or f"{stem}/frame_{index:06d}.jpg"
        result.append((index, reference, frame.image_path if frame is not None else None))
    return result


def _pose_shape(dataset: Dataset) -> tuple[int, list[str]]:
    k = 0
    names: list[str] = []
    for category in dataset.categories.values():
        if category.skeleton is not None and len(category.skeleton.names) > k:
            k, names = len(category.skeleton.names), list(category.skeleton.names)
    for _, obj in dataset.objects():
        if isinstance(obj.geometry, Keypoints) and len(obj.geometry.points) > k:
            k = len(obj.geometry.points)
            names = list(obj.geometry.names)
    return k, names


def _clipped_fields(points: np.ndarray, scale: np.ndarray, report: WriteReport) -> list[str]:
    """Normalised, clipped coordinates of an (N, 2) array as text (reports a real clip)."""
    normalised = points / scale
    clipped = np.clip(normalised, 0.0, 1.0)
    if (np.abs(clipped - normalised) > _CLIP_TOLERANCE).any():
        report.drop("coordinates clipped to the image")
    return [_num(v) for v in clipped.ravel().tolist()]


def _line(
    obj: ObjectLabel,
    cls: int,
    size: tuple[int, int],
    task: str,
    kpt_k: int,
    report: WriteReport,
) -> str | None:
    width, height = size
    geometry = obj.geometry
    kind = obj.kind
    if geometry is None:
        report.drop("objects without a shape")
        return None
    if task == "pose":
        if not isinstance(geometry, Keypoints):
            report.drop(f"{kind} objects (a pose dataset holds keypoints only)")
            return None
        scale = np.array([width, height], dtype=np.float64)
        return _pose_line(geometry, cls, scale, kpt_k, report)
    if task in ("segment", "obb"):
        points = (
            _segment_ring(geometry, report) if task == "segment" else _obb_corners(geometry, report)
        )
        if points is None:
            return None
        scale = np.array([width, height], dtype=np.float64)
        return " ".join([str(cls), *_clipped_fields(points, scale, report)])
    # detect: plain floats, no numpy — this runs once per object on big datasets.
    if kind == "point":
        report.drop("points (a detect dataset holds boxes only)")
        return None
    if kind != "box":
        report.drop(f"{kind} written as its bounding box")
    x0, y0, x1, y1 = geometry.bounds()
    raw = (x0 / width, y0 / height, x1 / width, y1 / height)
    c = [min(max(float(v), 0.0), 1.0) for v in raw]
    if any(abs(a - b) > _CLIP_TOLERANCE for a, b in zip(c, raw, strict=True)):
        report.drop("coordinates clipped to the image")
    w, h = c[2] - c[0], c[3] - c[1]
    if w <= 0 or h <= 0:
        report.drop("empty boxes (outside the image or zero size)")
        return None
    return " ".join([str(cls), _num((c[0] + c[2]) / 2), _num((c[1] + c[3]) / 2), _num(w), _num(h)])


def _detect_lines(
    objects: list[ObjectLabel], ids: dict[str, int], size: tuple[int, int], report: WriteReport
) -> list[str]:
    """`cls cx cy w h` lines for one image, vectorised: the detect task runs once per object of
    datasets with millions of them, so bounds, normalising and clipping go through numpy at once.
    """
    classes: list[int] = []
    bounds: list[tuple[float, float, float, float]] = []
    rings: list[np.ndarray] = []  # one-part polygons: their bounds come from one reduceat
    ring_rows: list[int] = []
    reduced: Counter[str] = Counter()
    for obj in objects:
        geometry = obj.geometry
        kind = obj.kind
        if geometry is None:
            report.drop("objects without a shape")
            continue
        if kind == "point":
            report.drop("points (a detect dataset holds boxes only)")
            continue
        if kind != "box":
            reduced[kind] += 1
        classes.append(ids[obj.category])
        if kind == "polygon" and len(geometry.parts) == 1:
            ring_rows.append(len(bounds))
            rings.append(geometry.parts[0].outer)
            bounds.append((0.0, 0.0, 0.0, 0.0))
        else:
            bounds.append(geometry.bounds())
    for kind, count in reduced.items():
        report.drop(f"{kind} written as its bounding box", count)
    if not bounds:
        return []
    box = np.array(bounds, dtype=np.float64)
    if rings:
        points = np.concatenate(rings)
        starts = np.cumsum([0] + [len(ring) for ring in rings[:-1]])
        rows = np.array(ring_rows)
        box[rows, 0:2] = np.minimum.reduceat(points, starts, axis=0)
        box[rows, 2:4] = np.maximum.reduceat(points, starts, axis=0)
    width, height = size
    raw = box / np.array([width, height, width, height], dtype=np.float64)
    clipped = np.clip(raw, 0.0, 1.0)
    moved = (np.abs(clipped - raw) > _CLIP_TOLERANCE).any(axis=1)
    if moved.any():
        report.drop("coordinates clipped to the image", int(moved.sum()))
    w = clipped[:, 2] - clipped[:, 0]
    h = clipped[:, 3] - clipped[:, 1]
    keep = (w > 0) & (h > 0)
    if not keep.all():
        report.drop("empty boxes (outside the image or zero size)", int((~keep).sum()))
    centre_x = (clipped[:, 0] + clipped[:, 2]) / 2
    centre_y = (clipped[:, 1] + clipped[:, 3]) / 2
    values = np.round(np.column_stack((centre_x, centre_y, w, h))[keep], 6).tolist()
    kept = np.array(classes)[keep].tolist()
    return [
        f"{cls} {_num(a)} {_num(b)} {_num(c)} {_num(d)}"
        for cls, (a, b, c, d) in zip(kept, values, strict=True)
    ]


def _segment_ring(geometry: Any, report: WriteReport) -> np.ndarray | None:
    if isinstance(geometry, Mask):
        polygon = _mask_polygon(geometry)
        if polygon is None:
            report.drop("empty masks")
            return None
        report.drop("masks traced to polygons (contours, parts and holes bridged)")
        geometry = polygon
    elif isinstance(geometry, Box | RotatedBox):
        return geometry.corners()
    elif isinstance(geometry, Ellipse):
        report.drop("ellipses written as 64-point polygons")
        return geometry.to_points(64)
    if isinstance(geometry, Polygon):
        ring, parts, holes = _polygon_ring(geometry)
        if parts:
            report.drop("multi-part polygons joined by zero-width bridges (one YOLO ring)")
        if holes:
            report.drop("polygon holes joined by zero-width bridges (one YOLO ring)", holes)
        return ring
    report.drop(f"{geometry.kind} objects (a segment dataset holds polygons only)")
    return None


def _obb_corners(geometry: Any, report: WriteReport) -> np.ndarray | None:
    if isinstance(geometry, RotatedBox):
        return geometry.corners()
    if isinstance(geometry, Box):
        return geometry.corners()
    if isinstance(geometry, Polygon | Ellipse | Mask):
        if isinstance(geometry, Mask):
            polygon = _mask_polygon(geometry)
            if polygon is None:
                report.drop("empty masks")
                return None
            points = np.concatenate([part.outer for part in polygon.parts])
        elif isinstance(geometry, Ellipse):
            points = geometry.to_points(256)
        else:
            points = np.concatenate([part.outer for part in geometry.parts])
        report.drop(f"{geometry.kind} written as its minimum-area rotated rectangle")
        return _clockwise_from_top_left(_min_area_rect(points))
    report.drop(f"{geometry.kind} objects (an OBB dataset holds rotated boxes only)")
    return None


def _pose_line(
    geometry: Keypoints, cls: int, scale: np.ndarray, kpt_k: int, report: WriteReport
) -> str | None:
    labelled = geometry.labelled
    if not labelled.any():
        report.drop("keypoint objects without a labelled point")
        return None
    shown = geometry.points[labelled]
    x0, y0 = shown.min(axis=0) / scale
    x1, y1 = shown.max(axis=0) / scale
    x0, y0, x1, y1 = (float(v) for v in _clip01(np.array([x0, y0, x1, y1])))
    values = [(x0 + x1) / 2, (y0 + y1) / 2, x1 - x0, y1 - y0]
    fields = [str(cls), *(_num(v) for v in values)]
    count = len(geometry.points)
    if count < kpt_k:
        report.drop("keypoint objects padded with missing points (all classes share kpt_shape)")
    for i in range(kpt_k):
        if i < count and labelled[i]:
            x, y = _clip01(geometry.points[i] / scale)
            fields += [_num(x), _num(y), str(int(geometry.visibility[i]))]
        else:
            fields += ["0", "0", "0"]
    return " ".join(fields)


FORMAT = Format(
    name="yolo",
    title="Ultralytics YOLO",
    suffixes=(".yaml", ".yml", ".txt"),
    detect=detect,
    read=read,
    write=write,
    options=YoloOptions,
    description="Ultralytics YOLO detect / segment / pose / OBB (data.yaml + labels/*.txt)",
)

__all__ = ["FORMAT", "YoloOptions", "bool_option", "flip_index", "frames_of"]
