"""The export bundle: every file written into a work directory, then one deterministic zip.

``build_bundle`` takes a row source (a callable giving the rows of an :class:`ExportTable`, in its
column order and sorted by its key) and writes the zip described in ../shared/spec/records.md. It
knows nothing of the database: the same function serves the Celery job, the CLI and the tests.
"""

from __future__ import annotations

import csv
import ctypes
import ctypes.util
import hashlib
import io
import json
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

import pyarrow as pa

from instruments.contract import VOCABULARIES
from workers.exports import codebook, coding, stats, tabular
from workers.exports.cells import as_text, iso_utc
from workers.exports.datapackage import datapackage
from workers.exports.schema import (
    CONTACT_COLUMNS,
    STATS_TABLES,
    TABULAR_TABLES,
    ExportColumn,
    ExportTable,
    export_tables,
)

RowSource = Callable[[ExportTable], Iterable[Sequence[Any]]]
Progress = Callable[[int, int], None]
#: Zip time of every file but README.txt: the same rows give the same bytes.
FIXED_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
_CHUNK = 1 << 20
#: Files that are compressed already (the workbook is a zip, Parquet zstd, a .qdpx a zip): stored as they are.
_COMPRESSED = (".xlsx", ".parquet", ".qdpx")


@dataclass(frozen=True)
class BundleMeta:
    study: str  #: the study's slug
    title: str
    languages: tuple[str, ...]
    instrument_versions: dict[str, str]
    pipeline_version: str
    created_at: datetime


@dataclass(frozen=True)
class BundleOptions:
    bom: bool = False  #: CSV files with a byte-order mark (Excel on Windows)
    with_pii: bool = False  #: contacts.csv and free-text columns; owners only, with a reason
    cleared: frozenset[str] = frozenset()  #: free-text columns cleared for de-identified bundles


@dataclass(frozen=True)
class BundleResult:
    path: Path
    filename: str
    size: int
    sha256: str
    counts: dict[str, int] = field(default_factory=dict)

    def as_job_result(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "size": self.size,
            "sha256": self.sha256,
            "filename": self.filename,
            "counts": self.counts,
        }


def bundle_filename(study: str, created_at: datetime) -> str:
    """``<study>-<YYYYMMDDTHHMMSSZ>.zip``."""
    return f"{study}-{created_at.astimezone(UTC):%Y%m%dT%H%M%SZ}.zip"


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


#: A further file of the bundle: its content, or a function writing it into the open file (an upload, decrypted
#: only when its turn comes, so that a study's files are never all in memory at once).
ExtraFile = bytes | Callable[[BinaryIO], object]


