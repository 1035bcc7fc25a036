"""storagekit.fs on the memory and local stores: URLs and options, listings and their cache, reads,
writes, copies and deletes, errors as builtins, pickling, fork, register(), the entry point, and the
core without fsspec."""

from __future__ import annotations

import configparser
import datetime
import io
import json
import os
import pickle
import subprocess
import sys
import urllib.parse
import uuid
from collections.abc import Iterator
from pathlib import Path

import fsspec
import pytest

from storagekit.fs import PROTOCOL, REPLACED_PROTOCOLS, StorageKitFileSystem, register, registered
from storagekit.types import InvalidOptionError, ObjectDoesNotExistError

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(params=["memory", "local"])
def fs(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StorageKitFileSystem]:
    """A filesystem on a fresh container of the memory or local store."""
    options = {"local_root": str(tmp_path / "root")} if request.param == "local" else {}
    filesystem = StorageKitFileSystem(scheme=request.param, skip_instance_cache=True, **options)
    filesystem.bucket = f"fs-{uuid.uuid4().hex[:12]}"  # type: ignore[attr-defined]
    filesystem.mkdir(filesystem.bucket)  # type: ignore[attr-defined]
    yield filesystem
    filesystem.rm(filesystem.bucket, recursive=True)  # type: ignore[attr-defined]


def _tree(fs: StorageKitFileSystem) -> str:
    """A small tree: a.txt, dir/b.txt, dir/sub/c.txt, dir-2/d.txt; returns the container."""
    bucket: str = fs.bucket  # type: ignore[attr-defined]
    fs.pipe({f"{bucket}/a.txt": b"alpha", f"{bucket}/dir/b.txt": b"bravo", f"{bucket}/dir/sub/c.txt": b"charlie",
             f"{bucket}/dir-2/d.txt": b"delta"})
    return bucket


# ---------------------------------------------------------------------- URLs and options


def test_urls_carry_the_scheme_and_paths_are_container_slash_key() -> None:
    assert StorageKitFileSystem._strip_protocol("storagekit://s3/bucket/key/x.csv") == "bucket/key/x.csv"
    assert StorageKitFileSystem._strip_protocol("storagekit://gs/bucket/") == "bucket"
    assert StorageKitFileSystem._strip_protocol("storagekit://memory") == ""
    assert StorageKitFileSystem._strip_protocol("bucket/key") == "bucket/key"
    assert StorageKitFileSystem._get_kwargs_from_urls("storagekit://az/c/blob") == {"scheme": "az"}
    assert StorageKitFileSystem(scheme="memory").unstrip_protocol("c/k") == "storagekit://memory/c/k"


def test_fsspec_builds_one_instance_per_store_from_a_url(tmp_path: Path) -> None:
    fsspec.register_implementation(PROTOCOL, StorageKitFileSystem, clobber=True)
    memory, path = fsspec.core.url_to_fs("storagekit://memory/bucket/key")
    local, _ = fsspec.core.url_to_fs("storagekit://local/bucket/key", local_root=str(tmp_path))
    assert (path, memory.scheme, local.scheme) == ("bucket/key", "memory", "local")
    assert fsspec.core.url_to_fs("storagekit://memory/other")[0] is memory


@pytest.mark.parametrize("options, named", [
    ({}, "needs the scheme"),
    ({"scheme": "s4"}, "s4"),
    ({"scheme": "memory", "endpoint_url": "http://x"}, "endpoint_url"),
    ({"scheme": "local", "local_root": "/tmp", "region": "eu"}, "region"),
    ({"scheme": "memory", "part_size": 0}, "part_size"),
    ({"scheme": "memory", "batch_size": 0}, "batch_size"),
])
def test_bad_options_are_refused_by_name(options: dict, named: str) -> None:
    with pytest.raises(InvalidOptionError, match=named):
        StorageKitFileSystem(skip_instance_cache=True, **options)


def test_a_cloud_driver_option_it_does_not_know_is_named_at_first_use() -> None:
    fs = StorageKitFileSystem(scheme="s3", key="AKIDEXAMPLE", secret="s3cr3t-value", region="us-east-1",
                              endpoint_url="http://127.0.0.1:9", anon=True, skip_instance_cache=True)
    with pytest.raises(InvalidOptionError, match="anon"):
        fs.ls("bucket")


