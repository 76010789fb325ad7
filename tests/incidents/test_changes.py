"""Change requests (seed 004): "business changes and data modifications need approval by the
system's administrator (系统专管员) and then the head of IT (科技信息化工作负责人)".

In organisation A the system administrator is a client staff member (APPROVE_CHANGE_FIRST), the
head of IT a client manager (APPROVE_CHANGE_SECOND), and the vendor's engineer requests and
carries out the change (REQUEST_CHANGE, EXECUTE_CHANGE).
"""

import contextlib
import threading

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from rest_framework.test import APIClient

from contracts.models import Membership, Role
from incidents import changes
from incidents.models import ChangeRequest, Incident

pytestmark = pytest.mark.django_db
Status = ChangeRequest.Status
TEXT = {
    "title": "修改缴费记录状态",
    "description": "将一笔重复缴费记录标记为已退款",
    "reason": "当事人重复缴费",
    "impact": "仅影响该笔记录",
    "rollback_plan": "恢复修改前备份的记录",
}


@pytest.fixture
def sysadmin_a(make_user, client_org_a):
    """The bureau's system administrator (系统专管员): client staff."""
    return make_user(Role.CLIENT_STAFF, client_org_a, username="sysadmin")


@pytest.fixture
def second_staff_a(make_user, client_org_a):
    return make_user(Role.CLIENT_STAFF, client_org_a)


@pytest.fixture
def head_of_it_a(make_user, client_org_a):
    """The bureau's head of IT (科技信息化工作负责人): a client manager."""
    return make_user(Role.CLIENT_MANAGER, client_org_a, username="head")


@pytest.fixture
def vendor_manager_a(make_user, vendor_org_a):
    return make_user(Role.VENDOR_MANAGER, vendor_org_a)


@pytest.fixture
def auditor_a(make_user, client_org_a):
    return make_user(Role.AUDITOR, client_org_a)


@pytest.fixture
def submitted(contract_a, vendor_engineer_a):
    return changes.create(contract_a, vendor_engineer_a, submit_now=True, kind="data", **TEXT)


@pytest.fixture
def approved(submitted, sysadmin_a, head_of_it_a):
    changes.approve_first(submitted, sysadmin_a, "同意")
    return changes.approve_second(submitted, head_of_it_a, "同意执行")


@contextlib.contextmanager
def refused(code):
    """A ValidationError of this code: the codes, unlike the messages, do not change with the language."""
    with pytest.raises(ValidationError) as caught:
        yield
    assert [error.code for error in caught.value.error_list] == [code]


def _fresh(change):
    return ChangeRequest.objects.select_related("contract").get(pk=change.pk)


def _api(user):
    api = APIClient()
    api.force_authenticate(user)
    return api


# --- The rules ------------------------------------------------------------------------------------


def test_happy_path_both_approvals_by_the_right_people(
    submitted, sysadmin_a, head_of_it_a, vendor_engineer_a
):
    assert submitted.status == Status.SUBMITTED and submitted.submitted_at
    changes.approve_first(submitted, sysadmin_a, "数据核对无误")
    assert submitted.status == Status.FIRST_APPROVED
    changes.approve_second(submitted, head_of_it_a, "同意")
    assert submitted.status == Status.APPROVED
    changes.execute(submitted, vendor_engineer_a, "已修改记录 1 条，修改前已备份")

    done = _fresh(submitted)
    assert done.status == Status.EXECUTED
    assert (done.first_approved_by, done.first_comment) == (sysadmin_a, "数据核对无误")
    assert (done.second_approved_by, done.second_comment) == (head_of_it_a, "同意")
    assert (done.executed_by, done.execution_note) == (vendor_engineer_a, "已修改记录 1 条，修改前已备份")
    assert done.submitted_at <= done.first_approved_at <= done.second_approved_at <= done.executed_at


def test_order_is_enforced_head_of_it_cannot_approve_first(submitted, head_of_it_a):
    with refused("order"):
        changes.approve_second(submitted, head_of_it_a)
    assert _fresh(submitted).status == Status.SUBMITTED
    assert _fresh(submitted).second_approved_by is None


def test_approve_twice_is_refused(submitted, sysadmin_a, second_staff_a):
    changes.approve_first(submitted, sysadmin_a)
    with refused("decided"):
        changes.approve_first(submitted, sysadmin_a)
    with refused("decided"):
        changes.approve_first(submitted, second_staff_a)
    assert _fresh(submitted).first_approved_by == sysadmin_a


