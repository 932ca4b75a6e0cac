"""An encoder of Label Studio's brush RLE, written independently of the reader's decoder.

It follows the bit layout of thi.ng's `rle-pack` `encode` (which Label Studio's editor uses):
a 32-bit value count, the word size minus one in 5 bits, four 4-bit run-length field sizes minus
one; then chunks: flag 1 + size index + (length − 1) + one word for a repeated value, flag 0 +
size index + (length − 1) + every word for literal values. Runs of two or more equal values are
repeat chunks; lone values gather into literal chunks.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


class _BitWriter:
    def __init__(self) -> None:
        self.bits: list[str] = []

    def write(self, value: int, width: int) -> None:
        assert 0 <= value < (1 << width), (value, width)
        self.bits.append(format(value, f"0{width}b"))

    def to_bytes(self) -> list[int]:
        text = "".join(self.bits)
        text += "0" * (-len(text) % 8)
        return [int(text[i : i + 8], 2) for i in range(0, len(text), 8)]


def encode(values: Sequence[int], word_size: int = 8, sizes: Sequence[int] = (3, 4, 8, 16)):
    """The `rle` list Label Studio would store for `values`."""
    out = _BitWriter()
    out.write(len(values), 32)
    out.write(word_size - 1, 5)
    for field in sizes:
        out.write(field - 1, 4)
    longest = 1 << max(sizes)

    def length_field(length: int) -> None:
        index = next(i for i, field in enumerate(sizes) if length - 1 < (1 << field))
        out.write(index, 2)
        out.write(length - 1, sizes[index])

    literal: list[int] = []

    def flush() -> None:
        while literal:
            part = literal[:longest]
            del literal[:longest]
            out.write(0, 1)
            length_field(len(part))
            for value in part:
                out.write(int(value), word_size)

    position = 0
    while position < len(values):
        end = position
        while end < len(values) and values[end] == values[position]:
            end += 1
        run = end - position
        if run == 1:
            literal.append(values[position])
        else:
            flush()
            while run:
                part = min(run, longest)
                out.write(1, 1)
                length_field(part)
                out.write(int(values[position]), word_size)
                run -= part
        position = end
    flush()
    return out.to_bytes()


def encode_mask(mask: np.ndarray, color: tuple[int, int, int] = (255, 0, 0)) -> list[int]:
    """A bool mask as the editor stores it: RGBA, the label's colour and alpha 255 where painted."""
    height, width = mask.shape
    rgba = np.zeros((height, width, 4), dtype=np.uint8)
    rgba[mask] = (*color, 255)
    return encode(rgba.ravel().tolist())
