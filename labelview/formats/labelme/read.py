"""LabelMe reading: one .json, or a folder of them (one item each).

A file that is not JSON or not a LabelMe document is a located error for that file and the folder
goes on; a shape that cannot be read is a located warning (`a.json: shapes[3].points: ...`) and
the other shapes are kept.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import posixpath
import tempfile
from pathlib import Path, PurePosixPath
from typing import Any

from labelview import limits
from labelview.cancel import checked
from labelview.errors import FormatError
from labelview.formats._input import walk
from labelview.formats._reading import BAD_VALUE, Skip, at, describe, size
from labelview.formats.base import ReadContext, load_json
from labelview.formats.labelme.read_shapes import shape_object
from labelview.images import image_size, open_image
from labelview.model import Dataset, Item
from labelview.model.classifications import Answer
from labelview.model.objects import Relation

GROUP = "group"
_DOCUMENT_KEYS = frozenset(
    {"version", "flags", "shapes", "imagePath", "imageData", "imageHeight", "imageWidth"}
)


def files_of(path: Path, ctx: ReadContext | None = None) -> list[Path]:
    """The file itself, or the regular *.json files under a folder (a FIFO, a device or a link out
    of the folder is an error of its own, with `ctx`).
    """
    if not path.is_dir():  # a file (or a FIFO, refused when read)
        return [path]

    def skipped(file: Path, message: str) -> None:
        if ctx is not None:
            ctx.error("", message, file=file)

    return walk(path, "*.json", skipped)


def read_documents(path: Path, ctx: ReadContext) -> Dataset:
    dataset = Dataset()
    base = path if path.is_dir() else path.parent
    files = files_of(path, ctx)
    single = not path.is_dir()
    for index, file in enumerate(checked(files, ctx)):
        if index % 100 == 0:
            ctx.check_cancelled()
            ctx.progress(index, len(files))
        try:
            data = load_json(file, ctx)
        except FormatError as error:
            if single:
                raise
            ctx.error(error.where, error.message, file=file)
            continue
        if not isinstance(data, dict) or not isinstance(data.get("shapes"), list):
            if single:
                raise ctx.fail("", 'not a LabelMe file (no "shapes" list)')
            ctx.warn("", 'not a LabelMe file (no "shapes" list): skipped', file=file)
            continue
        try:
            dataset.items.append(_item(data, file, base, dataset, ctx))
        except BAD_VALUE as error:  # broken beyond its shapes: the folder goes on
            if single:
                raise ctx.fail("", describe(error)) from None
            ctx.error("", describe(error), file=file)
    ctx.progress(len(files), len(files))
    return dataset


def _item(data: dict, file: Path, base: Path, dataset: Dataset, ctx: ReadContext) -> Item:
    relative_json = file.relative_to(base).as_posix()
    image_ref = str(data.get("imagePath") or "").replace("\\", "/")
    folder = PurePosixPath(relative_json).parent
    if not image_ref or image_ref.lower().endswith(".json"):
        # imagePath names the JSON itself (or nothing): the picture is in imageData; name the
        # item like an image so that writers give it an image name.
        image_ref = f"{PurePosixPath(relative_json).stem}{_embedded_suffix(data)}"
    name = posixpath.normpath((folder / image_ref).as_posix())  # "a/../b.jpg" -> "b.jpg"
    item = Item(id=relative_json, name=name, image=name)
    item.image_path = ctx.images.find(name) or ctx.images.find(image_ref)
    try:
        width, height = (
            size(data.get("imageWidth"), "imageWidth"),
            size(data.get("imageHeight"), "imageHeight"),
        )
    except Skip as error:
        ctx.warn("", f"{error.message}: size taken from the image", file=file)
        width = height = None
    if width and height:
        item.width, item.height = width, height
    image_data = data.get("imageData")
    if item.image_path is None and isinstance(image_data, str) and image_data:
        item.image_path = _cache_embedded(image_data, ctx, file)
        if item.image_path is not None:
            item.extra["image_from"] = "imageData"
    if item.width is None and item.image_path is not None:
        found = image_size(item.image_path)
        if found is not None:
            item.width, item.height = found
    if item.width is None:
        ctx.warn("", "image size unknown (no imageWidth/imageHeight, no image)", file=file)
    for key in ("flags", "attributes"):  # "attributes": our writer's non-boolean answers
        values = data.get(key)
        if isinstance(values, dict):
            item.classifications.extend(Answer(str(k), v) for k, v in values.items())
    for key, value in data.items():
        if key not in _DOCUMENT_KEYS and key != "attributes":
            item.extra[key] = value
    if "version" in data:
        item.extra["labelme_version"] = data["version"]
    _shapes(data["shapes"], item, dataset, ctx, file)
    return item


def _shapes(shapes: list, item: Item, dataset: Dataset, ctx: ReadContext, file: Path) -> None:
    groups: dict[tuple[str, Any], list[str]] = {}
    for index, shape in enumerate(checked(shapes, ctx)):
        location = at("shapes", index)

        def warn(where: str, message: str, location: str = location, index: int = index) -> None:
            ctx.warn(f"{location}.{where}", message, item=item.id, obj=str(index), file=file)

        try:
            obj = shape_object(shape, str(index), item, warn)
        except BAD_VALUE as error:
            where = location
            if isinstance(error, Skip) and error.where:
                where = f"{location}.{error.where}"
            ctx.warn(where, describe(error), item=item.id, obj=str(index), file=file)
            continue
        if obj.geometry is None:
            warn(
                "shape_type",
                f"unknown shape type {shape.get('shape_type')!r}: kept without geometry",
            )
        dataset.category(obj.category)
        item.objects.append(obj)
        group_id = shape.get("group_id")
        if isinstance(group_id, int | str) and not isinstance(group_id, bool):
            groups.setdefault((obj.category, group_id), []).append(str(index))
    # labelme's instance is (label, group_id): shapes sharing both are one group.
    for (_label, group_id), members in groups.items():
        if len(members) > 1:
            item.relations.append(Relation(GROUP, tuple(members), extra={"group_id": group_id}))


def _embedded_suffix(data: dict) -> str:
    """The file suffix of an embedded image, from its base64 magic bytes."""
    head = str(data.get("imageData") or "")
    if head.startswith("iVBOR"):
        return ".png"
    if head.startswith("Qk"):
        return ".bmp"
    return ".jpg"


def _cache_embedded(image_data: str, ctx: ReadContext, file: Path) -> Path | None:
    """Write an embedded image once to a cache folder (keyed by its hash); None if unusable."""
    try:
        raw = base64.b64decode(image_data, validate=False)
    except (binascii.Error, ValueError):
        ctx.warn("imageData", "not base64", file=file)
        return None
    from PIL import UnidentifiedImageError

    try:
        with open_image(raw, "imageData") as image:
            suffix = {"JPEG": ".jpg", "PNG": ".png", "BMP": ".bmp"}.get(image.format or "", ".img")
    except limits.Refused as error:
        ctx.warn("imageData", str(error), file=file)
        return None
    except (OSError, UnidentifiedImageError, ValueError):
        ctx.warn("imageData", "not an image", file=file)
        return None
    folder = Path(tempfile.gettempdir()) / "labelview-embedded"
    target = folder / f"{hashlib.sha1(raw).hexdigest()}{suffix}"
    if not target.is_file():
        from labelview.output import atomic_write

        try:
            atomic_write(target, raw)  # a temp name + rename: concurrent readers never clash
        except OSError as error:
            ctx.warn("imageData", f"cannot cache the embedded image: {error}", file=file)
            return None
    return target
