from reports.models.acceptance import AcceptancePackage
from reports.models.reports import (
    BuildState,
    Report,
    ReportKind,
    ReportRequirement,
    ReportVersion,
)
from reports.models.trust import SigningCertificate

__all__ = [
    "AcceptancePackage",
    "BuildState",
    "Report",
    "ReportKind",
    "ReportRequirement",
    "ReportVersion",
    "SigningCertificate",
]
