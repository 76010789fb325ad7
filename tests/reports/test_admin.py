"""The admin of the reports models: lists and pages load for a superuser; reports, versions and
acceptance packages are records that the admin shows and never writes."""

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.urls import reverse

from reports import services
from reports.models import AcceptancePackage, Report, ReportRequirement, ReportVersion

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser():
    return get_user_model().objects.create_superuser("root", password="Root-pass-2026!")


@pytest.fixture
def records(built_report, term_a, vendor_manager_a, client_manager_a):
    ReportRequirement.objects.create(contract=term_a, kind="weekly", due_offset=2)
    report = services.submit(built_report(), by=vendor_manager_a)
    services.sign_off(report, by=client_manager_a)
    AcceptancePackage.objects.create(
        contract=term_a, period_start=term_a.starts_on, period_end=term_a.ends_on
    )


@pytest.mark.parametrize("model", [ReportRequirement, Report, ReportVersion, AcceptancePackage])
def test_lists_and_pages_load(client, superuser, records, model):
    client.force_login(superuser)
    info = model._meta.app_label, model._meta.model_name
    assert client.get(reverse("admin:{}_{}_changelist".format(*info))).status_code == 200
    obj = model.objects.first()
    assert client.get(reverse("admin:{}_{}_change".format(*info), args=[obj.pk])).status_code == 200


@pytest.mark.parametrize("model", [Report, ReportVersion, AcceptancePackage])
def test_records_are_read_only(rf, superuser, model):
    request = rf.get("/")
    request.user = superuser
    model_admin = admin.site._registry[model]
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request)
    assert not model_admin.has_delete_permission(request)
