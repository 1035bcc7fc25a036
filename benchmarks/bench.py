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
import functools
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
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
    "s3": start_seaweedfs, "azure": functools.partial(start_azurite, loose=True), "gcs": start_fake_gcs,
}
"""Azurite runs --loose: like Azure it takes x-ms-content-crc64 (strict mode refuses it, and storagekit
then falls back to Content-MD5, so a strict run would measure the MD5 path)."""
SERVER_NAMES = {"s3": "SeaweedFS 4.48", "azure": "Azurite 3.35.0 (--loose)", "gcs": "fake-gcs-server 1.54"}


def parse_size(text: str) -> int:
    """``1GiB``, ``256MiB``, ``64KiB`` or a plain number of bytes."""
    units = {"gib": GiB, "mib": MiB, "kib": 1024, "g": GiB, "m": MiB, "k": 1024}
    lowered = text.strip().lower()
    for suffix, factor in units.items():
        if lowered.endswith(suffix):
            return int(float(lowered[: -len(suffix)]) * factor)
    return int(lowered)


def add_common_arguments(parser: argparse.ArgumentParser, workloads: Sequence[str], providers: str,
                         output: Path) -> None:
    """The options bench and sweep share: runs, object sizes, providers, workloads (parsed to a list), output."""

    def workload_list(text: str) -> list[str]:
        names = [name.strip() for name in text.split(",") if name.strip()]
        unknown = [name for name in names if name not in workloads]
        if unknown:
            raise argparse.ArgumentTypeError(f"unknown workload(s) {', '.join(unknown)}: of {', '.join(workloads)}")
        return names

    parser.add_argument("--runs", type=int, default=3,
                        help="runs per client (or grid point) and workload (default 3)")
    parser.add_argument("--size", type=parse_size, default=GiB, help="big-object size on S3 (default 1GiB)")
    parser.add_argument("--emulator-size", type=parse_size, default=256 * MiB,
                        help="big-object size on Azurite and fake-gcs-server, slow emulators (default 256MiB)")
    parser.add_argument("--only", action="append", choices=sorted(SERVERS),
                        help=f"a provider (repeatable; default: {providers})")
    parser.add_argument("--workloads", type=workload_list, default=list(workloads),
                        help=f"comma-separated, of {', '.join(workloads)} (default: all)")
    parser.add_argument("--output", type=Path, default=output,
                        help=f"results JSON (default {output.relative_to(REPO)})")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="benchmarks/run", description=__doc__.splitlines()[0],
                                     epilog="The PNG chart goes beside the results JSON. "
                                     "benchmarks/run --sweep --help: the sweep of storagekit's transfer options.")
    add_common_arguments(parser, list(WORKLOADS), "all three", RESULTS / "latest.json")
    parser.add_argument("--small-count", type=int, default=1000, help="4 KiB objects per verb (default 1000)")
    parser.add_argument("--list-count", type=int, default=10_000, help="objects listed (default 10000)")
    parser.add_argument("--clients", help="comma-separated clients to run (default: all of each provider)")
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: 1 run, 32 MiB / 16 MiB objects, 100 small objects, 1,000 listed")
    parser.add_argument("--profile", action="store_true",
                        help="also run storagekit once per workload under py-spy (with --runs 0: profiles only); "
                        "summaries in results/profiles/")
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


def run_worker(spec: dict[str, Any], workdir: Path, wrap: list[str] | None = None,
               module: str = "benchmarks.worker") -> dict[str, Any]:
    """Run one workload in a fresh process (``python -m module SPEC``); its measurements, peak RSS and
    whole-process CPU."""
    spec_path = workdir / "spec.json"
    spec_path.write_text(json.dumps(spec))
    result_path = Path(spec["result_path"])
    result_path.unlink(missing_ok=True)
    log_path = workdir / "worker.log"
    load = os.getloadavg()[0]
    with open(log_path, "wb") as log:
        process = subprocess.Popen([*(wrap or []), sys.executable, "-m", module, str(spec_path)],
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


Variant = tuple[str, str, dict[str, Any] | None]
"""What a run measures: its label in the progress lines, the client, and storagekit's transfer options or None."""


class ProviderBench:
    """One provider's server, bucket and prepared objects, and the runs against them."""

    def __init__(self, provider: str, server: Any, data: Path, workdir: Path, small_count: int = 0,
                 list_count: int = 0) -> None:
        self.provider = provider
        self.server = server
        self.data = data
        self.size = data.stat().st_size
        self.workdir = workdir
        self.small_count = small_count
        self.list_count = list_count
        self.driver = server.driver()

    def prepare(self) -> None:
        """The bucket, the big object the read workloads fetch and the objects to list (with storagekit)."""
        container = self.driver.create_container(BUCKET)
        self.driver.upload_object(self.data, container, SOURCE_KEY)
        names = [f"{LIST_PREFIX}{index:05d}" for index in range(self.list_count)]
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda name: self.driver.upload_object_via_stream(b"x", container, name), names))

    def params(self, workload: str, client: str) -> dict[str, Any]:
        return {
            "size": self.size, "data_path": str(self.data), "source_key": SOURCE_KEY,
            "key": f"{workload}/{client}", "download_path": str(self.workdir / "download.bin"),
            "count": self.list_count if workload == "list" else self.small_count, "prefix": LIST_PREFIX,
        }

    def spec(self, workload: str, client: str, transfer_options: dict[str, Any] | None = None) -> dict[str, Any]:
        return {
            "provider": self.provider, "server": asdict(self.server), "bucket": BUCKET, "client": client,
            "workload": workload, "params": self.params(workload, client),
            "transfer_options": transfer_options or {}, "result_path": str(self.workdir / "result.json"),
        }

    def run(self, workload: str, client: str, index: int,
            transfer_options: dict[str, Any] | None = None) -> dict[str, Any]:
        """One run in a fresh worker; the record names the transfer options when some were given."""
        head: dict[str, Any] = {"provider": self.provider, "client": client, "workload": workload, "run": index}
        if transfer_options:
            head["transfer_options"] = transfer_options
        reason = NOT_RUN.get((self.provider, client), {}).get(workload)
        if reason:
            return {**head, "measurements": [], "error": f"not run: {reason}"}
        record = run_worker(self.spec(workload, client, transfer_options), self.workdir)
        self.delete_upload(workload, client)
        return {**head, **record}

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


