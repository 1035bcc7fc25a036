"""S3-specific behaviour against SeaweedFS: multipart, copies, batch delete, metadata, stale uploads."""

from __future__ import annotations

import base64
import hashlib
import os
from datetime import timedelta
from pathlib import Path

import pytest

from storagekit.drivers.s3 import S3StorageDriver
from storagekit.models import Container, Part
from storagekit.options import UploadOptions
from storagekit.types import ObjectDoesNotExistError, PreconditionFailedError

MiB = 1024 * 1024


def test_multipart_upload_of_four_parts(s3_driver: S3StorageDriver, bucket: Container, tmp_path: Path,
                                        boto3_client: object) -> None:
    data = os.urandom(16 * MiB + 7)
    source = tmp_path / "big.bin"
    source.write_bytes(data)
    obj = s3_driver.upload_object(str(source), bucket, "big.bin", part_size=5 * MiB, multipart_threshold=5 * MiB,
                                  ex_meta={"kind": "multipart"}, extra={"content_type": "application/x-test"})
    algorithm = s3_driver._crc  # type: ignore[attr-defined]
    whole = Part(1, 0, data).hexdigest(algorithm)
    assert obj.size == len(data) and obj.checksums == {algorithm: whole}
    head = boto3_client.head_object(Bucket=bucket.name, Key="big.bin", ChecksumMode="ENABLED")  # type: ignore
    assert head["ETag"].strip('"').endswith("-4")
    assert head["ChecksumType"] == "FULL_OBJECT"  # the parts' CRCs, combined, checked by the server
    assert base64.b64decode(head[f"Checksum{algorithm.upper()}"]).hex() == whole
    fetched = s3_driver.get_object(bucket.name, "big.bin")
    assert fetched.checksums == {algorithm: whole} and fetched.hash.endswith("-4")  # a multipart ETag is no MD5
    assert fetched.meta_data == {"kind": "multipart"} and fetched.extra["content_type"] == "application/x-test"
    assert hashlib.sha256(b"".join(fetched.as_stream())).digest() == hashlib.sha256(data).digest()
    assert list(s3_driver.ex_iterate_multipart_uploads(bucket)) == []


def test_failed_multipart_upload_is_aborted(s3_driver: S3StorageDriver, bucket: Container) -> None:
    def broken():  # type: ignore[no-untyped-def]
        yield os.urandom(11 * MiB)
        raise OSError("source went away")

    with pytest.raises(OSError, match="source went away"):
        s3_driver.upload_object_via_stream(broken(), bucket, "half.bin", part_size=5 * MiB,
                                           multipart_threshold=5 * MiB)
    assert list(s3_driver.ex_iterate_multipart_uploads(bucket)) == []
    assert not s3_driver.object_exists(bucket, "half.bin")


def test_stale_multipart_uploads_are_listed_and_cleaned(s3_driver: S3StorageDriver, bucket: Container) -> None:
    started = [s3_driver._multipart_start(bucket, f"stale/{i}.bin", UploadOptions()) for i in range(3)]
    s3_driver._multipart_start(bucket, "fresh/keep.bin", UploadOptions())
    listed = list(s3_driver.ex_iterate_multipart_uploads(bucket, prefix="stale/"))
    assert sorted(u.upload_id for u in listed) == sorted(u.upload_id for u in started)
    assert all(u.state["initiated"] for u in listed)
    assert s3_driver.ex_cleanup_multipart_uploads(bucket, older_than=timedelta(hours=1)) == 0
    assert s3_driver.ex_cleanup_multipart_uploads(bucket, older_than=timedelta(0), prefix="stale/") == 3
    assert [u.object_name for u in s3_driver.ex_iterate_multipart_uploads(bucket)] == ["fresh/keep.bin"]


def test_metadata_and_properties_round_trip(s3_driver: S3StorageDriver, bucket: Container) -> None:
    extra = {"content_type": "text/csv; charset=utf-8", "content_encoding": "identity",
             "ContentDisposition": 'attachment; filename="report 2024.csv"', "cache_control": "max-age=60",
             "content_language": "en-GB", "acl": "private", "StorageClass": "STANDARD_IA"}
    meta = {"author": "jane", "note": "it's  spaced", "empty-ish": "-"}
    s3_driver.upload_object_via_stream([b"a,b\n1,2\n"], bucket, "report.csv", extra=extra, ex_meta=meta)
    obj = s3_driver.get_object(bucket.name, "report.csv")
    assert obj.meta_data == meta
    assert obj.extra["content_type"] == "text/csv; charset=utf-8"
    assert obj.extra["content_disposition"] == 'attachment; filename="report 2024.csv"'
    assert obj.extra["cache_control"] == "max-age=60"
    assert obj.extra["content_language"] == "en-GB"
    assert obj.extra["content_encoding"] == "identity"
    assert obj.extra["storage_class"] == "STANDARD_IA"
    content = Part(1, 0, b"a,b\n1,2\n")
    assert obj.checksums == {"md5": content.hexdigest("md5"), s3_driver._crc: content.hexdigest(s3_driver._crc)}
    assert obj.extra["last_modified"].endswith("Z")


