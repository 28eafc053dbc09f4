"""Reading a PDF as assistive technology does: its structure tree, its figures' alternative text, its title.

Shared by the tests of every PDF the product writes (the comparison report and the
patient handout), so each checks the same things the same way.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

import pikepdf


@dataclass(frozen=True)
class TaggedPdf:
    """What a screen reader gets from a PDF."""

    tagged: bool  # a structure tree, and MarkInfo saying the content is marked
    title: str  # the document information Title
    xmp_title: str  # dc:title of the XMP metadata (PDF/UA's place for the title)
    ua_part: str  # pdfuaid:part of the XMP metadata: "1" for PDF/UA-1
    shows_title: bool  # viewers show the title instead of the file name
    lang: str
    tags: tuple[str, ...]  # every structure type in the tree, in reading order
    figures: tuple[str | None, ...]  # each Figure element's /Alt (None when it has none)
    images_drawn: int  # image XObjects painted on the pages, forms included


def _walk(element: Any, tags: list[str], figures: list[str | None]) -> None:
    if isinstance(element, pikepdf.Array):
        for kid in element:
            _walk(kid, tags, figures)
        return
    if not isinstance(element, pikepdf.Dictionary) or "/S" not in element:
        return  # marked-content ids and object references to content, not elements
    kind = str(element.S)[1:]
    tags.append(kind)
    if kind == "Figure":
        figures.append(str(element.Alt) if "/Alt" in element else None)
    if "/K" in element:
        _walk(element.K, tags, figures)


def _images_drawn(content: Any, resources: Any) -> int:
    xobjects = resources.get("/XObject", {}) if resources is not None else {}
    drawn = 0
    for instruction in pikepdf.parse_content_stream(content):
        if not isinstance(instruction, pikepdf.ContentStreamInstruction) or str(instruction.operator) != "Do":
            continue  # inline images are not drawn by the product's PDFs; only XObjects are
        xobject = xobjects[instruction.operands[0]]
        if xobject.Subtype == "/Image":
            drawn += 1
        elif xobject.Subtype == "/Form":
            drawn += _images_drawn(xobject, xobject.get("/Resources"))
    return drawn


def _flag(root: Any, dictionary: str, key: str) -> bool:
    return dictionary in root and bool(root[dictionary].get(key, False))


def read_tagged(data: bytes) -> TaggedPdf:
    with pikepdf.open(io.BytesIO(data)) as pdf:
        root = pdf.Root
        tags: list[str] = []
        figures: list[str | None] = []
        if "/StructTreeRoot" in root:
            _walk(root.StructTreeRoot.get("/K", pikepdf.Array()), tags, figures)
        title = str(pdf.docinfo.get("/Title", ""))
        xmp = pdf.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False)
        return TaggedPdf(
            tagged="/StructTreeRoot" in root and _flag(root, "/MarkInfo", "/Marked"),
            title=title,
            xmp_title=str(xmp.get("dc:title", "")),
            ua_part=str(xmp.get("pdfuaid:part", "")),
            shows_title=_flag(root, "/ViewerPreferences", "/DisplayDocTitle"),
            lang=str(root.get("/Lang", "")),
            tags=tuple(tags),
            figures=tuple(figures),
            images_drawn=sum(_images_drawn(page, page.get("/Resources")) for page in pdf.pages),
        )
