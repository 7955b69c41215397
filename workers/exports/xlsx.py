"""A streaming XLSX writer for the export's record batches.

The worksheets' XML is made by Arrow for a whole record batch at a time (one string kernel per column and
one per row, no Python object per cell), so a workbook costs about what its CSV files cost. Each sheet's
rows go to a spool file beside the workbook while they are written, then into the zip with the sheet's
``<dimension>`` in front of them (readers such as openpyxl's read-only mode size rows from it). Strings
are inline (``t="inlineStr"``), escaped as XlsxWriter escapes them (``&<>``, control characters as
``_xHHHH_``), the header row bold; the document time is fixed, so the same rows give the same bytes.

The package holds only the parts a workbook needs: content types, relationships, core and app
properties, ``workbook.xml``, ``styles.xml`` and one part per sheet.
"""

from __future__ import annotations

import re
import shutil
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import IO
from xml.sax.saxutils import escape

import pyarrow as pa
import pyarrow.compute as pc

MAX_ROWS = 1_048_576
#: Zip time of every part: the same rows give the same bytes.
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
_CREATED = "2000-01-01T00:00:00Z"
_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_CT = "application/vnd.openxmlformats-officedocument"

#: Text XlsxWriter writes as ``_xHHHH_``: control characters (not tab or line feed), the two non-characters,
#: and a literal ``_xHHHH_`` (its underscore escaped), in RE2 and in Python syntax.
_CONTROL_RE2 = r"_x[0-9a-fA-F]{4}_|[\x00-\x08\x0b-\x1f]|\x{FFFE}|\x{FFFF}"
_ESCAPE_RE = re.compile(r"(_x[0-9a-fA-F]{4}_)|([\x00-\x08\x0b-\x1f\ufffe\uffff])")
_XML_RE2 = r"[&<>]"
_SPECIAL_RE2 = f"{_XML_RE2}|{_CONTROL_RE2}"
#: Text whose leading or trailing white space a reader keeps only with ``xml:space="preserve"``.
_SPACE_RE2 = r"^\s|\s$"


def _control_escaped(text: str) -> str:
    return _ESCAPE_RE.sub(lambda m: "_x005F" + m.group(1) if m.group(1) else f"_x{ord(m.group(2)):04X}_", text)


def xml_text(values: pa.Array) -> pa.Array:
    """String cells as XML text: ``& < >`` as entities, control characters as Excel's ``_xHHHH_``."""
    if not pc.any(pc.match_substring_regex(values, _SPECIAL_RE2)).as_py():  # the usual case: one pass
        return values
    if pc.any(pc.match_substring_regex(values, _CONTROL_RE2)).as_py():  # rare: one column of one batch in Python
        values = pa.array([None if v is None else _control_escaped(v) for v in values.to_pylist()], pa.string())
    if pc.any(pc.match_substring_regex(values, _XML_RE2)).as_py():
        for raw, entity in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;")):
            values = pc.replace_substring(values, raw, entity)
    return values


