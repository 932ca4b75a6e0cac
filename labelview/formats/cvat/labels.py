"""The label spec of `<meta><task><labels>`, gathered while the images are written (the spec
comes first in the file, but what each label is used for is known only at the end).
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import Any

from labelview.model import Category, Dataset

# Distinct string values up to this count make a `select` attribute; more make free `text`.
MAX_SELECT_VALUES = 50
# Keyed by the element written (`kinds` holds element tags).
_LABEL_TYPES = {
    "box": "rectangle",
    "polygon": "polygon",
    "polyline": "polyline",
    "points": "points",
    "ellipse": "ellipse",
    "cuboid": "cuboid",
    "mask": "mask",
    "skeleton": "skeleton",
    "tag": "tag",
}
# Fallback colours for categories without one (CVAT needs a colour per label).
_PALETTE = (
    (250, 50, 83),
    (36, 179, 83),
    (51, 221, 255),
    (255, 204, 51),
    (184, 61, 245),
    (255, 106, 77),
    (61, 61, 245),
    (131, 224, 112),
    (250, 125, 187),
    (170, 240, 209),
)


@dataclass(slots=True)
class Label:
    """One label as used in the written shapes: its shape kinds, attribute values, skeleton."""

    name: str
    kinds: set[str] = field(default_factory=set)
    values: dict[str, list[Any]] = field(default_factory=dict)  # attribute -> distinct values
    mutable: set[str] = field(default_factory=set)  # attributes that change along a track
    nodes: tuple[str, ...] = ()
    edges: tuple[tuple[int, int], ...] = ()

    def see(self, attributes: dict[str, Any]) -> None:
        for name, value in attributes.items():
            seen = self.values.setdefault(name, [])
            if value not in seen and len(seen) <= MAX_SELECT_VALUES:
                seen.append(value)


def labels_element(labels: dict[str, Label], dataset: Dataset) -> ET.Element:
    """`<labels>`: every label with its colour, type and attributes; a skeleton's nodes follow it
    as `points` labels with `<parent>`.
    """
    element = ET.Element("labels")
    for index, label in enumerate(labels.values()):
        node = ET.SubElement(element, "label")
        ET.SubElement(node, "name").text = label.name
        ET.SubElement(node, "color").text = _color(dataset.categories.get(label.name), index)
        kind = _label_type(label.kinds)
        ET.SubElement(node, "type").text = kind
        attributes = ET.SubElement(node, "attributes")
        category = dataset.categories.get(label.name)
        declared = _declared(category)
        for name, spec in declared.items():
            attributes.append(_declared_spec(spec, name in label.mutable))
        for name, values in label.values.items():
            if name not in declared:
                attributes.append(_attribute_spec(name, values, name in label.mutable))
        if kind == "skeleton":
            ET.SubElement(node, "svg").text = _skeleton_svg(label)
            for sub_index, sub_name in enumerate(label.nodes):
                sub = ET.SubElement(element, "label")
                ET.SubElement(sub, "name").text = sub_name
                ET.SubElement(sub, "color").text = _color(None, index + sub_index + 1)
                ET.SubElement(sub, "type").text = "points"
                ET.SubElement(sub, "attributes")
                ET.SubElement(sub, "parent").text = label.name
    return element


def _declared(category: Category | None) -> dict[str, dict[str, Any]]:
    """Attribute definitions a CVAT read kept on the category (`extra["cvat_attributes"]`)."""
    specs = category.extra.get("cvat_attributes") if category is not None else None
    if not isinstance(specs, list):
        return {}
    return {str(s["name"]): s for s in specs if isinstance(s, dict) and s.get("name")}


def _declared_spec(spec: dict[str, Any], mutable: bool) -> ET.Element:
    element = ET.Element("attribute")
    values = spec.get("values") or []
    for tag, text in (
        ("name", str(spec["name"])),
        ("mutable", "True" if spec.get("mutable") or mutable else "False"),
        ("input_type", str(spec.get("input_type") or "text")),
        ("default_value", str(spec.get("default_value") or "")),
        ("values", "\n".join(str(v) for v in values)),
    ):
        ET.SubElement(element, tag).text = text
    return element


def _color(category: Category | None, index: int) -> str:
    rgb = category.color if category is not None and category.color else None
    r, g, b = rgb or _PALETTE[index % len(_PALETTE)]
    return f"#{r:02x}{g:02x}{b:02x}"


def _attribute_spec(name: str, values: list[Any], mutable: bool = False) -> ET.Element:
    """An `<attribute>` declaration whose input type fits the values seen."""
    present = [v for v in values if v is not None]
    if present and all(isinstance(v, bool) for v in present):
        input_type, default, choices = "checkbox", "false", ["false"]
    elif present and all(isinstance(v, int) and not isinstance(v, bool) for v in present):
        low, high = min(present), max(present)
        input_type, default, choices = "number", str(low), [str(low), str(high), "1"]
    elif (
        present
        and len(present) <= MAX_SELECT_VALUES
        and all(isinstance(v, str) and "\n" not in v for v in present)
    ):
        input_type, default, choices = "select", present[0], [str(v) for v in present]
    else:
        input_type, default, choices = "text", "", []
    element = ET.Element("attribute")
    for tag, text in (
        ("name", name),
        ("mutable", "True" if mutable else "False"),
        ("input_type", input_type),
        ("default_value", default),
        ("values", "\n".join(choices)),
    ):
        ET.SubElement(element, tag).text = text
    return element


def _label_type(kinds: set[str]) -> str:
    if "skeleton" in kinds:
        return "skeleton"
    types = {_LABEL_TYPES.get(kind, "any") for kind in kinds}
    return types.pop() if len(types) == 1 else "any"


def _skeleton_svg(label: Label) -> str:
    """The `<svg>` CVAT stores for a skeleton template: nodes on a circle, edges as lines."""
    count = max(len(label.nodes), 1)
    spots = [
        (50 + 40 * math.cos(2 * math.pi * i / count), 50 + 40 * math.sin(2 * math.pi * i / count))
        for i in range(len(label.nodes))
    ]
    parts = []
    for a, b in label.edges:
        if 0 <= a < len(spots) and 0 <= b < len(spots):
            (x1, y1), (x2, y2) = spots[a], spots[b]
            parts.append(
                f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" '
                f'data-type="edge" data-node-from="{a + 1}" data-node-to="{b + 1}"></line>'
            )
    for index, ((x, y), node) in enumerate(zip(spots, label.nodes, strict=True), start=1):
        name = node.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")
        parts.append(
            f'<circle r="1.5" cx="{x:.1f}" cy="{y:.1f}" data-type="element node" '
            f'data-element-id="{index}" data-node-id="{index}" data-label-name="{name}"></circle>'
        )
    return "".join(parts)
