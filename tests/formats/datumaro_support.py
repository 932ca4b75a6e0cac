"""Open our written outputs with Datumaro, the independent importer, and count what it sees.

Used by test_datumaro_import.py only; Datumaro is a test-only extra, so nothing here is imported
unless it is installed. How each format's objects are counted (Datumaro splits one object into
several annotations):
- COCO: every annotation becomes polygons (one per ring), a mask, a box and/or points that all
  carry the annotation's id, so an object is a distinct id within an item.
- YOLO: one box per label line.
- VOC: one box per `<object>` and one per `<part>` (a part is an object of its own in our model);
  the instance masks repeat the same objects, so only boxes count.
- CVAT: one annotation per shape; the writer splits a multi-part polygon into polygons sharing a
  `group_id`, so an object is a distinct non-zero group, or an ungrouped shape. Datumaro 1.x
  (openvinotoolkit) has no CVAT skeletons: it reads each node of a `<skeleton>` as a separate,
  ungrouped point, so each skeleton's nodes beyond the first are taken off again (counted from the
  written XML).
Image-level tags (Datumaro `label` annotations) are not objects.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree import ElementTree

import yaml

# Datumaro's importer for each of our writers. COCO needs the layout Datumaro expects, which
# `place_coco` arranges: annotations/<task>_default.json beside images/.
IMPORTER = {"coco": "coco_instances", "yolo": "yolo", "voc": "voc", "cvat": "cvat"}
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp")


@dataclass
class Imported:
    """What Datumaro read from one output."""

    items: int
    objects: int
    # Datumaro items whose image it could not find, by item id.
    without_image: list[str] = field(default_factory=list)
    # COCO keypoint annotations (by id) for which Datumaro read no points.
    without_points: list[str] = field(default_factory=list)


def place_coco(out: Path) -> tuple[Path, str]:
    """Copy OUTDIR/annotations.json to where Datumaro looks for it (OUTDIR/annotations/), as a
    keypoints file when every annotation has keypoints, else as an instances file. Returns the
    folder to import and the Datumaro format name.
    """
    data = json.loads((out / "annotations.json").read_text(encoding="utf-8"))
    annotations = data.get("annotations") or []
    keypoints = bool(annotations) and all("keypoints" in ann for ann in annotations)
    task = "person_keypoints" if keypoints else "instances"
    (out / "annotations").mkdir(exist_ok=True)
    shutil.copyfile(out / "annotations.json", out / "annotations" / f"{task}_default.json")
    return out, f"coco_{task}"


def import_output(out: Path, fmt: str) -> Imported:
    """Import `out` (written as our format `fmt`) with Datumaro's importer for that format, with
    its default options (a failing item raises).
    """
    import datumaro

    path, importer = place_coco(out) if fmt == "coco" else (out, IMPORTER[fmt])
    dataset = datumaro.Dataset.import_from(str(path), importer)
    label = datumaro.AnnotationType.label
    objects = 0
    without_image = []
    without_points = []
    skeleton = getattr(datumaro.AnnotationType, "skeleton", None)
    flattened = fmt == "cvat" and not any(
        ann.type == skeleton for item in dataset for ann in item.annotations
    )
    for item in dataset:
        annotations = [ann for ann in item.annotations if ann.type != label]
        objects += _object_count(annotations, fmt, datumaro)
        image = getattr(item.media, "path", None)
        if not image or not os.path.isfile(image):
            without_image.append(f"{item.subset}/{item.id}: {image or 'no image'}")
        if importer == "coco_person_keypoints":
            points = datumaro.AnnotationType.points
            with_points = {ann.id for ann in annotations if ann.type == points}
            without_points += [
                f"{item.id}: annotation {ann_id}"
                for ann_id in sorted({ann.id for ann in annotations} - with_points)
            ]
    if flattened:
        objects -= _extra_skeleton_nodes(out)
    return Imported(len(dataset), objects, without_image, without_points)


def _extra_skeleton_nodes(out: Path) -> int:
    """Nodes beyond the first of every written CVAT skeleton (see the module docstring)."""
    extra = 0
    for xml in out.glob("*.xml"):
        for skeleton in ElementTree.parse(xml).getroot().iter("skeleton"):
            extra += max(len(skeleton.findall("points")) - 1, 0)
    return extra


def _object_count(annotations: list, fmt: str, datumaro) -> int:
    if fmt == "coco":
        return len({ann.id for ann in annotations})
    if fmt == "voc":
        return sum(1 for ann in annotations if ann.type == datumaro.AnnotationType.bbox)
    if fmt == "cvat":
        groups = {ann.group for ann in annotations if ann.group}
        return len(groups) + sum(1 for ann in annotations if not ann.group)
    return len(annotations)


def layout_hint(out: Path, fmt: str) -> str:
    """Why Datumaro may not find an image, for the failure message: its YOLO importer indexes
    images/<subset>/<stem>.<ext> only (two folders deep, by stem) and takes the subset from the
    label file's folder, so deeper label or image files break it.
    """
    if fmt != "yolo":
        return ""
    deeper = [
        path.relative_to(out).as_posix()
        for folder in ("images", "labels")
        for path in sorted((out / folder).rglob("*"))
        if path.is_file() and len(path.relative_to(out / folder).parts) > 2
    ]
    if not deeper:
        return ""
    return (
        f"Datumaro's YOLO layout is images/<subset>/<file> and labels/<subset>/<file>;"
        f" {len(deeper)} files are deeper: {deeper[:4]}"
    )


# --- the images the written labels name -----------------------------------------------------------


def named_images(out: Path, fmt: str) -> list[str]:
    """Every image file the labels in `out` name, relative to `out`, by the format's own
    convention (read with the standard library, independent of our readers).
    """
    return {"coco": _coco_images, "yolo": _yolo_images, "voc": _voc_images, "cvat": _cvat_images}[
        fmt
    ](out)


def missing_images(out: Path, fmt: str) -> list[str]:
    """The named images that are not in `out` (as files or links to files; a name ending in `/`
    is a folder of images).
    """
    return [
        name
        for name in named_images(out, fmt)
        if not ((out / name).is_dir() if name.endswith("/") else (out / name).is_file())
    ]


def _coco_images(out: Path) -> list[str]:
    # The COCO API's and Datumaro's layout: file_name is relative to the images folder.
    data = json.loads((out / "annotations.json").read_text(encoding="utf-8"))
    return [f"images/{image['file_name']}" for image in data.get("images") or []]


def _yolo_images(out: Path) -> list[str]:
    """The image folders or lists data.yaml names, the images of every split list (train.txt:
    paths relative to the dataset root), and the image of every label file (Ultralytics' rule:
    the last labels/ becomes images/).
    """
    config = yaml.safe_load((out / "data.yaml").read_text(encoding="utf-8")) or {}
    root = out / str(config.get("path") or ".")
    names: list[str] = []
    splits = {str(config[key]) for key in ("train", "val", "test") if config.get(key)}
    lists = {root / split for split in splits if split.endswith(".txt")}
    lists |= {path for path in out.glob("*.txt") if path.stem in ("train", "val", "test")}
    names += [_relative(root / split, out) + "/" for split in splits if not split.endswith(".txt")]
    for listed in sorted(lists):
        names.append(_relative(listed, out))
        if listed.is_file():
            for line in listed.read_text(encoding="utf-8").splitlines():
                if line.strip():
                    names.append(_relative(root / line.strip(), out))
    for label in sorted(out.rglob("labels/**/*.txt")):
        relative = label.relative_to(out).as_posix()
        head, _, tail = relative.rpartition("labels/")
        stem = out / (head + "images/" + tail[: -len(".txt")])
        found = [stem.with_name(stem.name + suffix) for suffix in IMAGE_SUFFIXES]
        hit = next((path for path in found if path.is_file()), None)
        names.append(_relative(hit or found[0], out) if hit else f"{head}images/{tail[:-4]}.*")
    return names


def _voc_images(out: Path) -> list[str]:
    # Datumaro and the devkit tools open JPEGImages/<filename>.
    names = []
    for xml in sorted((out / "Annotations").rglob("*.xml")):
        filename = ElementTree.parse(xml).getroot().findtext("filename") or ""
        names.append(f"JPEGImages/{filename}")
    return names


def _cvat_images(out: Path) -> list[str]:
    # CVAT and Datumaro open images/<image name> beside the XML.
    names = []
    for xml in sorted(out.glob("*.xml")):
        for image in ElementTree.parse(xml).getroot().iter("image"):
            names.append(f"images/{image.get('name', '')}")
    return names


def _relative(path: Path, out: Path) -> str:
    try:
        return Path(os.path.normpath(path)).relative_to(os.path.normpath(out)).as_posix()
    except ValueError:
        return str(path)  # outside the output: is_file() still tells whether it exists
