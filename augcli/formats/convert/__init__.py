"""Writing one format's samples in another format: names, splits, losses, COCO output."""
