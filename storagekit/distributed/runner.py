"""The client side of a distributed transfer: check, stream shards to the cluster, gather, delete last.

The client lists the source (streamed, a shard every ``shard_size`` names), submits each shard
as a Dask task as soon as it is cut (at most a few per worker thread wait at once, so a long
listing never floods the scheduler), merges each shard's report as it completes and feeds the
progress bar with it. Deletions run only after every shard finished without an error, by the
local sync's rules (:func:`storagekit.sync.engine.refuse_deletes`), as a second wave of tasks.
"""

from __future__ import annotations

import sys
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field, replace
from typing import Any

from ..filters import FilterRules
from ..sync import COMPARE_MODES, Store, SyncInterrupted, SyncProgress, SyncReport
from ..sync.engine import refuse_deletes
from ..types import InvalidOptionError, TaskFailedError
from .plan import EndSpec, Listed, Shard, TransferPlan, shards
from .tasks import ShardResult, run_deletes, run_shard

MISSING_EXTRA = "storagekit.distributed needs Dask: pip install 'storagekit[dask]'"
Progress = bool | Callable[[SyncProgress], None] | None


def sync(
    source: str,
    destination: str,
    client: Any = None,
    *,
    delete: bool = False,
    dry_run: bool = False,
    include: Sequence[str] = (),
    exclude: Sequence[str] = (),
    rules: FilterRules | None = None,
    compare: str = "modtime",
    allow_empty_source: bool = False,
    max_delete: int | None = None,
    create: bool = False,
    follow_symlinks: bool = False,
    extra: Mapping[str, Any] | None = None,
    metadata: Mapping[str, str] | None = None,
    jobs: int = 4,
    shard_size: int = 1000,
    progress: Progress = None,
    source_options: Mapping[str, Any] | None = None,
    destination_options: Mapping[str, Any] | None = None,
    **url_options: Any,
) -> SyncReport:
    """Make ``destination`` hold what ``source`` holds, on a Dask cluster; the local sync's rules and report.

    Usage::

        from distributed import Client
        with Client("tcp://scheduler:8786"):
            report = storagekit.distributed.sync("s3://old-bucket", "gs://new-bucket", profile="migration")

    Args:
        source: a storage URL, or a local directory every worker sees at the same path.
        destination: a storage URL (``memory://`` cannot be shared by workers).
        client: a ``distributed.Client``; None uses the current one (``distributed.get_client()``).
        delete: also remove what the source lacks, after every task succeeded, as
            :func:`storagekit.sync.sync`.
        dry_run: change nothing; the report says what would be copied and deleted.
        include: glob patterns to take, as :func:`storagekit.sync.sync`; ignored when ``rules`` is given.
        exclude: glob patterns to leave out, as :func:`storagekit.sync.sync`; ignored when ``rules`` is given.
        rules: filter rules; excluded names are neither copied nor deleted.
        compare: the quick check, ``"modtime"``, ``"checksum"`` or ``"size"``, as :func:`storagekit.sync.sync`.
        allow_empty_source: with ``delete``, let a source with nothing to sync empty the destination.
        max_delete: refuse (deleting nothing) when more than this many would be deleted; every
            shard is then compared once first, so a refused plan copies nothing either.
        create: create the destination container when it does not exist.
        follow_symlinks: follow symlinks in a source directory, as :func:`storagekit.sync.sync`.
        extra: upload options for every object written, as :func:`storagekit.sync.sync`.
        metadata: user metadata added to every object written.
        jobs: objects copied at once within one task.
        shard_size: source names per task.
        progress: None draws a bar (tqdm) on a terminal; False draws nothing; a callable gets a
            :class:`~storagekit.sync.SyncProgress` as each task completes.
        source_options: :func:`~storagekit.urls.open_url` options for the source only (over
            ``url_options``): ``endpoint_url``, ``profile``, ``key``, ... Keys given here travel to
            every worker in the task's pickle; a profile name does not.
        destination_options: the same for the destination only.
        url_options: :func:`~storagekit.urls.open_url` options for both ends (``local_root``,
            ``profile``, ``provider``, ...).

    Returns:
        A :class:`~storagekit.sync.SyncReport` as the local sync returns (names in name order).

    Raises:
        SourceNotFoundError: the source does not exist (checked on the client before any task runs).
        ContainerDoesNotExistError: the destination container does not exist and not ``create``.
        SyncRefusedError: the deletions were refused, as :func:`storagekit.sync.sync` (nothing deleted).
        InvalidOptionError: a bad option, a destination that is not a store URL, a ``memory://``
            end, or no current Dask client.
        TaskFailedError: a task failed on a worker (the message names the worker and the cause).
        SyncInterrupted: Ctrl-C; the tasks under way finish their copies, nothing is deleted.
        ImportError: Dask is not installed (the ``dask`` extra).
    """
    if compare not in COMPARE_MODES:
        raise InvalidOptionError(f"compare must be one of {', '.join(COMPARE_MODES)}, not {compare!r}")
    if max_delete is not None and max_delete < 0:
        raise InvalidOptionError(f"max_delete must be 0 or more, not {max_delete}")
    plan = TransferPlan(
        EndSpec(source, {**url_options, **(source_options or {})}),
        EndSpec(destination, {**url_options, **(destination_options or {})}),
        rules=rules if rules is not None else FilterRules.from_options(include, exclude),
        compare=compare, delete=delete, dry_run=dry_run, extra=dict(extra or {}), metadata=dict(metadata or {}),
        jobs=jobs, shard_size=shard_size)
    run = _Run(plan, current_client(client), progress, follow_symlinks)
    return run.execute(create, allow_empty_source, max_delete)


