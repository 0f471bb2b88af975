"""COCO instances / person-keypoints datasets: reader, writer and layout rules."""

from augcli.formats.coco.reader import CocoReader
from augcli.formats.coco.writer import CocoWriter

__all__ = ["CocoReader", "CocoWriter"]
