"""Pascal VOC segmentation-only folders: SegmentationObject/*.png (instance index) with
SegmentationClass/*.png (class index) and a class list, read as one mask per instance.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from labelview.cancel import checked
from labelview.formats._input import walk
from labelview.formats.base import ReadContext
from labelview.images import ImageFinder, open_image
from labelview.model import Dataset, Item, ObjectLabel
from labelview.model.geometry import LazyMask, Mask

_NOT_CLASSES = ("_background_", "background", "__ignore__", "ignored")
_BACKGROUND, _VOID = 0, 255  # VOC paints object borders and regions to ignore 255


def class_names(base: Path) -> list[str]:
    """Class names by index: class_names.txt / labels.txt (one a line), else labelmap.txt."""
    for name in ("class_names.txt", "labels.txt"):
        if (base / name).is_file():
            return [
                line.strip()
                for line in (base / name).read_text("utf-8", errors="replace").splitlines()
                if line.strip()
            ]
    if (base / "labelmap.txt").is_file():
        lines = (base / "labelmap.txt").read_text("utf-8", errors="replace").splitlines()
        return [line.split(":")[0] for line in lines if line.strip() and not line.startswith("#")]
    return []


def read_masks_only(path: Path, ctx: ReadContext) -> Dataset:
    """One item per SegmentationObject PNG; a PNG pair that cannot be read is a located error."""
    objects_dir, classes_dir = path / "SegmentationObject", path / "SegmentationClass"
    if not objects_dir.is_dir() or not classes_dir.is_dir():
        raise ctx.fail("", "no VOC annotation XML and no SegmentationObject/SegmentationClass")
    names = class_names(path)
    dataset = Dataset()
    for name in names:
        if name not in _NOT_CLASSES:
            dataset.category(name)
    devkit = ImageFinder([path / "JPEGImages"])
    files = walk(objects_dir, "*.png", lambda file, message: ctx.error("", message, file=file))
    for index, file in enumerate(files):
        ctx.check_cancelled()
        ctx.progress(index, len(files))
        try:
            # open_image refuses a claimed size past limits.MAX_PIXELS before decoding.
            with open_image(file, "instance PNG") as opened:
                instances = np.asarray(opened)
            with open_image(classes_dir / file.name, "class PNG") as opened:
                classes = np.asarray(opened)
        except (OSError, ValueError) as error:
            ctx.error("", f"cannot read the PNG pair: {error}", file=file)
            continue
        if instances.shape != classes.shape or instances.ndim != 2:
            ctx.error("", "instance and class PNGs differ in size or are not indexed", file=file)
            continue
        height, width = instances.shape
        item = Item(
            id=file.stem, name=file.stem, image=f"{file.stem}.jpg", width=width, height=height
        )
        item.image_path = ctx.images.find(item.image) or devkit.find(item.image)
        for value in checked(np.unique(instances), ctx):
            if value in (_BACKGROUND, _VOID):
                continue
            pixels = instances == value
            labels, counts = np.unique(classes[pixels], return_counts=True)
            keep = labels != _VOID
            if not keep.any():
                continue
            label = int(labels[keep][np.argmax(counts[keep])])
            category = names[label] if label < len(names) else f"class_{label}"
            dataset.category(category)
            # Keep only the file and the value: decoding again on demand is cheap, whereas a
            # full-size bool array per instance would take gigabytes on a whole VOC set.
            source = LazyMask(_instance_loader(file, int(value)), f"{file.name} = {int(value)}")
            item.objects.append(ObjectLabel(category, Mask(height, width, source), id=str(value)))
        dataset.items.append(item)
    ctx.progress(len(files), len(files))
    return dataset


def _instance_loader(file: Path, value: int) -> Callable[[], np.ndarray]:
    def load() -> np.ndarray:
        with open_image(file, "instance PNG") as image:
            return np.asarray(image) == value

    return load
