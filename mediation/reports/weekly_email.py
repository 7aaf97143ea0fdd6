"""The weekly report email (枫桥经验周报): HTML and plain text, inline charts, an .xlsx attachment.

`prepare_weekly_email` renders it once per org, week and language when the e-mails are queued
and stores the whole message; delivery sends that as it is (notifications/delivery.py). Chinese by
default, English for subscribers whose locale is `en`. The MIME
structure is the one mail clients expect for inline images plus an attachment:

    multipart/mixed
      multipart/alternative
        text/plain
        multipart/related
          text/html            (<img src="cid:…">)
          image/png …          (Content-ID)
      application/vnd.openxmlformats-officedocument.spreadsheetml.sheet

No personal data: parties, ID and phone numbers never appear; summaries are left out.
"""
from __future__ import annotations

import io
from decimal import Decimal
from email.mime.image import MIMEImage
from typing import Any, Optional

from flask import current_app, render_template
from flask_mailman import EmailMultiAlternatives
from flask_mailman.message import SafeMIMEMultipart
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from mediation.common.personal import redact
from mediation.extensions import db
from mediation.infra.database import unit_of_work
from mediation.models import OrgUnit, PreparedMessage, ReportSnapshot
from mediation.models.enums import DISPUTE_TYPES, PREVENTION_KINDS, SOURCES
from mediation.reports import charts
from mediation.reports.spreadsheet import append_row

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

DISPUTE_TYPES_EN = {
    "marriage_family": "Marriage & family", "neighbourhood": "Neighbourhood", "housing_land": "Housing & plots",
    "contract": "Contract", "production": "Production & business", "damages": "Damages",
    "land_forest": "Land & forest", "expropriation": "Expropriation", "environment": "Pollution",
    "labour": "Labour", "medical": "Medical", "property_mgmt": "Property management", "traffic": "Road traffic",
    "consumer": "Consumer", "other": "Other",
}
SOURCES_EN = {"walk_in": "Party's application", "screening": "Screening", "referral_court": "Court referral",
              "referral_police": "Police referral", "referral_petition": "Petition office",
              "referral_government": "Government referral", "online": "Online", "other": "Other"}
PREVENTION_EN = {"civil_to_criminal": "Civil to criminal prevented", "suicide": "Suicide prevented",
                 "group_petition": "Group petition prevented", "group_fight": "Group fight prevented"}
KINDS = {"zh": {"acceptance": "受理期限", "mediation": "调解期限", "follow_up": "回访期限"},
         "en": {"acceptance": "acceptance", "mediation": "mediation", "follow_up": "follow-up"}}

