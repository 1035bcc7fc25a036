"""Benchmark storagekit against its peers on the same local servers: ``benchmarks/run [options]``.

For each provider it starts the test server (SeaweedFS, Azurite, fake-gcs-server), uploads
the objects the read workloads need with storagekit, then runs every workload ``--runs``
times per client, the clients alternating (A B C A B C ...), each run in a fresh process so
its peak RSS and CPU are its own. Results go to ``benchmarks/results/latest.json`` and
``latest.png``, and a table is printed.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from pathlib import Path
from typing import Any

from tests.support.servers import start_azurite, start_fake_gcs, start_seaweedfs

from . import report
from .peers import CLIENTS, NOT_RUN, environment_versions
from .workloads import WORKLOADS

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "benchmarks" / "results"
MiB = 1024 * 1024
GiB = 1024 * MiB
BUCKET = "bench"
SOURCE_KEY = "source/data"
LIST_PREFIX = "list/"
RUN_TIMEOUT = 1800.0

SERVERS: dict[str, Callable[[Path], contextlib.AbstractContextManager[Any]]] = {
    "s3": start_seaweedfs, "azure": start_azurite, "gcs": start_fake_gcs,
}
SERVER_NAMES = {"s3": "SeaweedFS 4.48", "azure": "Azurite 3.35.0", "gcs": "fake-gcs-server 1.54"}


def parse_size(text: str) -> int:
    """``1GiB``, ``256MiB``, ``64KiB`` or a plain number of bytes."""
    units = {"gib": GiB, "mib": MiB, "kib": 1024, "g": GiB, "m": MiB, "k": 1024}
    lowered = text.strip().lower()
    for suffix, factor in units.items():
        if lowered.endswith(suffix):
            return int(float(lowered[: -len(suffix)]) * factor)
    return int(lowered)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="benchmarks/run", description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3,
                        help="runs per client and workload (default 3; 0 with --profile: profiles only)")
    parser.add_argument("--size", type=parse_size, default=GiB, help="big-object size on S3 (default 1GiB)")
    parser.add_argument("--emulator-size", type=parse_size, default=256 * MiB,
                        help="big-object size on Azurite and fake-gcs-server, slow emulators (default 256MiB)")
    parser.add_argument("--small-count", type=int, default=1000, help="4 KiB objects per verb (default 1000)")
    parser.add_argument("--list-count", type=int, default=10_000, help="objects listed (default 10000)")
    parser.add_argument("--only", action="append", choices=sorted(SERVERS), help="a provider (repeatable)")
    parser.add_argument("--clients", help="comma-separated clients to run (default: all of each provider)")
    parser.add_argument("--workloads", help=f"comma-separated, of {', '.join(WORKLOADS)} (default: all)")
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: 1 run, 32 MiB / 16 MiB objects, 100 small objects, 1,000 listed")
    parser.add_argument("--profile", action="store_true",
                        help="also run storagekit once per workload under py-spy; summaries in results/profiles/")
    parser.add_argument("--output", type=Path, default=RESULTS / "latest.json", help="results JSON (PNG beside it)")
    args = parser.parse_args(argv)
    if args.quick:
        args.runs, args.size, args.emulator_size, args.small_count, args.list_count = 1, 32 * MiB, 16 * MiB, 100, 1000
    return args


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), platform.processor())
    memory_kib = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                      if line.startswith("MemTotal"))
    return {"cpu": model, "cores": os.cpu_count(), "memory_gib": round(memory_kib / 1024 / 1024, 1),
            "system": f"{platform.system()} {platform.release()}", "versions": environment_versions()}


def write_random_file(path: Path, size: int) -> None:
    with open(path, "wb") as file:
        for offset in range(0, size, 8 * MiB):
            file.write(os.urandom(min(8 * MiB, size - offset)))


def storagekit_commit() -> str:
    """The commit of the storagekit being measured (``-dirty`` with uncommitted changes)."""
    result = subprocess.run(["git", "describe", "--always", "--dirty", "--exclude=*"], cwd=REPO,
                            capture_output=True, text=True, check=False)
    return result.stdout.strip() or "unknown"


def run_worker(spec: dict[str, Any], workdir: Path, wrap: list[str] | None = None) -> dict[str, Any]:
    """Run one workload in a fresh process; its measurements, peak RSS and whole-process CPU."""
    spec_path = workdir / "spec.json"
    spec_path.write_text(json.dumps(spec))
    result_path = Path(spec["result_path"])
    result_path.unlink(missing_ok=True)
    log_path = workdir / "worker.log"
    load = os.getloadavg()[0]
    with open(log_path, "wb") as log:
        process = subprocess.Popen([*(wrap or []), sys.executable, "-m", "benchmarks.worker", str(spec_path)],
                                   cwd=REPO, stdout=log, stderr=subprocess.STDOUT)
        killer = threading.Timer(RUN_TIMEOUT, process.kill)
        killer.start()
        try:
            _, status, usage = os.wait4(process.pid, 0)
        finally:
            killer.cancel()
        process.returncode = os.waitstatus_to_exitcode(status)
    record: dict[str, Any] = {
        "peak_rss_mib": None, "process_cpu_s": usage.ru_utime + usage.ru_stime, "measurements": [], "error": None,
        "load_before": load, "load_after": os.getloadavg()[0], "commit": storagekit_commit(),
    }
    if process.returncode == 0 and result_path.exists():
        record.update(json.loads(result_path.read_text()))
    else:
        record["error"] = f"exit {process.returncode}: {log_path.read_text(errors='replace')[-1500:]}"
    return record


class ProviderBench:
    """One provider's server, bucket and prepared objects, and the runs against them."""

    def __init__(self, provider: str, server: Any, args: argparse.Namespace, data: Path, workdir: Path) -> None:
        self.provider = provider
        self.server = server
        self.args = args
        self.data = data
        self.size = data.stat().st_size
        self.workdir = workdir
        self.driver = server.driver()
        wanted = args.clients.split(",") if args.clients else list(CLIENTS[provider])
        self.clients = [name for name in CLIENTS[provider] if name in wanted]

    def prepare(self) -> None:
        """The bucket, the big object the read workloads fetch and the objects to list (with storagekit)."""
        container = self.driver.create_container(BUCKET)
        self.driver.upload_object(self.data, container, SOURCE_KEY)
        names = [f"{LIST_PREFIX}{index:05d}" for index in range(self.args.list_count)]
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda name: self.driver.upload_object_via_stream(b"x", container, name), names))

    def params(self, workload: str, client: str) -> dict[str, Any]:
        return {
            "size": self.size, "data_path": str(self.data), "source_key": SOURCE_KEY,
            "key": f"{workload}/{client}", "download_path": str(self.workdir / "download.bin"),
            "count": self.args.list_count if workload == "list" else self.args.small_count, "prefix": LIST_PREFIX,
        }

    def spec(self, workload: str, client: str) -> dict[str, Any]:
        return {
            "provider": self.provider, "server": asdict(self.server), "bucket": BUCKET, "client": client,
            "workload": workload, "params": self.params(workload, client),
            "result_path": str(self.workdir / "result.json"),
        }

    def run(self, workload: str, client: str, index: int) -> dict[str, Any]:
        reason = NOT_RUN.get((self.provider, client), {}).get(workload)
        if reason:
            return {"provider": self.provider, "client": client, "workload": workload, "run": index,
                    "measurements": [], "error": f"not run: {reason}"}
        record = run_worker(self.spec(workload, client), self.workdir)
        self.delete_upload(workload, client)
        return {"provider": self.provider, "client": client, "workload": workload, "run": index, **record}

    def profile(self, workload: str, out_dir: Path) -> Path:
        """Run storagekit once more under py-spy (raw stacks, 250 Hz, all threads, idle excluded)."""
        raw = out_dir / f"{self.provider}-{workload}.raw"
        wrap = [str(Path(sys.executable).parent / "py-spy"), "record", "--format", "raw", "--rate", "250",
                "--threads", "-o", str(raw), "--"]
        record = run_worker(self.spec(workload, "storagekit"), self.workdir, wrap)
        if record["error"]:
            raise RuntimeError(f"profiling {self.provider} {workload} failed: {record['error']}")
        self.delete_upload(workload, "storagekit")
        return raw

    def delete_upload(self, workload: str, client: str) -> None:
        """Delete what a ``put_*`` run uploaded, so the server's disk holds one big object per client at most."""
        if workload.startswith("put_"):
            with contextlib.suppress(Exception):  # nothing to delete when the upload failed
                self.driver.delete_object(self.driver.get_object(BUCKET, f"{workload}/{client}"))