def test_no_secret_is_shown_by_repr_str_or_to_dict() -> None:
    fs = StorageKitFileSystem(scheme="s3", key="AKIDEXAMPLE", secret="s3cr3t-value", token="t0ken-value",
                              region="us-east-1", skip_instance_cache=True)
    for text in (repr(fs), str(fs), fs.to_json(include_password=False), str(fs.to_dict(include_password=False))):
        assert "s3cr3t-value" not in text and "t0ken-value" not in text
    assert "storagekit://s3/" in repr(fs) and "us-east-1" in repr(fs)
    assert StorageKitFileSystem.from_json(fs.to_json()).storage_options == fs.storage_options


# ---------------------------------------------------------------------- listings


def test_ls_lists_one_level_and_containers_at_the_root(fs: StorageKitFileSystem) -> None:
    bucket = _tree(fs)
    assert sorted(fs.ls(bucket, detail=False)) == [f"{bucket}/a.txt", f"{bucket}/dir", f"{bucket}/dir-2"]
    entries = {entry["name"]: entry for entry in fs.ls(f"{bucket}/dir")}
    assert entries[f"{bucket}/dir/b.txt"]["type"] == "file" and entries[f"{bucket}/dir/b.txt"]["size"] == 5
    assert entries[f"{bucket}/dir/sub"] == {"name": f"{bucket}/dir/sub", "size": 0, "type": "directory"}
    assert bucket in fs.ls("", detail=False)
    assert fs.ls(f"{bucket}/a.txt", detail=False) == [f"{bucket}/a.txt"]
    with pytest.raises(FileNotFoundError):
        fs.ls(f"{bucket}/missing")


def test_info_isdir_isfile_exists(fs: StorageKitFileSystem) -> None:
    bucket = _tree(fs)
    info = fs.info(f"{bucket}/dir/b.txt")
    assert (info["type"], info["size"], info["name"]) == ("file", 5, f"{bucket}/dir/b.txt")
    assert isinstance(info["mtime"], datetime.datetime) and info["mtime"].tzinfo is not None
    assert fs.info(f"{bucket}/dir")["type"] == "directory" and fs.isdir(f"{bucket}/dir/sub")
    assert fs.isdir(bucket) and not fs.isfile(bucket) and fs.isfile(f"{bucket}/a.txt")
    assert not fs.exists(f"{bucket}/di") and not fs.exists(f"{bucket}/nothing") and not fs.exists("no-such-bucket")
    assert fs.modified(f"{bucket}/a.txt") == info["mtime"] or isinstance(fs.modified(f"{bucket}/a.txt"),
                                                                        datetime.datetime)
    assert fs.size(f"{bucket}/dir/sub/c.txt") == 7
    assert fs.sizes([f"{bucket}/a.txt", f"{bucket}/dir/b.txt"]) == [5, 5]


def test_find_is_flat_and_fills_the_listings_cache(fs: StorageKitFileSystem) -> None:
    bucket = _tree(fs)
    assert fs.find(f"storagekit://{fs.scheme}/{bucket}/dir") == [f"{bucket}/dir/b.txt", f"{bucket}/dir/sub/c.txt"]
    assert fs.find(bucket, withdirs=True) == [
        bucket, f"{bucket}/a.txt", f"{bucket}/dir", f"{bucket}/dir-2", f"{bucket}/dir-2/d.txt",
        f"{bucket}/dir/b.txt", f"{bucket}/dir/sub", f"{bucket}/dir/sub/c.txt",
    ]
    assert fs.find(bucket, maxdepth=1) == [f"{bucket}/a.txt"]
    assert fs.find(f"{bucket}/a.txt") == [f"{bucket}/a.txt"]
    assert fs.find(f"{bucket}/nothing") == []
    with pytest.raises(FileNotFoundError):
        fs.ls(f"{bucket}/nothing")  # the empty find cached no directory
    detail = fs.find(f"{bucket}/dir", detail=True)
    assert detail[f"{bucket}/dir/b.txt"]["size"] == 5 and "object" not in detail[f"{bucket}/dir/b.txt"]
    assert sorted(entry["name"] for entry in fs.dircache[f"{bucket}/dir"]) == [f"{bucket}/dir/b.txt",
                                                                               f"{bucket}/dir/sub"]


