"""The fsspec benchmark's filesystems and workloads; one run per process:
``python -m benchmarks.fsspec_workloads SPEC.json``.

Every client is an fsspec filesystem, so each workload is written once against fsspec's API
and only the filesystem differs: storagekit's (``storagekit://<scheme>/<bucket>/<key>``) and
the one people use today for that provider (s3fs, gcsfs, adlfs), each with its defaults.
Libraries are imported inside the adapter, so a run loads only the one it measures.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any

from .worker import peak_rss_mib
from .workloads import Measurement, _expect, measured

READ_SIZE = 1024 * 1024
"""The sequential read's ``read()`` size: what a consumer copying a file in 1 MiB pieces asks."""
PARQUET_COLUMNS = ["c03", "c17"]
"""The two of the parquet file's 20 columns that workload (a) reads."""


def storagekit(provider: str, server: dict[str, Any], bucket: str) -> tuple[Any, str]:
    """storagekit's filesystem on the provider's store (its defaults: verification on), as a
    ``storagekit://<scheme>/`` URL's ``storage_options`` would build it."""
    from storagekit.fs import StorageKitFileSystem

    options: dict[str, Any] = {
        "s3": lambda: {"scheme": "s3", "provider": "seaweedfs", "endpoint_url": server["endpoint_url"],
                       "key": server["access_key"], "secret": server["secret_key"], "region": server["region"]},
        "azure": lambda: {"scheme": "az", "endpoint_url": server["endpoint"], "key": server["account"],
                          "secret": server["key"]},
        "gcs": lambda: {"scheme": "gs", "endpoint_url": server["endpoint"], "credentials": "anonymous",
                        "project": server["project"]},
    }[provider]()
    return StorageKitFileSystem(**options), bucket


def s3fs(provider: str, server: dict[str, Any], bucket: str) -> tuple[Any, str]:
    """s3fs with path-style requests to SeaweedFS."""
    import s3fs as library

    fs = library.S3FileSystem(key=server["access_key"], secret=server["secret_key"],
                              endpoint_url=server["endpoint_url"],
                              client_kwargs={"region_name": server["region"]},
                              config_kwargs={"s3": {"addressing_style": "path"}})
    return fs, bucket


def gcsfs(provider: str, server: dict[str, Any], bucket: str) -> tuple[Any, str]:
    """gcsfs on fake-gcs-server: its endpoint, anonymous.

    Its classic ``gcsfs.core.GCSFileSystem``: the package's default class in 2026.x (the experimental
    zonal/HNS one) first asks each bucket's type over gRPC, which fake-gcs-server does not serve (a
    60 s timeout per bucket, then the classic path anyway).
    """
    from gcsfs.core import GCSFileSystem

    return GCSFileSystem(endpoint_url=server["endpoint"], token="anon", project=server["project"]), bucket


def adlfs(provider: str, server: dict[str, Any], bucket: str) -> tuple[Any, str]:
    """adlfs on Azurite, through its connection string."""
    import adlfs as library

    connection_string = (f"DefaultEndpointsProtocol=http;AccountName={server['account']};"
                         f"AccountKey={server['key']};BlobEndpoint={server['endpoint']};")
    return library.AzureBlobFileSystem(connection_string=connection_string), bucket


CLIENTS: dict[str, dict[str, Callable[[str, dict[str, Any], str], tuple[Any, str]]]] = {
    "s3": {"storagekit": storagekit, "s3fs": s3fs},
    "azure": {"storagekit": storagekit, "adlfs": adlfs},
    "gcs": {"storagekit": storagekit, "gcsfs": gcsfs},
}
"""provider -> client -> a factory of (filesystem, the bucket's path in it)."""


def parquet_columns(fs: Any, root: str, params: dict[str, Any]) -> list[Measurement]:
    """(a) pyarrow reads two of the 20 columns of the parquet file through the filesystem."""
    import pyarrow.parquet as pq

    results: list[Measurement] = []
    with measured(results, "parquet", size=params["parquet_size"]):
        table = pq.read_table(f"{root}/{params['parquet_key']}", columns=PARQUET_COLUMNS, filesystem=fs)
    _expect("rows read", table.num_rows, params["parquet_rows"])
    return results


def sequential_read(fs: Any, root: str, params: dict[str, Any]) -> list[Measurement]:
    """(b) the big object read from start to end through ``fs.open()``, ``READ_SIZE`` at a time."""
    results: list[Measurement] = []
    received = 0
    with measured(results, "open_read", size=params["size"]), fs.open(f"{root}/{params['big_key']}", "rb") as file:
        while chunk := file.read(READ_SIZE):
            received += len(chunk)
    _expect("bytes read", received, params["size"])
    return results


def cat_small(fs: Any, root: str, params: dict[str, Any]) -> list[Measurement]:
    """(c) ``cat`` of a list of small objects (concurrent in every filesystem here)."""
    paths = [f"{root}/{name}" for name in params["small_names"]]
    results: list[Measurement] = []
    with measured(results, "cat", count=len(paths)):
        found = fs.cat(paths)
    _expect("objects read", sum(len(data) == params["small_size"] for data in found.values()), len(paths))
    return results


def find(fs: Any, root: str, params: dict[str, Any]) -> list[Measurement]:
    """(d) ``find`` under a prefix holding the listed objects (a fresh process: no listing cache)."""
    results: list[Measurement] = []
    with measured(results, "find", count=params["list_count"]):
        found = fs.find(f"{root}/{params['list_prefix']}")
    _expect("objects found", len(found), params["list_count"])
    return results


def put_directory(fs: Any, root: str, params: dict[str, Any]) -> list[Measurement]:
    """(e) ``put`` of a local directory of files, recursively, to a prefix that does not exist yet."""
    results: list[Measurement] = []
    with measured(results, "put", size=params["put_bytes"], count=params["put_count"]):
        fs.put(params["put_dir"], f"{root}/{params['put_key']}", recursive=True)
    return results


def warm_up(fs: Any, root: str, params: dict[str, Any]) -> None:
    """Build the client before the timing, as ``bench.py`` does: one small request (lazy imports,
    driver or session, first connection), then an empty listings cache."""
    fs.info(f"{root}/{params['warm_key']}")
    fs.invalidate_cache()


WORKLOADS: dict[str, Callable[[Any, str, dict[str, Any]], list[Measurement]]] = {
    "parquet": parquet_columns, "open_read": sequential_read, "cat": cat_small, "find": find, "put": put_directory,
}
"""(a)-(e) of issue 18's benchmark, in the order they run."""


def main(spec_path: str) -> None:
    with open(spec_path, encoding="utf-8") as file:
        spec = json.load(file)
    fs, root = CLIENTS[spec["provider"]][spec["client"]](spec["provider"], spec["server"], spec["bucket"])
    warm_up(fs, root, spec["params"])
    measurements = WORKLOADS[spec["workload"]](fs, root, spec["params"])
    with open(spec["result_path"], "w", encoding="utf-8") as file:
        json.dump({"measurements": measurements, "peak_rss_mib": peak_rss_mib()}, file)


if __name__ == "__main__":
    main(sys.argv[1])
