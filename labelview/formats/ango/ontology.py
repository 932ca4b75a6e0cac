"""The project ontology (`categorySchema`): titles, colours and tools by schemaId, option values,
stages. Optional: `--ontology`, or a sibling `*.ontology.json`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from labelview.formats.base import ReadContext, load_json

_MAX_DEPTH = 64  # nested classifications deeper than this are cut (malformed input)


@dataclass(slots=True)
class _Ontology:
    schemas: dict[str, dict] = field(default_factory=dict)  # schemaId -> tool/classification entry
    options: dict[str, str] = field(default_factory=dict)  # option schemaId -> value
    stages: dict[str, dict] = field(default_factory=dict)  # stage id -> {name, type, …}
    file: str | None = None

    def brush_classes(self) -> dict[int, tuple[str, str]]:
        """Packed 0xRRGGBB colour -> (title, schemaId) of every brush class."""
        found = {}
        for schema_id, entry in self.schemas.items():
            if entry.get("tool") == "brush" and isinstance(entry.get("title"), str):
                color = _rgb(entry.get("color"))
                if color is not None:
                    r, g, b = color
                    found[(r << 16) | (g << 8) | b] = (entry["title"], schema_id)
        return found


def _ontology_path(path: Path, ctx: ReadContext) -> Path | None:
    if ctx.ontology is not None:
        return Path(ctx.ontology)
    named = path.with_name(f"{path.stem}.ontology.json")
    if named.is_file():
        return named
    siblings = sorted(path.parent.glob("*.ontology.json"))
    return siblings[0] if len(siblings) == 1 else None


def _load_ontology(path: Path, ctx: ReadContext) -> _Ontology:
    found = _ontology_path(path, ctx)
    ontology = _Ontology()
    if found is None:
        return ontology
    try:
        raw = load_json(found, ctx)
    except Exception as error:  # a broken companion must not stop the export from loading
        ctx.warn(
            "", f"ontology not read, colours and brush classes unavailable: {error}", file=found
        )
        return ontology
    ontology.file = found.name
    project = raw
    if isinstance(raw, dict):
        project = raw.get("data", raw)
        if isinstance(project, dict):
            project = project.get("project", project)
    schema = project.get("categorySchema", project) if isinstance(project, dict) else None
    if not isinstance(schema, dict) or not any(
        isinstance(schema.get(k), list) for k in ("tools", "classifications", "relations")
    ):
        ctx.warn(
            "", "no categorySchema (tools, classifications, relations) found; ignored", file=found
        )
        return ontology
    _collect_schema(schema, ontology, 0)
    stages = project.get("stages") if isinstance(project, dict) else None
    for stage in stages if isinstance(stages, list) else ():
        if isinstance(stage, dict) and stage.get("id") is not None:
            ontology.stages[str(stage["id"])] = stage
    return ontology


def _collect_schema(node: Any, ontology: _Ontology, depth: int) -> None:
    """Every entry with a schemaId: tools/classifications by id, options as id -> value."""
    if depth > _MAX_DEPTH:
        return
    if isinstance(node, list):
        for child in node:
            _collect_schema(child, ontology, depth + 1)
        return
    if not isinstance(node, dict):
        return
    schema_id = node.get("schemaId")
    if isinstance(schema_id, str):
        if "tool" in node or ("title" in node and "value" not in node):
            ontology.schemas[schema_id] = node
        value = node.get("value", node.get("title"))
        if "value" in node and isinstance(value, str):
            ontology.options[schema_id] = value
    for child in node.values():
        if isinstance(child, list | dict):
            _collect_schema(child, ontology, depth + 1)


def _rgb(color: Any) -> tuple[int, int, int] | None:
    if isinstance(color, str) and re.fullmatch(r"#?[0-9a-fA-F]{6}", color.strip()):
        value = color.strip().lstrip("#")
        return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)
    return None
