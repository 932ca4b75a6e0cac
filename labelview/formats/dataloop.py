"""Dataloop JSON exports (reader).

An export is a set of *item* objects (one per image or video, each with an `annotations` list).
Accepted packagings: a zip or a folder of per-item JSON files mirroring the dataset folders (the
platform export and `download_annotations`, usually under `json/`), one JSON array of items (SDK
`dataset.export`, also zipped), gzip NDJSON partitions (V3 export), the SDK `annotations.download`
layout, the 2021 layout with `itemMetadata`, a bare list of annotations and the minimal
`{"annotations": [...]}` upload form. Zip members are read in memory; unsafe member names
(zip-slip) are skipped with a warning and never touch the disk. A Dataloop ontology/recipe JSON
found in the folder or zip (or given as `ctx.ontology`) supplies label colours, ids, attribute
titles and pose templates.

Conventions adopted at the boundary:
* Coordinates are absolute pixels with the origin at the top-left corner (the model's convention).
  Box corners may come in any order (normalised).
* Rotated box = `[p1, p2, angle]`: p1/p2 are the corners of the *unrotated* box and `angle` is in
  **degrees** (dtlpy `Box` documents degrees). We read it as a rotation about the box centre,
  clockwise on screen, which is our RotatedBox convention. The sign is inferred (the SDK renderer
  ignores the angle); it matches Dataloop's ellipse, which cv2 draws clockwise on screen.
* Ellipse `{center, rx, ry, angle}` is kept as our Ellipse shape (rx/ry are radii, angle in degrees,
  clockwise on screen as cv2.ellipse draws it) — not converted to a polygon.
* `segment` rings after the first: a ring lying inside ring 0 is a hole, any other ring an extra
  part (the SDK reads ring 0 only).
* `binary` is a full-size RGBA PNG data URL; the mask is alpha > 127 (PNGs without alpha: any
  non-black pixel). The header and the end of the PNG are checked at read time (cheap); the pixels
  are decoded on demand by a LazyMask, whose failures raise a ValueError naming the annotation.
* v1 attributes (a list of chosen strings) become Answer(tag, True); v2 attributes
  (`metadata.system.attributes`) become Answer(key, value), named by the ontology title when known.
* `class` annotations become item classifications Answer("class", label) (with a frame range in
  video); system `class` annotations ("completed"/"discarded") become the item status.
* `pose` parents and their child `point`s (`parentId`) become one Keypoints object; visibility
  comes from the child's attributes: "visible" → 2, "not-visible" → 1, neither → 2.
* Video tracks (image vs video is decided by the item mimetype, never by `endFrame`): the first
  state is the top-level `coordinates`, later ones are `metadata.system.snapshots_`; frames without
  a snapshot hold the previous state, `objectVisible: false` hides, `frame`..`endFrame` are both
  inclusive. One ObjectLabel per visible frame, with `track` = the annotation id.
* `note`, `cube`, `subtitle` and the other types we do not draw are kept in Item.extra
  ["other_annotations"], with one warning listing the counts.
"""

from __future__ import annotations

import base64
import binascii
import bisect
import gzip
import io
import math
import re
import struct
import zipfile
import zlib
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import numpy as np
import orjson

from labelview.errors import FormatError
from labelview.formats.base import (
    Confidence,
    Detection,
    Format,
    Probe,
    ReadContext,
    gc_paused,
    load_json,
    no,
)
from labelview.model import (
    Answer,
    Box,
    Dataset,
    Ellipse,
    Frame,
    Item,
    Keypoints,
    LazyMask,
    Mask,
    ObjectLabel,
    Point,
    Polygon,
    Polyline,
    RotatedBox,
    Skeleton,
    StageEvent,
)
from labelview.model.geometry import Geometry, PolygonPart

_BAD = (KeyError, TypeError, ValueError, IndexError, AttributeError, OverflowError)
_DRAWN = frozenset({"box", "segment", "polyline", "point", "ellipse", "binary"})
_VIDEO_SUFFIXES = frozenset({".mp4", ".webm", ".mov", ".avi", ".mkv", ".m4v", ".mpg", ".mpeg"})
_JSON_SUFFIXES = (".json", ".ndjson", ".jsonl", ".json.gz", ".ndjson.gz", ".jsonl.gz")
_DEFAULT_FPS = 25.0  # what the SDK assumes when the item has no fps
_MAX_FRAMES_LISTED = 20_000  # Frame entries cost ~1 KB each; longer videos list none
_MAX_SIDE = 1 << 17  # larger widths/heights are broken metadata, not images
_MAX_TRACK_FRAMES = 1_000_000  # a track longer than this is a broken endFrame, not a video
_MAX_MEMBER_BYTES = 2**31  # a member claiming more than this is skipped (zip bomb guard)
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_PNG_END = b"IEND\xaeB`\x82"
_HEX24 = re.compile(r"[0-9a-fA-F]{24}")
_NON_SPACE = re.compile(rb"\S")

# Keys only Dataloop writes: any of them in the head makes detection certain.
_MARKERS = (
    b'"snapshots_"',
    b'"openAnnotationVersion"',
    b"gate.dataloop.ai/api",
    b'"annotationsCount"',
    b'"itemMetadata"',
    b'"coordinateVersion"',
)
_KEY = re.compile(rb'"([A-Za-z_][A-Za-z0-9_]*)"\s*:')


# --- detection ------------------------------------------------------------------------------------


