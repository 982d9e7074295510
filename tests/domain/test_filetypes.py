"""The upload kinds read from bytes, never from names; display names that can never be paths."""

from __future__ import annotations

import pytest

from bot.domain.filetypes import KINDS, NotAllowed, display_name, sniff
from tests.support.files import HTML_AS_PDF, PDF, office, plain_zip


@pytest.mark.parametrize("kind", ["docx", "pptx", "xlsx"])
def test_office_packages_are_known_by_their_parts(kind: str) -> None:
    assert sniff(office(kind)).ext == kind


def test_pdf_by_its_header() -> None:
    assert sniff(PDF) is KINDS["pdf"]


@pytest.mark.parametrize("data", [HTML_AS_PDF, plain_zip(), b"PK\x03\x04broken", b"\xd0\xcf\x11\xe0old .doc", b"MZ\x90"])
def test_anything_else_is_refused_in_danish(data: bytes) -> None:
    with pytest.raises(NotAllowed) as exc:
        sniff(data)
    assert str(exc.value).startswith("Fil")


def test_macros_are_refused() -> None:
    with pytest.raises(NotAllowed, match="makroer"):
        sniff(office("docx", macros=True))


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("../../etc/passwd", "passwd.pdf"),
        ("C:\\Users\\x\\Samtaleguide.exe", "Samtaleguide.pdf"),
        ("guide.pdf.html", "guide.pdf.pdf"),
        ("\x00\x1f..", "fil.pdf"),
        ("Møde <1>: skabelon.pdf", "Møde 1 skabelon.pdf"),
    ],
)
def test_display_names_are_never_paths(raw: str, expected: str) -> None:
    assert display_name(raw, KINDS["pdf"]) == expected
