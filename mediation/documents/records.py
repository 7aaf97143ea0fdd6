"""Records kept during and after mediation: 人民调解记录 (one per session) and 人民调解回访记录
(one per follow-up, carrying the agreement's number)."""
from __future__ import annotations

from mediation.common.personal import redact
from mediation.documents.agreement import agreement_number
from mediation.documents.context import Context
from mediation.documents.forms import Form, cn_date, cn_datetime
from mediation.models import FollowUp, MediationSession

SESSION_RECORD = "人民调解记录"
INVESTIGATION_RECORD = "人民调解调查记录"
FOLLOW_UP_RECORD = "人民调解回访记录"
MODES = {"in_person": "现场调解", "phone": "电话调解", "video": "视频调解"}
METHODS = {"visit": "上门回访", "phone": "电话回访", "video": "视频回访"}
PERFORMANCE = {"full": "已全部履行", "partial": "部分履行", "none": "未履行"}


def session_record(ctx: Context, session: MediationSession, doc=None) -> Form:
    d = ctx.dispute
    investigation = session.kind == "investigation"
    title = INVESTIGATION_RECORD if investigation else SESSION_RECORD
    form = Form(ctx.committee_name, title, "编号：" + d.case_number, doc=doc)
    present = "、".join(p.name for p in d.parties)
    form.grid([["时间", cn_datetime(session.held_at), "方式", MODES.get(session.mode, session.mode)],
               ["地点", session.location or ctx.committee_name],
               ["事由", f"{ctx.type_name}纠纷"],
               ["当事人", present],
               ["人民调解员", ctx.mediator_names()],
               ["记录人", ctx.display(ctx.user(session.recorded_by_id))]], widths=[25, 55, 20, 55])
    if investigation:
        form.labelled("调查记录（被调查人陈述及调查情况）", redact(session.notes) or "")
    else:
        form.labelled("调解记录（各方陈述及调解情况）", redact(session.notes) or "")
        outcome = "本次调解已达成协议。" if d.agreement is not None and d.agreement.agreed_at >= session.held_at else ""
        form.labelled("调解结果", outcome or "本次调解未达成协议，继续调解。")
    form.para("当事人（签名或按指印）：" + "　".join(f"{p.name}＿＿＿＿" for p in d.parties))
    form.para("人民调解员（签名）：＿＿＿＿＿＿＿＿　记录人（签名）：＿＿＿＿＿＿＿＿")
    return form


def follow_up_record(ctx: Context, follow_up: FollowUp, doc=None) -> Form:
    d = ctx.dispute
    form = Form(ctx.committee_name, FOLLOW_UP_RECORD, "编号：" + d.case_number, doc=doc)
    number = agreement_number(d.case_number) if d.agreement is not None else ""
    form.grid([["当事人", "、".join(p.name for p in d.parties)],
               ["调解协议编号", number],
               ["回访事由", f"{ctx.type_name}纠纷调解协议履行情况"],
               ["回访时间", cn_date(follow_up.visited_at), "回访方式", METHODS.get(follow_up.method, follow_up.method)],
               ["履行情况", PERFORMANCE.get(follow_up.performance, follow_up.performance)],
               ["回访情况", redact(follow_up.notes) or ""]], widths=[30, 50, 25, 50])
    recorder = ctx.display(ctx.user(follow_up.recorded_by_id))
    form.para(f"回访人（签名）：{recorder}　＿＿＿＿＿＿＿＿", align="right")
    form.para(cn_date(follow_up.visited_at), align="right")
    return form
