"""The plugin registers its driver the way its users will find it: ``get_driver("acme")``."""

from storagekit.providers import set_driver

set_driver("acme", "acme_storage", "AcmeStorageDriver")
