"""CVAT XML is written, never read, by labelview: its detector claims nothing."""

from __future__ import annotations

from labelview.formats.base import Detection, Probe, no


def detect(probe: Probe) -> Detection:
    """CVAT XML is written, never read, by labelview: never claim a file."""
    return no("CVAT XML can be written but not read by labelview")
