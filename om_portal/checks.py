"""``manage.py check --deploy``: what production must set that the portal cannot guess.

Each warning names the setting and what goes wrong without it (README, "Production"). Other
deployment checks of the portal belong here too, one function each, ids om_portal.W0xx.
"""

import os

from django.conf import settings
from django.core.checks import Tags, Warning, register

# A token lasts at most a working week: a lost laptop's script stops working by itself.
MAX_TOKEN_LIFETIME_HOURS = 7 * 24


@register(Tags.security, deploy=True)
def check_trusted_proxies(app_configs=None, **kwargs):
    behind_proxy = (
        bool(getattr(settings, "SECURE_PROXY_SSL_HEADER", None)) or settings.TRUSTED_PROXY_COUNT > 0
    )
    if not behind_proxy or settings.TRUSTED_PROXIES:
        return []
    return [
        Warning(
            "The portal runs behind a proxy (BEHIND_TLS_PROXY or TRUSTED_PROXY_COUNT) but TRUSTED_PROXIES "
            "is empty: X-Forwarded-For is ignored, so every client shares the proxy's address in the "
            "lockout and the audit trail.",
            hint="Set TRUSTED_PROXIES to the proxy's address or network (CIDR), e.g. 172.30.0.2.",
            id="om_portal.W010",
        )
    ]


@register(Tags.security, deploy=True)
def check_token_lifetime(app_configs=None, **kwargs):
    hours = settings.API_TOKEN_LIFETIME_HOURS
    if not 0 < hours <= MAX_TOKEN_LIFETIME_HOURS:
        return [
            Warning(
                f"API_TOKEN_LIFETIME_HOURS is {hours}: API tokens should last more than 0 and at most "
                f"{MAX_TOKEN_LIFETIME_HOURS} hours.",
                hint="A token outlives the laptop or the script that holds it; 12 hours is the default.",
                id="om_portal.W011",
            )
        ]
    if "API_TOKEN_LIFETIME_HOURS" not in os.environ:
        return [
            Warning(
                f"API_TOKEN_LIFETIME_HOURS is not set: API tokens last the default {hours} hours.",
                hint="Set it to the lifetime the bureau's policy asks for (README, Production).",
                id="om_portal.W012",
            )
        ]
    return []


@register(Tags.security, deploy=True)
def check_audit_key(app_configs, **kwargs):
    """The audit chain's key should be a secret of its own, kept outside the database: without
    AUDIT_KEY it is derived from SECRET_KEY, and rotating that would break the chain's check."""
    key = settings.AUDIT_KEY
    if not key:
        return [
            Warning(
                "AUDIT_KEY is not set: the audit chain is keyed with a key derived from SECRET_KEY.",
                hint=(
                    "Set AUDIT_KEY to a random value of at least 32 characters, kept outside the "
                    "database and its backups, before the first migration; never change it."
                ),
                id="om_portal.W001",
            )
        ]
    if len(key) < 32 or len(set(key)) < 5:
        return [
            Warning(
                "AUDIT_KEY is too short or too simple to key the audit chain.",
                hint="Use a random value of at least 32 characters.",
                id="om_portal.W002",
            )
        ]
    return []


@register(Tags.security, deploy=True)
def check_site_url(app_configs=None, **kwargs):
    """Links in messages are opened on phones, outside the portal: they must be absolute and
    https, from the portal's public address."""
    site_url = settings.SITE_URL
    if "SITE_URL" not in os.environ:
        return [
            Warning(
                f"SITE_URL is not set: links in email, WeCom and DingTalk messages point at {site_url}.",
                hint="Set SITE_URL to the portal's public https address, e.g. https://portal.example.gov.cn.",
                id="om_portal.W020",
            )
        ]
    if not site_url.startswith("https://"):
        return [
            Warning(
                f"SITE_URL ({site_url}) is not an https address: links in messages would open unencrypted.",
                hint="Set SITE_URL to the portal's public https address (README, Settings).",
                id="om_portal.W021",
            )
        ]
    return []