def column_letters(index: int) -> str:
    """``0`` -> ``A``, ``26`` -> ``AA``."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


class Sheet:
    """One worksheet: a header row, then record batches of ``kinds`` (``string``, ``number``, ``boolean``)."""

    def __init__(self, book: Workbook, index: int, name: str, header: Sequence[str], kinds: Sequence[str]) -> None:
        self.book, self.index, self.name, self.kinds = book, index, name, list(kinds)
        self.letters = [column_letters(i) for i in range(len(kinds))]
        self.spool_path = book.tmpdir / f".sheet{index}.xml"
        self.spool: IO[bytes] | None = open(self.spool_path, "wb")  # noqa: SIM115 - closed by finish()
        self.rows = 1
        cells = "".join(f'<c r="{col}1" s="1" t="inlineStr"><is><t>{_cell_text(h)}</t></is></c>'
                        for col, h in zip(self.letters, header, strict=True))
        self.spool.write(f'<row r="1">{cells}</row>'.encode())

    def write(self, batch: pa.RecordBatch) -> None:
        """Append the rows of ``batch`` (its columns in the sheet's order, strings already neutralised)."""
        n = batch.num_rows
        if n == 0:
            return
        if self.rows + n > MAX_ROWS:
            raise ValueError("table too large for one XLSX worksheet (1,048,576 rows)")
        assert self.spool is not None, "sheet already finished"
        numbers = pc.cast(pa.array(range(self.rows + 1, self.rows + n + 1), pa.int64()), pa.string())
        cells = [self._cells(letters, kind, values, numbers)
                 for letters, kind, values in zip(self.letters, self.kinds, batch.columns, strict=True)]
        rows = pc.binary_join_element_wise(pa.scalar('<row r="'), numbers, pa.scalar('">'), *cells,
                                           pa.scalar("</row>"), "", null_handling="skip")  # missing: no cell
        self.spool.write(_concatenated(rows))
        self.rows += n

    @staticmethod
    def _cells(letters: str, kind: str, values: pa.Array, numbers: pa.Array) -> pa.Array:
        if kind == "boolean":
            kind_attr, text = ' t="b"><v>', pc.if_else(values, "1", "0")
            close = "</v></c>"
        elif kind == "number":
            text = pc.cast(values, pa.string())
            if pa.types.is_floating(values.type) and not pc.all(pc.is_finite(pc.fill_null(values, 0))).as_py():
                return Sheet._cells(letters, "string", text, numbers)  # nan/inf as the CSV shows them
            kind_attr, close = "><v>", "</v></c>"
        else:
            text = xml_text(values)
            spaced = pc.any(pc.match_substring_regex(text, _SPACE_RE2)).as_py()  # a batch at a time, as is cheap
            kind_attr = ' t="inlineStr"><is><t xml:space="preserve">' if spaced else ' t="inlineStr"><is><t>'
            close = "</t></is></c>"
        return pc.binary_join_element_wise(pa.scalar(f'<c r="{letters}'), numbers, pa.scalar('"' + kind_attr),
                                           text, pa.scalar(close), "")  # null where the value is missing

    def finish(self) -> None:
        """Put the sheet into the workbook: its head (with the dimension), the spooled rows, its tail."""
        if self.spool is None:
            return
        self.spool.close()
        self.spool = None
        last = f"{self.letters[-1]}{self.rows}" if self.letters else "A1"
        view = ' tabSelected="1"' if self.index == 1 else ""
        head = (f'{_HEAD}<worksheet xmlns="{_MAIN}" xmlns:r="{_REL}"><dimension ref="A1:{last}"/>'
                f'<sheetViews><sheetView{view} workbookViewId="0"/></sheetViews>'
                '<sheetFormatPr defaultRowHeight="15"/><sheetData>')
        tail = ('</sheetData><pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" '
                'footer="0.3"/></worksheet>')
        info = self.book.member(f"xl/worksheets/sheet{self.index}.xml")
        with self.book.zip.open(info, "w", force_zip64=True) as out, open(self.spool_path, "rb") as rows:
            out.write(head.encode())
            shutil.copyfileobj(rows, out, 1 << 20)
            out.write(tail.encode())
        self.spool_path.unlink()


def _concatenated(strings: pa.Array) -> memoryview:
    """The values of a string array without nulls, one after the other: the bytes of its data buffer between
    its first and last offsets (no copy)."""
    offsets = memoryview(strings.buffers()[1]).cast("i")
    first, last = offsets[strings.offset], offsets[strings.offset + len(strings)]
    return memoryview(strings.buffers()[2])[first:last]


def _cell_text(text: str) -> str:
    return escape(_control_escaped(text))


class Workbook:
    """An XLSX file written sheet after sheet (one sheet open at a time); :meth:`close` adds the other parts."""

    def __init__(self, path: Path, tmpdir: Path, *, compresslevel: int = 1) -> None:
        self.tmpdir, self.compresslevel = tmpdir, compresslevel
        self.zip = zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=compresslevel)
        self.sheets: list[Sheet] = []

    def member(self, name: str) -> zipfile.ZipInfo:
        info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
        info.compress_type = zipfile.ZIP_DEFLATED
        info._compresslevel = self.compresslevel  # type: ignore[attr-defined]  # zipfile has no public setter
        return info

    def add_sheet(self, name: str, header: Sequence[str], kinds: Sequence[str]) -> Sheet:
        if self.sheets:
            self.sheets[-1].finish()
        sheet = Sheet(self, len(self.sheets) + 1, name[:31], header, kinds)
        self.sheets.append(sheet)
        return sheet

    def close(self) -> None:
        try:
            if self.sheets:
                self.sheets[-1].finish()
            for name, text in self._parts().items():
                self.zip.writestr(self.member(name), (_HEAD + text).encode())
        finally:
            self.zip.close()
            for sheet in self.sheets:
                if sheet.spool is not None:
                    sheet.spool.close()
                sheet.spool_path.unlink(missing_ok=True)

    def _parts(self) -> dict[str, str]:
        n = len(self.sheets)
        sheet_types = "".join(f'<Override PartName="/xl/worksheets/sheet{s.index}.xml" '
                              f'ContentType="{_CT}.spreadsheetml.worksheet+xml"/>' for s in self.sheets)
        sheet_rels = "".join(f'<Relationship Id="rId{s.index}" Type="{_REL}/worksheet" '
                             f'Target="worksheets/sheet{s.index}.xml"/>' for s in self.sheets)
        sheets = "".join(f'<sheet name="{escape(s.name, {chr(34): "&quot;"})}" sheetId="{s.index}" '
                         f'r:id="rId{s.index}"/>' for s in self.sheets)
        titles = "".join(f"<vt:lpstr>{escape(s.name)}</vt:lpstr>" for s in self.sheets)
        return {
            "[Content_Types].xml": (
                '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                f'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
                '<Default Extension="xml" ContentType="application/xml"/>'
                f'<Override PartName="/docProps/app.xml" ContentType="{_CT}.extended-properties+xml"/>'
                '<Override PartName="/docProps/core.xml" '
                'ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>'
                f'<Override PartName="/xl/styles.xml" ContentType="{_CT}.spreadsheetml.styles+xml"/>'
                f'<Override PartName="/xl/workbook.xml" ContentType="{_CT}.spreadsheetml.sheet.main+xml"/>'
                f"{sheet_types}</Types>"),
            "_rels/.rels": (
                f'<Relationships xmlns="{_PKG_REL}">'
                f'<Relationship Id="rId1" Type="{_REL}/officeDocument" Target="xl/workbook.xml"/>'
                '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/'
                'metadata/core-properties" Target="docProps/core.xml"/>'
                f'<Relationship Id="rId3" Type="{_REL}/extended-properties" Target="docProps/app.xml"/>'
                "</Relationships>"),
            "docProps/core.xml": (
                '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/'
                'core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/'
                'terms/" xmlns:dcmitype="http://purl.org/dc/dcmitype/" xmlns:xsi="http://www.w3.org/2001/'
                'XMLSchema-instance"><dc:creator></dc:creator><cp:lastModifiedBy></cp:lastModifiedBy>'
                f'<dcterms:created xsi:type="dcterms:W3CDTF">{_CREATED}</dcterms:created>'
                f'<dcterms:modified xsi:type="dcterms:W3CDTF">{_CREATED}</dcterms:modified></cp:coreProperties>'),
            "docProps/app.xml": (
                '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties" '
                'xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">'
                "<Application>Keireki</Application><DocSecurity>0</DocSecurity><ScaleCrop>false</ScaleCrop>"
                '<HeadingPairs><vt:vector size="2" baseType="variant"><vt:variant><vt:lpstr>Worksheets</vt:lpstr>'
                f"</vt:variant><vt:variant><vt:i4>{n}</vt:i4></vt:variant></vt:vector></HeadingPairs>"
                f'<TitlesOfParts><vt:vector size="{n}" baseType="lpstr">{titles}</vt:vector></TitlesOfParts>'
                "<LinksUpToDate>false</LinksUpToDate><SharedDoc>false</SharedDoc>"
                "<HyperlinksChanged>false</HyperlinksChanged><AppVersion>12.0000</AppVersion></Properties>"),
            "xl/_rels/workbook.xml.rels": (
                f'<Relationships xmlns="{_PKG_REL}">{sheet_rels}'
                f'<Relationship Id="rId{n + 1}" Type="{_REL}/styles" Target="styles.xml"/></Relationships>'),
            "xl/workbook.xml": (
                f'<workbook xmlns="{_MAIN}" xmlns:r="{_REL}"><workbookPr/>'
                '<bookViews><workbookView xWindow="240" yWindow="15" windowWidth="16095" windowHeight="9660"/>'
                f'</bookViews><sheets>{sheets}</sheets><calcPr calcId="124519" fullCalcOnLoad="1"/></workbook>'),
            "xl/styles.xml": (
                f'<styleSheet xmlns="{_MAIN}"><fonts count="2">'
                '<font><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
                '<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>'
                '<fills count="2"><fill><patternFill patternType="none"/></fill>'
                '<fill><patternFill patternType="gray125"/></fill></fills>'
                '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
                '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
                '<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
                '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/></cellXfs>'
                '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
                '<dxfs count="0"/><tableStyles count="0"/></styleSheet>'),
        }
