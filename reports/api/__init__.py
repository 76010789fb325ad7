"""The reports API; each module registers its viewsets on om_portal.api.router."""
