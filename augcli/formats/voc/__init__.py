"""Pascal VOC: Annotations/*.xml, JPEGImages/, ImageSets/, SegmentationClass/ and SegmentationObject/."""

from augcli.formats.voc.reader import VocReader
from augcli.formats.voc.writer import VocWriter

__all__ = ["VocReader", "VocWriter"]