def detect(probe: Probe) -> Detection:
    """Dataloop item JSON, annotation list, NDJSON partition, or a folder/zip of them."""
    if probe.is_dir or probe.is_zip:
        what = "folder" if probe.is_dir else "zip"
        if probe.is_dir and probe.path.name == "json":
            what = "json"  # the SDK's download folder itself
        return _detect_names(probe.names, what)
    head = probe.head
    if head.startswith(b"\x1f\x8b"):
        try:
            head = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(head)
        except zlib.error:
            return no("gzip data that does not decompress")
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    json_like = probe.suffix in (".json", ".ndjson", ".jsonl", ".gz")
    if text[:1] not in (b"{", b"["):
        return no("not JSON")
    keys = set(_KEY.findall(text))
    if b"roots" in keys or (
        b"tag" in keys and b"displayLabel" in keys and b"annotations" not in keys
    ):
        return no("a Dataloop ontology/recipe, not an export: pass it with --ontology")
    if b"manifestVersion" in keys or b"partitioning" in keys:
        return no("a Dataloop V3 export manifest: open the folder with its .ndjson.gz partitions")
    if b"images" in keys and b"categories" in keys:
        return no("COCO-like (images + categories), not Dataloop")
    annotation_shape = {b"type", b"label", b"coordinates"} <= keys
    item_shape = b"annotations" in keys and (
        b"filename" in keys or b"itemMetadata" in keys or annotation_shape
    )
    marker = next((m.decode() for m in _MARKERS if m in text), None)
    if (item_shape or annotation_shape) and marker:
        return Detection(Confidence.CERTAIN, f"Dataloop annotation JSON ({marker} present)")
    if item_shape:
        return Detection(Confidence.LIKELY, "item with filename + annotations (Dataloop layout)")
    if annotation_shape and (b"x" in keys and b"y" in keys):
        return Detection(
            Confidence.LIKELY, "annotations with type + label + coordinates {x, y} (Dataloop)"
        )
    if json_like:
        return Detection(Confidence.WEAK, f"{probe.suffix} suffix only")
    return no("no Dataloop keys")


def _detect_names(names: list[str], what: str) -> Detection:
    jsons = [n for n in names if n.lower().endswith(_JSON_SUFFIXES) and not _junk(n)]
    if not jsons:
        return no(f"{what} without JSON files")
    tree = [n for n in jsons if n.split("/", 1)[0] == "json" and "/" in n]
    if what == "json" and len(jsons) == len(names):
        return Detection(Confidence.LIKELY, "a json/ folder of per-item files (Dataloop download)")
    if tree:
        return Detection(
            Confidence.LIKELY, f"{what} with a json/ tree of {len(tree)} per-item files (Dataloop)"
        )
    partitions = [n for n in jsons if n.lower().endswith((".ndjson.gz", ".jsonl.gz"))]
    if partitions:
        return Detection(Confidence.LIKELY, f"{what} of gzip NDJSON partitions (Dataloop V3)")
    if what == "zip" and len(jsons) == 1 and _HEX24.fullmatch(PurePosixPath(jsons[0]).stem):
        return Detection(Confidence.LIKELY, "zip of one <datasetId>.json (Dataloop export)")
    return Detection(Confidence.WEAK, f"{what} of JSON files")


def _junk(name: str) -> bool:
    return name.startswith("__MACOSX/") or PurePosixPath(name).name.startswith("._")


# --- ontology / recipe ----------------------------------------------------------------------------


@dataclass(slots=True)
class _Ontology:
    labels: dict[str, dict[str, Any]] = field(default_factory=dict)  # dotted tag -> value
    titles: dict[str, str] = field(default_factory=dict)  # v2 attribute key -> title
    templates: dict[str, dict[str, Any]] = field(default_factory=dict)  # pose template id -> it


def _is_ontology(value: Any) -> bool:
    if isinstance(value, dict):
        return isinstance(value.get("roots"), list) or isinstance(value.get("ontology"), dict)
    return (
        isinstance(value, list)
        and bool(value)
        and isinstance(value[0], dict)
        and isinstance(value[0].get("value"), dict)
        and "tag" in value[0]["value"]
    )


def _parse_ontology(value: Any) -> _Ontology:
    """Labels (dotted paths), v2 attribute titles and pose templates of an ontology or recipe."""
    onto = _Ontology()
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


def _hex_color(value: Any) -> tuple[int, int, int] | None:
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


@dataclass(slots=True)
class _Doc:
    name: str  # path inside the folder/zip, '' for the input file itself
    load: Callable[[], bytes]


def _unsafe(name: str) -> bool:
    parts = name.replace("\\", "/").split("/")
    return name.startswith(("/", "\\")) or ".." in parts or bool(re.match(r"^[A-Za-z]:", name))


def _documents(path: Path, ctx: ReadContext, stack: ExitStack) -> Iterator[_Doc]:
    """The JSON documents of a file, folder or zip (a zip stays open until `stack` closes)."""
    if path.is_dir():
        for child in sorted(path.rglob("*")):
            rel = child.relative_to(path).as_posix()
            if child.is_file() and rel.lower().endswith(_JSON_SUFFIXES) and not _junk(rel):
                yield _Doc(rel, child.read_bytes)
        return
    with path.open("rb") as handle:
        is_zip = handle.read(4) == b"PK\x03\x04"
    if not is_zip:
        yield _Doc("", path.read_bytes)
        return
    try:
        archive = stack.enter_context(zipfile.ZipFile(path))
    except (zipfile.BadZipFile, OSError) as error:
        raise ctx.fail("", f"not a readable zip: {error}") from error
    for info in sorted(archive.infolist(), key=lambda i: i.filename):
        name = info.filename
        if info.is_dir() or _junk(name):
            continue
        if _unsafe(name):
            ctx.warn(name, "unsafe member name (absolute or '..'): skipped, never extracted")
            continue
        if not name.lower().endswith(_JSON_SUFFIXES):
            continue
        if info.file_size > _MAX_MEMBER_BYTES:
            ctx.warn(name, f"member of {info.file_size:,} bytes is too large: skipped")
            continue
        yield _Doc(name, lambda info=info: archive.read(info))


# --- item parsing ---------------------------------------------------------------------------------


@dataclass(slots=True)
class _Seg:
    """One state of a track, holding from `start` to `end` (inclusive)."""

    start: int
    end: int
    coords: Any
    label: str
    visible: bool
    attributes: list[Answer]


def _num(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"expected a number, got {value!r}")
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"coordinate is {value!r}")
    return number


