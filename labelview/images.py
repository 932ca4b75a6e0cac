"""Find each item's image on disk.

Exports name their images in many ways: a relative path, a bare file name, a URL, a URL-encoded
name, with different letter case than the file system. We look, in order: the reference as a
relative path under the images folder and beside the export; its base name there; then a one-time
index of every image under those folders by lower-case name (and by lower-case relative path tail).
Nothing is fetched from the network.
"""

from __future__ import annotations

import io
import os
import re
import warnings
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO
from urllib.parse import unquote, urlparse

from labelview import limits
from labelview.cancel import checked
from labelview.model import Dataset

IMAGE_SUFFIXES = frozenset(
    {".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp", ".gif", ".jfif", ".pgm", ".ppm"}
)
_MAX_INDEXED = 500_000


def reference_parts(reference: str) -> PurePosixPath:
    """The path part of an image reference (URL or file path), URL-decoded, with / separators."""
    text = reference.strip()
    if "://" in text:
        text = urlparse(text).path
    text = unquote(text).replace("\\", "/")
    return PurePosixPath(text.lstrip("/"))


class ImageFinder:
    """Resolves image references against a list of folders.

    The folders are indexed once (image files by lower-case name), so a reference costs a dict
    lookup, not a handful of stat calls: a 100k-image export whose images are missing resolves in
    milliseconds. Several files with the same name: the one whose path ends like the reference wins,
    then the earlier folder (the user's images folder comes first).
    """

    def __init__(self, roots: Iterable[Path]) -> None:
        self.roots = [Path(root) for root in roots if root is not None and Path(root).is_dir()]
        self._by_name: dict[str, list[str]] | None = None
        self._complete = True  # False when the walk stopped at _MAX_INDEXED files

    def _index(self) -> dict[str, list[str]]:
        if self._by_name is None:
            self._by_name = {}
            seen = 0
            walked: set[str] = set()  # roots nest (the export folder and its images/): walk once
            for root in self.roots:
                for folder, dirs, files in os.walk(root):
                    real = os.path.realpath(folder)
                    if real in walked:
                        dirs.clear()
                        continue
                    walked.add(real)
                    for file in files:
                        if os.path.splitext(file)[1].lower() in IMAGE_SUFFIXES:
                            self._by_name.setdefault(file.lower(), []).append(
                                os.path.join(folder, file)
                            )
                            seen += 1
                    if seen > _MAX_INDEXED:
                        self._complete = False
                        return self._by_name
        return self._by_name

    def find(self, reference: str | None) -> Path | None:
        """The local file for `reference`, or None."""
        segments = _segments(reference) if reference else []
        if not segments:
            return None
        name = segments[-1]
        indexed = os.path.splitext(name)[1].lower() in IMAGE_SUFFIXES
        matches = self._index().get(name.lower()) if indexed else None
        if matches:
            if len(matches) == 1:
                return Path(matches[0])
            tail = [segment.lower() for segment in segments]

            def common_tail(path: str) -> int:
                parts = path.replace(os.sep, "/").lower().split("/")
                count = 0
                while count < min(len(parts), len(tail)) and parts[-1 - count] == tail[-1 - count]:
                    count += 1
                return count

            return Path(max(matches, key=common_tail))  # max keeps the first of equals
        if indexed and self._complete:
            return None
        # Not an image suffix (a DICOM slice, a video), or too many files to index: look directly.
        # A reference with `..` must not reach outside the folders searched: use its name only.
        relative = [] if ".." in segments else [segments]
        for root in self.roots:
            for candidate in (*(root.joinpath(*parts) for parts in relative), root / name):
                if is_file(candidate):
                    return candidate
        return None


def is_file(path: Path) -> bool:
    """`path.is_file()` for a name taken from an export: a name too long for the file system or
    holding a NUL byte is no file here, not an exception.
    """
    try:
        return path.is_file()
    except (OSError, ValueError):
        return False


def _segments(reference: str) -> list[str]:
    """The path segments of a reference (URL path or file path), URL-decoded."""
    text = reference.strip()
    if "://" in text:
        text = urlparse(text).path
    if "%" in text:
        text = unquote(text)
    return [part for part in text.replace("\\", "/").split("/") if part and part != "."]


