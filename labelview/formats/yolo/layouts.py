"""Where a YOLO input's labels, images and class names are, for each layout it comes in.

- Ultralytics: a data.yaml (`names`, `train`/`val`/`test` as folders, .txt lists or lists of
  either, optional `path`, `kpt_shape`, `flip_idx`, `task`); labels found by Ultralytics' rule.
- Darknet / "YOLO 1.1": obj.data (`names`, `train`, `valid` lists) + obj.names.
- Bare folders (Dataloop's converter: `labels.txt` + `annotations/**.txt` beside the downloaded
  items): every label matched by stem to an image or video, looked up in --images, the input
  folder, then the folders beside it.
- One label .txt file: its image by Ultralytics' rule or beside it.
"""

from __future__ import annotations

import glob
import os
from pathlib import Path
from typing import Any

import yaml

from labelview.formats._input import read_text, walk
from labelview.formats._reading import BAD_VALUE, describe, integer, sequence, text
from labelview.formats.base import ReadContext
from labelview.formats.yolo.detect import (
    LABEL_DIRS,
    NAMES_FILES,
    SPLITS,
    find_yaml,
    is_names_or_list,
)
from labelview.images import IMAGE_SUFFIXES

VIDEO_SUFFIXES = frozenset({".mp4", ".webm", ".mov", ".avi", ".mkv", ".m4v", ".mpg", ".mpeg"})
_MAX_WALKED = 200_000  # files looked at per folder searched for media beside the labels

Pair = tuple[Path | None, Path | None, str]  # (label file, image or video, split)


class Source:
    """Where the labels, images and names of a YOLO input are."""

    def __init__(self) -> None:
        self.root: Path = Path()
        self.names: dict[int, str] = {}
        self.kpt_shape: tuple[int, int] | None = None
        self.kpt_names: list[str] = []
        self.flip_idx: list[int] | None = None
        self.task: str | None = None
        self.pairs: list[Pair] = []  # (label, image, split)
        self.meta: dict[str, Any] = {}


def names_from(value: Any) -> dict[int, str]:
    """Class names of a yaml `names:` (a list, or a mapping of id to name); Skip when neither."""
    if isinstance(value, dict):
        return {
            integer(key, "class id", low=0): text(name, f"name of class {key}")
            for key, name in value.items()
        }
    return {i: text(name, f"name of class {i}") for i, name in enumerate(sequence(value, "names"))}


def names_file(path: Path) -> dict[int, str]:
    """Class names of a names file: one per line, blank lines skipped but counted as ids (Darknet
    reads line N as class N).
    """
    lines = read_text(path, encoding="utf-8-sig", errors="replace").splitlines()
    return {i: line.strip() for i, line in enumerate(lines) if line.strip()}


def load_yaml(path: Path, ctx: ReadContext) -> dict[str, Any]:
    try:
        data = yaml.safe_load(read_text(path, errors="replace"))
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else ""
        raise ctx.fail(where, f"invalid YAML: {error}") from error
    except RecursionError:
        raise ctx.fail("", "invalid YAML: nested too deeply") from None
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
    # Regular files only, no links out, at most limits.MAX_FILES_WALKED entries.
    return [p for p in walk(folder) if p.suffix.lower() in IMAGE_SUFFIXES]


def _dataset_root(value: Any, yaml_path: Path, base: Path, ctx: ReadContext) -> Path:
    """The folder split entries are relative to: the reader option `root` when the user gives
    one, else data.yaml's `path` when it lies inside the dataset folder, else the dataset folder.

    `path: /` (or `../..`) must not make a reader walk and decode the whole file system: a
    `path` outside the folder is a warning and ignored unless passed explicitly.
    """
    explicit = ctx.options.get("root")
    if explicit not in (None, ""):
        root = Path(str(explicit)).expanduser()
        if not root.is_dir():
            raise ctx.fail("", f"option root={explicit!r}: no such folder")
        return root
    if not isinstance(value, str) or not value:
        return base
    candidate = Path(value) if Path(value).is_absolute() else yaml_path.parent / value
    if not candidate.is_dir():
        return base
    if not _inside(candidate, base):
        ctx.warn(
            "path",
            f"path {value!r} lies outside the dataset folder: ignored, splits are read from the"
            f" dataset folder (pass --read-option root={value} to read from there)",
            file=yaml_path,
        )
        return base
    return candidate


