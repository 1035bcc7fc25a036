"""Wide parquet files of random numbers, written a row group at a time (bounded memory).

Shared by the data-stack tests (tests/integration/fs/) and the fsspec benchmark
(benchmarks/fsspec_bench.py): both read two of the columns and need a file whose columns
are far smaller than the whole, with data that does not compress (so the bytes on the wire
are the bytes of the file).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

MiB = 1024 * 1024
COLUMNS = 20
ROW_GROUP_ROWS = 131_072
"""Rows per row group: 20 float64 columns make a 20 MiB row group, one column chunk of 1 MiB."""


def column_names(count: int = COLUMNS) -> list[str]:
    return [f"c{index:02d}" for index in range(count)]


def write_wide_parquet(path: Path, size: int, columns: int = COLUMNS, seed: int = 0) -> int:
    """Write about ``size`` bytes of parquet: ``columns`` float64 columns of uniform random values.

    Args:
        path: where to write.
        size: the target file size in bytes (the file is within a row group's size of it).
        columns: how many columns.
        seed: the random generator's seed (the same seed gives the same file).

    Returns:
        the number of rows written.
    """
    generator = np.random.default_rng(seed)
    schema = pa.schema([(name, pa.float64()) for name in column_names(columns)])
    rows_wanted = max(1, size // (8 * columns))
    written = 0
    with pq.ParquetWriter(path, schema, compression="none", use_dictionary=False,
                          write_statistics=False) as writer:
        while written < rows_wanted:
            rows = min(ROW_GROUP_ROWS, rows_wanted - written)
            arrays = [pa.array(generator.random(rows)) for _ in range(columns)]
            writer.write_table(pa.Table.from_arrays(arrays, schema=schema), row_group_size=rows)
            written += rows
    return written
