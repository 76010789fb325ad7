from reports.models.acceptance import AcceptancePackage
from reports.models.reports import (
    NARRATIVE_SECTIONS,
    BuildState,
    Report,
    ReportKind,
    ReportRequirement,
    ReportVersion,
)
from reports.models.trust import SigningCertificate

__all__ = [
    "NARRATIVE_SECTIONS",
    "AcceptancePackage",
    "BuildState",
    "Report",
    "ReportKind",
    "ReportRequirement",
    "ReportVersion",
    "SigningCertificate",
]
