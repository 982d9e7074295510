"""Small real files of each allowed kind (and some that only pretend) for the upload tests."""

from __future__ import annotations

import io
import zipfile

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
HTML_AS_PDF = b"<html><script>alert(1)</script></html>"  # named .pdf, is HTML
MAIN_PART = {"docx": "word/document.xml", "pptx": "ppt/presentation.xml", "xlsx": "xl/workbook.xml"}


def _entry(name: str) -> zipfile.ZipInfo:
    return zipfile.ZipInfo(name, date_time=(2027, 1, 1, 0, 0, 0))  # a fixed time: the same bytes on every call


def office(kind: str, *, macros: bool = False) -> bytes:
    """A minimal Office Open XML package of that kind (the parts a sniffer looks for)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr(
            _entry("[Content_Types].xml"),
            '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>',
        )
        package.writestr(_entry(MAIN_PART[kind]), "<root/>")
        if macros:
            package.writestr(_entry("word/vbaProject.bin"), b"\x00" * 16)
    return out.getvalue()


def plain_zip() -> bytes:
    """A zip that is no Office document."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as package:
        package.writestr("evil.exe", b"MZ")
    return out.getvalue()
