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
    # --- (1) validation at the boundary: readers
    "escaped:read:coco:TypeError@labelview/formats/coco/read.py:*":
        "(1) COCO: a list where an id is expected (image_id, category_id): unhashable type",
    "escaped:read:segments:TypeError@labelview/formats/segments/read.py:*":
        "(1) Segments: a list as a category id: unhashable type",
    "escaped:read:segments:ValidationError@*":
        "(1) Segments: a category id of ±Infinity fails the model's validation, not the "
        "reader's",
    "escaped:read:*:ValidationError@labelview/model/*":
        "(1) a value the model refuses (non-finite id) reaches the model unchecked",
    "loss:read:*":
        "(1) a wrong-type container (objects: 0, task: {}, nested_geometries: 1e300) drops "
        "objects with no issue",
    # --- (1) validation: writers crash on values a reader accepted
    "signal:write:*:SIGSEGV":
        "(1) a coordinate of ±1e9…1e300 reaches pycocotools (COCO, VOC, masks writers): SIGSEGV",
    "escaped:write:coco:*Error@labelview/formats/coco/write.py:*":
        "(1) COCO writer: bbox/segmentation values a reader kept (text, lists, non-finite)",
    "escaped:write:coco:AttributeError@labelview/formats/coco/attributes.py:*":
        "(1) COCO writer: an attribute value of the wrong type (float has no isdigit)",
    "escaped:write:yolo:ValueError@labelview/formats/yolo/lines.py:*":
        "(1) YOLO writer: a rotated box/polygon with a non-finite or absurd corner (zip "
        "lengths)",
    "escaped:write:*:ValueError@labelview/formats/voc/segmentation.py:*":
        "(1) VOC writer: an image height/width beyond 2**63 sizes the segmentation PNG",
    "escaped:write:masks:ValueError@labelview/formats/masks.py:*":
        "(1) masks writer: an image height/width beyond 2**63 sizes the mask",
}
# fmt: on

# Regression and hostile cases (by name) expected to fail until a fix lands: xfail(strict=True).
OPEN_CASES: dict[str, str] = {
    "ango-zip-signal-write-coco-sigsegv": "(1) a rotated-box corner of 1e9: SIGSEGV in pycocotools (COCO writer)",
    "coco-escaped-read-coco-typeerror-read": "(1) annotations [-1] and a category that is a list: TypeError in the COCO reader",
    "coco-escaped-write-coco-typeerror-listcomp": "(1) a bbox value that is a list/string: TypeError in the COCO writer",
    "coco-escaped-write-coco-typeerror-write": "(1) a value the reader kept reaches orjson in the COCO writer: TypeError",
    "coco-escaped-write-coco-valueerror-listcomp": "(1) a bbox value 'a\\x00b': ValueError in the COCO writer",
    "coco-escaped-write-voc-valueerror-write-segmentation": "(1) an image width of 2**63+6: ValueError in the VOC and masks writers",
    "coco-escaped-write-yolo-valueerror-detect-lines": "(1) a bbox x of 2**63+2: ValueError in the YOLO writer (lines.py)",
    "datagym-escaped-read-datagym-oserror-find": "(2) a 300-character media name: OSError ENAMETOOLONG resolving the image",
    "encord-escaped-write-coco-attributeerror-as-number": "(1) an attribute value of the wrong type: AttributeError in the COCO writer",
    "segments-bitmap-escaped-read-segments-validationerror-category": "(1) a category id of 2e300: pydantic ValidationError escapes the reader",
    "segments-escaped-write-surrogate-name": "(3) a name with a surrogate pair: TypeError/UnicodeEncodeError in COCO, VOC, LabelMe, masks writers",
    "voc-signal-write-masks-sigsegv": "(1) <xmin> of 99999999999999999999999: SIGSEGV in the masks writer",
    "yolo-pose-escaped-read-yolo-oserror-resolve": "(2) a 300-character path in data.yaml: OSError ENAMETOOLONG",
    "png-bomb-labelme-image-and-imagedata": "(2) the embedded imageData bomb escapes in every writer",
}
