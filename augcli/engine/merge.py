"""``augcli merge``: join the outputs of ``--num-shards`` runs into the tree of a single run.

Each part is a finished shard (``engine.shards``): its images, label files
holding only its items, reports, and its journal of task records. Merging

1. reads every part's ``run.jsonl`` and refuses parts of different runs
   (recipe, seed, copies, source, formats, augcli version, number of
   shards...), naming the field and both values, and a set of parts that does
   not hold every shard exactly once (``UsageError``, exit 2; a part whose
   records cannot be read is ``DatasetError``, exit 4);
2. runs that run again (``runner.expand`` with the shards' arguments) on the
   plan shard 0 saved, once the source is proved as the shards saw it
   (``engine.saved_plan``), else on a plan made from the source again, and
   checks that the source did not change;
3. instead of running tasks, hardlinks (copies, across file systems) each
   part's task outputs into OUT and hands the runner where each task's
   record is (the part's journal, read in place); the runner assembles them
   exactly as after its own workers, through ``engine.assemble``: label
   files and reports last, so the bytes equal a single run's.

Parts are only read (and locked while merging), never changed. A merge cut
short leaves no label file in OUT; running it again redoes it (the links
already in place are kept).
"""

from __future__ import annotations

import errno
import os
import shutil
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from augcli.core.errors import DatasetError, OutputError, UsageError
from augcli.engine.inputs import changed_files
from augcli.engine.journal import JOURNAL_NAME, Done, JournalError, PartRef, read_journal
from augcli.engine.lock import MARKER_DIR, OutputLock, releases_locks
from augcli.engine.plan import Task
from augcli.engine.remote_run import holds_unfinished_run, with_remote_parts
from augcli.engine.report import RunReport
from augcli.engine.results import WorkContext
from augcli.engine.resume import read_run_file
from augcli.engine.shards import Shard
from augcli.formats.atomic import atomic_open, temp_file_target, temp_prefix

if TYPE_CHECKING:
    from augcli.engine.run_plan import RunPlan
    from augcli.recipe.recipe import Recipe

SHARD_KEYS = ("shard_index",)  # identity keys that differ between the shards of one run
# names the refusal uses for identity and argument fields
_FIELD_NAMES = {
    "augcli": "augcli version",
    "recipe": "recipe (sha256)",
    "inputs": "input files (fingerprint)",
    "image_keys": "image list (sha256)",
    "annotation_file": "annotation file (sha256)",
    "annotation_files": "annotation files (sha256)",
    "num_shards": "--num-shards",
    "fmt": "--format",
    "to": "--to",
    "splits": "--splits",
    "yolo_task": "--yolo-task",
    "keep_invalid": "--keep-invalid",
    "mask_options": "--masks/--mask-pattern/--palette",
}
_FIRST = ("augcli", "num_shards", "source", "recipe", "seed", "copies", "format", "output_format")
_LINK_FALLBACK = frozenset({errno.EXDEV, errno.EPERM, errno.EMLINK, errno.ENOTSUP, errno.EACCES})
_COPY_CHUNK = 1 << 20


@dataclass
class Part:
    """One finished shard output given to ``merge``."""

    path: Path
    run: dict  # its run.jsonl
    shard: Shard
    label_files: frozenset[str]  # written by its finalize: merge writes the whole run's instead

    @property
    def identity(self) -> dict:
        return self.run["identity"]

    @property
    def arguments(self) -> dict:
        return self.run["shard"]["arguments"]

    def run_identity(self) -> dict:
        """The identity of the whole run this shard belongs to (that of a single run)."""
        return {k: v for k, v in self.identity.items() if k not in (*SHARD_KEYS, "num_shards")}


