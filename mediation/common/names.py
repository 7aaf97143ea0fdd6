"""The one name table: every code people may see, by its words in the user's language (GLOSSARY.md).

Codes stay in the API, the database and the pages' `data-*` hooks; pages, e-mails, documents and
exports show these names. Each entry is a lazy gettext string with the table as its message
context (the same English word can have different Chinese names in two tables: "None" is 无 as a
risk level but 未履行 as a performance), so it is translated when shown, in the locale then in force.
The Chinese words live in mediation/translations/zh/LC_MESSAGES/messages.po.
"""
from __future__ import annotations

from flask_babel import LazyString, force_locale, lazy_pgettext

STATE = {
    "registered": lazy_pgettext("state", "Registered"),
    "accepted": lazy_pgettext("state", "Accepted"),
    "assigned": lazy_pgettext("state", "Assigned"),
    "in_mediation": lazy_pgettext("state", "In mediation"),
    "agreed": lazy_pgettext("state", "Agreed"),
    "follow_up": lazy_pgettext("state", "Follow-up"),
    "closed": lazy_pgettext("state", "Closed"),
    "rejected": lazy_pgettext("state", "Not accepted"),
}
TRIGGER = {
    "accept": lazy_pgettext("trigger", "Accept"),
    "reject": lazy_pgettext("trigger", "Decline"),
    "assign": lazy_pgettext("trigger", "Assign mediators"),
    "reassign": lazy_pgettext("trigger", "Reassign"),
    "start_mediation": lazy_pgettext("trigger", "Start mediation"),
    "extend": lazy_pgettext("trigger", "Extend the term"),
    "escalate": lazy_pgettext("trigger", "Escalate"),
    "reach_agreement": lazy_pgettext("trigger", "Record agreement"),
    "fail": lazy_pgettext("trigger", "Mediation failed"),
    "withdraw": lazy_pgettext("trigger", "Withdraw"),
    "request_confirmation": lazy_pgettext("trigger", "Request judicial confirmation"),
    "record_confirmation": lazy_pgettext("trigger", "Record confirmation result"),
    "start_follow_up": lazy_pgettext("trigger", "Start follow-up"),
    "record_follow_up": lazy_pgettext("trigger", "Record follow-up"),
    "reopen": lazy_pgettext("trigger", "Reopen"),
    "close": lazy_pgettext("trigger", "Close"),
    "session": lazy_pgettext("trigger", "Mediation session"),
    "prevention": lazy_pgettext("trigger", "Prevention record"),
}
EVENT = {
    "register": lazy_pgettext("event", "Registered"),
    "update": lazy_pgettext("event", "Edited"),
    "record_session": lazy_pgettext("event", "Session"),
    "record_prevention": lazy_pgettext("event", "Prevention"),
    "reveal": lazy_pgettext("event", "Revealed"),
    "download": lazy_pgettext("event", "Downloaded"),
}
OUTCOME = {
    "agreement": lazy_pgettext("outcome", "Agreement"),
    "failed": lazy_pgettext("outcome", "Failed"),
    "withdrawn": lazy_pgettext("outcome", "Withdrawn"),
    "rejected": lazy_pgettext("outcome", "Not accepted"),
}
DEADLINE_KIND = {
    "acceptance": lazy_pgettext("deadline_kind", "Acceptance"),
    "mediation": lazy_pgettext("deadline_kind", "Mediation term"),
    "confirmation": lazy_pgettext("deadline_kind", "Confirmation window"),
    "follow_up": lazy_pgettext("deadline_kind", "Follow-up"),
}
DEADLINE_STATUS = {
    "open": lazy_pgettext("deadline_status", "Open"),
    "met": lazy_pgettext("deadline_status", "Met"),
    "cancelled": lazy_pgettext("deadline_status", "Cancelled"),
    "due_soon": lazy_pgettext("deadline_status", "Due soon"),
    "overdue": lazy_pgettext("deadline_status", "Overdue"),
}
RISK_LEVEL = {
    "none": lazy_pgettext("risk_level", "None"),
    "yellow": lazy_pgettext("risk_level", "Yellow"),
    "orange": lazy_pgettext("risk_level", "Orange"),
    "red": lazy_pgettext("risk_level", "Red"),
}
AGREEMENT_FORM = {
    "oral": lazy_pgettext("agreement_form", "Oral"),
    "written": lazy_pgettext("agreement_form", "Written"),
}
CONFIRMATION = {
    "none": lazy_pgettext("confirmation", "None"),
    "requested": lazy_pgettext("confirmation", "Requested"),
    "confirmed": lazy_pgettext("confirmation", "Confirmed"),
    "denied": lazy_pgettext("confirmation", "Denied"),
}
PERFORMANCE = {
    "full": lazy_pgettext("performance", "Full"),
    "partial": lazy_pgettext("performance", "Partial"),
    "none": lazy_pgettext("performance", "None"),
}
FOLLOW_UP_METHOD = {
    "visit": lazy_pgettext("follow_up_method", "Visit"),
    "phone": lazy_pgettext("follow_up_method", "Phone"),
    "video": lazy_pgettext("follow_up_method", "Video"),
}
SESSION_MODE = {
    "in_person": lazy_pgettext("session_mode", "In person"),
    "phone": lazy_pgettext("session_mode", "Phone"),
    "video": lazy_pgettext("session_mode", "Video"),
}
REJECT_REASON = {
    "party_refused": lazy_pgettext("reject_reason", "A party refuses"),
    "out_of_scope": lazy_pgettext("reject_reason", "Out of scope"),
    "already_handled": lazy_pgettext("reject_reason", "Already handled"),
    "other": lazy_pgettext("reject_reason", "Other"),
}
REFERRAL = {
    "litigation": lazy_pgettext("referral", "Court"),
    "arbitration": lazy_pgettext("referral", "Arbitration"),
    "administrative": lazy_pgettext("referral", "Administrative"),
    "none": lazy_pgettext("referral", "None"),
}
PARTY_ROLE = {
    "applicant": lazy_pgettext("party_role", "Applicant"),
    "respondent": lazy_pgettext("party_role", "Respondent"),
    "third_party": lazy_pgettext("party_role", "Third party"),
}
PARTY_KIND = {
    "person": lazy_pgettext("party_kind", "Person"),
    "organization": lazy_pgettext("party_kind", "Organisation"),
}
ROLE = {
    "mediator": lazy_pgettext("role", "Mediator"),
    "supervisor": lazy_pgettext("role", "Supervisor"),
    "admin": lazy_pgettext("role", "Administrator"),
}
ORG_LEVEL = {
    "province": lazy_pgettext("org_level", "Province"),
    "city": lazy_pgettext("org_level", "City"),
    "county": lazy_pgettext("org_level", "County"),
    "township": lazy_pgettext("org_level", "Township"),
    "village": lazy_pgettext("org_level", "Village"),
}
NOTIFICATION_KIND = {
    "due_soon": lazy_pgettext("notification_kind", "Due soon"),
    "overdue": lazy_pgettext("notification_kind", "Overdue"),
    "supervisor_overdue": lazy_pgettext("notification_kind", "Overdue (supervision)"),
    "risk_alert": lazy_pgettext("notification_kind", "Risk alert"),
    "weekly_report": lazy_pgettext("notification_kind", "Weekly report"),
    "job_failed": lazy_pgettext("notification_kind", "Job failed"),
}
COMMITTEE_KIND = {
    "people": lazy_pgettext("committee_kind", "People's"),
    "professional": lazy_pgettext("committee_kind", "Professional"),
    "enterprise": lazy_pgettext("committee_kind", "Enterprise"),
}
POLICY = {
    "acceptance_days": lazy_pgettext("policy", "Acceptance days"),
    "mediation_days": lazy_pgettext("policy", "Mediation days"),
    "max_extension_days": lazy_pgettext("policy", "Max extension days"),
    "max_extensions": lazy_pgettext("policy", "Max extensions"),
    "follow_up_days": lazy_pgettext("policy", "Follow-up days"),
    "remind_before_days": lazy_pgettext("policy", "Remind before (days)"),
    "supervisor_after_days": lazy_pgettext("policy", "Report to supervisors after (days)"),
    "day_count": lazy_pgettext("policy", "Day count"),
    "max_backdate_days": lazy_pgettext("policy", "Max back-dating (days)"),
}
DAY_COUNT = {
    "calendar": lazy_pgettext("day_count", "Calendar days"),
    "working": lazy_pgettext("day_count", "Working days"),
}
DOCUMENT = {
    "application": lazy_pgettext("document", "Application"),
    "registration": lazy_pgettext("document", "Registration form"),
    "rights_notice": lazy_pgettext("document", "Rights notice"),
    "session_record": lazy_pgettext("document", "Session record"),
    "agreement": lazy_pgettext("document", "Agreement"),
    "follow_up_record": lazy_pgettext("document", "Follow-up record"),
    "confirmation_application": lazy_pgettext("document", "Confirmation application"),
    "rejection_notice": lazy_pgettext("document", "Rejection notice"),
    "termination_notice": lazy_pgettext("document", "Termination notice"),
    "casefile": lazy_pgettext("document", "Case file"),
}
DISPUTE_TYPE = {
    "marriage_family": lazy_pgettext("dispute_type", "Marriage & family"),
    "neighbourhood": lazy_pgettext("dispute_type", "Neighbourhood"),
    "housing_land": lazy_pgettext("dispute_type", "Housing & plots"),
    "contract": lazy_pgettext("dispute_type", "Contract"),
    "production": lazy_pgettext("dispute_type", "Production & business"),
    "damages": lazy_pgettext("dispute_type", "Damages"),
    "land_forest": lazy_pgettext("dispute_type", "Land & forest"),
    "expropriation": lazy_pgettext("dispute_type", "Expropriation"),
    "environment": lazy_pgettext("dispute_type", "Pollution"),
    "labour": lazy_pgettext("dispute_type", "Labour"),
    "medical": lazy_pgettext("dispute_type", "Medical"),
    "property_mgmt": lazy_pgettext("dispute_type", "Property management"),
    "traffic": lazy_pgettext("dispute_type", "Road traffic"),
    "consumer": lazy_pgettext("dispute_type", "Consumer"),
    "other": lazy_pgettext("dispute_type", "Other"),
}
SOURCE = {
    "walk_in": lazy_pgettext("source", "Party's application"),
    "screening": lazy_pgettext("source", "Screening"),
    "referral_court": lazy_pgettext("source", "Court referral"),
    "referral_police": lazy_pgettext("source", "Police referral"),
    "referral_petition": lazy_pgettext("source", "Petition office"),
    "referral_government": lazy_pgettext("source", "Government referral"),
    "online": lazy_pgettext("source", "Online"),
    "other": lazy_pgettext("source", "Other"),
}
PREVENTION_KIND = {
    "civil_to_criminal": lazy_pgettext("prevention_kind", "Civil to criminal prevented"),
    "suicide": lazy_pgettext("prevention_kind", "Suicide prevented"),
    "group_petition": lazy_pgettext("prevention_kind", "Group petition prevented"),
    "group_fight": lazy_pgettext("prevention_kind", "Group fight prevented"),
}

