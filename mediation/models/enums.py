"""The domain's closed vocabularies, with their Chinese names."""
from __future__ import annotations

ORG_LEVELS = ("province", "city", "county", "township", "village")
ORG_LEVEL_NAMES = {"province": "省", "city": "市", "county": "县（区）", "township": "乡镇（街道）", "village": "村（社区）"}
COMMITTEE_KINDS = ("people", "professional", "enterprise")
ROLES = ("mediator", "supervisor", "admin")

DISPUTE_TYPES = {
    "marriage_family": "婚姻家庭",
    "neighbourhood": "邻里",
    "housing_land": "房屋宅基地",
    "contract": "合同",
    "production": "生产经营",
    "damages": "损害赔偿",
    "land_forest": "山林土地",
    "expropriation": "征地拆迁",
    "environment": "环境污染",
    "labour": "劳动争议",
    "medical": "医疗",
    "property_mgmt": "物业",
    "traffic": "道路交通",
    "consumer": "消费",
    "other": "其他",
}
SOURCES = {
    "walk_in": "当事人申请",
    "screening": "排查发现",
    "referral_court": "法院委派",
    "referral_police": "公安移交",
    "referral_petition": "信访转办",
    "referral_government": "政府部门转办",
    "online": "网上申请",
    "other": "其他",
}
RISK_LEVELS = ("none", "yellow", "orange", "red")
OUTCOMES = ("rejected", "failed", "withdrawn", "agreement")
PARTY_ROLES = ("applicant", "respondent", "third_party")
PARTY_KINDS = ("person", "organization")
SESSION_MODES = ("in_person", "phone", "video")
SESSION_KINDS = ("mediation", "investigation")  # picks the form: 人民调解记录 / 人民调解调查记录
SEXES = ("male", "female")
AGREEMENT_FORMS = ("oral", "written")
CONFIRMATION_STATES = ("none", "requested", "confirmed", "denied")
PERFORMANCE = ("full", "partial", "none")
FOLLOW_UP_METHODS = ("visit", "phone", "video")
REJECT_REASONS = ("party_refused", "out_of_scope", "already_handled", "other")
REFERRALS = ("litigation", "arbitration", "administrative", "none")
PREVENTION_KINDS = {
    "civil_to_criminal": "防止民转刑",
    "suicide": "防止自杀",
    "group_petition": "防止群体性上访",
    "group_fight": "防止群体性械斗",
}
DEADLINE_KINDS = ("acceptance", "mediation", "confirmation", "follow_up")
DEADLINE_STATUSES = ("open", "met", "cancelled")
NOTIFICATION_KINDS = ("due_soon", "overdue", "supervisor_overdue", "risk_alert", "weekly_report", "job_failed")
JOBS = {  # periodic jobs whose runs are recorded (job_run)
    "reminder_scan": "期限提醒扫描",
    "weekly_reports": "每周报表",
}
CHANNELS = ("in_app", "email")
DELIVERY_STATUSES = ("pending", "sent", "failed")
DAY_COUNTS = ("calendar", "working")