LABELS: dict[str, dict[str, str]] = {
    "zh": {
        "subject": "【枫桥经验周报】{org} {week}", "title": "枫桥经验周报", "period": "统计周期",
        "intro": "{org}（含下辖单位）{week} 人民调解工作数据如下，括号内为较上周变化。",
        "figure": "指标", "this_week": "本周", "previous_week": "上周", "change": "变化",
        "received": "新收纠纷", "accepted": "受理", "rejected": "不予受理", "concluded": "调结",
        "agreements": "调解成功", "failed": "调解不成", "withdrawn": "撤回", "success_rate": "调解成功率",
        "on_time_rate": "按期调结率", "amount_total": "协议涉及金额", "local_resolution_rate": "就地化解率（村、乡镇）",
        "escalated": "上交（升级）", "confirmations": "司法确认", "performance_rate": "协议履行率",
        "overdue_open": "超期未结（期末）",
        "by_type": "按纠纷类型（新收）", "type": "纠纷类型", "total": "合计", "none_received": "本周无新收纠纷。",
        "by_source": "按来源（新收）", "source": "来源",
        "by_level": "按调委会层级（小事不出村、大事不出乡）", "level": "调委会层级", "share": "占调结比例",
        "village": "村（社区）", "township": "乡镇（街道）", "county_and_above": "县级及以上",
        "local_line": "本周调结 {concluded} 件，其中村、乡镇两级化解 {local} 件，就地化解率 {rate}。",
        "prevention": "预防成效", "kind": "类别", "cases": "件数", "people": "人数",
        "overdue": "超期最久的未结纠纷（期末）", "case_number": "案号", "committee": "调委会",
        "deadline": "期限", "days_overdue": "超期天数", "no_overdue": "期末无超期未结纠纷。",
        "days": "{n} 天", "prevented_line": "{cases} 件，{people} 人", "pp": "个百分点", "charts": "图表", "attachment": "明细见附件 Excel 表格。",
        "footer": "本邮件由人民调解案件管理系统自动发送，数据按事件发生时间统计，周报生成后存档不变。",
        "chart_types": "新收纠纷（按类型）", "chart_levels": "调结纠纷（按调委会层级）",
        "generated": "生成时间", "sheet_summary": "概要", "sheet_types": "纠纷类型", "sheet_sources": "来源",
        "sheet_levels": "调委会层级", "sheet_prevention": "预防", "sheet_overdue": "超期未结",
        "org": "单位", "week": "周次",
    },
    "en": {
        "subject": "[Fengqiao weekly report] {org} {week}", "title": "Fengqiao weekly report", "period": "Period",
        "intro": "People's mediation in {org} (including its subordinate units), {week}. Changes against the "
                 "previous week are shown beside each figure.",
        "figure": "Figure", "this_week": "This week", "previous_week": "Previous week", "change": "Change",
        "received": "Received", "accepted": "Accepted", "rejected": "Not accepted", "concluded": "Concluded",
        "agreements": "Agreements", "failed": "Failed", "withdrawn": "Withdrawn", "success_rate": "Success rate",
        "on_time_rate": "On-time rate", "amount_total": "Amount agreed", "local_resolution_rate":
            "Settled locally (village, township)", "escalated": "Escalated", "confirmations": "Judicial confirmations",
        "performance_rate": "Performance rate", "overdue_open": "Overdue open (end of week)",
        "by_type": "By dispute type (received)", "type": "Dispute type", "total": "Total",
        "none_received": "No disputes received this week.", "by_source": "By source (received)", "source": "Source",
        "by_level": "By committee level (small matters stay in the village, big ones in the township)",
        "level": "Committee level", "share": "Share of concluded", "village": "Village", "township": "Township",
        "county_and_above": "County and above",
        "local_line": "{concluded} disputes concluded this week, {local} of them by village and township "
                      "committees: {rate} settled locally.",
        "prevention": "Prevention", "kind": "Kind", "cases": "Cases", "people": "People",
        "overdue": "Longest overdue open disputes (end of week)", "case_number": "Case number",
        "committee": "Committee", "deadline": "Deadline", "days_overdue": "Days overdue",
        "no_overdue": "No overdue open disputes at the end of the week.", "days": "{n} days", "prevented_line": "{cases} cases, {people} people", "pp": " pp",
        "charts": "Charts", "attachment": "The detailed tables are in the attached Excel workbook.",
        "footer": "Sent automatically by the people's mediation case system. Figures count events by when they "
                  "happened; a week's report is archived as generated.",
        "chart_types": "Received by dispute type", "chart_levels": "Concluded by committee level",
        "generated": "Generated", "sheet_summary": "Summary", "sheet_types": "By type", "sheet_sources": "By source",
        "sheet_levels": "By level", "sheet_prevention": "Prevention", "sheet_overdue": "Overdue",
        "org": "Org", "week": "Week",
    },
}
HEADLINE = ("received", "accepted", "rejected", "concluded", "agreements", "failed", "withdrawn", "success_rate",
            "on_time_rate", "local_resolution_rate", "amount_total", "escalated", "confirmations",
            "performance_rate", "overdue_open")
RATES = ("success_rate", "on_time_rate", "local_resolution_rate", "performance_rate")
LEVELS = ("village", "township", "county_and_above")


# -- number formats ---------------------------------------------------------------------------
def percent(value: Optional[float]) -> str:
    """0.8571 → 85.7%; None → —."""
    return "—" if value is None else f"{Decimal(str(value)) * 100:.1f}%"


