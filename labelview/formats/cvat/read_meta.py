"""The `<meta>` of a CVAT XML file: the label spec (colours, types, attribute definitions, skeleton
sublabels) and each task's frame sequence (size, start and stop frame, frame filter).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import Any

from labelview.model import Category, Dataset, Skeleton

# A cuboid's eight corners in CVAT's attribute order (front face then back face).
CUBOID_NODES = ("tl1", "bl1", "tr1", "br1", "tl2", "bl2", "tr2", "br2")
# Its twelve edges as pairs of indices into CUBOID_NODES: both faces, then front to back.
CUBOID_EDGES = (
    (0, 1), (1, 3), (3, 2), (2, 0),
    (4, 5), (5, 7), (7, 6), (6, 4),
    (0, 4), (1, 5), (2, 6), (3, 7),
)  # fmt: skip
CUBOID_SKELETON = Skeleton(names=CUBOID_NODES, edges=CUBOID_EDGES)

_EDGE = re.compile(r"<line\b[^>]*>")
_NODE = re.compile(r"<circle\b[^>]*>")
_ATTR = re.compile(r'([\w-]+)="([^"]*)"')


@dataclass(slots=True)
class AttributeSpec:
    name: str
    input_type: str = "text"
    mutable: bool = False
    default: str = ""
    values: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "input_type": self.input_type,
            "mutable": self.mutable,
            "default_value": self.default,
            "values": list(self.values),
        }


@dataclass(slots=True)
class LabelSpec:
    name: str
    color: tuple[int, int, int] | None = None
    type: str | None = None
    attributes: dict[str, AttributeSpec] = field(default_factory=dict)
    parent: str | None = None
    nodes: list[str] = field(default_factory=list)  # a skeleton's sublabels, in order
    edges: list[tuple[int, int]] = field(default_factory=list)


@dataclass(slots=True)
class TaskInfo:
    """One task's frames: `frames` lists the absolute frame numbers, in order (None: unknown)."""

    id: str
    name: str = ""
    size: int | None = None
    start: int = 0
    stop: int | None = None
    step: int = 1
    subset: str | None = None
    source: str | None = None
    width: int | None = None
    height: int | None = None
    names: dict[int, str] = field(default_factory=dict)  # labelview's <frame_names>

    def count(self) -> int | None:
        """How many frames the task has (start, start + step, …); None when <meta> says not."""
        if self.size is None and self.stop is None:
            return None
        by_stop = (self.stop - self.start) // self.step + 1 if self.stop is not None else None
        counts = [c for c in (self.size, by_stop) if c is not None]
        return max(0, min(counts))


@dataclass(slots=True)
class Meta:
    labels: dict[str, LabelSpec] = field(default_factory=dict)
    tasks: dict[str, TaskInfo] = field(default_factory=dict)
    mode: str | None = None
    source: str | None = None


def _text(node: ET.Element | None, tag: str) -> str | None:
    found = node.find(tag) if node is not None else None
    return found.text.strip() if found is not None and found.text is not None else None


def _int(text: str | None, default: int | None = None) -> int | None:
    try:
        return int(text) if text not in (None, "") else default
    except ValueError:
        return default


def _color(text: str | None) -> tuple[int, int, int] | None:
    if not text or not re.fullmatch(r"#[0-9a-fA-F]{6}", text.strip()):
        return None
    value = text.strip()[1:]
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)


def _values(text: str | None) -> tuple[str, ...]:
    # CVAT separates values by newlines; old files (and Datumaro's tests) by spaces.
    if not text:
        return ()
    parts = text.split("\n") if "\n" in text else text.split(" ")
    return tuple(part for part in parts if part != "")


