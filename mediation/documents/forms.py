"""The form builder: A4 pages in the Ministry's look, with Chinese fonts named as Word and WPS expect.

Body text is 宋体 (SimSun), titles 方正小标宋简体 with 黑体 (SimHei) as the fallback Word and WPS use
when the first is not installed. A run's East Asian font is the `w:eastAsia` attribute of its
`w:rFonts`: python-docx's `font.name` sets only the Latin one, so every run goes through `style_run`.
Word fields (PAGEREF, PAGE) are written as complex fields with a placeholder result and the document
asks to update its fields on opening, so Word and WPS compute the page numbers themselves.
"""
from __future__ import annotations

import io
import re
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import Optional

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

from mediation.common.clock import LOCAL

BODY_FONT = ("宋体", "SimSun")          # (East Asian name, Latin/ASCII name)
TITLE_FONT = ("方正小标宋简体", "SimHei")
HEADING_FONT = ("黑体", "SimHei")
BODY_SIZE = Pt(12)       # 小四
TITLE_SIZE = Pt(22)      # 二号
SUBTITLE_SIZE = Pt(16)   # 三号


def style_run(run, font: tuple[str, str], size: Pt, bold: bool = False) -> None:
    run.font.name = font[1]
    run.font.size = size
    run.font.bold = bold
    rpr = run._element.get_or_add_rPr()
    rfonts = rpr.find(qn("w:rFonts"))
    if rfonts is None:
        rfonts = OxmlElement("w:rFonts")
        rpr.insert(0, rfonts)
    rfonts.set(qn("w:eastAsia"), font[0])
    rfonts.set(qn("w:ascii"), font[1])
    rfonts.set(qn("w:hAnsi"), font[1])
    if font is TITLE_FONT:  # a fallback Word and WPS read when 方正小标宋简体 is missing
        rfonts.set(qn("w:cs"), HEADING_FONT[1])


_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def text_run(paragraph, text: str):
    """A run of `text` with the characters XML 1.0 cannot hold (control characters) left out."""
    return paragraph.add_run(_NOT_XML.sub("", str(text)))


def yuan(amount: Optional[Decimal]) -> str:
    return "" if amount is None else f"{Decimal(amount):,.2f}元"


def cn_date(value: date | datetime | None) -> str:
    """`2026年11月5日` (a moment in Asia/Shanghai); blank lines for a date still to be written by hand."""
    if value is None:
        return "　　年　　月　　日"
    if isinstance(value, datetime):
        value = value.astimezone(LOCAL).date()
    return f"{value.year}年{value.month}月{value.day}日"


def cn_datetime(value: datetime | None) -> str:
    if value is None:
        return "　　年　　月　　日　　时　　分"
    local = value.astimezone(LOCAL)
    return f"{cn_date(local)}{local.hour}时{local.minute:02d}分"