def yuan(value: Any) -> str:
    """'1234567.5' → ¥1,234,567.50."""
    return f"¥{Decimal(str(value or 0)):,.2f}"


def _signed(number: Decimal, fmt: str) -> str:
    sign = "+" if number > 0 else ("−" if number < 0 else "")
    return sign + fmt.format(abs(number))


def change(key: str, now: Any, before: Any, labels: dict[str, str]) -> str:
    """The change against the previous week, formatted like the figure (rates in percentage points)."""
    if key in RATES:
        if now is None or before is None:
            return "—"
        points = (Decimal(str(now)) - Decimal(str(before))) * 100
        return _signed(points.quantize(Decimal("0.1")), "{:.1f}") + labels["pp"]
    if key == "amount_total":
        diff = Decimal(str(now or 0)) - Decimal(str(before or 0))
        return "0" if diff == 0 else ("+" if diff > 0 else "−") + yuan(abs(diff))
    return _signed(Decimal(int(now or 0) - int(before or 0)), "{:,}")


def show(key: str, value: Any) -> str:
    if key in RATES:
        return percent(value)
    if key == "amount_total":
        return yuan(value)
    return f"{int(value or 0):,}"


# -- the content ------------------------------------------------------------------------------
def report_context(snapshot: ReportSnapshot, previous: ReportSnapshot, org: OrgUnit, locale: str) -> dict[str, Any]:
    """Everything the templates, charts and workbook show, formatted for `locale`."""
    t = LABELS[locale]
    m, p = snapshot.metrics, previous.metrics
    type_names = DISPUTE_TYPES if locale == "zh" else DISPUTE_TYPES_EN
    source_names = SOURCES if locale == "zh" else SOURCES_EN
    prevention_names = PREVENTION_KINDS if locale == "zh" else PREVENTION_EN
    headline = [{"key": k, "label": t[k], "value": show(k, m.get(k)), "previous": show(k, p.get(k)),
                 "change": change(k, m.get(k), p.get(k), t)} for k in HEADLINE]
    types = [{"key": k, "label": type_names[k], "value": m["by_type"].get(k, 0), "previous": p["by_type"].get(k, 0)}
             for k in DISPUTE_TYPES if m["by_type"].get(k, 0) or p["by_type"].get(k, 0)]
    types.sort(key=lambda r: (-r["value"], -r["previous"]))
    sources = [{"key": k, "label": source_names[k], "value": m["by_source"].get(k, 0),
                "previous": p["by_source"].get(k, 0)}
               for k in SOURCES if m["by_source"].get(k, 0) or p["by_source"].get(k, 0)]
    by_level = m.get("by_level", {})
    concluded = m.get("concluded", 0)
    levels = []
    for level in LEVELS:
        row = by_level.get(level, {})
        n = row.get("concluded", 0)
        levels.append({"key": level, "label": t[level], "concluded": n, "agreements": row.get("agreements", 0),
                       "failed": row.get("failed", 0), "withdrawn": row.get("withdrawn", 0),
                       "share": percent(round(n / concluded, 4) if concluded else None)})
    local = sum(r["concluded"] for r in levels if r["key"] in ("village", "township"))
    prevented = [{"key": k, "label": prevention_names[k], "cases": m["prevented"][k]["cases"],
                  "people": m["prevented"][k]["people"]} for k in PREVENTION_KINDS]
    overdue = [{"case_number": o["case_number"], "committee": o["committee"],
                "kind": KINDS[locale].get(o["kind"], o["kind"]), "days": o["days_overdue"],
                "days_text": t["days"].format(n=o["days_overdue"])} for o in m.get("most_overdue", [])]
    return {
        "t": t, "locale": locale, "org": org.name, "org_code": org.code, "week": snapshot.week,
        "previous_week": previous.week, "period": f"{snapshot.period_from.isoformat()} – {snapshot.period_to.isoformat()}",
        "intro": t["intro"].format(org=org.name, week=snapshot.week), "headline": headline, "types": types,
        "types_total": m.get("received", 0), "types_total_previous": p.get("received", 0), "sources": sources,
        "levels": levels, "local_line": t["local_line"].format(concluded=f"{concluded:,}", local=f"{local:,}",
                                                               rate=percent(m.get("local_resolution_rate"))),
        "prevented": prevented, "overdue": overdue, "metrics": m, "previous_metrics": p,
    }