class UrlMap:
    """A user's `--url-map` file: JSON `{url: local path}` (paths relative to the map's folder).

    A URL matches with or without its query string (signed URLs of Ango and Segments.ai change
    their query on every export).
    """

    def __init__(self, entries: dict[str, Path] | None = None) -> None:
        self.entries = entries or {}

    @classmethod
    def load(cls, path: Path) -> UrlMap:
        """Read a map file; FormatError (located in the map) when it is not a JSON object."""
        import orjson

        from labelview.errors import FormatError

        try:
            from labelview.formats._input import read_bytes

            data = orjson.loads(read_bytes(path))  # a regular file within MAX_FILE_BYTES
        except OSError as error:
            raise FormatError(Path(path).name, "", f"cannot read: {error.strerror}") from error
        except orjson.JSONDecodeError as error:
            raise FormatError(Path(path).name, "", f"invalid JSON: {error}") from error
        if not isinstance(data, dict):
            raise FormatError(Path(path).name, "", "a URL map must be a JSON object {url: path}")
        base = Path(path).parent
        entries = {}
        for url, target in data.items():
            if isinstance(target, str) and target:
                entries[str(url)] = base / target
        return cls(entries)

    def find(self, reference: str | None) -> Path | None:
        """The mapped local file for `reference`, when the map names one that exists."""
        if not reference or not self.entries:
            return None
        for key in (reference, reference.split("?", 1)[0]):
            mapped = self.entries.get(key)
            if mapped is not None and is_file(mapped):
                return mapped
        return None


class ImageResolver:
    """The one image-reference resolver readers and `resolve()` share: the URL map, then the
    folders searched by ImageFinder.
    """

    def __init__(self, roots: Iterable[Path], url_map: UrlMap | None = None) -> None:
        self.url_map = url_map or UrlMap()
        self.finder = ImageFinder(roots)

    def find(self, reference: str | None) -> Path | None:
        if not reference:
            return None
        return self.url_map.find(reference) or self.finder.find(reference)


def default_roots(source: Path | None, images_dir: Path | None) -> list[Path]:
    """Where to look: the user's images folder first, then the export's folder, an `images/` or
    `items/` in it, and an `items/` beside it (SDK downloads put `json/` and `items/` side by side).
    """
    roots: list[Path] = []
    if images_dir is not None:
        roots.append(Path(images_dir))
    if source is not None:
        base = source if source.is_dir() else source.parent
        roots.extend([base, base / "images", base / "items", base.parent / "items"])
        if base.name.lower() == "annotations":  # COCO: annotations/ beside images/<subset>/
            roots.append(base.parent / "images")
    return roots


def resolve(
    dataset: Dataset,
    *,
    images_dir: Path | None = None,
    url_map: UrlMap | None = None,
    cancel: Any = None,
) -> int:
    """Set `image_path` on every item and frame whose image can be found; returns how many were
    found. `cancel`: as for `labelview.cancel.checked`.
    """
    finder = ImageResolver(default_roots(dataset.source, images_dir), url_map)
    found = 0
    for item in checked(dataset.items, cancel):
        # Keep what a reader already resolved (a URL map, an SDK download layout).
        if item.image_path is None or not is_file(item.image_path):
            item.image_path = (
                finder.find(item.image or item.name) if (item.image or item.name) else None
            )
        found += item.image_path is not None
        for frame in checked(item.frames, cancel):
            if frame.image_path is None or not is_file(frame.image_path):
                frame.image_path = finder.find(frame.image) if frame.image else None
            found += frame.image_path is not None
    return found


def pillow():
    """PIL.Image with its decompression-bomb limit set from `limits.MAX_PIXELS` (Pillow warns past
    it and refuses past twice it; `open_image` refuses past it).
    """
    from PIL import Image

    Image.MAX_IMAGE_PIXELS = limits.MAX_PIXELS
    return Image


@contextmanager
def open_image(source: Path | str | bytes | BinaryIO, what: str = "image") -> Iterator[Any]:
    """A PIL image opened (header only), its claimed size checked against `limits.MAX_PIXELS`
    before any pixel is decoded. A bomb is `limits.Refused` (an OSError and a ValueError, like
    the errors of an unreadable image), never Pillow's DecompressionBombError or a warning.
    A path must be a regular file (a FIFO would block Pillow's open).
    """
    Image = pillow()
    if isinstance(source, (bytes, bytearray, memoryview)):
        stream: Any = io.BytesIO(source)
    elif isinstance(source, (str, Path)):
        from labelview.formats._input import open_regular

        stream = open_regular(source)
    else:
        stream = source
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            try:
                image = Image.open(stream)
            except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
                claimed = re.search(r"\((\d+) pixels\)", str(error))
                pixels = int(claimed.group(1)) if claimed else limits.MAX_PIXELS + 1
                raise limits.Refused(
                    f"{what} claims {pixels:,} pixels, {limits.over('MAX_PIXELS')}"
                ) from None
        with image:
            width, height = image.size
            limits.check_pixels(width, height, what)
            yield image
    finally:
        if stream is not source:
            stream.close()


def image_size(path: Path) -> tuple[int, int] | None:
    """(width, height) of an image file from its header only; None when it cannot be read or
    claims more than `limits.MAX_PIXELS` pixels.
    """
    from PIL import UnidentifiedImageError

    try:
        with open_image(path) as image:
            return image.size
    except (OSError, UnidentifiedImageError, ValueError):
        return None
