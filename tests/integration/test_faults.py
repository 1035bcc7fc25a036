"""Every cloud driver behind the fault-injecting proxy, in front of its real server.

Transient faults (resets mid-request and mid-response, 500/503/429, truncated bodies, a
stalled answer) must end in a successful transfer whose bytes are verified identical.
Persistent faults must end in a typed exception after the configured retries with nothing
left behind: no partial file, no visible partial object, no dangling multipart upload. A
flipped byte must be an ObjectHashMismatchError, never silent corruption.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from storagekit.base import StorageDriver
from storagekit.http import RetryPolicy
from storagekit.models import Container
from storagekit.types import (
    ConnectionBrokenError,
    ContainerDoesNotExistError,
    MalformedResponseError,
    ObjectHashMismatchError,
    StorageKitError,
)
from tests.support.proxy import Fault, FaultProxy

MiB = 1024 * 1024
PART = 5 * MiB
FAST_RETRY = RetryPolicy(max_attempts=6, backoff_base=0.01, backoff_max=1.0)
DriverAt = Callable[..., StorageDriver]


def _s3(request: pytest.FixtureRequest) -> tuple[str, DriverAt]:
    """(the server's scheme://host:port, a factory of drivers at such an address)."""
    server = request.getfixturevalue("seaweedfs")
    return server.endpoint_url, lambda endpoint, **options: server.driver(endpoint_url=endpoint, **options)


def _azure(request: pytest.FixtureRequest) -> tuple[str, DriverAt]:
    server = request.getfixturevalue("azurite")
    parts = urlsplit(server.endpoint)
    return f"{parts.scheme}://{parts.netloc}", lambda endpoint, **options: server.driver(
        endpoint_url=endpoint + parts.path, **options)


def _gcs(request: pytest.FixtureRequest) -> tuple[str, DriverAt]:
    from storagekit.providers import get_driver
    from tests.support.google_storage import PROJECT, with_minted_token

    endpoint = request.getfixturevalue("fake_gcs_server")
    credentials = with_minted_token(request.getfixturevalue("google_service_account_info"))
    return endpoint, lambda at, **options: get_driver("google_storage")(
        credentials=credentials, endpoint_url=at, project=PROJECT, **options)


def _swift(request: pytest.FixtureRequest) -> tuple[str, DriverAt]:
    server = request.getfixturevalue("swift_server")  # tempauth hands out a storage URL on the Host asked
    return server.endpoint, lambda endpoint, **options: server.driver(auth_url=f"{endpoint}/auth/v1.0", **options)


@pytest.fixture(scope="module", params=["s3", "azure_blobs", "google_storage", "swift"])
def proxied(request: pytest.FixtureRequest) -> Iterator[tuple[FaultProxy, StorageDriver, StorageDriver]]:
    """(proxy, driver through the proxy, driver straight to the server) for one provider."""
    upstream, driver_at = {"s3": _s3, "azure_blobs": _azure, "google_storage": _gcs, "swift": _swift}[
        request.param](request)
    with FaultProxy(upstream) as proxy:
        via = driver_at(proxy.url, timeout=(2.0, 2.0), retry=FAST_RETRY, part_size=PART,
                        multipart_threshold=PART, max_concurrency=2)
        yield proxy, via, driver_at(upstream)


@pytest.fixture
def setup(proxied: tuple[FaultProxy, StorageDriver, StorageDriver]) -> Iterator[tuple[FaultProxy, StorageDriver,
                                                                                     Container, Container]]:
    proxy, via, direct = proxied
    name = f"faults-{uuid.uuid4().hex[:12]}"
    direct.create_container(name)
    proxy.clear()
    yield proxy, via, via._as_container(name), direct._as_container(name)
    proxy.clear()
    for obj in direct.list_container_objects(direct._as_container(name)):
        direct.delete_object(obj)
    direct.delete_container(direct._as_container(name))
    segments = getattr(direct, "segment_container_for", None)
    if segments:
        with contextlib.suppress(ContainerDoesNotExistError):
            direct.delete_container(direct._as_container(segments(name)))


def _leftovers(driver: StorageDriver, container: Container) -> list[str]:
    """Objects, and multipart uploads or segments (where the provider has them) left for the container."""
    names = [obj.name for obj in driver.list_container_objects(container)]
    iterate_uploads = getattr(driver, "ex_iterate_multipart_uploads", None)
    if iterate_uploads:
        names += [f"upload:{upload.object_name}" for upload in iterate_uploads(container)]
    segments = getattr(driver, "segment_container_for", None)  # Swift's SLO segments
    if segments:
        with contextlib.suppress(ContainerDoesNotExistError):
            names += [f"segment:{obj.name}" for obj in driver.list_container_objects(
                driver._as_container(segments(container)))]
    return names


def _writes(method: str, path: str, headers: dict[str, str]) -> bool:
    return method in ("PUT", "POST") and int(headers.get("Content-Length") or 0) > MiB


def test_transient_faults_on_upload_still_store_identical_bytes(  # type: ignore[no-untyped-def]
    setup, request: pytest.FixtureRequest
) -> None:
    proxy, via, container, direct_container = setup
    if via.provider == "google_storage":
        request.applymarker(pytest.mark.xfail(strict=True, reason=(
            "fake-gcs-server 1.54 finalizes a resumable upload on the status query (bytes */*) and appends "
            "chunks whatever their Content-Range, so a broken chunk cannot be resumed against it; resumption "
            "is tested against recorded responses in tests/unit/drivers/test_google_storage_replay.py")))
    data = os.urandom(3 * PART + 123)
    proxy.inject(
        Fault("reset_request", after=100_000, when=_writes),
        Fault("status", status=500, when=_writes),
        Fault("status", status=503, retry_after="0", when=_writes),
        Fault("status", status=429, retry_after="1", when=_writes),
    )
    obj = via.upload_object_via_stream(iter([data[i:i + MiB] for i in range(0, len(data), MiB)]), container, "up")
    assert obj.size == len(data)
    assert [kind for _, _, kind in proxy.log].count("forwarded") >= 4  # the faults were met, then retried
    direct = direct_container.driver
    assert b"".join(direct.get_object(direct_container.name, "up").as_stream()) == data


def test_transient_faults_on_download_resume_and_verify(setup, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    proxy, via, container, _ = setup
    data = os.urandom(2 * PART + 999)
    via.upload_object_via_stream([data], container, "down")
    obj = via.get_object(container.name, "down")
    is_get = lambda method, path, headers: method == "GET" and "down" in path  # noqa: E731
    proxy.inject(Fault("reset_response", after=70_000, when=is_get), Fault("truncate", after=1000, when=is_get),
                 Fault("status", status=503, when=is_get), Fault("stall", seconds=3.0, when=is_get))
    target = tmp_path / "down.bin"
    via.download_object(obj, str(target))
    assert target.read_bytes() == data
    proxy.inject(Fault("reset_response", after=50_000, when=is_get))
    assert b"".join(via.download_object_as_stream(obj)) == data


def test_persistent_upload_failure_leaves_nothing(setup) -> None:  # type: ignore[no-untyped-def]
    proxy, via, container, direct_container = setup
    proxy.inject(Fault("status", status=503, times=10_000, when=_writes))
    with pytest.raises(StorageKitError) as info:
        via.upload_object_via_stream(iter([os.urandom(MiB) for _ in range(12)]), container, "never")
    assert info.value.http_status == 503
    proxy.clear()
    assert _leftovers(direct_container.driver, direct_container) == []


def test_persistent_download_failure_leaves_no_file(setup, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    proxy, via, container, _ = setup
    via.upload_object_via_stream([os.urandom(PART * 2)], container, "gone")
    obj = via.get_object(container.name, "gone")
    proxy.inject(Fault("reset_response", after=10_000, times=10_000, method="GET"))
    with pytest.raises(StorageKitError) as info:
        via.download_object(obj, str(tmp_path / "gone.bin"))
    assert info.value.retryable
    assert list(tmp_path.iterdir()) == []


# What is verified on which download path (the table in docs/architecture.md). Every row is
# exercised below through a flipped byte: (how the Object was found, how it is read).
_SOURCES = ("listed", "get_object")
_READS: dict[str, Callable[[StorageDriver, object, Path], bytes]] = {
    "download_object": lambda driver, obj, path: (driver.download_object(obj, str(path)), path.read_bytes())[1],
    "as_stream": lambda driver, obj, path: b"".join(driver.download_object_as_stream(obj)),
    "range_of_whole": lambda driver, obj, path: (
        driver.download_object_range(obj, str(path), 0, None), path.read_bytes())[1],
    "range_as_stream_of_whole": lambda driver, obj, path: b"".join(driver.download_object_range_as_stream(obj, 0)),
}


def _found(driver: StorageDriver, container: Container, name: str, source: str):  # type: ignore[no-untyped-def]
    if source == "listed":
        return next(obj for obj in driver.list_container_objects(container, prefix=name) if obj.name == name)
    return driver.get_object(container.name, name)


def test_a_flipped_byte_is_never_silent(setup, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """A single PUT object and a multipart one (read as parallel ranges), found by a listing or by
    get_object, read by every whole-object path: intact bytes pass, a flipped byte is an
    ObjectHashMismatchError that leaves no file."""
    proxy, via, container, _ = setup
    contents = {"flip-single": os.urandom(300_000), "flip-multi": os.urandom(PART + 200_000)}
    for name, data in contents.items():
        via.upload_object_via_stream([data], container, name)
    silent, intact_failed = [], []
    for (name, data), source, (path_name, read) in (
        (item, source, read) for item in contents.items() for source in _SOURCES for read in _READS.items()
    ):
        case = f"{name}/{source}/{path_name}"
        target = tmp_path / case.replace("/", "-")
        obj = _found(via, container, name, source)
        if read(via, obj, target) != data:
            intact_failed.append(case)
        target.unlink(missing_ok=True)
        proxy.inject(Fault("flip", after=123_456, method="GET", path_contains=name))
        try:
            read(via, obj, target)
        except ObjectHashMismatchError:
            pass
        else:
            silent.append(case)
        assert [kind for _, _, kind in proxy.log].count("flip") >= 1, case
        proxy.clear()
        assert list(tmp_path.iterdir()) == [], case
    assert intact_failed == []
    assert silent == []


def test_a_sync_restore_of_a_flipped_byte_writes_no_file(setup, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """``sync`` restores listed objects: a flipped byte is reported as an error, never written."""
    from storagekit.sync import sync
    from storagekit.urls import Location

    proxy, via, container, _ = setup
    via.upload_object_via_stream([os.urandom(200_000)], container, "backup/a.bin")
    # the object's bytes, not GCS's metadata GET (which a restore sends first to read the stored mtime)
    is_content = lambda method, path, headers: (  # noqa: E731
        method == "GET" and "a.bin" in path and ("alt=media" in path or not path.startswith("/storage/v1/")))
    proxy.inject(Fault("flip", after=99_999, when=is_content))
    report = sync(Location(via, container.name, "backup/", f"x://{container.name}/backup/"), str(tmp_path))
    assert report.copied == []
    assert "a.bin" in report.errors and "corrupt" in report.errors["a.bin"]
    assert list(tmp_path.rglob("*.bin")) == [] and list(tmp_path.rglob("*.part")) == []


# Requests whose success must carry something (an ETag, an object resource), per provider and step.
_PROMISES: dict[str, dict[str, Callable[[str, str, dict[str, str]], bool]]] = {
    "s3": {
        "single": lambda method, path, headers: method == "PUT" and "uploadId" not in path,
        "part": lambda method, path, headers: method == "PUT" and "partNumber=" in path,
        "complete": lambda method, path, headers: method == "POST" and "uploadId=" in path,
    },
    "azure_blobs": {
        "single": lambda method, path, headers: method == "PUT" and "comp=" not in path,
        "complete": lambda method, path, headers: method == "PUT" and "comp=blocklist" in path,
    },
    "google_storage": {
        "single": lambda method, path, headers: method == "POST" and "uploadType=multipart" in path,
        "chunk": lambda method, path, headers: method == "PUT" and "upload_id=" in path,
    },
    "swift": {
        "single": lambda method, path, headers: method == "PUT" and "/slo/" not in path and "multipart" not in path,
        "segment": lambda method, path, headers: method == "PUT" and "/slo/" in path,
        "manifest": lambda method, path, headers: method == "PUT" and "multipart-manifest=put" in path,
    },
}


def test_a_success_without_what_the_protocol_promises_is_malformed(setup) -> None:  # type: ignore[no-untyped-def]
    """A 200 without the ETag (S3, Azure) or the object resource (GCS) an upload step promises is a
    MalformedResponseError, never an Object, and leaves no object or multipart upload behind."""
    proxy, via, container, direct_container = setup
    family = type(via).__module__.split(".")[2]  # storagekit.drivers.<family>.driver
    for step, when in _PROMISES[family].items():
        proxy.inject(Fault("status", status=200, times=1, when=when))
        data = [os.urandom(1000)] if step == "single" else [os.urandom(PART), os.urandom(PART), b"end"]
        with pytest.raises(MalformedResponseError):
            via.upload_object_via_stream(iter(data), container, f"promise-{step}")
        assert [kind for _, _, kind in proxy.log].count("status") == 1, step
        proxy.clear()
        assert _leftovers(direct_container.driver, direct_container) == [], step



def test_a_hundred_breaks_that_each_move_on_do_not_end_a_download(  # type: ignore[no-untyped-def]
    setup, tmp_path: Path
) -> None:
    """Failures are counted per stall: 100 breaks, each after some new bytes, never make
    FAST_RETRY.max_attempts (6) failures in a row, so one sequential read survives them all."""
    proxy, via, container, _ = setup
    data = os.urandom(MiB + 17)
    via.upload_object_via_stream([data], container, "long")
    obj = via.get_object(container.name, "long")
    is_get = lambda method, path, headers: method == "GET" and "long" in path  # noqa: E731
    proxy.inject(Fault("truncate", after=4000, times=100, when=is_get))
    target = tmp_path / "long.bin"
    via.download_object(obj, str(target), max_concurrency=1)
    assert target.read_bytes() == data
    assert [kind for _, _, kind in proxy.log].count("truncate") == 100


def test_consecutive_breaks_without_progress_end_a_download(  # type: ignore[no-untyped-def]
    setup, tmp_path: Path
) -> None:
    """FAST_RETRY.max_attempts (6) breaks in a row that bring no new byte end the read with a
    typed, retryable error (the reopening requests counted in the same stall), and no file."""
    proxy, via, container, _ = setup
    via.upload_object_via_stream([os.urandom(300_000)], container, "stuck")
    obj = via.get_object(container.name, "stuck")
    is_get = lambda method, path, headers: method == "GET" and "stuck" in path  # noqa: E731
    proxy.inject(Fault("truncate", after=0, times=FAST_RETRY.max_attempts + 1, when=is_get))
    with pytest.raises(ConnectionBrokenError):
        via.download_object(obj, str(tmp_path / "stuck.bin"), max_concurrency=1)
    assert [kind for _, _, kind in proxy.log].count("truncate") == FAST_RETRY.max_attempts
    assert list(tmp_path.iterdir()) == []
