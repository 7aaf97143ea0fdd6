"""Scripted showcase cases: whatever N and seed, the demo holds every state, outcome and special path.

They go first (a demo of 40 cases is all showcase), mostly to the committees of the named logins,
so `zhang.tj`, `li.sm`, `ma.nm` and the professional mediators see every kind of case at once.
"""
from __future__ import annotations

from demo.stories.tellers import Fate, Script

FQ, SM, NM = "LX-CG-FQ", "LX-CG-SM", "CD-CN-NM"  # village and community committees of the named mediators
CG, LX, JC = "LX-CG", "LX", "JC"  # township, county and city people's committees
MED, LAB, TRAFFIC, PROPERTY = "LX-YLTW", "LX-LDTW", "CD-JTTW", "CD-WYTW"

SHOWCASE: list[Script] = [
    # open cases, some with overdue deadlines (something for the reminders to say)
    Script(FQ, "neighbourhood", 1, Fate(stop_after="register")),
    Script(FQ, "damages", 9, Fate(stop_after="register")),
    Script(SM, "marriage_family", 6, Fate(stop_after="accept")),
    Script(FQ, "housing_land", 50, Fate(stop_after="accept")),
    Script(NM, "property_mgmt", 10, Fate(stop_after="assign")),
    Script(FQ, "neighbourhood", 16, Fate(stop_after="start_mediation")),
    Script(SM, "contract", 48, Fate(stop_after="start_mediation"), risk="yellow"),
    Script(FQ, "land_forest", 42, Fate(extend=True, stop_after="extend")),
    Script(FQ, "neighbourhood", 50, Fate(form="written", with_due=False, stop_after="reach_agreement")),
    Script(LAB, "labour", 75, Fate(confirmation="pending", with_due=False, stop_after="request_confirmation")),
    Script(FQ, "marriage_family", 75, Fate(with_due=False, performances=("partial",), close_anyway=True,
                                           stop_after="record_follow_up")),
    Script(SM, "neighbourhood", 75, Fate(form="oral", with_due=False, stop_after="start_follow_up")),
    Script(PROPERTY, "property_mgmt", 16, Fate(stop_after="start_mediation"), risk="yellow"),
    # closed with an agreement: oral, written, judicially confirmed or denied, performed in part …
    Script(FQ, "neighbourhood", 200, Fate(form="oral", with_due=False)),
    Script(TRAFFIC, "traffic", 150, Fate(confirmation="confirmed")),
    Script(MED, "medical", 170, Fate(confirmation="denied"), risk="orange"),
    Script(FQ, "contract", 240, Fate(performances=("partial", "full"))),
    Script(NM, "property_mgmt", 120, Fate(with_due=False, performances=("none",), close_anyway=True)),
    Script(FQ, "damages", 260, Fate(performances=("partial",), reopen=True, after_reopen="agreement")),
    Script(SM, "housing_land", 230, Fate(performances=("none",), reopen=True, after_reopen="fail")),
    Script(FQ, "production", 110, Fate(with_due=False, performances=("partial",), reopen=True,
                                       stop_after="reopen")),
    # failed, withdrawn, rejected
    Script(FQ, "contract", 100, Fate(conclusion="fail", referral="litigation")),
    Script(CG, "labour", 80, Fate(conclusion="fail", referral="arbitration")),
    Script(FQ, "neighbourhood", 40, Fate(conclusion="withdraw")),
    Script(SM, "other", 15, Fate(decision="withdraw")),
    Script(FQ, "neighbourhood", 30, Fate(decision="reject", reject_reason="party_refused")),
    Script(NM, "other", 60, Fate(decision="reject", reject_reason="out_of_scope")),
    Script(CG, "contract", 90, Fate(decision="reject", reject_reason="already_handled")),
    Script(LX, "other", 120, Fate(decision="reject", reject_reason="other")),
    # escalations: village → township, village → township → county, village → county professional
    Script(FQ, "land_forest", 210, Fate(escalations=1)),
    Script(FQ, "expropriation", 280, Fate(escalations=2, confirmation="confirmed"), risk="orange",
           source="referral_petition"),
    Script(SM, "medical", 45, Fate(escalations=1, escalate_to_professional=True, stop_after="start_mediation",
                                   stop_count=2)),
    Script(FQ, "neighbourhood", 25, Fate(escalations=1, escalate_at="accepted", stop_after="assign", stop_count=2)),
    # risk and prevention (防止民转刑, 防止群体性上访, 防止自杀, 防止群体性械斗)
    Script(FQ, "expropriation", 160, Fate(prevention="group_petition"), risk="red", source="screening"),
    Script(CG, "labour", 55, Fate(prevention="civil_to_criminal", stop_after="reach_agreement"), risk="red"),
    Script(LX, "marriage_family", 140, Fate(prevention="suicide"), risk="orange"),
    Script(CG, "damages", 110, Fate(prevention="group_fight"), risk="orange", source="referral_police"),
    # a mediator stepping aside (回避), a late acceptance and a late conclusion, the city committee
    Script(FQ, "neighbourhood", 180, Fate(reassign=True, mediators=2)),
    Script(NM, "consumer", 130, Fate(accept_late=True, late=True)),
    Script(SM, "contract", 190, Fate(extend=True, confirmation="confirmed")),
    Script(JC, "expropriation", 190, Fate(sessions=4), risk="orange"),
]
