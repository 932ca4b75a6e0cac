"""Regenerate the bundled demo (labelview/demo): an Encord export, its ontology and its images.

Run from the project root: `python resources/make_demo.py`. Everything is drawn here with Pillow
from fixed numbers, so the output is the same on every run. Each label is computed from the very
shapes that are drawn, so boxes, polygons, the mask and the skeleton sit on the picture.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from labelview.model.geometry import rotate_points  # noqa: E402
from labelview.ops.rle import encode_row_major  # noqa: E402

DEMO = ROOT / "labelview" / "demo"
W, H = 640, 480
LABELLER = "ana@example.com"
REVIEWER = "ben@example.com"
MODEL = "detector-v3@example.com"
T0 = "Mon, 03 Mar 2025 09:12:00 UTC"
T1 = "Mon, 03 Mar 2025 09:40:00 UTC"

# --- ontology ---------------------------------------------------------------------------------


def option(uid: str, label: str, key: str, nested: list | None = None) -> dict:
    out = {
        "id": uid,
        "label": label,
        "value": label.lower().replace(" ", "_"),
        "featureNodeHash": key,
    }
    if nested:
        out["options"] = nested
    return out


def attribute(uid: str, name: str, kind: str, key: str, options=(), dynamic=False) -> dict:
    return {
        "id": uid,
        "name": name,
        "type": kind,
        "featureNodeHash": key,
        "required": False,
        "dynamic": dynamic,
        "options": list(options),
    }


OBJECTS = [
    # name, shape, colour, hash, attributes
    (
        "Car",
        "bounding_box",
        "#D33115",
        "objCar01",
        [
            attribute(
                "1.1",
                "Colour",
                "radio",
                "atColour",
                [
                    option(
                        "1.1.1",
                        "Red",
                        "opRed001",
                        [
                            attribute(
                                "1.1.1.1",
                                "Shade",
                                "radio",
                                "atShade1",
                                [
                                    option("1.1.1.1.1", "Bright", "opBright"),
                                    option("1.1.1.1.2", "Dark", "opDark01"),
                                ],
                            )
                        ],
                    ),
                    option("1.1.2", "Blue", "opBlue01"),
                ],
            ),
            attribute(
                "1.2",
                "Features",
                "checklist",
                "atFeatur",
                [option("1.2.1", "Roof rack", "opRack01"), option("1.2.2", "Tow bar", "opTowBar")],
            ),
            attribute(
                "1.3",
                "Motion",
                "radio",
                "atMotion",
                [option("1.3.1", "Parked", "opParked"), option("1.3.2", "Driving", "opDrivin")],
                dynamic=True,
            ),
        ],
    ),
    ("Car mask", "bitmask", "#FE9200", "objMask1", []),
    (
        "Sign",
        "rotatable_bounding_box",
        "#FCDC00",
        "objSign1",
        [attribute("3.1", "Text", "text", "atSgnTxt")],
    ),
    ("Pond", "polygon", "#009CE0", "objPond1", []),
    ("Bushes", "polygon", "#68BC00", "objBush1", []),
    ("Lane", "polyline", "#FFFFFF", "objLane1", []),
    ("Sun", "point", "#FCC400", "objSun01", []),
    (
        "Person",
        "skeleton",
        "#AB149E",
        "objPers1",
        [
            attribute(
                "8.1",
                "Pose",
                "radio",
                "atPose01",
                [option("8.1.1", "Standing", "opStand1"), option("8.1.2", "Walking", "opWalk01")],
            )
        ],
    ),
    ("Ball", "bounding_box", "#0062B1", "objBall1", []),
]
SKELETON = ["head", "neck", "hip", "left_hand", "right_hand", "left_foot", "right_foot"]
SKELETON_HASHES = [
    "kpHead01",
    "kpNeck01",
    "kpHip001",
    "kpLHand1",
    "kpRHand1",
    "kpLFoot1",
    "kpRFoot1",
]
SKELETON_EDGES = [(0, 1), (1, 2), (1, 3), (1, 4), (2, 5), (2, 6)]

CLASSIFICATIONS = [
    (
        "clScene1",
        attribute(
            "c1.1",
            "Scene",
            "radio",
            "atScene1",
            [
                option(
                    "c1.1.1",
                    "Outdoor",
                    "opOutdor",
                    [
                        attribute(
                            "c1.1.1.1",
                            "Weather",
                            "radio",
                            "atWeathr",
                            [
                                option(
                                    "c1.1.1.1.1",
                                    "Sunny",
                                    "opSunny1",
                                    [
                                        attribute(
                                            "c1.1.1.1.1.1",
                                            "Sky",
                                            "checklist",
                                            "atSky001",
                                            [
                                                option("c1.1.1.1.1.1.1", "Clear", "opClear1"),
                                                option("c1.1.1.1.1.1.2", "Few clouds", "opFewCld"),
                                            ],
                                        )
                                    ],
                                ),
                                option("c1.1.1.1.2", "Rain", "opRain01"),
                            ],
                        )
                    ],
                ),
                option("c1.1.2", "Indoor", "opIndoor"),
            ],
        ),
    ),
    ("clNotes1", attribute("c2.1", "Notes", "text", "atNotes1")),
]


def ontology() -> dict:
    objects = [
        {
            "id": str(i + 1),
            "name": name,
            "color": color,
            "shape": shape,
            "featureNodeHash": key,
            "required": False,
            "archived": False,
            "attributes": attrs,
        }
        for i, (name, shape, color, key, attrs) in enumerate(OBJECTS)
    ]
    classifications = [
        {"id": str(i + 1), "featureNodeHash": key, "attributes": [attr]}
        for i, (key, attr) in enumerate(CLASSIFICATIONS)
    ]
    template = {
        "name": "Person",
        "shape": "skeleton",
        "width": 0.1,
        "height": 0.25,
        "skeleton": {
            str(i): {
                "x": 0.5,
                "y": 0.1 * i,
                "name": name,
                "color": "#000000",
                "value": name,
                "featureHash": SKELETON_HASHES[i],
            }
            for i, name in enumerate(SKELETON)
        },
        "skeletonEdges": {},
        "feature_node_hash": "objPers1",
    }
    for start, end in SKELETON_EDGES:
        template["skeletonEdges"].setdefault(str(start), {})[str(end)] = {"color": "#000000"}
    return {
        "objects": objects,
        "classifications": classifications,
        "skeleton_templates": [{"template": template}],
    }


# --- drawing ----------------------------------------------------------------------------------


def ring(cx: float, cy: float, rx: float, ry: float, n: int, phase: float = 0.0) -> list:
    return [
        (
            cx + rx * math.cos(phase + 2 * math.pi * k / n),
            cy + ry * math.sin(phase + 2 * math.pi * k / n),
        )
        for k in range(n)
    ]


def car_shapes(x: float, y: float) -> tuple[list, list, list]:
    """Body and cabin rectangles and wheel circles of a car whose body's top-left is (x, y)."""
    body = [x, y, x + 180, y + 55]
    cabin = [x + 40, y - 38, x + 140, y]
    wheels = [(x + 40, y + 55, 18), (x + 140, y + 55, 18)]
    return body, cabin, wheels