def test_same_person_cannot_approve_both_steps(submitted, head_of_it_a):
    # A client manager holds both rights, but the two approvals need two people.
    changes.approve_first(submitted, head_of_it_a)
    with refused("same_approver"):
        changes.approve_second(submitted, head_of_it_a)
    with refused("same_approver"):
        changes.reject(submitted, head_of_it_a, "改主意了")
    assert _fresh(submitted).status == Status.FIRST_APPROVED


def test_requester_cannot_approve_their_own_request(contract_a, sysadmin_a, head_of_it_a):
    change = changes.create(contract_a, sysadmin_a, submit_now=True, **TEXT)
    with refused("own_request"):
        changes.approve_first(change, sysadmin_a)
    own = changes.create(contract_a, head_of_it_a, submit_now=True, **TEXT)
    changes.approve_first(own, sysadmin_a)
    with refused("own_request"):
        changes.approve_second(own, head_of_it_a)


def test_execution_only_after_both_approvals_by_the_vendor_with_a_note(
    submitted, sysadmin_a, head_of_it_a, vendor_engineer_a
):
    with refused("unapproved"):
        changes.execute(submitted, vendor_engineer_a, "做了")
    changes.approve_first(submitted, sysadmin_a)
    with refused("unapproved"):
        changes.execute(submitted, vendor_engineer_a, "做了")
    changes.approve_second(submitted, head_of_it_a)
    with refused("required"):
        changes.execute(submitted, vendor_engineer_a, "  ")
    with pytest.raises(PermissionDenied):
        changes.execute(submitted, head_of_it_a, "做了")
    changes.execute(submitted, vendor_engineer_a, "做了")
    with refused("invalid_state"):
        changes.execute(submitted, vendor_engineer_a, "又做了一次")
    # The execution is in the work log once, under "change" (seed 000's work log by category).
    from incidents.models import WorkLogEntry

    [entry] = WorkLogEntry.objects.filter(contract=submitted.contract)
    assert entry.category == "change" and entry.handling.endswith("做了")


def test_reject_needs_a_reason_and_ends_the_request(submitted, sysadmin_a, head_of_it_a):
    with refused("required"):
        changes.reject(submitted, sysadmin_a, "  ")
    assert _fresh(submitted).status == Status.SUBMITTED
    changes.approve_first(submitted, sysadmin_a)
    changes.reject(submitted, head_of_it_a, "影响范围未说明")
    done = _fresh(submitted)
    assert (done.status, done.rejected_step, done.rejected_by) == (Status.REJECTED, "second", head_of_it_a)
    assert done.rejection_reason == "影响范围未说明"
    with refused("invalid_state"):
        changes.approve_second(submitted, head_of_it_a)


def test_vendor_staff_cannot_approve_or_reject(submitted, vendor_engineer_a, vendor_manager_a):
    for user in [vendor_engineer_a, vendor_manager_a]:
        with pytest.raises(PermissionDenied):
            changes.approve_first(submitted, user)
        with pytest.raises(PermissionDenied):
            changes.reject(submitted, user, "不同意")
    assert _fresh(submitted).status == Status.SUBMITTED


def test_submitting_needs_impact_and_rollback_plan(contract_a, vendor_engineer_a, second_staff_a):
    with refused("incomplete"):
        changes.create(contract_a, vendor_engineer_a, submit_now=True, **{**TEXT, "rollback_plan": ""})
    assert not ChangeRequest.objects.exists()  # the draft is not left behind
    draft = changes.create(contract_a, vendor_engineer_a, **{**TEXT, "impact": ""})
    with refused("not_requester"):
        changes.submit(draft, second_staff_a)
    changes.update_draft(draft, vendor_engineer_a, impact="无")
    assert changes.submit(draft, vendor_engineer_a).status == Status.SUBMITTED


def test_incident_must_be_of_the_same_contract(contract_a, contract_b, vendor_engineer_a):
    foreign = Incident.objects.create(
        contract=contract_b, title="x", source="phone", reported_at=timezone.now()
    )
    with pytest.raises(ValidationError, match="incident"):
        changes.create(contract_a, vendor_engineer_a, incident=foreign, **TEXT)


def test_cancel_by_requester_or_head_of_it_only(approved, sysadmin_a, head_of_it_a, vendor_engineer_a):
    with pytest.raises(PermissionDenied):
        changes.cancel(approved, sysadmin_a)
    changes.cancel(approved, head_of_it_a)
    assert _fresh(approved).status == Status.CANCELLED
    draft = changes.create(approved.contract, vendor_engineer_a, **TEXT)
    changes.cancel(draft, vendor_engineer_a)
    with refused("invalid_state"):
        changes.cancel(draft, vendor_engineer_a)


