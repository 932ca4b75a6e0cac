"""Which image of one export is which image of the other: frame-aware pairing.

Both exports are first expanded into *pictures* with the writers' naming rule
(`formats._writing.pictures`): a single image is itself; every frame of a video, image group,
sequence or DICOM series is a picture of its own named `<video stem>/<frame:06d>.<ext>` — the
name our COCO/YOLO/VOC/CVAT writers give that frame. So an Encord video and its own COCO
conversion (one image per frame) pair frame by frame.

Pictures are then paired by key, most specific first:
1. the whole name, case-insensitive, without its suffix (`clip/000003`, `train/img_1`);
2. else its tail: the file stem, or for a numbered frame the folder and the number
   (`clip/3` for `frames/clip/000003.png` and `clip/3.jpg`) — only where that tail names one
   picture on each side, so two `0001.jpg` in different folders are never confused.
A picture left without a partner is compared with nothing: all its objects are missed (reference
side) or extra (candidate side).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from labelview.cancel import checked
from labelview.formats import default_image_roots
from labelview.formats._writing import Picture, pictures
from labelview.model import Dataset


@dataclass(frozen=True, slots=True)
class PicturePair:
    """One image as the reference and the candidate export have it (either may be missing)."""

    key: str
    reference: Picture | None
    candidate: Picture | None

    @property
    def name(self) -> str:
        return (self.reference or self.candidate).name  # type: ignore[union-attr]

    @property
    def size(self) -> tuple[int, int] | None:
        for picture in (self.reference, self.candidate):
            if picture is not None and picture.size:
                return picture.size
        return None


def expand(dataset: Dataset, cancel: Any = None) -> list[Picture]:
    """Every picture of a dataset, in item order (a multi-frame item gives one per frame)."""
    roots = default_image_roots(dataset.source, None)
    found: list[Picture] = []
    for item in checked(dataset.items, cancel):
        found.extend(pictures(item, roots, cancel=cancel))
    return found


def full_key(name: str) -> str:
    path = PurePosixPath(name.replace("\\", "/").lower())
    return (path.with_suffix("") if path.suffix else path).as_posix()


def tail_key(name: str) -> str:
    path = PurePosixPath(full_key(name))
    if path.name.isdigit():  # a numbered frame: its folder names the video
        return f"{path.parent.name}/{int(path.name)}"
    return path.name


def pair(reference: Dataset, candidate: Dataset, cancel: Any = None) -> list[PicturePair]:
    """Pair the pictures of two exports (see the module docstring); reference order first."""
    return pair_pictures(expand(reference, cancel), expand(candidate, cancel))


def pair_pictures(reference: list[Picture], candidate: list[Picture]) -> list[PicturePair]:
    by_full = _unique(candidate, full_key)
    taken: set[int] = set()
    pairs: list[PicturePair | None] = []
    unpaired: list[int] = []
    for index, picture in enumerate(reference):
        match = by_full.get(full_key(picture.name))
        if match is not None and id(match) not in taken:
            taken.add(id(match))
            pairs.append(PicturePair(full_key(picture.name), picture, match))
        else:
            pairs.append(None)
            unpaired.append(index)
    rest = [picture for picture in candidate if id(picture) not in taken]
    by_tail = _unique(rest, tail_key)
    tails = Counter(tail_key(reference[index].name) for index in unpaired)
    for index in unpaired:
        picture = reference[index]
        key = tail_key(picture.name)
        match = by_tail.get(key) if tails[key] == 1 else None
        if match is not None:
            taken.add(id(match))
        pairs[index] = PicturePair(full_key(picture.name), picture, match)
    result = [p for p in pairs if p is not None]
    result += [
        PicturePair(full_key(picture.name), None, picture)
        for picture in candidate
        if id(picture) not in taken
    ]
    return result


def _unique(found: Iterable[Picture], key) -> dict[str, Picture]:
    """key → picture, for the keys that name exactly one picture."""
    counts: Counter[str] = Counter()
    first: dict[str, Picture] = {}
    for picture in found:
        k = key(picture.name)
        counts[k] += 1
        first.setdefault(k, picture)
    return {k: picture for k, picture in first.items() if counts[k] == 1}
