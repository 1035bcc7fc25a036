"""What storagekit writes, boto3 reads byte-identical with the same metadata, and the other way round."""

from __future__ import annotations

import io
import os
from typing import Any

from boto3.s3.transfer import TransferConfig

from storagekit.drivers.s3 import S3StorageDriver
from storagekit.models import Container

MiB = 1024 * 1024


def test_boto3_reads_what_storagekit_wrote(s3_driver: S3StorageDriver, bucket: Container, boto3_client: Any) -> None:
    small, large = os.urandom(1000), os.urandom(11 * MiB)
    s3_driver.upload_object_via_stream(small, bucket, "sk/small.bin", extra={"content_type": "image/png"},
                                       ex_meta={"author": "jane", "Project-Name": "Apollo"})
    s3_driver.upload_object_via_stream(iter([large]), bucket, "sk/large.bin", part_size=5 * MiB,
                                       multipart_threshold=5 * MiB, extra={"ContentType": "application/zip",
                                                                           "CacheControl": "no-store"},
                                       ex_meta={"kind": "multipart"})
    got = boto3_client.get_object(Bucket=bucket.name, Key="sk/small.bin")
    assert got["Body"].read() == small
    assert got["ContentType"] == "image/png"
    assert got["Metadata"] == {"author": "jane", "project-name": "Apollo"}
    got = boto3_client.get_object(Bucket=bucket.name, Key="sk/large.bin")
    assert got["Body"].read() == large
    assert (got["ContentType"], got["CacheControl"], got["Metadata"]) == ("application/zip", "no-store",
                                                                          {"kind": "multipart"})
    assert got["ETag"].strip('"').endswith("-3")


def test_storagekit_reads_what_boto3_wrote(s3_driver: S3StorageDriver, bucket: Container, boto3_client: Any) -> None:
    small, large = os.urandom(2000), os.urandom(12 * MiB)
    boto3_client.put_object(Bucket=bucket.name, Key="boto/small.txt", Body=small, ContentType="text/plain",
                            Metadata={"origin": "boto3"}, ContentDisposition="inline")
    boto3_client.upload_fileobj(io.BytesIO(large), bucket.name, "boto/large.bin",
                                ExtraArgs={"ContentType": "video/mp4", "Metadata": {"parts": "many"}},
                                Config=TransferConfig(multipart_threshold=5 * MiB, multipart_chunksize=5 * MiB))
    obj = s3_driver.get_object(bucket.name, "boto/small.txt")
    assert (obj.size, obj.extra["content_type"], obj.meta_data) == (2000, "text/plain", {"origin": "boto3"})
    assert obj.extra["content_disposition"] == "inline" and "md5" in obj.checksums
    assert b"".join(obj.as_stream()) == small
    obj = s3_driver.get_object(bucket.name, "boto/large.bin")
    assert (obj.size, obj.extra["content_type"], obj.meta_data) == (len(large), "video/mp4", {"parts": "many"})
    assert obj.checksums == {}
    assert b"".join(obj.as_stream(chunk_size=MiB)) == large
    names = [o.name for o in s3_driver.list_container_objects(bucket, prefix="boto/")]
    assert names == ["boto/large.bin", "boto/small.txt"]
