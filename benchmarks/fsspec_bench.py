"""storagekit's fsspec filesystem against s3fs, gcsfs and adlfs: ``benchmarks/run --fsspec [options]``.

Issue 18's benchmark, on the same local servers as ``bench.py`` (SeaweedFS, Azurite,
fake-gcs-server): (a) pyarrow reads 2 of the 20 columns of a 200 MiB parquet file, (b) a
sequential read of the big object through ``open()``, (c) ``cat`` of a list of 2,000 4 KiB
objects, (d) ``find`` over 10,000 objects, (e) ``put`` of a local directory of 500 files.
storagekit prepares the objects once per provider; each run is a fresh process (the clients
alternating) that builds its filesystem and makes one small request before the timing, then is
timed on the wall clock and on the process's CPU. Results go to
``benchmarks/results/fsspec.json`` and a table per provider is printed.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import json
import os
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from pathlib import Path
from typing import Any

from tests.support.parquet import write_wide_parquet

from . import report
from .bench import (
    RESULTS,
    SERVER_NAMES,
    SERVERS,
    MiB,
    add_common_arguments,
    machine,
    parse_size,
    provider_meta,
    run_providers,
    run_worker,
)
from .fsspec_workloads import CLIENTS, WORKLOADS

BUCKET = "fsspec-bench"
MODULE = "benchmarks.fsspec_workloads"
TARGETS = {"parquet": 1.5, "open_read": 1.5, "cat": 1.5, "find": 1.5, "put": 1.0}
"""Issue 18: storagekit's time at most 1/x of the peer's: 1.5x faster for (a)-(d), never slower on (e)."""
LETTERS = {"parquet": "a", "open_read": "b", "cat": "c", "find": "d", "put": "e"}
"""The workloads' letters in issue 18 (each workload's one measurement has the workload's name)."""


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="benchmarks/run --fsspec", description=__doc__.splitlines()[0])
    add_common_arguments(parser, list(WORKLOADS), "all three", RESULTS / "fsspec.json")
    parser.add_argument("--parquet-size", type=parse_size, default=200 * MiB, help="parquet file (default 200MiB)")
    parser.add_argument("--small-count", type=int, default=2000, help="4 KiB objects read by cat (default 2000)")
    parser.add_argument("--list-count", type=int, default=10_000, help="objects found (default 10000)")
    parser.add_argument("--put-count", type=int, default=500, help="files in the directory put (default 500)")
    parser.add_argument("--put-file-size", type=parse_size, default=64 * 1024,
                        help="size of each file put (default 64KiB)")
    parser.add_argument("--clients", help="comma-separated clients to run (default: storagekit and the peer)")
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: 1 run, 32 MiB parquet and big objects, 200 small, 1,000 listed, 50 put")
    parser.add_argument("--profile", action="store_true",
                        help="also run storagekit once per workload under py-spy; summaries in results/profiles/")
    args = parser.parse_args(argv)
    if args.quick:
        args.runs, args.size, args.emulator_size, args.parquet_size = 1, 32 * MiB, 32 * MiB, 32 * MiB
        args.small_count, args.list_count, args.put_count = 200, 1000, 50
    return args