def test_glob_and_walk(fs: StorageKitFileSystem) -> None:
    bucket = _tree(fs)
    assert fs.glob(f"{bucket}/**/*.txt") == [f"{bucket}/a.txt", f"{bucket}/dir-2/d.txt", f"{bucket}/dir/b.txt",
                                             f"{bucket}/dir/sub/c.txt"]
    assert fs.glob(f"{bucket}/dir*") == [f"{bucket}/dir", f"{bucket}/dir-2"]
    walked = {root: (sorted(dirs), sorted(files)) for root, dirs, files in fs.walk(bucket)}
    assert walked[bucket] == (["dir", "dir-2"], ["a.txt"]) and walked[f"{bucket}/dir/sub"] == ([], ["c.txt"])


def test_writes_invalidate_the_cached_listings(fs: StorageKitFileSystem) -> None:
    bucket = _tree(fs)
    assert f"{bucket}/new.txt" not in fs.ls(bucket, detail=False)
    fs.pipe_file(f"{bucket}/new.txt", b"n")
    assert f"{bucket}/new.txt" in fs.ls(bucket, detail=False)
    with fs.open(f"{bucket}/dir/w.txt", "wb") as file:
        file.write(b"w")
    assert f"{bucket}/dir/w.txt" in fs.ls(f"{bucket}/dir", detail=False)
    fs.rm(f"{bucket}/new.txt")
    assert f"{bucket}/new.txt" not in fs.ls(bucket, detail=False)
    fs.driver.upload_object_via_stream(iter([b"x"]), fs.driver.get_container(bucket), "behind.txt")
    assert f"{bucket}/behind.txt" not in fs.ls(bucket, detail=False)  # cached, as s3fs
    assert f"{bucket}/behind.txt" in fs.ls(bucket, detail=False, refresh=True)
    fs.invalidate_cache()
    assert not fs.dircache


# ---------------------------------------------------------------------- reading


@pytest.mark.parametrize("start, end, expected", [
    (None, None, b"0123456789"), (2, 5, b"234"), (-3, None, b"789"), (None, -8, b"01"), (7, 100, b"789"),
    (5, 2, b""), (20, None, b""),
])
def test_cat_file_takes_slices(fs: StorageKitFileSystem, start: int | None, end: int | None, expected: bytes) -> None:
    path = f"{fs.bucket}/digits"  # type: ignore[attr-defined]
    fs.pipe_file(path, b"0123456789")
    assert fs.cat_file(path, start, end) == expected


def test_cat_of_many_paths_returns_a_mapping_and_honours_on_error(fs: StorageKitFileSystem) -> None:
    bucket = _tree(fs)
    many = {f"{bucket}/many/{index:03}": b"%d" % index for index in range(40)}
    fs.pipe(many)
    fs.invalidate_cache()
    assert fs.cat(list(many)) == many
    assert fs.cat(f"{bucket}/dir", recursive=True) == {f"{bucket}/dir/b.txt": b"bravo",
                                                        f"{bucket}/dir/sub/c.txt": b"charlie"}
    assert fs.cat(f"{bucket}/a.txt") == b"alpha"
    paths = [f"{bucket}/a.txt", f"{bucket}/missing"]
    with pytest.raises(FileNotFoundError):
        fs.cat(paths)
    assert fs.cat(paths, on_error="omit") == {f"{bucket}/a.txt": b"alpha"}
    assert isinstance(fs.cat(paths, on_error="return")[f"{bucket}/missing"], FileNotFoundError)
    assert fs.cat_ranges([f"{bucket}/a.txt", f"{bucket}/dir/b.txt"], 1, 3) == [b"lp", b"ra"]


def test_open_reads_and_seeks_through_storagekit_files(fs: StorageKitFileSystem) -> None:
    path = f"{fs.bucket}/lines.txt"  # type: ignore[attr-defined]
    fs.pipe_file(path, b"".join(b"line %d\n" % n for n in range(1000)))
    with fs.open(path, "rb", block_size=1024, cache_options={"cache_size": 4096}, cache_type="readahead") as file:
        file.seek(-8, io.SEEK_END)
        assert file.read() == b"ine 999\n"
        file.seek(0)
        assert file.readline() == b"line 0\n"
    with fs.open(path, "r", encoding="utf-8") as text:
        assert text.readlines()[10] == "line 10\n"
    with fsspec.open(fs.unstrip_protocol(path), "rb", **fs.storage_options) as file:
        assert file.read(6) == b"line 0"
    with pytest.raises(InvalidOptionError, match="cache_type"):
        fs.open(path, "rb", cache_type="nonsense")


