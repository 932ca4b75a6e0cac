"""Reading one Segments.ai sample: its image or frames, and one labelset's label of it."""

from __future__ import annotations

from typing import Any

from labelview.cancel import checked
from labelview.formats._reading import Skip, at, mapping, optional_text
from labelview.formats.segments import locate
from labelview.formats.segments.read_objects import ObjectReader, ident_text
from labelview.images import image_size
from labelview.model import Answer, Frame, Item, StageEvent

_HISTORY = (
    ("Label", "created_by", "created_at"),
    ("Update", "updated_by", "updated_at"),
    ("Review", "reviewed_by", "reviewed_at"),
)


class LabelReader(ObjectReader):
    """Reads the samples of one release, one labelset's label of each."""

    # -- samples --

    def sample(self, index: int, sample: Any) -> Item:
        loc = at("dataset.samples", index)
        sample = mapping(sample, "sample")
        uuid = ident_text(sample.get("uuid"), "uuid") or f"sample-{index}"
        own_name = ident_text(sample.get("name"), "name") or uuid
        attributes = sample.get("attributes")
        attributes = {} if attributes is None else mapping(attributes, "attributes")
        extra: dict[str, Any] = {
            k: v for k, v in sample.items() if k not in ("uuid", "name", "attributes", "labels")
        }
        extra.update(
            {k: v for k, v in attributes.items() if k not in ("image", "frames", "sensors")}
        )
        item = Item(id=uuid, name=own_name, extra=extra)
        frames_source = attributes.get("frames")
        sensors = attributes.get("sensors")
        if isinstance(attributes.get("image"), dict):
            item.image = optional_text(attributes["image"].get("url"), "image url")
            # The name the SDK downloads the image to, so outputs name it the same way.
            item.name = locate.image_name(own_name, item.image)
            if item.name != own_name:
                item.extra["sample_name"] = own_name
            self.locate_image(item, own_name, loc)
        elif isinstance(frames_source, list):
            point_cloud = any(isinstance(f, dict) and "pcd" in f for f in frames_source)
            item.kind = "other" if point_cloud else "sequence"
            self.add_frames(item, own_name, frames_source, at(loc, "attributes.frames"))
        elif isinstance(sensors, list):
            item.kind = "sequence"
            self.add_sensor_frames(item, own_name, sensors, loc)
        elif "pcd" in attributes or "text" in attributes:
            item.kind = "other"
        elif frames_source is not None or sensors is not None:
            self.ctx.warn(at(loc, "attributes"), "frames / sensors is not a list", item=item.id)

        labels = sample.get("labels")
        if labels is None:
            labels = {}
        if not isinstance(labels, dict):
            self.ctx.warn(at(loc, "labels"), "labels is not an object", item=item.id)
            return item
        others = {
            str(k): (v.get("label_status") if isinstance(v, dict) else None)
            for k, v in labels.items()
            if str(k) != self.labelset
        }
        if others:
            item.extra["other_labelsets"] = others
        label = labels.get(self.labelset) if self.labelset else None
        if label is None:
            item.status = "UNLABELED"  # null label: an unlabeled sample, not an error
            return item
        if not isinstance(label, dict):
            self.ctx.warn(at(loc, "labels", self.labelset), "label is not an object", item=uuid)
            return item
        self.read_label(item, label, at(loc, "labels", self.labelset), own_name)
        return item

    def locate_image(self, item: Item, sample_name: str, loc: str) -> None:
        path = self.locator.image(item.image, sample_name)
        if path is None:
            self.missing_images.append(
                (at(loc, "attributes.image.url"), item.id, f"image not found: {item.image}")
            )
            return
        self.images_found += 1
        item.image_path = path
        size = image_size(path)
        if size is not None:
            item.width, item.height = size

    def add_frames(self, item: Item, sample_name: str, frames: list, loc: str) -> None:
        for index, entry in enumerate(checked(frames, self.ctx)):
            if not isinstance(entry, dict):
                self.ctx.warn(at(loc, index), "frame is not an object", item=item.id)
                continue
            image = entry.get("image") if isinstance(entry.get("image"), dict) else {}
            try:
                url = optional_text(image.get("url"), "image url") or None
                own_name = optional_text(entry.get("name"), "frame name") or None
            except Skip as error:
                self.ctx.warn(at(loc, index), f"frame skipped: {error.message}", item=item.id)
                continue
            name = own_name or locate.frame_number_name(index)
            frame = Frame(index=index, name=locate.frame_name(sample_name, name, url), image=url)
            frame.extra = {k: v for k, v in entry.items() if k != "image"}
            if url:
                path = self.locator.frame(url, frame.name or "", own_name)
                if path is None:
                    self.missing_images.append(
                        (at(loc, index, "image.url"), item.id, f"image not found: {url}")
                    )
                else:
                    self.images_found += 1
                    frame.image_path = path
                    size = image_size(path)
                    if size is not None:
                        frame.width, frame.height = size
            item.frames.append(frame)

    def add_sensor_frames(self, item: Item, sample_name: str, sensors: list, loc: str) -> None:
        """Multi-sensor samples show their first image sensor; the rest is kept in extra."""
        item.extra["sensors"] = sensors
        for index, sensor in enumerate(sensors):
            if isinstance(sensor, dict) and str(sensor.get("task_type", "")).startswith("image"):
                frames = (sensor.get("attributes") or {}).get("frames")
                if isinstance(frames, list):
                    item.extra["shown_sensor"] = sensor.get("name")
                    floc = at(loc, "attributes.sensors", index, "frames")
                    self.add_frames(item, sample_name, frames, floc)
                    return

    # -- labels --

    def read_label(self, item: Item, label: dict, loc: str, sample_name: str) -> None:
        status = label.get("label_status")
        item.status = str(status) if status is not None else None
        source = "model" if status == "PRELABELED" else "manual"
        item.labeler = label.get("created_by")
        for stage, who, when in _HISTORY:
            if label.get(who) or label.get(when):
                item.history.append(
                    StageEvent(
                        stage=stage, actor=label.get(who), action=stage.lower(), at=label.get(when)
                    )
                )
        rest = {k: v for k, v in label.items() if k not in ("attributes", "label_status")}
        if rest:
            item.extra["label"] = rest
        attributes = label.get("attributes")
        if attributes is None or attributes == {} or attributes == []:
            return  # a multi-sensor label without annotations is written as []
        if not isinstance(attributes, dict):
            self.ctx.warn(at(loc, "attributes"), "label attributes not an object", item=item.id)
            return
        loc = at(loc, "attributes")
        if isinstance(attributes.get("sensors"), list):
            self.read_sensors(item, attributes["sensors"], loc, source)
        elif isinstance(attributes.get("frames"), list):
            self.read_frames(item, attributes["frames"], loc, source)
        elif attributes.get("frames") is not None or attributes.get("sensors") is not None:
            self.ctx.warn(at(loc, "frames"), "frames / sensors is not a list", item=item.id)
        else:
            self.read_frame_label(item, attributes, loc, source, None, sample_name)
        self.read_links(item, attributes.get("links"), loc)

    def read_sensors(self, item: Item, sensors: list, loc: str, source: str) -> None:
        shown = item.extra.get("shown_sensor")
        for index, sensor in enumerate(sensors):
            if not isinstance(sensor, dict) or sensor.get("name") != shown:
                continue
            attributes = sensor.get("attributes")
            if isinstance(attributes, dict) and isinstance(attributes.get("frames"), list):
                self.read_frames(
                    item, attributes["frames"], at(loc, "sensors", index, "attributes"), source
                )
        if len(sensors) > 1:
            self.ctx.warn(
                at(loc, "sensors"),
                f"multi-sensor sample: showing sensor {shown!r}; the labels of "
                f"{len(sensors) - (shown is not None)} other sensors are kept in extra",
                item=item.id,
            )

    def read_frames(self, item: Item, frames: list, loc: str, source: str) -> None:
        runs: dict[str, list[tuple[int, Any]]] = {}
        for index, frame in enumerate(checked(frames, self.ctx)):
            floc = at(loc, "frames", index)
            if not isinstance(frame, dict):
                self.ctx.warn(floc, "frame label is not an object", item=item.id)
                continue
            if index >= len(item.frames) and item.kind == "sequence":
                self.ctx.warn(floc, "label frame has no matching sample frame", item=item.id)
            self.read_frame_label(item, frame, floc, source, index, None)
            image_attributes = frame.get("image_attributes")
            if isinstance(image_attributes, dict):
                for name, value in image_attributes.items():
                    runs.setdefault(str(name), []).append((index, value))
        # Per-frame scene attributes become answers over runs of equal values.
        for name, values in runs.items():
            start, current = values[0]
            last = start
            for index, value in [*values[1:], (None, object())]:
                if index is not None and index == last + 1 and value == current:
                    last = index
                    continue
                item.classifications.append(Answer(name, current, frames=(start, last)))
                if index is not None:
                    start, last, current = index, index, value