def read_part(path: str | Path) -> Part:
    """The finished shard in ``path``; ``UsageError`` when it is none."""
    folder = Path(path).expanduser().resolve()
    meta = folder / MARKER_DIR
    if not folder.is_dir() or not meta.is_dir() or meta.is_symlink():
        raise UsageError(f"{folder} is not an augcli output (no {MARKER_DIR} folder); pass shard outputs")
    run = read_run_file(meta)
    if run is None:
        unfinished = (meta / JOURNAL_NAME).exists()
        raise UsageError(
            f"{folder} holds an unfinished run: finish it with the same augcli expand command and --resume"
            if unfinished
            else f"{folder} holds no finished augcli run"
        )
    shard = run.get("shard")
    if not isinstance(shard, dict) or not isinstance(run.get("identity"), dict):
        raise UsageError(f"{folder} holds a whole run, not a shard (it was not made with --num-shards)")
    try:
        if not isinstance(shard["arguments"], dict) or not isinstance(run["recipe"], str):
            raise TypeError("not a shard entry")
        return Part(
            folder,
            run,
            Shard(int(shard["index"]), int(shard["count"])),
            frozenset(str(name) for name in shard["label_files"]),
        )
    except (KeyError, TypeError, ValueError):
        raise DatasetError(f"{meta / 'run.jsonl'} is damaged: its shard entry cannot be read") from None


def check_parts(parts: Sequence[Part]) -> list[Part]:
    """The parts in shard order, once it is sure they are every shard of one run (else ``UsageError``)."""
    if not parts:
        raise UsageError("augcli merge needs the output folders of the shards")
    first = parts[0]
    for other in parts[1:]:
        _same_run(first, other)
    by_index: dict[int, Part] = {}
    for part in parts:
        if part.shard.index in by_index:
            raise UsageError(
                f"cannot merge: {part.shard.label()} is given twice: {by_index[part.shard.index].path} "
                f"and {part.path}"
            )
        by_index[part.shard.index] = part
    count = first.shard.count
    missing = [i for i in range(count) if i not in by_index]
    if missing:
        shown = ", ".join(map(str, missing[:10])) + (
            f" and {len(missing) - 10} more" if len(missing) > 10 else ""
        )
        raise UsageError(
            f"cannot merge: shard(s) {shown} of {count} are missing; pass all {count} parts "
            f"(shard indices 0 to {count - 1})"
        )
    return [by_index[i] for i in range(count)]


def _same_run(first: Part, other: Part) -> None:
    for mine, theirs in ((first.identity, other.identity), (first.arguments, other.arguments)):
        for name in _in_order(set(mine) | set(theirs)):
            if name in (*SHARD_KEYS, "source_label") or mine.get(name) == theirs.get(name):
                continue
            raise UsageError(
                f"cannot merge: {other.path} and {first.path} are shards of different runs: "
                f"{_FIELD_NAMES.get(name, name)} {_shown(theirs.get(name))} vs {_shown(mine.get(name))}"
            )


def _in_order(names: set[str]) -> list[str]:
    """The fields a user chooses first (the rest mostly follow from them), then the others."""
    return [name for name in _FIRST if name in names] + sorted(names - set(_FIRST))


def _shown(value: Any) -> str:
    text = str(value)
    return text[:12] if len(text) == 64 and all(c in "0123456789abcdef" for c in text) else text


