"""人民调解协议书 (a written agreement) and 人民调解口头协议登记表 (an oral one): one kind, `agreement`,
chosen by the agreement's form. The items are those of the People's Mediation Law art. 29 and the
Ministry's 2010 format: committee and number, the parties' particulars, the main facts, the disputed
issues and responsibility, the agreed terms, the manner, place and time of performance, the number
of copies (each party one, the committee one), places for signatures or fingerprints, the
mediator's and the recorder's signatures and the committee's seal."""
from __future__ import annotations

from mediation.common.personal import redact
from mediation.documents.context import Context
from mediation.documents.forms import Form, cn_date, yuan

WRITTEN = "人民调解协议书"
ORAL = "人民调解口头协议登记表"
CN_DIGITS = "〇一二三四五六七八九"


def agreement_number(case_number: str) -> str:
    """协议编号: the case number's 调字 becomes 调协字 (`（2026）C0001调协字第00001号`)."""
    if "调字" in case_number:
        return case_number.replace("调字", "调协字", 1)
    return case_number + "-协"


def cn_count(n: int) -> str:
    if n < 10:
        return CN_DIGITS[n]
    if n < 20:
        return "十" + (CN_DIGITS[n % 10] if n % 10 else "")
    return str(n)


def title(ctx: Context) -> str:
    agreement = ctx.dispute.agreement
    return ORAL if agreement is not None and agreement.form == "oral" else WRITTEN


def render(ctx: Context, doc=None) -> Form:
    dispute, agreement = ctx.dispute, ctx.dispute.agreement
    oral = agreement.form == "oral"
    form = Form(ctx.committee_name, ORAL if oral else WRITTEN, "编号：" + agreement_number(dispute.case_number),
                doc=doc)
    form.grid(ctx.party_rows(), widths=[22, 30, 12, 22, 12, 16])
    form.labelled("纠纷主要事实", redact(dispute.summary) or "")
    form.labelled("争议事项及各方责任", ctx.issues())
    form.labelled("经调解，当事人自愿达成如下协议" if not oral else "口头协议内容", redact(agreement.terms) or "")
    if agreement.amount:
        form.labelled("协议涉及金额", yuan(agreement.amount))
    due = cn_date(agreement.performance_due) if agreement.performance_due else "协议生效后即时履行"
    form.labelled("履行协议的方式、地点、期限",
                  f"方式：按上述协议内容履行；地点：{ctx.place()}；期限：{due}")
    if oral:
        form.labelled("协议达成时间", cn_date(agreement.agreed_at))
        form.para("当事人同意以口头协议方式解决纠纷，人民调解员已记录协议内容。", indent=True)
    else:
        copies = len(dispute.parties) + 1
        form.para(f"本协议书一式{cn_count(copies)}份，当事人各执一份，人民调解委员会留存一份。"
                  "本协议自各方当事人签名（盖章或按指印）、人民调解员签名并加盖人民调解委员会印章之日起生效。",
                  indent=True)
    form.para("当事人（签名盖章或按指印）：", bold=True)
    for party in dispute.parties:
        form.para(f"{party.name}：＿＿＿＿＿＿＿＿＿＿")
    form.para(f"人民调解员（签名）：{ctx.mediator_names()}　＿＿＿＿＿＿＿＿")
    form.para(f"记录人（签名）：{ctx.recorder_name()}　＿＿＿＿＿＿＿＿")
    form.para(f"{ctx.committee_name}（印章）", align="right")
    form.para(cn_date(agreement.agreed_at), align="right")
    return form
