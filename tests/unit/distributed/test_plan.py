"""The transfer plan is plain data: shards cover every name once, in contiguous key ranges, are cut
as the listing streams, and pickle without a driver or a key in sight."""

from __future__ import annotations

import itertools
import os
import pickle
import pickletools
from pathlib import Path
from typing import Any

import pytest

from storagekit.distributed import EndSpec, Shard, TransferPlan, shards
from storagekit.filters import FilterRules
from storagekit.sync import open_end
from storagekit.types import InvalidOptionError


def _fill(root: Path, names: list[str]) -> None:
    for name in names:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(name.encode())


NAMES = [*sorted(f"{d}/{i:03d}" for d in ("a", "a-b", "b") for i in range(7)), "z"]


def _cut(target: str, **options: Any) -> list[Any]:
    return list(shards(open_end(target, **options), FilterRules(), shard_size=5))


def _covering(cut: list[Shard]) -> None:
    """Ranges follow each other: (None, l0], (l0, l1], ..., (ln-1, None]."""
    assert cut[0].after is None and cut[-1].last is None
    for before, after in itertools.pairwise(cut):
        assert after.after == before.last


def test_a_store_is_cut_into_ranges_holding_each_name_once(tmp_path: Path) -> None:
    _fill(tmp_path / "root" / "bucket" / "data", NAMES)
    cut = _cut("local://bucket/data", local_root=str(tmp_path / "root"))
    assert [len(shard.listed) for shard in cut] == [5, 5, 5, 5, 2]
    _covering(cut)
    names = [item.name for shard in cut for item in shard.listed]
    assert names == [f"data/{name}" for name in NAMES]
    for shard in cut:
        assert all(shard.holds(item.name[len("data/"):]) for item in shard.listed)
        assert sum(shard.holds(name) for name in NAMES) == shard.count
    assert cut[1].prefix == "a"  # (a/004, a-b/002]: a listing of the range starts at "a"


def test_a_directory_is_cut_in_name_order_and_protects_what_it_leaves_out(tmp_path: Path) -> None:
    _fill(tmp_path, NAMES)
    os.symlink(tmp_path / "z", tmp_path / "a" / "link")
    cut = _cut(str(tmp_path))
    skipped, errors = cut[0]
    assert (skipped, errors) == ({"a/link": "symlink, not followed (use --follow-symlinks / -L)"}, {})
    _covering(cut[1:])
    assert [entry.name for shard in cut[1:] for entry in shard.entries] == NAMES
    assert [shard.protected for shard in cut[1:] if shard.protected] == [("a/link",)]
    assert [shard.index for shard in cut[1:] if shard.holds("a/link")] == \
        [shard.index for shard in cut[1:] if shard.protected]


def test_an_empty_source_is_one_shard_covering_everything(tmp_path: Path) -> None:
    (tmp_path / "root" / "bucket").mkdir(parents=True)
    [shard] = _cut("local://bucket", local_root=str(tmp_path / "root"))
    assert (shard.after, shard.last, shard.count, shard.prefix) == (None, None, 0, "")
    assert shard.holds("anything")


def test_a_plan_and_its_shards_pickle_without_a_driver_or_a_key(tmp_path: Path) -> None:
    _fill(tmp_path / "root" / "bucket", NAMES)
    secret = "s3cr3t-key-never-in-a-repr"
    plan = TransferPlan(EndSpec("local://bucket", {"local_root": str(tmp_path / "root")}),
                        EndSpec("s3://dest", {"key": "AK", "secret": secret}))
    shard = _cut("local://bucket", local_root=str(tmp_path / "root"))[0]
    for item in (plan, shard):
        data = pickle.dumps(item)
        modules = {arg for _, arg, _ in pickletools.genops(data) if isinstance(arg, str) and "." in arg}
        assert not any("drivers" in module or module == "storagekit.base" for module in modules), modules
        assert pickle.loads(data) == item
    assert secret not in repr(plan) and "secret" in repr(plan)  # the option's name, never its value
    assert secret in pickle.dumps(plan).decode("latin-1")  # keys given as options do travel: the docs say so


@pytest.mark.parametrize(("source", "destination", "wrong"), [
    ("memory://a", "s3://b", "memory://"), ("/tmp", "/srv/backup", "store URL"), ("/tmp", "memory://b", "memory://"),
])
def test_a_plan_refuses_ends_workers_cannot_share(source: str, destination: str, wrong: str) -> None:
    with pytest.raises(InvalidOptionError, match=wrong):
        TransferPlan(EndSpec(source), EndSpec(destination))


def test_a_plan_refuses_bad_sizes() -> None:
    with pytest.raises(InvalidOptionError, match="shard_size"):
        TransferPlan(EndSpec("/tmp"), EndSpec("s3://b"), shard_size=0)
    with pytest.raises(InvalidOptionError, match="mode"):
        TransferPlan(EndSpec("/tmp"), EndSpec("s3://b"), mode="move")


def test_both_ends_in_one_store_share_a_driver_for_server_side_copies(tmp_path: Path) -> None:
    same = {"local_root": str(tmp_path)}
    src, dst = TransferPlan(EndSpec("local://a/x", same), EndSpec("local://b/y", same)).open_ends()
    assert src.driver is dst.driver and dst.location.container_name == "b"  # type: ignore[union-attr]
    src, dst = TransferPlan(EndSpec("local://a/x", same), EndSpec("local://b/y", {"local_root": str(tmp_path / "2")})
                            ).open_ends()
    assert src.driver is not dst.driver  # type: ignore[union-attr]
