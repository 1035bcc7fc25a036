"""Sweep storagekit's transfer options: ``benchmarks/run --sweep [options]``.

storagekit alone, on SeaweedFS (and, with ``--only``, Azurite or fake-gcs-server, started as
``bench.py`` starts them), runs put_file, get_file, put_stream and get_stream over a grid of
per-call ``part_size`` x ``max_concurrency``: one fresh worker process per run, the grid points
alternating run by run. Medians of throughput, client CPU (user/sys) and peak RSS per grid point
go to ``benchmarks/results/sweep.json``, and a table is printed.
"""

from __future__ import annotations

import argparse
import functools
import json
import time
from pathlib import Path
from typing import Any

from . import report
from .bench import (
    RESULTS,
    MiB,
    Variant,
    add_common_arguments,
    alternate,
    machine,
    provider_bench,
    provider_meta,
    run_providers,
)


def int_list(text: str) -> list[int]:
    """``8,16,32`` -> ``[8, 16, 32]``."""
    return [int(item) for item in text.split(",") if item.strip()]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="benchmarks/run --sweep", description=__doc__.splitlines()[0])
    add_common_arguments(parser, report.BIG, "s3", RESULTS / "sweep.json")
    parser.add_argument("--part-sizes", type=int_list, default=[8, 16, 32],
                        help="part_size values in MiB, comma-separated (default 8,16,32)")
    parser.add_argument("--concurrency", type=int_list, default=[2, 4, 8],
                        help="max_concurrency values, comma-separated (default 2,4,8)")
    return parser.parse_args(argv)


def grid(args: argparse.Namespace) -> list[Variant]:
    """The grid points, part size major, as storagekit runs with those per-call transfer options."""
    return [(f"{size} MiB x{concurrency}", "storagekit", {"part_size": size * MiB, "max_concurrency": concurrency})
            for size in args.part_sizes for concurrency in args.concurrency]


def sweep_provider(args: argparse.Namespace, defaults: dict[str, dict[str, int]], provider: str, data: Path,
                   workdir: Path) -> list[dict[str, Any]]:
    """The grid on one provider; its driver's default part size and concurrency go into ``defaults``."""
    started = time.monotonic()
    with provider_bench(provider, data, workdir) as bench:
        config = bench.driver.transfer_config
        defaults[provider] = {"part_size": config.part_size, "max_concurrency": config.max_concurrency}
        records = alternate(bench, args.workloads, args.runs, grid(args))
    print(f"   ({provider} took {time.monotonic() - started:.0f} s)", flush=True)
    return records


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    providers = args.only or ["s3"]
    defaults: dict[str, dict[str, int]] = {}
    records = run_providers(providers, args, functools.partial(sweep_provider, args, defaults))
    meta = {
        "machine": machine(),
        "sweep": {"part_sizes_mib": args.part_sizes, "max_concurrency": args.concurrency, "workloads": args.workloads},
        "providers": {provider: {**provider_meta(provider, records, args, "benchmarks/run --sweep"),
                                 "defaults": defaults[provider]} for provider in providers},
    }
    summary = report.sweep_summary(records, meta)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps({"meta": meta, "summary": summary, "records": records}, indent=1))
    print(report.sweep_markdown(summary, meta))


if __name__ == "__main__":
    main()
