"""Writing one output file safely: inside OUT, atomically, errors as augcli errors.

Workers write with ``durable=False`` (the engine syncs the whole output
once before the parent writes the global label files, which are durable).
"""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path

from augcli.core.errors import ImageReadError, OutputError
from augcli.formats.atomic import atomic_open
from augcli.formats.coco.layout import safe_output_path
from augcli.formats.contained import ContainmentError, contain

_COPY_CHUNK = 1 << 20


def write_into(out: Path, relpath: str | Path, data: bytes, *, durable: bool = False) -> Path:
    target = safe_output_path(out, relpath)
    try:
        with atomic_open(target, "wb", durable=durable, durable_dir=durable) as handle:
            handle.write(data)
    except OSError as err:
        raise OutputError(f"cannot write {target}: {err}") from None
    return target


def copy_into(out: Path, relpath: str | Path, source: Path, *, root: Path, durable: bool = False) -> Path:
    """Copy ``source``'s bytes to ``out/relpath``; ``source`` must resolve inside ``root``
    (the dataset) and be a regular file, or nothing is written (``ContainmentError``)."""
    target = safe_output_path(out, relpath)
    real = contain(source, root)
    try:
        with (
            os.fdopen(os.open(real, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK), "rb") as src,
            atomic_open(target, "wb", durable=durable, durable_dir=durable) as dst,
        ):
            if not stat.S_ISREG(os.fstat(src.fileno()).st_mode):
                raise ContainmentError("not a regular file", file=str(source))
            shutil.copyfileobj(src, dst, _COPY_CHUNK)
    except FileNotFoundError as err:
        raise ImageReadError(f"file disappeared while copying: {err}", file=str(source)) from None
    except OSError as err:
        raise OutputError(f"cannot write {target}: {err}", file=str(source)) from None
    return target


def write_converted_original(
    out: Path, relpath: str | Path, source: Path, sample, jpeg_quality: int | str, *, root: Path
) -> Path:
    """An original written into another format: its bytes, unless it has an EXIF
    orientation (other tools would turn it, or not, differently from the source
    format's reader) -- then the pixels the labels describe, re-encoded without EXIF."""
    if not sample.meta.get("exif_applied") and sample.meta.get("exif_orientation") in (None, 1):
        return copy_into(out, relpath, source, root=root)
    return write_sample_image(out, relpath, sample, jpeg_quality)


def write_sample_image(out: Path, relpath: str | Path, sample, jpeg_quality: int | str) -> Path:
    """Encode a sample's pixels in the format ``relpath``'s extension names (no EXIF).

    An image larger than augcli reads back (``AUGCLI_MAX_PIXELS``) is refused
    as an item error: no output is one augcli itself would refuse."""
    from augcli.formats.images import check_output_size, encode_image

    check_output_size(sample.image)

    info = dict(sample.meta)
    info["ext"] = Path(relpath).suffix
    return write_into(out, relpath, encode_image(sample.image, info, jpeg_quality=jpeg_quality))
