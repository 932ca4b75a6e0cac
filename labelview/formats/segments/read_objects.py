"""Reading the annotations of one Segments.ai label (or label frame): vector shapes, bitmap
instances, links and categories.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from labelview.cancel import checked
from labelview.formats._reading import (
    BAD_VALUE,
    MAX_COORDINATE,
    Skip,
    at,
    coordinate,
    describe,
    integer,
    mapping,
    optional_text,
    sequence,
    take,
    text,
)
from labelview.formats.base import ReadContext
from labelview.formats.segments import locate
from labelview.formats.segments.bitmaps import Bitmap, BitmapError
from labelview.model import (
    Answer,
    Box,
    Dataset,
    Item,
    ObjectLabel,
    Point,
    Polygon,
    Polyline,
    Relation,
)

_VECTOR_TYPES = frozenset({"bbox", "polygon", "polyline", "point"})
_OBJECT_KEYS = frozenset(
    {"id", "category_id", "type", "points", "attributes", "track_id", "is_keyframe"}
)


def category_key(value: Any) -> Any:
    """Category ids compare as ints when they are int-like ("3" in one place, 3 in another)."""
    try:
        return int(value)
    except (TypeError, ValueError, OverflowError):
        return value


def answers(values: Any) -> list[Answer]:
    """{name: value} (image or object attributes) as Answers."""
    if values and isinstance(values, dict):
        return [Answer(str(name), value) for name, value in values.items()]
    return []


def _xy(points: Any) -> list[tuple[float, float]]:
    """[[x, y], ...] as float pairs; Skip naming the first bad value."""
    try:
        xy = [(float(x), float(y)) for x, y in points]
    except BAD_VALUE:
        xy = None
    # `abs(v) <= MAX` is False for NaN and infinities too: those take the checked path.
    if xy is not None and all(abs(x) <= MAX_COORDINATE and abs(y) <= MAX_COORDINATE for x, y in xy):
        return xy
    return _checked_xy(points)


def _checked_xy(points: Any) -> list[tuple[float, float]]:
    result = []
    for index, point in enumerate(sequence(points, "points")):
        pair = sequence(point, "a point")
        if len(pair) != 2:
            raise Skip(f"point {index} has {len(pair)} coordinates, expected 2")
        result.append((coordinate(pair[0], "x"), coordinate(pair[1], "y")))
    return result


_LINES: dict[str, type[Polygon] | type[Polyline]] = {"polygon": Polygon, "polyline": Polyline}


def _line(shape: type[Polygon] | type[Polyline], points: Any) -> Polygon | Polyline:
    """A polygon or polyline straight from the points (numpy converts them); the checked path
    only when that fails or lands far outside any image, to name the bad value.
    """
    try:
        geometry = shape.from_points(points)
    except BAD_VALUE:
        geometry = None
    # `abs(v) <= MAX` is False for NaN and infinities too.
    if geometry is not None and all(abs(v) <= MAX_COORDINATE for v in geometry.bounds()):
        return geometry
    return shape.from_points(_checked_xy(points))


def _planar(points: Any) -> bool:
    """True for a non-empty list of [x, y] points (3D points have three)."""
    return isinstance(points, list) and isinstance(points[0], (list, tuple)) and len(points[0]) == 2


def ident_text(value: Any, what: str) -> str | None:
    """An id as text (ids are ints or strings); None when absent."""
    if value is None or type(value) is str:
        return value
    if type(value) is int:
        return str(value)
    return optional_text(value, what)  # Skip for anything else


class ObjectReader:
    """What reading the samples of one release shares: categories, the labelset, file lookup,
    and what is reported once at the end (missing files, shapes without 2D geometry).
    """

    def __init__(self, ctx: ReadContext, dataset: Dataset, labelset: str | None) -> None:
        self.ctx = ctx
        self.dataset = dataset
        self.labelset = labelset
        self.locator = locate.Locator(ctx)
        self.categories: dict[Any, str] = {}  # category_key(id) -> category name
        self.no_geometry: Counter[str] = Counter()
        self.no_geometry_at: dict[str, str] = {}
        self.missing_images: list[tuple[str, str, str]] = []  # (where, item id, message)
        self.missing_bitmaps: list[tuple[str, str, str]] = []
        self.images_found = 0
        self.bitmaps_found = 0
        # Located bitmaps to check after the pass: (where, item, bitmap, [(object, id)], frame)
        self.checks: list[tuple[str, Item, Bitmap, list[tuple[ObjectLabel, int]], int | None]] = []

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
            self.ctx.warn(at(loc, "annotations"), "annotations is not a list", item=item.id)
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
            item.classifications.extend(answers(attributes.get("image_attributes")))
        if is_bitmap:
            self.read_bitmap_label(item, annotations, bitmap_ref, loc, source, frame, sample_name)
            return
        for index, annotation in enumerate(checked(annotations, self.ctx)):
            place = (loc, "annotations", index)  # joined into a location only when warning
            try:
                obj = self.vector_object(item, annotation, place, source, frame)
            except BAD_VALUE as error:
                ident = annotation.get("id") if isinstance(annotation, dict) else None
                self.ctx.warn(
                    at(*place),
                    f"annotation skipped: {describe(error)}",
                    item=item.id,
                    obj=str(ident) if ident is not None else None,
                )
                continue
            item.objects.append(obj)

    def _object(
        self, item: Item, annotation: Any, place: tuple, source: str, frame: int | None
    ) -> ObjectLabel:
        if type(annotation) is not dict:  # the exact-type test is the fast path
            annotation = mapping(annotation, "annotation")
        ident = ident_text(annotation.get("id", annotation.get("instance_id")), "id")
        track = ident_text(
            annotation.get("track_id", ident if frame is not None else None), "track_id"
        )
        extra: dict[str, Any] = {}  # the annotation id itself is ObjectLabel.id
        if "is_keyframe" in annotation:
            extra["keyframe"] = bool(annotation["is_keyframe"])
        extra.update({k: v for k, v in annotation.items() if k not in _OBJECT_KEYS})
        return ObjectLabel(
            category=self.category_of(annotation, place, item),
            geometry=None,
            id=ident,
            frame=frame,
            track=track,
            attributes=answers(annotation.get("attributes")),
            source=source,  # type: ignore[arg-type]
            extra=extra or None,
        )

    def vector_object(
        self, item: Item, annotation: Any, place: tuple, source: str, frame: int | None
    ) -> ObjectLabel:
        obj = self._object(item, annotation, place, source, frame)
        kind = annotation.get("type")
        points = annotation.get("points")
        planar = item.kind != "other"  # point-cloud samples have no image to draw on
        if kind in _VECTOR_TYPES and points and _planar(points) and planar:
            if kind in _LINES:
                obj.geometry = _line(_LINES[kind], points)
                return obj
            xy = _xy(points)
            if kind == "bbox":
                if len(xy) != 2:
                    raise Skip(f"bbox has {len(xy)} points, expected 2")
                (x0, y0), (x1, y1) = xy
                obj.geometry = Box.from_corners(x0, y0, x1, y1)
            else:
                if len(xy) != 1:
                    raise Skip(f"point has {len(xy)} points, expected 1")
                obj.geometry = Point(*xy[0])
            return obj
        if kind in _VECTOR_TYPES and not points:
            raise Skip(f"{kind} without points")
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
            self.no_geometry_at[what] = at(*place)
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
        bloc = at(loc, "segmentation_bitmap")
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
        objects: list[tuple[ObjectLabel, int]] = []
        for index, annotation in enumerate(checked(annotations, self.ctx)):
            place = (loc, "annotations", index)
            try:
                obj = self._object(item, annotation, place, source, frame)
                ident = integer(
                    annotation.get("id", annotation.get("instance_id")), "instance id", low=0
                )
            except BAD_VALUE as error:
                self.ctx.warn(at(*place), f"annotation skipped: {describe(error)}", item=item.id)
                continue
            obj.id = str(ident)  # the pixel value, written as the check compares it
            if bitmap is not None:
                if bitmap.sixteen_bit and ident > 0xFFFF:
                    self.ctx.warn(
                        at(*place),
                        f"id {ident} cannot be held by the 16-bit {bitmap.path.name} (the SDK "
                        "clipped it); use the RGBA bitmap from the release URL",
                        item=item.id,
                        obj=str(ident),
                    )
                else:
                    obj.geometry = bitmap.mask(ident)
            objects.append((obj, ident))
        item.objects.extend(obj for obj, _ in objects)
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
        for index, link in enumerate(checked(links, self.ctx)):
            try:
                members = (
                    text(take(link, "from_id"), "from_id"),
                    text(take(link, "to_id"), "to_id"),
                )
            except BAD_VALUE as error:
                self.ctx.warn(
                    at(loc, "links", index), f"link skipped: {describe(error)}", item=item.id
                )
                continue
            extra = {k: v for k, v in link.items() if k not in ("from_id", "to_id")}
            item.relations.append(Relation("link", members, directed=True, extra=extra or None))

    def category_of(self, annotation: Any, place: tuple, item: Item) -> str:
        cid = annotation.get("category_id")
        name = self.categories.get(category_key(cid))
        if name is None:
            name = f"unknown category {cid}"
            self.dataset.category(name, id=cid, extra={"undeclared": True})
            self.ctx.warn(
                at(*place, "category_id"),
                f"category id {cid} is not in the release's categories",
                item=item.id,
                obj=str(annotation.get("id")),
            )
        return name
