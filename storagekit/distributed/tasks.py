"""What runs on a worker: one shard compared and copied, or one batch of deletions.

A shard task opens both ends itself (its own drivers, its own credentials, its own pools),
lists the destination in the shard's key range only, and then decides and copies by the local
sync's rules and code (:func:`storagekit.sync.engine.plan_copies` and ``copy_all``). Every copy
is atomic (a single PUT, or a multipart upload committed at the end and aborted on failure),
so a task run twice, or retried after its worker died, copies nothing the second time and
never leaves a partial object. Any failure of the task itself (a listing, the credentials)
becomes a :class:`~storagekit.types.TaskFailedError` naming the worker and the cause; a copy
that fails is reported by name in the shard's report, as the local sync does.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass

from ..models import Object
from ..sync import Entry, Scan, Store, SyncReport
from ..sync.engine import copy_all, delete_all, doomed_entries, plan_copies
from ..types import TaskFailedError
from .plan import Listed, Shard, TransferPlan


@dataclass
class ShardResult:
    """What a shard did: its part of the report, what ``delete`` would remove, and where it ran.

    Attributes:
        index: the shard's place in the plan (its ``index``).
        report: the shard's part of the run's report.
        doomed: the destination objects of the range the source lacks (with ``delete``).
        worker: the address of the worker that ran the shard.
    """

    index: int
    report: SyncReport
    doomed: tuple[Listed, ...]
    worker: str


def run_shard(plan: TransferPlan, shard: Shard) -> ShardResult:
    """Compare one shard with the destination and copy what differs (in a worker).

    Args:
        plan: the transfer.
        shard: the key range and its source names.

    Returns:
        The shard's result.

    Raises:
        TaskFailedError: the shard could not run (the message names the worker and the cause).
    """
    worker = worker_address()
    try:
        return _run(plan, shard, worker)
    except Exception as error:  # noqa: BLE001 - every failure must name the worker, whatever raised it
        raise TaskFailedError(f"{shard} failed on worker {worker}: {type(error).__name__}: {error}",
                              code=type(error).__name__) from None


def run_deletes(plan: TransferPlan, doomed: tuple[Listed, ...]) -> SyncReport:
    """Delete objects at the destination (in a worker).

    Args:
        plan: the transfer; its destination is opened in the worker.
        doomed: the objects to delete, as the shards reported them.

    Returns:
        A :class:`~storagekit.sync.SyncReport` whose ``deleted`` holds the names removed and
        ``errors`` those that could not be.

    Raises:
        TaskFailedError: the deletions could not run (the message names the worker and the cause).
    """
    worker = worker_address()
    report = SyncReport()
    try:
        dst: Store = plan.destination.open()  # type: ignore[assignment]
        entries = [Entry(item.name[len(dst.prefix):], item.size, obj=item.object(dst)) for item in doomed]
        delete_all(dst, entries, report)
    except Exception as error:  # noqa: BLE001 - every failure must name the worker, whatever raised it
        raise TaskFailedError(f"deleting {len(doomed)} objects failed on worker {worker}: "
                              f"{type(error).__name__}: {error}", code=type(error).__name__) from None
    return report


def worker_address() -> str:
    """The address of the Dask worker running this code, or this process's id outside one."""
    try:
        from distributed import get_worker

        return str(get_worker().address)
    except (ImportError, ValueError):
        return f"pid {os.getpid()}"


def _run(plan: TransferPlan, shard: Shard, worker: str) -> ShardResult:
    src, dst = plan.open_ends()
    assert isinstance(dst, Store)  # the plan refuses a directory destination
    if isinstance(src, Store):
        found = src.scan_objects((item.object(src) for item in shard.listed), plan.rules)
    else:
        found = Scan(entries={entry.name: entry for entry in shard.entries})
    present = Scan() if plan.destination_missing else dst.scan_objects(_destination_range(dst, shard), plan.rules)
    verify = plan.mode == "verify"
    report = SyncReport(skipped=dict(found.skipped), errors=dict(found.errors), dry_run=plan.dry_run or verify)
    wanted, todo = plan_copies(src, found, dst, present, report, "checksum" if verify else plan.compare, plan.jobs)
    doomed = doomed_entries(wanted, present.entries, report, shard.protected) if plan.delete else []
    if verify:
        for entry in todo:
            report.errors[entry.name] = ("differs from the source (size or MD5)" if entry.name in present.entries
                                         else "missing at the destination")
        report.errors.update((entry.name, "only at the destination") for entry in doomed)
        doomed = []
    elif plan.dry_run:
        report.copied = [entry.name for entry in todo]
        report.bytes_copied = sum(entry.size for entry in todo)
    else:
        copy_all(src, dst, todo, report, plan.jobs, None, dict(plan.extra), dict(plan.metadata))
    return ShardResult(shard.index, report, tuple(Listed.of(entry.obj) for entry in doomed if entry.obj), worker)


def _destination_range(dst: Store, shard: Shard) -> Iterator[Object]:
    """The destination's objects in the shard's range, listed from the range's common prefix.

    A listing in name order stops at the first name past the range; a service that lists out
    of order (an S3 preset without ``lists_in_order``) is read to the end of the prefix.
    """
    in_order = getattr(getattr(dst.driver, "preset", None), "lists_in_order", True)
    prefix = dst.prefix + shard.prefix
    for obj in dst.driver.iterate_container_objects(dst.location.container, prefix=prefix or None):
        name = obj.name[len(dst.prefix):]
        if shard.holds(name):
            yield obj
        elif in_order and shard.last is not None and name > shard.last:
            return