class Form:
    """One document: `Form(committee_name, title, number=…)`, then paragraphs, tables, signature lines;
    `.bytes()` gives the .docx. `Form.append_to(other)` is how the case file is built of forms."""

    def __init__(self, committee: str, title: str, number: Optional[str] = None,
                 doc: Optional[Document] = None) -> None:
        self.doc = doc if doc is not None else new_document()
        self.committee = committee
        self.title = title
        self.heading(committee, title, number)

    # -- blocks ---------------------------------------------------------------------------------
    def heading(self, committee: str, title: str, number: Optional[str]) -> None:
        p = self.doc.add_paragraph()
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        style_run(text_run(p, committee), HEADING_FONT, SUBTITLE_SIZE)
        p = self.doc.add_paragraph()
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        self.title_paragraph = p
        style_run(text_run(p, title), TITLE_FONT, TITLE_SIZE)
        if number:
            p = self.doc.add_paragraph()
            p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
            style_run(text_run(p, number), BODY_FONT, BODY_SIZE)

    def para(self, text: str = "", bold: bool = False, indent: bool = False, align: str = "left"):
        p = self.doc.add_paragraph()
        p.alignment = {"left": WD_ALIGN_PARAGRAPH.LEFT, "right": WD_ALIGN_PARAGRAPH.RIGHT,
                       "center": WD_ALIGN_PARAGRAPH.CENTER, "justify": WD_ALIGN_PARAGRAPH.JUSTIFY}[align]
        if indent:
            p.paragraph_format.first_line_indent = Pt(24)
        for i, line in enumerate(text.split("\n")):
            if i:
                p.add_run().add_break()
            style_run(text_run(p, line), BODY_FONT, BODY_SIZE, bold)
        return p

    def labelled(self, label: str, text: str) -> None:
        """`label：text` with the label in 黑体."""
        p = self.doc.add_paragraph()
        style_run(text_run(p, label + "："), HEADING_FONT, BODY_SIZE)
        for i, line in enumerate((text or "").split("\n")):
            if i:
                p.add_run().add_break()
            style_run(text_run(p, line), BODY_FONT, BODY_SIZE)

    def grid(self, rows: Iterable[Iterable[str]], widths: Optional[list[int]] = None) -> None:
        """A bordered table of label/value cells, the way the paper forms lay out particulars."""
        rows = [list(r) for r in rows]
        cols = max(len(r) for r in rows)
        table = self.doc.add_table(rows=len(rows), cols=cols)
        table.style = "Table Grid"
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        for r, row in enumerate(rows):
            cells = table.rows[r].cells
            if len(row) < cols:  # the last cell spans the rest of the row
                cells[len(row) - 1].merge(cells[cols - 1])
            for c, value in enumerate(row):
                cell = table.cell(r, c)
                cell.text = ""
                paragraph = cell.paragraphs[0]
                for i, line in enumerate(str(value).split("\n")):
                    if i:
                        paragraph.add_run().add_break()
                    style_run(text_run(paragraph, line), BODY_FONT, BODY_SIZE)
                if widths:
                    cell.width = Mm(widths[min(c, len(widths) - 1)])
        self.doc.add_paragraph()

    def signatures(self, *labels: str, dated: bool = True) -> None:
        for label in labels:
            self.para(f"{label}：＿＿＿＿＿＿＿＿＿＿＿＿", align="right")
        if dated:
            self.para(cn_date(None), align="right")

    def page_break(self) -> None:
        self.doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)

    def bytes(self) -> bytes:
        buffer = io.BytesIO()
        self.doc.save(buffer)
        return buffer.getvalue()


def new_document(landscape: bool = False) -> Document:
    """An empty A4 document whose Normal style is 宋体 小四 (East Asian and Latin)."""
    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    if landscape:
        section.orientation = WD_ORIENT.LANDSCAPE
        section.page_width, section.page_height = Mm(297), Mm(210)
    section.top_margin = section.bottom_margin = Mm(25)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    normal = doc.styles["Normal"]
    normal.font.name = BODY_FONT[1]
    normal.font.size = BODY_SIZE
    rpr = normal.element.get_or_add_rPr()
    rfonts = rpr.find(qn("w:rFonts"))
    if rfonts is None:
        rfonts = OxmlElement("w:rFonts")
        rpr.insert(0, rfonts)
    rfonts.set(qn("w:eastAsia"), BODY_FONT[0])
    return doc


# -- Word fields ---------------------------------------------------------------------------------
def add_field(paragraph, instruction: str, placeholder: str = "1") -> None:
    """A complex field (`PAGEREF x \\h`, `PAGE`) whose result Word and WPS compute when the
    document opens (see `update_fields_on_open`)."""
    def char(kind: str):
        run = paragraph.add_run()
        element = OxmlElement("w:fldChar")
        element.set(qn("w:fldCharType"), kind)
        if kind == "begin":
            element.set(qn("w:dirty"), "true")
        run._element.append(element)
        return run

    char("begin")
    run = paragraph.add_run()
    instr = OxmlElement("w:instrText")
    instr.set(qn("xml:space"), "preserve")
    instr.text = f" {instruction} "
    run._element.append(instr)
    char("separate")
    style_run(text_run(paragraph, placeholder), BODY_FONT, BODY_SIZE)
    char("end")


def add_bookmark(paragraph, name: str, bookmark_id: int) -> None:
    start = OxmlElement("w:bookmarkStart")
    start.set(qn("w:id"), str(bookmark_id))
    start.set(qn("w:name"), name)
    end = OxmlElement("w:bookmarkEnd")
    end.set(qn("w:id"), str(bookmark_id))
    paragraph._p.insert(0, start)
    paragraph._p.append(end)


def update_fields_on_open(doc: Document) -> None:
    settings = doc.settings.element
    element = settings.find(qn("w:updateFields"))
    if element is None:
        element = OxmlElement("w:updateFields")
        settings.append(element)
    element.set(qn("w:val"), "true")


def page_numbers_in_footer(doc: Document) -> None:
    paragraph = doc.sections[0].footer.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    add_field(paragraph, "PAGE")
