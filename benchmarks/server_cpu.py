"""The server's CPU beside the client's, per GiB uploaded: ``python -m benchmarks.server_cpu``.

On this two-core machine the server shares the cores with the client, so once a client's own
CPU is small the upload rate is set by what the server spends per GiB. This runs one upload
workload (``--workload``: put_stream or put_file) of each client in turn (``--clients``,
rounds alternating) against SeaweedFS or fake-gcs-server (``--provider``), and reads the CPU
time of every server process from ``/proc`` before and after each upload: where the server
spends the same per GiB under every client, the rates differ by noise, not by the clients;
where it spends more under one, that client's way of uploading costs the server more.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import resource
import subprocess
import tempfile
import time
from pathlib import Path

from tests.support.servers import start_fake_gcs, start_seaweedfs

from .peers import CLIENTS, UnknownLengthReader

MiB = 1024 * 1024
BUCKET = "server-cpu"
SERVERS = {"s3": (start_seaweedfs, "weed"), "gcs": (start_fake_gcs, "fake-gcs-server")}
"""Each provider's server, and the name its processes are found by."""


def server_seconds(name: str) -> float:
    """CPU seconds (user + system) spent so far by every running process whose command line holds ``name``."""
    total = 0.0
    pids = subprocess.run(["pgrep", "-f", name], capture_output=True, text=True, check=False).stdout.split()
    for pid in pids:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except FileNotFoundError:  # ended between pgrep and here
            continue
        fields = stat.rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def client_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=1024, help="MiB uploaded per run (default 1024)")
    parser.add_argument("--rounds", type=int, default=3, help="runs of each client (default 3)")
    parser.add_argument("--clients", default="storagekit,obstore", help="comma-separated (default storagekit,obstore)")
    parser.add_argument("--provider", choices=sorted(SERVERS), default="s3", help="s3 (SeaweedFS, default) or gcs")
    parser.add_argument("--workload", choices=("put_stream", "put_file"), default="put_stream")
    args = parser.parse_args()
    start, process = SERVERS[args.provider]
    with tempfile.TemporaryDirectory() as workdir:
        source = Path(workdir) / "source.bin"
        with open(source, "wb") as file:
            for _ in range(args.size):
                file.write(os.urandom(MiB))
        with start(Path(workdir) / "server") as server:
            server.driver().create_container(BUCKET)
            clients = {name: CLIENTS[args.provider][name](args.provider, dataclasses.asdict(server), BUCKET)
                       for name in args.clients.split(",")}
            gib = args.size * MiB / (1024 * MiB)
            print("| client | MiB/s | server CPU-s/GiB | client CPU-s/GiB |\n|---|---|---|---|")
            for round_ in range(args.rounds):
                for name, client in clients.items():
                    server_before, client_before, began = server_seconds(process), client_seconds(), time.perf_counter()
                    if args.workload == "put_file":
                        client.put_file(str(source), f"{name}-{round_}")
                    else:
                        client.put_stream(UnknownLengthReader(str(source)), f"{name}-{round_}")
                    seconds = time.perf_counter() - began
                    server_cpu, client_cpu = server_seconds(process) - server_before, client_seconds() - client_before
                    print(f"| {name} | {args.size / seconds:.0f} | {server_cpu / gib:.2f} | {client_cpu / gib:.2f} |",
                          flush=True)


if __name__ == "__main__":
    main()
