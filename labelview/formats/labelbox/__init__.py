from labelview.formats.base import Format, no

FORMAT = Format(name="labelbox", title="Labelbox NDJSON", suffixes=(".ndjson",), detect=lambda p: no("wip"))
