"""The canvas: the item's image (or a placeholder) under batched overlays, with picking.

A pyqtgraph ViewBox with y pointing down (invertY) and square pixels (lockAspect); images are
ImageItems in row-major order (pyqtgraph's default, column-major, would draw them transposed).
"""

from __future__ import annotations

from collections import OrderedDict
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QColor

from labelview import images
from labelview.gui.canvas import layers, paths
from labelview.gui.session import Session
from labelview.model import Item, Mask, ObjectLabel
from labelview.ops import hit

PICK_PIXELS = 5.0  # how close (in screen pixels) to a line or a point counts as on it
DEFAULT_SIZE = (640, 480)
REST_MS = 150  # the view counts as resting this long after the last pan/zoom step
_IMAGE_CACHE = 8


def load_image(path: Path) -> np.ndarray | None:
    """Pixels of an image file as a row-major array (8-bit L or RGBA; 16-bit and float kept);
    None if unreadable.
    """
    from PIL import UnidentifiedImageError

    from labelview.images import open_image

    try:
        # open_image refuses a claimed size past limits.MAX_PIXELS before decoding anything.
        with open_image(path) as image:
            if image.mode in ("I;16", "I;16B", "I;16L", "I"):
                return np.asarray(image.convert("I"), dtype=np.int32)
            if image.mode == "F":
                return np.asarray(image, dtype=np.float32)
            # 8-bit RGBA and L arrays are shown by pyqtgraph without a conversion (zero-copy
            # QImage): converting here, on the loader thread, keeps ~40 ms per 12 MP image off
            # the window's thread.
            if image.mode != "L":
                image = image.convert("RGBA")
            return np.asarray(image)
    except (OSError, UnidentifiedImageError, ValueError):
        return None


def extent_of(objects: list[ObjectLabel]) -> tuple[int, int] | None:
    """The size that holds every object's geometry (for items whose size nobody knows)."""
    bounds = hit.bounds_array([obj.geometry for obj in objects])
    if not len(bounds) or np.isnan(bounds).all():
        return None
    x1 = np.nanmax(bounds[:, 2])
    y1 = np.nanmax(bounds[:, 3])
    if x1 <= 0 or y1 <= 0:
        return None
    return int(np.ceil(x1 * 1.05)), int(np.ceil(y1 * 1.05))


