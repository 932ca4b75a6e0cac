"""Cost of committing an output: N small files staged by OutputDir, then commit().

    python bench/bench_commit.py [--files 10000]

Two cases: a fresh output folder (whole staged folders move with one rename each) and `--force`
over an existing output of the same names (every file moved aside, the new one moved in, the old
ones removed after the commit point). Run it with PYTHONPATH pointing at another checkout to
compare versions.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

from labelview.output import OutputDir


def _stage(root: Path, files: int, overwrite: bool) -> OutputDir:
    output = OutputDir(root, overwrite=overwrite)
    for index in range(files):
        output.write_text(f"labels/train/{index:06d}.txt", "0 0.5 0.5 0.1 0.1\n")
    output.write_text("data.yaml", "names: {0: car}\n")
    return output


def _time(root: Path, files: int, overwrite: bool) -> tuple[float, float]:
    started = time.perf_counter()
    output = _stage(root, files, overwrite)
    staged = time.perf_counter()
    output.commit()
    return staged - started, time.perf_counter() - staged


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for case, overwrite in (("fresh folder", False), ("--force over existing", True)):
            best = (float("inf"), float("inf"))
            for _ in range(args.repeat):
                root = Path(tmp) / "out"
                shutil.rmtree(root, ignore_errors=True)
                if overwrite:
                    _stage(root, args.files, False).commit()
                stage, commit = _time(root, args.files, overwrite)
                best = min(best, (stage, commit), key=lambda pair: pair[1])
            print(
                f"{case:24s} {args.files:,} files: stage {best[0] * 1000:7.1f} ms, "
                f"commit {best[1] * 1000:7.1f} ms"
            )


if __name__ == "__main__":
    main()
