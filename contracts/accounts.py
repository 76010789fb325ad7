"""Moved to ``identity.accounts`` (issue 16). This name is the same module, for the code and the
tests that import it from here."""

import sys

from identity import accounts

sys.modules[__name__] = accounts
