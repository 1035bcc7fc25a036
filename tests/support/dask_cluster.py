"""Fixtures: a Dask ``LocalCluster`` of worker processes for the session, and a client on it.

Workers are separate processes (``processes=True``), so every task crosses a real pickle
boundary and builds its own drivers, as on a remote cluster. distributed is imported only
when a test asks for the cluster.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest

WORKERS = 3


def start_cluster(workers: int = WORKERS, **options: Any) -> Any:
    """A LocalCluster of ``workers`` single-threaded worker processes, quiet, no dashboard."""
    from distributed import LocalCluster

    return LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None,
                        silence_logs=logging.ERROR, **options)


@pytest.fixture(scope="session")
def dask_client() -> Iterator[Any]:
    """A client on a 3-process LocalCluster shared by the session (about 5 s to start)."""
    from distributed import Client

    with start_cluster() as cluster, Client(cluster) as client:
        yield client