def parse_meta(meta: ET.Element | None) -> Meta:
    """The label spec and the tasks of `<meta>` (a task's, a job's or a project's)."""
    result = Meta()
    if meta is None:
        return result
    result.source = _text(meta, "source")
    owners = [meta.find(tag) for tag in ("task", "job", "project")]
    owner = next((node for node in owners if node is not None), None)
    if owner is None:
        return result
    result.mode = _text(owner, "mode")
    labels = owner.find("labels")
    for node in labels.findall("label") if labels is not None else ():
        spec = _label(node)
        if spec.name:
            result.labels.setdefault(spec.name, spec)
    for spec in result.labels.values():
        if spec.parent in result.labels:
            result.labels[spec.parent].nodes.append(spec.name)
    for spec in result.labels.values():
        if spec.nodes:
            spec.edges = _svg_edges(spec, labels)
    tasks = owner.find("tasks")
    task_nodes = tasks.findall("task") if tasks is not None else [owner]
    for node in task_nodes:
        info = _task(node)
        result.tasks.setdefault(info.id, info)
    return result


def _label(node: ET.Element) -> LabelSpec:
    spec = LabelSpec(_text(node, "name") or "")
    spec.color = _color(_text(node, "color"))
    spec.type = _text(node, "type")
    spec.parent = _text(node, "parent")
    attributes = node.find("attributes")
    for attr in attributes.findall("attribute") if attributes is not None else ():
        name = _text(attr, "name")
        if not name:
            continue
        spec.attributes[name] = AttributeSpec(
            name,
            _text(attr, "input_type") or "text",
            (_text(attr, "mutable") or "").lower() == "true",
            _text(attr, "default_value") or "",
            _values(attr.find("values").text if attr.find("values") is not None else None),
        )
    return spec


def _svg_edges(spec: LabelSpec, labels: ET.Element | None) -> list[tuple[int, int]]:
    """A skeleton's edges from its `<svg>` template: node ids → the sublabels they name."""
    svg = None
    for node in labels.findall("label") if labels is not None else ():
        if _text(node, "name") == spec.name:
            svg = node.findtext("svg") or ""
    if not svg:
        return []
    by_id: dict[str, int] = {}
    for circle in _NODE.findall(svg):
        attrs = dict(_ATTR.findall(circle))
        name = attrs.get("data-label-name")
        node_id = attrs.get("data-node-id") or attrs.get("data-element-id")
        if name in spec.nodes and node_id:
            by_id[node_id] = spec.nodes.index(name)
    edges = []
    for line in _EDGE.findall(svg):
        attrs = dict(_ATTR.findall(line))
        a, b = by_id.get(attrs.get("data-node-from", "")), by_id.get(attrs.get("data-node-to", ""))
        if a is not None and b is not None:
            edges.append((a, b))
    return edges


def _task(node: ET.Element) -> TaskInfo:
    info = TaskInfo(_text(node, "id") or "")
    info.name = _text(node, "name") or ""
    info.size = _int(_text(node, "size"))
    info.start = _int(_text(node, "start_frame"), 0) or 0
    info.stop = _int(_text(node, "stop_frame"))
    step = re.search(r"step\s*=\s*(\d+)", _text(node, "frame_filter") or "")
    info.step = max(1, int(step.group(1))) if step else 1
    info.subset = _text(node, "subset")
    info.source = _text(node, "source")
    for entry in node.iterfind("frame_names/frame_name"):
        frame, name = _int(entry.get("frame")), entry.get("name")
        if frame is not None and name:
            info.names[frame] = name
    size = node.find("original_size")
    if size is not None:
        info.width = _int(_text(size, "width"))
        info.height = _int(_text(size, "height"))
    return info


def categories(meta: Meta, dataset: Dataset) -> None:
    """One category per top-level label, with its colour, type, attribute definitions and (for a
    skeleton) its nodes and edges; sublabels are a skeleton's nodes, not categories.
    """
    for spec in meta.labels.values():
        if spec.parent in meta.labels:
            continue
        category = Category(name=spec.name, color=spec.color, shape=spec.type)
        if spec.nodes:
            category.skeleton = Skeleton(names=tuple(spec.nodes), edges=tuple(spec.edges))
        if spec.attributes:
            category.extra["cvat_attributes"] = [a.as_dict() for a in spec.attributes.values()]
        dataset.categories[spec.name] = category
