"""The case file (人民调解卷宗): cover, contents (卷内目录) with page numbers as PAGEREF fields, the
documents in the Ministry's order, back cover; and the completeness check against the same list.

The list (2010 formats; the county reviewers' checklist): 1 申请书 or 受理登记表 (required),
2 权利义务告知书 (required), 3 当事人身份证明 (required), 4 授权委托书, 5 调查记录, 6 证据材料,
7 人民调解记录 (required), 8 调解协议书 (required when the case ended in agreement), 9 履行凭证,
10 回访记录, 11 司法确认材料, 12 卷宗情况说明, 13 封底 (required). Items 3, 4, 6, 9 and 12 are papers
brought by the parties or written by hand; until attachments exist, item 3 counts as present when
every person party's resident ID number is on the record.
"""
from __future__ import annotations

import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Optional

from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.shared import Mm, Pt
from flask import current_app

from mediation.documents import records
from mediation.documents.context import Context
from mediation.documents.forms import (
    BODY_FONT,
    BODY_SIZE,
    Form,
    add_bookmark,
    add_field,
    cn_date,
    new_document,
    page_numbers_in_footer,
    style_run,
    text_run,
    update_fields_on_open,
)
from mediation.models import Dispute

CONCLUDING = ("reach_agreement", "fail", "withdraw", "reject")


@dataclass(frozen=True)
class Item:
    item: str
    title: str
    required: Callable[[Dispute], bool]
    present: Callable[[Dispute], bool]
    kinds: tuple[str, ...] = ()   # the generated documents filed under it
    category: Optional[str] = None  # the attachments filed under it


def _always(d: Dispute) -> bool:
    return True


def _never(d: Dispute) -> bool:
    return False


def _identified(d: Dispute) -> bool:
    persons = [p for p in d.parties if p.kind == "person"]
    return bool(d.parties) and all(p.id_number for p in persons)


ITEMS: tuple[Item, ...] = (
    Item("application", "人民调解申请书或人民调解受理登记表", _always, _always, ("application", "registration")),
    Item("rights_notice", "人民调解当事人权利义务告知书", _always, lambda d: d.accepted_at is not None,
         ("rights_notice",)),
    Item("identification", "当事人身份证明", _always, _identified, category="identification"),
    Item("power_of_attorney", "授权委托书", _never, _never, category="power_of_attorney"),
    Item("investigation_record", "人民调解调查记录", _never,
         lambda d: any(s.kind == "investigation" for s in d.sessions), ("investigation_record",)),
    Item("evidence", "人民调解证据材料", _never, _never, category="evidence"),
    Item("session_record", "人民调解记录", lambda d: d.outcome in (None, "agreement", "failed"),
         lambda d: any(s.kind == "mediation" for s in d.sessions), ("session_record",)),
    Item("agreement", "人民调解协议书", lambda d: d.outcome in (None, "agreement"),
         lambda d: d.agreement is not None, ("agreement",)),
    Item("performance_receipts", "收条或汇款单等履行凭证", _never, _never, category="performance_receipt"),
    Item("follow_up_record", "人民调解回访记录", _never, lambda d: bool(d.follow_ups), ("follow_up_record",)),
    Item("confirmation", "司法确认有关材料", _never,
         lambda d: d.agreement is not None and d.agreement.confirmation != "none", ("confirmation_application",),
         category="confirmation"),
    Item("file_note", "卷宗情况说明", _never, lambda d: d.outcome in ("rejected", "failed"),
         ("rejection_notice", "termination_notice")),
    Item("back_cover", "封底", _always, _always),
)


def check(d: Dispute, categories: Iterable[str] = ()) -> dict:
    """`categories`: those of the dispute's attachments."""
    attached = set(categories)
    items = [{"item": i.item, "title": i.title, "required": bool(i.required(d)),
              "present": bool(i.present(d) or (i.category is not None and i.category in attached))}
             for i in ITEMS]
    return {"complete": all(i["present"] for i in items if i["required"]), "items": items}


def file_number(d: Dispute) -> str:
    """卷号 `（2026）枫桥人调字第5号`: the year, the committee org's place in two characters (the two
    before its level suffix: 城关镇枫桥村 → 枫桥, 临溪县 → 临溪), the case's sequence."""
    name = d.committee.org.name
    place = name[-3:-1] if len(name) >= 3 else name
    return f"（{d.case_year}）{place}人调字第{d.case_seq}号"


def _filed_by(ctx: Context) -> str:
    for trigger in CONCLUDING:
        event = ctx.event(trigger)
        if event is not None and event.actor is not None:
            return ctx.display(event.actor)
    return ""


def _line(doc, text: str, size=None, align=None):
    p = doc.add_paragraph()
    if align is not None:
        p.alignment = align
    style_run(text_run(p, text), BODY_FONT, size or BODY_SIZE)
    return p


