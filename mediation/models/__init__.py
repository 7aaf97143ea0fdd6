"""SQLAlchemy 2.0 typed models, one module per aggregate."""
from mediation.models.access_log import AccessLog
from mediation.models.attachment import Attachment
from mediation.models.base import Base, utcnow
from mediation.models.calendar import CalendarDay
from mediation.models.committee import Committee
from mediation.models.deadline import Deadline
from mediation.models.dispute import (
                                      Agreement,
                                      Assignment,
                                      CaseCounter,
                                      Dispute,
                                      FollowUp,
                                      MediationSession,
                                      Party,
                                      PreventionRecord,
)
from mediation.models.event import Event
from mediation.models.job import JobRun
from mediation.models.notification import Notification, PreparedMessage
from mediation.models.org import OrgPolicy, OrgUnit
from mediation.models.report import ReportSnapshot, ReportSubscription
from mediation.models.user import ApiToken, AuditEntry, User, WebSession

__all__ = [
    "AccessLog", "Agreement", "ApiToken", "Assignment", "Attachment", "AuditEntry", "Base", "CalendarDay", "CaseCounter",
    "Committee", "Deadline", "Dispute", "Event", "FollowUp", "JobRun", "MediationSession", "Notification",
    "OrgPolicy", "OrgUnit", "Party", "PreparedMessage", "PreventionRecord", "ReportSnapshot", "ReportSubscription",
    "User", "WebSession", "utcnow",
]
