"""A third-party driver, as a plugin package would ship it: here the in-memory store under its own name."""

from __future__ import annotations

from storagekit.drivers.memory import MemoryStorageDriver


class AcmeStorageDriver(MemoryStorageDriver):
    """Acme's object store (for this example, storagekit's memory store renamed)."""

    name = "Acme Storage"
    provider = "acme"
