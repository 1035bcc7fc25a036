"""Benchmarks: storagekit against boto3, libcloud, obstore and the Azure and Google SDKs (see README.md)."""