def copy(source: str, destination: str, client: Any = None, **options: Any) -> SyncReport:
    """Copy what differs from ``source`` to ``destination`` on a Dask cluster (``cp -r``: a sync without delete).

    Usage::

        report = storagekit.distributed.copy("./dataset", "gs://bucket/dataset", client)

    Args:
        source: as :func:`sync`.
        destination: as :func:`sync`.
        client: as :func:`sync`.
        options: :func:`sync`'s keyword options except ``delete``.

    Returns:
        The :class:`~storagekit.sync.SyncReport`.

    Raises:
        InvalidOptionError: ``delete`` was given; and whatever :func:`sync` raises.
    """
    if "delete" in options:
        raise InvalidOptionError("copy never deletes: use storagekit.distributed.sync(..., delete=True)")
    return sync(source, destination, client, **options)


def verify(
    source: str,
    destination: str,
    client: Any = None,
    *,
    exact: bool = False,
    include: Sequence[str] = (),
    exclude: Sequence[str] = (),
    rules: FilterRules | None = None,
    follow_symlinks: bool = False,
    jobs: int = 4,
    shard_size: int = 1000,
    progress: Progress = None,
    source_options: Mapping[str, Any] | None = None,
    destination_options: Mapping[str, Any] | None = None,
    **url_options: Any,
) -> SyncReport:
    """Check, on a Dask cluster, that ``destination`` holds what ``source`` holds, by size and MD5; change nothing.

    Usage::

        report = storagekit.distributed.verify("s3://old-bucket", "gs://new-bucket", client)
        assert report.ok, report.errors

    Args:
        source: as :func:`sync`.
        destination: as :func:`sync`.
        client: as :func:`sync`.
        exact: also report the destination's names the source lacks ("only at the destination").
        include: as :func:`sync`.
        exclude: as :func:`sync`.
        rules: as :func:`sync`.
        follow_symlinks: as :func:`sync`.
        jobs: objects compared at once within one task.
        shard_size: source names per task.
        progress: as :func:`sync`.
        source_options: as :func:`sync`.
        destination_options: as :func:`sync`.
        url_options: as :func:`sync`.

    Returns:
        A :class:`~storagekit.sync.SyncReport` with ``dry_run`` set, ``in_sync`` the names that
        match and ``errors`` every name missing at the destination or differing, with why;
        ``report.ok`` is True when the destination matches.

    Raises:
        SourceNotFoundError: the source does not exist.
        ContainerDoesNotExistError: the destination container does not exist.
        InvalidOptionError: a bad option, or no current Dask client.
        TaskFailedError: a task failed on a worker (the message names the worker and the cause).
        ImportError: Dask is not installed (the ``dask`` extra).
    """
    plan = TransferPlan(
        EndSpec(source, {**url_options, **(source_options or {})}),
        EndSpec(destination, {**url_options, **(destination_options or {})}),
        mode="verify", rules=rules if rules is not None else FilterRules.from_options(include, exclude),
        compare="checksum", delete=exact, jobs=jobs, shard_size=shard_size)
    return _Run(plan, current_client(client), progress, follow_symlinks).execute(False, True, None)


