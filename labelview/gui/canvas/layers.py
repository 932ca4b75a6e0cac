"""Model objects → batched graphics items: one path per (category, shape kind), not one per object.

20,000 per-object QGraphicsItems take seconds to create and to repaint; one QPainterPath per
(category, kind), built from numpy arrays with pyqtgraph's arrayToQPath and a connect array, takes
milliseconds. Rings are oriented (outer rings one way, holes the other) and filled with the
winding rule: holes stay holes, and two overlapping objects of one class stay filled where an
odd-even fill would cancel their overlap out.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QFontMetricsF,
    QImage,
    QPainter,
    QPainterPath,
    QPen,
    QPixmap,
    QTransform,
)
from PySide6.QtWidgets import QGraphicsItem, QGraphicsPixmapItem

from labelview.gui.canvas.palette import color_for
from labelview.gui.canvas.paths import (
    anchor_of,
    box_rings,
    cosmetic_pen,
    ellipse_rings,
    lines_path,
    path_item,
    rings_path,
    rotated_box_rings,
    segments_path,
)
from labelview.model import Category, ObjectLabel
from labelview.model.geometry import (
    OCCLUDED,
    VISIBLE,
    Keypoints,
    Mask,
)

AREA_KINDS = frozenset({"box", "rotated_box", "ellipse", "polygon"})
RASTER_FILL_OVER = 3000
MAX_FILL_PIXELS = 12_000_000
Z_IMAGE, Z_MASK, Z_AREA, Z_LINE, Z_EDGE, Z_POINT, Z_TEXT, Z_HOVER, Z_SELECTED = (
    0,
    5,
    10,
    20,
    25,
    30,
    40,
    50,
    60,
)


class OutlineLayer(pg.GraphicsObject):
    """Hairline outlines of many shapes (one path and pen per category) in one item.

    Stroking 200k edges costs ~12 ms a frame. A pan only translates the picture, so while the
    scale stays put the outlines are drawn once into a device-pixel image (the view plus a margin)
    and pans blit it: still crisp, ~1 ms. A zoom changes the scale and draws directly; the cache
    is rebuilt on the first pan at a new scale.
    """

    MARGIN = 0.5  # cached area beyond the view on each side, as a share of the view's size

    def __init__(self, outlines: list[tuple[QPainterPath, QPen]], z: float = Z_AREA) -> None:
        super().__init__()
        self.outlines = outlines
        bounds = QRectF()
        for path, _pen in outlines:
            bounds = bounds.united(path.controlPointRect())
        self._bounds = bounds.adjusted(-1, -1, 1, 1)
        self._linear: tuple | None = None  # the scale/rotation part of the last paint
        self._shift = (0.0, 0.0)  # and its translation
        self._cache: QImage | None = None
        self._cache_rect = QRectF()  # device rect the cache covers, at translation _cache_at
        self._cache_at = (0.0, 0.0)
        self.blits = 0  # frames served from the cache (tests, bench)
        self.setZValue(z)
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)

    def boundingRect(self) -> QRectF:
        return self._bounds

    def shape(self) -> QPainterPath:  # never catches the mouse
        return QPainterPath()

    def redraw_exactly(self) -> None:
        """Draw the paths again (a blit can sit up to half a pixel off the direct drawing)."""
        self._linear = None
        self._cache = None
        self.update()

    def paint(self, painter, option, widget=None) -> None:
        transform = QTransform(painter.transform())
        linear = (transform.m11(), transform.m12(), transform.m21(), transform.m22())
        # The same scale, up to float noise (pyqtgraph recomputes it on every pan).
        steady = self._linear is not None and all(
            abs(a - b) <= 1e-9 * max(1.0, abs(b)) for a, b in zip(linear, self._linear, strict=True)
        )
        moved = (transform.dx(), transform.dy()) != self._shift
        self._linear = linear
        self._shift = (transform.dx(), transform.dy())
        # Only an unrotated view caches (a rotation or perspective would need resampling).
        simple = linear[1] == linear[2] == 0 and transform.m13() == transform.m23() == 0
        if widget is None or not steady or not simple:
            self._cache = None
            self._draw(painter)
            return
        if self._cache is None and not moved:  # a repaint of a still view: no pan to serve
            self._draw(painter)
            return
        view = QRectF(widget.rect())
        visible = view.intersected(transform.mapRect(self._bounds))
        if visible.isEmpty():
            return
        dx = transform.dx() - self._cache_at[0]
        dy = transform.dy() - self._cache_at[1]
        if self._cache is None or not self._cache_rect.translated(dx, dy).contains(visible):
            self._fill_cache(painter, transform, view, painter.device().devicePixelRatioF())
            dx = dy = 0.0
        painter.save()
        painter.resetTransform()
        painter.drawImage(self._cache_rect.topLeft() + QPointF(round(dx), round(dy)), self._cache)
        painter.restore()
        self.blits += 1

    def _draw(self, painter) -> None:
        for path, pen in self.outlines:
            painter.setPen(pen)
            painter.drawPath(path)

    def _fill_cache(self, painter, transform: QTransform, view: QRectF, ratio: float) -> None:
        margin_x, margin_y = view.width() * self.MARGIN, view.height() * self.MARGIN
        rect = view.adjusted(-margin_x, -margin_y, margin_x, margin_y)
        rect = rect.intersected(transform.mapRect(self._bounds).adjusted(-2, -2, 2, 2))
        rect = QRectF(rect.toAlignedRect())
        image = QImage(
            max(1, math.ceil(rect.width() * ratio)),
            max(1, math.ceil(rect.height() * ratio)),
            QImage.Format.Format_ARGB32_Premultiplied,
        )
        image.setDevicePixelRatio(ratio)
        image.fill(Qt.GlobalColor.transparent)
        target = QPainter(image)
        target.setRenderHints(painter.renderHints())
        # A clip keeps Qt's hairline stroker on its fast path (3× faster than unclipped).
        target.setClipRect(QRectF(0, 0, rect.width(), rect.height()))
        target.setTransform(transform * QTransform.fromTranslate(-rect.x(), -rect.y()))
        self._draw(target)
        target.end()
        self._cache = image
        self._cache_rect = rect
        self._cache_at = (transform.dx(), transform.dy())


class LabelsItem(pg.GraphicsObject):
    """All label texts of the shown objects in one item, drawn at screen size (never scaled)."""

    MAX_DRAWN = 300  # more tags in view are noise (and slow): zoom in to read them

    def __init__(self) -> None:
        super().__init__()
        self.anchors = np.zeros((0, 2))
        self.texts: list[str] = []
        self.colors: list[QColor] = []
        self.font = QFont()
        self.font.setPointSizeF(8.5)
        self._bounds = QRectF()
        self._widest = 0.0  # screen pixels of the widest tag (about)
        # While the user pans or zooms, tags are left out (placing 300 of them costs ~10 ms a
        # frame); the canvas sets this back to False when the view rests.
        self.moving = False
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIgnoresParentOpacity, True)

    def set_labels(self, anchors: np.ndarray, texts: list[str], colors: list[QColor]) -> None:
        self.prepareGeometryChange()
        self.anchors = anchors.reshape(-1, 2)
        self.texts = texts
        self.colors = colors
        longest = max(texts, key=len, default="")
        self._widest = QFontMetricsF(self.font).horizontalAdvance(longest) * 1.2 + 8
        self._update_bounds()
        self.update()

    def _update_bounds(self) -> None:
        """The anchors' extent grown by the tags' screen size (right, one row up, three down):
        Qt repaints only what bounding rects claim, so a tag outside them would be erased.
        """
        self.prepareGeometryChange()
        if not len(self.anchors):
            self._bounds = QRectF()
            return
        x0, y0 = self.anchors.min(axis=0)
        x1, y1 = self.anchors.max(axis=0)
        view = self.getViewBox()
        across = down = 0.0
        if view is not None:
            pixel_x, pixel_y = view.viewPixelSize()
            across = pixel_x * self._widest
            down = pixel_y * (QFontMetricsF(self.font).height() + 2)
        self._bounds = QRectF(x0 - 1, y0 - 1 - down, x1 - x0 + 2 + across, y1 - y0 + 2 + 4 * down)

    def viewTransformChanged(self) -> None:
        self._update_bounds()

    def boundingRect(self) -> QRectF:
        return self._bounds

    def set_moving(self, moving: bool) -> None:
        """Leave the tags out while the view moves; draw them again when it rests."""
        if moving != self.moving:
            self.moving = moving
            self.update()

    def paint(self, painter, option, widget=None) -> None:
        if not self.texts or self.moving:
            return
        transform = painter.transform()
        view = self.getViewBox()
        exposed = view.viewRect() if view is not None else self._bounds
        # A tag whose anchor is just left of or below the view still shows its text.
        pixel_x, pixel_y = view.viewPixelSize() if view is not None else (0.0, 0.0)
        inside = np.flatnonzero(
            (self.anchors[:, 0] >= exposed.left() - 1 - pixel_x * self._widest)
            & (self.anchors[:, 0] <= exposed.right() + 1)
            & (self.anchors[:, 1] >= exposed.top() - 1)
            & (self.anchors[:, 1] <= exposed.bottom() + 1 + pixel_y * 20)
        )
        if len(inside) > self.MAX_DRAWN:
            return
        painter.save()
        painter.resetTransform()
        painter.setFont(self.font)
        metrics = QFontMetricsF(self.font)
        height = metrics.height() + 1
        corners = [transform.map(QPointF(*self.anchors[index])) for index in inside]
        widths = [metrics.horizontalAdvance(self.texts[index]) + 6 for index in inside]
        placed = place_tags(
            np.array([(c.x(), c.y()) for c in corners]).reshape(-1, 2), widths, height
        )
        for index, (x, y), width in zip(inside, placed, widths, strict=True):
            rect = QRectF(x, y, width, height)
            painter.fillRect(rect, self.colors[index])
            painter.setPen(ink_for(self.colors[index]))
            text = self.texts[index]
            painter.drawText(rect.adjusted(3, 0, 0, 0), Qt.AlignmentFlag.AlignVCenter, text)
        painter.restore()

    def shape(self) -> QPainterPath:  # never catches the mouse
        return QPainterPath()


def place_tags(
    anchors: np.ndarray, widths: Sequence[float], height: float, *, top_edge: float = 0.0
) -> list[tuple]:
    """Top-left corners (screen pixels) for tags sitting on top of their anchors; a tag that
    would cover one placed before it moves just inside the shape, then further down, so two
    objects with the same top-left corner both stay readable. A tag that would stick out above
    `top_edge` (the view's top) goes inside its shape too.
    """
    count = len(anchors)
    left = np.empty(count)
    top = np.empty(count)
    right = np.empty(count)
    out: list[tuple[float, float]] = []
    for index, ((x, y), width) in enumerate(zip(anchors, widths, strict=True)):
        choice = y - height if y - height >= top_edge or y < top_edge else y
        near = (left[:index] < x + width) & (x < right[:index])
        near &= np.abs(top[:index] - y) < 4 * height
        tops = top[:index][near]
        first = 1 if y - height < top_edge <= y else 0
        for step in range(first, first + 4):
            candidate = y - height + step * height
            if not np.any(np.abs(tops - candidate) < height):
                choice = candidate
                break
        left[index], top[index], right[index] = x, choice, x + width
        out.append((float(x), float(choice)))
    return out


def ink_for(background: QColor) -> QColor:
    """Black or white text, whichever reads better on `background` (WCAG relative luminance)."""

    def linear(channel: int) -> float:
        c = channel / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    lum = (
        0.2126 * linear(background.red())
        + 0.7152 * linear(background.green())
        + 0.0722 * linear(background.blue())
    )
    # Contrast with white is 1.05/(L+.05), with black (L+.05)/.05: equal at L ≈ 0.179.
    return QColor(Qt.GlobalColor.black) if lum > 0.179 else QColor(Qt.GlobalColor.white)


def _text_color(color: QColor) -> QColor:
    """The tag background: the category colour, slightly darker and nearly opaque."""
    dark = color.darker(120)
    dark.setAlpha(225)
    return dark


@dataclass
class Overlay:
    """The graphics items drawn for one item/frame, and what picking needs to know about them."""

    objects: list[ObjectLabel] = field(default_factory=list)  # shown objects, in draw order
    items: list[object] = field(default_factory=list)
    counts: dict[tuple[str, str], int] = field(default_factory=dict)


def mask_image(
    masks: Iterable[tuple[Mask, QColor]], decode: Callable[[Mask], np.ndarray | None]
) -> np.ndarray | None:
    """All masks of the shown item composited into one RGBA image (later masks on top)."""
    rgba: np.ndarray | None = None
    for mask, color in masks:
        pixels = decode(mask)
        if pixels is None:
            continue
        if rgba is None or rgba.shape[:2] != pixels.shape:
            height = max(pixels.shape[0], rgba.shape[0] if rgba is not None else 0)
            width = max(pixels.shape[1], rgba.shape[1] if rgba is not None else 0)
            grown = np.zeros((height, width, 4), dtype=np.uint8)
            if rgba is not None:
                grown[: rgba.shape[0], : rgba.shape[1]] = rgba
            rgba = grown
        region = rgba[: pixels.shape[0], : pixels.shape[1]]
        region[pixels] = (color.red(), color.green(), color.blue(), 255)
    return rgba


def build(
    objects: Sequence[ObjectLabel],
    categories: dict[str, Category],
    *,
    hidden: set[str] = frozenset(),  # type: ignore[assignment]
    opacity: float = 0.25,
    decode_mask: Callable[[Mask], np.ndarray | None] | None = None,
    size: tuple[int, int] | None = None,
) -> Overlay:
    """Batched graphics items for `objects` (hidden categories left out).

    Up to RASTER_FILL_OVER area shapes are filled as vectors (crisp at any zoom). Above that,
    their fills are painted once into one image of the item's `size` and the outlines become
    1-pixel hairlines: filling and stroking 200k edges again on every pan or zoom frame costs
    50–500 ms, blitting one image costs a few.
    """
    overlay = Overlay()
    groups: dict[tuple[str, str], list[ObjectLabel]] = defaultdict(list)
    for obj in objects:
        if obj.geometry is None or obj.category in hidden:
            continue
        overlay.objects.append(obj)
        groups[obj.category, obj.geometry.kind].append(obj)
    fill_alpha = round(max(0.0, min(1.0, opacity)) * 255)
    masks: list[tuple[Mask, QColor]] = []
    areas = sum(len(m) for (_, kind), m in groups.items() if kind in AREA_KINDS)
    raster = areas > RASTER_FILL_OVER and size is not None
    fills: list[tuple[QPainterPath, QColor]] = []
    outlines: list[tuple[QPainterPath, QPen]] = []
    for (name, kind), members in groups.items():
        category = categories.get(name)
        color = color_for(category, name)
        fill = QColor(color)
        fill.setAlpha(fill_alpha)
        pen = cosmetic_pen(color, 0 if raster else 1.6)
        geometries = [obj.geometry for obj in members]
        overlay.counts[name, kind] = len(members)
        if kind in ("box", "rotated_box", "ellipse"):
            maker = {"box": box_rings, "rotated_box": rotated_box_rings, "ellipse": ellipse_rings}
            rings = maker[kind](geometries)  # type: ignore[operator]
            path = rings_path(list(rings))
            _add_area(overlay, path, pen, fill, fills, outlines, raster=raster)
        elif kind == "polygon":
            ring_list: list[np.ndarray] = []
            holes: list[bool] = []
            for polygon in geometries:
                for part in polygon.parts:  # type: ignore[union-attr]
                    ring_list.append(part.outer)
                    holes.append(False)
                    if part.holes:
                        ring_list.extend(part.holes)
                        holes.extend([True] * len(part.holes))
            path = rings_path(ring_list, np.array(holes, dtype=bool))
            _add_area(overlay, path, pen, fill, fills, outlines, raster=raster)
        elif kind == "polyline":
            path = lines_path([line.points for line in geometries])  # type: ignore[union-attr]
            overlay.items.append(path_item(path, cosmetic_pen(color, 2.0), None, Z_LINE))
        elif kind == "point":
            xy = np.array([(p.x, p.y) for p in geometries], dtype=np.float64)  # type: ignore
            overlay.items.append(_scatter(xy, color, filled=True))
        elif kind == "keypoints":
            overlay.items.extend(_keypoint_items(geometries, category, color))  # type: ignore
        elif kind == "mask":
            masks.extend((mask, color) for mask in geometries)  # type: ignore[misc]
    if fills and size is not None:
        overlay.items.append(fill_layer(fills, size, opacity))
    if outlines:
        overlay.items.append(OutlineLayer(outlines))
    if masks and decode_mask is not None:
        rgba = mask_image(masks, decode_mask)
        if rgba is not None:
            image = pg.ImageItem(rgba, axisOrder="row-major", levels=(0, 255))
            # Masks already carry their colour; the layer's opacity is the fill slider.
            image.setOpacity(max(0.15, min(1.0, opacity * 1.6)))
            image.setZValue(Z_MASK)
            overlay.items.append(image)
    return overlay


def _add_area(
    overlay: Overlay,
    path: QPainterPath,
    pen: QPen,
    fill: QColor,
    fills: list[tuple[QPainterPath, QColor]],
    outlines: list[tuple[QPainterPath, QPen]],
    *,
    raster: bool,
) -> None:
    """A vector-filled path item, or (raster mode) a fill for the image layer and an outline for
    the shared outline layer.
    """
    if not raster:
        overlay.items.append(path_item(path, pen, QBrush(fill), Z_AREA))
        return
    fills.append((path, fill))
    outlines.append((path, pen))


class FillLayer(QGraphicsPixmapItem):
    """The fill image, with half- and quarter-size copies for zoomed-out views: sampling a
    12-megapixel image for a 1-megapixel view thrashes the CPU cache; nearest-neighbour sampling
    of a smaller copy picks the same kind of pixel, faster.
    """

    def __init__(self, image: QImage) -> None:
        super().__init__(QPixmap.fromImage(image))
        self.levels = [self.pixmap()]
        for _ in range(2):
            if min(image.width(), image.height()) < 512:
                break
            image = image.scaled(
                image.width() // 2,
                image.height() // 2,
                Qt.AspectRatioMode.IgnoreAspectRatio,
                Qt.TransformationMode.FastTransformation,
            )
            self.levels.append(QPixmap.fromImage(image))

    def paint(self, painter, option, widget=None) -> None:
        scale = abs(QTransform(painter.transform()).m11())
        level = 0
        while level + 1 < len(self.levels) and scale * 2 ** (level + 1) <= 1.0:
            level += 1
        if level == 0:
            super().paint(painter, option, widget)
            return
        full, small = self.levels[0], self.levels[level]
        painter.save()
        painter.scale(full.width() / small.width(), full.height() / small.height())
        painter.drawPixmap(0, 0, small)
        painter.restore()


def fill_layer(
    fills: list[tuple[QPainterPath, QColor]], size: tuple[int, int], opacity: float
) -> QGraphicsPixmapItem:
    """Fills painted once into one translucent image in image coordinates (capped in size)."""
    width, height = max(1, size[0]), max(1, size[1])
    scale = min(1.0, math.sqrt(MAX_FILL_PIXELS / (width * height)))
    image = QImage(
        max(1, round(width * scale)),
        max(1, round(height * scale)),
        QImage.Format.Format_ARGB32_Premultiplied,
    )
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.scale(scale, scale)
    painter.setPen(Qt.PenStyle.NoPen)
    for path, color in fills:
        painter.setBrush(QColor(color.red(), color.green(), color.blue()))
        painter.drawPath(path)
    # The opacity goes into the pixels (overlaps stay one flat tint): Qt blends a scaled image
    # drawn with a painter opacity ~1.5× slower than one with its own alpha.
    painter.setCompositionMode(QPainter.CompositionMode.CompositionMode_DestinationIn)
    painter.resetTransform()
    painter.fillRect(image.rect(), QColor(0, 0, 0, round(max(0.0, min(1.0, opacity)) * 255)))
    painter.end()
    item = FillLayer(image)
    item.setTransform(QTransform.fromScale(1 / scale, 1 / scale))
    item.setTransformationMode(Qt.TransformationMode.FastTransformation)
    item.setZValue(Z_AREA - 1)
    item.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
    return item


def _scatter(xy: np.ndarray, color: QColor, *, filled: bool, size: float = 7.0) -> object:
    outline = QColor(color).darker(160) if filled else color
    brush = QBrush(color) if filled else QBrush(Qt.BrushStyle.NoBrush)
    item = pg.ScatterPlotItem(
        pos=xy,
        size=size,
        pen=pg.mkPen(outline, width=1.5 if filled else 1.8),
        brush=brush,
        pxMode=True,
        symbol="o",
    )
    item.setZValue(Z_POINT)
    item.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
    return item


def _keypoint_items(
    skeletons: Sequence[Keypoints], category: Category | None, color: QColor
) -> list[object]:
    """Visible points filled, occluded points hollow, absent points not drawn; edges between
    labelled points (dashed when an end is occluded).
    """
    visible = [kp.points[kp.visibility == VISIBLE] for kp in skeletons]
    occluded = [kp.points[kp.visibility == OCCLUDED] for kp in skeletons]
    items: list[object] = []
    edges = category.skeleton.edges if category is not None and category.skeleton else ()
    if edges:
        pairs = np.array(edges, dtype=np.int64).reshape(-1, 2)
        solid_a, solid_b, dashed_a, dashed_b = [], [], [], []
        for kp in skeletons:
            count = len(kp.points)
            valid = pairs[(pairs < count).all(axis=1) & (pairs >= 0).all(axis=1)]
            if not len(valid):
                continue
            va, vb = kp.visibility[valid[:, 0]], kp.visibility[valid[:, 1]]
            shown = (va > 0) & (vb > 0)
            solid = shown & (va == VISIBLE) & (vb == VISIBLE)
            dashed = shown & ~solid
            solid_a.append(kp.points[valid[solid, 0]])
            solid_b.append(kp.points[valid[solid, 1]])
            dashed_a.append(kp.points[valid[dashed, 0]])
            dashed_b.append(kp.points[valid[dashed, 1]])
        if solid_a:
            path = segments_path(np.concatenate(solid_a), np.concatenate(solid_b))
            items.append(path_item(path, cosmetic_pen(color, 2.0), None, Z_EDGE))
            path = segments_path(np.concatenate(dashed_a), np.concatenate(dashed_b))
            dash = cosmetic_pen(color, 1.5, Qt.PenStyle.DashLine)
            items.append(path_item(path, dash, None, Z_EDGE))
    if visible:
        items.append(_scatter(np.concatenate(visible).reshape(-1, 2), color, filled=True))
    if occluded:
        items.append(_scatter(np.concatenate(occluded).reshape(-1, 2), color, filled=False))
    return items


def label_texts(
    objects: Sequence[ObjectLabel], categories: dict[str, Category]
) -> tuple[np.ndarray, list[str], list[QColor]]:
    """Anchors, texts and background colours of the label tags of `objects`."""
    anchors: list[tuple[float, float]] = []
    texts: list[str] = []
    colors: list[QColor] = []
    cache: dict[str, QColor] = {}
    for obj in objects:
        anchor = anchor_of(obj.geometry)
        if anchor is None:
            continue
        anchors.append(anchor)
        text = obj.category
        # Tools that store confidence 1.0 on every hand-drawn object: that number is noise.
        if obj.confidence is not None and (obj.source == "model" or obj.confidence < 1.0):
            text += f" {obj.confidence:.2f}"
        texts.append(text)
        if obj.category not in cache:
            cache[obj.category] = _text_color(color_for(categories.get(obj.category), obj.category))
        colors.append(cache[obj.category])
    return np.array(anchors, dtype=np.float64).reshape(-1, 2), texts, colors
