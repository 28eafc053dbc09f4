"""Render a self-contained HTML document to PDF with WeasyPrint.

WeasyPrint is chosen over a headless browser because it is a pure Python package
on top of Debian's pango, prints CSS paged media faithfully and needs no network.

Every PDF is tagged as PDF/UA-1 asks (a structure tree of headings, lists, tables
and figures, the document's language from ``<html lang>``, its title from
``<title>`` shown in place of the file name), so a screen reader reads it in
order and speaks each image's ``alt`` text. The HTML must therefore give every
``<img>`` an ``alt`` that says what it shows, and a ``<title>`` without personal data.
"""

from __future__ import annotations

from pathlib import Path

#: Tagged for accessibility (ISO 14289-1); WeasyPrint writes it as PDF 1.7.
PDF_VARIANT = "pdf/ua-1"


def pdf_bytes(html: str) -> bytes:
    """``html`` (with every asset inlined) as a PDF document."""
    import weasyprint  # heavy import, only when a PDF is asked for

    data: bytes = weasyprint.HTML(string=html).write_pdf(pdf_variant=PDF_VARIANT)
    return data


def write_pdf(html: str, path: str | Path) -> Path:
    """Write ``html`` as a PDF file at ``path``."""
    target = Path(path)
    target.write_bytes(pdf_bytes(html))
    return target


def write_html_or_pdf(html: str, path: str | Path) -> Path:
    """Write ``html`` to ``path`` as HTML or PDF, chosen by the file's suffix."""
    from dermadelta.errors import InputError

    target = Path(path)
    suffix = target.suffix.lower()
    if suffix in {".html", ".htm"}:
        target.write_text(html, encoding="utf-8")
        return target
    if suffix == ".pdf":
        return write_pdf(html, target)
    raise InputError(f"report file must end in .html or .pdf, not {target.name!r}")
