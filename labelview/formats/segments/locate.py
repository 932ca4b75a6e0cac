"""Where a release's images and label bitmaps are on disk, and what they are called when not.

A release names every image and bitmap by URL. The names below are the ones the platform's SDK
gives the files it downloads (`SegmentsDataset` caches them in
`segments/<owner>_<dataset>/<release>/`):
- image: `<sample name without suffix><URL suffix>` (the sample name itself when the URL has no
  suffix);
- label bitmap: `<sample name without suffix>_label_<labelset><URL suffix>` (the SDK's 16-bit
  decoded copy; the RGBA original from the URL is read too);
- sequence frame (not downloaded by the SDK; its YOLO export names them so):
  `<sample name without suffix>-<frame name><URL suffix>`, the frame name defaulting to its
  1-based number `00001`.

Each file is looked up through the one image resolver (`ctx.images`): the user's URL map first,
then these names, then the URL's own file name, under `--images DIR` and beside the release.
"""

from __future__ import annotations

import posixpath
from pathlib import Path

from labelview.formats.base import ReadContext
from labelview.images import reference_parts

_BITMAP_SUFFIX = ".png"


def url_suffix(url: str | None) -> str:
    """The file suffix of a URL's path ('' when it has none)."""
    return posixpath.splitext(reference_parts(url).name)[1] if url else ""


def _without_suffix(name: str) -> str:
    return posixpath.splitext(name)[0]


def image_name(sample_name: str, url: str | None) -> str:
    """What the SDK names a sample's downloaded image."""
    suffix = url_suffix(url)
    return f"{_without_suffix(sample_name)}{suffix}" if suffix else sample_name


def bitmap_name(sample_name: str, labelset: str, url: str | None) -> str:
    """What the SDK names a sample's downloaded label bitmap."""
    suffix = url_suffix(url) or _BITMAP_SUFFIX
    return f"{_without_suffix(sample_name)}_label_{labelset}{suffix}"


def frame_number_name(index: int) -> str:
    """A sequence frame's name when the release gives none (the SDK's default)."""
    return f"{index + 1:05d}"


def frame_name(sample_name: str, name: str, url: str | None) -> str:
    """The canonical file name of one frame of a sequence sample."""
    return f"{_without_suffix(sample_name)}-{name}{url_suffix(url)}"


class Locator:
    """Finds a release's files through `ctx.images` (URL map first, then the names tried)."""

    def __init__(self, ctx: ReadContext) -> None:
        self.images = ctx.images

    def find(self, url: str | None, names: list[str]) -> Path | None:
        """The URL map's file for `url`, else the first of `names` found, else the URL's name."""
        found = self.images.url_map.find(url)
        for name in names:
            if found is not None:
                break
            found = self.images.find(name)
        return found or self.images.find(url)

    def image(self, url: str | None, sample_name: str) -> Path | None:
        return self.find(url, [image_name(sample_name, url), sample_name])

    def frame(self, url: str | None, canonical: str, own_name: str | None) -> Path | None:
        # The URL's name before the canonical one: a plain download of the URLs keeps them.
        found = self.images.url_map.find(url) or self.images.find(url)
        if found is None:
            names = [canonical]
            if own_name:
                names.append(own_name + url_suffix(url))  # frames saved under their own name
            found = self.find(None, names)
        return found

    def bitmap(self, url: str | None, sample_name: str | None, labelset: str | None) -> Path | None:
        names = [bitmap_name(sample_name, labelset, url)] if sample_name and labelset else []
        return self.find(url, names)
