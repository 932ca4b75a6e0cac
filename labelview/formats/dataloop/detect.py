"""Is this a Dataloop export? Judged by the keys in a file's head or the names in a folder/zip."""

from __future__ import annotations

import re
import zlib
from pathlib import PurePosixPath

from labelview.formats.base import Confidence, Detection, Probe, no

JSON_SUFFIXES = (".json", ".ndjson", ".jsonl", ".json.gz", ".ndjson.gz", ".jsonl.gz")
_HEX24 = re.compile(r"[0-9a-fA-F]{24}")

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
            head = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(head, 1 << 20)  # a head only
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
    jsons = [n for n in names if n.lower().endswith(JSON_SUFFIXES) and not junk(n)]
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


def junk(name: str) -> bool:
    return name.startswith("__MACOSX/") or PurePosixPath(name).name.startswith("._")


# --- ontology / recipe ----------------------------------------------------------------------------