def build(ctx: Context, renderers: dict, kinds: dict, attachments: Iterable[tuple] = ()) -> bytes:
    """`attachments`: (row, content) pairs; images are placed in the file, PDFs named (they travel
    beside it in the zip)."""
    attached = list(attachments)
    d = ctx.dispute
    doc = new_document()
    # -- cover -------------------------------------------------------------------------------
    cover = Form(ctx.committee_name, "调解卷宗", doc=doc)
    for _ in range(3):
        doc.add_paragraph()
    start = d.accepted_at or d.received_at
    rows = [("卷名", f"{'、'.join(p.name for p in d.parties)}{ctx.type_name}纠纷"),
            ("卷号", file_number(d)),
            ("人民调解员", ctx.mediator_names()),
            ("调解日期", f"{cn_date(start)}至{cn_date(d.concluded_at or d.closed_at)}"),
            ("立卷人", _filed_by(ctx)),
            ("立卷日期", cn_date(d.concluded_at)),
            ("保管期限", current_app.config.get("CASEFILE_RETENTION", "长期")),
            ("备注", "")]
    for label, value in rows:
        _line(doc, f"{label}：{value}", Pt(16))
    cover.page_break()
    # -- contents ----------------------------------------------------------------------------
    style_run(text_run(doc.add_paragraph(), "卷内目录"), BODY_FONT, Pt(18), bold=True)
    doc.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER
    table = doc.add_table(rows=1, cols=4)
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, ("序号", "文书名称", "页号", "备注"), strict=True):
        style_run(text_run(cell.paragraphs[0], text), BODY_FONT, BODY_SIZE, bold=True)
    parts: list[tuple[str, Callable]] = []  # (bookmark, render into doc)
    for n, item in enumerate(ITEMS, start=1):
        row = table.add_row().cells
        style_run(text_run(row[0].paragraphs[0], str(n)), BODY_FONT, BODY_SIZE)
        style_run(text_run(row[1].paragraphs[0], item.title), BODY_FONT, BODY_SIZE)
        style_run(text_run(row[3].paragraphs[0], "必须" if item.required(d) else "按需"), BODY_FONT, BODY_SIZE)
        mark = f"item{n}"
        renders = _renders_for(item, ctx, renderers, kinds)
        renders += [lambda doc, a=a, c=c, t=item.title: _attachment_page(doc, t, a, c)
                    for a, c in attached if a.category == item.category]
        if item.item == "back_cover":
            renders = [lambda doc: _back_cover(ctx, doc)]
        if renders:
            add_field(row[2].paragraphs[0], f"PAGEREF {mark} \\h")
            parts += [(mark if i == 0 else "", r) for i, r in enumerate(renders)]
    # -- the documents -----------------------------------------------------------------------
    for bookmark_id, (mark, render) in enumerate(parts, start=1):
        doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
        heading = render(doc)
        if mark:
            add_bookmark(heading, mark, bookmark_id)
    page_numbers_in_footer(doc)
    update_fields_on_open(doc)
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()


def _renders_for(item: Item, ctx: Context, renderers: dict, kinds: dict) -> list[Callable]:
    d = ctx.dispute
    out: list[Callable] = []
    for kind in item.kinds:
        if not kinds["session_record" if kind == "investigation_record" else kind].available(d):
            continue
        if kind in ("session_record", "investigation_record"):
            wanted = "investigation" if kind == "investigation_record" else "mediation"
            out += [lambda doc, s=s: records.session_record(ctx, s, doc=doc).title_paragraph
                    for s in d.sessions if s.kind == wanted]
        elif kind == "follow_up_record":
            out += [lambda doc, f=f: records.follow_up_record(ctx, f, doc=doc).title_paragraph for f in d.follow_ups]
        else:
            out.append(lambda doc, k=kind: renderers[k](ctx, doc=doc).title_paragraph)
    return out


def _attachment_page(doc, title: str, row, content: bytes):
    heading = _line(doc, f"{title}：{row.filename}", Pt(14), WD_ALIGN_PARAGRAPH.CENTER)
    if row.content_type.startswith("image/"):
        doc.add_picture(io.BytesIO(content), width=Mm(150))
    else:
        _line(doc, f"（PDF 文件，{row.size} 字节，SHA-256 {row.sha256[:16]}…，随卷宗压缩包另附）")
    return heading


def _back_cover(ctx: Context, doc) -> Optional[object]:
    form = Form(ctx.committee_name, "封底", doc=doc)
    p = form.para("本卷宗共　")
    add_field(p, "NUMPAGES")
    style_run(text_run(p, "　页"), BODY_FONT, BODY_SIZE)
    form.para(f"立卷人：{_filed_by(ctx)}　　　检查人：＿＿＿＿＿＿")
    form.para(f"立卷日期：{cn_date(ctx.dispute.concluded_at)}")
    return form.title_paragraph
