"""A shard's plan, kept for ``augcli merge`` so that the merge need not read and check the source again.

Shard 0 saves the ``RunPlan`` of its run (``engine.run_plan``: the reader, the
tasks of the whole run, the report as planned) in ``OUT/.augcli/plan.pickle``,
beside the run's identity and the ``stat`` of every folder that holds an input
file, up to the dataset's root. ``augcli merge`` restores it (``restore_plan``)
only when

- it is the plan of the shards' run (the same identity, this format of file),
- every input is a local file and the shard named the source by an absolute
  path, or ran in the merge's working folder (messages name files as it did),
- and none of those folders changed (a file added, removed or renamed in a
  folder changes its times).

The input files themselves are checked as a single run checks them, through
the run identity (``engine.inputs.current_rows``, the annotation files'
sha256), so a changed source is refused as before. In any other case merge
reads the source as the shards did. The file is read with an unpickler that
builds only augcli's classes and the numpy, pathlib and collections types a
reader holds, and calls no augcli constructor but an error's: a planted file
cannot run code (about 1 s to restore a 1M-annotation COCO reader, against
0.3 s for the C unpickler that cannot be vetted this way).
"""

from __future__ import annotations

import builtins
import os
import pickle
from dataclasses import replace
from pathlib import Path
from typing import Any, ClassVar

from augcli.core.errors import AugcliError
from augcli.engine.lock import open_meta
from augcli.engine.run_plan import RunPlan
from augcli.formats.atomic import atomic_write_bytes
from augcli.formats.contained import stat_fingerprint

PLAN_FILE = "plan.pickle"
PLAN_VERSION = 1
_SAFE_BUILTINS = frozenset({"set", "frozenset", "bytearray", "slice", "range", "complex", "bytes", "object"})
_SAFE = {
    "collections": frozenset({"Counter", "OrderedDict", "defaultdict", "deque"}),
    "pathlib": frozenset({"Path", "PosixPath", "PurePosixPath", "WindowsPath", "PureWindowsPath"}),
    "numpy": frozenset({"dtype", "ndarray"}),
    "numpy._core.numeric": frozenset({"_frombuffer"}),
    "numpy.core.numeric": frozenset({"_frombuffer"}),
    "numpy._core.multiarray": frozenset({"_reconstruct", "scalar"}),
    "numpy.core.multiarray": frozenset({"_reconstruct", "scalar"}),
}


class PlanSnapshot:
    """A plan pickled as soon as it is made (the run changes its report), saved once OUT is claimed."""

    def __init__(self, plan: RunPlan, source: str | os.PathLike[str]):
        self.header = {
            "version": PLAN_VERSION,
            "source": os.fspath(source),
            "cwd": os.getcwd(),
            "folders": folder_stats(plan),
        }
        self.data = pickle.dumps(replace(plan, pool=None), protocol=pickle.HIGHEST_PROTOCOL)

    def save(self, meta: Path, identity: dict) -> None:
        header = pickle.dumps({**self.header, "identity": identity}, protocol=pickle.HIGHEST_PROTOCOL)
        atomic_write_bytes(meta / PLAN_FILE, header + self.data)


def snapshot(plan: RunPlan, source: str | os.PathLike[str]) -> PlanSnapshot | None:
    """``plan`` ready to save, or None when some part of it does not pickle (merge then reads)."""
    try:
        return PlanSnapshot(plan, source)
    except Exception:  # whatever the reason, merge still has the source to read
        return None


def save_plan(saved: PlanSnapshot | None, meta: Path, identity: dict) -> None:
    """Save ``saved`` as the plan of the run ``identity`` in ``meta``; with none, or when it cannot
    be written, no plan is left there (merge then reads the source, as without one)."""
    if saved is not None:
        try:
            saved.save(meta, identity)
            return
        except OSError:
            pass
    try:
        (meta / PLAN_FILE).unlink(missing_ok=True)
    except OSError:
        pass


