"""The Encord ontology: what the reader joins labels with (objects, attributes, templates).

The ontology is not part of a label-row export; it comes from `--ontology`, or from a
`<stem>.ontology.json` beside the export. Without it everything still loads: categories come
from the labels themselves, answers stay flat, skeletons have no edges.
"""

from __future__ import annotations

from pathlib import Path

from labelview.errors import FormatError
from labelview.formats._reading import BAD_VALUE, describe
from labelview.formats.base import ReadContext, load_json
from labelview.formats.encord.values import rgb
from labelview.model import Skeleton

ONTOLOGY_SUFFIX = ".ontology.json"


class Ontology:
    """The parts of an Encord ontology the reader joins on: objects, attributes, templates."""

    def __init__(self, data: dict | None, path: Path | None = None) -> None:
        self.path = path  # where it was read from, for warnings
        data = data or {}
        if "objects" not in data and isinstance(data.get("structure"), dict):
            data = data["structure"]  # an ontology as the API returns it
        self.objects: dict[str, dict] = {}
        self.classifications: dict[str, dict] = {}
        self.attributes: dict[str, dict] = {}
        self.options: dict[str, dict] = {}
        self.templates: dict[str, dict] = {}
        self.present = bool(data)
        for obj in data.get("objects") or []:
            if isinstance(obj, dict) and obj.get("featureNodeHash"):
                self.objects[obj["featureNodeHash"]] = obj
                self._index(obj.get("attributes") or [])
        for cls in data.get("classifications") or []:
            if isinstance(cls, dict) and cls.get("featureNodeHash"):
                self.classifications[cls["featureNodeHash"]] = cls
                self._index(cls.get("attributes") or [])
        for entry in data.get("skeleton_templates") or []:
            template = entry.get("template", entry) if isinstance(entry, dict) else None
            if not isinstance(template, dict):
                continue
            # Both spellings occur in real ontologies.
            key = template.get("feature_node_hash") or template.get("featureNodeHash")
            if key:
                self.templates[key] = template
            if template.get("name"):
                self.templates.setdefault(f"name:{template['name']}", template)

    def _index(self, attributes: list) -> None:
        for attribute in attributes:
            if not isinstance(attribute, dict):
                continue
            if attribute.get("featureNodeHash"):
                self.attributes[attribute["featureNodeHash"]] = attribute
            for option in attribute.get("options") or []:
                if not isinstance(option, dict):
                    continue
                if option.get("featureNodeHash"):
                    self.options[option["featureNodeHash"]] = option
                self._index(option.get("options") or [])

    def template_for(self, feature_hash: str | None, name: str | None) -> dict | None:
        """The skeleton template of an ontology object (by hash, then by name)."""
        return self.templates.get(feature_hash or "") or self.templates.get(f"name:{name}")

    def tree_of(self, feature: str | None) -> list | None:
        """The attribute tree of an ontology object, None without an ontology."""
        if not self.present:
            return None
        return (self.objects.get(feature or "") or {}).get("attributes")


def skeleton_of(template: dict) -> tuple[Skeleton, dict[str, int], dict[str, int]]:
    """Skeleton (names, edges, colours) plus point index by featureHash and by key."""
    points = template.get("skeleton") or {}
    if isinstance(points, list):
        points = {str(i): point for i, point in enumerate(points)}
    keys = sorted(points, key=int)
    names = tuple(str(points[k].get("name") or k) for k in keys)
    by_key = {k: i for i, k in enumerate(keys)}
    by_hash = {
        points[k]["featureHash"]: i for i, k in enumerate(keys) if points[k].get("featureHash")
    }
    edges_raw = template.get("skeletonEdges") or template.get("skeletonedges") or {}
    edges = []
    for start, ends in edges_raw.items():
        for end in ends or {}:
            if str(start) in by_key and str(end) in by_key:
                edges.append((by_key[str(start)], by_key[str(end)]))
    colors = tuple(rgb(points[k].get("color")) for k in keys)
    return Skeleton(names=names, edges=tuple(edges), colors=colors), by_hash, by_key


def load_ontology(path: Path, ctx: ReadContext) -> Ontology:
    """The ontology named by ctx.ontology, else the export's `<stem>.ontology.json`, else none.

    One that cannot be read is a warning: the labels still load without it.
    """
    candidate = ctx.ontology
    if candidate is None:
        sibling = path.with_name(path.name.removesuffix(".json") + ONTOLOGY_SUFFIX)
        if path.name.endswith(".json") and sibling.is_file() and sibling != path:
            candidate = sibling
    if candidate is None:
        return Ontology(None)
    candidate = Path(candidate)
    try:
        data = load_json(candidate)
    except FormatError as error:
        ctx.warn(error.where, f"ontology not used: {error.message}", file=candidate)
        return Ontology(None)
    if not isinstance(data, dict):
        ctx.warn("", "ontology not used: expected a JSON object", file=candidate)
        return Ontology(None)
    try:
        return Ontology(data, candidate)
    except BAD_VALUE as error:
        ctx.warn("", f"ontology not used: {describe(error)}", file=candidate)
        return Ontology(None)