def test_server_side_copy_keeps_or_replaces_metadata(s3_driver: S3StorageDriver, bucket: Container) -> None:
    source = s3_driver.upload_object_via_stream([b"copy me"], bucket, "src/a.txt", ex_meta={"v": "1"},
                                                extra={"content_type": "text/plain"})
    kept = s3_driver.copy_object(s3_driver.get_object(bucket.name, "src/a.txt"), bucket, "dst/kept.txt")
    assert kept.checksums == {"md5": hashlib.md5(b"copy me").hexdigest()}
    replaced = s3_driver.copy_object(source, bucket, "dst/replaced.txt", extra={"content_type": "text/x-new"},
                                     ex_meta={"v": "2"})
    assert replaced.size == 7
    fetched_kept = s3_driver.get_object(bucket.name, "dst/kept.txt")
    fetched_replaced = s3_driver.get_object(bucket.name, "dst/replaced.txt")
    assert (fetched_kept.meta_data, fetched_kept.extra["content_type"]) == ({"v": "1"}, "text/plain")
    assert (fetched_replaced.meta_data, fetched_replaced.extra["content_type"]) == ({"v": "2"}, "text/x-new")
    assert b"".join(fetched_replaced.as_stream()) == b"copy me"


def test_copy_in_parts_above_the_threshold(s3_driver: S3StorageDriver, bucket: Container, seaweedfs: object) -> None:
    """UploadPartCopy, exercised on a small object by lowering the 5 GiB threshold of one driver."""
    driver = seaweedfs.driver()  # type: ignore[attr-defined]
    driver.multipart_copy_threshold = 5 * MiB
    driver.copy_part_size = 5 * MiB
    data = os.urandom(12 * MiB + 5)
    s3_driver.upload_object_via_stream(data, bucket, "large.bin", ex_meta={"origin": "test"})
    source = driver.get_object(bucket.name, "large.bin")
    copy = driver.copy_object(source, driver._as_container(bucket.name), "large-copy.bin")
    assert copy.size == len(data) and copy.hash.endswith("-3")
    fetched = driver.get_object(bucket.name, "large-copy.bin")
    assert fetched.meta_data == {"origin": "test"}
    assert b"".join(fetched.as_stream()) == data
    assert list(driver.ex_iterate_multipart_uploads(bucket)) == []


def test_batch_delete(s3_driver: S3StorageDriver, bucket: Container) -> None:
    names = [f"batch/{i:03d} & <{i}>" for i in range(25)] + ["batch/control\x01char"]  # the last: not XML-safe
    objects = [s3_driver.upload_object_via_stream([b"x"], bucket, name) for name in names]
    keep = s3_driver.upload_object_via_stream([b"keep"], bucket, "keep.txt")
    missing = s3_driver.upload_object_via_stream([b"m"], bucket, "missing.txt")
    s3_driver.delete_object(missing)
    assert s3_driver.delete_objects([*objects, missing]) == []  # a missing key is not an error in S3
    assert [o.name for o in s3_driver.list_container_objects(bucket)] == [keep.name]


def test_delete_of_a_missing_object_is_quiet(s3_driver: S3StorageDriver, bucket: Container) -> None:
    obj = s3_driver.upload_object_via_stream([b"x"], bucket, "once.txt")
    assert s3_driver.delete_object(obj) is True
    assert s3_driver.delete_object(obj) is True
    with pytest.raises(ObjectDoesNotExistError):
        s3_driver.get_object(bucket.name, "once.txt")


def test_a_read_never_mixes_two_versions(s3_driver: S3StorageDriver, bucket: Container) -> None:
    s3_driver.upload_object_via_stream(b"A" * 1000, bucket, "v.bin")
    obj = s3_driver.get_object(bucket.name, "v.bin")
    s3_driver.upload_object_via_stream(b"B" * 1000, bucket, "v.bin")
    with pytest.raises(PreconditionFailedError):
        b"".join(s3_driver.download_object_range_as_stream(obj, 500, 1000))


def test_create_only_multipart_upload(s3_driver: S3StorageDriver, bucket: Container) -> None:
    data = os.urandom(6 * MiB)
    s3_driver.upload_object_via_stream(data, bucket, "once.bin", part_size=5 * MiB, multipart_threshold=5 * MiB,
                                       extra={"if_none_match": "*"})
    with pytest.raises(PreconditionFailedError):
        s3_driver.upload_object_via_stream(os.urandom(6 * MiB), bucket, "once.bin", part_size=5 * MiB,
                                           multipart_threshold=5 * MiB, extra={"if_none_match": "*"})
    assert b"".join(s3_driver.get_object(bucket.name, "once.bin").as_stream()) == data
    assert list(s3_driver.ex_iterate_multipart_uploads(bucket)) == []
