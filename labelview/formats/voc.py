"""Pascal VOC XML (and Dataloop's and Datumaro's variants): read + write.

Reading
- Input: one `<annotation>` .xml, or a folder of them (`Annotations/*.xml` in the devkit layout,
  any folder name otherwise). Parsed with defusedxml: DTDs and entities are refused (an entity
  bomb is a located error for that file, never a hang).
- `<bndbox>` is read in the continuous convention by default (xmin/ymin = top-left corner, no ±1),
  as Datumaro, CVAT and Dataloop write it. Reader option `one_based=True` reads the devkit's
  1-based inclusive pixel indices instead: x = xmin − 1, w = xmax − xmin + 1 (targets.md §3).
- pose / truncated / difficult / occluded become attributes; `<attributes>` is either Datumaro's
  `<attribute><name/><value/></attribute>` list or Dataloop's Python repr (parsed with
  ast.literal_eval, never eval). `<part>`s become Box objects named after the part, linked to their
  object by a directed "part_of" relation. Other object children go to `extra`.
- With no XML at all, a devkit folder of `SegmentationObject/*.png` + `SegmentationClass/*.png`
  (+ `class_names.txt` or `labelmap.txt`) is read as one mask per instance.

Writing: Annotations/<name>.xml per image, labelmap.txt (Datumaro's), ImageSets/Main/default.txt.
The XML holds boxes only: polygons, masks, ellipses and rotated boxes go out as their bounding box
and, unless the option `segmentation` is off, are painted into SegmentationClass/<name>.png (class
index in labelmap order, 0 = background) and SegmentationObject/<name>.png (the object's number in
the XML), larger shapes first so small ones stay visible. Option `one_based` writes devkit integers.
Attributes other than pose/truncated/difficult/occluded go to Datumaro's <attributes> list.
"""

from __future__ import annotations

import ast
import math
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from typing import Any

import defusedxml
import defusedxml.ElementTree as SafeET
import numpy as np
from pydantic import Field

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
from labelview.formats.yolo import bool_option, frames_of
from labelview.images import ImageFinder, default_roots, image_size, reference_parts
from labelview.model import Box, Dataset, Item, ObjectLabel
from labelview.model.classifications import Answer, flatten, walk
from labelview.model.geometry import LazyMask, Mask
from labelview.model.objects import Relation
from labelview.output import OutputDir, UniqueStems

_ROOT = re.compile(rb"<annotation[\s>]")
_FLAGS = ("truncated", "difficult", "occluded")
_KNOWN = {"name", "pose", "bndbox", "part", "attributes", *_FLAGS}
PART_OF = "part_of"
_VOID = "__ignore__"  # labelme's label for regions to ignore; VOC paints those 255
_AREA_KINDS = ("polygon", "mask", "ellipse", "rotated_box")


# --- detection ------------------------------------------------------------------------------------


def _head_is_voc(head: bytes) -> Confidence:
    start = head.lstrip()[:4096]
    if not _ROOT.search(start):
        return Confidence.NO
    if b"<bndbox>" in head or b"<segmented" in head or b"<object>" in head:
        return Confidence.CERTAIN
    return Confidence.LIKELY


def detect(probe: Probe) -> Detection:
    """CERTAIN for an `<annotation>` XML with `<object>`/`<bndbox>`/`<segmented>`."""
    if not probe.is_dir:
        if probe.suffix != ".xml":
            return no("not an .xml file")
        level = _head_is_voc(probe.head)
        if level is Confidence.NO:
            return Detection(Confidence.WEAK, ".xml without an <annotation> root")
        return Detection(level, "XML with a Pascal VOC <annotation> root")
    xmls = [n for n in probe.names if n.lower().endswith(".xml")]
    preferred = [n for n in xmls if "annotations/" in n.lower()] or xmls
    for name in preferred[:3]:
        try:
            with (probe.path / name).open("rb") as handle:
                level = _head_is_voc(handle.read(8192))
        except OSError:
            continue
        if level is not Confidence.NO:
            return Detection(level, f"{name} has a Pascal VOC <annotation> root")
    lowered = [n.lower() for n in probe.names]
    if any(n.startswith("segmentationobject/") for n in lowered) and any(
        n.startswith("segmentationclass/") for n in lowered
    ):
        return Detection(Confidence.LIKELY, "VOC SegmentationClass/ + SegmentationObject/ PNGs")
    return no("no VOC annotation XML")


