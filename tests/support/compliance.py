"""Test support: a kept compliance report, for the PDF's page in the role × endpoint test
(:data:`support.endpoints.SAMPLES`). Never used by the hub itself."""

from __future__ import annotations

import io
import re
from typing import Any

from django.utils import timezone

from kokin.audit.actor import Actor
from kokin.compliance import services
from kokin.compliance.period import month


def sample_report(business: str) -> int:
    """A report of the current month made by a command (the business under test does not matter: the
    report is the ward's); returns its number."""
    today = timezone.localdate()
    return services.make(period=month(today.year, today.month), actor=Actor.command()).report.pk


def _to_unicode(font: Any) -> dict[bytes, str]:
    """A font's ToUnicode map (code bytes → text), as :mod:`kokin.pdf` writes it (``bfchar`` entries)."""
    cmap = font["/ToUnicode"].get_object().get_data().decode("latin-1")
    return {
        bytes.fromhex(code): bytes.fromhex(text).decode("utf-16-be")
        for code, text in re.findall(r"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", cmap.split("endcodespacerange", 1)[1])
    }


def pdf_text(body: bytes) -> str:
    """The text of a PDF made by :mod:`kokin.pdf`, read back with pypdf, with every space and line break
    removed (a table cell's lines come one after the other, so a table row reads as one string).

    pypdf parses the pages; the strings each page shows are decoded here through their font's ToUnicode
    map, two bytes a code. pypdf's own ``extract_text`` does not read the encoding fpdf2 embeds for this
    CFF font (a CMap stream, not ``/Identity-H``): it takes the codes for one byte each, which holds only
    while a document uses fewer than 256 different characters, and a report uses more.
    """
    from pypdf import PdfReader
    from pypdf.generic import ContentStream

    assert body.startswith(b"%PDF") and b"/FontFile" in body, "a PDF with its font embedded"
    reader = PdfReader(io.BytesIO(body))
    out: list[str] = []
    for page in reader.pages:
        resources: Any = page["/Resources"]
        fonts = {name: _to_unicode(ref.get_object()) for name, ref in resources["/Font"].items()}
        codes: dict[bytes, str] = {}
        for operands, operator in ContentStream(page.get_contents(), reader).operations:
            if operator == b"Tf":
                codes = fonts[operands[0]]
            elif operator in (b"Tj", b"TJ"):
                for shown in operands[0] if operator == b"TJ" else operands:
                    if isinstance(shown, (int, float)):
                        continue
                    raw = shown.original_bytes if hasattr(shown, "original_bytes") else bytes(shown)
                    out += [codes.get(raw[i : i + 2], "\ufffd") for i in range(0, len(raw), 2)]
    return "".join("".join(out).split())
