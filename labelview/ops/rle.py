"""Run-length encodings: COCO's (via pycocotools) and Encord's row-major variant of its codec.

COCO RLE walks pixels column by column (Fortran order) with `size = [height, width]`; the first run
counts zeros. Encord's `rleString` uses the very same string codec but walks pixels row by row.
pycocotools can decode a row-major string if asked for the transposed size — the trick Encord's own
SDK uses — so both go through the C implementation; the pure-Python codec below is for validation
and for the run counts.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from pycocotools import mask as coco_mask

RLE = dict  # {"size": [h, w], "counts": str | list[int]}


class RleError(ValueError):
    """An undecodable RLE (runs that don't add up, a truncated string, a negative run)."""


# --- the string codec (COCO maskApi.c rleToString / rleFrString) ----------------------------------


def string_to_counts(string: str) -> list[int]:
    """Decode a COCO-style compressed counts string to run lengths."""
    counts: list[int] = []
    position = 0
    length = len(string)
    while position < length:
        value = 0
        shift = 0
        more = True
        while more:
            if position >= length:
                raise RleError("truncated RLE string (continuation bit set on the last character)")
            code = ord(string[position]) - 48
            if not 0 <= code < 64:
                raise RleError(f"invalid RLE character {string[position]!r} at {position}")
            position += 1
            value |= (code & 0x1F) << shift
            more = bool(code & 0x20)
            shift += 5
            if not more and code & 0x10:
                value |= -1 << shift
        if len(counts) > 2:
            value += counts[-2]
        counts.append(value)
    return counts


def counts_to_string(counts: Sequence[int]) -> str:
    """Encode run lengths with the COCO compressed string codec."""
    out: list[str] = []
    for index, count in enumerate(counts):
        value = int(count)
        if index > 2:
            value -= int(counts[index - 2])
        more = True
        while more:
            code = value & 0x1F
            value >>= 5
            more = not (((code & 0x10) == 0 and value == 0) or ((code & 0x10) != 0 and value == -1))
            if more:
                code |= 0x20
            out.append(chr(code + 48))
    return "".join(out)


# --- COCO RLE -------------------------------------------------------------------------------------


def _check_size(size: object) -> tuple[int, int]:
    if (
        not isinstance(size, (list, tuple))
        or len(size) != 2
        or not all(isinstance(v, int) and v >= 0 for v in size)
    ):
        raise RleError(f"RLE size must be [height, width], got {size!r}")
    return int(size[0]), int(size[1])


def compress(rle: RLE) -> RLE:
    """Validate a COCO RLE and return it compressed (`counts` as a str)."""
    height, width = _check_size(rle.get("size"))
    counts = rle.get("counts")
    if isinstance(counts, (bytes, str)):
        text = counts.decode("ascii") if isinstance(counts, bytes) else counts
        runs = string_to_counts(text)
        _check_runs(runs, height * width)
        return {"size": [height, width], "counts": text}
    if isinstance(counts, list) and all(isinstance(c, int) for c in counts):
        _check_runs(counts, height * width)
        encoded = coco_mask.frPyObjects({"size": [height, width], "counts": counts}, height, width)
        return {"size": [height, width], "counts": encoded["counts"].decode("ascii")}
    raise RleError("RLE counts must be a string or a list of integers")


def _check_runs(runs: Sequence[int], pixels: int) -> None:
    if any(run < 0 for run in runs):
        raise RleError("RLE has a negative run")
    total = sum(runs)
    if total != pixels:
        raise RleError(f"RLE runs sum to {total}, expected height·width = {pixels}")


def _c_rle(rle: RLE) -> dict:
    counts = rle["counts"]
    return {
        "size": list(rle["size"]),
        "counts": counts.encode("ascii") if isinstance(counts, str) else counts,
    }


def encode_coco(mask: np.ndarray) -> RLE:
    """Encode a (h, w) bool/uint8 mask as compressed COCO RLE with a str `counts`."""
    array = np.asfortranarray(np.asarray(mask, dtype=np.uint8))
    encoded = coco_mask.encode(array)
    return {"size": [int(v) for v in encoded["size"]], "counts": encoded["counts"].decode("ascii")}


def decode_coco(rle: RLE) -> np.ndarray:
    """Decode a compressed or uncompressed COCO RLE to a (h, w) bool array."""
    compressed = compress(rle)
    return coco_mask.decode(_c_rle(compressed)).astype(bool)


def area(rle: RLE) -> int:
    """Pixel count of a COCO RLE, without decoding."""
    return int(coco_mask.area(_c_rle(compress(rle))))


def bbox(rle: RLE) -> tuple[float, float, float, float]:
    """[x, y, w, h] of a COCO RLE's set pixels, without decoding."""
    x, y, w, h = coco_mask.toBbox(_c_rle(compress(rle)))
    return float(x), float(y), float(w), float(h)


def uncompressed_counts(mask: np.ndarray) -> list[int]:
    """Column-major run lengths of a mask (COCO's uncompressed `counts`)."""
    return runs_of(np.asarray(mask, dtype=bool).ravel(order="F"))


def runs_of(flat: np.ndarray) -> list[int]:
    """Alternating run lengths of a flat bool array, starting with a (maybe empty) zero run."""
    flat = np.asarray(flat, dtype=bool)
    if not flat.size:
        return [0]
    change = np.flatnonzero(flat[1:] != flat[:-1]) + 1
    bounds = np.concatenate(([0], change, [flat.size]))
    runs = np.diff(bounds).tolist()
    if flat[0]:
        runs.insert(0, 0)
    return runs


# --- Encord's row-major variant -------------------------------------------------------------------


def decode_row_major(string: str, height: int, width: int) -> np.ndarray:
    """Decode Encord's row-major `rleString` to a (height, width) bool array.

    Runs summing to less than height·width are padded with background; more raises RleError
    (Encord's SDK crashes there).
    """
    if not string:
        # An empty string is an empty mask (pycocotools would read "" as garbage).
        return np.zeros((height, width), dtype=bool)
    runs = string_to_counts(string)
    if any(run < 0 for run in runs):
        raise RleError("RLE has a negative run")
    total = sum(runs)
    pixels = height * width
    if total > pixels:
        raise RleError(f"RLE runs sum to {total}, more than height·width = {pixels}")
    if total < pixels:
        runs = (
            [*runs, pixels - total]
            if len(runs) % 2 == 0
            else [*runs[:-1], runs[-1] + pixels - total]
        )
        string = counts_to_string(runs)
    # pycocotools decodes column-major; asking for the transposed size yields the row-major mask,
    # transposed.
    decoded = coco_mask.decode({"size": [width, height], "counts": string.encode("ascii")})
    return decoded.T.astype(bool)


def encode_row_major(mask: np.ndarray) -> str:
    """Encode a (h, w) mask as Encord's row-major `rleString`."""
    return counts_to_string(runs_of(np.asarray(mask, dtype=bool).ravel(order="C")))


def row_major_area(string: str) -> int:
    """Pixel count of a row-major RLE string, without decoding."""
    return int(sum(string_to_counts(string)[1::2])) if string else 0


def row_major_to_coco(string: str, height: int, width: int) -> RLE:
    """Re-encode a row-major string as COCO (column-major) RLE."""
    return encode_coco(decode_row_major(string, height, width))


# --- polygons ↔ masks (pycocotools' rasteriser, so areas agree with COCO tooling) -----------------


def clip_ring(ring: np.ndarray, height: int, width: int) -> np.ndarray:
    """`ring` cut to the image (one pixel of margin) before pycocotools sees it.

    pycocotools sizes its buffers by a polygon's extent: one vertex at 1e9 allocates gigabytes and
    NaN crashes it. Clipping (Sutherland–Hodgman, exact for what lies inside the image) leaves the
    rasterised pixels unchanged. A ring that is not finite, or lies wholly outside, comes back
    empty.
    """
    ring = np.asarray(ring, dtype=np.float64).reshape(-1, 2)
    if not len(ring) or not np.isfinite(ring).all():
        return ring[:0]
    low_x, low_y, high_x, high_y = -1.0, -1.0, width + 1.0, height + 1.0
    (x0, y0), (x1, y1) = ring.min(axis=0), ring.max(axis=0)
    if x0 >= low_x and y0 >= low_y and x1 <= high_x and y1 <= high_y:
        return ring
    for axis, bound, keep_below in (
        (0, low_x, False),
        (0, high_x, True),
        (1, low_y, False),
        (1, high_y, True),
    ):
        ring = _clip_half_plane(ring, axis, bound, keep_below)
        if not len(ring):
            break
    return ring


def _clip_half_plane(ring: np.ndarray, axis: int, bound: float, keep_below: bool) -> np.ndarray:
    values = ring[:, axis]
    inside = values <= bound if keep_below else values >= bound
    if inside.all():
        return ring
    out: list[np.ndarray] = []
    previous, previous_in = ring[-1], bool(inside[-1])
    for point, point_in in zip(ring, inside.tolist(), strict=True):
        if point_in != previous_in:
            t = (bound - previous[axis]) / (point[axis] - previous[axis])
            out.append(previous + t * (point - previous))
        if point_in:
            out.append(point)
        previous, previous_in = point, point_in
    return np.array(out, dtype=np.float64).reshape(-1, 2)


def clipped_flat(rings: Sequence[np.ndarray], height: int, width: int) -> list[list[float]]:
    """Rings clipped to the image as pycocotools' flat [x, y, …] lists (rings of < 3 points
    dropped).
    """
    flat = []
    for ring in rings:
        clipped = clip_ring(ring, height, width)
        if len(clipped) >= 3:
            flat.append(clipped.ravel().tolist())
    return flat


def rings_to_rle(rings: Sequence[np.ndarray], height: int, width: int) -> RLE:
    """Rasterise the union of rings (each an (N, 2) array) the way pycocotools does."""
    flat = clipped_flat(rings, height, width)
    if not flat:
        return encode_coco(np.zeros((height, width), dtype=bool))
    merged = coco_mask.merge(coco_mask.frPyObjects(flat, height, width))
    return {"size": [height, width], "counts": merged["counts"].decode("ascii")}


def polygon_to_mask(
    parts: Sequence[tuple[np.ndarray, Sequence[np.ndarray]]], height: int, width: int
) -> np.ndarray:
    """Rasterise polygon parts (outer ring, holes): the union of (outer minus its holes)."""
    mask = np.zeros((height, width), dtype=bool)
    for outer, holes in parts:
        part = decode_coco(rings_to_rle([outer], height, width))
        if holes:
            part &= ~decode_coco(rings_to_rle(list(holes), height, width))
        mask |= part
    return mask
