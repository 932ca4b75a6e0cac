# ruff: noqa: E501  (one line per finding class reads best as a table)
"""Finding classes the fuzz harness sees today, each being fixed on another branch.

CI fails on any finding whose key matches none of these patterns (fnmatch, on keys like
`escaped:read:coco:TypeError@labelview/formats/coco/read.py:warn_annotation`; see harness.py).
Remove a line once its fix is merged: the budget run then holds the fix, and the regression and
hostile cases marked with it (OPEN_CASES) flip from xfail to pass.

The part of issue 13 that fixes each is named first: validation (1), limits (2), output (3).
"""

from __future__ import annotations

# fmt: off
KNOWN_OPEN: dict[str, str] = {
}
# fmt: on

# Regression and hostile cases (by name) expected to fail until a fix lands: xfail(strict=True).
OPEN_CASES: dict[str, str] = {
    "ango-zip-signal-write-coco-sigsegv": "(1) a rotated-box corner of 1e9: SIGSEGV in pycocotools (COCO writer)",
    "coco-escaped-write-voc-valueerror-write-segmentation": "(1) an image width of 2**63+6: ValueError in the VOC and masks writers",
    "datagym-escaped-read-datagym-oserror-find": "(2) a 300-character media name: OSError ENAMETOOLONG resolving the image",
    "segments-escaped-write-surrogate-name": "(3) a name with a surrogate pair: TypeError/UnicodeEncodeError in COCO, VOC, LabelMe, masks writers",
    "yolo-pose-escaped-read-yolo-oserror-resolve": "(2) a 300-character path in data.yaml: OSError ENAMETOOLONG",
    "png-bomb-labelme-image-and-imagedata": "(2) the embedded imageData bomb escapes in every writer",
}
