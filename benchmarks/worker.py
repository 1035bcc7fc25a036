"""One benchmark run in a fresh process: ``python -m benchmarks.worker SPEC.json``.

The spec names the provider, server, bucket, client, workload and its parameters, and the
per-call ``transfer_options`` (storagekit only; empty for the others); the measurements and
this process's peak RSS go to ``spec["result_path"]`` as JSON. The parent reads the whole
process's CPU (imports and setup included) from ``os.wait4``.
"""

from __future__ import annotations

import json
import sys

from .peers import CLIENTS
from .workloads import WORKLOADS


def main(spec_path: str) -> None:
    with open(spec_path, encoding="utf-8") as file:
        spec = json.load(file)
    client = CLIENTS[spec["provider"]][spec["client"]](spec["provider"], spec["server"], spec["bucket"])
    client.use_transfer_options(spec["transfer_options"])
    measurements = WORKLOADS[spec["workload"]](client, spec["params"])
    with open(spec["result_path"], "w", encoding="utf-8") as file:
        json.dump({"measurements": measurements, "peak_rss_mib": peak_rss_mib()}, file)


def peak_rss_mib() -> float:
    """This program's peak resident set (VmHWM).

    Not ``ru_maxrss``: Linux carries the parent's high-water mark across fork and exec into it.
    """
    with open("/proc/self/status", encoding="ascii") as status:
        kib = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
    return kib / 1024


if __name__ == "__main__":
    main(sys.argv[1])
