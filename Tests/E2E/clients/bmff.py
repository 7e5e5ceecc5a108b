"""ISO BMFF boxes through the real pymp4 parser."""

import io

from pymp4.parser import Box


def pymp4_boxes(data: bytes):
    """Every top-level box of `data`; pymp4 raises on a broken one."""
    stream = io.BytesIO(data)
    boxes = []
    while stream.tell() < len(data):
        boxes.append(Box.parse_stream(stream))
    return boxes


def pymp4_find(box, kind):
    """First descendant of a pymp4 box with this type (depth first)."""
    for child in getattr(box, "children", None) or []:
        if child.type == kind:
            return child
        found = pymp4_find(child, kind)
        if found is not None:
            return found
    return None
