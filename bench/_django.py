"""What the Django benches share: the project on the path, its settings, and a database of their
own (made from the migrations, dropped afterwards, on DATABASE_URL's server or SQLite), named
after the process so that benches can run at the same time."""

import contextlib
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "om_portal.settings")

import django

django.setup()


@contextlib.contextmanager
def test_database():
    from django.db import connection
    from django.test.utils import setup_test_environment

    setup_test_environment()
    test = connection.settings_dict["TEST"]
    if connection.vendor == "postgresql" and not test.get("NAME"):
        # A name of this run's own: benches run side by side (the suite's smoke runs under
        # pytest-xdist) would otherwise make and drop the one test_<name> database of each other.
        test["NAME"] = f"test_{connection.settings_dict['NAME']}_bench_{os.getpid()}"
    # autoclobber: a database left behind by an interrupted run is replaced, not asked about.
    name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        yield
    finally:
        connection.creation.destroy_test_db(name, verbosity=0)
