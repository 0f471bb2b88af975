"""Ultralytics YOLO: data.yaml, images/<split>/ and labels/<split>/*.txt (detect, segment, pose)."""