# ---------------------------------------------------------------------- writing


def test_pipe_and_open_in_write_modes(fs: StorageKitFileSystem) -> None:
    path = f"{fs.bucket}/modes.bin"  # type: ignore[attr-defined]
    with fs.open(path, "xb") as file:
        file.write(b"first")
    with pytest.raises(FileExistsError):
        fs.open(path, "xb")
    with fs.open(path, "ab") as file:
        file.write(b"+more")
    assert fs.cat_file(path) == b"first+more"
    with pytest.raises(FileExistsError):
        fs.pipe_file(path, b"x", mode="create")
    fs.pipe_file(path, b"replaced", mode="overwrite")
    assert fs.cat_file(path) == b"replaced"
    with fs.open(f"{fs.bucket}/new-append", "ab") as file:  # type: ignore[attr-defined]
        file.write(b"fresh")
    assert fs.cat_file(f"{fs.bucket}/new-append") == b"fresh"  # type: ignore[attr-defined]
    with pytest.raises(InvalidOptionError, match="mode"):
        fs.open(path, "r+b")


def test_a_writer_that_fails_inside_with_leaves_nothing(fs: StorageKitFileSystem) -> None:
    path = f"{fs.bucket}/half.bin"  # type: ignore[attr-defined]
    with pytest.raises(RuntimeError), fs.open(path, "wb") as file:
        file.write(b"half")
        raise RuntimeError("the job failed")
    assert not fs.exists(path)


def test_put_get_copy_move_and_rm(fs: StorageKitFileSystem, tmp_path: Path) -> None:
    source = tmp_path / "source"
    (source / "nested").mkdir(parents=True)
    for index in range(12):
        (source / f"f{index}.txt").write_bytes(b"file %d" % index)
    (source / "nested" / "deep.txt").write_bytes(b"deep")
    bucket: str = fs.bucket  # type: ignore[attr-defined]
    fs.put(str(source), f"{bucket}/up", recursive=True, batch_size=4)
    assert len(fs.find(f"{bucket}/up")) == 13 and fs.cat_file(f"{bucket}/up/nested/deep.txt") == b"deep"
    fs.get(f"{bucket}/up", str(tmp_path / "down"), recursive=True)
    assert (tmp_path / "down" / "nested" / "deep.txt").read_bytes() == b"deep"
    assert sorted(os.listdir(tmp_path / "down")) == sorted(os.listdir(source))
    fs.get_file(f"{bucket}/up/f3.txt", str(tmp_path / "one.txt"))
    assert (tmp_path / "one.txt").read_bytes() == b"file 3"
    buffer = io.BytesIO()
    fs.get_file(f"{bucket}/up/f4.txt", buffer)
    assert buffer.getvalue() == b"file 4"
    fs.copy(f"{bucket}/up", f"{bucket}/copy", recursive=True)
    assert fs.cat_file(f"{bucket}/copy/nested/deep.txt") == b"deep"
    fs.mv(f"{bucket}/copy/f1.txt", f"{bucket}/moved.txt")
    assert fs.cat_file(f"{bucket}/moved.txt") == b"file 1" and not fs.exists(f"{bucket}/copy/f1.txt")
    fs.rm(f"{bucket}/copy", recursive=True)
    assert not fs.exists(f"{bucket}/copy") and fs.exists(f"{bucket}/up")
    with pytest.raises(FileNotFoundError):
        fs.rm(f"{bucket}/copy", recursive=True)
    with pytest.raises(FileExistsError):
        fs.put_file(str(source / "f0.txt"), f"{bucket}/up/f0.txt", mode="create")