class ShardImport:
    """The runner's task source for a merge: finished shards instead of workers."""

    def __init__(self, parts: Sequence[Part]):
        self.parts = list(parts)
        self._results: list[dict[int, Done]] = []

    def restored_plan(self) -> RunPlan | None:
        """The plan shard 0 saved, when the source is still as it saw it (``engine.saved_plan``);
        else None, and the runner plans the run again from the source and ``recipe()``."""
        from augcli.engine.saved_plan import restore_plan

        first = self.parts[0]
        return restore_plan(first.path / MARKER_DIR, first.run_identity())

    def recipe(self) -> Recipe:
        from augcli.recipe.recipe import recipe_from_text

        first = self.parts[0]
        return recipe_from_text(first.run["recipe"], source=f"the recipe of {first.path}")

    def check(self, identity: dict, tasks: list[Task], input_rows: list[dict]) -> None:
        """The source must still be the shards' and each journal must hold exactly its shard's tasks."""
        expected = self.parts[0].run_identity()
        for name in _in_order(set(identity) | set(expected)):
            if identity.get(name) != expected.get(name):
                changed = (
                    changed_files(self.parts[0].path / MARKER_DIR, input_rows) if name == "inputs" else []
                )
                raise UsageError(
                    f"cannot merge: the dataset or arguments changed since the shards ran: "
                    f"{_FIELD_NAMES.get(name, name)} was {_shown(expected.get(name))}, now "
                    f"{_shown(identity.get(name))}"
                    + (f" ({', '.join(changed)})" if changed else "")
                    + "; rerun the shards"
                )
        for part in self.parts:
            for _ in walk_part(part.path, part.label_files):  # refuses links before OUT is touched
                pass
            self._results.append(_read_records(part, part.shard.select(tasks)))

    def run(
        self, context: WorkContext, tasks: list[Task], on_result: Callable[[None, Task], None] | None = None
    ) -> dict[int, Done]:
        """Bring each part's files into OUT, then hand over its records where they are (its journal)."""
        wanted = {task.index: task for task in tasks}
        done: dict[int, Done] = {}
        out = Path(context.writer.out)
        for number, part in enumerate(self.parts):
            link_tree(part.path, out, part.label_files)
            meta = part.path / MARKER_DIR
            absolute: dict[str, str] = {}  # one string per record file, not per task
            results, self._results[number] = self._results[number], {}
            for index in sorted(results):
                if index not in wanted:
                    continue
                entry = results[index]
                if entry.ref is None:
                    raise DatasetError(f"{meta / JOURNAL_NAME} does not say where task {index} is")
                where = absolute.setdefault(entry.ref.file, os.path.join(meta, entry.ref.file))
                ref = PartRef(where, entry.ref.offset, entry.ref.length)  # absolute: read in place
                done[index] = Done(entry.index, entry.key, entry.failed, ref)
                if on_result:
                    on_result(None, wanted[index])
        return done


def _read_records(part: Part, own: list[Task]) -> dict[int, Done]:
    meta = part.path / MARKER_DIR
    try:
        identity, done, _ = read_journal(meta / JOURNAL_NAME)
    except JournalError as err:
        raise DatasetError(f"cannot read the records of {part.shard.label()} in {part.path}: {err}") from None
    if identity != part.identity:
        raise DatasetError(f"{meta / JOURNAL_NAME} is not the journal of the run in {meta / 'run.jsonl'}")
    keys = {task.index: task.key for task in own}
    foreign = [index for index, result in done.items() if keys.get(index) != result.key]
    missing = [task for task in own if task.index not in done]
    if foreign:
        raise DatasetError(
            f"{meta / JOURNAL_NAME} records task {foreign[0]}, which is not one of {part.shard.label()}'s "
            "(a damaged or forged journal); rerun that shard with --overwrite"
        )
    if missing:
        raise UsageError(
            f"{part.shard.label()} in {part.path} lacks {len(missing)} of its {len(own)} tasks "
            f"(image {missing[0].key!r} first); finish it with the same augcli expand command and --resume"
        )
    return done


def walk_part(part: Path, skip: frozenset[str]) -> Iterator[tuple[bool, str]]:
    """(is a folder, relative path) of what ``part`` brings into OUT: all but its marker
    folder, ``skip`` and temporary files; empty folders too (the single run has them).
    A link or a device there is refused (augcli writes neither), as is a folder that cannot
    be listed. Folders come before their files, in sorted order (``os.walk``'s), told apart
    by the directory entries themselves (no ``stat`` per file); nothing else is held in memory."""
    pending = [""]
    while pending:
        rel = pending.pop()
        yield True, rel
        folders, files = [], []
        folder = os.path.join(part, rel)
        try:
            with os.scandir(folder) as entries:
                for entry in entries:
                    if entry.is_dir(follow_symlinks=False):
                        if rel or entry.name != MARKER_DIR:
                            folders.append(entry.name)
                    elif entry.is_file(follow_symlinks=False):
                        files.append(entry.name)
                    else:
                        raise UsageError(
                            f"{entry.path} is not a regular file (augcli never writes links); "
                            "remove it and merge again"
                        )
        except OSError as err:
            raise DatasetError(f"cannot list {folder}: {err.strerror or err}") from None
        for name in sorted(files):
            relpath = os.path.join(rel, name)
            if relpath not in skip and temp_file_target(name) is None:
                yield False, relpath
        pending.extend(os.path.join(rel, name) for name in sorted(folders, reverse=True))


