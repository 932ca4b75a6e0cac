"""Dataloop ontologies and recipes: label paths, colours, v2 attribute titles, pose templates."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True)
class Ontology:
    labels: dict[str, dict[str, Any]] = field(default_factory=dict)  # dotted tag -> value
    titles: dict[str, str] = field(default_factory=dict)  # v2 attribute key -> title
    templates: dict[str, dict[str, Any]] = field(default_factory=dict)  # pose template id -> it


def is_ontology(value: Any) -> bool:
    if isinstance(value, dict):
        return isinstance(value.get("roots"), list) or isinstance(value.get("ontology"), dict)
    return (
        isinstance(value, list)
        and bool(value)
        and isinstance(value[0], dict)
        and isinstance(value[0].get("value"), dict)
        and "tag" in value[0]["value"]
    )


def parse_ontology(value: Any) -> Ontology:
    """Labels (dotted paths), v2 attribute titles and pose templates of an ontology or recipe."""
    onto = Ontology()
    sources = [value]
    if isinstance(value, dict) and isinstance(value.get("ontology"), dict):
        sources.append(value["ontology"])
    for source in sources:
        roots = source if isinstance(source, list) else source.get("roots") or []

        def walk(nodes: list, prefix: str) -> None:
            for node in nodes:
                if not isinstance(node, dict) or not isinstance(node.get("value"), dict):
                    continue
                tag = str(node["value"].get("tag", ""))
                if not tag:
                    continue
                path = f"{prefix}.{tag}" if prefix else tag
                onto.labels[path] = node["value"]
                walk(node.get("children") or [], path)

        walk(roots, "")
        if isinstance(source, dict):
            meta = source.get("metadata") or {}
            for definition in meta.get("attributes") or []:
                if isinstance(definition, dict) and definition.get("key") is not None:
                    title = (definition.get("scriptData") or {}).get("title")
                    if title:
                        onto.titles[str(definition["key"])] = str(title)
            for template in (meta.get("system") or {}).get("collectionTemplates") or []:
                if isinstance(template, dict) and template.get("id") is not None:
                    onto.templates[str(template["id"])] = template
    return onto


def hex_color(value: Any) -> tuple[int, int, int] | None:
    if isinstance(value, str) and re.fullmatch(r"#?[0-9a-fA-F]{6}", value.strip()):
        text = value.strip().lstrip("#")
        return int(text[0:2], 16), int(text[2:4], 16), int(text[4:6], 16)
    if isinstance(value, list | tuple) and len(value) >= 3:
        try:
            return int(value[0]), int(value[1]), int(value[2])
        except (TypeError, ValueError):
            return None
    return None


# --- input documents ------------------------------------------------------------------------------