def current_client(client: Any = None) -> Any:
    """``client``, or the current Dask client.

    Args:
        client: a ``distributed.Client``, returned as it is; None looks up the current one
            (``distributed.get_client()``).

    Returns:
        The Dask client.

    Raises:
        InvalidOptionError: there is no current client.
        ImportError: Dask is not installed.
    """
    if client is not None:
        return client
    try:
        from distributed import get_client
    except ImportError:
        raise ImportError(MISSING_EXTRA) from None
    try:
        return get_client()
    except ValueError:
        raise InvalidOptionError("no Dask client: pass client=, or create one first "
                                 "(distributed.Client('tcp://scheduler:8786') or a LocalCluster)") from None


@dataclass
class _Tally:
    """Objects and bytes listed and compared so far, drawn as a bar or handed to a callback."""

    progress: Progress
    listed: int = 0
    listed_bytes: int = 0
    done: int = 0
    done_bytes: int = 0
    bar: Any = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.progress is None and sys.stderr.isatty():
            try:
                from tqdm import tqdm
            except ImportError:
                return
            self.bar = tqdm(total=0, desc="sync", unit="obj", file=sys.stderr, leave=False, dynamic_ncols=True)

    def add(self, shard: Shard) -> None:
        self.listed += shard.count
        self.listed_bytes += shard.size
        if self.bar is not None:
            self.bar.total = self.listed
            self.bar.refresh()

    def finished(self, count: int, size: int, label: str) -> None:
        self.done += count
        self.done_bytes += size
        if self.bar is not None:
            self.bar.update(count)
        elif callable(self.progress):
            self.progress(SyncProgress(self.done, self.listed, self.done_bytes, self.listed_bytes, label))

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


