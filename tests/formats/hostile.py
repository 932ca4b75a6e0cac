"""Hostile inputs made at test time (bombs, FIFOs, links) and a bounded runner for reading them.

`read_bounded` reads in a child process with a memory cap (RLIMIT_AS) and a timeout, so a
regression fails the test (MemoryError, a signal, TimeoutExpired) instead of hanging the suite
or taking the machine's memory.
"""

from __future__ import annotations

import gzip
import json
import os
import struct
import subprocess
import sys
import zipfile
import zlib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
MEMORY_CAP = 1_500_000_000  # bytes of address space for the child (its baseline is ~150 MB)

_CHILD = r"""
import json, resource, sys
from labelview import formats
path, fmt, options = sys.argv[1], sys.argv[2] or None, json.loads(sys.argv[3])
try:
    dataset = formats.read(path, format=fmt, **options)
except Exception as error:  # a located refusal of the whole input is an answer too
    print(json.dumps({"failed": f"{type(error).__name__}: {error}"}))
    sys.exit(0)
def peak_kb():
    # VmHWM belongs to this process image; ru_maxrss survives exec and so would count the
    # parent's (pytest's) peak from before the fork.
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
masks = 0
for item in dataset.items:
    for obj in item.objects:
        if obj.kind == "mask":
            obj.geometry.decode()  # what a writer or the canvas would do next
            masks += 1
print(json.dumps({
    "items": len(dataset.items),
    "objects": sum(len(item.objects) for item in dataset.items),
    "masks": masks,
    "issues": [str(issue) for issue in dataset.issues],
    "peak_kb": peak_kb(),
}))
"""


def _cap_memory() -> None:
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))


def read_bounded(
    path: Path, fmt: str | None = None, timeout: float = 60, **options: object
) -> dict:
    """formats.read(path) (and every mask decoded) in a child capped at MEMORY_CAP bytes and
    `timeout` seconds; its summary (items, objects, masks, issues, peak_kb) or {"failed": ...}.
    """
    if sys.platform == "win32":
        pytest.skip("RLIMIT_AS and FIFOs are POSIX")
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "PYTHONPATH": str(REPO)}
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, str(path), fmt or "", json.dumps(options)],
        capture_output=True,
        text=True,
        timeout=timeout,
        preexec_fn=_cap_memory,
        cwd=REPO,
        env=env,
    )
    assert done.returncode == 0, f"child died ({done.returncode}): {done.stderr[-2000:]}"
    return json.loads(done.stdout.strip().splitlines()[-1])


# --- bombs ----------------------------------------------------------------------------------------


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_bomb(width: int, height: int, *, rgba: bool = False) -> bytes:
    """A tiny PNG whose header claims width × height (its pixel data is a few zero rows): what a
    decoder would allocate is decided by the header alone.
    """
    depth, colour = (8, 6) if rgba else (1, 0)
    header = struct.pack(">IIBBBBB", width, height, depth, colour, 0, 0, 0)
    row = b"\x00" * (1 + (width * (4 if rgba else 1) + 7) // (1 if rgba else 8))
    pixels = zlib.compress(row[:2000] * 4, 9)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", pixels)
        + _chunk(b"IEND", b"")
    )


def png_full(width: int, height: int) -> bytes:
    """A complete, valid 1-bit PNG of width × height zeros (compresses to a few KB)."""
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    row = b"\x00" * (1 + (width + 7) // 8)
    packer = zlib.compressobj(9)
    pixels = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", pixels)
        + _chunk(b"IEND", b"")
    )


def zip_bomb_member(archive: zipfile.ZipFile, name: str, expanded: int) -> None:
    """A deflated member of `expanded` spaces (JSON whitespace: the parser would take all of it),
    written in chunks so the test never holds it in memory.
    """
    with archive.open(name, "w", force_zip64=True) as stream:
        block = b" " * (1 << 20)
        for _ in range(expanded >> 20):
            stream.write(block)


def gzip_bomb(expanded: int) -> bytes:
    """Gzip data of `expanded` spaces."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    block = b" " * (1 << 20)
    return b"".join(packer.compress(block) for _ in range(expanded >> 20)) + packer.flush()


def gzip_of(data: bytes) -> bytes:
    return gzip.compress(data)
