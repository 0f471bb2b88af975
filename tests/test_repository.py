"""The repository as a newcomer gets it: a tidy root, and a test suite that passes from a fresh clone."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conformance import reads_shared_data

REPO = Path(__file__).resolve().parents[1]

# Every entry the repository root is meant to hold; anything else is a stray file.
ROOT_ENTRIES = {
    ".ci",
    ".gitignore",
    "CONTRIBUTING.md",
    "README.md",
    "augcli",
    "benchmarks",
    "docs",
    "pyproject.toml",
    "recipes",
    "sample_data",
    "scripts",
    "tests",
}


def git(*args: str, cwd: Path = REPO) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout


def require_git_checkout() -> None:
    if shutil.which("git") is None or not (REPO / ".git").exists():
        pytest.skip("needs a git checkout of augcli")


def readme_test_command() -> str:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    match = re.search(r"Run the tests.*?```sh\n(.+?)\n```", readme, re.S)
    assert match, "README.md lost its 'Run the tests' command"
    return match.group(1).strip()


def test_repository_root_holds_only_the_intended_entries():
    require_git_checkout()
    tracked = {line.split("/", 1)[0] for line in git("ls-files").splitlines()}
    assert tracked - ROOT_ENTRIES == set(), "stray files at the repository root"
    assert ROOT_ENTRIES - tracked == set(), "an intended root entry is missing"


def test_ci_runs_the_readme_test_command():
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert ci[-1].strip() == readme_test_command()


@pytest.mark.slow
@pytest.mark.fresh_clone
def test_readme_test_command_passes_in_a_fresh_clone(tmp_path):
    """Clone HEAD without ../shared beside it and run the README's test command there."""
    require_git_checkout()
    clone = tmp_path / "augcli"
    git("clone", "--quiet", "--no-hardlinks", str(REPO), str(clone))
    assert not (clone.parent / "shared").exists()
    venv = tmp_path / "venv"
    # System site packages hold the dependencies; pip fetches only the build backend, as .ci/run's does.
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)], check=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "PYTEST", "VIRTUAL_ENV"))}
    env.update(
        PATH=f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}",
        VIRTUAL_ENV=str(venv),
        PIP_DISABLE_PIP_VERSION_CHECK="1",
        # Only modules that read ../shared can behave differently here; the outer suite runs every
        # other test on the same packages (running the whole suite twice was half of CI's 16 minutes).
        PYTEST_ADDOPTS="-m 'shared_data and not fresh_clone' -p no:cacheprovider",
    )
    run = subprocess.run(
        ["bash", "-c", readme_test_command()],
        cwd=clone,
        env=env,
        capture_output=True,
        text=True,
        timeout=1500,
    )
    tail = "\n".join((run.stdout + run.stderr).splitlines()[-30:])
    assert run.returncode == 0, tail
    assert re.search(r"\d+ passed", run.stdout), tail
    imported = subprocess.run(
        ["python", "-c", "import augcli; print(augcli.__file__)"],
        cwd=venv,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert Path(imported.strip()).is_relative_to(clone), "the clone's tests imported another augcli"
    # Tests write only under tmp_path: the run left nothing new in the clone.
    assert git("status", "--porcelain", "--untracked-files=all", cwd=clone) == ""


def test_only_test_modules_read_the_shared_conformance_data():
    """The fresh clone runs the modules marked shared_data: sound only while no helper module reads ../shared.

    A test module importing a helper that calls ``conformance()`` would not be marked, and its
    skips without ../shared would go untested.
    """
    helpers = [
        path.relative_to(REPO).as_posix()
        for path in (REPO / "tests").rglob("*.py")
        if not path.name.startswith("test_") and path.name not in ("conftest.py", "conformance.py")
    ]
    assert helpers, "no helper module found: the scan is looking in the wrong place"
    assert [path for path in helpers if reads_shared_data(REPO / path)] == []


def test_the_modules_reading_shared_data_are_marked():
    """The marker finds the conformance tests (a module naming the helper, one naming the folder)."""
    assert reads_shared_data(REPO / "tests" / "formats" / "test_coco_conformance.py")
    assert reads_shared_data(REPO / "tests" / "engine" / "test_splits.py")
    assert not reads_shared_data(REPO / "tests" / "engine" / "test_shards.py")


def test_no_tracked_text_file_holds_merge_conflict_markers():
    """A rebase resolved in a hurry must not ship its <<<<<<< / >>>>>>> lines."""
    require_git_checkout()
    marker = re.compile(r"^(<{7} |>{7} |={7}$)", re.M)
    tracked = git("ls-files", "*.py", "*.md", "*.toml", "*.yaml", "*.yml", "*.json", "*.txt").splitlines()
    flagged = [name for name in tracked if marker.search((REPO / name).read_text(errors="replace"))]
    assert flagged == []


def test_bundled_sample_data_is_what_its_generator_writes(tmp_path):
    """Labels byte for byte, images pixel for pixel (a newer zlib or libjpeg may pack them otherwise)."""
    import numpy as np
    from PIL import Image

    out = tmp_path / "sample_data"
    subprocess.run(
        [sys.executable, str(REPO / "scripts" / "make_sample_data.py"), "--out", str(out)],
        check=True,
        capture_output=True,
    )
    bundled_root = REPO / "sample_data"
    bundled = sorted(p.relative_to(bundled_root) for p in bundled_root.rglob("*") if p.is_file())
    assert sorted(p.relative_to(out) for p in out.rglob("*") if p.is_file()) == bundled
    for relpath in bundled:
        if relpath.suffix.lower() in (".jpg", ".jpeg", ".png"):
            made, kept = (np.asarray(Image.open(root / relpath)) for root in (out, bundled_root))
            assert np.array_equal(made, kept), relpath
        else:
            assert (out / relpath).read_bytes() == (bundled_root / relpath).read_bytes(), relpath
