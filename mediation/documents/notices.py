"""Papers addressed to the parties or the court: 司法确认申请书 (between persons, or between a person
and an organisation), 不予受理告知书 and 终止调解告知书 (with the routes the law names)."""
from __future__ import annotations

from mediation.common.personal import redact
from mediation.documents.agreement import agreement_number
from mediation.documents.context import Context
from mediation.documents.forms import Form, cn_date

CONFIRMATION = "司法确认申请书"
REJECTION = "不予受理告知书"
TERMINATION = "终止调解告知书"
REJECT_REASONS = {"party_refused": "当事人明确拒绝调解", "out_of_scope": "不属于人民调解范围",
                  "already_handled": "已由法院、公安或其他机关受理或处理", "other": "其他"}
ROUTES = {"litigation": "依法向人民法院提起诉讼",
          "arbitration": "依法申请仲裁",
          "administrative": "依法向有关行政机关申请处理"}


def confirmation_application(ctx: Context, doc=None) -> Form:
    d, agreement = ctx.dispute, ctx.dispute.agreement
    organisation = any(p.kind == "organization" for p in d.parties)
    variant = "（自然人与法人或其他组织之间）" if organisation else "（自然人之间）"
    form = Form(ctx.committee_name, CONFIRMATION, doc=doc)
    form.para(variant, align="center")
    form.grid(ctx.party_rows(), widths=[22, 30, 12, 22, 12, 16])
    form.labelled("请求事项", f"请求人民法院确认申请人于{cn_date(agreement.agreed_at)}经{ctx.committee_name}"
                          f"调解达成的调解协议（编号：{agreement_number(d.case_number)}）有效。")
    form.labelled("事实与理由",
                  f"申请人因{ctx.type_name}纠纷，经{ctx.committee_name}调解，于{cn_date(agreement.agreed_at)}"
                  f"自愿达成调解协议，协议内容：{redact(agreement.terms)}。申请人出于解决纠纷的目的自愿达成协议，"
                  "没有恶意串通、规避法律的行为；如因虚假调解协议损害他人合法权益，愿承担相应的法律责任。")
    form.para("此致")
    form.para(agreement.confirmation_court or "＿＿＿＿人民法院")
    form.para("附：人民调解协议书一份")
    for p in d.parties:
        label = "申请人（盖章）" if p.kind == "organization" else "申请人（签名或按指印）"
        form.para(f"{label}：{p.name}　＿＿＿＿＿＿＿＿", align="right")
    form.para(cn_date(agreement.confirmation_requested_at), align="right")
    return form


def rejection_notice(ctx: Context, doc=None) -> Form:
    d = ctx.dispute
    event = ctx.event("reject")
    code = event.result if event is not None else "other"
    reason = redact((event.payload or {}).get("reason", "")) if event is not None else ""
    form = Form(ctx.committee_name, REJECTION, "编号：" + d.case_number, doc=doc)
    form.para("、".join(p.name for p in d.parties) + "：")
    form.para(f"你（们）于{cn_date(d.received_at)}申请调解的{ctx.type_name}纠纷，经审查，"
              f"因{REJECT_REASONS.get(code, code)}{('（' + reason + '）') if reason else ''}，"
              "本委员会决定不予受理。", indent=True)
    form.para("你（们）可以依法通过诉讼、仲裁、行政等途径解决该纠纷。", indent=True)
    form.para("特此告知。", indent=True)
    form.para(f"{ctx.committee_name}（印章）", align="right")
    form.para(cn_date(event.occurred_at if event is not None else None), align="right")
    return form


def termination_notice(ctx: Context, doc=None) -> Form:
    d = ctx.dispute
    event = ctx.event("fail")
    referral = event.result if event is not None else "none"
    reason = redact((event.payload or {}).get("reason", "")) if event is not None else ""
    form = Form(ctx.committee_name, TERMINATION, "编号：" + d.case_number, doc=doc)
    form.para("、".join(p.name for p in d.parties) + "：")
    form.para(f"你（们）之间的{ctx.type_name}纠纷，经本委员会调解，未能达成调解协议"
              f"{('（' + reason + '）') if reason else ''}，本委员会决定终止调解。", indent=True)
    routes = [ROUTES[referral]] if referral in ROUTES else list(ROUTES.values())
    form.para("根据《中华人民共和国人民调解法》第二十六条，你（们）可以" + "，或".join(routes) + "，维护自己的权利。",
              indent=True)
    form.para("特此告知。", indent=True)
    form.para(f"{ctx.committee_name}（印章）", align="right")
    form.para(cn_date(event.occurred_at if event is not None else d.concluded_at), align="right")
    return form
