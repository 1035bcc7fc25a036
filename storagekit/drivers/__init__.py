"""One module per provider family; each implements the primitives of :mod:`storagekit.base`."""
