"""Moved to ``identity.views.audit`` (issue 16). This name is the same module, for the code and
the tests that import it from here."""

import sys

from identity.views import audit

sys.modules[__name__] = audit
