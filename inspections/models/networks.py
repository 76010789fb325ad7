"""The networks the bureau lets a contract's checks reach beyond the hosts in its asset ledger."""

import ipaddress

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from contracts.models import Contract
from contracts.scoping import RestrictedQuerySet

__all__ = ["AllowedNetwork"]

# Wider than this is most of an address space: the bureau names its segments, not the world.
_WIDEST = {4: 8, 6: 32}


class AllowedNetwork(models.Model):
    """A CIDR range (10.1.2.0/24) a check of the contract may target though no asset names the
    host. Written by the client side or an administrator (MANAGE_CONTRACT), never the vendor:
    the vendor writes the checks, so it must not also widen where they may point."""

    contract = models.ForeignKey(
        Contract, on_delete=models.CASCADE, related_name="allowed_networks", verbose_name=_("contract")
    )
    network = models.CharField(_("network (CIDR)"), max_length=49)
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    scope_path = "contract"
    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["contract", "network"]
        verbose_name = _("allowed network")
        verbose_name_plural = _("allowed networks")
        constraints = [
            models.UniqueConstraint(fields=["contract", "network"], name="allowed_network_unique"),
        ]

    def __str__(self):
        return self.network

    def clean(self):
        try:
            network = ipaddress.ip_network(self.network.strip(), strict=False)
        except ValueError:
            raise ValidationError({"network": _("Give a network such as 10.1.2.0/24.")}) from None
        if network.prefixlen < _WIDEST[network.version]:
            raise ValidationError(
                {"network": _("Too wide: at most /%(bits)s.") % {"bits": _WIDEST[network.version]}}
            )
        first = network.network_address
        if first.is_loopback or first.is_link_local or first.is_multicast or first.is_unspecified:
            raise ValidationError(
                {"network": _("Internal addresses are allowed per check, by an administrator.")}
            )
        self.network = str(network)

    def as_network(self):
        return ipaddress.ip_network(self.network, strict=False)
