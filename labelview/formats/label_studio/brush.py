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

from array import array

import numpy as np

from labelview.model.geometry import MaskSource

_HEADER_BITS = 32 + 5 + 4 * 4


class BrushError(ValueError):
    """An RLE that does not decode (truncated, or runs past the declared number of values)."""


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
    head = int.from_bytes(data[:5], "big")  # the first 40 bits
    return head >> 8, ((head >> 3) & 0x1F) + 1


def decode_values(data: bytes, every: int = 1, offset: int = 0) -> np.ndarray:
    """The decoded values at positions `offset`, `offset + every`, … (all of them by default).

    Decoding every fourth value from offset 3 gives the alpha channel. The chunks are parsed in
    one pass over a bit string, each becoming the index of its (value, run length) pair in a small
    table; numpy expands the pairs at the end.
    """
    total = len(data) * 8
    if total < _HEADER_BITS:
        raise BrushError(f"RLE of {len(data)} bytes is shorter than its header")
    bits = bin(int.from_bytes(data, "big") | (1 << total))[3:]  # exactly `total` digits
    count = int(bits[:32], 2)
    word_size = int(bits[32:37], 2) + 1
    sizes = [int(bits[37 + 4 * k : 41 + 4 * k], 2) + 1 for k in range(4)]
    pairs: dict[tuple[int, int], int] = {}  # (value, run length) -> its index in the table
    chunks = array("l")
    add = chunks.append
    # Painted areas repeat the same few chunks (colour, alpha, colour, …): a repeat chunk is
    # parsed once per distinct bit window it starts, then looked up.
    window = 3 + max(sizes) + word_size
    seen: dict[str, tuple[int, int, int]] = {}
    lookup = seen.get
    position, done = _HEADER_BITS, 0
    try:
        while done < count:
            key = bits[position : position + window]
            known = lookup(key)
            if known is not None:
                index, run, advance = known
                add(index)
                position += advance
                done += run
                continue
            size = sizes[int(bits[position + 1 : position + 3], 2)]
            start = position + 3 + size
            run = int(bits[position + 3 : start], 2) + 1
            if bits[position] == "1":
                value = int(bits[start : start + word_size], 2)
                index = pairs.setdefault((value, run), len(pairs))
                if len(key) == window and len(seen) < 65536:
                    seen[key] = (index, run, start + word_size - position)
                add(index)
                position = start + word_size
            else:
                if done + run > count:
                    raise BrushError(f"literal run reaches value {done + run} of {count}")
                position = start + run * word_size
                for at in range(start, position, word_size):
                    add(pairs.setdefault((int(bits[at : at + word_size], 2), 1), len(pairs)))
            done += run
            if position > total:
                raise BrushError(f"RLE ends early (bit {position} of {total})")
    except ValueError as error:  # int('') past the end of the stream
        if isinstance(error, BrushError):
            raise
        raise BrushError(f"RLE ends early (bit {position} of {total})") from None
    if word_size > 32:
        raise BrushError(f"word size {word_size} is over 32 bits")
    table = np.array(list(pairs), dtype=np.int64).reshape(-1, 2)
    picked = table[np.frombuffer(chunks, dtype=np.int_)] if len(chunks) else table[:0]
    dtype = np.uint32 if word_size > 8 else np.uint8
    # As the converter's numpy slice does, a run past the end stops at the end.
    expanded = np.repeat(picked[:, 0].astype(dtype), picked[:, 1])[:count]
    return expanded[offset::every].copy() if every != 1 or offset else expanded


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