def test_concurrent_first_approvals_only_one_wins(submitted, sysadmin_a, second_staff_a):
    # Two approvers opened the page at once, and the first clicked twice: three stale objects.
    first, second, again = _fresh(submitted), _fresh(submitted), _fresh(submitted)
    changes.approve_first(first, sysadmin_a)
    with refused("decided"):  # the conditional UPDATE matched no row
        changes.approve_first(second, second_staff_a)
    with refused("decided"):
        changes.approve_first(again, sysadmin_a)
    assert _fresh(submitted).first_approved_by == sysadmin_a
    assert second.status == Status.FIRST_APPROVED  # the loser's object now shows the truth
    assert ChangeRequest.objects.filter(status=Status.FIRST_APPROVED).count() == 1


@pytest.mark.django_db(transaction=True)
def test_approvers_in_parallel_on_postgresql_approve_once(
    submitted, sysadmin_a, second_staff_a, head_of_it_a
):
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers need a real PostgreSQL (DATABASE_URL); SQLite serialises them")
    barrier = threading.Barrier(3)
    outcomes = []

    def run(user):
        change = _fresh(submitted)
        barrier.wait()
        try:
            changes.approve_first(change, user)
            outcomes.append("ok")
        except ValidationError:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(u,)) for u in [sysadmin_a, second_staff_a, head_of_it_a]]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["ok", "refused", "refused"]
    assert _fresh(submitted).status == Status.FIRST_APPROVED


