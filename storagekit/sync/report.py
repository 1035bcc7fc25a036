"""What a sync did (or would do), and where a running sync stands."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class SyncProgress:
    """Where a sync stands; handed to the progress callback as bytes move, not only per file.

    ``bytes_done`` counts bytes transferred (uploaded, downloaded or copied) of ``bytes_total``;
    ``hashed`` counts bytes read to compute checksums before an upload, which is work too.
    """

    files_done: int
    files_total: int
    bytes_done: int
    bytes_total: int
    current: str
    hashed: int = 0


@dataclass
class SyncReport:
    """What a sync did, or with ``dry_run`` would do.

    Attributes:
        copied: names copied (would be copied), relative to the synced roots.
        deleted: names deleted (would be deleted) at the destination.
        in_sync: names the quick check found already in place (``unchanged`` counts them).
        skipped: names left out, each with the reason (excluded by a filter, a symlink not
            followed, a special file, a name the destination cannot hold, ...).
        bytes_copied: bytes of the copied files (with ``dry_run``: that would be copied).
        errors: names that failed, each with the error; a run with errors deletes nothing.
        dry_run: nothing was changed; ``copied`` and ``deleted`` say what would be.
        interrupted: the run was stopped (Ctrl-C) after the transfers under way finished.
        deletes_withheld: why deletions were not made although ``delete`` was asked, or "".
    """

    copied: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    in_sync: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)
    bytes_copied: int = 0
    errors: dict[str, str] = field(default_factory=dict)
    dry_run: bool = False
    interrupted: bool = False
    deletes_withheld: str = ""

    @property
    def unchanged(self) -> int:
        """How many names were already in place."""
        return len(self.in_sync)

    @property
    def would(self) -> bool:
        """True for a dry run: the report says what would happen."""
        return self.dry_run

    @property
    def ok(self) -> bool:
        """True when nothing failed and the run was not interrupted."""
        return not self.errors and not self.interrupted

    def to_dict(self) -> dict[str, Any]:
        """The report as JSON-ready data (exact names, sorted lists)."""
        return {
            "dry_run": self.dry_run, "interrupted": self.interrupted,
            "copied": sorted(self.copied), "deleted": sorted(self.deleted),
            "unchanged": self.unchanged, "skipped": dict(sorted(self.skipped.items())),
            "errors": dict(sorted(self.errors.items())), "bytes_copied": self.bytes_copied,
            "deletes_withheld": self.deletes_withheld,
            "counts": {"copied": len(self.copied), "deleted": len(self.deleted), "unchanged": self.unchanged,
                       "skipped": len(self.skipped), "failed": len(self.errors)},
        }


class SyncInterrupted(KeyboardInterrupt):
    """Ctrl-C stopped a sync: the transfers under way finished, nothing was deleted.

    Attributes:
        report: what the sync had done when it stopped (``interrupted`` is True).
    """

    def __init__(self, report: SyncReport) -> None:
        super().__init__("sync interrupted")
        self.report = report
