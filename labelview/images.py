"""Find each item's image on disk.

Exports name their images in many ways: a relative path, a bare file name, a URL, a URL-encoded
name, with different letter case than the file system. We look, in order: the reference as a
relative path under the images folder and beside the export; its base name there; then a one-time
index of every image under those folders by lower-case name (and by lower-case relative path tail).
Nothing is fetched from the network.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlparse

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
    """Resolves image references against a list of folders (first match wins)."""

    def __init__(self, roots: Iterable[Path]) -> None:
        self.roots = [Path(root) for root in roots if root is not None and Path(root).is_dir()]
        self._by_name: dict[str, list[Path]] | None = None

    def _index(self) -> dict[str, list[Path]]:
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
                        if Path(file).suffix.lower() in IMAGE_SUFFIXES:
                            self._by_name.setdefault(file.lower(), []).append(Path(folder, file))
                            seen += 1
                    if seen > _MAX_INDEXED:
                        return self._by_name
        return self._by_name

    def find(self, reference: str | None) -> Path | None:
        """The local file for `reference`, or None."""
        if not reference:
            return None
        parts = reference_parts(reference)
        if not parts.name:
            return None
        # A reference with `..` must not reach outside the folders searched: use its name only.
        escapes = ".." in parts.parts
        for root in self.roots:
            joined = () if escapes else (root.joinpath(*parts.parts),)
            for candidate in (*joined, root / parts.name):
                if candidate.is_file():
                    return candidate
        matches = self._index().get(parts.name.lower(), [])
        if len(matches) == 1:
            return matches[0]
        if matches:
            # Several files share the name: prefer the one whose path ends like the reference.
            tail = [p.lower() for p in parts.parts]
            for match in matches:
                if [p.lower() for p in match.parts[-len(tail) :]] == tail:
                    return match
            return matches[0]
        return None


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
    return roots


def resolve(dataset: Dataset, *, images_dir: Path | None = None) -> int:
    """Set `image_path` on every item and frame whose image can be found; returns how many were
    found.
    """
    finder = ImageFinder(default_roots(dataset.source, images_dir))
    found = 0
    for item in dataset.items:
        # Keep what a reader already resolved (a URL map, an SDK download layout).
        if item.image_path is None or not item.image_path.is_file():
            item.image_path = (
                finder.find(item.image or item.name) if (item.image or item.name) else None
            )
        found += item.image_path is not None
        for frame in item.frames:
            if frame.image_path is None or not frame.image_path.is_file():
                frame.image_path = finder.find(frame.image) if frame.image else None
            found += frame.image_path is not None
    return found


def image_size(path: Path) -> tuple[int, int] | None:
    """(width, height) of an image file from its header only; None when it cannot be read."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            return image.size
    except (OSError, UnidentifiedImageError, ValueError):
        return None
