"""Ango Hub (iMerit) exports: v3 (`task` dict) and v2 (`tasks` list), as JSON, NDJSON or a zip.

Spec: shared/formats/ango.md. Geometry is in absolute pixels with a top-left origin, so only boxes
(negative sizes: (x, y) is the first click) and rotated boxes need converting. Rotated boxes:
`corners` win (Ango lists them (0,0), (0,h), (w,h), (w,0) in the box frame); without them (x, y) is
the *rotated* first corner and the pivot — the convention the docs' export example checks out
against (§4.3) — and one warning says how many boxes relied on it.

Brush masks are one PNG per task (`brushDataUrl`, a signed URL that expires): read when a local copy
is found (--url-map, beside the export or in --images, by the URL's file name or `<taskId>.png`);
colours map to classes through the ontology (`--ontology` or a sibling `*.ontology.json`), without
one each colour becomes a category. v2 assets with several tasks keep every task's objects, tagged
with their task (`extra.task`, `extra.task_index`) and labeler (`created_by`), with a warning per
asset. Tools without a drawable shape (ner, pdf, pct, medical-brush, unknown keys) stay as objects
with no geometry, their data in `extra`. Video: `page` is the frame, `objectId` the track, an
`interpolationStopped` entry ends the track (not drawn); per-frame answers merge into frame ranges.
Stage history entries become StageEvents (review verdicts as actions); the annotation snapshots they
carry are kept as counts only.
"""

from __future__ import annotations

import io
import math
import re
import zipfile
import zlib
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO, Any

import numpy as np
import orjson