def _inside(path: Path, folder: Path) -> bool:
    real, real_folder = os.path.realpath(path), os.path.realpath(folder)
    return real == real_folder or real.startswith(real_folder.rstrip(os.sep) + os.sep)


def _split_images(
    value: Any, root: Path, base: Path, ctx: ReadContext | None = None, split: str = ""
) -> list[Path]:
    """Images named by a split entry: a folder, a .txt list of image paths, or a list of either.

    With `ctx` (a data.yaml's splits), a folder or list outside `root` and the dataset folder is
    a warning and not read.
    """
    if isinstance(value, list):
        return [image for entry in value for image in _split_images(entry, root, base, ctx, split)]
    if not isinstance(value, str) or not value:
        return []
    path = Path(value) if Path(value).is_absolute() else root / value
    if not path.exists() and value.startswith("../"):
        path = root / value[3:]  # Ultralytics' fallback; Roboflow writes `train: ../train/images`
    if ctx is not None and path.exists() and not (_inside(path, root) or _inside(path, base)):
        ctx.warn(
            split,
            f"{value!r} lies outside the dataset folder: not read"
            " (pass --read-option root=FOLDER to read from a folder holding it)",
        )
        return []
    if path.is_dir():
        return _list_images(path)
    if path.is_file() and path.suffix == ".txt":
        images = []
        for line in read_text(path, errors="replace").splitlines():
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


def _apply_yaml(source: Source, data: dict[str, Any], ctx: ReadContext) -> None:
    """Names, keypoint shape and names, flip_idx and task from a data.yaml."""
    if "names" in data:
        try:
            source.names = names_from(data["names"])
        except BAD_VALUE as error:
            raise ctx.fail("names", describe(error)) from error
    shape = data.get("kpt_shape")
    if shape is not None:
        try:
            k, d = sequence(shape, "kpt_shape")
            source.kpt_shape = (integer(k, "K", low=1), integer(d, "D", low=2, high=3))
        except BAD_VALUE:
            raise ctx.fail("kpt_shape", f"expected [K, 2|3], got {shape!r}") from None
    kpt_names = data.get("kpt_names")
    if isinstance(kpt_names, dict) and kpt_names:
        kpt_names = next(iter(kpt_names.values()))
    if isinstance(kpt_names, list):
        source.kpt_names = [str(n) for n in kpt_names]
    if isinstance(data.get("flip_idx"), list):
        try:
            source.flip_idx = [integer(i, "flip_idx entry", low=0) for i in data["flip_idx"]]
        except BAD_VALUE:
            ctx.warn("flip_idx", f"not a list of integers: {data['flip_idx']!r}")
    if isinstance(data.get("task"), str):
        source.task = data["task"]


def resolve(path: Path, ctx: ReadContext) -> Source:
    """The layout of `path` (folder, yaml, obj.data or one label file) and its pairs."""
    source = Source()
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
        yaml_path = find_yaml(path)
        if yaml_path is None and (path / "obj.data").is_file():
            obj_data = path / "obj.data"
    source.root = base
    if yaml_path is not None:
        data = load_yaml(yaml_path, ctx)
        source.root = _dataset_root(data.get("path"), yaml_path, base, ctx)
        _apply_yaml(source, data, ctx)
        source.meta = {k: v for k, v in data.items() if k not in ("names",)}
        for split in SPLITS:
            for image in _split_images(data.get(split), source.root, base, ctx, split):
                source.pairs.append((_img2label(image), image, split))
    elif obj_data is not None:
        _apply_obj_data(source, obj_data, base)
    if not source.names:
        for name in (*NAMES_FILES, "*.names"):
            # An opened annotations/ folder has Dataloop's labels.txt one level up.
            found = walk(base, name) or sorted(base.parent.glob(name))
            if found:
                source.names = names_file(found[0])
                break
    if not source.pairs:
        source.pairs = _pair_by_stem(base, ctx.images_dir)
    asked = ctx.options.get("task")
    if asked not in (None, "auto", "detect", "segment", "pose", "obb"):
        raise ctx.fail("", f"option task={asked!r}: use auto, detect, segment, pose or obb")
    if asked not in (None, "auto"):
        source.task = str(asked)
    # The same image listed by several splits (val: images/train is common) is one item.
    unique: dict[Path, Pair] = {}
    for label, image, split in source.pairs:
        key = image if image is not None else label
        if key in unique:
            first = unique[key]
            unique[key] = (first[0], first[1], f"{first[2]},{split}" if split else first[2])
        else:
            unique[key] = (label, image, split)  # type: ignore[index]
    source.pairs = list(unique.values())
    return source


