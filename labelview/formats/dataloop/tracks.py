"""Video tracks and poses.

A track's first state is the annotation's own `coordinates` at `frame`; each entry of
`metadata.system.snapshots_` starts a new state at its frame, which holds until the next one (or
`endFrame`, inclusive). `objectVisible: false` hides the object for as long as that state holds.
A pose is a parent annotation whose child points (`parentId`) are tracks of their own.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from typing import Any

import numpy as np

from labelview import limits
from labelview.cancel import checked
from labelview.formats._reading import BAD_VALUE, Skip, at, describe, integer, number
from labelview.formats.dataloop.shapes import xy
from labelview.model import Answer, Item, Keypoints, ObjectLabel, Skeleton

DEFAULT_FPS = 25.0  # what the SDK assumes when the item has no fps
# A track runs at most to the item's last frame (its frame count, itself capped by
# limits.MAX_FRAMES); when the item does not say how many frames it has, a track longer than this
# (over an hour at 25 fps) is a broken endFrame, not a video.
MAX_TRACK_FRAMES = min(100_000, limits.MAX_FRAMES)


def optional_integer(value: Any) -> int | None:
    """An integer (frame numbers, counts), None when absent or not one."""
    try:
        return integer(value)
    except Skip:
        return None


def finite(value: Any) -> bool:
    try:
        number(value)
    except Skip:
        return False
    return True


@dataclass(slots=True)
class Segment:
    """One state of a track, holding from `start` to `end` (inclusive)."""

    start: int
    end: int
    coords: Any
    label: str
    visible: bool
    attributes: list[Answer]


class TrackReading:
    """The reader's video-track and pose methods (mixed into the reader)."""

    def _track(
        self, item: Item, ann: dict, system: dict, label: str, attributes: list[Answer], loc: str
    ) -> list[Segment]:
        """The states of one annotation: one for images, hold segments for video tracks."""
        coords = ann.get("coordinates")
        if "coordinates" not in ann and "data" in ann:
            coords = ann["data"]
        if item.kind != "video":
            return [Segment(0, 0, coords, label, True, attributes)]
        fps = item.fps or DEFAULT_FPS
        start = self._frame_number(item, system, "frame", loc)
        if start is None:
            start_time = system.get("startTime")
            start = round(number(start_time) * fps) if finite(start_time) else 0
        end = self._frame_number(item, system, "endFrame", loc)
        end_time = system.get("endTime")
        if end is None and finite(end_time):
            end = round(number(end_time) * fps)  # the 2019 form gives only endTime (seconds)
        snapshots: list[tuple[int, int, dict]] = []
        snaps_loc = at(loc, "metadata.system.snapshots_")
        for index, snap in enumerate(checked(system.get("snapshots_") or [], self.ctx)):
            frame = optional_integer(snap.get("frame")) if isinstance(snap, dict) else None
            if frame is None:
                got = snap.get("frame") if isinstance(snap, dict) else snap
                self.warn(
                    at(snaps_loc, index),
                    f"snapshot has no usable frame ({got!r}): skipped",
                    item=item.id,
                    obj=str(ann.get("id") or ""),
                )
                continue
            if frame < start:
                self.warn(
                    at(snaps_loc, index),
                    f"snapshot frame {frame} is before the track start {start}: skipped",
                    item=item.id,
                )
                continue
            snapshots.append((frame, index, snap))
        snapshots.sort(key=lambda entry: (entry[0], entry[1]))
        if end is None:
            end = snapshots[-1][0] if snapshots else start
        if end < start:
            self.warn(at(loc, "metadata.system.endFrame"), f"endFrame {end} < frame {start}")
            end = start
        if start < 0:
            self.warn(
                at(loc, "metadata.system.frame"),
                f"frame {start:,} is before the first frame: the track starts at 0",
                item=item.id,
            )
            start, end = 0, max(end, 0)
        count = optional_integer(item.extra.get("frame_count"))
        if count is not None and count > 0:
            last = min(count, limits.MAX_FRAMES) - 1
            if start > last:
                raise Skip(
                    f"metadata.system.frame: track starts at frame {start:,}, after the video's "
                    f"last frame {last:,}"
                )
            if end > last:
                self.warn(
                    at(loc, "metadata.system.endFrame"),
                    f"track ends at frame {end:,}, after the video's last frame {last:,}: cut",
                    item=item.id,
                )
                end = last
        elif end - start >= MAX_TRACK_FRAMES:
            self.warn(
                at(loc, "metadata.system.endFrame"),
                f"track of {end - start + 1:,} frames cut to {MAX_TRACK_FRAMES:,}",
                item=item.id,
            )
            end = start + MAX_TRACK_FRAMES - 1
        segments = [Segment(start, end, coords, label, True, attributes)]
        for frame, index, snap in checked(snapshots, self.ctx):
            if frame > end:
                continue  # beyond endFrame: the SDK ignores it
            previous = segments[-1]
            if "namedAttributes" in snap or "attributes" in snap:
                snap_attrs = self._attributes(
                    snap.get("attributes"), snap.get("namedAttributes"), at(snaps_loc, index)
                )
            else:
                snap_attrs = previous.attributes
            state = Segment(
                frame,
                end,
                snap["data"] if snap.get("data") is not None else previous.coords,
                str(snap["label"]) if snap.get("label") else previous.label,
                snap.get("objectVisible") is not False,
                snap_attrs,
            )
            if frame == previous.start:
                segments[-1] = state
            else:
                previous.end = frame - 1
                segments.append(state)
        return segments

    def _frame_number(self, item: Item, system: dict, key: str, loc: str) -> int | None:
        """`frame` or `endFrame`: None when absent; a value that is no frame number is warned."""
        value = system.get(key)
        frame = optional_integer(value)
        if frame is None and value is not None:
            self.warn(
                at(loc, "metadata.system", key),
                f"{key} {value!r:.40} is not a frame number: ignored",
                item=item.id,
            )
        return frame

    def _pose(
        self,
        item: Item,
        ann: dict,
        ann_id: str | None,
        segments: list[Segment],
        children: list[tuple[int, dict]],
        common: dict[str, Any],
        loc: str,
    ) -> None:
        coords = ann.get("coordinates") if isinstance(ann.get("coordinates"), dict) else {}
        template_id = coords.get("templateId")
        if template_id is not None:
            self.pose_templates.setdefault(segments[0].label, str(template_id))
        # Each child point is its own (possibly tracked) annotation.
        tracks = []
        for index, child in checked(children, self.ctx):
            child_loc = at(loc.rsplit("[", 1)[0], index)
            try:
                child_system = annotation_system(child)
                attrs = self._attributes(
                    child.get("attributes"), child_system.get("attributes"), child_loc
                )
                child_label = str(child.get("label") or f"point {index}")
                segs = self._track(item, child, child_system, child_label, attrs, child_loc)
                states = []
                for seg in segs:
                    point = xy(seg.coords[0] if isinstance(seg.coords, list) else seg.coords)
                    states.append((seg, point, _visibility(seg.attributes)))
                tracks.append((child_label, states))
            except BAD_VALUE as error:
                self.warn(child_loc, f"pose point skipped: {describe(error)}", item=item.id)
        self.labels.setdefault(segments[0].label, None)
        for seg in checked(segments, self.ctx):
            if not seg.visible:
                continue
            frames: range | list[None] = (
                range(seg.start, seg.end + 1) if item.kind == "video" else [None]
            )
            for frame in checked(frames, self.ctx):
                names, points, visibility = [], [], []
                for child_label, states in tracks:
                    state = _state_at(states, frame)
                    if state is None:
                        continue
                    child_seg, point, vis = state
                    names.append(child_label)
                    points.append(point if child_seg.visible else (0.0, 0.0))
                    visibility.append(vis if child_seg.visible else 0)
                obj = ObjectLabel(
                    category=seg.label,
                    geometry=Keypoints.from_lists(points, visibility, names),
                    id=ann_id,
                    frame=frame,
                    track=ann_id if item.kind == "video" else None,
                    attributes=list(seg.attributes),
                    **{**common, "extra": {**common["extra"], "templateId": template_id}},
                )
                item.objects.append(obj)
                self.poses.setdefault(seg.label, []).append(obj)

    # -- categories --------------------------------------------------------------------------------

    def _skeleton(self, label: str, objects: list[ObjectLabel]) -> None:
        """Give every pose of `label` the same point order (the template's, else first-seen)."""
        template_id = self.pose_templates.get(label)
        template = (
            self.ontology.templates.get(template_id) if self.ontology and template_id else None
        )
        names: list[str] = []
        edges: list[tuple[int, int]] = []
        if template is not None:
            names = [str(n) for n in template.get("order") or []]
            for arc in template.get("arcs") or []:
                if isinstance(arc, list | tuple) and len(arc) == 2:
                    a, b = str(arc[0]), str(arc[1])
                    if a in names and b in names:
                        edges.append((names.index(a), names.index(b)))
        for obj in checked(objects, self.ctx):
            for name in obj.geometry.names:  # type: ignore[union-attr]
                if name not in names:
                    names.append(name)
        position = {name: i for i, name in enumerate(names)}
        for obj in checked(objects, self.ctx):
            kp: Keypoints = obj.geometry  # type: ignore[assignment]
            points = np.zeros((len(names), 2))
            visibility = np.zeros(len(names), dtype=np.uint8)
            for index, name in enumerate(kp.names):
                points[position[name]] = kp.points[index]
                visibility[position[name]] = kp.visibility[index]
            obj.geometry = Keypoints(points, visibility, tuple(names))
        category = self.dataset.category(label)
        category.skeleton = Skeleton(names=tuple(names), edges=tuple(edges))
        category.shape = "pose"


