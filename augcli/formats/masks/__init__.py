"""Semantic-mask folders: images/ + masks/ paired by file stem, with an optional class list."""