class FsspecBench:
    """One provider's server and bucket, the objects storagekit prepared, and runs against them."""

    def __init__(self, provider: str, server: Any, args: argparse.Namespace, data: Path, workdir: Path) -> None:
        self.provider, self.server, self.args, self.workdir = provider, server, args, workdir
        self.driver = server.driver()
        self.params: dict[str, Any] = {
            "size": data.stat().st_size, "big_key": "big/data", "parquet_key": "table.parquet",
            "small_names": [f"small/{index:05d}" for index in range(args.small_count)], "small_size": 4096,
            "list_prefix": "list/", "list_count": args.list_count, "warm_key": "warm",
        }
        self._prepare(data)

    def _prepare(self, data: Path) -> None:
        """The bucket, the parquet file, the big object, the small and the listed objects, the directory to put."""
        container = self.driver.create_container(BUCKET)
        parquet = self.workdir / "table.parquet"
        rows = write_wide_parquet(parquet, self.args.parquet_size)
        self.params.update(parquet_rows=rows, parquet_size=parquet.stat().st_size)
        self.driver.upload_object(parquet, container, self.params["parquet_key"])
        parquet.unlink()
        self.driver.upload_object(data, container, self.params["big_key"])
        small = os.urandom(self.params["small_size"])
        uploads = [(self.params["warm_key"], b"w")] + [(name, small) for name in self.params["small_names"]]
        uploads += [(f"list/{index:05d}", b"x") for index in range(self.args.list_count)]
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda item: self.driver.upload_object_via_stream([item[1]], container, item[0]), uploads))
        directory = self.workdir / "put"
        directory.mkdir()
        for index in range(self.args.put_count):
            (directory / f"file-{index:04d}.bin").write_bytes(os.urandom(self.args.put_file_size))
        self.params.update(put_dir=str(directory), put_count=self.args.put_count,
                           put_bytes=self.args.put_count * self.args.put_file_size)

    def spec(self, workload: str, client: str, index: int) -> dict[str, Any]:
        return {"provider": self.provider, "server": asdict(self.server), "bucket": BUCKET, "client": client,
                "workload": workload, "result_path": str(self.workdir / "result.json"),
                "params": {**self.params, "put_key": f"put/{client}-{index}"}}

    def run(self, workload: str, client: str, index: int, wrap: list[str] | None = None) -> dict[str, Any]:
        """One run in a fresh worker; a put's 500 objects are counted, then deleted."""
        record = run_worker(self.spec(workload, client, index), self.workdir, wrap, MODULE)
        if workload == "put":
            prefix = f"put/{client}-{index}/"
            stored = list(self.driver.iterate_container_objects(BUCKET, prefix=prefix))
            if not record["error"] and len(stored) != self.args.put_count:
                record["error"] = f"put stored {len(stored)} objects under {prefix}, not {self.args.put_count}"
            with ThreadPoolExecutor(8) as pool:
                list(pool.map(self.driver.delete_object, stored))
        return {"provider": self.provider, "client": client, "workload": workload, "run": index, **record}

    def profile(self, workload: str, out_dir: Path) -> str:
        """Run storagekit once more under py-spy (raw stacks, 250 Hz, all threads, idle excluded); a summary."""
        raw = out_dir / f"fsspec-{self.provider}-{workload}.raw"
        wrap = [str(Path(sys.executable).parent / "py-spy"), "record", "--format", "raw", "--rate", "250",
                "--threads", "-o", str(raw), "--"]
        record = self.run(workload, "storagekit", -1, wrap)
        if record["error"]:
            raise RuntimeError(f"profiling {self.provider} {workload} failed: {record['error']}")
        return report.profile_summary(raw)


def bench_provider(args: argparse.Namespace, provider: str, data: Path, workdir: Path) -> list[dict[str, Any]]:
    """Every workload ``--runs`` times per client on one provider, the clients alternating."""
    wanted = args.clients.split(",") if args.clients else list(CLIENTS[provider])
    clients = [name for name in CLIENTS[provider] if name in wanted]
    started = time.monotonic()
    records = []
    with SERVERS[provider](workdir / "server") as server:
        print(f"== {provider} on {SERVER_NAMES[provider]}: preparing", flush=True)
        bench = FsspecBench(provider, server, args, data, workdir)
        for workload in args.workloads:
            for index in range(args.runs):
                for client in clients:
                    record = bench.run(workload, client, index)
                    records.append(record)
                    print(f"   {provider:5} {workload:9} run {index + 1} {client:10} {one_line(record)}", flush=True)
        if args.profile:
            out_dir = args.output.parent / "profiles"
            out_dir.mkdir(parents=True, exist_ok=True)
            for workload in args.workloads:
                summary = bench.profile(workload, out_dir)
                (out_dir / f"fsspec-{provider}-{workload}.txt").write_text(summary)
                print(f"-- profile of storagekit, {provider} {workload}:\n{summary}", flush=True)
    print(f"   ({provider} took {time.monotonic() - started:.0f} s)", flush=True)
    return records


def one_line(record: dict[str, Any]) -> str:
    if record["error"]:
        return report.error_summary(record["error"])
    return "; ".join(f"{m['name']} {m['seconds']:.2f} s, CPU {m['cpu_s']:.2f} s" for m in record["measurements"]) \
        + f"; peak RSS {record['peak_rss_mib']:.0f} MiB"