def bench_provider(provider: str, args: argparse.Namespace, data: Path, workdir: Path) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = []
    workloads = args.workloads.split(",") if args.workloads else list(WORKLOADS)
    started = time.monotonic()
    with SERVERS[provider](workdir / "server") as server:
        bench = ProviderBench(provider, server, args, data, workdir)
        endpoint = getattr(server, "endpoint_url", None) or server.endpoint
        print(f"== {provider} on {SERVER_NAMES[provider]} at {endpoint}: preparing a {bench.size / MiB:.0f} MiB "
              f"object and {args.list_count} objects to list", flush=True)
        bench.prepare()
        for workload in workloads:
            for index in range(args.runs):
                for client in bench.clients:
                    record = bench.run(workload, client, index)
                    records.append(record)
                    print(f"   {provider:5} {workload:10} run {index + 1} {client:21} {report.one_line(record)}",
                          flush=True)
        if args.profile:
            out_dir = args.output.parent / "profiles"
            out_dir.mkdir(parents=True, exist_ok=True)
            for workload in workloads:
                summary = report.profile_summary(bench.profile(workload, out_dir))
                (out_dir / f"{provider}-{workload}.txt").write_text(summary)
                print(f"-- profile of storagekit, {provider} {workload}:\n{summary}", flush=True)
    print(f"   ({provider} took {time.monotonic() - started:.0f} s)", flush=True)
    return records


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    providers = args.only or list(SERVERS)
    workdir = Path(tempfile.mkdtemp(prefix="storagekit-bench-"))
    records: list[dict[str, Any]] = []
    try:
        data_files: dict[int, Path] = {}
        for provider in providers:
            size = args.size if provider == "s3" else args.emulator_size
            if size not in data_files:
                data_files[size] = workdir / f"data-{size}.bin"
                write_random_file(data_files[size], size)
            provider_dir = workdir / provider
            provider_dir.mkdir()
            records += bench_provider(provider, args, data_files[size], provider_dir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    if records:
        write_results(records, args, providers)


def write_results(records: list[dict[str, Any]], args: argparse.Namespace, providers: list[str]) -> None:
    """The JSON file (other providers' latest results kept), the PNG chart beside it, the tables on stdout."""
    previous = json.loads(args.output.read_text()) if args.output.exists() else {"records": [], "meta": {}}
    records = [r for r in previous["records"] if r["provider"] not in providers] + records
    runs = previous["meta"].get("providers", {})
    for provider in providers:
        loads = [r[key] for r in records if r["provider"] == provider and "load_before" in r
                 for key in ("load_before", "load_after")]
        runs[provider] = {
            "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
            "command": " ".join(["benchmarks/run", *sys.argv[1:]]), "server": SERVER_NAMES[provider],
            "runs": args.runs, "size_mib": (args.size if provider == "s3" else args.emulator_size) / MiB,
            "small_count": args.small_count, "list_count": args.list_count,
            "load_average": [min(loads), max(loads)] if loads else None,
            "storagekit_commits": sorted({r["commit"] for r in records if r["provider"] == provider and "commit" in r}),
        }
    meta = {"machine": machine(), "providers": {p: runs[p] for p in SERVERS if p in runs}}
    summary = report.summarize(records)
    checks = report.check_targets(summary)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps({"meta": meta, "summary": summary, "targets": checks, "records": records},
                                      indent=1))
    report.chart(summary, meta, args.output.with_suffix(".png"))
    print(report.markdown(summary, meta))
    print(report.targets_markdown(checks))

if __name__ == "__main__":
    main()