def test_containers_are_directories_and_nested_mkdir_does_nothing(fs: StorageKitFileSystem) -> None:
    bucket: str = fs.bucket  # type: ignore[attr-defined]
    with pytest.raises(FileExistsError):
        fs.mkdir(bucket)
    fs.makedirs(bucket, exist_ok=True)
    fs.mkdir(f"{bucket}/virtual/dir")
    fs.makedirs(f"{bucket}/virtual/dir", exist_ok=False)
    assert not fs.exists(f"{bucket}/virtual")  # a directory is a prefix with objects below it
    fs.pipe_file(f"{bucket}/x", b"x")
    with pytest.raises(OSError, match="not empty"):
        fs.rmdir(bucket)
    other = f"{bucket}-b"
    fs.mkdir(f"{other}/nested/path")  # creates the container
    assert fs.isdir(other)
    fs.rmdir(other)
    assert not fs.exists(other)
    with pytest.raises(FileNotFoundError):
        fs.rmdir(other)


# ---------------------------------------------------------------------- errors, checksums, signing


def test_missing_paths_are_builtin_file_not_found_errors_naming_the_path(fs: StorageKitFileSystem) -> None:
    path = f"{fs.bucket}/no/such.txt"  # type: ignore[attr-defined]
    for call in (fs.cat_file, fs.info, lambda p: fs.open(p, "rb")):
        with pytest.raises(FileNotFoundError) as caught:
            call(path)
        assert type(caught.value) is FileNotFoundError and path in str(caught.value)
    with pytest.raises(FileNotFoundError) as caught:
        fs.cat_file("no-such-bucket-here/key")
    assert isinstance(caught.value.__cause__, Exception) and "no-such-bucket-here" in str(caught.value)
    with pytest.raises(FileNotFoundError) as caught:
        fs.cat_file(path)
    assert isinstance(caught.value.__cause__, ObjectDoesNotExistError)
    for write in (lambda: fs.pipe_file("no-such-bucket-here/key", b"x"),
                  lambda: fs.open("no-such-bucket-here/key", "wb").close()):
        with pytest.raises(FileNotFoundError, match="no-such-bucket-here"):
            write()


def test_checksum_and_ukey_follow_the_content(fs: StorageKitFileSystem) -> None:
    path = f"{fs.bucket}/sum"  # type: ignore[attr-defined]
    fs.pipe_file(path, b"one")
    first, key = fs.checksum(path), fs.ukey(path)
    fs.pipe_file(path, b"two")
    assert fs.checksum(path) != first and fs.ukey(path) != key
    fs.pipe_file(path, b"one")
    assert fs.checksum(path) == first


def test_sign_without_presigned_urls_is_not_implemented_and_says_why(fs: StorageKitFileSystem) -> None:
    path = f"{fs.bucket}/x"  # type: ignore[attr-defined]
    fs.pipe_file(path, b"x")
    with pytest.raises(NotImplementedError, match="presigned"):
        fs.sign(path)


# ---------------------------------------------------------------------- pickling, fork, registration