class _Run:
    """One run of a plan on a cluster: the client's side."""

    def __init__(self, plan: TransferPlan, client: Any, progress: Progress, follow_symlinks: bool) -> None:
        self.plan = plan
        self.client = client
        self.progress = progress
        self.follow_symlinks = follow_symlinks
        self.id = uuid.uuid4().hex[:12]

    def execute(self, create: bool, allow_empty_source: bool, max_delete: int | None) -> SyncReport:
        plan = self.plan
        src, dst = plan.open_ends()
        src.check_source()
        dst.check_destination(create)
        if isinstance(dst, Store) and dst.container_missing:
            if plan.dry_run:
                plan = replace(plan, destination_missing=True)
            else:
                dst.create_container()
        if plan.delete and max_delete is not None and not plan.dry_run:  # refuse before any copy
            preview, doomed, wanted = self._shards(replace(plan, dry_run=True), src, quiet=True)
            if not preview.interrupted:
                refuse_deletes(len(doomed), wanted > 0, allow_empty_source, max_delete)
        report, doomed, wanted = self._shards(plan, src)
        if doomed and not report.interrupted:
            refuse_deletes(len(doomed), wanted > 0, allow_empty_source, max_delete)
        if doomed and not report.ok:
            report.deletes_withheld = ("nothing deleted: interrupted" if report.interrupted
                                       else "nothing deleted: the run had failures")
        elif doomed and plan.dry_run:
            report.deleted = sorted(item.name[len(dst.prefix):] for item in doomed)  # type: ignore[union-attr]
        elif doomed:
            self._delete(plan, doomed, report)
        if report.interrupted:
            raise SyncInterrupted(report)
        return report

    def _shards(self, plan: TransferPlan, src: Any, quiet: bool = False) -> tuple[SyncReport, list[Listed], int]:
        """Run every shard; the merged report, what ``delete`` would remove, and how many names the source wants."""
        from distributed import as_completed

        report = SyncReport(dry_run=plan.dry_run or plan.mode == "verify")
        doomed: dict[int, tuple[Listed, ...]] = {}
        wanted = 0
        tally = _Tally(False if quiet else self.progress)
        pending: dict[Any, Shard] = {}
        waiting = as_completed()
        limit = max(4, 2 * sum(self.client.nthreads().values()))

        def take(future: Any) -> None:
            nonlocal wanted
            shard = pending.pop(future)
            result = _result(future, shard)
            part = result.report
            report.copied.extend(part.copied)
            report.in_sync.extend(part.in_sync)
            report.skipped.update(part.skipped)
            report.errors.update(part.errors)
            report.bytes_copied += part.bytes_copied
            wanted += len(part.copied) + len(part.in_sync) + len(part.errors)
            doomed[result.index] = result.doomed
            tally.finished(shard.count, shard.size, str(shard))

        try:
            for item in shards(src, plan.rules, plan.shard_size, self.follow_symlinks):
                if isinstance(item, tuple):
                    report.skipped.update(item[0])
                    report.errors.update(item[1])
                    continue
                future = self.client.submit(run_shard, plan, item, key=f"storagekit-shard-{self.id}-{item.index}",
                                            pure=False)
                pending[future] = item
                tally.add(item)
                waiting.add(future)
                while len(pending) >= limit:
                    take(next(waiting))
            for future in waiting:
                take(future)
        except KeyboardInterrupt:  # start nothing new; tasks under way finish their (atomic) copies
            report.interrupted = True
        finally:
            if pending:
                self.client.cancel(list(pending))
            tally.close()
        if report.interrupted:
            self._drain()
        report.copied.sort()
        report.in_sync.sort()
        return report, [item for index in sorted(doomed) for item in doomed[index]], wanted

    def _drain(self) -> None:
        """After Ctrl-C, wait until no task of this run still executes on a worker.

        A cancelled task cannot be stopped mid-copy (a thread of its worker runs it): it finishes
        its shard, every copy atomic. Waiting means that when the run returns nothing of it is
        still writing, so a run started again never races its predecessor. A second Ctrl-C
        stops the wait.
        """
        prefix = f"storagekit-shard-{self.id}-"

        def executing(dask_worker: Any) -> int:
            return sum(str(task.key).startswith(prefix) for task in dask_worker.state.executing)

        try:
            while sum(self.client.run(executing).values()):
                time.sleep(0.2)
        except KeyboardInterrupt:
            return

    def _delete(self, plan: TransferPlan, doomed: list[Listed], report: SyncReport) -> None:
        size = plan.shard_size
        batches = [tuple(doomed[start:start + size]) for start in range(0, len(doomed), size)]
        futures = [self.client.submit(run_deletes, plan, batch, key=f"storagekit-delete-{self.id}-{index}",
                                      pure=False) for index, batch in enumerate(batches)]
        for part in self.client.gather(futures):
            report.deleted.extend(part.deleted)
            report.errors.update(part.errors)
        report.deleted.sort()


def _result(future: Any, shard: Shard) -> ShardResult:
    """A shard's result; a task that failed (or whose workers kept dying) is a TaskFailedError."""
    try:
        result: ShardResult = future.result()
    except (TaskFailedError, KeyboardInterrupt):
        raise
    except Exception as error:  # noqa: BLE001 - KilledWorker, a lost scheduler, ...: say which shard
        raise TaskFailedError(f"{shard} failed: {type(error).__name__}: {error}", code=type(error).__name__) from None
    return result


def cluster(address: str) -> AbstractContextManager[Any]:
    """A Dask client for the CLI's ``--dask``, joining a scheduler or starting a local cluster.

    Args:
        address: ``local:N`` starts a ``LocalCluster`` of N worker processes on this host;
            anything else is the address of a scheduler to join (``tcp://scheduler:8786``).

    Returns:
        A context manager that gives the ``distributed.Client`` and closes it (and a local
        cluster) on exit.

    Raises:
        InvalidOptionError: ``local:N`` with N not a positive whole number.
        ImportError: Dask is not installed.
    """
    try:
        from distributed import Client
    except ImportError:
        raise ImportError(MISSING_EXTRA) from None
    if not address.startswith("local:"):
        return Client(address)
    count = address[len("local:"):]
    if not count.isdigit() or int(count) < 1:
        raise InvalidOptionError(f"--dask local:N needs a number of worker processes, not {address!r}")
    return _local_cluster(int(count))


@contextmanager
def _local_cluster(workers: int) -> Iterator[Any]:
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None) as made, \
            Client(made) as joined:
        yield joined