def draw_car(draw: ImageDraw.ImageDraw, x: float, y: float, fill, wheel_fill) -> None:
    body, cabin, wheels = car_shapes(x, y)
    draw.rectangle(cabin, fill=fill)
    draw.rectangle(body, fill=fill)
    for cx, cy, r in wheels:
        draw.ellipse([cx - r, cy - r, cx + r, cy + r], fill=wheel_fill)


def background() -> tuple[Image.Image, ImageDraw.ImageDraw]:
    image = Image.new("RGB", (W, H), (150, 200, 240))
    draw = ImageDraw.Draw(image)
    draw.rectangle([0, 250, W, H], fill=(110, 170, 90))  # grass
    draw.rectangle([0, 380, 420, H], fill=(90, 90, 96))  # road
    return image, draw


# --- Encord records ---------------------------------------------------------------------------


def base_object(
    obj_hash: str, name: str, *, manual=True, confidence=1.0, created=T0, by=LABELLER
) -> dict:
    entry = next(o for o in OBJECTS if o[0] == name)
    return {
        "objectHash": obj_hash,
        "featureHash": entry[3],
        "name": name,
        "value": name.lower().replace(" ", "_"),
        "color": entry[2],
        "shape": entry[1],
        "confidence": confidence,
        "manualAnnotation": manual,
        "createdBy": by,
        "createdAt": created,
        "lastEditedBy": by,
        "lastEditedAt": created,
    }


def norm_box(x0: float, y0: float, x1: float, y1: float) -> dict:
    return {
        "x": round(x0 / W, 6),
        "y": round(y0 / H, 6),
        "w": round((x1 - x0) / W, 6),
        "h": round((y1 - y0) / H, 6),
    }