def build_bundle(
    *,
    rows: RowSource,
    meta: BundleMeta,
    out_dir: Path,
    options: BundleOptions | None = None,
    contacts: Callable[[], Iterable[Sequence[str | None]]] | None = None,
    progress: Progress | None = None,
    extra: Callable[[], dict[str, ExtraFile]] | None = None,
) -> BundleResult:
    """Write the bundle zip into ``out_dir`` and return where it is, its size and SHA-256.

    ``contacts`` (bundles with personal data only) gives rows of ``CONTACT_COLUMNS``; ``progress``
    is called with (steps done, steps in all) after each file; ``extra`` gives further files (name ->
    :data:`ExtraFile`: the coding's codebook, agreement, and with personal data its coded segments and .qdpx;
    the uploads' list, and with personal data the files, each written when its turn comes).
    """
    options = options or BundleOptions()
    if contacts is not None and not options.with_pii:
        raise ValueError("contacts are only written into a bundle with personal data")
    tables = export_tables(with_pii=options.with_pii, cleared=options.cleared)
    out_dir.mkdir(parents=True, exist_ok=True)
    total = len(TABULAR_TABLES) + 1 + len(STATS_TABLES) + 2 + (1 if contacts else 0)
    done = 0

    def step() -> None:
        nonlocal done
        done += 1
        release_memory()
        if progress is not None:
            progress(done, total)

    counts: dict[str, int] = {}
    with compact_memory(), tempfile.TemporaryDirectory(dir=out_dir, prefix=".export-") as tmp:
        work = Path(tmp)
        files = work / "files"
        files.mkdir()
        workbook = tabular.open_workbook(files / "tables.xlsx", work)
        try:
            for name in TABULAR_TABLES:
                counts[name] = tabular.write_table(
                    table=tables[name],
                    rows=rows(tables[name]),
                    directory=files,
                    workbook=workbook,
                    bom=options.bom,
                )
                step()
        finally:
            workbook.close()
        counts["sequences_sts"], width = tabular.write_sts(
            rows=lambda: rows(tables["sequences_sts"]), path=files / "sequences_sts.csv", bom=options.bom
        )
        step()
        for name in STATS_TABLES:  # from the Parquet file just written: no second read of the rows
            stats.write_stats(table=tables[name], parquet=files / f"{name}.parquet", sav=files / f"{name}.sav",
                              dta=files / f"{name}.dta")
            step()
        if contacts is not None:
            counts["contacts"] = _write_contacts(contacts(), files / "contacts.csv", bom=options.bom)
            step()
        extra_tables: list[ExportTable] = []
        added = extra() if extra is not None else {}
        for extra_name, data in added.items():
            if not isinstance(data, bytes):
                with open(files / extra_name, "wb") as fh:
                    data(fh)
                continue
            (files / extra_name).write_bytes(data)
            if extra_name.endswith(".csv"):  # described in datapackage.json and the codebook like every table
                header, n_rows = _csv_shape(data)
                extra_tables.append(_described(extra_name[: -len(".csv")], header))
                counts[extra_name[: -len(".csv")]] = n_rows
        listed = [tables[n] for n in TABULAR_TABLES]
        descriptor = datapackage(
            study=meta.study,
            title=meta.title,
            tables=listed,
            sts_width=width,
            states=VOCABULARIES["state"],
            bom=options.bom,
            contacts=contacts is not None,
            version=meta.pipeline_version,
            extra_tables=extra_tables,
        )
        (files / "datapackage.json").write_text(
            json.dumps(descriptor, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
        )
        for suffix, render in (("md", codebook.codebook_markdown), ("html", codebook.codebook_html)):
            text = render(title=meta.title, tables=listed, languages=meta.languages, sts_width=width,
                          extra_tables=extra_tables, study_codes=coding.study_codes(
                              {k: v for k, v in added.items() if isinstance(v, bytes)}))
            (files / f"codebook.{suffix}").write_text(text, encoding="utf-8")
        step()
        names = sorted(p.name for p in files.iterdir())
        sums = {n: sha256_file(files / n) for n in names}
        readme = readme_text(
            meta=meta, options=options, counts=counts, sums=sums, contacts=contacts is not None
        )
        filename = bundle_filename(meta.study, meta.created_at)
        partial = work / filename
        _zip(partial, files, names, readme, meta.created_at)
        final = out_dir / filename
        shutil.move(str(partial), final)
        step()
    return BundleResult(
        path=final, filename=filename, size=final.stat().st_size, sha256=sha256_file(final), counts=counts
    )


def _described(name: str, header: list[str]) -> ExportTable:
    """A CSV file another area added, as a table: the coding's own description, else text columns."""
    return coding.described(name, header) or ExportTable(
        name=name, label=name.replace("_", " ").capitalize(),
        columns=tuple(ExportColumn(n, "string", n) for n in header), primary_key=())


def _csv_shape(data: bytes) -> tuple[list[str], int]:
    """The header and the number of data rows of a CSV file another area adds to the bundle."""
    reader = csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""))
    header = next(reader, [])
    return header, sum(1 for _ in reader)