def chart_images(ctx: dict[str, Any]) -> list[tuple[str, str, bytes]]:
    """(content id, alt text, PNG) for each chart; labels in Chinese only when a CJK font exists."""
    font = charts.cjk_font()
    locale = ctx["locale"] if font else "en"
    t = LABELS[locale]
    names = DISPUTE_TYPES if locale == "zh" else DISPUTE_TYPES_EN
    out = []
    types = ctx["types"]  # every type present this week or the last, as in the table (never cut to ten)
    if types:
        png = charts.horizontal_bars(
            t["chart_types"], [names[r["key"]] for r in types],
            [(f"{t['this_week']} {ctx['week']}", [r["value"] for r in types]),
             (f"{t['previous_week']} {ctx['previous_week']}", [r["previous"] for r in types])], font)
        out.append((f"types.{ctx['week']}@mediation", ctx["t"]["chart_types"], png))
    levels = ctx["levels"]
    if any(r["concluded"] for r in levels):
        png = charts.stacked_bars(
            t["chart_levels"], [t[r["key"]] for r in levels],
            [(t["agreements"], [r["agreements"] for r in levels]), (t["failed"], [r["failed"] for r in levels]),
             (t["withdrawn"], [r["withdrawn"] for r in levels])], font)
        out.append((f"levels.{ctx['week']}@mediation", ctx["t"]["chart_levels"], png))
    return out