def test_database_refuses_an_executed_change_without_approvals(submitted, vendor_engineer_a, head_of_it_a):
    with pytest.raises(IntegrityError), transaction.atomic():
        ChangeRequest.objects.filter(pk=submitted.pk).update(
            status=Status.EXECUTED,
            executed_by=vendor_engineer_a,
            executed_at=timezone.now(),
            execution_note="x",
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        ChangeRequest.objects.filter(pk=submitted.pk).update(
            first_approved_by=head_of_it_a,
            first_approved_at=timezone.now(),
            second_approved_by=head_of_it_a,
            second_approved_at=timezone.now(),
        )


def test_awaiting_decision_lists_what_each_approver_may_decide(submitted, sysadmin_a, head_of_it_a):
    everything = ChangeRequest.objects.all()
    assert list(changes.awaiting_decision(everything, sysadmin_a)) == [submitted]
    assert list(changes.awaiting_decision(everything, head_of_it_a)) == [submitted]  # a manager may do step 1
    changes.approve_first(submitted, sysadmin_a)
    assert list(changes.awaiting_decision(everything, sysadmin_a)) == []
    assert list(changes.awaiting_decision(everything, head_of_it_a)) == [submitted]


# --- API ------------------------------------------------------------------------------------------


def test_api_happy_path(contract_a, vendor_engineer_a, sysadmin_a, head_of_it_a):
    api = _api(vendor_engineer_a)
    created = api.post("/api/v1/change-requests/", {"contract": "A-2026-OM", "kind": "business", **TEXT})
    assert created.status_code == 201, created.content
    url = f"/api/v1/change-requests/{created.json()['id']}/"
    assert created.json()["status"] == "draft"
    assert api.post(url + "submit/").json()["status"] == "submitted"
    first = _api(sysadmin_a).post(url + "approve/", {"step": "first", "comment": "同意"})
    assert first.status_code == 200 and first.json()["first_approved_by"] == "sysadmin"
    second = _api(head_of_it_a).post(url + "approve/", {"step": "second"})
    assert second.json()["status"] == "approved"
    done = api.post(url + "execute/", {"note": "已执行"}).json()
    assert (done["status"], done["executed_by"]) == ("executed", vendor_engineer_a.username)


def test_api_illegal_transitions_are_400_with_the_message(
    submitted, sysadmin_a, head_of_it_a, vendor_engineer_a
):
    url = f"/api/v1/change-requests/{submitted.pk}/"
    early = _api(head_of_it_a).post(url + "approve/", {"step": "second"})
    assert early.status_code == 400 and early.json()[0]
    assert _api(vendor_engineer_a).post(url + "execute/", {"note": "x"}).status_code == 400
    assert _api(sysadmin_a).post(url + "reject/", {"reason": ""}).status_code == 400
    assert _api(sysadmin_a).post(url + "approve/").status_code == 200
    twice = _api(sysadmin_a).post(url + "approve/", {"step": "first"})
    assert twice.status_code == 400 and twice.json()[0]
    assert _fresh(submitted).status == Status.FIRST_APPROVED


def test_api_refusals_change_nothing(submitted, vendor_engineer_a, outsider):
    url = f"/api/v1/change-requests/{submitted.pk}/"
    assert _api(vendor_engineer_a).post(url + "approve/", {"step": "first"}).status_code == 403
    assert _api(vendor_engineer_a).patch(url, {"status": "executed"}).status_code == 405  # actions only
    assert _api(vendor_engineer_a).delete(url).status_code == 405
    assert _api(outsider).get(url).status_code == 404
    assert _api(outsider).post(url + "approve/").status_code == 404
    assert _api(outsider).get("/api/v1/change-requests/").json()["count"] == 0
    assert _fresh(submitted).status == Status.SUBMITTED


def test_api_create_refusals_write_nothing(contract_a, contract_b, vendor_engineer_a, auditor_a):
    api = _api(vendor_engineer_a)
    response = api.post("/api/v1/change-requests/", {"contract": "B-2026-OM", **TEXT})
    assert response.status_code == 400 and "contract" in response.json()
    foreign = Incident.objects.create(
        contract=contract_b, title="x", source="phone", reported_at=timezone.now()
    )
    response = api.post("/api/v1/change-requests/", {"contract": "A-2026-OM", "incident": foreign.pk, **TEXT})
    assert response.status_code == 400 and "incident" in response.json()
    # An auditor sees contract A but may not request changes on it.
    assert (
        _api(auditor_a).post("/api/v1/change-requests/", {"contract": "A-2026-OM", **TEXT}).status_code == 403
    )
    assert not ChangeRequest.objects.exists()


def test_api_filters(submitted, approved, contract_a, vendor_engineer_a, sysadmin_a):
    other = changes.create(contract_a, vendor_engineer_a, kind="business", **TEXT)
    api = _api(sysadmin_a)

    def ids(**params):
        return [row["id"] for row in api.get("/api/v1/change-requests/", params).json()["results"]]

    assert set(ids(contract="A-2026-OM")) == {submitted.pk, other.pk}
    assert ids(contract="B-2026-OM") == []
    assert ids(status="approved") == [approved.pk]
    assert ids(kind="business") == [other.pk]
    assert ids(awaiting_me="true") == []


def test_api_list_takes_the_same_queries_for_two_requests_or_ten(contract_a, vendor_engineer_a):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    api = _api(vendor_engineer_a)

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert api.get("/api/v1/change-requests/").status_code == 200
        return len(queries)

    for _ in range(2):
        changes.create(contract_a, vendor_engineer_a, **TEXT)
    few = count()
    for _ in range(8):
        changes.create(contract_a, vendor_engineer_a, **TEXT)
    assert count() == few


# --- Portal ---------------------------------------------------------------------------------------


def test_portal_pages_render_for_the_allowed_users(
    client, submitted, sysadmin_a, head_of_it_a, vendor_engineer_a, auditor_a
):  # fmt: skip
    detail = f"/incidents/changes/{submitted.pk}/"
    for user in [sysadmin_a, head_of_it_a, vendor_engineer_a, auditor_a]:
        client.force_login(user)
        listed = client.get(
            "/incidents/changes/", {"contract": "A-2026-OM", "status": "submitted", "kind": "data"}
        )
        assert listed.status_code == 200 and detail.encode() in listed.content
        assert client.get(detail).status_code == 200
    client.force_login(sysadmin_a)
    body = client.get(detail).content.decode()
    assert f"{detail}approve/" in body and f"{detail}reject/" in body and f"{detail}execute/" not in body
    client.force_login(auditor_a)
    assert "/approve/" not in client.get(detail).content.decode()
    assert client.get("/incidents/changes/add/").status_code == 403


def test_portal_create_submit_approve_and_execute(
    client, contract_a, vendor_engineer_a, sysadmin_a, head_of_it_a
):
    client.force_login(vendor_engineer_a)
    form = client.get("/incidents/changes/add/")
    assert form.status_code == 200 and b"A-2026-OM" in form.content
    response = client.post(
        "/incidents/changes/add/", {"contract": contract_a.pk, "kind": "data", "submit": "1", **TEXT}
    )
    change = ChangeRequest.objects.get()
    assert response.status_code == 302 and change.status == Status.SUBMITTED
    detail = f"/incidents/changes/{change.pk}/"
    client.force_login(sysadmin_a)
    assert client.post(detail + "approve/", {"step": "first", "comment": "同意"}).status_code == 302
    client.force_login(head_of_it_a)
    assert client.post(detail + "approve/", {"step": "second"}).status_code == 302
    client.force_login(vendor_engineer_a)
    assert client.post(detail + "execute/", {"note": "已执行"}).status_code == 302
    assert _fresh(change).status == Status.EXECUTED
    assert "已执行" in client.get(detail).content.decode()


def test_portal_errors_are_shown_on_the_form(client, submitted, sysadmin_a, head_of_it_a):
    detail = f"/incidents/changes/{submitted.pk}/"
    client.force_login(sysadmin_a)
    response = client.post(detail + "reject/", {"step": "first", "reason": ""})
    assert response.status_code == 200 and b"errorlist" in response.content
    client.force_login(head_of_it_a)
    response = client.post(detail + "approve/", {"step": "second"})
    assert response.status_code == 200 and b"errorlist" in response.content
    assert _fresh(submitted).status == Status.SUBMITTED


def test_portal_vendor_engineer_cannot_approve_and_outsider_gets_404(
    client, submitted, vendor_engineer_a, outsider
):
    detail = f"/incidents/changes/{submitted.pk}/"
    client.force_login(vendor_engineer_a)
    assert client.post(detail + "approve/", {"step": "first"}).status_code == 403
    client.force_login(outsider)
    assert client.get(detail).status_code == 404
    assert client.post(detail + "approve/", {"step": "first"}).status_code == 404
    assert detail.encode() not in client.get("/incidents/changes/").content
    assert _fresh(submitted).status == Status.SUBMITTED


def test_portal_contract_chooser_offers_only_contracts_where_one_may_request(
    client, contract_a, contract_b, vendor_engineer_a, client_org_b
):
    # Engineer of A's vendor, and auditor at bureau B: sees both contracts, may request on A only.
    Membership.objects.create(user=vendor_engineer_a, organization=client_org_b, role=Role.AUDITOR)
    client.force_login(vendor_engineer_a)
    assert b"B-2026-OM" in client.get("/incidents/changes/").content  # the list's contract filter
    body = client.get("/incidents/changes/add/").content.decode()
    assert "A-2026-OM" in body and "B-2026-OM" not in body
    response = client.post("/incidents/changes/add/", {"contract": contract_b.pk, "kind": "data", **TEXT})
    assert response.status_code == 200 and b"errorlist" in response.content
    assert not ChangeRequest.objects.exists()


def test_portal_draft_is_edited_then_submitted(client, contract_a, vendor_engineer_a):
    client.force_login(vendor_engineer_a)
    client.post("/incidents/changes/add/", {"contract": contract_a.pk, "kind": "data", "save": "1", **TEXT})
    change = ChangeRequest.objects.get()
    assert change.status == Status.DRAFT
    edit = f"/incidents/changes/{change.pk}/edit/"
    assert client.get(edit).status_code == 200
    response = client.post(edit, {"kind": "business", "submit": "1", **{**TEXT, "title": "新标题"}})
    assert response.status_code == 302
    change = _fresh(change)
    assert (change.title, change.kind, change.status) == ("新标题", "business", Status.SUBMITTED)
    assert client.get(edit).status_code == 403


def test_portal_edit_that_cannot_be_submitted_keeps_the_old_text(client, contract_a, vendor_engineer_a):
    draft = changes.create(contract_a, vendor_engineer_a, **TEXT)
    client.force_login(vendor_engineer_a)
    data = {**TEXT, "kind": "data", "title": "新标题", "rollback_plan": "", "submit": "1"}
    response = client.post(f"/incidents/changes/{draft.pk}/edit/", data)
    assert response.status_code == 200 and b"errorlist" in response.content
    assert (_fresh(draft).title, _fresh(draft).status) == (TEXT["title"], Status.DRAFT)


def test_admin_shows_requests_read_only_once_submitted(client, approved, make_user):
    client.force_login(make_user(is_staff=True, is_superuser=True))
    assert client.get("/admin/incidents/changerequest/").status_code == 200
    page = client.get(f"/admin/incidents/changerequest/{approved.pk}/change/")
    assert page.status_code == 200 and b'name="title"' not in page.content
    assert client.get(f"/admin/incidents/changerequest/{approved.pk}/delete/").status_code == 403
