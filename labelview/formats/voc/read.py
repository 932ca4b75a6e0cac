"""Pascal VOC reading: one `<annotation>` XML, or a folder of them.

Each file is parsed on its own: a file that is not well-formed, declares a DTD, or has another
root is a located error for that file and the rest of the folder still loads. Inside a file, an
object whose name or box cannot be read is a located warning (`a.xml: object[3].bndbox: ...`) and
the others are kept.
"""

from __future__ import annotations

import ast
import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from labelview.cancel import checked
from labelview.formats._input import XML_ERRORS, parse_xml, read_bytes, walk, xml_problem
from labelview.formats._reading import BAD_VALUE, Skip, at, describe, number, size
from labelview.formats.base import ReadContext
from labelview.formats.voc.detect import head_is_voc, read_head
from labelview.images import ImageFinder, image_size
from labelview.model import Box, Dataset, Item, ObjectLabel
from labelview.model.classifications import Answer
from labelview.model.objects import Relation

PART_OF = "part_of"
FLAGS = ("truncated", "difficult", "occluded")
_KNOWN = {"name", "pose", "bndbox", "part", "attributes", *FLAGS}
_CORNERS = ("xmin", "ymin", "xmax", "ymax")
_SEGMENTATION = frozenset({"SegmentationClass", "SegmentationObject"})


def one_based_option(ctx: ReadContext) -> bool:
    """The reader option `one_based`: a bool, or text such as "true" / "0" (command line)."""
    value = ctx.options.get("one_based")
    if value is None or isinstance(value, bool):
        return bool(value)
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise ctx.fail("", f"option one_based: expected true or false, got {value!r}")


def xml_files(path: Path, ctx: ReadContext | None = None) -> list[Path]:
    """The annotation files: `path` itself, its Annotations/ folder, else every VOC XML in it.

    Only regular files inside the folder: a FIFO, a device or a link out of the folder named
    `*.xml` is an error of its own (with `ctx`) and left out.
    """
    if not path.is_dir():  # a file (or a FIFO, refused when read)
        return [path]

    def skipped(file: Path, message: str) -> None:
        if ctx is not None:
            ctx.error("", message, file=file)

    for name in ("Annotations", "annotations"):
        if (path / name).is_dir():
            return walk(path / name, "*.xml", skipped)
    return [p for p in walk(path, "*.xml", skipped) if head_is_voc(read_head(p))]


def parse(file: Path) -> ET.Element:
    """Parse one XML file (a regular file, within the size limit) of any encoding; entities,
    external references and anything hidden in UTF-16 are refused by defusedxml.
    """
    return parse_xml(read_bytes(file))


def read_annotations(path: Path, files: list[Path], ctx: ReadContext) -> Dataset:
    """Every annotation file in `files` as one item each."""
    one_based = one_based_option(ctx)
    dataset = Dataset()
    base = path if path.is_dir() else path.parent
    devkit = _devkit_images(path)
    single = not path.is_dir()
    for index, file in enumerate(checked(files, ctx)):
        if index % 200 == 0:
            ctx.check_cancelled()
            ctx.progress(index, len(files))
        problem = ""
        try:
            root = parse(file)
        except XML_ERRORS as error:
            problem = xml_problem(error)
        except OSError as error:
            problem = f"cannot read: {error.strerror or error}"
        if problem:
            if single:
                raise ctx.fail("", problem)
            ctx.error("", problem, file=file)
            continue
        if root.tag != "annotation":  # another kind of XML beside the annotations: not ours
            message = f"root element is <{root.tag}>, not <annotation>"
            if single:
                raise ctx.fail("", message)
            ctx.warn("", message, file=file)
            continue
        try:
            item = _item(root, file, base, devkit, dataset, ctx, one_based=one_based)
        except BAD_VALUE as error:  # a file broken beyond its objects: the folder goes on
            if single:
                raise ctx.fail("", describe(error)) from None
            ctx.error("", describe(error), file=file)
            continue
        dataset.items.append(item)
    ctx.progress(len(files), len(files))
    return dataset


def _devkit_images(path: Path) -> ImageFinder | None:
    """The devkit's JPEGImages/ beside Annotations/, which the export's own roots miss when one
    XML inside Annotations/ is opened.
    """
    folder = path.parent if path.is_file() else path
    for candidate in (folder / "JPEGImages", folder.parent / "JPEGImages"):
        if candidate.is_dir():
            return ImageFinder([candidate])
    return None


def _find_image(ctx: ReadContext, devkit: ImageFinder | None, references: list[str]) -> Path | None:
    """The devkit's JPEGImages/ first (it is the dataset's own image folder), then the image roots;
    never a segmentation PNG that shares the image's name.
    """
    for reference in references:
        for found in (devkit.find(reference) if devkit else None, ctx.images.find(reference)):
            if found is not None and not _SEGMENTATION.intersection(found.parent.parts):
                return found
    return None


