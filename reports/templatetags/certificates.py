"""A certificate's subject as a person reads it in Chinese.

asn1crypto names the attributes in English ("Common Name: 运维合同管理平台 报告签章, Organization:
…"), and the trust store keeps that text; the verification page shows the attributes by their
Chinese names, as a Chinese PDF reader's signature panel does.
"""

import re

from django import template
from django.utils.translation import pgettext_lazy

register = template.Library()

ATTRIBUTES = {
    "Common Name": pgettext_lazy("certificate subject", "Common name"),
    "Organizational Unit": pgettext_lazy("certificate subject", "Organisational unit"),
    "Organization": pgettext_lazy("certificate subject", "Organisation"),
    "Country": pgettext_lazy("certificate subject", "Country"),
    "State/Province": pgettext_lazy("certificate subject", "Province"),
    "Locality": pgettext_lazy("certificate subject", "City"),
    "Email Address": pgettext_lazy("certificate subject", "Email"),
}
_LABEL = re.compile(r"(^|, )(" + "|".join(re.escape(name) for name in ATTRIBUTES) + r"): ")


@register.filter
def subject_text(subject) -> str:
    return _LABEL.sub(lambda m: f"{m.group(1)}{ATTRIBUTES[m.group(2)]}：", str(subject or ""))
