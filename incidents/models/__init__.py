"""The incidents app's models, one module per concern; each module lists its models in __all__."""

from incidents.models.changes import *  # noqa: F403
from incidents.models.escalation import *  # noqa: F403
from incidents.models.incident import Incident, IncidentEvent, IncidentKind, IncidentSource, WorkLogEntry
from incidents.models.knowledge import *  # noqa: F403
from incidents.models.records import *  # noqa: F403

__all__ = ["Incident", "IncidentEvent", "IncidentKind", "IncidentSource", "WorkLogEntry"]
