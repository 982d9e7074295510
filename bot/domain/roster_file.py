"""A roster file's bytes to CSV text: Excel .xlsx, UTF-8 CSV (with or without BOM) or Windows-1252 CSV."""

from __future__ import annotations

import csv
import io
import zipfile

from bot.domain.errors import FileError, FileErrors

MAX_ROSTER_BYTES = 2 * 1024 * 1024  # a cohort of a few hundred people is far below this
MAX_XLSX_ROWS = 5000
ZIP_MAGIC = b"PK\x03\x04"
# cp1252's letters and signs above 0x7F that a Danish roster plausibly holds; other high bytes do not prove it
CP1252_PLAUSIBLE = set("æøåÆØÅéÉèüÜöÖäÄáíóúñçëï–—’‘“”€§½°´\u00a0")


def is_xlsx(data: bytes) -> bool:
    """An Office Open XML file: a zip archive holding [Content_Types].xml (checked by content, never by name)."""
    if not data.startswith(ZIP_MAGIC):
        return False
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return "[Content_Types].xml" in archive.namelist()
    except zipfile.BadZipFile:
        return False


def _line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def decode_csv(data: bytes, path: str) -> str:
    """UTF-8 (a BOM dropped); else Windows-1252 when every non-ASCII byte decodes to a plausible letter; else FileErrors."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        bad = exc.start
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError:
            raise FileErrors([FileError(path, _line_of(data, bad), "is neither UTF-8 nor Windows-1252 text")]) from None
        odd = next((i for i, ch in enumerate(text) if ord(ch) > 0x7F and ch not in CP1252_PLAUSIBLE), None)
        if odd is not None:
            line = text.count("\n", 0, odd) + 1
            raise FileErrors(
                [FileError(path, line, "is not UTF-8 text, and not plausible Windows-1252 either; save it as CSV UTF-8 in Excel")]
            ) from None
    if "\x00" in text:
        raise FileErrors([FileError(path, _line_of(data, data.find(b"\x00")), "is binary, not a CSV text file")])
    return text


def xlsx_to_csv(data: bytes, path: str) -> str:
    """The first sheet as CSV text, one line per sheet row so line numbers are Excel's row numbers."""
    from openpyxl import load_workbook  # imported here: only an uploaded .xlsx needs it

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds on a damaged or foreign zip
        raise FileErrors([FileError(path, 0, f"is not a readable Excel workbook ({type(exc).__name__})")]) from None
    try:
        sheet = book.worksheets[0]
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        for n, row in enumerate(sheet.iter_rows(values_only=True), start=1):
            if n > MAX_XLSX_ROWS:
                raise FileErrors([FileError(path, n, f"has more than {MAX_XLSX_ROWS} rows")])
            # a line break inside a cell would shift every later line number: it becomes a space
            writer.writerow(["" if v is None else " ".join(str(v).split()) for v in row])
        return out.getvalue()
    finally:
        book.close()


def roster_text(data: bytes, path: str) -> str:
    """The roster as CSV text whatever LEAD saved it as; FileErrors (with the line) when it cannot be read."""
    if len(data) > MAX_ROSTER_BYTES:
        raise FileErrors([FileError(path, 0, f"is larger than {MAX_ROSTER_BYTES // (1024 * 1024)} MB")])
    if not data.strip():
        raise FileErrors([FileError(path, 1, "the file is empty")])
    if is_xlsx(data):
        return xlsx_to_csv(data, path)
    if data.startswith(ZIP_MAGIC):
        raise FileErrors([FileError(path, 0, "is a zip archive but not an Excel workbook")])
    return decode_csv(data, path)