def _finite(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _xy(point: Any) -> tuple[float, float]:
    if not isinstance(point, dict):
        raise ValueError(f"expected a point {{x, y}}, got {type(point).__name__}")
    return _num(point["x"]), _num(point["y"])


def _ring(points: Any) -> np.ndarray:
    """An (N, 2) float array from a list of {x, y} dicts (one numpy call: rings can be long)."""
    if not isinstance(points, list):
        raise ValueError("expected a list of points")
    try:
        array = np.array([(p["x"], p["y"]) for p in points], dtype=np.float64).reshape(-1, 2)
    except TypeError:
        raise ValueError("points must be {x, y} objects with numbers") from None
    if not np.isfinite(array).all():
        raise ValueError("points contain NaN or infinity")
    return array


def _polygon_ring(points: Any) -> np.ndarray:
    ring = _ring(points)
    if len(ring) > 3 and ring[0, 0] == ring[-1, 0] and ring[0, 1] == ring[-1, 1]:
        ring = ring[:-1]  # a closed ring repeats its first point; ours are open
    return ring


def _inside(points: np.ndarray, ring: np.ndarray) -> bool:
    """Every point strictly inside `ring` by the even-odd rule (vectorised ray casting)."""
    x, y = points[:, 0:1], points[:, 1:2]
    x0, y0 = ring[:, 0], ring[:, 1]
    x1, y1 = np.roll(x0, -1), np.roll(y0, -1)
    crosses = (y0 > y) != (y1 > y)
    with np.errstate(all="ignore"):
        at_x = x0 + (y - y0) * (x1 - x0) / (y1 - y0)
    hits = crosses & (x < at_x)
    return bool((hits.sum(axis=1) % 2 == 1).all())


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def _png_data_url(value: Any) -> tuple[str, int, int]:
    """The base64 payload and PNG size of a `binary` data URL; ValueError when it is unusable.

    Cheap: only the first 24 and the last 12 bytes are decoded.
    """
    if isinstance(value, dict):
        value = value.get("data")
    if not isinstance(value, str):
        raise ValueError(f"binary coordinates are {type(value).__name__}, not a data URL")
    header, comma, payload = value.partition(",")
    if not comma or not header[:5].lower() == "data:":
        raise ValueError("binary coordinates are not a data URL")
    media = [part.strip().lower() for part in header[5:].split(";")]
    if "base64" not in media[1:]:
        raise ValueError(f"data URL is not base64 ({header[:40]!r})")
    if any(c in payload for c in " \r\n\t"):
        payload = re.sub(r"\s+", "", payload)
    if len(payload) < 48:
        raise ValueError(f"data URL payload is only {len(payload)} characters")
    if len(payload) % 4:
        raise ValueError(
            f"base64 payload is truncated ({len(payload):,} characters, not a multiple of 4)"
        )
    try:
        start = base64.b64decode(payload[:32], validate=True)
        tail = base64.b64decode(payload[-16:], validate=True)
    except binascii.Error as error:
        raise ValueError(f"invalid base64 in data URL: {error}") from None
    if not start.startswith(_PNG_SIGNATURE) or start[12:16] != b"IHDR":
        kind = media[0] or "no media type"
        raise ValueError(f"data URL holds {kind}, not a PNG")
    if not tail.endswith(_PNG_END):
        raise ValueError("PNG in data URL is truncated (no IEND chunk at its end)")
    width, height = struct.unpack(">II", start[16:24])
    return payload, width, height


def _mask_loader(payload: str, width: int, height: int, describe: str) -> Callable[[], np.ndarray]:
    def load() -> np.ndarray:
        from PIL import Image

        try:
            raw = base64.b64decode(payload, validate=False)
            with Image.open(io.BytesIO(raw)) as image:
                image.load()
                if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
                    pixels = np.asarray(image.convert("RGBA"))[..., 3] > 127
                else:
                    pixels = np.asarray(image.convert("L")) > 0
        except (
            binascii.Error,
            OSError,
            ValueError,
            SyntaxError,
            Image.DecompressionBombError,
        ) as e:
            raise ValueError(f"{describe}: cannot decode the PNG mask: {e}") from e
        if pixels.shape != (height, width):  # crop or pad (top-left anchored) to the item size
            fitted = np.zeros((height, width), dtype=bool)
            h, w = min(height, pixels.shape[0]), min(width, pixels.shape[1])
            fitted[:h, :w] = pixels[:h, :w]
            pixels = fitted
        return pixels

    return load


class _Reader:
    """Builds one Dataset from all the documents of an input."""

    def __init__(self, path: Path, ctx: ReadContext) -> None:
        self.path = path
        self.ctx = ctx
        self.dataset = Dataset()
        self.ontology: _Ontology | None = None
        self.ontology_source: str | None = None
        self.labels: dict[str, None] = {}  # labels in first-seen order
        self.poses: dict[str, list[ObjectLabel]] = {}  # pose label -> its objects (post-fix)
        self.pose_templates: dict[str, str] = {}  # pose label -> its template id
        self.other: Counter[str] = Counter()
        self.item_ids: set[str] = set()

    # -- top level ---------------------------------------------------------------------------------

    def run(self) -> Dataset:
        with ExitStack() as stack:
            return self._run(stack)

    def _run(self, stack: ExitStack) -> Dataset:
        ctx = self.ctx
        if ctx.ontology is not None:
            try:
                value = load_json(Path(ctx.ontology), ctx)
            except FormatError as error:
                ctx.error("ontology", f"cannot read the ontology {ctx.ontology}: {error}")
            else:
                if _is_ontology(value) or isinstance(value, dict):
                    self.ontology = _parse_ontology(value)
                    self.ontology_source = Path(ctx.ontology).name
                else:
                    ctx.warn("ontology", f"{ctx.ontology} is not a Dataloop ontology: ignored")
        documents = list(_documents(self.path, ctx, stack))
        single = len(documents) == 1 and documents[0].name == ""
        # Ontology files first, so attribute titles apply to every item; items are built as they
        # are parsed (one parse tree in memory at a time). Categories are made at the end.
        documents.sort(key=lambda doc: not re.search(r"ontolog|recipe", doc.name, re.I))
        found = False
        with gc_paused():
            for index, doc in enumerate(documents):
                ctx.check_cancelled()
                value = self._parse(doc, single)
                if value is _SKIP:
                    continue
                if _is_ontology(value):
                    if single:
                        raise ctx.fail(
                            "", "a Dataloop ontology/recipe, not an export: pass it with --ontology"
                        )
                    if self.ontology is None:
                        self.ontology = _parse_ontology(value)
                        self.ontology_source = doc.name
                    continue
                found = True
                self._document(doc, value, single)
                del value
                if not single:
                    ctx.progress(index + 1, len(documents))
        if not found and not single:
            raise ctx.fail("", "no Dataloop item JSON found in this folder or zip")
        self._finish()
        ctx.progress(1, 1)
        return self.dataset

    def _parse(self, doc: _Doc, single: bool) -> Any:
        ctx = self.ctx
        name = doc.name or self.path.name
        try:
            data = doc.load()
        except (OSError, zipfile.BadZipFile, zlib.error, EOFError, RuntimeError) as error:
            if single:
                raise ctx.fail("", f"cannot read: {error}") from error
            ctx.error(doc.name, f"cannot read member: {error}")
            return _SKIP
        lower = name.lower()
        if data.startswith(b"\x1f\x8b") or lower.endswith(".gz"):
            try:
                data = gzip.decompress(data)
            except (OSError, EOFError, zlib.error) as error:
                if single:
                    raise ctx.fail("", f"broken gzip data: {error}") from error
                ctx.error(doc.name, f"broken gzip data: {error}")
                return _SKIP
            lower = lower.removesuffix(".gz")
        if lower.endswith((".ndjson", ".jsonl")) or _looks_ndjson(data):
            return _Lines(self._ndjson(doc, data))
        try:
            return load_json(Path(name), ctx, data=data)
        except FormatError as error:
            if single:
                raise
            ctx.error(doc.name + (f": {error.where}" if error.where else ""), error.message)
            return _SKIP

    def _ndjson(self, doc: _Doc, data: bytes) -> list[tuple[int, Any]]:
        records = []
        with gc_paused():
            for number, line in enumerate(data.splitlines(), start=1):
                if not line.strip():
                    continue
                try:
                    records.append((number, orjson.loads(line)))
                except orjson.JSONDecodeError as error:
                    self.ctx.error(_loc(doc.name, f"line {number}"), f"invalid JSON line: {error}")
        return records

    def _document(self, doc: _Doc, value: Any, single: bool) -> None:
        ctx = self.ctx
        fallback = self._fallback_name(doc)
        if isinstance(value, _Lines):
            for number, record in value.records:
                if isinstance(record, dict) and isinstance(record.get("annotations"), list):
                    self._item(record, _loc(doc.name, f"line {number}"), fallback)
                else:
                    ctx.warn(_loc(doc.name, f"line {number}"), "not a Dataloop item: skipped")
            return
        if isinstance(value, list):
            items = [v for v in value if isinstance(v, dict)]
            if items and all(isinstance(v.get("annotations"), list) for v in items):
                for index, record in enumerate(value):
                    if single and index % 500 == 0:
                        ctx.check_cancelled()
                        ctx.progress(index, len(value))
                    if isinstance(record, dict):
                        self._item(record, _loc(doc.name, f"[{index}]"), fallback)
                    else:
                        ctx.warn(_loc(doc.name, f"[{index}]"), "not an item object: skipped")
                return
            if not value or any("type" in v and "label" in v for v in items):
                self._item({"annotations": value}, _loc(doc.name, ""), fallback, bare=True)
                return
        elif isinstance(value, dict) and isinstance(value.get("annotations"), list):
            self._item(value, _loc(doc.name, ""), fallback)
            return
        elif isinstance(value, dict) and ("manifestVersion" in value or "partitioning" in value):
            self.dataset.meta.setdefault("manifest", value)
            return
        if single:
            raise ctx.fail("", "not a Dataloop export: no item with an annotations list")
        ctx.warn(doc.name, "not a Dataloop item JSON: skipped")

    def _fallback_name(self, doc: _Doc) -> str:
        """An item name for files that carry none: the member path without json/ and suffix."""
        name = doc.name or self.path.name
        for suffix in (".gz", ".json", ".ndjson", ".jsonl"):
            name = name.removesuffix(suffix)
        parts = PurePosixPath(name).parts
        if parts and parts[0] == "json" and len(parts) > 1:
            parts = parts[1:]
        return "/".join(parts)

    # -- one item ----------------------------------------------------------------------------------

    def _item(self, raw: dict, loc: str, fallback: str, *, bare: bool = False) -> None:
        ctx = self.ctx
        try:
            if raw.get("type") == "dir" or raw.get("hidden") is True:
                return
            item = self._item_shell(raw, loc, fallback)
        except _BAD as error:
            ctx.error(loc, f"item skipped: {error!r}")
            return
        if item.id in self.item_ids:
            ctx.warn(loc, f"duplicate item id {item.id}: skipped", item=item.id)
            return
        self.item_ids.add(item.id)
        annotations = raw.get("annotations") or []
        if item.kind != "video" and bare and _has_tracks(annotations):
            item.kind = "video"  # a bare annotation list has no mimetype: snapshots say video
            item.fps = item.fps or _DEFAULT_FPS
        self._annotations(item, annotations, _join(loc, "annotations"))
        self.dataset.items.append(item)

    def _item_shell(self, raw: dict, loc: str, fallback: str) -> Item:
        metadata = raw.get("metadata")
        if not isinstance(metadata, dict):
            metadata = raw.get("itemMetadata") if isinstance(raw.get("itemMetadata"), dict) else {}
        system = metadata.get("system") if isinstance(metadata.get("system"), dict) else {}
        filename = raw.get("filename")
        if not isinstance(filename, str) or not filename.strip("/"):
            name = raw.get("name")
            folder = raw.get("dir") if isinstance(raw.get("dir"), str) else ""
            filename = f"{folder.rstrip('/')}/{name}" if isinstance(name, str) and name else None
        item_id = raw.get("id") or raw.get("_id") or fallback or self.path.stem
        name = fallback
        if filename:
            parts = [p for p in filename.replace("\\", "/").split("/") if p not in ("", ".")]
            clean = [p for p in parts if p != ".."]
            if len(clean) != len(parts):
                self.ctx.warn(
                    _join(loc, "filename"), f"'..' removed from {filename!r}", item=str(item_id)
                )
            name = "/".join(clean) or fallback
        mimetype = system.get("mimetype") if isinstance(system.get("mimetype"), str) else ""
        suffix = PurePosixPath(name).suffix.lower()
        if mimetype.startswith("video/") or (not mimetype and suffix in _VIDEO_SUFFIXES):
            kind = "video"
        elif mimetype.startswith("image/") or not mimetype:
            kind = "image"
        else:
            kind = "other"
        width, height = _int(system.get("width")), _int(system.get("height"))
        if (
            width is not None
            and height is not None
            and not (0 < width <= _MAX_SIDE and 0 < height <= _MAX_SIDE)
        ):
            self.ctx.warn(
                _join(loc, "metadata.system"),
                f"item size {width}×{height} ignored (not a usable image size)",
                item=str(item_id),
            )
            width = height = None
        exif = system.get("exif") if isinstance(system.get("exif"), dict) else {}
        orientation = _int(exif.get("Orientation"))
        if orientation in (5, 6, 7, 8) and width and height:
            # Annotations live in the displayed (EXIF-applied) frame; width/height are the stored
            # pixels (spec §2): swap.
            width, height = height, width
        extra = {
            k: v
            for k, v in raw.items()
            if k not in ("annotations", "url", "stream", "thumbnail", "dataset")
        }
        if orientation:
            extra["exif_orientation"] = orientation
        tags = system.get("tags") or metadata.get("tags")
        if tags:
            extra["tags"] = tags
        item = Item(
            id=str(item_id),
            name=name,
            kind=kind,
            image=name if filename else None,
            width=width or None,
            height=height or None,
            extra=extra,
        )
        if kind == "video":
            item.fps = _fps(metadata, system)
            count = _frame_count(system)
            if count:
                extra["frame_count"] = count
                if count <= _MAX_FRAMES_LISTED:
                    item.frames = [Frame(index=i) for i in range(count)]
        self._status(item, system, loc)
        return item

    def _status(self, item: Item, system: dict, loc: str) -> None:
        for ref in system.get("refs") or []:
            if isinstance(ref, dict) and isinstance(ref.get("metadata"), dict):
                status = ref["metadata"].get("status")
                if status and (item.status is None or ref.get("type") == "task"):
                    item.status = str(status)
        for entry in system.get("taskStatusLog") or []:
            if not isinstance(entry, dict) or not isinstance(entry.get("status"), dict):
                continue
            status = entry["status"]
            action = str(status.get("status") or "")
            if entry.get("action") == "deleted":
                action = f"{action} removed"
            item.history.append(
                StageEvent(
                    stage=f"task {status.get('taskId')}" if status.get("taskId") else None,
                    actor=status.get("creator"),
                    action=action or None,
                    at=status.get("timestamp"),
                    extra={k: v for k, v in status.items() if k in ("taskId", "assignmentId")},
                )
            )
        for entry in system.get("statusLog") or []:
            if isinstance(entry, dict):
                action = str(entry.get("status") or "")
                if entry.get("action") == "deleted":
                    action = f"{action} removed"
                item.history.append(
                    StageEvent(actor=entry.get("creator"), action=action, at=entry.get("timestamp"))
                )
        legacy = system.get("annotationStatus")
        if item.status is None and isinstance(legacy, list) and legacy:
            item.status = str(legacy[-1])

    # -- annotations -------------------------------------------------------------------------------

    def _annotations(self, item: Item, annotations: list, loc: str) -> None:
        children: dict[str, list[tuple[int, dict]]] = {}
        pose_ids = {
            str(a.get("id") or a.get("_id"))
            for a in annotations
            if isinstance(a, dict) and a.get("type") == "pose"
        }
        all_ids = {str(a.get("id") or a.get("_id")) for a in annotations if isinstance(a, dict)}
        creators: Counter[str] = Counter()
        for index, ann in enumerate(annotations):
            if not isinstance(ann, dict):
                self.ctx.warn(_index(loc, index), "not an object: skipped", item=item.id)
                continue
            system = _system(ann)
            parent = system.get("parentId")
            if parent is not None and str(parent) in pose_ids and ann.get("type") == "point":
                children.setdefault(str(parent), []).append((index, ann))
            elif parent is not None and str(parent) not in all_ids:
                # An orphan stays what it is (a point stays a point); parentId is kept in extra.
                self.ctx.warn(
                    _join(_index(loc, index), "metadata.system.parentId"),
                    f"parent annotation {parent} not found: kept as a {ann.get('type')}",
                    item=item.id,
                )
            if isinstance(ann.get("creator"), str) and not system.get("automated"):
                creators[ann["creator"]] += 1
        for index, ann in enumerate(annotations):
            if not isinstance(ann, dict):
                continue
            system = _system(ann)
            parent = system.get("parentId")
            if parent is not None and str(parent) in pose_ids and ann.get("type") == "point":
                continue  # consumed by its pose
            ann_loc = _index(loc, index)
            ann_id = ann.get("id") or ann.get("_id") or ann.get("annotationId")
            try:
                self._annotation(item, ann, system, ann_loc, children, index)
            except _BAD as error:
                self.ctx.warn(
                    ann_loc,
                    f"{ann.get('type', 'annotation')} skipped: {_why(error)}",
                    item=item.id,
                    obj=str(ann_id) if ann_id is not None else None,
                )
        if creators:
            item.labeler = creators.most_common(1)[0][0]
        else:
            found = [a.get("creator") for a in annotations if isinstance(a, dict)]
            item.labeler = next((c for c in found if isinstance(c, str)), None)

    def _annotation(
        self,
        item: Item,
        ann: dict,
        system: dict,
        loc: str,
        children: dict[str, list[tuple[int, dict]]],
        index: int,
    ) -> None:
        kind = ann.get("type")
        ann_id = ann.get("id") or ann.get("_id") or ann.get("annotationId")
        # Without an id (2019 files), the position names the annotation and its track.
        ann_id = str(ann_id) if ann_id is not None else f"#{index}"
        label = ann.get("label")
        label = str(label) if label is not None and label != "" else "(no label)"
        if kind == "class":
            self._classification(item, ann, system, label, ann_id, loc)
            return
        if kind == "item_description":
            coords = ann.get("coordinates")
            text = coords.get("text") if isinstance(coords, dict) else coords
            item.extra["description_annotation"] = text
            return
        if kind not in _DRAWN and kind != "pose":
            self.other[str(kind)] += 1
            item.extra.setdefault("other_annotations", []).append(ann)
            return
        attributes = self._attributes(ann.get("attributes"), system.get("attributes"), loc)
        common = self._common(ann, system)
        if item.kind != "video" and kind != "pose":  # the common case, without track machinery
            coords = (
                ann["data"]
                if "coordinates" not in ann and "data" in ann
                else ann.get("coordinates")
            )
            geometry = self._geometry(item, kind, coords, ann_id, loc)
            self.labels.setdefault(label, None)
            item.objects.append(
                ObjectLabel(label, geometry, ann_id, attributes=attributes, **common)
            )
            return
        segments = self._track(item, ann, system, label, attributes, loc)
        if kind == "pose":
            self._pose(item, ann, ann_id, segments, children.get(ann_id or "", []), common, loc)
            return
        geometries: dict[int, Geometry] = {}
        for seg in segments:
            if not seg.visible:
                continue
            geometry = geometries.get(id(seg.coords))
            if geometry is None:
                geometry = self._geometry(item, kind, seg.coords, ann_id, loc)
                geometries[id(seg.coords)] = geometry
            self.labels.setdefault(seg.label, None)
            frames: range | list[None] = (
                range(seg.start, seg.end + 1) if item.kind == "video" else [None]
            )
            for frame in frames:
                item.objects.append(
                    ObjectLabel(
                        category=seg.label,
                        geometry=geometry,
                        id=ann_id,
                        frame=frame,
                        track=ann_id if item.kind == "video" else None,
                        attributes=list(seg.attributes),
                        **common,
                    )
                )

    def _common(self, ann: dict, system: dict) -> dict[str, Any]:
        user = (
            ann.get("metadata", {}).get("user") if isinstance(ann.get("metadata"), dict) else None
        )
        model = (user or {}).get("model") if isinstance(user, dict) else None
        if not isinstance(model, dict):
            model = system.get("model") if isinstance(system.get("model"), dict) else {}
        confidence = model.get("confidence")
        extra: dict[str, Any] = {"type": ann.get("type")}
        for key in ("objectId", "parentId", "status", "coordinateVersion", "description"):
            if system.get(key) is not None:
                extra[key] = system[key]
        if model and not (isinstance(user, dict) and user.get("model") is model):
            extra["model"] = model
        if isinstance(user, dict) and user:
            extra["user"] = user
        if ann.get("source") is not None:
            extra["source"] = ann["source"]
        return {
            "confidence": float(confidence)
            if isinstance(confidence, int | float) and not isinstance(confidence, bool)
            else None,
            "source": "model" if system.get("automated") is True else "manual",
            "created_by": ann.get("creator"),
            "created_at": ann.get("createdAt"),
            "updated_by": ann.get("updatedBy"),
            "updated_at": ann.get("updatedAt"),
            "extra": extra,
        }

    def _attributes(self, v1: Any, v2: Any, loc: str) -> list[Answer]:
        answers: list[Answer] = []
        if isinstance(v1, list):
            answers.extend(Answer(str(tag), True) for tag in v1 if isinstance(tag, str | int))
        elif v1 is not None and not isinstance(v1, dict):
            self.ctx.warn(_join(loc, "attributes"), f"attributes are {type(v1).__name__}: ignored")
        if isinstance(v1, dict):  # some writers put the v2 dict here
            v2 = {**v1, **v2} if isinstance(v2, dict) else v1
        if isinstance(v2, dict):
            titles = self.ontology.titles if self.ontology else {}
            for key, value in v2.items():
                title = titles.get(str(key))
                answers.append(
                    Answer(title or str(key), value, extra={"key": key} if title else None)
                )
        return answers

    def _track(
        self, item: Item, ann: dict, system: dict, label: str, attributes: list[Answer], loc: str
    ) -> list[_Seg]:
        """The states of one annotation: one for images, hold segments for video tracks."""
        coords = ann.get("coordinates")
        if "coordinates" not in ann and "data" in ann:
            coords = ann["data"]
        if item.kind != "video":
            return [_Seg(0, 0, coords, label, True, attributes)]
        fps = item.fps or _DEFAULT_FPS
        start = _int(system.get("frame"))
        if start is None:
            start_time = system.get("startTime")
            start = round(start_time * fps) if _finite(start_time) else 0
        end = _int(system.get("endFrame"))
        end_time = system.get("endTime")
        if end is None and _finite(end_time):
            end = round(end_time * fps)  # the 2019 form gives only endTime (seconds)
        snapshots: list[tuple[int, int, dict]] = []
        snaps_loc = _join(loc, "metadata.system.snapshots_")
        for index, snap in enumerate(system.get("snapshots_") or []):
            frame = _int(snap.get("frame")) if isinstance(snap, dict) else None
            if frame is None:
                got = snap.get("frame") if isinstance(snap, dict) else snap
                self.ctx.warn(
                    _index(snaps_loc, index),
                    f"snapshot has no usable frame ({got!r}): skipped",
                    item=item.id,
                    obj=str(ann.get("id") or ""),
                )
                continue
            if frame < start:
                self.ctx.warn(
                    _index(snaps_loc, index),
                    f"snapshot frame {frame} is before the track start {start}: skipped",
                    item=item.id,
                )
                continue
            snapshots.append((frame, index, snap))
        snapshots.sort(key=lambda entry: (entry[0], entry[1]))
        if end is None:
            end = snapshots[-1][0] if snapshots else start
        if end < start:
            self.ctx.warn(_join(loc, "metadata.system.endFrame"), f"endFrame {end} < frame {start}")
            end = start
        if end - start >= _MAX_TRACK_FRAMES:
            self.ctx.warn(
                _join(loc, "metadata.system.endFrame"),
                f"track of {end - start + 1:,} frames cut to {_MAX_TRACK_FRAMES:,}",
                item=item.id,
            )
            end = start + _MAX_TRACK_FRAMES - 1
        segments = [_Seg(start, end, coords, label, True, attributes)]
        for frame, index, snap in snapshots:
            if frame > end:
                continue  # beyond endFrame: the SDK ignores it
            previous = segments[-1]
            if "namedAttributes" in snap or "attributes" in snap:
                snap_attrs = self._attributes(
                    snap.get("attributes"), snap.get("namedAttributes"), _index(snaps_loc, index)
                )
            else:
                snap_attrs = previous.attributes
            state = _Seg(
                frame,
                end,
                snap["data"] if snap.get("data") is not None else previous.coords,
                str(snap["label"]) if snap.get("label") else previous.label,
                snap.get("objectVisible") is not False,
                snap_attrs,
            )
            if frame == previous.start:
                segments[-1] = state
            else:
                previous.end = frame - 1
                segments.append(state)
        return segments

    def _geometry(
        self, item: Item, kind: str, coords: Any, ann_id: str | None, loc: str
    ) -> Geometry:
        if kind == "box":
            if not isinstance(coords, list) or len(coords) < 2:
                raise ValueError(f"box needs two corners, got {coords!r:.60}")
            (x0, y0), (x1, y1) = _xy(coords[0]), _xy(coords[1])
            angle = coords[2] if len(coords) > 2 else None
            if isinstance(angle, int | float) and not isinstance(angle, bool) and angle:
                return RotatedBox(
                    (x0 + x1) / 2, (y0 + y1) / 2, abs(x1 - x0), abs(y1 - y0), _num(angle)
                )
            return Box.from_corners(x0, y0, x1, y1)
        if kind == "segment":
            if not isinstance(coords, list) or not coords:
                raise ValueError("polygon has no rings")
            rings = [coords] if isinstance(coords[0], dict) else coords
            outer = _polygon_ring(rings[0])
            if len(outer) < 3:
                raise ValueError(f"polygon has {len(outer)} points")
            holes, parts = [], []
            for index, ring in enumerate(rings[1:], start=1):
                points = _polygon_ring(ring)
                if len(points) < 3:
                    self.ctx.warn(
                        _index(_join(loc, "coordinates"), index),
                        f"ring of {len(points)} points dropped",
                        item=item.id,
                        obj=ann_id,
                    )
                elif _inside(points, outer):
                    holes.append(points)
                else:
                    parts.append(PolygonPart(points))
            return Polygon((PolygonPart(outer, tuple(holes)), *parts))
        if kind == "polyline":
            if not isinstance(coords, list) or not coords:
                raise ValueError("polyline has no points")
            lines = [coords] if isinstance(coords[0], dict) else coords
            if len(lines) > 1:
                self.ctx.warn(
                    _join(loc, "coordinates"),
                    f"polyline with {len(lines)} lines: only the first is kept",
                    item=item.id,
                    obj=ann_id,
                )
            return Polyline.from_points(_ring(lines[0]))
        if kind == "point":
            if isinstance(coords, list) and coords:
                coords = coords[0]
            return Point(*_xy(coords))
        if kind == "ellipse":
            if not isinstance(coords, dict):
                raise ValueError("ellipse coordinates are not an object")
            cx, cy = _xy(coords["center"])
            return Ellipse(
                cx,
                cy,
                abs(_num(coords["rx"])),
                abs(_num(coords["ry"])),
                _num(coords.get("angle") or 0),
            )
        if kind == "binary":
            payload, width, height = _png_data_url(coords)
            if not (0 < width <= _MAX_SIDE and 0 < height <= _MAX_SIDE):
                raise ValueError(f"mask PNG claims a size of {width}×{height}")
            if not item.width or not item.height:
                item.width, item.height = width, height
            elif (width, height) != (item.width, item.height):
                self.ctx.warn(
                    _join(loc, "coordinates"),
                    f"mask PNG is {width}×{height}, item is {item.width}×{item.height}: "
                    "cropped/padded to the item",
                    item=item.id,
                    obj=ann_id,
                )
            describe = f"binary annotation {ann_id or loc}"
            loader = _mask_loader(payload, item.width, item.height, describe)
            return Mask(item.height, item.width, LazyMask(loader, describe))
        raise ValueError(f"unknown shape type {kind!r}")

    def _classification(
        self, item: Item, ann: dict, system: dict, label: str, ann_id: str | None, loc: str
    ) -> None:
        if system.get("system") is True:
            # The legacy item status ("completed"/"discarded") is a system class annotation.
            item.status = item.status or label
            item.history.append(
                StageEvent(action=label, actor=ann.get("creator"), at=ann.get("createdAt"))
            )
            return
        common = self._common(ann, system)
        frames = None
        if item.kind == "video":
            segments = self._track(item, ann, system, label, [], loc)
            frames = (segments[0].start, segments[-1].end)
        item.classifications.append(
            Answer(
                "class",
                label,
                children=self._attributes(ann.get("attributes"), system.get("attributes"), loc),
                frames=frames,
                confidence=common["confidence"],
                source=common["source"],
                answered_by=ann.get("creator"),
                extra={"id": ann_id, **common["extra"]},
            )
        )

    def _pose(
        self,
        item: Item,
        ann: dict,
        ann_id: str | None,
        segments: list[_Seg],
        children: list[tuple[int, dict]],
        common: dict[str, Any],
        loc: str,
    ) -> None:
        coords = ann.get("coordinates") if isinstance(ann.get("coordinates"), dict) else {}
        template_id = coords.get("templateId")
        if template_id is not None:
            self.pose_templates.setdefault(segments[0].label, str(template_id))
        # Each child point is its own (possibly tracked) annotation.
        tracks = []
        for index, child in children:
            child_loc = _index(loc.rsplit("[", 1)[0], index)
            try:
                child_system = _system(child)
                attrs = self._attributes(
                    child.get("attributes"), child_system.get("attributes"), child_loc
                )
                child_label = str(child.get("label") or f"point {index}")
                segs = self._track(item, child, child_system, child_label, attrs, child_loc)
                states = []
                for seg in segs:
                    point = _xy(seg.coords[0] if isinstance(seg.coords, list) else seg.coords)
                    states.append((seg, point, _visibility(seg.attributes)))
                tracks.append((child_label, states))
            except _BAD as error:
                self.ctx.warn(child_loc, f"pose point skipped: {_why(error)}", item=item.id)
        self.labels.setdefault(segments[0].label, None)
        for seg in segments:
            if not seg.visible:
                continue
            frames: range | list[None] = (
                range(seg.start, seg.end + 1) if item.kind == "video" else [None]
            )
            for frame in frames:
                names, points, visibility = [], [], []
                for child_label, states in tracks:
                    state = _state_at(states, frame)
                    if state is None:
                        continue
                    child_seg, point, vis = state
                    names.append(child_label)
                    points.append(point if child_seg.visible else (0.0, 0.0))
                    visibility.append(vis if child_seg.visible else 0)
                obj = ObjectLabel(
                    category=seg.label,
                    geometry=Keypoints.from_lists(points, visibility, names),
                    id=ann_id,
                    frame=frame,
                    track=ann_id if item.kind == "video" else None,
                    attributes=list(seg.attributes),
                    **{**common, "extra": {**common["extra"], "templateId": template_id}},
                )
                item.objects.append(obj)
                self.poses.setdefault(seg.label, []).append(obj)

    # -- categories --------------------------------------------------------------------------------

    def _finish(self) -> None:
        dataset = self.dataset
        onto = self.ontology
        if onto is not None:
            for number, tag in enumerate(sorted(onto.labels), start=1):
                value = onto.labels[tag]
                parent, _, _leaf = tag.rpartition(".")
                extra = {
                    k: value[k] for k in ("displayLabel", "attributes") if value.get(k) is not None
                }
                dataset.category(
                    tag,
                    id=number,  # Dataloop's default instance_map: sorted tags, 1-based
                    color=_hex_color(value.get("color")),
                    supercategory=parent or None,
                    extra=extra,
                )
            dataset.meta["ontology"] = self.ontology_source
        for label in self.labels:
            parent, _, _leaf = label.rpartition(".")
            dataset.category(label, supercategory=parent or None)
        for label, objects in self.poses.items():
            self._skeleton(label, objects)
        if self.other:
            counts = ", ".join(f"{n:,} {kind}" for kind, n in sorted(self.other.items()))
            self.ctx.warn(
                "annotations",
                f"kept {counts} annotation(s) in the items' extra: labelview does not draw these "
                "types",
            )

    def _skeleton(self, label: str, objects: list[ObjectLabel]) -> None:
        """Give every pose of `label` the same point order (the template's, else first-seen)."""
        template_id = self.pose_templates.get(label)
        template = (
            self.ontology.templates.get(template_id) if self.ontology and template_id else None
        )
        names: list[str] = []
        edges: list[tuple[int, int]] = []
        if template is not None:
            names = [str(n) for n in template.get("order") or []]
            for arc in template.get("arcs") or []:
                if isinstance(arc, list | tuple) and len(arc) == 2:
                    a, b = str(arc[0]), str(arc[1])
                    if a in names and b in names:
                        edges.append((names.index(a), names.index(b)))
        for obj in objects:
            for name in obj.geometry.names:  # type: ignore[union-attr]
                if name not in names:
                    names.append(name)
        position = {name: i for i, name in enumerate(names)}
        for obj in objects:
            kp: Keypoints = obj.geometry  # type: ignore[assignment]
            points = np.zeros((len(names), 2))
            visibility = np.zeros(len(names), dtype=np.uint8)
            for index, name in enumerate(kp.names):
                points[position[name]] = kp.points[index]
                visibility[position[name]] = kp.visibility[index]
            obj.geometry = Keypoints(points, visibility, tuple(names))
        category = self.dataset.category(label)
        category.skeleton = Skeleton(names=tuple(names), edges=tuple(edges))
        category.shape = "pose"


class _Lines:
    """Parsed NDJSON records of one document."""

    __slots__ = ("records",)

    def __init__(self, records: list[tuple[int, Any]]) -> None:
        self.records = records


_SKIP = object()


def _looks_ndjson(data: bytes) -> bool:
    """Several JSON objects, one a line (a .json-named NDJSON partition); never copies `data`."""
    start = _NON_SPACE.search(data)
    if start is None or data[start.start() : start.start() + 1] != b"{":
        return False
    newline = data.find(b"\n", start.start())
    if newline < 0 or _NON_SPACE.search(data, newline) is None:
        return False
    try:
        return isinstance(orjson.loads(data[start.start() : newline]), dict)
    except orjson.JSONDecodeError:
        return False


def _has_tracks(annotations: list) -> bool:
    for ann in annotations:
        if isinstance(ann, dict):
            for snap in _system(ann).get("snapshots_") or []:
                if isinstance(snap, dict) and (_int(snap.get("frame")) or 0) > 0:
                    return True
    return False


def _state_at(states: list, frame: int | None) -> Any:
    if frame is None:
        return states[0] if states else None
    starts = [seg.start for seg, _, _ in states]
    index = bisect.bisect_right(starts, frame) - 1
    if index < 0 or frame > states[index][0].end:
        return None
    return states[index]


def _visibility(attributes: list[Answer]) -> int:
    values = set()
    for answer in attributes:
        values.add(str(answer.name).lower() if answer.value is True else str(answer.value).lower())
    # "not-visible" marks an occluded point; "visible" or no attribute: a visible one.
    return 1 if values & {"not-visible", "not_visible", "not visible"} else 2


def _system(ann: dict) -> dict:
    metadata = ann.get("metadata")
    if isinstance(metadata, dict) and isinstance(metadata.get("system"), dict):
        return metadata["system"]
    return {}


def _fps(metadata: dict, system: dict) -> float:
    for value in (metadata.get("fps"), system.get("fps")):
        if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
            return float(value)
    rate = (system.get("ffmpeg") or {}).get("avg_frame_rate")
    if isinstance(rate, str) and "/" in rate:
        num, _, den = rate.partition("/")
        try:
            if float(den) > 0 and float(num) > 0:
                return float(num) / float(den)
        except ValueError:
            pass
    return _DEFAULT_FPS


def _frame_count(system: dict) -> int | None:
    ffmpeg = system.get("ffmpeg") if isinstance(system.get("ffmpeg"), dict) else {}
    for value in (system.get("nb_frames"), ffmpeg.get("nb_read_frames"), ffmpeg.get("nb_frames")):
        count = _int(value)
        if count:
            return count
    return _int(system.get("nb_frames_estimation"))


def _why(error: Exception) -> str:
    if isinstance(error, KeyError):
        return f"missing key {error.args[0]!r}"
    return str(error) or type(error).__name__


def _loc(member: str, path: str) -> str:
    """A location: the member of a folder/zip (ending in ':'), then the JSON path inside it."""
    if member:
        return f"{member}: {path}" if path else f"{member}:"
    return path


def _join(loc: str, key: str) -> str:
    if not loc:
        return key
    return f"{loc} {key}" if loc.endswith(":") else f"{loc}.{key}"


def _index(loc: str, index: int) -> str:
    if not loc:
        return f"[{index}]"
    return f"{loc} [{index}]" if loc.endswith(":") else f"{loc}[{index}]"


def read(path: Path, ctx: ReadContext) -> Dataset:
    """Read a Dataloop export (file, folder or zip) into a Dataset."""
    return _Reader(Path(path), ctx).run()


FORMAT = Format(
    name="dataloop",
    title="Dataloop JSON",
    suffixes=(".json", ".zip", ".ndjson", ".jsonl", ".gz"),
    detect=detect,
    read=read,
    description="Dataloop item JSON exports: per-item files (folder or zip), JSON arrays, "
    "NDJSON partitions; boxes, polygons, masks, poses, video tracks.",
)
