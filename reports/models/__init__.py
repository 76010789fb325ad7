from reports.models.acceptance import AcceptancePackage
from reports.models.reports import BuildState, Report, ReportKind, ReportRequirement, ReportVersion

__all__ = [
    "AcceptancePackage",
    "BuildState",
    "Report",
    "ReportKind",
    "ReportRequirement",
    "ReportVersion",
]
