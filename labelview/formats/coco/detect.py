"""COCO detection: top-level keys read from the head of the file, never the whole file."""

from __future__ import annotations

import re

from labelview.formats.base import HEAD_BYTES, Confidence, Detection, Probe, no

_TOKEN = re.compile(rb'"(?:[^"\\]|\\.)*"|[{}\[\]]')
_SPACE = b" \t\r\n"


def _keys_by_depth(head: bytes) -> tuple[list[str], dict[str, set[str]], set[str]]:
    """Top-level keys, keys of the elements of each top-level array, keys of a list's elements.

    Works on a head cut anywhere (it only looks at complete tokens).
    """
    top: list[str] = []
    nested: dict[str, set[str]] = {}
    list_keys: set[str] = set()
    depth = 0
    current = ""
    root = ""
    for match in _TOKEN.finditer(head):
        token = match.group()
        first = token[:1]
        if first == b'"':
            end = match.end()
            while end < len(head) and head[end] in _SPACE:
                end += 1
            if end >= len(head) or head[end : end + 1] != b":":
                continue
            key = token[1:-1].decode("utf-8", "replace")
            if root == "{" and depth == 1:
                top.append(key)
                current = key
            elif root == "{" and depth == 3 and current:
                nested.setdefault(current, set()).add(key)
            elif root == "[" and depth == 2:
                list_keys.add(key)
        elif first in b"{[":
            if depth == 0:
                root = first.decode()
            depth += 1
        else:
            depth -= 1
            if depth <= 0:
                break
    return top, nested, list_keys


def detect(probe: Probe) -> Detection:
    """COCO by its top-level keys (images / annotations / categories), or a results list."""
    start = probe.json_start()
    if not start:
        return no("not JSON")
    head = probe.head.lstrip(b"\xef\xbb\xbf")
    top, nested, list_keys = _keys_by_depth(head)
    keys = set(top)
    if start == "{":
        panoptic = panoptic_evidence(probe, keys, nested)
        if panoptic:
            return Detection(Confidence.WEAK, f"COCO keys, but {panoptic} (coco_panoptic reads it)")
        if {"annotations", "images", "categories"} <= keys:
            return Detection(Confidence.CERTAIN, "top-level images, annotations and categories")
        if {"images", "categories"} <= keys:
            return Detection(Confidence.LIKELY, "top-level images and categories")
        cut = probe.size > len(probe.head)
        images = nested.get("images", set())
        annotations = nested.get("annotations", set())
        # Only the head was read: in a big file `categories` may come after images[] or
        # annotations[] (the file itself is complete).
        later = f"categories not in the first {HEAD_BYTES // 1024} KiB read"
        if cut and {"file_name", "id"} <= images and not keys - _TOP_KEYS:
            return Detection(Confidence.LIKELY, f"COCO images[] ({later})")
        if cut and {"image_id", "category_id"} <= annotations and not keys - _TOP_KEYS:
            return Detection(Confidence.LIKELY, f"COCO annotations[] ({later})")
    elif {"image_id", "category_id"} <= list_keys and list_keys & {
        "bbox",
        "segmentation",
        "keypoints",
    }:
        return Detection(Confidence.LIKELY, "a COCO results list (image_id, category_id, score)")
    if probe.suffix == ".json":
        return Detection(Confidence.WEAK, ".json without COCO's top-level keys")
    return no("no COCO keys")


def panoptic_evidence(probe: Probe, keys: set[str], nested: dict[str, set[str]]) -> str:
    """Why a COCO-shaped JSON object is a COCO panoptic file ('' when nothing says so).

    `segments_info` in annotations[] decides. A big file's head often ends inside images[], so
    the signs around it count too: `isthing` categories, or — with no instance annotation keys
    seen — a folder named like the file beside it (COCO's and Datumaro's layout for the PNGs).
    """
    annotations = nested.get("annotations", set())
    if "segments_info" in annotations:
        return "annotations[] have segments_info (a COCO panoptic file)"
    if annotations & {"segmentation", "bbox", "keypoints"} or "images" not in keys:
        return ""
    if "isthing" in nested.get("categories", set()):
        return "categories[] have isthing (a COCO panoptic file)"
    folder = probe.path.with_suffix("")
    if "panoptic" in probe.path.name.lower() and folder.is_dir():
        return f"a panoptic JSON with its PNG folder {folder.name}/ beside it"
    return ""


_TOP_KEYS = frozenset({"info", "licenses", "images", "annotations", "categories", "type"})
