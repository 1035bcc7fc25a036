"""The peak resident memory of a child process, for the scripts of the memory-bound tests.

The tests run their transfer in a fresh interpreter (``python -c SCRIPT``) and compare its peak
resident set after the work with the one before. The peak is ``VmHWM`` from
``/proc/self/status``, not ``ru_maxrss``: Linux carries the parent's high-water mark into
``ru_maxrss`` across fork and exec, so with pytest's own peak above the child's the growth
would read as zero whatever the code held.
"""

from __future__ import annotations

import textwrap

HIGH_WATER_MARK = textwrap.dedent("""
    def high_water_mark():
        with open("/proc/self/status", encoding="ascii") as status:
            return next(int(line.split()[1]) * 1024 for line in status if line.startswith("VmHWM:"))
""")
"""Source defining ``high_water_mark()``, this process's peak resident set in bytes: put it first in a script."""
