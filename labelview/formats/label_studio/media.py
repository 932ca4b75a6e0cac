"""Where a Label Studio task's image is, and which `data` key holds it.

A task's `data` maps the labeling config's variables to values (`$image` → `data.image`); the
export does not carry the config, so the image key is the results' `to_name` when `data` has it,
else the first key whose value looks like an image reference (a list of them for multi-image
tasks). References take several forms:

- a URL (`https://…`, `s3://…`, `gs://…`): looked up by the URL map, then by its file name;
- a file uploaded to Label Studio: `/data/upload/<project>/<8 hex>-<name>` — the server keeps it
  as `<8 hex>-<name>` under its media folder; the file is looked for under that name, then under
  `<name>` (a user's own copy of the image);
- a local-storage file: `/data/local-files/?d=<path>` — looked for by `<path>`.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlparse

from labelview.images import IMAGE_SUFFIXES, ImageResolver, reference_parts

_UPLOAD_PREFIX = re.compile(r"^[0-9a-f]{8}-(.+)$")
_IMAGE_KEYS = ("image", "img", "images", "photo", "picture", "ocr")
_SCHEMES = ("http://", "https://", "s3://", "gs://", "azure-blob://", "/data/", "data:image")


def looks_like_image(value: Any) -> bool:
    if not isinstance(value, str) or not value.strip():
        return False
    if value.startswith(_SCHEMES):
        return True
    return Path(reference_parts(value).name).suffix.lower() in IMAGE_SUFFIXES


def image_urls(value: Any, *, named: bool = False) -> list[str] | None:
    """A data value as a list of image references (one for an image, several for a list of them:
    strings or `{"url": …}` objects, as multi-image tasks have); None when it holds no image.
    `named`: the key says it is an image (the results' to_name, `image`), so any text is one.
    """

    def accept(text: Any) -> bool:
        if named:
            return isinstance(text, str) and bool(text.strip())
        return looks_like_image(text)

    if accept(value):
        return [value]
    if isinstance(value, list) and value:
        urls = [entry.get("url") if isinstance(entry, dict) else entry for entry in value]
        if all(accept(url) for url in urls):
            return urls
    return None


def image_key(data: dict, to_names: list[str]) -> str | None:
    """The `data` key holding the task's image(s)."""
    for name in to_names:
        if name in data and image_urls(data[name]) is not None:
            return name
    # These keys name an image whatever their text looks like (`/image1` in the converter's own
    # test exports); a to_name does not (it may be a text or audio tag).
    for name in _IMAGE_KEYS:
        if name in data and image_urls(data[name], named=True) is not None:
            return name
    return next((key for key, value in data.items() if image_urls(value) is not None), None)


def display_name(reference: str) -> str:
    """The file name a user knows an image by."""
    if reference.startswith("data:"):
        return "inline image"
    local = _local_file(reference)
    return reference_parts(local or reference).name or reference


def candidates(reference: str) -> list[str]:
    """The names to look an image up by, most specific first."""
    local = _local_file(reference)
    found = [local, reference] if local else [reference]
    name = reference_parts(reference).name
    if reference.startswith("/data/upload/"):
        found.append(unquote(reference[len("/data/upload/") :]))
        stripped = _UPLOAD_PREFIX.match(name)
        if stripped:
            found.append(stripped.group(1))
    return found


def locate(images: ImageResolver, reference: str | None) -> Path | None:
    if not reference or reference.startswith("data:"):
        return None
    for candidate in candidates(reference):
        found = images.find(candidate)
        if found is not None:
            return found
    return None


def _local_file(reference: str) -> str | None:
    """The `d` path of a local-storage reference (`/data/local-files/?d=dir/a.jpg`)."""
    if "?d=" not in reference:
        return None
    query = parse_qs(urlparse(reference).query).get("d")
    return query[0].replace("\\", "/") if query else None
