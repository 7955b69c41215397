"""Pure export writers: career-record tables -> the analysis bundle (CSV, XLSX, Parquet, SAV, DTA, ...).

No Flask, no database: rows come from a callable, so the writers are tested with plain data.
"""

from workers.exports.bundle import (
    BundleMeta,
    BundleOptions,
    BundleResult,
    RowSource,
    build_bundle,
    bundle_filename,
    sha256_file,
)
from workers.exports.schema import ExportColumn, ExportTable, export_tables, free_text_columns

__all__ = [
    "BundleMeta",
    "BundleOptions",
    "BundleResult",
    "ExportColumn",
    "ExportTable",
    "RowSource",
    "build_bundle",
    "bundle_filename",
    "export_tables",
    "free_text_columns",
    "sha256_file",
]