@contextlib.contextmanager
def provider_bench(provider: str, data: Path, workdir: Path, small_count: int = 0,
                   list_count: int = 0) -> Iterator[ProviderBench]:
    """The provider's server started and its bucket prepared; the server is stopped at the end."""
    with SERVERS[provider](workdir / "server") as server:
        bench = ProviderBench(provider, server, data, workdir, small_count, list_count)
        endpoint = getattr(server, "endpoint_url", None) or server.endpoint
        listed = f" and {list_count} objects to list" if list_count else ""
        print(f"== {provider} on {SERVER_NAMES[provider]} at {endpoint}: preparing a {bench.size / MiB:.0f} MiB "
              f"object{listed}", flush=True)
        bench.prepare()
        yield bench


def alternate(bench: ProviderBench, workloads: list[str], runs: int, variants: list[Variant]) -> list[dict[str, Any]]:
    """Each workload ``runs`` times per variant, the variants alternating run by run (A B C A B C ...)."""
    records = []
    for workload in workloads:
        for index in range(runs):
            for label, client, transfer_options in variants:
                record = bench.run(workload, client, index, transfer_options)
                records.append(record)
                print(f"   {bench.provider:5} {workload:10} run {index + 1} {label:21} {report.one_line(record)}",
                      flush=True)
    return records


def bench_provider(args: argparse.Namespace, provider: str, data: Path, workdir: Path) -> list[dict[str, Any]]:
    wanted = args.clients.split(",") if args.clients else list(CLIENTS[provider])
    variants: list[Variant] = [(name, name, None) for name in CLIENTS[provider] if name in wanted]
    started = time.monotonic()
    with provider_bench(provider, data, workdir, args.small_count, args.list_count) as bench:
        records = alternate(bench, args.workloads, args.runs, variants)
        if args.profile:
            out_dir = args.output.parent / "profiles"
            out_dir.mkdir(parents=True, exist_ok=True)
            for workload in args.workloads:
                summary = report.profile_summary(bench.profile(workload, out_dir))
                (out_dir / f"{provider}-{workload}.txt").write_text(summary)
                print(f"-- profile of storagekit, {provider} {workload}:\n{summary}", flush=True)
    print(f"   ({provider} took {time.monotonic() - started:.0f} s)", flush=True)
    return records


def object_size(provider: str, args: argparse.Namespace) -> int:
    """The big objects' size: ``--size`` on S3, ``--emulator-size`` on Azurite and fake-gcs-server."""
    return args.size if provider == "s3" else args.emulator_size


def run_providers(providers: list[str], args: argparse.Namespace,
                  measure: Callable[[str, Path, Path], list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """``measure(provider, data file, work dir)`` for each provider, in a temp dir removed at the end."""
    workdir = Path(tempfile.mkdtemp(prefix="storagekit-bench-"))
    records: list[dict[str, Any]] = []
    try:
        data_files: dict[int, Path] = {}
        for provider in providers:
            size = object_size(provider, args)
            if size not in data_files:
                data_files[size] = workdir / f"data-{size}.bin"
                write_random_file(data_files[size], size)
            provider_dir = workdir / provider
            provider_dir.mkdir()
            records += measure(provider, data_files[size], provider_dir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return records


def provider_meta(provider: str, records: list[dict[str, Any]], args: argparse.Namespace,
                  command: str) -> dict[str, Any]:
    """When, with what command, against which server and storagekit commits a provider's records were made."""
    mine = [r for r in records if r["provider"] == provider]
    loads = [r[key] for r in mine if "load_before" in r for key in ("load_before", "load_after")]
    return {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "command": " ".join([command, *sys.argv[1:]]), "server": SERVER_NAMES[provider],
        "runs": args.runs, "size_mib": object_size(provider, args) / MiB,
        "load_average": [min(loads), max(loads)] if loads else None,
        "storagekit_commits": sorted({r["commit"] for r in mine if "commit" in r}),
    }


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    providers = args.only or list(SERVERS)
    records = run_providers(providers, args, functools.partial(bench_provider, args))
    if records:
        write_results(records, args, providers)


def write_results(records: list[dict[str, Any]], args: argparse.Namespace, providers: list[str]) -> None:
    """The JSON file (other providers' latest results kept), the PNG chart beside it, the tables on stdout."""
    previous = json.loads(args.output.read_text()) if args.output.exists() else {"records": [], "meta": {}}
    records = [r for r in previous["records"] if r["provider"] not in providers] + records
    runs = previous["meta"].get("providers", {})
    for provider in providers:
        runs[provider] = {**provider_meta(provider, records, args, "benchmarks/run"),
                          "small_count": args.small_count, "list_count": args.list_count}
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