def flat(points) -> list[float]:
    return [round(v, 6) for x, y in points for v in (x / W, y / H)]


def answer(name: str, key: str, answers) -> dict:
    return {
        "name": name,
        "value": name.lower().replace(" ", "_"),
        "featureHash": key,
        "manualAnnotation": True,
        "answers": answers,
    }


def pick(label: str, key: str) -> dict:
    return {"name": label, "value": label.lower().replace(" ", "_"), "featureHash": key}


def street() -> tuple[Image.Image, dict]:
    image, draw = background()
    objects, answers = [], {}

    # Sun (a point, from the model).
    sun = (560, 70)
    draw.ellipse([sun[0] - 32, sun[1] - 32, sun[0] + 32, sun[1] + 32], fill=(252, 210, 40))
    objects.append(
        {
            **base_object("sun00001", "Sun", manual=False, confidence=0.64, by=MODEL),
            "point": {"0": {"x": sun[0] / W, "y": sun[1] / H}},
        }
    )

    # Bushes: one object of two disjoint parts.
    bush_parts = [ring(70, 250, 42, 26, 10), ring(300, 252, 36, 22, 10)]
    for part in bush_parts:
        draw.polygon(part, fill=(40, 110, 40))
    bushes = base_object("bush0001", "Bushes")
    bushes["polygon"] = {
        str(i): {"x": round(x / W, 6), "y": round(y / H, 6)}
        for i, (x, y) in enumerate(bush_parts[0])
    }
    bushes["polygons"] = [[flat(part)] for part in bush_parts]
    objects.append(bushes)

    # Pond with an island: a polygon with a hole.
    pond, island = ring(530, 330, 95, 42, 16), ring(540, 330, 34, 14, 12)
    draw.polygon(pond, fill=(40, 120, 210))
    draw.polygon(island, fill=(110, 170, 90))
    pond_obj = base_object("pond0001", "Pond")
    pond_obj["polygon"] = {
        str(i): {"x": round(x / W, 6), "y": round(y / H, 6)} for i, (x, y) in enumerate(pond)
    }
    pond_obj["polygons"] = [[flat(pond), flat(island)]]
    objects.append(pond_obj)

    # Car: a box (manual) and a bitmask (model) over the same pixels.
    cx, cy = 120, 318
    draw_car(draw, cx, cy, (200, 30, 30), (25, 25, 25))
    mask_image = Image.new("L", (W, H), 0)
    draw_car(ImageDraw.Draw(mask_image), cx, cy, 255, 255)
    mask = np.asarray(mask_image) > 0
    ys, xs = np.nonzero(mask)
    car = base_object("car00001", "Car")
    car["boundingBox"] = norm_box(xs.min(), ys.min(), xs.max() + 1, ys.max() + 1)
    objects.append(car)
    answers["car00001"] = [
        answer("Shade", "atShade1", [pick("Dark", "opDark01")]),
        answer("Features", "atFeatur", [pick("Roof rack", "opRack01")]),
        answer("Colour", "atColour", [pick("Red", "opRed001")]),
    ]
    car_mask = base_object("mask0001", "Car mask", manual=False, confidence=0.82, by=MODEL)
    car_mask["bitmask"] = {
        "top": 0,
        "left": 0,
        "width": W,
        "height": H,
        "rleString": encode_row_major(mask),
    }
    objects.append(car_mask)

    # Sign: a board rotated 20° clockwise about its centre.
    sx, sy, sw, sh, theta = 420.0, 150.0, 130.0, 44.0, 20.0
    local = np.array(
        [
            [sx - sw / 2, sy - sh / 2],
            [sx + sw / 2, sy - sh / 2],
            [sx + sw / 2, sy + sh / 2],
            [sx - sw / 2, sy + sh / 2],
        ]
    )
    corners = rotate_points(local, sx, sy, theta)
    draw.line([(sx, sy + 20), (sx, 262)], fill=(80, 60, 40), width=6)  # the post
    draw.polygon([tuple(p) for p in corners], fill=(250, 220, 0), outline=(60, 60, 60))
    sign = base_object("sign0001", "Sign", manual=False, confidence=0.91, by=MODEL)
    sign["rotatableBoundingBox"] = {
        **norm_box(sx - sw / 2, sy - sh / 2, sx + sw / 2, sy + sh / 2),
        "theta": theta,
    }
    objects.append(sign)
    answers["sign0001"] = [answer("Text", "atSgnTxt", "SLOW")]

    # Lane marking: a polyline.
    lane = [(0, 440), (140, 428), (280, 436), (420, 420)]
    draw.line(lane, fill=(245, 245, 245), width=5)
    lane_obj = base_object("lane0001", "Lane")
    lane_obj["polyline"] = {
        str(i): {"x": round(x / W, 6), "y": round(y / H, 6)} for i, (x, y) in enumerate(lane)
    }
    objects.append(lane_obj)

    # Person: a stick figure; the right hand is behind the post (occluded), the left foot is hidden
    # in the grass (invisible), the rest visible.
    joints = [(350, 262), (350, 286), (350, 330), (326, 312), (372, 304), (336, 372), (364, 372)]
    visibility = ["visible", "visible", "visible", "visible", "occluded", "invisible", "visible"]
    for a, b in SKELETON_EDGES:
        if "invisible" not in (visibility[a], visibility[b]):
            draw.line([joints[a], joints[b]], fill=(120, 20, 110), width=5)
    draw.ellipse([338, 250, 362, 274], fill=(120, 20, 110))
    person = base_object("pers0001", "Person")
    person["skeleton"] = {
        str(i): {
            "x": round(x / W, 6),
            "y": round(y / H, 6),
            "name": SKELETON[i],
            "color": "#000000",
            "value": SKELETON[i],
            "featureHash": SKELETON_HASHES[i],
            "visibility": visibility[i],
        }
        for i, (x, y) in enumerate(joints)
    }
    objects.append(person)
    answers["pers0001"] = [answer("Pose", "atPose01", [pick("Standing", "opStand1")])]

    scene_marker = {
        "classificationHash": "clsScn01",
        "featureHash": "clScene1",
        "name": "Scene",
        "value": "scene",
        "confidence": 1,
        "manualAnnotation": True,
        "createdBy": LABELLER,
        "createdAt": T1,
    }
    notes_marker = {
        **scene_marker,
        "classificationHash": "clsNot01",
        "featureHash": "clNotes1",
        "name": "Notes",
        "value": "notes",
        "manualAnnotation": False,
        "confidence": 0.7,
        "createdBy": MODEL,
    }
    unit = {
        "data_hash": "5d1c7a1e-0000-4000-8000-000000000001",
        "data_title": "street.png",
        "data_type": "image/png",
        "data_sequence": 0,
        "data_link": "street.png",
        "width": W,
        "height": H,
        "labels": {"objects": objects, "classifications": [scene_marker, notes_marker]},
    }
    row = {
        "label_hash": "9b2e0f6c-0000-4000-8000-000000000001",
        "branch_name": "main",
        "created_at": "2025-03-03 09:10:00",
        "last_edited_at": "2025-03-04 16:02:11",
        "dataset_hash": "d3a7c9e1-0000-4000-8000-000000000001",
        "dataset_title": "labelview demo",
        "data_title": "street.png",
        "data_hash": unit["data_hash"],
        "data_type": "image",
        "is_image_sequence": None,
        "video_link": None,
        "data_units": {unit["data_hash"]: unit},
        "object_answers": {
            key: {"objectHash": key, "classifications": value} for key, value in answers.items()
        },
        "classification_answers": {
            "clsScn01": {
                "classificationHash": "clsScn01",
                "featureHash": "clScene1",
                "classifications": [
                    answer(
                        "Sky",
                        "atSky001",
                        [pick("Clear", "opClear1"), pick("Few clouds", "opFewCld")],
                    ),
                    answer("Weather", "atWeathr", [pick("Sunny", "opSunny1")]),
                    answer("Scene", "atScene1", [pick("Outdoor", "opOutdor")]),
                ],
            },
            "clsNot01": {
                "classificationHash": "clsNot01",
                "featureHash": "clNotes1",
                "classifications": [answer("Notes", "atNotes1", "Car parked by the pond.")],
            },
        },
        "object_actions": {},
        "label_status": "REVIEWED",
        "annotation_task_status": "COMPLETED",
        "export_history": [
            {
                "export_hash": "e0000001",
                "exported_at": "Tue, 04 Mar 2025 17:00:00 UTC",
                "user_email": REVIEWER,
            }
        ],
    }
    return image, row