def summarize(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per provider, measure and client: medians (min-max) of time and CPU, peak RSS, and the peer's
    time over storagekit's (how many times faster storagekit was) with the target it had to meet."""
    groups: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    errors: dict[tuple[str, str, str], list[str]] = {}
    for record in records:
        if record["error"]:
            errors.setdefault((record["provider"], record["workload"], record["client"]), []).append(record["error"])
        for m in record["measurements"]:
            groups.setdefault((record["provider"], m["name"], record["client"]), []).append(
                {**m, "peak_rss_mib": record["peak_rss_mib"]})
    rows = []
    for (provider, measure, client), runs in groups.items():
        rows.append({
            "provider": provider, "measure": measure, "client": client, "runs": len(runs),
            "seconds": report.stats([m["seconds"] for m in runs]), "cpu_s": report.stats([m["cpu_s"] for m in runs]),
            "user_s": statistics.median(m["user_s"] for m in runs),
            "sys_s": statistics.median(m["sys_s"] for m in runs),
            "peak_rss_mib": statistics.median(m["peak_rss_mib"] for m in runs),
            "errors": errors.get((provider, measure, client), []),
        })
    ours = {(r["provider"], r["measure"]): r for r in rows if r["client"] == "storagekit"}
    for row in rows:
        mine = ours.get((row["provider"], row["measure"]))
        if row["client"] != "storagekit" and mine:
            row["speedup"] = row["seconds"]["median"] / mine["seconds"]["median"]
            row["cpu_ratio"] = row["cpu_s"]["median"] / mine["cpu_s"]["median"]
            row["target"] = TARGETS[row["measure"]]
            row["met"] = row["speedup"] >= row["target"]
    rows += [{"provider": provider, "measure": workload, "client": client, "errors": failed}
             for (provider, workload, client), failed in errors.items() if (provider, workload, client) not in groups]
    return rows


def markdown(summary: list[dict[str, Any]], meta: dict[str, Any]) -> str:
    """One table per provider: medians (min-max) of time and client CPU, user/sys, peak RSS, the peer's
    time and CPU over storagekit's, and whether the target was met."""
    fmt = report._fmt
    lines = []
    for provider, run in meta["providers"].items():
        lines += [f"\n### {provider} on {run['server']}: parquet {run['parquet_mib']:.0f} MiB, big object "
                  f"{run['size_mib']:,.0f} MiB, {run['small_count']:,} small objects, {run['list_count']:,} found, "
                  f"{run['put_count']} files put; medians of {run['runs']} runs (min-max); {report._when(run)}\n",
                  "| workload | client | time s | client CPU s | user/sys | peak RSS MiB "
                  "| peer ÷ storagekit: time, CPU | target met |", "|---|---|---|---|---|---|---|---|"]
        for row in (r for r in summary if r["provider"] == provider):
            name = f"**{row['client']}**" if row["client"] == "storagekit" else row["client"]
            label = f"({LETTERS[row['measure']]}) {row['measure']}"
            if "seconds" not in row:
                lines.append(f"| {label} | {name} | {report.error_summary(row['errors'][0])} | | | | | |")
                continue
            t, c = row["seconds"], row["cpu_s"]
            ratio = f"{row['speedup']:.2f}x, {row['cpu_ratio']:.2f}x" if "speedup" in row else ""
            met = "" if "met" not in row else f"{'yes' if row['met'] else '**no**'} (>= {row['target']:g}x)"
            lines.append(f"| {label} | {name} | {fmt(t['median'])} ({fmt(t['min'])}-{fmt(t['max'])}) | "
                         f"{fmt(c['median'])} ({fmt(c['min'])}-{fmt(c['max'])}) | {fmt(row['user_s'])}/"
                         f"{fmt(row['sys_s'])} | {row['peak_rss_mib']:.0f} | {ratio} | {met} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    providers = args.only or list(SERVERS)
    records = run_providers(providers, args, functools.partial(bench_provider, args))
    runs = {}
    for provider in providers:
        runs[provider] = {**provider_meta(provider, records, args, "benchmarks/run --fsspec"),
                          "parquet_mib": args.parquet_size / MiB, "small_count": args.small_count,
                          "list_count": args.list_count, "put_count": args.put_count}
    meta = {"machine": machine(), "providers": runs}
    summary = summarize(records)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(FileNotFoundError):
        previous = json.loads(args.output.read_text())
        kept = {p: m for p, m in previous["meta"]["providers"].items() if p not in providers}
        meta["providers"] = {**kept, **runs}
        records = [r for r in previous["records"] if r["provider"] not in providers] + records
        summary = summarize(records)
    args.output.write_text(json.dumps({"meta": meta, "summary": summary, "records": records}, indent=1))
    print(markdown(summary, meta))


if __name__ == "__main__":
    main()
