"""Render a self-contained HTML document to PDF with WeasyPrint.

WeasyPrint is chosen over a headless browser because it is a pure Python package
on top of Debian's pango, prints CSS paged media faithfully and needs no network.
"""

from __future__ import annotations

from pathlib import Path


def pdf_bytes(html: str) -> bytes:
    """``html`` (with every asset inlined) as a PDF document."""
    import weasyprint  # heavy import, only when a PDF is asked for

    data: bytes = weasyprint.HTML(string=html).write_pdf()
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