def has_tracks(annotations: list) -> bool:
    for ann in annotations:
        if isinstance(ann, dict):
            for snap in annotation_system(ann).get("snapshots_") or []:
                if isinstance(snap, dict) and (optional_integer(snap.get("frame")) or 0) > 0:
                    return True
    return False


def _state_at(states: list, frame: int | None) -> Any:
    if frame is None:
        return states[0] if states else None
    starts = [seg.start for seg, _, _ in states]
    index = bisect.bisect_right(starts, frame) - 1
    if index < 0 or frame > states[index][0].end:
        return None
    return states[index]


def _visibility(attributes: list[Answer]) -> int:
    values = set()
    for answer in attributes:
        values.add(str(answer.name).lower() if answer.value is True else str(answer.value).lower())
    # "not-visible" marks an occluded point; "visible" or no attribute: a visible one.
    return 1 if values & {"not-visible", "not_visible", "not visible"} else 2


def annotation_system(ann: dict) -> dict:
    metadata = ann.get("metadata")
    if isinstance(metadata, dict) and isinstance(metadata.get("system"), dict):
        return metadata["system"]
    return {}


def video_fps(metadata: dict, system: dict) -> float:
    for value in (metadata.get("fps"), system.get("fps")):
        if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
            return float(value)
    rate = (system.get("ffmpeg") or {}).get("avg_frame_rate")
    if isinstance(rate, str) and "/" in rate:
        num, _, den = rate.partition("/")
        try:
            if float(den) > 0 and float(num) > 0:
                return float(num) / float(den)
        except ValueError:
            pass
    return DEFAULT_FPS


def frame_count(system: dict) -> int | None:
    ffmpeg = system.get("ffmpeg") if isinstance(system.get("ffmpeg"), dict) else {}
    for value in (system.get("nb_frames"), ffmpeg.get("nb_read_frames"), ffmpeg.get("nb_frames")):
        count = optional_integer(value)
        if count:
            return count
    return optional_integer(system.get("nb_frames_estimation"))
