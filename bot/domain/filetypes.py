"""Which uploads are allowed: the kind read from the file's bytes (never its name), and a safe display name."""

from __future__ import annotations

import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass
from urllib.parse import unquote

MAX_NAME = 120  # a display name, never a path


@dataclass(frozen=True)
class FileKind:
    """One allowed kind: its extension, the Content-Type it is served with and its Danish label."""

    ext: str
    content_type: str
    label_da: str


KINDS = {
    "pdf": FileKind("pdf", "application/pdf", "PDF"),
    "docx": FileKind("docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "Word"),
    "pptx": FileKind("pptx", "application/vnd.openxmlformats-officedocument.presentationml.presentation", "PowerPoint"),
    "xlsx": FileKind("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "Excel"),
}
# the part every Office Open XML package of that kind has (ECMA-376 part 2's content types, the main part's folder)
_OOXML_PARTS = {"word/document.xml": "docx", "ppt/presentation.xml": "pptx", "xl/workbook.xml": "xlsx"}
_UNSAFE = re.compile(r"[\x00-\x1f\x7f/\\:*?\"<>|]+")


class NotAllowed(ValueError):
    """The bytes are not one of the allowed kinds (the message is Danish, for the person uploading)."""


def sniff(data: bytes) -> FileKind:
    """The file's kind from its content: PDF by its header, DOCX/PPTX/XLSX by the package's parts; NotAllowed else."""
    if data.startswith(b"%PDF-"):
        return KINDS["pdf"]
    if data.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as package:
                names = set(package.namelist())  # reads the central directory only: nothing is unpacked
        except (zipfile.BadZipFile, ValueError, OSError):
            raise NotAllowed("Filen er ødelagt: den kan ikke åbnes som et Office-dokument.") from None
        if "[Content_Types].xml" in names:
            if any(n.lower().endswith("vbaproject.bin") for n in names):
                raise NotAllowed("Filen indeholder makroer. Gem den uden makroer (.docx, .pptx eller .xlsx) og prøv igen.")
            for part, ext in _OOXML_PARTS.items():
                if part in names:
                    return KINDS[ext]
    raise NotAllowed("Filtypen er ikke tilladt. Du kan uploade PDF, Word (.docx), PowerPoint (.pptx) og Excel (.xlsx).")


def display_name(raw: str, kind: FileKind) -> str:
    """A name to show and to suggest when downloading: no folders, no control characters, the right extension."""
    # some clients percent-encode the name in the multipart header; it is only ever shown, so decode first
    base = unicodedata.normalize("NFC", unquote(raw)).replace("\\", "/").rsplit("/", 1)[-1]
    base = _UNSAFE.sub(" ", base).strip(" .")
    stem = base.rsplit(".", 1)[0] if "." in base else base
    stem = re.sub(r"\s+", " ", stem).strip()[: MAX_NAME - 6] or "fil"
    return f"{stem}.{kind.ext}"
