"""Sync, copy and verify on a Dask cluster: the local sync's rules and report, spread over workers.

The source is listed once, on the client, and cut into shards of key ranges
(:mod:`storagekit.distributed.plan`); each shard is a Dask task that opens both ends itself,
lists the destination in its range only and copies what differs by the local sync's rules
(:mod:`storagekit.distributed.tasks`). Tasks are idempotent, so a task retried after its worker
died, or a whole run started again after an interruption, copies nothing twice: a shard already
done costs one listing comparison. Deletions run last, only when every shard succeeded.

Dask (``distributed``) is the ``dask`` extra; the core never imports this package, and this
package imports Dask only when a run starts.

Usage::

    from distributed import Client
    import storagekit.distributed

    with Client("tcp://scheduler:8786"):
        report = storagekit.distributed.sync("s3://old-bucket/data", "az://new/data", delete=True)
"""

from .plan import EndSpec, Listed, Shard, TransferPlan, shards
from .runner import cluster, copy, current_client, sync, verify
from .tasks import ShardResult, run_deletes, run_shard

__all__ = ["EndSpec", "Listed", "Shard", "ShardResult", "TransferPlan", "cluster", "copy", "current_client",
           "run_deletes", "run_shard", "shards", "sync", "verify"]
