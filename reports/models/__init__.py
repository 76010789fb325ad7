from reports.models.acceptance import AcceptancePackage
from reports.models.reports import (
    NARRATIVE_SECTIONS,
    BuildState,
    Report,
    ReportKind,
    ReportRequirement,
    ReportVersion,
)

__all__ = [
    "NARRATIVE_SECTIONS",
    "AcceptancePackage",
    "BuildState",
    "Report",
    "ReportKind",
    "ReportRequirement",
    "ReportVersion",
]