from labelview.formats.base import (
    Confidence,
    Detection,
    Format,
    Probe,
    ReadContext,
    gc_paused,
    load_json,
)
from labelview.images import ImageFinder, default_roots, image_size, reference_parts
from labelview.model import (
    Answer,
    Box,
    Dataset,
    Frame,
    Item,
    LazyMask,
    Mask,
    ObjectLabel,
    Point,
    Polygon,
    Polyline,
    Relation,
    RotatedBox,
    StageEvent,
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
_VIDEO_SUFFIXES = frozenset({".mp4", ".webm", ".mov", ".avi", ".mkv", ".m4v", ".ogv"})
_HEX_ID = re.compile(r"^[0-9a-f]{23,24}$")
_MAX_LOCATED = 20  # located warnings of one kind before the rest are only counted
_MAX_DEPTH = 64  # nested classifications deeper than this are cut (malformed input)
_PROGRESS_EVERY = 200
_MAX_FRAMES = 200_000  # a bigger frameTotal is kept in extra only (no Frame per frame)


# --- detection ------------------------------------------------------------------------------------


def detect(probe: Probe) -> Detection:
    """Ango: `externalId` with `task`/`tasks`; certain on Ango-only keys (hyphenated tools, …)."""
    if probe.is_dir:
        return Detection(Confidence.NO, "a folder, not an Ango export")
    text = probe.text
    if probe.is_zip:
        text = _zip_head(probe.head)
        if not text:
            json_members = [n for n in probe.names if n.lower().endswith((".json", ".ndjson"))]
            if json_members:
                return Detection(Confidence.WEAK, "a zip holding JSON")
            return Detection(Confidence.NO, "a zip without JSON")
    elif probe.suffix not in (".json", ".ndjson", ".jsonl"):
        return Detection(Confidence.NO, f"suffix {probe.suffix}")
    start = text.lstrip()[:1]
    if not start or start not in "[{":
        return Detection(Confidence.NO, "not JSON")
    has_external = '"externalId"' in text
    has_task = '"task"' in text or '"tasks"' in text
    ango_only = (
        '"stageHistory"' in text
        or '"brushDataUrl"' in text
        or '"rotated-bounding-box"' in text
        or ('"bounding-box"' in text and '"schemaId"' in text)
        or ("angohub-" in text and has_external)
    )
    if has_external and has_task and ango_only:
        return Detection(Confidence.CERTAIN, "Ango assets (externalId, task(s), Ango tool keys)")
    if has_external and has_task and '"asset"' in text:
        return Detection(Confidence.LIKELY, "assets with externalId and task(s), like Ango")
    if probe.is_zip:
        return Detection(Confidence.WEAK, "a zip holding JSON without Ango keys")
    if probe.suffix in (".ndjson", ".jsonl"):
        return Detection(Confidence.WEAK, "NDJSON suffix")
    return Detection(Confidence.WEAK, "JSON suffix")


def _zip_head(head: bytes) -> str:
    """The first member's first bytes as text (stored or deflated), from the probe head only."""
    if len(head) < 30 or not head.startswith(b"PK\x03\x04"):
        return ""
    method = int.from_bytes(head[8:10], "little")
    start = 30 + int.from_bytes(head[26:28], "little") + int.from_bytes(head[28:30], "little")
    body = head[start:]
    if method == 0:
        raw = body
    elif method == 8:
        try:
            raw = zlib.decompressobj(-15).decompress(body, 64 * 1024)
        except zlib.error:
            return ""
    else:
        return ""
    return raw.decode("utf-8", errors="replace").lstrip("\ufeff")


# --- input: zip / JSON / NDJSON -----------------------------------------------------------------


@dataclass(slots=True)
class _Source:
    """The assets of one file or zip member, each with its where-prefix (`[3]`, `line 4:`)."""

    assets: Iterator[tuple[str, Any]]
    total: int  # assets (JSON) or bytes (NDJSON) for progress
    done: Callable[[], int]


def _sources(path: Path, ctx: ReadContext) -> Iterator[_Source]:
    try:
        is_zip = zipfile.is_zipfile(path)
    except OSError as error:
        raise ctx.fail("", f"cannot read: {error.strerror or error}") from error
    if not is_zip:
        try:
            with path.open("rb") as stream:
                yield _source_of(path, stream, path.stat().st_size, "", ctx)
        except OSError as error:
            raise ctx.fail("", f"cannot read: {error.strerror or error}") from error
        return
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as error:
        raise ctx.fail("", f"not a readable zip: {error}") from error
    with archive:
        infos = {info.filename: info for info in archive.infolist() if not info.is_dir()}
        names = list(infos)
        members = [n for n in names if n.lower().endswith((".json", ".ndjson", ".jsonl"))]
        if not members and names:
            # The SDK reads namelist()[0] whatever its name: accept a first member that is JSON.
            with archive.open(names[0]) as stream:
                first = stream.read(4096).lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
            members = [names[0]] if first in (b"[", b"{") else []
        if not members:
            listed = ", ".join(names[:5]) or "none"
            raise ctx.fail("", f"the zip holds no JSON or NDJSON export (members: {listed})")
        skipped = [n for n in names if n not in members]
        if skipped:
            ctx.warn("", f"zip members that are not JSON were ignored: {', '.join(skipped[:5])}")
        for name in members:
            # Streamed from the archive: nothing is extracted to disk.
            with archive.open(name) as stream:
                yield _source_of(path, stream, infos[name].file_size, name, ctx)


def _source_of(path: Path, stream: IO[bytes], size: int, label: str, ctx: ReadContext) -> _Source:
    prefix = f"{label}: " if label else ""
    first = stream.readline()
    if first.startswith(b"\xef\xbb\xbf"):
        first = first[3:]
    if first.lstrip()[:1] == b"{":
        try:
            head = orjson.loads(first)
        except orjson.JSONDecodeError:
            head = None
        if isinstance(head, dict):
            # A whole asset on the first line: NDJSON, streamed line by line (big video exports).
            return _ndjson(stream, first, head, size, prefix, ctx)
    raw = first + stream.read()
    start = raw.lstrip()[:1]
    root: Any = None
    if start == b"[":
        root = load_json(Path(label) if label else path, ctx, data=raw)
    elif start == b"{":
        try:
            root = orjson.loads(raw)
        except orjson.JSONDecodeError:
            return _ndjson(io.BytesIO(raw), b"", None, size, prefix, ctx)
    else:
        raise ctx.fail(label, "not an Ango export: expected a JSON array, an object or NDJSON")
    del raw
    if isinstance(root, dict):
        root = [root]  # one asset object (the docs' asset example)
    if not isinstance(root, list):
        raise ctx.fail(label, f"not an Ango export: top level is {type(root).__name__}")
    counter = [0]

    def assets() -> Iterator[tuple[str, Any]]:
        for index, asset in enumerate(root):
            counter[0] = index
            yield f"{prefix}[{index}]", asset

    return _Source(assets(), len(root), lambda: counter[0])


def _ndjson(
    stream: IO[bytes], first: bytes, parsed: Any, size: int, prefix: str, ctx: ReadContext
) -> _Source:
    position = [0]

    def assets() -> Iterator[tuple[str, Any]]:
        offset = len(first)
        position[0] = offset
        if first:
            yield f"{prefix}line 1:", parsed
        for number, line in enumerate(stream, start=2 if first else 1):
            offset += len(line)
            position[0] = offset
            line = line.strip()
            if not line:
                continue
            at = f"{prefix}line {number}:"
            try:
                asset = orjson.loads(line)
            except orjson.JSONDecodeError as error:
                ctx.error(at.rstrip(":"), f"invalid JSON, asset skipped (truncated line?): {error}")
                continue
            yield at, asset

    return _Source(assets(), size, lambda: position[0])


def _at(base: str, path: str) -> str:
    """Join an asset's where-prefix (`[3]` or `line 4:`) and a path inside it."""
    if not path:
        return base.rstrip(":")
    if base.endswith(":"):
        return f"{base} {path}"
    return f"{base}{path}" if path.startswith("[") else f"{base}.{path}"


# --- ontology (categorySchema) --------------------------------------------------------------------


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


# --- the reader ---------------------------------------------------------------------------------


def read(path: Path, ctx: ReadContext) -> Dataset:
    """Read an Ango Hub export (JSON array, single asset, NDJSON, or a zip of those)."""
    reader = _Reader(path, ctx, _load_ontology(path, ctx))
    # One pause for the whole read: re-enabling the GC between assets makes it walk the whole
    # parsed export again and again (measured: 2.5× slower on a 100 MB export).
    with gc_paused():
        for source in _sources(path, ctx):
            for count, (at, asset) in enumerate(source.assets):
                ctx.check_cancelled()
                if count % _PROGRESS_EVERY == 0:
                    ctx.progress(source.done(), source.total)
                reader.asset(at, asset)
            ctx.progress(source.total, source.total)
    reader.finish()
    if not reader.dataset.items and not reader.seen:
        raise ctx.fail("", "no assets in the export")
    return reader.dataset


class _Skipped(Exception):
    """A malformed object, already warned about."""


# Ango tool names as the model's shape kinds (Category.shape).
_SHAPES = {
    "bounding-box": "box",
    "rotated-bounding-box": "rotated_box",
    "polygon": "polygon",
    "polyline": "polyline",
    "point": "point",
    "segmentation": "polygon",
    "brush": "mask",
}


class _Reader:
    def __init__(self, path: Path, ctx: ReadContext, ontology: _Ontology) -> None:
        self.path = path
        self.ctx = ctx
        self.ontology = ontology
        self.dataset = Dataset()
        self.dataset.meta["ango"] = {"ontology": ontology.file, "generations": Counter()}
        self.finder = ImageFinder(default_roots(path, ctx.images_dir))
        self.url_map = self._load_url_map()
        self.ids: set[str] = set()
        self.seen = 0
        self.warned: Counter[str] = Counter()
        self.undrawn: Counter[str] = Counter()
        self.inferred_rotation = 0
        self.strings: dict[str, str] = {}

    def shared(self, value: Any) -> Any:
        """One copy of each short repeated string (titles, answers, emails): parsed JSON makes a new
        str object per occurrence, ~60 bytes each, several per object.
        """
        if isinstance(value, str) and len(value) <= 64:
            return self.strings.setdefault(value, value)
        return value

    # -- warnings ---------------------------------------------------------------------------------

    def warn(self, kind: str, where: str, message: str, **ids: str | None) -> None:
        """A located warning; after _MAX_LOCATED of one kind, the rest are only counted."""
        self.warned[kind] += 1
        if self.warned[kind] <= _MAX_LOCATED:
            self.ctx.warn(where, message, **ids)

    def finish(self) -> None:
        for kind, count in self.warned.items():
            if count > _MAX_LOCATED:
                self.ctx.warn("", f"{count - _MAX_LOCATED:,} more warnings like: {kind}")
        if self.undrawn:
            listed = ", ".join(f"{tool} {n:,}" for tool, n in self.undrawn.most_common())
            self.ctx.warn("", f"objects kept without a drawable shape (data in extra): {listed}")
        if self.inferred_rotation:
            self.ctx.warn(
                "",
                f"{self.inferred_rotation:,} rotated boxes have no corners: (x, y) taken as the "
                "rotated first corner and pivot (the export convention); check them",
            )
        generations = self.dataset.meta["ango"]["generations"]
        self.dataset.meta["ango"]["generations"] = dict(generations)

    def _load_url_map(self) -> dict[str, str]:
        if self.ctx.url_map is None:
            return {}
        try:
            mapping = load_json(Path(self.ctx.url_map), self.ctx)
        except Exception as error:  # the map only helps find files; the export still loads
            self.ctx.warn("", f"url map not read: {error}", file=self.ctx.url_map)
            return {}
        if not isinstance(mapping, dict):
            self.ctx.warn("", "url map is not a JSON object; ignored", file=self.ctx.url_map)
            return {}
        base = Path(self.ctx.url_map).parent
        return {str(k): str(base / str(v)) for k, v in mapping.items()}

    def mapped(self, reference: str | None) -> Path | None:
        """The --url-map file for a URL (with or without its signed query string), if it exists."""
        if not reference or not self.url_map:
            return None
        for key in (reference, reference.split("?", 1)[0]):
            mapped = self.url_map.get(key)
            if mapped and Path(mapped).is_file():
                return Path(mapped)
        return None

    def local_file(self, reference: str | None) -> Path | None:
        """A local copy of a URL or file name: --url-map first, then beside the export/--images."""
        if not reference:
            return None
        return self.mapped(reference) or self.finder.find(reference)

    # -- assets -----------------------------------------------------------------------------------

    def asset(self, at: str, asset: Any) -> None:
        self.seen += 1
        if not isinstance(asset, dict):
            self.ctx.error(_at(at, ""), f"asset is {type(asset).__name__}, not an object; skipped")
            return
        try:
            item = self._item(at, asset)
        except (KeyError, TypeError, ValueError, IndexError, AttributeError) as error:
            self.ctx.error(_at(at, ""), f"asset skipped: {error!r}")
            return
        if item is not None:
            self.dataset.items.append(item)

    def _item(self, at: str, asset: dict) -> Item | None:
        task = asset.get("task")
        tasks_raw = asset.get("tasks")
        if isinstance(task, dict):
            generation, tasks, geom_key, task_path = "v3", [task], "tools", ["task"]
        elif isinstance(tasks_raw, list):
            generation, geom_key = "v2", "objects"
            tasks = [t for t in tasks_raw if isinstance(t, dict)]
            task_path = [f"tasks[{i}]" for i, t in enumerate(tasks_raw) if isinstance(t, dict)]
            if len(tasks) < len(tasks_raw):
                self.ctx.warn(_at(at, "tasks"), "task entries that are not objects were skipped")
        else:
            self.ctx.error(
                _at(at, ""),
                "asset has neither a `task` object (v3) nor a `tasks` list (v2); skipped",
            )
            return None
        self.dataset.meta["ango"]["generations"][generation] += 1

        external = asset.get("externalId")
        external = str(external) if external not in (None, "") else None
        url = asset.get("asset") if isinstance(asset.get("asset"), str) else None
        url_name = reference_parts(url).name if url else ""
        item_id = self._item_id(asset, tasks, at)
        name = external or url_name or item_id
        image = external if external and PurePosixPath(external).suffix else (url or external)

        metadata = asset.get("metadata") if isinstance(asset.get("metadata"), dict) else {}
        pages = asset.get("dataset") if isinstance(asset.get("dataset"), list) else None
        frame_total = metadata.get("frameTotal")
        suffix = PurePosixPath(url_name or external or "").suffix.lower()
        if pages:
            kind = "group"
        elif frame_total or metadata.get("frameRate") or suffix in _VIDEO_SUFFIXES:
            kind = "video"
        elif suffix == ".dcm":
            kind = "dicom"
        else:
            kind = "image"
        if kind == "image" and any(
            isinstance(o, dict) and isinstance(o.get("page"), int) and o["page"] > 0
            for t in tasks
            for o in (t.get(geom_key) if isinstance(t.get(geom_key), list) else ())
        ):
            kind = "sequence"
        multi_frame = kind != "image"

        item = Item(id=item_id, name=name, kind=kind, image=image, image_path=self.mapped(url))
        width, height = metadata.get("width"), metadata.get("height")
        if _positive_int(width) and _positive_int(height):
            item.width, item.height = int(width), int(height)
        if isinstance(metadata.get("frameRate"), int | float) and metadata["frameRate"] > 0:
            item.fps = float(metadata["frameRate"])
        if pages:
            item.frames = [
                Frame(index=i, image=p, name=reference_parts(p).name, image_path=self.mapped(p))
                for i, p in enumerate(pages)
                if isinstance(p, str)
            ]
        elif kind == "video" and _positive_int(frame_total) and frame_total <= _MAX_FRAMES:
            item.frames = [Frame(index=i) for i in range(int(frame_total))]

        extra = {k: v for k, v in asset.items() if k not in ("task", "tasks", "dataset")}
        extra["generation"] = generation
        if isinstance(extra.get("batches"), list):
            extra["batches"] = [b for b in extra["batches"] if b is not None]
        item.extra = extra

        multi = len(tasks) > 1
        for index, (one, path) in enumerate(zip(tasks, task_path, strict=True)):
            tag = (
                {"task": one.get("taskId"), "task_index": index, "labeler": one.get("completedBy")}
                if multi
                else None
            )
            self._task(_at(at, path), one, geom_key, item, tag, multi_frame=multi_frame)
        if generation == "v3":
            self._v3_status(at, tasks[0], item)
        else:
            self._v2_status(asset, tasks, item)
        if multi:
            labelers = ", ".join(str(t.get("completedBy") or "?") for t in tasks)
            self.ctx.warn(
                _at(at, "tasks"),
                f"asset has {len(tasks)} tasks ({labelers}): every task's objects are shown, "
                "each tagged with its task (extra.task) and labeler (created_by)",
                item=item.id,
            )
        self._size(at, item, external, url)
        return item

    def _item_id(self, asset: dict, tasks: list[dict], at: str) -> str:
        candidates = [asset.get("assetId"), *(t.get("taskId") for t in tasks[:1])]
        base = next((str(c) for c in candidates if c not in (None, "")), None)
        if base is None:
            base = f"asset-{self.seen - 1}"
        item_id = base
        if item_id in self.ids:
            item_id = f"{base}#{self.seen - 1}"
            self.ctx.warn(_at(at, ""), f"duplicate asset id {base!r}; this one is {item_id!r}")
        self.ids.add(item_id)
        return item_id

    def _size(self, at: str, item: Item, external: str | None, url: str | None) -> None:
        brush_size = item.extra.pop("brush_size", None)
        if item.width and item.height:
            return
        for found in (item.image_path, self.local_file(external), self.local_file(url)):
            size = image_size(found) if found is not None else None
            if size:
                item.width, item.height = size
                return
        if brush_size:
            item.width, item.height = brush_size
            return
        bounds = [obj.geometry.bounds() for obj in item.objects if obj.geometry is not None]
        if bounds:
            item.width = max(1, math.ceil(max(b[2] for b in bounds)))
            item.height = max(1, math.ceil(max(b[3] for b in bounds)))
            self.warn(
                "image size taken from the annotations' extent",
                _at(at, "metadata"),
                f"no width/height in metadata and no local image: size taken from the "
                f"annotations' extent ({item.width}×{item.height}), the image may be larger",
                item=item.id,
            )
        else:
            self.warn(
                "image size unknown",
                _at(at, "metadata"),
                "no width/height in metadata and no local image: size unknown",
                item=item.id,
            )

    # -- tasks ------------------------------------------------------------------------------------

    def _task(
        self,
        at: str,
        task: dict,
        geom_key: str,
        item: Item,
        tag: dict | None,
        *,
        multi_frame: bool,
    ) -> None:
        labeler = task.get("completedBy") if isinstance(task.get("completedBy"), str) else None
        tools = task.get(geom_key)
        if tools is None and geom_key == "objects" and isinstance(task.get("tools"), list):
            tools = task["tools"]  # a v2-shaped asset with v3-named tools: take them anyway
        if tools is not None and not isinstance(tools, list):
            self.ctx.warn(_at(at, geom_key), f"{geom_key} is not a list; ignored", item=item.id)
            tools = None
        known_ids: set[str] = set()
        for index, entry in enumerate(tools or ()):
            where = _at(at, f"{geom_key}[{index}]")
            if not isinstance(entry, dict):
                self.warn(
                    "tool entry not an object",
                    where,
                    "tool entry is not an object; skipped",
                    item=item.id,
                )
                continue
            try:
                obj = self._object(where, entry, item, tag, labeler, multi_frame=multi_frame)
            except _Skipped:
                continue
            except (KeyError, TypeError, ValueError, IndexError, AttributeError) as error:
                self.warn(
                    "bad tool",
                    where,
                    f"object skipped: {error}",
                    item=item.id,
                    obj=_str(entry.get("objectId")),
                )
                continue
            if obj is not None:
                item.objects.append(obj)
                if obj.id:
                    known_ids.add(obj.id)
        self._brush(at, task, item, tag)

        classes = task.get("classifications")
        if isinstance(classes, list):
            answers = self._answers(_at(at, "classifications"), classes, item, 0)
            for answer in _merge_frames(answers) if multi_frame else answers:
                if tag is not None:
                    answer.extra = {**(answer.extra or {}), "task": tag["task"]}
                item.classifications.append(answer)
        relations = task.get("relations")
        if isinstance(relations, list):
            for index, entry in enumerate(relations):
                relation = self._relation(_at(at, f"relations[{index}]"), entry, item, known_ids)
                if relation is not None:
                    if tag is not None:
                        relation.extra = {**(relation.extra or {}), "task": tag["task"]}
                    item.relations.append(relation)

    def _object(
        self,
        where: str,
        entry: dict,
        item: Item,
        tag: dict | None,
        labeler: str | None,
        *,
        multi_frame: bool,
    ) -> ObjectLabel | None:
        object_id = _str(entry.get("objectId"))
        page = entry.get("page")
        frame = page if isinstance(page, int) and (multi_frame or page > 0) else None
        if entry.get("interpolationStopped"):
            # The track ends on this frame: iMerit's own tools draw and count nothing here.
            ends = item.extra.setdefault("track_ends", {})
            if object_id is not None:
                ends[object_id] = page
            return None
        title = entry.get("title")
        schema_id = _str(entry.get("schemaId"))
        if not isinstance(title, str) or not title:
            schema = self.ontology.schemas.get(schema_id or "")
            title = schema.get("title") if schema else None
            if not isinstance(title, str) or not title:
                title = schema_id or "unknown"
                self.warn(
                    "object without title",
                    where,
                    f"no title: named {title!r}",
                    item=item.id,
                    obj=object_id,
                )

        geometry, tool, extra = self._geometry(where, entry, item, object_id)
        category = self.dataset.categories.get(title)
        if category is None:
            schema = self.ontology.schemas.get(schema_id or "", {})
            kind = schema.get("tool") or tool
            category = self.dataset.category(
                title,
                id=schema_id,
                color=_rgb(schema.get("color")),
                shape=_SHAPES.get(kind or "", kind),
            )
        elif schema_id and category.id != schema_id:
            # One title, several schemas (e.g. a box and a polygon tool both called "car").
            ids = category.extra.setdefault("schemaIds", [category.id])
            if schema_id not in ids:
                ids.append(schema_id)

        if extra.get("schemaId") == category.id:
            del extra["schemaId"]  # the category holds it: no dict per object for a million boxes
        metadata = entry.get("metadata") if isinstance(entry.get("metadata"), dict) else {}
        left = {
            k: v
            for k, v in metadata.items()
            if k not in ("createdBy", "createdAt", "updatedBy", "updatedAt")
        }
        if left:
            extra["metadata"] = left
        if tag is not None:
            extra.update(tag)
        attributes = []
        classes = entry.get("classifications")
        if isinstance(classes, list) and classes:
            attributes = self._answers(_at(where, "classifications"), classes, item, 0)
        confidence = entry.get("confidence")
        shared = self.shared
        return ObjectLabel(
            category=category.name,
            geometry=geometry,
            id=object_id,
            frame=frame,
            track=object_id if multi_frame else None,  # the same objectId on every frame
            attributes=attributes,
            confidence=float(confidence) if _is_number(confidence) else None,
            # "import" marks uploaded labels (pre-labels or migrated work): origin unknown.
            source=None if metadata.get("createdBy") == "import" else "manual",
            created_by=shared(_str(metadata.get("createdBy"))) or labeler,
            created_at=_time(metadata.get("createdAt")),
            updated_by=shared(_str(metadata.get("updatedBy"))),
            updated_at=_time(metadata.get("updatedAt")),
            extra=extra or None,
        )

    def _geometry(
        self, where: str, entry: dict, item: Item, object_id: str | None
    ) -> tuple[Geometry | None, str | None, dict]:
        """(geometry or None, tool key, the entry's leftover keys for `extra`)."""
        extra = {k: v for k, v in entry.items() if k not in _CONSUMED and k not in _DRAWN}
        for tool in _DRAWN:
            if tool in entry:
                try:
                    return self._shape(tool, entry[tool]), tool, extra
                except (KeyError, TypeError, ValueError, IndexError, AttributeError) as error:
                    self.warn(
                        f"bad {tool}",
                        _at(where, tool),
                        f"{tool} skipped: {error}",
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
            x, y, w, h = (_number(data[k], k) for k in ("x", "y", "width", "height"))
            return Box.from_corners(x, y, x + w, y + h)  # (x, y) is the first click: w, h < 0 ok
        if tool == "rotated-bounding-box":
            return self._rotated(data)
        if tool == "polygon":
            return Polygon.from_points(data)
        if tool == "polyline":
            return Polyline.from_points(data)
        if tool == "point":
            if isinstance(data, dict):
                return Point(_number(data["x"], "x"), _number(data["y"], "y"))
            if len(data) != 2:
                raise ValueError(f"a point needs [x, y], got {len(data)} numbers")
            return Point(_number(data[0], "x"), _number(data[1], "y"))
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
        x, y, w, h = (_number(data[k], k) for k in ("x", "y", "width", "height"))
        angle = _number(data.get("rotation", 0.0), "rotation")
        theta = math.radians(angle)
        cos, sin = math.cos(theta), math.sin(theta)
        # (x, y) is the rotated first corner; the centre is (x, y) + R·(w/2, h/2).
        cx = x + cos * w / 2 - sin * h / 2
        cy = y + sin * w / 2 + cos * h / 2
        self.inferred_rotation += 1
        return RotatedBox(cx, cy, abs(w), abs(h), angle)

    # -- brush ------------------------------------------------------------------------------------

    def _brush(self, at: str, task: dict, item: Item, tag: dict | None) -> None:
        url = task.get("brushDataUrl")
        if not isinstance(url, str) or not url:
            return
        where = _at(at, "brushDataUrl")
        found = self.local_file(url)
        task_id = _str(task.get("taskId"))
        if found is None and task_id:
            found = self.finder.find(f"{task_id}.png")
        if found is None:
            self.warn(
                "brush mask not found",
                where,
                f"brush mask {reference_parts(url).name!r} not found locally (the URL "
                "expires; save the PNG beside the export or map it with --url-map)",
                item=item.id,
            )
            return
        try:
            from PIL import Image

            with Image.open(found) as image:
                rgba = np.asarray(image.convert("RGBA"))
        except (OSError, ValueError) as error:
            self.warn(
                "brush mask unreadable",
                where,
                f"brush mask {found.name} unreadable: {error}",
                item=item.id,
            )
            return
        height, width = rgba.shape[:2]
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
                    created_by=_str(task.get("completedBy")) or _str(task.get("updatedBy")),
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

    # -- classifications and relations -------------------------------------------------------------

    def _answers(self, where: str, entries: list, item: Item, depth: int) -> list[Answer]:
        answers = []
        if depth > _MAX_DEPTH:
            self.warn(
                "classifications nested too deep",
                where,
                f"classifications nested deeper than {_MAX_DEPTH}; cut",
                item=item.id,
            )
            return answers
        for index, entry in enumerate(entries):
            at = f"{where}[{index}]"
            if not isinstance(entry, dict):
                self.warn(
                    "classification not an object",
                    at,
                    "classification is not an object; skipped",
                    item=item.id,
                )
                continue
            if entry.get("interpolationStopped"):
                continue
            title = entry.get("title")
            if not isinstance(title, str) or not title:
                schema = self.ontology.schemas.get(_str(entry.get("schemaId")) or "", {})
                title = schema.get("title") or _str(entry.get("schemaId")) or "unknown"
            page = entry.get("page")
            nested = entry.get("classifications")
            children = (
                self._answers(f"{at}.classifications", nested, item, depth + 1)
                if isinstance(nested, list) and nested
                else []
            )
            metadata = entry.get("metadata") if isinstance(entry.get("metadata"), dict) else {}
            shared = self.shared
            extra = {
                k: shared(v) if k in ("schemaId", "tool") else v
                for k, v in entry.items()
                if k not in ("title", "answer", "classifications", "page")
            }
            value = self._resolve(entry.get("answer"))
            answers.append(
                Answer(
                    name=shared(title),
                    value=shared(value),
                    children=children,
                    frames=(page, page) if isinstance(page, int) else None,
                    answered_by=shared(_str(metadata.get("createdBy"))),
                    extra=extra or None,
                )
            )
        return answers

    def _resolve(self, value: Any) -> Any:
        """Option schemaIds (the internal API's answers) become their values via the ontology."""
        if not self.ontology.options:
            return value
        if isinstance(value, str) and _HEX_ID.match(value):
            return self.ontology.options.get(value, value)
        if isinstance(value, list):
            return [self._resolve(v) if isinstance(v, str) else v for v in value]
        return value

    def _relation(self, where: str, entry: Any, item: Item, known: set[str]) -> Relation | None:
        if not isinstance(entry, dict):
            self.warn(
                "relation not an object", where, "relation is not an object; skipped", item=item.id
            )
            return None
        title = entry.get("title") if isinstance(entry.get("title"), str) else "relation"
        extra = {k: v for k, v in entry.items() if k not in ("title", "from", "to", "group")}
        if isinstance(entry.get("group"), list):
            members = tuple(str(m) for m in entry["group"] if m is not None)
            directed = False
        elif entry.get("from") is not None and entry.get("to") is not None:
            first, second = str(entry["from"]), str(entry["to"])
            direction = entry.get("direction", "straight")
            members = (second, first) if direction == "reverse" else (first, second)
            directed = direction != "bidirectional"
        else:
            self.warn(
                "relation without members",
                where,
                "relation has neither from/to nor group; skipped",
                item=item.id,
            )
            return None
        missing = [m for m in members if m not in known]
        if missing:
            self.warn(
                "relation to missing objects",
                where,
                f"relation {title!r} refers to objects not in the task: {', '.join(missing[:3])}",
                item=item.id,
            )
        return Relation(name=title, members=members, directed=directed, extra=extra or None)

    # -- history and status -----------------------------------------------------------------------

    def _v3_status(self, at: str, task: dict, item: Item) -> None:
        history = task.get("stageHistory")
        labeler = None
        if isinstance(history, list):
            for index, entry in enumerate(history):
                if not isinstance(entry, dict):
                    self.warn(
                        "stage entry not an object",
                        _at(at, f"task.stageHistory[{index}]"),
                        "stage history entry is not an object; skipped",
                        item=item.id,
                    )
                    continue
                event = self._stage_event(entry)
                item.history.append(event)
                stage_type = (event.extra or {}).get("type")
                is_label = (
                    stage_type == "Label"
                    if stage_type
                    else "label" in f"{entry.get('stageId')} {entry.get('stage')}".lower()
                )
                if event.actor and is_label:
                    labeler = event.actor
            if labeler is None:
                labeler = next(
                    (e.actor for e in item.history if e.actor and e.action == "submitted"), None
                )
        stage = _str(task.get("stage"))
        if stage or task.get("updatedAt"):
            extra = {
                k: task[k]
                for k in ("stageId", "taskId", "totalDuration", "consensusAverage")
                if k in task
            }
            item.history.append(
                StageEvent(
                    stage=stage,
                    actor=_str(task.get("updatedBy")),
                    action="current",
                    at=_time(task.get("updatedAt")),
                    duration=_seconds(task.get("totalDuration")),
                    extra=extra or None,
                )
            )
        item.status = stage
        item.labeler = labeler or _str(task.get("updatedBy"))
        item.extra["task"] = {
            k: v
            for k, v in task.items()
            if k not in ("tools", "classifications", "relations", "stageHistory")
        }

    def _stage_event(self, entry: dict) -> StageEvent:
        stage_id = _str(entry.get("stageId"))
        review = _str(entry.get("reviewStatus"))
        actor = _str(entry.get("completedBy"))
        if review:
            action = review.lower()
        elif stage_id == "Start":
            action = "started"
        else:
            action = "submitted" if actor else "completed"
        # A snapshot repeats the task's annotations as they left the stage: keep their counts,
        # not the lists (they would keep the whole parsed export alive, once per stage).
        extra: dict[str, Any] = {}
        for key, value in entry.items():
            if key in ("tools", "classifications", "relations") and isinstance(value, list):
                extra[f"{key}_count"] = len(value)
            elif key not in ("stage", "completedBy", "completedAt", "duration", "duration(ms)"):
                extra[key] = value
        stage_info = self.ontology.stages.get(stage_id or "")
        if stage_info and stage_info.get("type"):
            extra["type"] = stage_info["type"]
        return StageEvent(
            stage=_str(entry.get("stage")) or stage_id,
            actor=actor,
            action=action,
            at=_time(entry.get("completedAt")),
            duration=_seconds(entry.get("duration", entry.get("duration(ms)"))),
            extra=extra,
        )

    def _v2_status(self, asset: dict, tasks: list[dict], item: Item) -> None:
        listed = []
        for index, task in enumerate(tasks):
            actor = _str(task.get("completedBy"))
            skipped = bool(task.get("isSkipped"))
            objects = task.get("objects")
            listed.append(
                {
                    "taskId": task.get("taskId"),
                    "labeler": actor,
                    "completedAt": task.get("completedAt"),
                    "objects": len(objects) if isinstance(objects, list) else 0,
                    "review": (task.get("review") or {}).get("status")
                    if isinstance(task.get("review"), dict)
                    else None,
                }
            )
            extra = {
                k: v
                for k, v in task.items()
                if k
                not in ("objects", "classifications", "relations", "completedBy", "completedAt")
            }
            extra["task_index"] = index
            if task.get("completedAt") or actor:
                item.history.append(
                    StageEvent(
                        stage="Label",
                        actor=actor,
                        action="skipped" if skipped else "submitted",
                        at=_time(task.get("completedAt")),
                        duration=_seconds(task.get("duration", task.get("duration(ms)"))),
                        extra=extra,
                    )
                )
            review = task.get("review")
            if isinstance(review, dict) and review.get("status") not in (None, "", "Todo"):
                by = review.get("completedBy")
                reviewer = ", ".join(str(b) for b in by) if isinstance(by, list) else _str(by)
                item.history.append(
                    StageEvent(
                        stage="Review",
                        actor=reviewer or None,
                        action="skipped"
                        if review.get("isSkipped")
                        else str(review["status"]).lower(),
                        at=_time(asset.get("reviewedAt")) if index == 0 else None,
                        duration=_seconds(review.get("duration", review.get("duration(ms)"))),
                        extra={"taskId": task.get("taskId"), "task_index": index},
                    )
                )
        item.extra["tasks"] = listed
        first = tasks[0] if tasks else {}
        review = first.get("review") if isinstance(first.get("review"), dict) else {}
        if isinstance(asset.get("status"), str) and asset["status"]:
            item.status = asset["status"]
        elif isinstance(first.get("status"), str) and first["status"]:
            item.status = first["status"]
        elif first.get("isSkipped"):
            item.status = "Skipped"
        elif review.get("status") not in (None, "", "Todo"):
            item.status = f"Review {review['status']}"
        elif first.get("completedAt"):
            item.status = "Labeled"
        item.labeler = _str(first.get("completedBy"))


# --- small conversions -------------------------------------------------------------------------


def _merge_frames(answers: list[Answer]) -> list[Answer]:
    """Video answers come one per frame: equal answers on consecutive frames become one range."""
    merged: list[Answer] = []
    open_runs: dict[tuple, Answer] = {}
    for answer in sorted(answers, key=lambda a: a.frames[0] if a.frames else -1):
        if answer.frames is None or answer.children:
            merged.append(answer)
            continue
        extra = answer.extra or {}
        key = (answer.name, _str(extra.get("schemaId")), repr(answer.value))
        run = open_runs.get(key)
        if run is not None and run.frames is not None and run.frames[1] + 1 == answer.frames[0]:
            run.frames = (run.frames[0], answer.frames[1])
            continue
        open_runs[key] = answer
        merged.append(answer)
    return merged


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
        from PIL import Image

        with Image.open(path) as image:
            rgba = np.asarray(image.convert("RGBA"))
        return (
            (rgba[..., 3] > 0)
            & (rgba[..., 0] == rgb[0])
            & (rgba[..., 1] == rgb[1])
            & (rgba[..., 2] == rgb[2])
        )

    return load


def _number(value: Any, key: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{key} is {value!r}, not a number")
    if not math.isfinite(value):
        raise ValueError(f"{key} is {value}")
    return float(value)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _positive_int(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value > 0


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _seconds(value: Any) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value / 1000.0
    return None


def _time(value: Any) -> str | None:
    """ISO strings as written; epoch milliseconds (the internal API's form) as ISO UTC."""
    if isinstance(value, str) and value:
        return value
    if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
        from datetime import UTC, datetime

        try:
            moment = datetime.fromtimestamp(value / 1000, tz=UTC)
        except (OverflowError, OSError, ValueError):
            return str(value)  # not a plausible time: keep it as written
        return moment.isoformat().replace("+00:00", "Z")
    return None


FORMAT = Format(
    name="ango",
    title="Ango Hub export",
    suffixes=(".json", ".ndjson", ".jsonl", ".zip"),
    detect=detect,
    read=read,
    description="Ango Hub (iMerit) JSON/NDJSON export, v2 and v3, zipped or not",
)
