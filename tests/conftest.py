"""Test-wide fixtures: each driver's fixture module, loaded as a pytest plugin."""

pytest_plugins = [
    "tests.support.azure_blobs",
    "tests.support.dask_cluster",
    "tests.support.google_storage",
    "tests.support.local",
    "tests.support.memory",
    "tests.support.moto_server",
    "tests.support.s3",
    "tests.support.swift",
]
