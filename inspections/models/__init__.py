"""The inspections app's models, one module per concern; each module lists its models in __all__."""

from inspections.models.schedules import (
    HeightenedPeriod,
    InspectionMode,
    InspectionSchedule,
    InspectionSlot,
)

__all__ = ["HeightenedPeriod", "InspectionMode", "InspectionSchedule", "InspectionSlot"]
