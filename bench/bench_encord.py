"""Time the Encord reader against a plain JSON parse, and bitmask decoding against pycocotools.

Usage: python bench/bench_encord.py [EXPORT.json]  (default: /tmp/encord_100k.json, made by
bench/make_encord.py when missing). Targets: read ≤ 2× orjson.loads of the same bytes; row-major
bitmask decode ≤ 1.5× pycocotools' decode of the same mask (as COCO RLE).
"""

from __future__ import annotations

import gc
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import orjson
from pycocotools import mask as coco_mask

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from labelview import formats
from labelview.formats.base import ReadContext
from labelview.ops import rle

ROOT = Path(__file__).resolve().parent.parent


def best_of(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        gc.collect()
        start = time.process_time()  # CPU time: the machine running this may be shared
        result = fn()
        times.append(time.process_time() - start)
        del result  # freeing what was made is not part of making it
    return min(times)


def bench_read(path: Path, repeat: int = 3) -> None:
    def parse() -> object:
        gc.disable()  # as load_json does
        try:
            return orjson.loads(path.read_bytes())
        finally:
            gc.enable()

    def read() -> object:
        return formats.read(path, format="encord", ctx=ReadContext(file=path))

    t_json = best_of(parse, repeat)
    t_read = best_of(read, repeat)
    dataset = formats.read(path, format="encord", ctx=ReadContext(file=path))
    size = path.stat().st_size / 1e6
    print(
        f"{path.name}: {size:.1f} MB, {dataset.object_count:,} objects (CPU time, best of {repeat})"
    )
    extra = (t_read - t_json) / dataset.object_count * 1e6
    print(f"  orjson.loads        {t_json * 1000:8.0f} ms")
    print(f"  encord read         {t_read * 1000:8.0f} ms   ({t_read / t_json:.2f}× the parse)")
    print(f"  per object          {extra:8.2f} µs beyond the parse   (target: read ≤ 2× parse)")


def bench_masks(path: Path, repeat: int = 20) -> None:
    rows = orjson.loads(path.read_bytes())
    masks = []
    for row in rows:
        for unit in row["data_units"].values():
            labels = unit["labels"]
            for obj in labels.get("objects", []) if "objects" in labels else []:
                if "bitmask" in obj:
                    b = obj["bitmask"]
                    masks.append((b["rleString"], b["height"], b["width"]))
    unique = list(dict.fromkeys(masks))[:16]
    ours, theirs = [], []
    for string, height, width in unique:
        coco = rle.encode_coco(rle.decode_row_major(string, height, width))
        coco_c = {"size": coco["size"], "counts": coco["counts"].encode()}
        np.testing.assert_array_equal(
            rle.decode_row_major(string, height, width), coco_mask.decode(coco_c).astype(bool)
        )
        ours.append(
            best_of(lambda s=string, h=height, w=width: rle.decode_row_major(s, h, w), repeat)
        )
        theirs.append(best_of(lambda c=coco_c: coco_mask.decode(c), repeat))
    mean_ours, mean_theirs = statistics.mean(ours), statistics.mean(theirs)
    size = f"{unique[0][2]}×{unique[0][1]}"
    print(f"bitmask decode, {len(unique)} masks of {size} (mean of best-of-{repeat}):")
    print(f"  pycocotools decode  {mean_theirs * 1000:8.2f} ms")
    print(
        f"  decode_row_major    {mean_ours * 1000:8.2f} ms   "
        f"({mean_ours / mean_theirs:.2f}× pycocotools; target ≤ 1.5×)"
    )


def main() -> None:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("/tmp/encord_100k.json")
    if not path.exists():
        subprocess.run(
            [sys.executable, str(ROOT / "bench" / "make_encord.py"), str(path)], check=True
        )
    bench_read(path)
    bench_masks(path)


if __name__ == "__main__":
    main()