@contextmanager
def compact_memory() -> Iterator[None]:
    """Arrow's allocations from jemalloc with no decay while a bundle is written: memory a step frees
    goes back to the system at once instead of staying in the allocator's caches, so the peak is the
    largest step's, not the sum of what every step left behind."""
    try:
        pool = pa.jemalloc_memory_pool()
        pa.jemalloc_set_decay_ms(0)
    except NotImplementedError:  # a pyarrow built without jemalloc
        yield
        return
    previous = pa.default_memory_pool()
    pa.set_memory_pool(pool)
    try:
        yield
    finally:
        pa.set_memory_pool(previous)


def release_memory() -> None:
    """Hand memory the last step freed back to the system (Arrow's pool, then the C heap, where many small
    Python objects leave free pages the allocator would otherwise keep). No ``gc.collect()``: the steps make
    no reference cycles worth a full collection (5 % of a bundle's time); reference counting frees them."""
    pa.default_memory_pool().release_unused()
    if _LIBC is not None:
        _LIBC.malloc_trim(0)


def _libc() -> Any:
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.malloc_trim.argtypes = [ctypes.c_size_t]
    except (OSError, AttributeError):  # not glibc: nothing to trim
        return None
    return libc


_LIBC = _libc()


def _write_contacts(rows: Iterable[Sequence[str | None]], path: Path, *, bom: bool) -> int:
    count = 0
    with open(path, "w", encoding="utf-8-sig" if bom else "utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\r\n")
        writer.writerow(CONTACT_COLUMNS)
        for row in rows:
            writer.writerow([as_text(v) for v in row])
            count += 1
    return count


def _zip(path: Path, files: Path, names: list[str], readme: str, created_at: datetime) -> None:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=3) as zf:
        info = zipfile.ZipInfo("README.txt", date_time=created_at.astimezone(UTC).timetuple()[:6])
        info.compress_type, info.external_attr = zipfile.ZIP_DEFLATED, 0o644 << 16
        zf.writestr(info, readme.encode("utf-8"))
        for name in names:
            member = zipfile.ZipInfo(name, date_time=FIXED_ZIP_TIME)
            stored = name.endswith(_COMPRESSED)  # deflating them again costs time and saves nothing
            member.compress_type = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
            member.external_attr = 0o644 << 16
            with open(files / name, "rb") as src, zf.open(member, "w", force_zip64=True) as dst:
                shutil.copyfileobj(src, dst, _CHUNK)


def readme_text(
    *, meta: BundleMeta, options: BundleOptions, counts: dict[str, int], sums: dict[str, str], contacts: bool
) -> str:
    """README.txt: study, versions, time, what is (not) in the bundle, row counts and SHA-256 sums."""
    lines = [
        "Keireki export bundle",
        "",
        f"Study: {meta.study} ({meta.title})",
        f"Exported at (UTC): {iso_utc(meta.created_at)}",
        f"Records pipeline version: {meta.pipeline_version}",
        "Instrument versions:",
        *(f"  {ident} {version}" for ident, version in sorted(meta.instrument_versions.items())),
        "",
        "Personal data: "
        + (
            "contacts.csv holds direct identifiers; keep this file secured and delete it "
            "when no longer needed."
            if contacts
            else "none (de-identified export)"
        ),
        "Free-text columns: "
        + (
            "included"
            if options.with_pii
            else ("cleared: " + ", ".join(sorted(options.cleared)) if options.cleared else "dropped")
        ),
        "CSV encoding: " + ("UTF-8 with byte-order mark" if options.bom else "UTF-8"),
        "",
        "Rows:",
        *(f"  {name}: {n}" for name, n in counts.items()),
        "",
        "SHA-256:",
        *(f"  {digest}  {name}" for name, digest in sums.items()),
        "",
        "See codebook.html (or codebook.md) for every column and code list, and datapackage.json for the",
        "machine-readable schema (frictionless validate datapackage.json).",
        "",
    ]
    return "\n".join(lines)
