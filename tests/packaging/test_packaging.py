"""The desktop bundle's recipe and metadata stay valid.

The bundle itself is built by packaging/build.sh, which takes minutes — too long for CI; see
packaging/README.md.
"""

from __future__ import annotations

import ast
import configparser
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

import labelview

ROOT = Path(__file__).resolve().parents[2]
PACKAGING = ROOT / "packaging"
DESKTOP = PACKAGING / "linux" / "io.github.labelview.Labelview.desktop"
METAINFO = PACKAGING / "linux" / "io.github.labelview.Labelview.metainfo.xml"


def test_spec_is_python_and_bundles_the_runtime_assets() -> None:
    source = (PACKAGING / "labelview.spec").read_text()
    tree = ast.parse(source)
    calls = {
        node.func.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
    }
    assert {"Analysis", "PYZ", "EXE", "COLLECT"} <= calls  # one-folder layout
    assert "console=False" in source  # windowed
    assert '"demo/**/*"' in source
    assert '"gui/icons/*"' in source
    assert '"pytest"' in source  # test deps stay out
    assert '"hypothesis"' in source
    entry = PACKAGING / "labelview_main.py"
    assert "labelview.cli import main" in entry.read_text()


def test_desktop_file_opens_exports() -> None:
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # keys are case-sensitive
    parser.read(DESKTOP)
    entry = parser["Desktop Entry"]
    assert entry["Exec"] == "labelview %F"
    mime = set(entry["MimeType"].strip(";").split(";"))
    assert {"application/json", "application/zip", "application/x-ndjson"} <= mime
    assert entry["Icon"] == DESKTOP.stem


def test_metainfo_matches_desktop_file_and_version() -> None:
    root = ET.parse(METAINFO).getroot()
    assert root.findtext("id") == DESKTOP.stem
    assert root.find("launchable").text == DESKTOP.name
    versions = [release.get("version") for release in root.iter("release")]
    assert versions[0] == labelview.__version__


def test_icon_source_is_svg() -> None:
    svg = ET.parse(ROOT / "resources" / "labelview.svg").getroot()
    assert svg.tag.endswith("svg")
    assert svg.get("viewBox") == "0 0 256 256"


@pytest.mark.skipif(
    shutil.which("desktop-file-validate") is None,
    reason="desktop-file-validate not installed (apt-get install desktop-file-utils)",
)
def test_desktop_file_validate() -> None:
    result = subprocess.run(["desktop-file-validate", str(DESKTOP)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.skipif(
    shutil.which("appstreamcli") is None,
    reason="appstreamcli not installed (apt-get install appstream)",
)
def test_appstream_validate() -> None:
    result = subprocess.run(
        ["appstreamcli", "validate", "--no-net", str(METAINFO)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
