"""The contracts app's models, one module per concern."""

from contracts.models.assets import Asset
from contracts.models.build import BuildTimeline
from contracts.models.calendar import CalendarDay, CalendarYear
from contracts.models.contract import Contract, ServiceItem
from contracts.models.intake import ContractUpload, TermSource
from contracts.models.milestones import Milestone
from contracts.models.penalties import Breach, PenaltyClause
from contracts.models.rates import LoanPrimeRate
from contracts.models.sla import Coverage, Severity, SLATerm, TargetUnit
from contracts.models.staff import DutyShift, StaffAssignment, StaffPost

# The parties and roles live in identity (issue 16); they stay importable from here.
from identity.models import DUTY_ROLES, ROLE_ORGANIZATION_KIND, Membership, Organization, Role

__all__ = [
    "DUTY_ROLES",
    "ROLE_ORGANIZATION_KIND",
    "Asset",
    "Breach",
    "BuildTimeline",
    "CalendarDay",
    "CalendarYear",
    "Contract",
    "ContractUpload",
    "Coverage",
    "DutyShift",
    "LoanPrimeRate",
    "Membership",
    "Milestone",
    "Organization",
    "PenaltyClause",
    "Role",
    "SLATerm",
    "ServiceItem",
    "Severity",
    "StaffAssignment",
    "StaffPost",
    "TargetUnit",
    "TermSource",
]