class Canvas(pg.GraphicsView):
    """Shows the session's current item/frame; clicks select, hovering highlights."""

    cursor_moved = Signal(float, float)  # image coordinates under the mouse

    def __init__(self, session: Session, parent=None) -> None:
        super().__init__(parent, background=QColor(38, 40, 44))
        self.session = session
        self.setAcceptDrops(False)  # drops go to the window (one open path)
        self.viewport().setAcceptDrops(False)
        self.view = pg.ViewBox(invertY=True, lockAspect=True, enableMenu=False)
        self.view.setBackgroundColor(None)
        self.setCentralItem(self.view)
        self.image_item = pg.ImageItem(axisOrder="row-major")
        self.image_item.setZValue(layers.Z_IMAGE)
        self.view.addItem(self.image_item)
        # The caption sits just above the placeholder's top-left corner, where no shape is:
        # centred on the placeholder it was covered by the shapes (and covered them).
        self.placeholder_text = pg.TextItem(
            "", color=(215, 215, 215), anchor=(0, 1), fill=pg.mkBrush(30, 32, 36, 200)
        )
        self.placeholder_text.setZValue(layers.Z_TEXT - 1)
        self.view.addItem(self.placeholder_text)
        self.labels = layers.LabelsItem()
        self.labels.setZValue(layers.Z_TEXT)
        self.view.addItem(self.labels)
        self.hover_item = paths.path_item(
            layers.QPainterPath(),
            paths.cosmetic_pen(QColor(255, 255, 255, 200), 2.5),
            None,
            layers.Z_HOVER,
        )
        self.selected_halo = paths.path_item(
            layers.QPainterPath(),
            paths.cosmetic_pen(QColor(255, 255, 255), 4.5),
            None,
            layers.Z_SELECTED,
        )
        self.selected_item = paths.path_item(
            layers.QPainterPath(),
            paths.cosmetic_pen(QColor(255, 200, 0), 2.0),
            None,
            layers.Z_SELECTED + 1,
        )
        self.selected_markers = pg.ScatterPlotItem(
            size=13, pen=pg.mkPen(255, 200, 0, width=2.5), brush=QBrush(Qt.BrushStyle.NoBrush)
        )
        self.selected_markers.setZValue(layers.Z_SELECTED + 2)
        self.hover_markers = pg.ScatterPlotItem(
            size=11, pen=pg.mkPen(255, 255, 255, 200, width=2), brush=QBrush(Qt.BrushStyle.NoBrush)
        )
        self.hover_markers.setZValue(layers.Z_HOVER)
        for item in (
            self.hover_item,
            self.selected_halo,
            self.selected_item,
            self.selected_markers,
            self.hover_markers,
        ):
            self.view.addItem(item)
        self.selected_markers.setVisible(False)
        self.hover_markers.setVisible(False)
        self.overlay = layers.Overlay()
        self.opacity = 0.25
        self.show_text = True
        self.labels_visible = True
        self.image_size: tuple[int, int] = DEFAULT_SIZE
        self.image_found = False
        self.hovered: ObjectLabel | None = None
        self._shown_key: tuple | None = None
        self._bounds: np.ndarray | None = None
        # Decoding a 12-megapixel JPEG takes ~170 ms: neighbours are decoded ahead, off-thread.
        self._images: OrderedDict[Path, Future] = OrderedDict()
        self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="labelview-image")
        self._masks: dict[int, np.ndarray | None] = {}
        self._mask_item_key: object = None
        # Tags are left out while a pan/zoom gesture is in progress and come back at rest.
        self._rest = QTimer(self)
        self._rest.setSingleShot(True)
        self._rest.setInterval(REST_MS)
        self._rest.timeout.connect(self._on_rest)
        self.view.sigRangeChangedManually.connect(self._on_gesture)
        scene = self.scene()
        scene.sigMouseMoved.connect(self._on_mouse_moved)
        scene.sigMouseClicked.connect(self._on_mouse_clicked)
        session.item_changed.connect(self.refresh)
        session.visibility_changed.connect(self.redraw_overlays)
        session.objects_filtered.connect(self.redraw_overlays)
        session.selection_changed.connect(self._show_selection)
        session.images_changed.connect(self._forget_images)

    # --- drawing -----------------------------------------------------------------------------

    def refresh(self) -> None:
        """Show the session's current item and frame (image, overlays, selection)."""
        item = self.session.item
        frame = self.session.frame
        key = (id(self.session.dataset), id(item), frame)
        if item is None:
            self._clear()
            return
        if self._mask_item_key != id(item):
            self._masks.clear()  # decode masks for the shown item only
            self._mask_item_key = id(item)
        previous_size = self.image_size
        self._show_image(item, frame)
        self.redraw_overlays()
        if key != self._shown_key and (
            self._shown_key is None
            or previous_size != self.image_size
            or self._shown_key[:2] != key[:2]
        ):
            self.fit()
        self._shown_key = key
        self._prefetch()

    def _clear(self) -> None:
        self.image_item.clear()
        self.placeholder_text.setText("")
        self.placeholder_text.setVisible(False)
        self._remove_overlay()
        self.labels.set_labels(np.zeros((0, 2)), [], [])
        self._show_selection(None)
        self._shown_key = None

    def _future(self, path: Path) -> Future:
        if path in self._images:
            self._images.move_to_end(path)
            return self._images[path]
        future = self._pool.submit(load_image, path)
        self._images[path] = future
        while len(self._images) > _IMAGE_CACHE:
            self._images.popitem(last=False)
        return future

    def _image_for(self, path: Path | None) -> np.ndarray | None:
        return self._future(path).result() if path is not None else None

    def _prefetch(self) -> None:
        """Decode the neighbouring items' (and frames') images while the user looks at this one."""
        dataset = self.session.dataset
        item = self.session.item
        if dataset is None or item is None:
            return
        frames = item.frame_indices()
        if self.session.frame in frames:
            position = frames.index(self.session.frame)
            for step in (1, -1):
                if 0 <= position + step < len(frames):
                    path = self.session.image_path(item, frames[position + step])
                    if path is not None:
                        self._future(path)
        for step in (1, -1):
            index = self.session.item_index + step
            if 0 <= index < len(dataset.items):
                neighbour = dataset.items[index]
                first = neighbour.frame_indices()
                path = self.session.image_path(neighbour, first[0] if first else None)
                if path is not None:
                    self._future(path)

    def _forget_images(self) -> None:
        self._images.clear()
        self._shown_key = None
        self.refresh()

    def _show_image(self, item: Item, frame: int | None) -> None:
        path = self.session.image_path(item, frame)
        pixels = self._image_for(path)
        if pixels is not None:
            height, width = pixels.shape[:2]
            if pixels.dtype == np.uint8:
                self.image_item.setImage(pixels, autoLevels=False)
                self.image_item.setLevels(None)
            else:  # 16-bit and float scans: stretch to their own range
                self.image_item.setImage(pixels, autoLevels=True)
            self.image_item.setRect(QRectF(0, 0, width, height))
            self.image_size = (width, height)
            self.image_found = True
            self.placeholder_text.setText("")
            self.placeholder_text.setVisible(False)
            return
        size = item.size_of(frame) or extent_of(item.objects_on(frame)) or DEFAULT_SIZE
        width, height = size
        # A neutral placeholder at the item's size keeps the labels inspectable.
        self.image_item.setImage(np.full((1, 1), 92, dtype=np.uint8), autoLevels=False)
        self.image_item.setLevels(None)
        self.image_item.setRect(QRectF(0, 0, width, height))
        self.image_size = (width, height)
        self.image_found = False
        reference = self.session.image_reference(item, frame)
        # The file name is what a user looks for; a full URL would run off the placeholder.
        shown = images.reference_parts(reference).name if reference else ""
        text = f"image not found: {shown or reference}" if reference else "no image"
        self.placeholder_text.setText(text)
        self.placeholder_text.setPos(0, 0)
        self.placeholder_text.setVisible(True)

    def _remove_overlay(self) -> None:
        for graphics in self.overlay.items:
            self.view.removeItem(graphics)
        self.overlay = layers.Overlay()
        self._bounds = None

    def redraw_overlays(self) -> None:
        """Rebuild the batched overlay items (after a change of item, frame, visibility, style)."""
        self._remove_overlay()
        dataset = self.session.dataset
        item = self.session.item
        if dataset is None or item is None:
            return
        objects = self.session.shown_objects() if self.labels_visible else []
        self.overlay = layers.build(
            objects,
            dataset.categories,
            hidden=self.session.hidden,
            opacity=self.opacity,
            decode_mask=self.mask_pixels,
            size=self.image_size,
        )
        for graphics in self.overlay.items:
            self.view.addItem(graphics)
        if self.show_text and self.labels_visible:
            self.labels.set_labels(*layers.label_texts(self.overlay.objects, dataset.categories))
        else:
            self.labels.set_labels(np.zeros((0, 2)), [], [])
        self.hovered = None
        self.hover_item.setPath(layers.QPainterPath())
        _set_markers(self.hover_markers, np.zeros((0, 2)))
        self._show_selection(self.session.selected)

    def mask_pixels(self, mask: Mask) -> np.ndarray | None:
        """The decoded mask (cached for the shown item); None when it cannot be decoded."""
        key = id(mask)
        if key not in self._masks:
            try:
                self._masks[key] = mask.decode()
            except (ValueError, TypeError, OSError) as error:
                self._masks[key] = None
                self.session.note_problem(f"mask could not be decoded: {error}")
        return self._masks[key]

    def _show_selection(self, obj: ObjectLabel | None) -> None:
        if obj is None or obj.geometry is None or obj not in self.overlay.objects:
            empty = layers.QPainterPath()
            self.selected_item.setPath(empty)
            self.selected_halo.setPath(empty)
            _set_markers(self.selected_markers, np.zeros((0, 2)))
            return
        path = paths.outline_path(obj.geometry)
        self.selected_halo.setPath(path)
        self.selected_item.setPath(path)
        _set_markers(self.selected_markers, paths.marker_points(obj.geometry))

    # --- view ----------------------------------------------------------------------------------

    def fit(self) -> None:
        """Zoom so the whole image fits the window."""
        width, height = self.image_size
        top = 0.0
        if self.placeholder_text.isVisible():
            # Room above the placeholder for its caption (screen pixels → image units).
            size = self.view.size()
            scale = max(width / max(size.width(), 1), height / max(size.height() - 40, 1))
            top = (self.placeholder_text.boundingRect().height() + 4) * scale
        self.view.setRange(QRectF(0, -top, width, height + top), padding=0.02)
        self._on_rest()  # a fitted view is at rest: tags show at once

    def zoom(self, factor: float) -> None:
        """Zoom in (factor < 1) or out (factor > 1) about the view centre."""
        self.view.scaleBy((factor, factor))
        self._on_gesture()

    def _on_gesture(self, *_args) -> None:
        """A pan/zoom step (mouse drag, wheel, key): tags wait until the view rests."""
        self.labels.set_moving(True)
        self._rest.start()

    def _on_rest(self) -> None:
        resting_after_a_gesture = self._rest.isActive() or self.labels.moving
        self._rest.stop()
        self.labels.set_moving(False)
        if resting_after_a_gesture:
            for graphics in self.overlay.items:
                if isinstance(graphics, layers.OutlineLayer):
                    graphics.redraw_exactly()

    def set_opacity(self, opacity: float) -> None:
        self.opacity = opacity
        self.redraw_overlays()

    def set_show_text(self, shown: bool) -> None:
        self.show_text = shown
        self.redraw_overlays()

    def set_labels_visible(self, shown: bool) -> None:
        self.labels_visible = shown
        self.redraw_overlays()

    # --- picking ---------------------------------------------------------------------------------

    def object_at(self, x: float, y: float) -> ObjectLabel | None:
        """The shown object under image point (x, y) (its real shape, not its bounding box)."""
        objects = self.overlay.objects
        if not objects:
            return None
        geometries = [obj.geometry for obj in objects]
        if self._bounds is None:
            self._bounds = hit.bounds_array(geometries)
        pixel = self.view.viewPixelSize()[0] or 1.0
        index = hit.pick(
            geometries,
            x,
            y,
            tolerance=PICK_PIXELS * pixel,
            bounds=self._bounds,
            mask_pixels=self.mask_pixels,
        )
        return objects[index] if index is not None else None

    def _on_mouse_moved(self, scene_pos) -> None:
        if not self.view.sceneBoundingRect().contains(scene_pos):
            return
        point = self.view.mapSceneToView(scene_pos)
        self.cursor_moved.emit(point.x(), point.y())
        found = self.object_at(point.x(), point.y())
        if found is self.hovered:
            return
        self.hovered = found
        geometry = found.geometry if found is not None else None
        self.hover_item.setPath(paths.outline_path(geometry))
        _set_markers(self.hover_markers, paths.marker_points(geometry))
        self.setToolTip(self._tooltip(found))

    def _tooltip(self, obj: ObjectLabel | None) -> str:
        if obj is None:
            return ""
        parts = [f"{obj.category} ({obj.kind})"]
        if obj.confidence is not None:
            parts.append(f"confidence {obj.confidence:.3f}")
        if obj.id:
            parts.append(f"id {obj.id}")
        return "\n".join(parts)

    def _on_mouse_clicked(self, event) -> None:
        if event.button() != Qt.MouseButton.LeftButton:
            return
        point = self.view.mapSceneToView(event.scenePos())
        self.session.select(self.object_at(point.x(), point.y()))


def _set_markers(item: pg.ScatterPlotItem, points: np.ndarray) -> None:
    """Markers at `points`; an empty scatter is hidden (painting it still costs ~0.25 ms)."""
    item.setData(pos=points)
    item.setVisible(len(points) > 0)
