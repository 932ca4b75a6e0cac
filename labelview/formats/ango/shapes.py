"""Geometry of Ango tool entries, and brush masks (one PNG per task, split by colour)."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from labelview.formats._reading import BAD_VALUE, coordinate, describe, number
from labelview.formats.ango.sources import Place
from labelview.formats.ango.values import nonempty_str
from labelview.images import reference_parts
from labelview.model import (
    Box,
    Item,
    LazyMask,
    Mask,
    ObjectLabel,
    Point,
    Polygon,
    Polyline,
    RotatedBox,
)
from labelview.model.geometry import Geometry, make_part

_DRAWN = ("bounding-box", "rotated-bounding-box", "polygon", "polyline", "point", "segmentation")
# Tools kept as objects without a drawable shape (their data goes to `extra`).
_UNDRAWN = ("ner", "pdf", "pct", "brush", "spline", "angle", "circle", "message")
# Keys every tool entry may carry besides its geometry.
_COMMON = frozenset(
    {
        "objectId",
        "schemaId",
        "title",
        "classifications",
        "page",
        "interpolationStopped",
        "metadata",
        "medical-brush",
        "masks",
        "ocr",
        "color",
        "tool",
        "columnField",
        "confidence",
    }
)
# Keys an ObjectLabel holds elsewhere (the rest of a tool entry goes to its `extra`).
_CONSUMED = frozenset(
    {
        "objectId",
        "title",
        "classifications",
        "page",
        "interpolationStopped",
        "metadata",
        "confidence",
    }
)


class _Skipped(Exception):
    """A malformed object, already warned about."""


class ShapesMixin:
    def _geometry(
        self, where: Place, entry: dict, item: Item, object_id: str | None
    ) -> tuple[Geometry | None, str | None, dict]:
        """(geometry or None, tool key, the entry's leftover keys for `extra`)."""
        extra = {k: v for k, v in entry.items() if k not in _CONSUMED and k not in _DRAWN}
        for tool in _DRAWN:
            if tool in entry:
                try:
                    return self._shape(tool, entry[tool]), tool, extra
                except BAD_VALUE as error:
                    self.warn(
                        f"bad {tool}",
                        where(tool),
                        f"{tool} skipped: {describe(error)}",
                        item=item.id,
                        obj=object_id,
                    )
                    raise _Skipped from error
        unknown = [k for k in entry if k not in _COMMON]
        for tool in _UNDRAWN:
            if tool in entry:
                self.undrawn[tool] += 1
                return None, tool, extra
        if entry.get("medical-brush"):
            self.undrawn["medical-brush"] += 1
            return None, "medical-brush", extra
        if unknown:
            self.undrawn[unknown[0]] += 1
            self.warn(
                f"unknown tool {unknown[0]}",
                where,
                f"unknown tool {unknown[0]!r}: kept without shape, data in extra",
                item=item.id,
                obj=object_id,
            )
            return None, unknown[0], extra
        self.undrawn["no geometry"] += 1
        self.warn(
            "tool without geometry",
            where,
            "tool has no geometry (export toggle off?); kept without shape",
            item=item.id,
            obj=object_id,
        )
        return None, None, extra

    def _shape(self, tool: str, data: Any) -> Geometry:
        if tool == "bounding-box":
            x, y, w, h = (coordinate(data[k], k) for k in ("x", "y", "width", "height"))
            return Box.from_corners(x, y, x + w, y + h)  # (x, y) is the first click: w, h < 0 ok
        if tool == "rotated-bounding-box":
            return self._rotated(data)
        if tool == "polygon":
            return Polygon.from_points(data)
        if tool == "polyline":
            return Polyline.from_points(data)
        if tool == "point":
            if isinstance(data, dict):
                return Point(coordinate(data["x"], "x"), coordinate(data["y"], "y"))
            if len(data) != 2:
                raise ValueError(f"a point needs [x, y], got {len(data)} numbers")
            return Point(coordinate(data[0], "x"), coordinate(data[1], "y"))
        return _segmentation(data)

    def _rotated(self, data: dict) -> RotatedBox:
        corners = data.get("corners")
        if isinstance(corners, list) and len(corners) == 4:
            c0, c1, c2, c3 = corners
            try:
                # Ango lists (0,0), (0,h), (w,h), (w,0) of the box frame: the top edge is c0 → c3.
                box = RotatedBox.from_corners([c0, c3, c2, c1])
            except (TypeError, ValueError):
                box = None  # unusable corners: fall back to x, y, width, height, rotation
            if box is not None and box.w > 0 and box.h > 0:
                return box
        x, y, w, h = (coordinate(data[k], k) for k in ("x", "y", "width", "height"))
        angle = number(data.get("rotation", 0.0), "rotation")
        theta = math.radians(angle)
        cos, sin = math.cos(theta), math.sin(theta)
        # (x, y) is the rotated first corner; the centre is (x, y) + R·(w/2, h/2).
        cx = x + cos * w / 2 - sin * h / 2
        cy = y + sin * w / 2 + cos * h / 2
        self.inferred_rotation += 1
        return RotatedBox(cx, cy, abs(w), abs(h), angle)

    # -- brush ------------------------------------------------------------------------------------

    def _brush(self, at: Place, task: dict, item: Item, tag: dict | None) -> None:
        url = task.get("brushDataUrl")
        if not isinstance(url, str) or not url:
            return
        where = at("brushDataUrl")
        found = self.images.find(url)
        task_id = nonempty_str(task.get("taskId"))
        if found is None and task_id:
            found = self.images.find(f"{task_id}.png")
        if found is None:
            self.warn(
                "brush mask not found",
                where,
                f"brush mask {reference_parts(url).name!r} not found locally (the URL "
                "expires; save the PNG beside the export or map it with --url-map)",
                item=item.id,
            )
            return
        from labelview.images import open_image

        try:
            # Its claimed size is checked (limits.MAX_PIXELS, then the image's size) before any
            # pixel is decoded: a 274-byte PNG can claim 50000×50000.
            with open_image(found, f"brush mask {found.name}") as image:
                width, height = image.size
                if not (item.width and item.height) or (item.width, item.height) == image.size:
                    rgba = np.asarray(image.convert("RGBA"))
        except (OSError, ValueError) as error:
            self.warn(
                "brush mask unreadable",
                where,
                f"brush mask {found.name} unreadable: {error}",
                item=item.id,
            )
            return
        if item.width and item.height and (item.width, item.height) != (width, height):
            self.warn(
                "brush mask size",
                where,
                f"brush mask is {width}×{height}, image is {item.width}×{item.height}; "
                "mask skipped",
                item=item.id,
            )
            return
        item.extra["brush_size"] = (width, height)
        opaque = rgba[..., 3] > 0
        packed = (rgba[..., 0].astype(np.uint32) << 16) | (rgba[..., 1].astype(np.uint32) << 8)
        packed |= rgba[..., 2]
        colours = [int(c) for c in np.unique(packed[opaque])]
        classes = self.ontology.brush_classes()
        if not classes:
            self.warn(
                "brush without ontology",
                where,
                "no brush classes in an ontology (--ontology): brush colours become "
                "categories named by colour",
                item=item.id,
            )
        unmatched = 0
        for colour in colours:
            rgb = ((colour >> 16) & 255, (colour >> 8) & 255, colour & 255)
            title, schema_id = classes.get(colour, (None, None))
            if title is None:
                if classes:
                    unmatched += int((packed[opaque] == colour).sum())
                    continue
                title = "brush #{:02x}{:02x}{:02x}".format(*rgb)
            self.dataset.category(title, id=schema_id, color=rgb, shape="mask")
            mask = Mask(
                height, width, LazyMask(_colour_loader(found, rgb), f"{found.name} {title}")
            )
            extra: dict[str, Any] = {"brushDataUrl": url, "brush_file": str(found)}
            if tag is not None:
                extra.update(tag)
            item.objects.append(
                ObjectLabel(
                    category=title,
                    geometry=mask,
                    id=f"{task_id or item.id}:brush:{title}",
                    created_by=nonempty_str(task.get("completedBy"))
                    or nonempty_str(task.get("updatedBy")),
                    source="manual",
                    extra=extra,
                )
            )
        if unmatched:
            self.warn(
                "brush colours without class",
                where,
                f"{unmatched:,} brush pixels have a colour no ontology brush class uses; not shown",
                item=item.id,
            )


def _segmentation(data: Any) -> Polygon:
    zones = data.get("zones") if isinstance(data, dict) else None
    if not isinstance(zones, list):
        raise ValueError("segmentation has no zones (the 'Segmentation Points' toggle was off?)")
    parts = []
    for zone in zones:
        region = zone.get("region") if isinstance(zone, dict) else None
        if not region:
            continue  # empty regions happen in real exports (iMerit's own converter skips them)
        holes = zone.get("holes") or []
        if holes and _is_pair(holes[0]):
            holes = [holes]  # one docs table shows a single hole as a flat list of points
        parts.append(make_part(region, [hole for hole in holes if hole]))
    if not parts:
        raise ValueError("segmentation has no non-empty region")
    return Polygon(tuple(parts))


def _is_pair(value: Any) -> bool:
    return (
        isinstance(value, list | tuple)
        and len(value) == 2
        and all(isinstance(v, int | float) for v in value)
    )


def _colour_loader(path: Path, rgb: tuple[int, int, int]) -> Callable[[], np.ndarray]:
    def load() -> np.ndarray:
        from labelview.images import open_image

        with open_image(path, "brush mask") as image:
            rgba = np.asarray(image.convert("RGBA"))
        return (
            (rgba[..., 3] > 0)
            & (rgba[..., 0] == rgb[0])
            & (rgba[..., 1] == rgb[1])
            & (rgba[..., 2] == rgb[2])
        )

    return load
