"""Directory <-> container <-> container sync that cannot destroy a backup by mistake.

A sync copies every source file or object the destination lacks or holds in another
version, in parallel, and with ``delete=True`` then removes what the source no longer has.
A **quick check** decides what changed: size and modification time (as rclone and
``aws s3 sync`` do), or size and MD5 with ``compare="checksum"``, or size alone. Uploads
record each file's mtime and mode as rclone does (see :mod:`storagekit.file_metadata`) and
its MD5 (``storagekit_md5``); restores give files their mtime and mode back, so the next
sync in either direction reads no file content for files that did not change.

Safety, in the order a run checks it: a source that does not exist is an error before
anything is copied or deleted (``SourceNotFoundError``); so is a missing destination
container unless ``create=True``; a delete plan that would empty the destination from a
source with nothing to sync, or remove more than ``max_delete``, is refused
(``SyncRefusedError``); deletions run last, only when every copy succeeded and every source
file could be read. Names left out are reported with the reason (``SyncReport.skipped``);
storagekit's temp files (``.<name>.<12 hex>.part``) and manifests are never synced nor deleted.
Ctrl-C lets the transfers under way finish and raises :class:`SyncInterrupted` holding the report.

Usage::

    report = sync("./photos", "s3://backups/photos", delete=True, max_delete=100)
    print(len(report.copied), report.unchanged, report.skipped)
"""

from .ends import MD5_META, Directory, Entry, Scan, Store, open_end
from .engine import COMPARE_MODES, sync
from .report import SyncInterrupted, SyncProgress, SyncReport

__all__ = ["COMPARE_MODES", "MD5_META", "Directory", "Entry", "Scan", "Store", "SyncInterrupted", "SyncProgress",
           "SyncReport", "open_end", "sync"]