def test_a_filesystem_pickles_to_its_options(tmp_path: Path) -> None:
    fs = StorageKitFileSystem(scheme="local", local_root=str(tmp_path), batch_size=3)
    fs.mkdir("pickled")
    fs.pipe_file("pickled/x", b"x")
    assert fs.driver is not None  # built and used: the pickle still holds only the options
    data = pickle.dumps(fs)
    for absent in (b"Thread", b"socket", b"lock", b"Lock", b"LocalStorageDriver", b"dircache"):
        assert absent not in data
    copy = pickle.loads(data)
    assert copy.storage_options == fs.storage_options and copy.cat_file("pickled/x") == b"x"
    fresh = pickle.loads(pickle.dumps(StorageKitFileSystem(scheme="local", local_root=str(tmp_path),
                                                           skip_instance_cache=True)))
    assert fresh.cat_file("pickled/x") == b"x" and fresh.batch_size == 16


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork is POSIX only")
def test_a_filesystem_used_before_fork_works_in_the_child(tmp_path: Path) -> None:
    fs = StorageKitFileSystem(scheme="local", local_root=str(tmp_path), skip_instance_cache=True)
    fs.mkdir("forked")
    fs.pipe({f"forked/{n}": b"%d" % n for n in range(20)})
    assert len(fs.cat(fs.find("forked"))) == 20
    pid = os.fork()
    if pid == 0:  # the child: same filesystem, its own threads
        try:
            ok = fs.cat(fs.find("forked")) == {f"forked/{n}": b"%d" % n for n in range(20)}
            fs.pipe_file("forked/child", b"child")
        except BaseException:  # noqa: BLE001 - reported through the exit status
            ok = False
        os._exit(0 if ok else 1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert fs.cat_file("forked/child") == b"child"


def test_register_replaces_s3fs_gcsfs_adlfs_names_only_when_asked() -> None:
    assert set(REPLACED_PROTOCOLS) == {"s3", "s3a", "gs", "gcs", "az", "abfs", "abfss"}
    with pytest.raises(InvalidOptionError, match="ftp"):
        register(["ftp"])
    assert register("gcs") == ["gcs"]
    assert registered()["gcs"] == "gs"
    cls = fsspec.get_filesystem_class("gcs")
    assert issubclass(cls, StorageKitFileSystem) and cls.bound_scheme == "gs"
    assert cls._strip_protocol("gcs://bucket/key") == "bucket/key"
    assert register(["abfs"]) == ["abfs"]
    abfs = fsspec.get_filesystem_class("abfs")
    assert abfs._strip_protocol("abfs://box@account.dfs.core.windows.net/a/b") == "box/a/b"
    fs = cls(skip_instance_cache=True, credentials="anonymous", endpoint_url="http://127.0.0.1:9")
    assert fs.unstrip_protocol("bucket/key") == "gcs://bucket/key" and fs.scheme == "gs"
    copy = pickle.loads(pickle.dumps(fs))
    assert type(copy) is cls and copy.storage_options == fs.storage_options


def test_the_entry_point_is_declared_with_the_fsspec_extra() -> None:
    config = configparser.ConfigParser()
    config.read(REPO / "setup.cfg")
    points = config["options.entry_points"]["fsspec.specs"].split()
    assert points == ["storagekit", "=", "storagekit.fs:StorageKitFileSystem"]
    assert config["options.extras_require"]["fsspec"].split() == ["fsspec", "pyarrow"]
    assert {"fsspec", "pyarrow", "pandas"} <= set(config["options.extras_require"]["test"].split())


def test_fsspec_finds_storagekit_through_the_entry_point() -> None:
    """The declared entry point loads the filesystem class; and where the installed distribution is
    this checkout (CI's ``pip install -e .`` on a clean clone: ``direct_url.json`` names it),
    fsspec's registry finds ``storagekit`` through the installed entry point alone. (A venv that
    installed another checkout editable carries that checkout's metadata, not this one's.)"""
    from importlib import metadata

    from setuptools.config.setupcfg import read_configuration

    declared = read_configuration(REPO / "setup.cfg")["options"]["entry_points"]["fsspec.specs"]
    name, _, value = declared[0].partition("=")
    point = metadata.EntryPoint(name.strip(), value.strip(), "fsspec.specs")
    assert point.load() is StorageKitFileSystem
    direct_url = json.loads(metadata.distribution("storagekit").read_text("direct_url.json") or "{}")
    installed_from = urllib.parse.urlparse(direct_url.get("url", "")).path
    if installed_from and Path(urllib.parse.unquote(installed_from)).resolve() == REPO:
        assert "storagekit" in {entry.name for entry in metadata.entry_points(group="fsspec.specs")}
        sys.modules["fsspec.registry"]._registry.pop("storagekit", None)  # only the entry point is left
        assert fsspec.get_filesystem_class("storagekit") is StorageKitFileSystem


def test_the_core_imports_and_works_without_fsspec(tmp_path: Path) -> None:
    script = """
import sys
class Blocker:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("fsspec", "pyarrow", "pandas"):
            raise ImportError(f"{name} is blocked")
sys.meta_path.insert(0, Blocker())
import storagekit
from storagekit.urls import open_url
location = open_url("local://box/key", local_root=sys.argv[1])
container = location.ensure_container()
location.driver.upload_object_via_stream(iter([b"data"]), container, "key")
assert b"".join(location.driver.download_object_as_stream(location.driver.get_object("box", "key"))) == b"data"
try:
    import storagekit.fs
except ImportError as error:
    assert "fsspec" in str(error)
else:
    raise AssertionError("storagekit.fs imported without fsspec")
assert not any(name.split(".")[0] == "fsspec" for name in sys.modules)
"""
    result = subprocess.run([sys.executable, "-c", script, str(tmp_path)], capture_output=True, text=True, timeout=120,
                            env={**os.environ, "PYTHONPATH": str(REPO)})
    assert result.returncode == 0, result.stderr
