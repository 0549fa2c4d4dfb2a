"""Build the shipped document templates (.docx with docxtpl placeholders) after GB/T 9704.

    python -m engine.documents.build_templates   # writes engine/documents/templates/<key>.docx
    python -m engine.documents.build_templates --only KEY ...   # only these templates

A4; margins top 37 mm, bottom 35 mm, left 28 mm, right 26 mm; the issuing agency and 发文字号
above a red rule, the title (二号), the addressee and body (三号, first line indented two
characters, 28.95 pt lines: 22 lines of 28 characters), the signature block and the date in
Chinese characters, the page number "— N —" (四号) in the footer. Fonts are named by styles
(Normal: body, Title: title, Heading 1: headings) so `documents.fonts` in config.yaml can switch
them to an agency's licensed 仿宋 / 小标宋 at generation; the defaults are Debian's Noto CJK.
"""
from __future__ import annotations

import sys
from pathlib import Path

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor

from engine.documents.catalog import CATALOG, Spec

HERE = Path(__file__).resolve().parent / "templates"
BODY_FONT = "Noto Serif CJK SC"
TITLE_FONT = "Noto Sans CJK SC"
RED = RGBColor(0xC0, 0x00, 0x00)


def set_font(style_or_run, name: str, size: float | None = None) -> None:
    font = style_or_run.font
    font.name = name
    if size:
        font.size = Pt(size)
    rpr = style_or_run.element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(attr), name)


def page_number(paragraph, dashes: bool = True) -> None:
    """"— PAGE —" (or the bare number) as a field Word and LibreOffice fill in."""
    if dashes:
        paragraph.add_run("— ")
    run = paragraph.add_run()
    for kind, text in (("begin", None), (None, " PAGE "), ("end", None)):
        if kind:
            el = OxmlElement("w:fldChar")
            el.set(qn("w:fldCharType"), kind)
        else:
            el = OxmlElement("w:instrText")
            el.set(qn("xml:space"), "preserve")
            el.text = text
        run._r.append(el)
    if dashes:
        paragraph.add_run(" —")


def _red_rule(paragraph) -> None:
    ppr = paragraph._p.get_or_add_pPr()
    border = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for k, v in (("w:val", "single"), ("w:sz", "12"), ("w:space", "4"), ("w:color", "C00000")):
        bottom.set(qn(k), v)
    border.append(bottom)
    ppr.append(border)


def new_document(footer: bool = True) -> Document:
    doc = Document()
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    section.footer_distance = Mm(20)
    normal = doc.styles["Normal"]
    set_font(normal, BODY_FONT, 16)
    normal.paragraph_format.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    normal.paragraph_format.line_spacing = Pt(28.95)
    normal.paragraph_format.space_after = Pt(0)
    normal.paragraph_format.space_before = Pt(0)
    set_font(doc.styles["Title"], TITLE_FONT, 22)
    set_font(doc.styles["Heading 1"], TITLE_FONT, 16)
    title = doc.styles["Title"]
    title.font.color.rgb = RGBColor(0, 0, 0)
    title.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    title.paragraph_format.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    title.paragraph_format.line_spacing = Pt(36)
    title.paragraph_format.space_after = Pt(14)
    # python-docx's default Title style has a bottom border; GB/T 9704 titles have none.
    ppr = title.element.find(qn("w:pPr"))
    if ppr is not None and ppr.find(qn("w:pBdr")) is not None:
        ppr.remove(ppr.find(qn("w:pBdr")))
    if footer:
        paragraph = section.footer.paragraphs[0]
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        page_number(paragraph)
        for run in paragraph.runs:
            set_font(run, BODY_FONT, 14)
    return doc


def build(spec: Spec) -> Document:
    doc = new_document()
    head = doc.add_paragraph()
    head.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = head.add_run(spec.sender)
    run.font.color.rgb = RED
    set_font(run, TITLE_FONT, 26)
    number = doc.add_paragraph("{{ doc_number }}")
    number.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _red_rule(number)
    doc.add_paragraph()
    doc.add_paragraph(spec.title, style="Title")
    if spec.addressee:
        doc.add_paragraph(spec.addressee)
    for text in spec.body:
        p = doc.add_paragraph(text)
        p.paragraph_format.first_line_indent = Pt(32)
    if spec.table:
        table = doc.add_table(rows=0, cols=2)
        table.style = doc.styles["Table Grid"]
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        table.autofit = False
        for col, width in zip(table.columns, (Mm(36), Mm(120)), strict=True):
            col.width = width
        for label, value in spec.table:
            cells = table.add_row().cells
            cells[0].width, cells[1].width = Mm(36), Mm(120)
            cells[0].text, cells[1].text = label, value
            if not value and spec.approval:  # room for the signature and date
                cells[1].add_paragraph()
                cells[1].add_paragraph("签字：            年    月    日").alignment = \
                    WD_ALIGN_PARAGRAPH.RIGHT
    doc.add_paragraph()
    doc.add_paragraph()
    sign = doc.add_paragraph(spec.sender)
    sign.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    sign.paragraph_format.right_indent = Pt(64)
    date = doc.add_paragraph("{{ date_cn }}")
    date.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    date.paragraph_format.right_indent = Pt(64)
    doc.core_properties.title = spec.title
    doc.core_properties.author = "cluedesk"
    return doc


def main(out: Path = HERE, only: tuple[str, ...] = ()) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for spec in CATALOG:
        if only and spec.key not in only:
            continue
        path = out / f"{spec.key}.docx"
        build(spec).save(path)
        written.append(path)
    return written


if __name__ == "__main__":
    args = sys.argv[1:]
    keys: tuple[str, ...] = ()
    if "--only" in args:
        at = args.index("--only")
        args, keys = args[:at], tuple(args[at + 1:])
    for path in main(Path(args[0]) if args else HERE, keys):
        print(path)
