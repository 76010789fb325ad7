"""The inspections app's models, one module per concern; each module lists its models in __all__."""

from inspections.models.checklists import ChecklistItem, ChecklistTemplate
from inspections.models.checks import (
    AutomatedCheck,
    CheckApproval,
    CheckConfigError,
    CheckResult,
    ResultStatus,
)
from inspections.models.networks import AllowedNetwork
from inspections.models.runs import InspectionPhoto, InspectionRun, ItemResult
from inspections.models.schedules import (
    HeightenedPeriod,
    InspectionMode,
    InspectionSchedule,
    InspectionSlot,
)

__all__ = [
    "AllowedNetwork",
    "AutomatedCheck",
    "CheckApproval",
    "CheckConfigError",
    "CheckResult",
    "ChecklistItem",
    "ChecklistTemplate",
    "HeightenedPeriod",
    "InspectionMode",
    "InspectionPhoto",
    "InspectionRun",
    "InspectionSchedule",
    "InspectionSlot",
    "ItemResult",
    "ResultStatus",
]