def workbook(ctx: dict[str, Any]) -> bytes:
    """The detailed tables as an .xlsx workbook (numbers as numbers, with formats)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    t, m, p = ctx["t"], ctx["metrics"], ctx["previous_metrics"]
    book = Workbook()
    bold = Font(bold=True)

    def sheet(title: str, header: list[str], rows: list[list[Any]], formats: Optional[dict[int, str]] = None):
        ws = book.create_sheet(title)
        append_row(ws, header)
        for cell in ws[1]:
            cell.font = bold
        for row in rows:
            append_row(ws, row)
        for col, fmt in (formats or {}).items():
            for (cell,) in ws.iter_rows(min_row=2, min_col=col, max_col=col):
                cell.number_format = fmt
        for column in ws.columns:
            ws.column_dimensions[column[0].column_letter].width = max(12, *(len(str(c.value or "")) * 2 for c in column))
        return ws

    summary = book.active
    summary.title = t["sheet_summary"]
    append_row(summary, [t["org"], ctx["org"], ctx["org_code"]])
    append_row(summary, [t["week"], ctx["week"], ctx["period"]])
    summary.append([])
    append_row(summary, [t["figure"], t["this_week"], t["previous_week"]])
    for cell in summary[4]:
        cell.font = bold
    for key in HEADLINE:
        now, before = m.get(key), p.get(key)
        if key == "amount_total":
            now, before = float(Decimal(now or 0)), float(Decimal(before or 0))
        append_row(summary, [t[key], now, before])
        fmt = "0.0%" if key in RATES else ('"¥"#,##0.00' if key == "amount_total" else "#,##0")
        for cell in summary[summary.max_row][1:]:
            cell.number_format = fmt
    summary.column_dimensions["A"].width = 36
    summary.column_dimensions["B"].width = 18
    summary.column_dimensions["C"].width = 18
    names = DISPUTE_TYPES if ctx["locale"] == "zh" else DISPUTE_TYPES_EN
    sheet(t["sheet_types"], [t["type"], t["this_week"], t["previous_week"]],
          [[names[k], m["by_type"].get(k, 0), p["by_type"].get(k, 0)] for k in DISPUTE_TYPES]
          + [[t["total"], m.get("received", 0), p.get("received", 0)]])
    source_names = SOURCES if ctx["locale"] == "zh" else SOURCES_EN
    sheet(t["sheet_sources"], [t["source"], t["this_week"], t["previous_week"]],
          [[source_names[k], m["by_source"].get(k, 0), p["by_source"].get(k, 0)] for k in SOURCES])
    sheet(t["sheet_levels"], [t["level"], t["concluded"], t["agreements"], t["failed"], t["withdrawn"], t["share"]],
          [[r["label"], r["concluded"], r["agreements"], r["failed"], r["withdrawn"],
            (r["concluded"] / m["concluded"]) if m.get("concluded") else None] for r in ctx["levels"]],
          {6: "0.0%"})
    sheet(t["sheet_prevention"], [t["kind"], t["cases"], t["people"]],
          [[r["label"], r["cases"], r["people"]] for r in ctx["prevented"]])
    sheet(t["sheet_overdue"], [t["case_number"], t["committee"], t["deadline"], t["days_overdue"]],
          [[r["case_number"], r["committee"], r["kind"], r["days"]] for r in ctx["overdue"]])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


class RelatedAlternativesEmail(EmailMultiAlternatives):
    """EmailMultiAlternatives whose HTML part travels in multipart/related with its inline images."""

    def __init__(self, *args, related: Optional[list[MIMEImage]] = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.related = related or []

    def _create_mime_attachment(self, content, mimetype):
        part = super()._create_mime_attachment(content, mimetype)
        if mimetype == "text/html" and self.related:
            encoding = self.encoding or current_app.extensions["mailman"].default_charset
            wrapper = SafeMIMEMultipart(_subtype="related", encoding=encoding)
            wrapper.attach(part)
            for image in self.related:
                wrapper.attach(image)
            return wrapper
        return part


def prepare_weekly_email(snapshot: ReportSnapshot, previous: ReportSnapshot, org: OrgUnit, locale: str) -> int:
    """Renders the week's e-mail in `locale` once and stores it (`PreparedMessage`); returns its id.

    Called when the e-mails are queued (reports/weekly.py, `send_weekly`), in its own short
    transaction: delivery later only sends what is stored here, and computes nothing.
    """
    key = f"weekly:{org.code}:{snapshot.week}:{locale}"
    found = db.session.scalar(select(PreparedMessage.id).where(PreparedMessage.key == key))
    if found is not None:
        return found
    mime = render_weekly_email(snapshot, previous, org, locale).message().as_bytes(linesep="\r\n")
    with unit_of_work() as session:
        row = PreparedMessage(key=key, mime=mime)
        try:
            with session.begin_nested():
                session.add(row)
                session.flush()
        except IntegrityError:  # prepared at the same moment by another run: theirs is as good
            return db.session.scalar(select(PreparedMessage.id).where(PreparedMessage.key == key))
        return row.id


def render_weekly_email(snapshot: ReportSnapshot, previous: ReportSnapshot, org: OrgUnit,
                        locale: str) -> EmailMultiAlternatives:
    """The weekly report e-mail of `snapshot` (beside the previous week's), without a recipient."""
    ctx = report_context(snapshot, previous, org, locale)
    images = chart_images(ctx)
    ctx["images"] = [{"cid": cid, "alt": alt} for cid, alt, _ in images]
    text = redact(render_template("reports/weekly_email.txt", **ctx))
    html = redact(render_template("reports/weekly_email.html", **ctx))
    related = []
    for cid, _, png in images:
        image = MIMEImage(png, "png")
        image.add_header("Content-ID", f"<{cid}>")
        image.add_header("Content-Disposition", "inline", filename=cid.split("@")[0] + ".png")
        related.append(image)
    # one line whatever the org's name holds (names from before the one-line rule), personal data masked
    subject = redact(" ".join(LABELS[locale]["subject"].format(org=org.name, week=snapshot.week).split()))
    message = RelatedAlternativesEmail(subject=subject, body=text, from_email=current_app.config.get("MAIL_DEFAULT_SENDER"),
                                       related=related)
    message.attach_alternative(html, "text/html")
    filename = f"fengqiao-weekly-{org.code}-{snapshot.week}.xlsx"
    message.attach(filename, workbook(ctx), XLSX)
    return message
