"""Label Studio's brush RLE: a bit-packed run-length encoding of the RGBA pixels of a brush layer.

The `rle` list of a `brushlabels` result is a byte string read as a stream of bits, most
significant bit first (the `rle-pack` format of thi.ng/umbrella, which Label Studio's editor and
its converter use):

- header: the number of values (32 bits), the word size minus one (5 bits), then four run-length
  field sizes minus one (4 bits each);
- then chunks until that many values are out: a flag bit (1 = one value repeated, 0 = literal
  values), a 2-bit index choosing one of the four field sizes, the chunk length minus one in that
  many bits, then the repeated value (one word) or every literal value (one word each).

The values are the image's RGBA bytes in row-major order; as in Label Studio's converter, the mask
is the alpha channel (every fourth value), and a pixel is set where alpha is not zero.
"""

from __future__ import annotations

import numpy as np

from labelview.model.geometry import MaskSource

_HEADER_BITS = 32 + 5 + 4 * 4
_VECTOR_FROM = 16  # literal runs at least this long are unpacked with numpy, not bit by bit


class BrushError(ValueError):
    """An RLE that does not decode (truncated, or runs past the declared number of values)."""


class _Bits:
    """Reads unsigned big-endian fields of up to 32 bits from a byte string."""

    __slots__ = ("bits", "data", "position", "total")

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.position = 0
        self.total = len(data) * 8
        self.bits: np.ndarray | None = None

    def read(self, count: int) -> int:
        end = self.position + count
        if end > self.total:
            raise BrushError(f"RLE ends early (bit {self.position} of {self.total})")
        first, last = self.position >> 3, (end + 7) >> 3
        chunk = int.from_bytes(self.data[first:last], "big")
        self.position = end
        return (chunk >> ((last << 3) - end)) & ((1 << count) - 1)

    def words(self, count: int, size: int) -> np.ndarray:
        """`count` consecutive words of `size` bits as an int64 array."""
        end = self.position + count * size
        if end > self.total:
            raise BrushError(f"RLE ends early (bit {self.position} of {self.total})")
        if self.bits is None:
            self.bits = np.unpackbits(np.frombuffer(self.data, dtype=np.uint8))
        block = self.bits[self.position : end].reshape(count, size).astype(np.int64)
        self.position = end
        return block @ (1 << np.arange(size - 1, -1, -1, dtype=np.int64))


def as_bytes(rle: object) -> bytes:
    """The `rle` list of a brush result as bytes; ValueError when it is not a list of bytes."""
    if not isinstance(rle, list):
        raise BrushError(f"rle must be a list of bytes, got {type(rle).__name__}")
    try:
        return bytes(rle)
    except (TypeError, ValueError):
        raise BrushError("rle must be a list of integers 0..255") from None


def header(data: bytes) -> tuple[int, int]:
    """(number of values, word size) from an RLE's header, without decoding it."""
    if len(data) * 8 < _HEADER_BITS:
        raise BrushError(f"RLE of {len(data)} bytes is shorter than its header")
    bits = _Bits(data)
    return bits.read(32), bits.read(5) + 1


def decode_values(data: bytes, every: int = 1, offset: int = 0) -> np.ndarray:
    """The decoded values at positions `offset`, `offset + every`, … (all of them by default).

    Decoding only every fourth value from offset 3 gives the alpha channel without building the
    4× larger RGBA array.
    """
    bits = _Bits(data)
    count = bits.read(32)
    word_size = bits.read(5) + 1
    sizes = [bits.read(4) + 1 for _ in range(4)]
    kept = max(0, (count - offset + every - 1) // every)
    out = np.zeros(kept, dtype=np.uint32 if word_size > 8 else np.uint8)
    i = 0
    while i < count:
        repeated = bits.read(1)
        j = i + 1 + bits.read(sizes[bits.read(2)])
        if repeated:
            value = bits.read(word_size)
            # As the converter's numpy slice does, a run past the end stops at the end.
            first = max(0, -(-(i - offset) // every))
            last = max(0, -(-(min(j, count) - offset) // every))
            out[first:last] = value
            i = j
            continue
        if j > count:
            raise BrushError(f"literal run reaches value {j} of {count}")
        length = j - i
        if length >= _VECTOR_FROM:
            values = bits.words(length, word_size)
        else:
            values = np.array([bits.read(word_size) for _ in range(length)], dtype=np.int64)
        positions = np.arange(i, j)
        keep = (positions - offset) % every == 0
        keep &= positions >= offset
        out[(positions[keep] - offset) // every] = values[keep]
        i = j
    return out


def decode_mask(data: bytes, height: int, width: int) -> np.ndarray:
    """The bool mask (height × width) of a brush RLE: the alpha channel, set where not zero."""
    count, _ = header(data)
    if count != height * width * 4:
        raise BrushError(
            f"RLE holds {count} values, an RGBA image of {width}×{height} has {height * width * 4}"
        )
    return decode_values(data, every=4, offset=3).reshape(height, width) > 0


class BrushRle(MaskSource):
    """A Label Studio brush RLE, decoded on demand."""

    __slots__ = ("data",)

    def __init__(self, data: bytes) -> None:
        self.data = data

    def decode(self, height: int, width: int) -> np.ndarray:
        return decode_mask(self.data, height, width)
