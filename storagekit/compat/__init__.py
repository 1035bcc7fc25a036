"""Other projects' storage APIs as thin doors into storagekit, so their users' code runs unchanged.

* :mod:`storagekit.compat.cloudbridge`: CloudBridge's object storage (``CloudProviderFactory``,
  ``provider.storage.buckets``, ``bucket.objects``) over any storagekit driver.
* :mod:`storagekit.compat.octue`: Octue's ``Datafile`` / ``Dataset`` / ``Manifest`` argument names
  and cloud layout, over :mod:`storagekit.manifest`.

Lightly's datasource checks need no module of their own: ``check_permissions(...,
purpose="input" | "lightly")`` and ``storagekit check --purpose`` (see :mod:`storagekit.permissions`).
"""