def drive() -> tuple[list[Image.Image], dict]:
    frames, labels = [], {}
    data_hash = "5d1c7a1e-0000-4000-8000-000000000002"
    for index in range(3):
        image, draw = background()
        car_x = 60 + 150 * index
        draw_car(draw, car_x, 400, (30, 60, 200), (20, 20, 20))
        ball_x, ball_y, r = 520 - 60 * index, 300 - 25 * index, 22
        draw.ellipse([ball_x - r, ball_y - r, ball_x + r, ball_y + r], fill=(240, 120, 20))
        frames.append(image)
        car = base_object("vcar0001", "Car", created=T0)
        car["boundingBox"] = norm_box(car_x, 400 - 38, car_x + 180 + 1, min(400 + 55 + 18 + 1, H))
        ball = base_object(
            "ball0001", "Ball", manual=False, confidence=round(0.95 - 0.1 * index, 2), by=MODEL
        )
        ball["boundingBox"] = norm_box(ball_x - r, ball_y - r, ball_x + r + 1, ball_y + r + 1)
        labels[str(index)] = {
            "objects": [car, ball],
            "classifications": [
                {
                    "classificationHash": "clsScn02",
                    "featureHash": "clScene1",
                    "name": "Scene",
                    "value": "scene",
                    "confidence": 1,
                    "manualAnnotation": True,
                    "createdBy": LABELLER,
                    "createdAt": T1,
                }
            ],
        }
    unit = {
        "data_hash": data_hash,
        "data_title": "drive.mp4",
        "data_type": "video/mp4",
        "data_sequence": 0,
        "data_link": "drive.mp4",
        "data_fps": 1.0,
        "data_duration": 3.0,
        "width": W,
        "height": H,
        "labels": labels,
    }
    row = {
        "label_hash": "9b2e0f6c-0000-4000-8000-000000000002",
        "branch_name": "main",
        "created_at": "2025-03-05 08:00:00",
        "last_edited_at": "2025-03-05 08:31:45",
        "dataset_hash": "d3a7c9e1-0000-4000-8000-000000000001",
        "dataset_title": "labelview demo",
        "data_title": "drive.mp4",
        "data_hash": data_hash,
        "data_type": "video",
        "is_image_sequence": None,
        "video_link": None,
        "data_units": {data_hash: unit},
        "object_answers": {
            "vcar0001": {
                "objectHash": "vcar0001",
                "classifications": [answer("Colour", "atColour", [pick("Blue", "opBlue01")])],
            },
            "ball0001": {"objectHash": "ball0001", "classifications": []},
        },
        "classification_answers": {
            "clsScn02": {
                "classificationHash": "clsScn02",
                "featureHash": "clScene1",
                "classifications": [
                    answer("Weather", "atWeathr", [pick("Rain", "opRain01")]),
                    answer("Scene", "atScene1", [pick("Outdoor", "opOutdor")]),
                ],
            }
        },
        "object_actions": {
            "vcar0001": {
                "objectHash": "vcar0001",
                "actions": [
                    {
                        **answer("Motion", "atMotion", [pick("Parked", "opParked")]),
                        "dynamic": True,
                        "range": [[0, 0]],
                        "shouldPropagate": False,
                        "trackHash": "",
                    },
                    {
                        **answer("Motion", "atMotion", [pick("Driving", "opDrivin")]),
                        "dynamic": True,
                        "range": [[1, 2]],
                        "shouldPropagate": False,
                        "trackHash": "",
                    },
                ],
            }
        },
        "label_status": "LABEL_IN_PROGRESS",
        "annotation_task_status": "ASSIGNED",
        "export_history": [],
    }
    return frames, row


def main() -> None:
    images = DEMO / "images"
    (images / "drive.mp4").mkdir(parents=True, exist_ok=True)
    street_image, street_row = street()
    street_image.save(images / "street.png", optimize=True)
    frames, drive_row = drive()
    for index, frame in enumerate(frames):
        frame.save(images / "drive.mp4" / f"{index}.png", optimize=True)
    export = [street_row, drive_row]
    (DEMO / "demo_export.json").write_text(json.dumps(export, indent=1) + "\n")
    (DEMO / "demo_export.ontology.json").write_text(json.dumps(ontology(), indent=1) + "\n")
    total = sum(p.stat().st_size for p in DEMO.rglob("*") if p.is_file())
    print(f"demo written to {DEMO} ({total / 1024:.0f} KiB)")  # noqa: T201


if __name__ == "__main__":
    main()