TABLES: dict[str, dict[str, LazyString]] = {
    "state": STATE, "trigger": TRIGGER, "event": EVENT, "outcome": OUTCOME, "deadline_kind": DEADLINE_KIND,
    "deadline_status": DEADLINE_STATUS, "risk_level": RISK_LEVEL, "agreement_form": AGREEMENT_FORM,
    "confirmation": CONFIRMATION, "performance": PERFORMANCE, "follow_up_method": FOLLOW_UP_METHOD,
    "session_mode": SESSION_MODE, "reject_reason": REJECT_REASON, "referral": REFERRAL, "party_role": PARTY_ROLE,
    "party_kind": PARTY_KIND, "role": ROLE, "org_level": ORG_LEVEL, "notification_kind": NOTIFICATION_KIND,
    "committee_kind": COMMITTEE_KIND, "policy": POLICY, "day_count": DAY_COUNT, "document": DOCUMENT,
    "dispute_type": DISPUTE_TYPE, "source": SOURCE, "prevention_kind": PREVENTION_KIND,
}


def name(table: str, code: object) -> str:
    """The name of `code` in `table`, in the locale in force; an unknown code is shown as itself."""
    if code is None or code == "":
        return ""
    entry = TABLES[table].get(str(code))
    return str(entry) if entry is not None else str(code)


def choices(table: str) -> list[tuple[str, str]]:
    """(code, name) pairs in the table's order, for a select."""
    return [(code, str(label)) for code, label in TABLES[table].items()]


def names_in(table: str, locale: str) -> dict[str, str]:
    """{code: name} of a table in `locale` (zh or en), e.g. for an e-mail or a workbook in the
    recipient's language (needs an app context)."""
    with force_locale(locale):
        return {code: str(label) for code, label in TABLES[table].items()}