# --- reading --------------------------------------------------------------------------------------


def _number(text: str | None) -> float:
    value = float((text or "").strip())
    if not math.isfinite(value):
        raise ValueError
    return value


def _flag(text: str | None) -> bool | str | None:
    text = (text or "").strip()
    if not text:
        return None
    if text in ("0", "1"):
        return text == "1"
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    return text


def _attributes(element: ET.Element) -> list[Answer]:
    """Datumaro's <attribute> list, or Dataloop's Python repr of a list or dict."""
    children = list(element)
    if children:
        answers = []
        for attribute in children:
            name = (attribute.findtext("name") or "").strip()
            if name:
                answers.append(Answer(name, _typed(attribute.findtext("value"))))
        return answers
    text = (element.text or "").strip()
    if not text:
        return []
    value = ast.literal_eval(text)  # ValueError/SyntaxError on anything but a literal
    if isinstance(value, dict):
        return [Answer(str(k), v) for k, v in value.items()]
    if isinstance(value, (list, tuple)):
        return [Answer("attributes", list(value))] if value else []
    return [Answer("attributes", value)]


def _typed(text: str | None) -> Any:
    text = (text or "").strip()
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        return text


def _box(element: ET.Element | None, path: str, one_based: bool) -> Box:
    """A Box from <bndbox>; ValueError naming the bad field."""
    if element is None:
        raise ValueError(f"{path}: missing")
    values = {}
    for key in ("xmin", "ymin", "xmax", "ymax"):
        try:
            values[key] = _number(element.findtext(key))
        except ValueError:
            raise ValueError(f"{path}.{key}: not a number") from None
    x0, y0, x1, y1 = values["xmin"], values["ymin"], values["xmax"], values["ymax"]
    if one_based:
        return Box(x0 - 1, y0 - 1, x1 - x0 + 1, y1 - y0 + 1)
    return Box.from_corners(x0, y0, x1, y1)