def link_tree(part: Path, out: Path, skip: frozenset[str]) -> None:
    """What ``part`` brings (``walk_part``) at the same place in ``out`` (see ``place``)."""
    for is_folder, relpath in walk_part(part, skip):
        if is_folder:
            (out / relpath).mkdir(parents=True, exist_ok=True)
        else:
            place(part / relpath, out / relpath)


def place(source: Path, target: Path) -> None:
    """``target`` as a hardlink of ``source`` (a copy across file systems), replaced atomically."""
    try:
        try:
            _link(source, target)
        except OSError as err:
            if err.errno not in _LINK_FALLBACK:
                raise
            _copy(source, target)
    except OSError as err:
        raise OutputError(f"cannot place {target} (from {source}): {err.strerror or err}") from None


def _link(source: Path, target: Path) -> None:
    """Into a fresh OUT, one ``link`` call; a target already there (an earlier, interrupted
    merge) is kept when it is that file, else replaced through a temporary link."""
    try:
        os.link(source, target)
        return
    except FileExistsError:
        pass
    if not target.is_symlink() and os.path.samefile(source, target):
        return
    temp = target.parent / f"{temp_prefix(target.name)}mergelnk.tmp"
    temp.unlink(missing_ok=True)
    os.link(source, temp)
    os.replace(temp, target)


def _copy(source: Path, target: Path) -> None:
    with open(source, "rb") as src, atomic_open(target, "wb", durable=False) as dst:
        shutil.copyfileobj(src, dst, _COPY_CHUNK)


@with_remote_parts
@releases_locks
def merge(
    parts: Sequence[str | Path],
    out: str | Path,
    *,
    overwrite: bool = False,
    debug: bool = False,
    on_start: Any = None,
    on_result: Any = None,
    cache_dir: str | Path | None = None,
) -> RunReport:
    """Merge the shard outputs ``parts`` into ``out``; returns the run report (see the module docstring).

    ``parts`` and ``out`` may be URLs (``engine.remote_run``); ``cache_dir`` holds the mirrors of
    remote parts and of a remote SOURCE, and the staging of a remote ``out``."""
    from augcli.engine.runner import expand
    from augcli.storage.urls import is_remote, local_path

    ordered = check_parts([read_part(path) for path in parts])
    remote = is_remote(out)
    out_path: str | Path = str(out) if remote else local_path(out).resolve()
    for part in ordered if not remote else ():
        assert isinstance(out_path, Path)
        if out_path == part.path or out_path.is_relative_to(part.path) or part.path.is_relative_to(out_path):
            raise UsageError(f"--out {out_path} overlaps the part {part.path}; merge into another folder")
    for part in ordered:
        try:
            OutputLock(part.path)  # no shard may still be writing (a --resume of it, say)
        except OutputError:
            pass  # a read-only part (its lock file cannot be opened): nothing can write there either
    arguments = ordered[0].arguments
    masks = {
        name: (Path(value) if value is not None and name != "mask_pattern" else value)
        for name, value in (arguments.get("mask_options") or {}).items()
    }
    # a merge cut short left its journal (in OUT, or in the store for a remote OUT): finish it
    if remote:
        resume = not overwrite and holds_unfinished_run(str(out_path))
    else:
        resume = not overwrite and (Path(out_path) / MARKER_DIR / JOURNAL_NAME).is_file()
    return expand(
        arguments["source"],
        None,  # the shards' (ShardImport.recipe), parsed only when their plan is not restored
        out_path,
        copies=arguments.get("copies"),
        seed=arguments.get("seed"),
        workers=1,
        images=arguments.get("images"),
        fmt=arguments.get("fmt", "auto"),
        to=arguments.get("to", "same"),
        mask_options=masks,
        overwrite=overwrite,
        debug=debug,
        resume=resume,
        splits=arguments.get("splits"),
        yolo_task=arguments.get("yolo_task"),
        keep_invalid=bool(arguments.get("keep_invalid")),
        on_start=on_start,
        on_result=on_result,
        imported=ShardImport(ordered),
        source_label=arguments.get("source_label"),
        cache_dir=cache_dir,
    )
