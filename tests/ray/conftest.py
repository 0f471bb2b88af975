"""One local Ray cluster (2 CPUs) for the Ray tests, and the local-pool outputs they compare to.

The references are made first, before Ray starts in this process (the fork pool
never forks a process that holds Ray's threads). The cluster is module-scoped and
every Ray test is in one module, so it starts once and stops before any other test
runs (a "package" scope would be the session: tests/ray is no Python package, and
cannot be one, since it would shadow ``ray`` itself).
"""

from __future__ import annotations

import os

import pytest
from ray_helpers import CONVERT, HERE, MOSAIC_RECIPE, REPO, RayCluster, make_coco

import augcli


@pytest.fixture(scope="module")
def ray_cluster(tmp_path_factory) -> RayCluster:
    ray = pytest.importorskip(
        "ray", reason="Ray is not installed; install the test extras: pip install -e '.[dev]'"
    )
    root = tmp_path_factory.mktemp("ray")
    coco = make_coco(root / "coco")
    yolo_root = root / "yolo"
    augcli.expand(coco, CONVERT, yolo_root, to="yolo", workers=1)
    datasets = {"coco": coco, "yolo": yolo_root / "data.yaml"}
    references = {}
    for name, source in datasets.items():
        references[name] = root / f"local-{name}"
        augcli.expand(source, MOSAIC_RECIPE, references[name], workers=2)

    fault_file = root / "faults.json"
    # the workers import the fault hook from here and this checkout's augcli
    path = os.pathsep.join(p for p in [str(HERE), os.environ.get("PYTHONPATH", ""), str(REPO)] if p)
    runtime_env = {
        "worker_process_setup_hook": "ray_fault_hook.install",
        "env_vars": {"PYTHONPATH": path, "AUGCLI_TEST_RAY_FAULTS": str(fault_file)},
    }
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    context = ray.init(
        num_cpus=2,
        include_dashboard=False,
        log_to_driver=False,
        logging_level="error",
        runtime_env=runtime_env,
    )
    try:
        yield RayCluster(context.address_info["address"], runtime_env, fault_file, datasets, references)
    finally:
        ray.shutdown()