def _item(
    root: ET.Element,
    file: Path,
    base: Path,
    devkit: ImageFinder | None,
    dataset: Dataset,
    ctx: ReadContext,
    *,
    one_based: bool,
) -> Item:
    filename = (root.findtext("filename") or "").strip()
    folder = (root.findtext("folder") or "").strip()
    relative = file.relative_to(base).as_posix() if file.is_relative_to(base) else file.name
    image = filename or f"{file.stem}.jpg"
    item = Item(id=relative, name=filename or file.stem, image=image)
    references = [image, f"{folder}/{image}"] if folder else [image]
    item.image_path = _find_image(ctx, devkit, references)
    try:
        width = _size(root.findtext("size/width"), "width")
        height = _size(root.findtext("size/height"), "height")
    except Skip as error:
        ctx.warn("size", error.message, item=item.id, file=file)
        width = height = None
    if width and height:
        item.width, item.height = width, height
    elif item.image_path is not None:
        found = image_size(item.image_path)
        if found is not None:
            item.width, item.height = found
    if item.width is None:
        ctx.warn("size", "no image size in the XML and no image found", item=item.id, file=file)
    for key in ("folder", "path", "segmented"):
        value = root.findtext(key)
        if value is not None and value.strip():
            item.extra[key] = value.strip()
    source = root.find("source")
    if source is not None and len(source):
        item.extra["source"] = {child.tag: (child.text or "").strip() for child in source}
    for index, element in enumerate(checked(root.findall("object"), ctx)):
        try:
            _object(element, str(index), item, dataset, one_based=one_based)
        except BAD_VALUE as error:
            where = at("object", index)
            if isinstance(error, Skip) and error.where:
                where = f"{where}.{error.where}"
            ctx.warn(where, describe(error), item=item.id, obj=str(index), file=file)
    return item


def _size(value: str | None, what: str) -> int | None:
    value = (value or "").strip()
    return None if value in ("", "0") else size(value, what)


def _box(element: ET.Element | None, one_based: bool) -> Box:
    """A Box from <bndbox>: continuous corners, or the devkit's 1-based inclusive indices."""
    if element is None:
        raise Skip("missing")
    x0, y0, x1, y1 = (number(_stripped(element.findtext(key)), key) for key in _CORNERS)
    if one_based:
        return Box(x0 - 1, y0 - 1, x1 - x0 + 1, y1 - y0 + 1)
    return Box.from_corners(x0, y0, x1, y1)


def _located_box(element: ET.Element | None, where: str, one_based: bool) -> Box:
    try:
        return _box(element, one_based)
    except Skip as error:
        raise Skip(error.message, where) from None


def _stripped(value: str | None) -> str | None:
    value = (value or "").strip()
    return value or None


def _text(value: str | None) -> str:
    """An element's text: trimmed when the XML was pretty-printed around it (a line break), else
    as written, so a class named 'Epiglottis ' survives a round trip.
    """
    value = value or ""
    return value.strip() if "\n" in value or "\t" in value else value


def _object(
    element: ET.Element, object_id: str, item: Item, dataset: Dataset, *, one_based: bool
) -> None:
    name = _text(element.findtext("name"))
    if not name.strip():
        raise Skip("missing", "name")
    box = _located_box(element.find("bndbox"), "bndbox", one_based)
    answers: list[Answer] = []
    pose = (element.findtext("pose") or "").strip()
    if pose:
        answers.append(Answer("pose", pose))
    for flag in FLAGS:
        value = _flag(element.findtext(flag))
        if value is not None:
            answers.append(Answer(flag, value))
    attributes = element.find("attributes")
    if attributes is not None:
        answers.extend(_attributes(attributes))
    extra = {
        child.tag: (child.text or "").strip()
        for child in element
        if child.tag not in _KNOWN and not len(child)
    }
    parts = []
    for j, part in enumerate(element.findall("part")):
        part_name = _text(part.findtext("name"))
        if not part_name.strip():
            raise Skip("missing", at("part", j, "name"))
        where = at("part", j, "bndbox")
        parts.append((part_name, _located_box(part.find("bndbox"), where, one_based)))
    dataset.category(name)
    item.objects.append(
        ObjectLabel(name, box, id=object_id, attributes=answers, extra=extra or None)
    )
    for j, (part_name, part_box) in enumerate(parts):
        dataset.category(part_name)
        part_id = f"{object_id}.part{j}"
        item.objects.append(ObjectLabel(part_name, part_box, id=part_id))
        item.relations.append(Relation(PART_OF, (part_id, object_id), directed=True))


def _flag(value: str | None) -> bool | str | None:
    value = (value or "").strip()
    if not value:
        return None
    if value in ("0", "1"):
        return value == "1"
    if value.lower() in ("true", "false"):
        return value.lower() == "true"
    return value


def _attributes(element: ET.Element) -> list[Answer]:
    """Datumaro's <attribute> list, or Dataloop's Python repr of a list or dict."""
    children = list(element)
    if children:
        answers = []
        for attribute in children:
            name = _text(attribute.findtext("name"))
            if attribute.find("name") is not None:  # an empty name is a name (Encord writes one)
                answers.append(Answer(name, typed(attribute.findtext("value"))))
        return answers
    raw = (element.text or "").strip()
    if not raw:
        return []
    try:
        value = ast.literal_eval(raw)  # never eval: anything but a literal is refused
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError) as error:
        raise Skip(f"not a Python literal ({error})", "attributes") from None
    if isinstance(value, dict):
        return [Answer(str(k), v) for k, v in value.items()]
    if isinstance(value, (list, tuple)):
        return [Answer("attributes", list(value))] if value else []
    return [Answer("attributes", value)]


def typed(value: str | None) -> Any:
    """An attribute's text as the value it spells: a boolean, an integer, a float, a JSON list or
    object, else the text.
    """
    value = _text(value)
    if value.lower() in ("true", "false"):
        return value.lower() == "true"
    if value and value[0] in "[{" and value[-1] in "]}":  # a list our writer wrote as JSON
        try:
            return json.loads(value)
        except ValueError:
            return value
    try:
        return int(value)
    except ValueError:
        pass
    try:
        return float(value)
    except ValueError:
        return value
