"""Photometric transforms: they change pixel values only, never a label.

Each module registers its transforms when imported; ``transforms.catalog``
imports one on the first use of a name it defines, or all of them.
"""
