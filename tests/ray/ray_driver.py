"""``python ray_driver.py ADDRESS augcli-args...``: the augcli CLI as a driver of the test cluster.

It joins the cluster at ADDRESS with the fault hook of ``ray_fault_hook`` (which a
plain ``augcli`` would not install), then runs the CLI, which uses that connection.
"""

from __future__ import annotations

import json
import sys

import ray

if __name__ == "__main__":
    address, runtime_env = sys.argv[1], json.loads(sys.argv[2])
    ray.init(address=address, runtime_env=runtime_env, logging_level="error", log_to_driver=False)
    from augcli.cli.app import main

    sys.argv = ["augcli", *sys.argv[3:]]
    main()
