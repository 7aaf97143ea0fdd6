"""Intake forms: 人民调解申请书, 人民调解受理登记表, 人民调解当事人权利义务告知书 (the Ministry's 2010 formats)."""
from __future__ import annotations

from mediation.common.personal import redact
from mediation.documents.context import Context
from mediation.documents.forms import Form, cn_date
from mediation.models.enums import SOURCES

APPLICATION = "人民调解申请书"
REGISTRATION = "人民调解受理登记表"
RIGHTS_NOTICE = "人民调解当事人权利义务告知书"
ON_APPLICATION = ("walk_in", "online")


def application(ctx: Context, doc=None) -> Form:
    d = ctx.dispute
    form = Form(ctx.committee_name, APPLICATION, doc=doc)
    form.grid(ctx.party_rows(), widths=[22, 30, 12, 22, 12, 16])
    form.labelled("纠纷简要情况陈述", redact(d.summary) or "")
    form.labelled("当事人申请事项", f"请求{ctx.committee_name}依法调解上述{ctx.type_name}纠纷。")
    form.para(f"{ctx.committee_name}已将申请人民调解的相关规定告知我，现自愿申请人民调解委员会进行调解。",
              indent=True)
    form.para("申请人（签名盖章或按指印）：＿＿＿＿＿＿＿＿", align="right")
    form.para(cn_date(d.received_at), align="right")
    return form


def registration(ctx: Context, doc=None) -> Form:
    d = ctx.dispute
    source = "①当事人申请" if d.source in ON_APPLICATION else (
        "②人民调解委员会主动调解" if d.source == "screening" else SOURCES.get(d.source, d.source))
    form = Form(ctx.committee_name, REGISTRATION, "编号：" + d.case_number, doc=doc)
    names = [p.name for p in d.parties]
    form.para(f"{cn_date(d.accepted_at or d.received_at)}，本人民调解委员会经当事人同意，调解"
              f"{'、'.join(names)}之间的纠纷。", indent=True)
    form.grid([["受理日期", cn_date(d.accepted_at) if d.accepted_at else "（待受理）",
                "登记日期", cn_date(d.received_at)],
               ["纠纷类型", ctx.type_name, "案件来源", source],
               ["当事人", "、".join(names)],
               ["纠纷简要情况", redact(d.summary) or ""]], widths=[28, 50, 28, 50])
    form.para("当事人（签名）：＿＿＿＿＿＿＿＿")
    form.para(f"登记人（签名）：{ctx.registrar_name()}　＿＿＿＿＿＿＿＿")
    form.para(f"{ctx.committee_name}（印章）", align="right")
    form.para(cn_date(d.received_at), align="right")
    form.para("备注：此表由人民调解委员会填写。")
    return form


RIGHTS = (
    "一、人民调解委员会是依法设立的调解民间纠纷的群众性组织。人民调解委员会调解民间纠纷，"
    "在当事人自愿、平等的基础上进行，不违背法律、法规和国家政策，尊重当事人的权利，不收取任何费用。",
    "二、在人民调解活动中，当事人享有下列权利：（一）选择或者接受人民调解员；（二）接受调解、拒绝调解"
    "或者要求终止调解；（三）要求调解公开进行或者不公开进行；（四）自主表达意愿、自愿达成调解协议。",
    "三、在人民调解活动中，当事人履行下列义务：（一）如实陈述纠纷事实；（二）遵守调解现场秩序，"
    "尊重人民调解员；（三）尊重对方当事人行使权利。",
    "四、经人民调解委员会调解达成的调解协议，具有法律约束力，当事人应当按照约定履行。"
    "经调解达成调解协议后，双方当事人认为有必要的，可以自调解协议生效之日起三十日内共同向人民法院申请司法确认。",
    "五、人民调解员没有调解或者调解不成的，当事人可以依法通过仲裁、行政、司法等途径维护自己的权利。",
)


def rights_notice(ctx: Context, doc=None) -> Form:
    form = Form(ctx.committee_name, RIGHTS_NOTICE, "编号：" + ctx.dispute.case_number, doc=doc)
    form.para("根据《中华人民共和国人民调解法》，现将人民调解委员会的性质、调解原则和法律效力，"
              "以及在调解中各方当事人享有的权利和应当承担的义务告知如下：", indent=True)
    for text in RIGHTS:
        form.para(text, indent=True)
    form.para("以上内容本人已知悉。", indent=True)
    for party in ctx.dispute.parties:
        form.para(f"当事人 {party.name}（签名或按指印）：＿＿＿＿＿＿＿＿　　年　　月　　日")
    form.para(f"{ctx.committee_name}（印章）", align="right")
    form.para(cn_date(ctx.dispute.accepted_at), align="right")
    return form
