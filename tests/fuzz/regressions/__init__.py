"""The fuzzer's findings as fixtures: each file replaces one file of a seed's layout.

`bench/fuzz.py --save DIR` keeps the first input of every finding and `bench/fuzz_minimise.py`
shrinks it into this folder; each is listed here with what must hold once it is fixed: no
finding (a located issue instead) and at least `objects` objects read (the untouched rest).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tests.fuzz.corpus import SEED_NAMES, Seed

FOLDER = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Regression:
    file: str  # in this folder
    seed_name: str
    replaces: str  # the seed's mutable file (or archive member) it stands in for
    objects: int  # at least this many objects still load
    what: str  # the input and what happened when it was found

    @property
    def name(self) -> str:
        return self.file.rsplit(".", 1)[0]

    @property
    def seed(self) -> Seed:
        return SEED_NAMES[self.seed_name]

    def build(self, folder: Path) -> Path:
        path = self.seed.build(folder)
        self.seed.place(folder, {self.replaces: (FOLDER / self.file).read_bytes()})
        return path


REGRESSIONS: list[Regression] = [
    Regression(
        "ango-zip-signal-write-coco-sigsegv.json",
        "ango-zip",
        "export/v3_all_tools.json",
        0,
        "a rotated-box corner of 1e9: SIGSEGV in pycocotools (COCO writer)",
    ),
    Regression(
        "coco-escaped-read-coco-recursionerror-load-json.json",
        "coco",
        "instances.json",
        0,
        "a segmentation nested 3000 lists deep: RecursionError in load_json",
    ),
    Regression(
        "coco-escaped-read-coco-typeerror-read.json",
        "coco",
        "instances.json",
        0,
        "annotations [-1] and a category that is a list: TypeError in the COCO reader",
    ),
    Regression(
        "coco-escaped-write-coco-typeerror-listcomp.json",
        "coco",
        "instances.json",
        0,
        "a bbox value that is a list/string: TypeError in the COCO writer",
    ),
    Regression(
        "coco-escaped-write-coco-typeerror-write.json",
        "coco",
        "instances.json",
        0,
        "a value the reader kept reaches orjson in the COCO writer: TypeError",
    ),
    Regression(
        "coco-escaped-write-coco-valueerror-listcomp.json",
        "coco",
        "instances.json",
        0,
        "a bbox value with a NUL character: ValueError in the COCO writer",
    ),
    Regression(
        "coco-escaped-write-voc-valueerror-write-segmentation.json",
        "coco",
        "instances.json",
        0,
        "an image width of 2**63+6: ValueError in the VOC and masks writers",
    ),
    Regression(
        "coco-escaped-write-yolo-valueerror-detect-lines.json",
        "coco",
        "instances.json",
        2,
        "a bbox x of 2**63+2: ValueError in the YOLO writer (lines.py)",
    ),
    Regression(
        "datagym-escaped-read-datagym-oserror-find.json",
        "datagym",
        "export.json",
        0,
        "a 300-character media name: OSError ENAMETOOLONG resolving the image",
    ),
    Regression(
        "encord-escaped-write-coco-attributeerror-as-number.json",
        "encord",
        "mini.json",
        2,
        "an attribute value of the wrong type: AttributeError in the COCO writer",
    ),
    Regression(
        "segments-bitmap-escaped-read-segments-validationerror-category.json",
        "segments-bitmap",
        "bitmap_release.json",
        0,
        "a category id of 2e300: pydantic ValidationError escapes the reader",
    ),
    Regression(
        "segments-escaped-write-surrogate-name.json",
        "segments",
        "vector_release.json",
        3,
        "a name with a surrogate pair: TypeError/UnicodeEncodeError in four writers",
    ),
    Regression(
        "voc-signal-write-masks-sigsegv.xml",
        "voc",
        "Annotations/img1.xml",
        0,
        "<xmin> of 99999999999999999999999: SIGSEGV in the masks writer",
    ),
    Regression(
        "yolo-pose-escaped-read-yolo-oserror-resolve.yaml",
        "yolo-pose",
        "data.yaml",
        0,
        "a 300-character path in data.yaml: OSError ENAMETOOLONG",
    ),
]