def _xml_files(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    for name in ("Annotations", "annotations"):
        if (path / name).is_dir():
            return sorted((path / name).rglob("*.xml"))
    return sorted(p for p in path.rglob("*.xml") if _head_is_voc(_read_head(p)))


def _parse(file: Path) -> ET.Element:
    """Parse one XML file; anything declaring a DTD goes through defusedxml (entities refused)."""
    raw = file.read_bytes()
    if b"<!DOCTYPE" in raw or b"<!ENTITY" in raw:
        return SafeET.fromstring(raw)
    # No DTD means no entity can be declared: the C parser is safe here, and 3x faster.
    return ET.fromstring(raw)


def _read_head(path: Path) -> bytes:
    try:
        with path.open("rb") as handle:
            return handle.read(4096)
    except OSError:
        return b""


def read(path: Path, ctx: ReadContext) -> Dataset:
    """Read Pascal VOC XML (a file or a folder) into a Dataset."""
    with gc_paused():  # a million XML elements and objects: the cyclic GC would triple the time
        return _read(path, ctx)


def _read(path: Path, ctx: ReadContext) -> Dataset:
    try:
        one_based = bool(bool_option(ctx.options.get("one_based")))
    except ValueError as error:
        raise ctx.fail("", f"option one_based: {error}") from None
    dataset = Dataset()
    files = _xml_files(path)
    base = path if path.is_dir() else path.parent
    if not files and path.is_dir():
        return _read_masks_only(path, ctx)
    finder = ImageFinder([*default_roots(path, ctx.images_dir), base / "JPEGImages"])
    for index, file in enumerate(files):
        if index % 200 == 0:
            ctx.check_cancelled()
            ctx.progress(index, len(files))
        try:
            root = _parse(file)
        except (defusedxml.DTDForbidden, defusedxml.EntitiesForbidden) as error:
            message = f"refused: the XML declares a DTD or entities ({type(error).__name__})"
            if path.is_file():
                raise ctx.fail("", message) from error
            ctx.error("", message, file=file)
            continue
        except (ET.ParseError, defusedxml.ExternalReferenceForbidden, OSError) as error:
            if path.is_file():
                raise ctx.fail("", f"not well-formed XML: {error}") from error
            ctx.error("", f"not well-formed XML: {error}", file=file)
            continue
        if root.tag != "annotation":
            message = f"root element is <{root.tag}>, not <annotation>"
            if path.is_file():
                raise ctx.fail("", message)
            ctx.warn("", message, file=file)
            continue
        dataset.items.append(_item(root, file, base, finder, dataset, ctx, one_based=one_based))
    ctx.progress(len(files), len(files))
    return dataset


def _item(
    root: ET.Element,
    file: Path,
    base: Path,
    finder: ImageFinder,
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
    item.image_path = finder.find(image)
    if item.image_path is None and folder:
        item.image_path = finder.find(f"{folder}/{image}")
    try:
        width = int(_number(root.findtext("size/width")))
        height = int(_number(root.findtext("size/height")))
        if width > 0 and height > 0:
            item.width, item.height = width, height
    except ValueError:
        pass
    if item.width is None and item.image_path is not None:
        size = image_size(item.image_path)
        if size is not None:
            item.width, item.height = size
    if item.width is None:
        ctx.warn("size", "no image size in the XML and no image found", item=item.id, file=file)
    for key in ("folder", "path", "segmented"):
        text = root.findtext(key)
        if text is not None and text.strip():
            item.extra[key] = text.strip()
    source = root.find("source")
    if source is not None and len(source):
        item.extra["source"] = {child.tag: (child.text or "").strip() for child in source}
    for index, element in enumerate(root.findall("object")):
        location = f"object[{index}]"
        try:
            _object(element, location, str(index), item, dataset, one_based=one_based)
        except (ValueError, SyntaxError, TypeError, AttributeError) as error:
            message = str(error)
            if not message.startswith(location):
                message = f"{location}: {message}"
            where, _, text = message.partition(": ")
            ctx.warn(where, text or message, item=item.id, obj=str(index), file=file)
    return item


def _object(
    element: ET.Element,
    location: str,
    object_id: str,
    item: Item,
    dataset: Dataset,
    *,
    one_based: bool,
) -> None:
    name = (element.findtext("name") or "").strip()
    if not name:
        raise ValueError(f"{location}.name: missing")
    box = _box(element.find("bndbox"), f"{location}.bndbox", one_based)
    answers: list[Answer] = []
    pose = (element.findtext("pose") or "").strip()
    if pose:
        answers.append(Answer("pose", pose))
    for flag in _FLAGS:
        value = _flag(element.findtext(flag))
        if value is not None:
            answers.append(Answer(flag, value))
    attributes = element.find("attributes")
    if attributes is not None:
        try:
            answers.extend(_attributes(attributes))
        except (ValueError, SyntaxError) as error:
            raise ValueError(f"{location}.attributes: not a Python literal ({error})") from None
    extra = {
        child.tag: (child.text or "").strip()
        for child in element
        if child.tag not in _KNOWN and not len(child)
    }
    parts = []
    for j, part in enumerate(element.findall("part")):
        part_name = (part.findtext("name") or "").strip()
        if not part_name:
            raise ValueError(f"{location}.part[{j}].name: missing")
        part_box = _box(part.find("bndbox"), f"{location}.part[{j}].bndbox", one_based)
        parts.append((part_name, part_box))
    dataset.category(name)
    item.objects.append(
        ObjectLabel(name, box, id=object_id, attributes=answers, extra=extra or None)
    )
    for j, (part_name, part_box) in enumerate(parts):
        dataset.category(part_name)
        part_id = f"{object_id}.part{j}"
        item.objects.append(ObjectLabel(part_name, part_box, id=part_id))
        item.relations.append(Relation(PART_OF, (part_id, object_id), directed=True))


def _class_names(base: Path) -> list[str]:
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


def _read_masks_only(path: Path, ctx: ReadContext) -> Dataset:
    """SegmentationObject/*.png (instance index) + SegmentationClass/*.png (class index)."""
    from PIL import Image

    objects_dir, classes_dir = path / "SegmentationObject", path / "SegmentationClass"
    if not objects_dir.is_dir() or not classes_dir.is_dir():
        raise ctx.fail("", "no VOC annotation XML and no SegmentationObject/SegmentationClass")
    names = _class_names(path)
    dataset = Dataset()
    for name in names:
        if name not in ("_background_", "background", "__ignore__"):
            dataset.category(name)
    finder = ImageFinder([*default_roots(path, ctx.images_dir), path / "JPEGImages"])
    files = sorted(objects_dir.glob("*.png"))
    for index, file in enumerate(files):
        ctx.check_cancelled()
        ctx.progress(index, len(files))
        class_file = classes_dir / file.name
        try:
            instances = np.asarray(Image.open(file))
            classes = np.asarray(Image.open(class_file))
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
        item.image_path = finder.find(item.image)
        for value in np.unique(instances):
            if value in (0, 255):
                continue  # background and VOC's void border
            pixels = instances == value
            labels, counts = np.unique(classes[pixels], return_counts=True)
            keep = labels != 255
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
        from PIL import Image

        with Image.open(file) as image:
            return np.asarray(image) == value

    return load


# --- writing --------------------------------------------------------------------------------------


class VocOptions(WriterOptions):
    """Options of the Pascal VOC writer."""

    one_based: bool = Field(
        False,
        description="Write devkit 1-based inclusive integer pixel indices instead of continuous "
        "corner coordinates",
    )
    segmentation: bool = Field(
        True,
        description="Also write SegmentationClass/ and SegmentationObject/ PNGs (VOC palette) for "
        "images with polygons, masks, ellipses or rotated boxes",
    )


def _num(value: float) -> str:
    text = f"{value:.6f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _sub(parent: ET.Element, tag: str, text: str | None = None) -> ET.Element:
    element = ET.SubElement(parent, tag)
    if text is not None:
        element.text = text
    return element


def _bndbox(parent: ET.Element, bounds: tuple[float, float, float, float], one_based: bool) -> None:
    x0, y0, x1, y1 = bounds
    element = _sub(parent, "bndbox")
    if one_based:
        values = [
            round(x0) + 1,
            round(y0) + 1,
            max(round(x1), round(x0) + 1),
            max(round(y1), round(y0) + 1),
        ]
        texts = [str(v) for v in values]
    else:
        texts = [_num(v) for v in (x0, y0, x1, y1)]
    for key, text in zip(("xmin", "ymin", "xmax", "ymax"), texts, strict=True):
        _sub(element, key, text)


def _voc_flag(value: Any) -> str:
    if isinstance(value, str):
        return "1" if value.strip().lower() in ("1", "true", "yes") else "0"
    return "1" if value else "0"


def write(dataset: Dataset, out: OutputDir, options: VocOptions, ctx: WriteContext) -> WriteReport:
    """Write `dataset` as Pascal VOC (Annotations/*.xml, labelmap.txt, ImageSets/Main)."""
    report = WriteReport(format="voc")
    out.check_free(["labelmap.txt", "ImageSets/Main/default.txt"])
    stems = UniqueStems()
    listed: list[str] = []
    total = len(dataset.items)
    used: dict[str, None] = dict.fromkeys(dataset.categories)
    for _, obj in dataset.objects():
        used.setdefault(obj.category, None)
    classes = {name: i for i, name in enumerate(used, 1)}  # 0 = background, as in labelmap.txt
    if len(classes) > 254:
        report.notes.append("more than 254 classes: segmentation PNGs are not written")
        options = options.model_copy(update={"segmentation": False})
    for index, item in enumerate(dataset.items):
        if index % 200 == 0:
            ctx.check_cancelled()
            ctx.progress(index, total)
        if item.classifications:
            report.drop(
                "item-level answers (VOC has no image tags)",
                sum(1 for _ in walk(item.classifications)),
            )
        frames = frames_of(item)
        for frame, reference, image_path in frames:
            stem = stems.make(reference, report)
            objects = item.objects_on(frame) if frame is not None else item.objects
            root, painted = _annotation(item, frame, reference, objects, report, options)
            if painted:
                size = item.size_of(frame)
                assert size is not None  # painted only when the size is known
                _write_segmentation(out, stem, painted, classes, size, frame)
            ET.indent(root, space="\t")
            out.write_text(f"Annotations/{stem}.xml", ET.tostring(root, encoding="unicode") + "\n")
            listed.append(stem)
            report.items += 1
            if options.images != "none":
                suffix = PurePosixPath(reference_parts(reference).name).suffix or ".jpg"
                if image_path is None:
                    report.drop("images not found on disk (not copied)")
                else:
                    out.copy_file(
                        image_path, f"JPEGImages/{stem}{suffix}", link=options.images == "link"
                    )
    lines = ["# label:color_rgb:parts:actions", "background:0,0,0::"]
    for i, name in enumerate(used, 1):
        category = dataset.categories.get(name)
        color = category.color if category is not None and category.color else _palette(i)
        lines.append(f"{name}:{color[0]},{color[1]},{color[2]}::")
    out.write_text("labelmap.txt", "\n".join(lines) + "\n")
    out.write_text("ImageSets/Main/default.txt", "".join(f"{s}\n" for s in listed))
    if not options.segmentation and any(o.kind in _AREA_KINDS for _, o in dataset.objects()):
        report.notes.append("segmentation PNGs not written (option off): shapes kept as boxes")
    ctx.progress(total, total)
    return report


def _write_segmentation(
    out: OutputDir,
    stem: str,
    painted: list[tuple[int, ObjectLabel]],
    classes: dict[str, int],
    size: tuple[int, int],
    frame: int | None,
) -> None:
    """SegmentationClass/<stem>.png (class index) and SegmentationObject/<stem>.png (the object's
    number in the XML), palette PNGs. Larger shapes are painted first so small ones stay visible.
    """
    from PIL import Image

    from labelview.ops.raster import rasterise

    width, height = size
    class_map = np.zeros((height, width), dtype=np.uint8)
    object_map = np.zeros((height, width), dtype=np.uint8)
    masks = [(number, obj, rasterise(obj.geometry, height, width)) for number, obj in painted]
    masks.sort(key=lambda entry: -int(entry[2].sum()))
    for number, obj, pixels in masks:
        if obj.category == _VOID:
            class_map[pixels] = object_map[pixels] = 255  # labelme's "ignore" = VOC's void
            continue
        class_map[pixels] = classes[obj.category]
        object_map[pixels] = min(number, 254)
    palette = [channel for index in range(256) for channel in _palette(index)]
    for folder, array in (("SegmentationClass", class_map), ("SegmentationObject", object_map)):
        image = Image.fromarray(array, mode="P")
        image.putpalette(palette)
        staged, _final = out.staged_path(f"{folder}/{stem}.png")
        image.save(staged, "PNG")


def _palette(index: int) -> tuple[int, int, int]:
    """The VOC colour map (bit-interleaved), as in the devkit's VOClabelcolormap."""
    r = g = b = 0
    c = index
    for j in range(8):
        r |= ((c >> 0) & 1) << (7 - j)
        g |= ((c >> 1) & 1) << (7 - j)
        b |= ((c >> 2) & 1) << (7 - j)
        c >>= 3
    return r, g, b


def _annotation(
    item: Item,
    frame: int | None,
    reference: str,
    objects: list[ObjectLabel],
    report: WriteReport,
    options: VocOptions,
) -> tuple[ET.Element, list[tuple[int, ObjectLabel]]]:
    """The <annotation> element, and the (instance number, object) pairs to paint as masks."""
    root = ET.Element("annotation")
    name = reference_parts(reference).name
    _sub(root, "folder", str(item.extra.get("folder", "")) if item.extra else "")
    _sub(root, "filename", name)
    source = _sub(root, "source")
    _sub(source, "database", "Unknown")
    size = item.size_of(frame)
    size_element = _sub(root, "size")
    _sub(size_element, "width", str(size[0]) if size else "0")
    _sub(size_element, "height", str(size[1]) if size else "0")
    _sub(size_element, "depth", "3")
    if size is None:
        report.drop("images without a known size (size written as 0)")
    paint = options.segmentation and size is not None
    segmented = _sub(root, "segmented", "0")
    painted: list[tuple[int, ObjectLabel]] = []
    by_id = {obj.id: obj for obj in objects if obj.id is not None}
    parts: dict[str, list[ObjectLabel]] = {}
    for relation in item.relations:
        if relation.name == PART_OF and len(relation.members) == 2:
            child, parent = relation.members
            if child in by_id and parent in by_id:
                parts.setdefault(parent, []).append(by_id[child])
    part_ids = {id(obj) for children in parts.values() for obj in children}
    for obj in objects:
        if id(obj) in part_ids:
            continue
        as_mask = paint and obj.kind in _AREA_KINDS
        bounds = _bounds(obj, size, report, as_mask=as_mask)
        if bounds is None:
            continue
        element = _sub(root, "object")
        if as_mask:
            painted.append((len(root.findall("object")), obj))
        _sub(element, "name", obj.category)
        values = flatten(obj.attributes, frame)
        _sub(element, "pose", str(values.pop("pose", None) or "Unspecified"))
        for flag in _FLAGS:
            value = values.pop(flag, None)
            if flag != "occluded" or value is not None:
                _sub(element, flag, _voc_flag(value))
        _bndbox(element, bounds, options.one_based)
        for child in parts.get(obj.id or "", []):
            child_bounds = _bounds(child, size, report)
            if child_bounds is None:
                continue
            part = _sub(element, "part")
            _sub(part, "name", child.category)
            _bndbox(part, child_bounds, options.one_based)
            report.objects += 1
        if values:
            holder = _sub(element, "attributes")
            for key, value in values.items():
                attribute = _sub(holder, "attribute")
                _sub(attribute, "name", key)
                _sub(attribute, "value", _attribute_text(value))
        if obj.confidence is not None:
            report.drop("confidence scores (VOC has none)")
        report.objects += 1
    segmented.text = "1" if painted else "0"
    return root, painted


def _attribute_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return ",".join(str(v) for v in value)
    return "" if value is None else str(value)


def _bounds(
    obj: ObjectLabel, size: tuple[int, int] | None, report: WriteReport, *, as_mask: bool = False
) -> tuple[float, float, float, float] | None:
    if obj.geometry is None:
        report.drop("objects without a shape")
        return None
    if obj.kind == "point":
        report.drop("points (VOC holds boxes only)")
        return None
    if obj.kind != "box" and not as_mask:
        report.drop(f"{obj.kind} written as its bounding box")
    x0, y0, x1, y1 = obj.geometry.bounds()
    if size is not None:
        w, h = size
        clipped = (min(max(x0, 0), w), min(max(y0, 0), h), min(max(x1, 0), w), min(max(y1, 0), h))
        if clipped != (x0, y0, x1, y1):
            report.drop("boxes clipped to the image")
        x0, y0, x1, y1 = clipped
    if x1 <= x0 or y1 <= y0:
        report.drop("empty boxes (outside the image or zero size)")
        return None
    return float(x0), float(y0), float(x1), float(y1)


FORMAT = Format(
    name="voc",
    title="Pascal VOC XML",
    suffixes=(".xml",),
    detect=detect,
    read=read,
    write=write,
    options=VocOptions,
    description="Pascal VOC: one <annotation> XML per image (Annotations/*.xml)",
)

__all__ = ["FORMAT", "VocOptions"]