def _apply_obj_data(source: Source, obj_data: Path, base: Path) -> None:
    """Darknet's obj.data: `names = obj.names`, `train = train.txt`, `valid = valid.txt`; a
    label sits beside its image with the suffix .txt.
    """
    settings = {}
    for line in read_text(obj_data, errors="replace").splitlines():
        key, _, value = line.partition("=")
        settings[key.strip()] = value.strip()
    names_ref = settings.get("names")
    if names_ref:
        names_path = _list_entry(names_ref, base, base)
        if names_path.is_file():
            source.names = names_file(names_path)
    for split in (*SPLITS, "valid"):
        ref = settings.get(split)
        if ref:
            list_path = _list_entry(ref, base, base)
            for image in _split_images(str(list_path), base, base):
                source.pairs.append((image.with_suffix(".txt"), image, split))


def _single_label_file(path: Path, ctx: ReadContext) -> Source:
    """One label .txt: its image by Ultralytics' rule or beside it, names from the folders above."""
    source = Source()
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
                    if c.suffix.lower() in IMAGE_SUFFIXES or c.suffix.lower() in VIDEO_SUFFIXES
                ),
                None,
            )
    for folder in (path.parent, path.parent.parent, path.parent.parent.parent):
        yaml_path = find_yaml(folder)
        if yaml_path is not None:
            _apply_yaml(source, load_yaml(yaml_path, ctx), ctx)
            break
        found = next((folder / n for n in NAMES_FILES if (folder / n).is_file()), None)
        if found is not None:
            source.names = names_file(found)
            break
    source.pairs = [(path, image, "")]
    task = ctx.options.get("task")
    if task not in (None, "auto"):
        source.task = str(task)
    return source


def _pair_by_stem(base: Path, images_dir: Path | None) -> list[Pair]:
    """A bare layout: every label .txt matched to the image (or video) with the same stem.

    Media are looked up in `images_dir` (preferred), then under `base`; when `base` holds no media
    at all (Dataloop's converter writes `yolo/` beside the downloaded items), in the folders
    beside it. Among several files with the stem, the one whose folder path ends like the label's
    (after `labels/`, `annotations/`, `images/`) wins.
    """
    media_by_stem: dict[str, list[tuple[Path, Path]]] = {}  # stem -> [(root, file)]
    labels = []
    base_media: list[Path] = []
    for file in walk(base):  # regular files only, no links out, a bounded walk
        suffix = file.suffix.lower()
        if suffix in IMAGE_SUFFIXES or suffix in VIDEO_SUFFIXES:
            base_media.append(file)
        elif suffix == ".txt" and not is_names_or_list(file.name):
            labels.append(file)
    roots: list[tuple[Path, list[Path]]] = []
    if images_dir is not None and Path(images_dir).is_dir():
        roots.append((Path(images_dir), _list_media(Path(images_dir))))
    roots.append((base, base_media))
    # An opened annotations/ folder: its media sit beside the export folder, one more level up.
    skip, depth = base, 2 if base.name in LABEL_DIRS else 1
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
    pairs: list[Pair] = []
    for label in labels:
        candidates = media_by_stem.get(label.stem, [])
        folders = {base.name, *label.relative_to(base).parts[:-1]}
        if not candidates and not LABEL_DIRS.intersection(folders):
            continue  # a stray .txt (README, notes) beside the data, not a label file
        image = None
        if candidates:
            label_dirs = [p for p in label.relative_to(base).parent.parts if p not in LABEL_DIRS]
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
            if suffix in IMAGE_SUFFIXES or suffix in VIDEO_SUFFIXES:
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