def restore_plan(meta: Path, identity: dict) -> RunPlan | None:
    """The plan saved in ``meta`` if merge may use it (see the module docstring), else None."""
    try:
        fd = open_meta(meta, PLAN_FILE, os.O_RDONLY | os.O_NONBLOCK)
    except Exception:  # none, or a link: read the source
        return None
    try:
        with os.fdopen(fd, "rb") as handle:
            unpickler = PlanUnpickler(handle)
            header = unpickler.load()
            if not _usable(header, identity):
                return None
            plan = PlanUnpickler(handle).load()
    except Exception:  # damaged, from another augcli, or not ours: the source decides
        return None
    if not isinstance(plan, RunPlan) or not all(os.path.isabs(row["path"]) for row in plan.input_rows):
        return None  # an input by URL (a mirror) is checked where it is, by reading it
    return plan


def _usable(header: Any, identity: dict) -> bool:
    if not isinstance(header, dict) or header.get("version") != PLAN_VERSION:
        return False
    if header.get("identity") != identity:
        return False
    if not (os.path.isabs(header["source"]) or header["cwd"] == os.getcwd()):
        return False
    folders = header["folders"]
    return isinstance(folders, dict) and _stats(folders) == folders


def folder_stats(plan: RunPlan) -> dict[str, dict]:
    """``stat`` of each folder holding an input file (the annotation files' too) and of its
    parents up to the dataset's root (the folder alone when it is outside the root)."""
    reader = plan.reader
    root = os.path.realpath(reader.root)
    files = [row["path"] for row in plan.input_rows]
    files += [os.fspath(p) for p in [getattr(reader, "annotation_file", None)] if p is not None]
    files += [os.fspath(p) for p in getattr(reader, "annotation_files", [])]
    folders = {root}
    for path in {os.path.dirname(os.path.realpath(p)) for p in files}:
        folders.add(path)
        while path.startswith(root + os.sep):
            path = os.path.dirname(path)
            folders.add(path)
    return _stats(dict.fromkeys(sorted(folders)))


def _stats(folders: dict[str, Any]) -> dict[str, dict]:
    now: dict[str, dict] = {}
    for path in folders:
        try:
            now[path] = stat_fingerprint(os.stat(path))
        except OSError:
            now[path] = {}
    return now


class PlanUnpickler(pickle._Unpickler):  # the Python unpickler: its opcodes can be vetted
    """Builds augcli's classes and a reader's plain types, nothing else, and never calls an
    augcli class but its errors: its objects are made with ``__new__`` and given their state
    (NEWOBJ and BUILD), so a planted file cannot run a constructor with arguments of its choosing."""

    dispatch: ClassVar[dict[int, Any]] = dict(pickle._Unpickler.dispatch)

    def find_class(self, module: str, name: str) -> Any:
        if module == "builtins" and name in _SAFE_BUILTINS:
            return getattr(builtins, name)
        if name in _SAFE.get(module, ()):
            return super().find_class(module, name)
        if module == "augcli" or module.startswith("augcli."):
            found = super().find_class(module, name)
            if isinstance(found, type):
                return found
        raise pickle.UnpicklingError(f"{module}.{name} is not part of a saved plan")

    def _reduce(self) -> None:
        # augcli's errors are rebuilt by their class: their constructors only store fields
        called = self.stack[-2]  # type: ignore[attr-defined]
        if (
            isinstance(called, type)
            and called.__module__.startswith("augcli")
            and not issubclass(called, AugcliError)
        ):
            raise pickle.UnpicklingError(f"a saved plan does not call {called.__qualname__}")
        pickle._Unpickler.load_reduce(self)  # type: ignore[attr-defined]

    def _refuse(self) -> None:
        raise pickle.UnpicklingError("a saved plan holds no protocol 0/1 instances")

    dispatch[pickle.REDUCE[0]] = _reduce
    dispatch[pickle.INST[0]] = _refuse
    dispatch[pickle.OBJ[0]] = _refuse
