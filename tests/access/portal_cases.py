"""The portal's routes in the matrix: for each, the methods tried, who may, and how a refusal
looks. Most pages refuse with a 403; the report and acceptance pages redirect back with the
refusal message ("message"); the new-report form leaves out contracts the user may not build
for (a 400); reporting an incident offers only contracts the user may report on (a 404).

Each write is posted with a body that works for the role allowed (``writer``), so that the
"nothing written" of every refused role is a real refusal, not a form error.
"""

from django.core.files.uploadedfile import SimpleUploadedFile

from contracts.forms import ContractForm
from contracts.views.contracts import PARTS
from incidents.views.changes import ChangeRequestForm
from incidents.views.knowledge import ArticleForm, ConsultationForm, PlanForm
from inspections.manage_forms import CheckForm, ChecklistForm, PeriodForm, ScheduleForm, item_formset
from reports import acceptance
from tests.access.bodies import asset_csv, form_data, formset_data
from tests.access.matrix import SIGNED_IN, Case, who

ALL = who("view")


def code(s):
    return {"code": s.code}


def pk(attr):
    return lambda s: {"pk": getattr(s, attr).pk}


def code_pk(attr):
    return lambda s: {"code": s.code, "pk": getattr(s, attr).pk}


def get(route, allowed=ALL, kwargs=None, **fields):
    return Case(route, "get", frozenset(allowed), kwargs, **fields)


def post(route, allowed, kwargs=None, data=None, **fields):
    return Case(route, "post", frozenset(allowed), kwargs, data, **fields)


def page(route, allowed, kwargs=None, data=None, **fields):
    """A form page: its GET and its POST, with the same right."""
    return [get(route, allowed, kwargs, **fields), post(route, allowed, kwargs, data, **fields)]


# --- Contracts --------------------------------------------------------------------------------

# part_name → (the right, the world's object, what to change for a new one, what for an edit)
PART_BODIES = {
    "items": ("manage_contract", "item", {"name": "新服务项"}, {"name": "改"}),
    "sla": ("manage_contract", "sla", {"clock": "response"}, {"target": "9"}),
    "milestones": ("manage_contract", "milestone", {"name": "新节点"}, {"name": "改"}),
    "posts": ("manage_staff", "post", {"name": "新岗位"}, {"place": "改"}),
    "assignments": ("manage_staff", "assignment", {"person": "新人"}, {"person": "改"}),
    "shifts": ("manage_staff", "shift", {"person": "新值班"}, {"person": "改"}),
    "assets": ("manage_assets", "asset", {"name": "新资产"}, {"name": "改"}),
    "clauses": ("manage_contract", "clause", {"kind": "late_inspection"}, {"title": "改"}),
}


def _part_form(part, side, changes):
    _right, attr, _new, _edit = PART_BODIES[part]
    form = PARTS[part].form(instance=getattr(side, attr), contract=side.contract)
    return form_data(form, **changes)


def _part_cases():
    cases = []
    for name, (right, attr, new, edit) in PART_BODIES.items():
        allowed = who(right)

        def kw_add(s, name=name):
            return {"code": s.code, "part_name": name}

        def kw_obj(s, name=name, attr=attr):
            return {"code": s.code, "part_name": name, "pk": getattr(s, attr).pk}

        add_body = lambda w, s, name=name, new=new: _part_form(name, s, new)  # noqa: E731
        edit_body = lambda w, s, name=name, edit=edit: _part_form(name, s, edit)  # noqa: E731
        cases += page("contracts:part-add", allowed, kw_add, add_body, label=name)
        cases += page("contracts:part-edit", allowed, kw_obj, edit_body, label=name)
        cases += [
            get("contracts:part-delete", allowed, kw_obj, label=name),
            post(
                "contracts:part-delete",
                allowed,
                kw_obj,
                label=name,
                # The world's clause has a breach recorded under it: the ledger keeps the clause
                # (a message, not a 500; tests/contracts/test_contract_views.py deletes a free one).
                writer=None if name == "clauses" else "",
            ),
        ]
    return cases


def _new_contract(w, s):
    form = ContractForm(instance=s.contract)
    return form_data(form, code="NEW-2026", client=str(s.client.pk), vendor=str(s.vendor.pk), title="新合同")


def _intake_file(w, s):
    return {
        "client": str(s.client.pk),
        "file": SimpleUploadedFile(f"{s.tag}.txt", "甲方：某市公安局\n".encode()),
    }


def _intake_review(w, s):
    # Every proposal kept as the reader proposed it: the review's inputs default to them.
    return {"code": f"IN-{s.tag}-2026", **{f"p{i}-keep": "1" for i in range(len(s.upload.proposals))}}


INTAKE = [
    *page("contracts:intake", who("create_contract"), data=_intake_file),
    # An upload is scoped like a contract: another bureau's, or any for a vendor, is absent.
    *page("contracts:intake-review", who("create_contract"), pk("upload"), _intake_review, refusal="404"),
    get("contracts:intake-status", who("create_contract"), pk("upload"), refusal="404"),
    post("contracts:intake-retry", who("create_contract"), pk("failed_upload"), refusal="404"),
    get("contracts:intake-text", ALL, pk("accepted_upload")),
    get("contracts:intake-original", ALL, pk("accepted_upload")),
]

CONTRACTS = [
    *INTAKE,
    get("contracts:list"),
    *page("contracts:add", who("create_contract"), data=_new_contract),
    *[
        get(f"contracts:{tab}", ALL, code)
        for tab in ("detail", "items", "sla", "penalties", "milestones", "staff", "assets")
    ],
    *page(
        "contracts:edit",
        who("manage_contract"),
        code,
        lambda w, s: form_data(ContractForm(instance=s.contract), title="改"),
    ),
    *page(
        "contracts:breach-add",
        who("manage_penalties"),
        code,
        lambda w, s: {"clause": s.clause.pk, "occurred_at": "2026-11-02 10:00", "note": "迟交"},
    ),
    post(
        "contracts:breach-waive",
        who("manage_penalties"),
        code_pk("breach"),
        lambda w, s: {"reason": "不可抗力"},
    ),
    post("contracts:deduct-penalties", who("manage_penalties"), code),
    get("contracts:breaches-export", ALL, code),
    post(
        "contracts:assignment-replace",
        who("manage_staff"),
        code_pk("assignment"),
        lambda w, s: {"person": "接替者", "on": "2026-11-22", "reason": "离职"},
    ),
    *[
        get("contracts:assets-export", ALL, lambda s, fmt=fmt: {"code": s.code, "fmt": fmt}, label=fmt)
        for fmt in ("xlsx", "csv")
    ],
    *page(
        "contracts:assets-import",
        who("manage_assets"),
        code,
        lambda w, s: {"file": asset_csv(s), "mode": "upsert"},
    ),
    *_part_cases(),
]

# --- Incidents ------------------------------------------------------------------------------------

# action → (the right, the body); the state decides whether the allowed role's move happens.
INCIDENT_ACTIONS = {
    "acknowledge": ("handle_incident", {}),
    "arrive": ("handle_incident", {}),
    "wait_client": ("handle_incident", {}),
    "wait_other_unit": ("handle_incident", {}),
    "wait_finance": ("handle_incident", {}),
    "resume": ("handle_incident", {}),
    "resolve": ("handle_incident", {"cause": "磁盘满", "method": "清理", "result": "恢复"}),
    "close": ("close_incident", {}),
    "reopen": ("close_incident", {}),
    "dispatch": ("handle_incident", {}),
    "comment": ("report_incident", {"note": "已通知"}),
    "reclassify": ("close_incident", {"severity": "emergency", "kind": "network", "reason": "影响全部用户"}),
    "assign": ("assign_incident", lambda s: {"handlers": [s.users["vendor_engineer"].pk]}),
}
# The incident is new: what cannot start from there is refused by its state, not its role.
INCIDENT_STATE_REFUSES = {
    "resolve",
    "arrive",
    "wait_client",
    "wait_other_unit",
    "wait_finance",
    "resume",
    "close",
    "reopen",
}


def _incident_action(action):
    right, body = INCIDENT_ACTIONS[action]
    return post(
        "incidents:action",
        who(right),
        lambda s: {"pk": s.incident.pk, "action": action},
        lambda w, s: body(s) if callable(body) else dict(body),
        label=action,
        writer=None if action in INCIDENT_STATE_REFUSES else "",
    )


def _incident(w, s):
    return {
        "contract": s.code,
        "title": "新故障",
        "severity": "general",
        "kind": "software",
        "source": "phone",
    }


CHANGE_ACTS = {
    # verb → (who passes the role's gate, the body, the one who can carry it out on the draft)
    "submit": (who("request_change"), {}, "vendor_engineer"),
    "approve": (who("approve_change_first"), {"comment": ""}, None),
    "reject": (who("approve_change_first"), {"reason": "不必要"}, None),
    "execute": (who("execute_change"), {"note": "已执行"}, None),
    # The requester (A's vendor engineer) withdraws their own; the head of IT any.
    "cancel": (frozenset({"vendor_engineer", "client_manager"}), {}, "vendor_engineer"),
}


def _change_act(verb):
    allowed, body, writer = CHANGE_ACTS[verb]
    return post(
        "incidents:change-act",
        allowed,
        lambda s: {"pk": s.change.pk, "verb": verb},
        lambda w, s: dict(body),
        label=verb,
        writer=writer,
        why="the draft's state lets only its requester act; approvers are refused by state (400)",
    )


def _contract_owned(form_class, obj, w, s, **changes):
    form = form_class(instance=getattr(s, obj), user=w.roles["administrator"])
    return form_data(form, **changes)


INCIDENTS = [
    get("incidents:list"),
    *[
        get(f"incidents:{name}")
        for name in ("export", "worklog-export", "records-export", "consultations-export")
    ],
    # Offers only the contracts the user may report on: another is "not found" (404), not 403.
    get("incidents:add", who("report_incident"), data=lambda w, s: {"contract": s.code}, refusal="404"),
    post("incidents:add", who("report_incident"), data=_incident, refusal="404"),
    get("incidents:detail", ALL, pk("incident")),
    *[_incident_action(action) for action in INCIDENT_ACTIONS],
    get("incidents:worklog"),
    get("incidents:worklog-add", who("report_incident"), data=lambda w, s: {"contract": s.code}),
    post(
        "incidents:worklog-add",
        who("report_incident"),
        data=lambda w, s: {
            "contract": s.code,
            "category": "fault",
            "date": "2026-11-20",
            "initiator": "科长",
            "handler": "工程师",
            "handling": "重启",
        },
    ),
    get("incidents:records"),
    get("incidents:record-add", who("handle_incident"), data=lambda w, s: {"contract": s.code}),
    post(
        "incidents:record-add",
        who("handle_incident"),
        data=lambda w, s: {
            "contract": s.code,
            "started_at": "2026-11-20 09:00",
            "ended_at": "2026-11-20 10:00",
            "place": "机房",
            "requester": "科长",
            "task": "巡检",
            "work_done": "更换硬盘",
            "result": "正常",
        },
    ),
    get("incidents:record-detail", ALL, pk("record")),
    # The client's written acceptance (seed 002): the portal's administrator is no side (issue 14).
    post(
        "incidents:record-confirm",
        who("close_incident") - {"administrator"},
        pk("record"),
        lambda w, s: {"feedback": "满意"},
    ),
    get("incidents:changes"),
    *page(
        "incidents:change-add",
        who("request_change"),
        data=lambda w, s: {
            "contract": s.contract.pk,
            "kind": "business",
            "title": "新变更",
            "description": "说明",
            "reason": "原因",
        },
    ),
    get("incidents:change-detail", ALL, pk("change")),
    # Only the requester edits a draft (A's vendor engineer).
    *page(
        "incidents:change-edit",
        {"vendor_engineer"},
        pk("change"),
        lambda w, s: form_data(
            ChangeRequestForm(instance=s.change, user=s.users["vendor_engineer"]), title="改"
        ),
    ),
    *[_change_act(verb) for verb in CHANGE_ACTS],
    get("incidents:knowledge"),
    *page(
        "incidents:article-add",
        who("manage_knowledge"),
        data=lambda w, s: {"contract": s.code, "title": "新知识", "status": "draft", "solution": "重启"},
    ),
    get("incidents:article-detail", ALL, pk("article")),
    *page(
        "incidents:article-edit",
        who("manage_knowledge"),
        pk("article"),
        lambda w, s: _contract_owned(ArticleForm, "article", w, s, title="改"),
    ),
    # The incident is not resolved: the allowed role's draft is refused by its state.
    post("incidents:article-from-incident", who("manage_knowledge"), pk("incident"), writer=None),
    get("incidents:plans"),
    *page(
        "incidents:plan-add",
        who("manage_knowledge"),
        data=lambda w, s: {
            "contract": s.code,
            "category": "host_fault",
            "title": "新预案",
            "version": "1.0",
            "trigger_conditions": "宕机",
            "steps": "切换",
        },
    ),
    get("incidents:plan-detail", ALL, pk("plan")),
    *page(
        "incidents:plan-edit",
        who("manage_knowledge"),
        pk("plan"),
        lambda w, s: _contract_owned(PlanForm, "plan", w, s, title="改"),
    ),
    post(
        "incidents:drill-add",
        who("manage_knowledge"),
        pk("plan"),
        lambda w, s: {"date": "2026-11-01", "scenario": "断电", "participants": "全员"},
    ),
    get("incidents:consultations"),
    *page(
        "incidents:consultation-add",
        who("record_consultation"),
        data=lambda w, s: {
            "contract": s.code,
            "channel": "phone",
            "question": "新咨询",
            "asked_at": "2026-11-20 10:00",
        },
    ),
    *page(
        "incidents:consultation-edit",
        who("record_consultation"),
        pk("consultation"),
        lambda w, s: _contract_owned(ConsultationForm, "consultation", w, s, question="改"),
    ),
    get(
        "incidents:consultation-stats",
        ALL,
        data=lambda w, s: {"contract": s.code, "start": "2026-11-01", "end": "2026-11-30", "hours": "24"},
    ),
    get("incidents:complaints"),
    *page(
        "incidents:complaint-add",
        who("file_complaint"),
        data=lambda w, s: {"contract": s.code, "subject": "新投诉", "description": "说明"},
    ),
    get("incidents:complaint-detail", ALL, pk("complaint")),
    post(
        "incidents:complaint-decide",
        who("manage_contract"),
        pk("complaint"),
        lambda w, s: {"status": "upheld", "note": "属实"},
    ),
    # The world's complaint is the client's, against the vendor: the vendor's people answer.
    post(
        "incidents:complaint-answer",
        frozenset({"vendor_engineer", "vendor_manager"}),
        pk("complaint"),
        lambda w, s: {"answer": "已安排专人驻场"},
    ),
]

# --- Inspections -------------------------------------------------------------------------------


def _manage(attr):
    return lambda s: {"code": s.code, "pk": getattr(s, attr).pk}


def _schedule_body(w, s, **changes):
    return form_data(ScheduleForm(instance=s.schedule, contract=s.contract), **changes)


def _period_body(w, s, **changes):
    return form_data(PeriodForm(instance=s.period, user=w.roles["administrator"]), **changes)


def _checklist_body(w, s, new=False):
    template = s.template
    data = form_data(ChecklistForm(instance=template, contract=s.contract), name="改")
    if new:
        data.update(key="weekly", name="新清单")
        return data | formset_data(item_formset(type(template)(contract=s.contract), s.contract))
    return data | formset_data(item_formset(template, s.contract))


def _check_body(w, s, **changes):
    return form_data(CheckForm(instance=s.check, contract=s.contract), **changes)


def _late_tablet_round(w, s):
    """The side's round made one that reached the server after its deadline, which the tablet
    says it submitted before: what the client side may count by the tablet's time."""
    from inspections.models import InspectionRun, InspectionSlot

    slot = s.run.slot
    InspectionSlot.objects.filter(pk=slot.pk).update(
        status=InspectionSlot.Status.MISSED, done_at=slot.deadline + (slot.deadline - slot.due_at)
    )
    InspectionRun.objects.filter(pk=s.run.pk).update(device_submitted_at=slot.due_at)


def _escalation_body(w, s, **changes):
    """The escalation form as shown for the side's policy (or blank), with ``changes``."""
    data = {
        "severity": "emergency",
        "active": "on",
        "note": "改",
        "steps-TOTAL_FORMS": "1",
        "steps-INITIAL_FORMS": "1",
        "steps-MIN_NUM_FORMS": "0",
        "steps-MAX_NUM_FORMS": "10",
        "steps-0-after_minutes": "45",
        "steps-0-notify": "client_manager",
    }
    return {**data, **changes}


ESCALATION = [
    get("incidents:escalation", ALL, code),
    *page(
        "incidents:escalation-add",
        who("manage_contract"),
        code,
        lambda w, s: _escalation_body(w, s, severity="severe", **{"steps-INITIAL_FORMS": "0"}),
    ),
    *page("incidents:escalation-edit", who("manage_contract"), _manage("escalation"), _escalation_body),
    post("incidents:escalation-delete", who("manage_contract"), _manage("escalation")),
]

MANAGE = who("manage_inspections")
INSPECTIONS = [
    get("inspections:index"),
    get("inspections:round", ALL, pk("slot")),
    post(
        "inspections:round",
        who("perform_inspection"),
        pk("slot"),
        lambda w, s: {f"item-{s.checklist_item.pk}": "normal", "note": "正常"},
    ),
    post(
        "inspections:round-item-incident",
        who("perform_inspection"),
        lambda s: {"pk": s.slot.pk, "item_id": s.checklist_item.pk},
        lambda w, s: {"note": "漏水"},
    ),
    # The ledger's part of the round: for those who may change the ledger.
    get("inspections:round-assets", who("manage_assets"), pk("slot")),
    post(
        "inspections:round-asset-update",
        who("manage_assets"),
        lambda s: {"pk": s.slot.pk, "asset_id": s.asset.pk},
        lambda w, s: {"status": "faulty", "remark": "风扇异响"},
    ),
    get("inspections:round-photo", ALL, pk("photo")),
    # A round from a tablet's queue (inspections.views.offline).
    post(
        "inspections:round-sync",
        who("perform_inspection"),
        pk("slot"),
        lambda w, s: {f"item-{s.checklist_item.pk}": "normal", "note": "正常"},
    ),
    post(
        "inspections:accept-device-time",
        who("manage_penalties"),
        pk("run"),
        lambda w, s: {"reason": "机房无网络，现场核实"},
        prepare=_late_tablet_round,
    ),
    get(
        "inspections:ledger",
        ALL,
        data=lambda w, s: {"contract": s.code, "from": "2026-11-01", "to": "2026-11-30"},
    ),
    get("inspections:contract", ALL, code),
    *page("inspections:schedule-add", MANAGE, code, lambda w, s: _schedule_body(w, s, name="新计划")),
    *page(
        "inspections:schedule-edit", MANAGE, _manage("schedule"), lambda w, s: _schedule_body(w, s, name="改")
    ),
    *page("inspections:period-add", MANAGE, code, lambda w, s: _period_body(w, s, name="新重保")),
    *page("inspections:period-edit", MANAGE, _manage("period"), lambda w, s: _period_body(w, s, name="改")),
    post("inspections:period-withdraw", MANAGE, _manage("period")),
    *page("inspections:checklist-add", MANAGE, code, lambda w, s: _checklist_body(w, s, new=True)),
    *page("inspections:checklist-edit", MANAGE, _manage("template"), _checklist_body),
    *page("inspections:automated-check-add", MANAGE, code, lambda w, s: _check_body(w, s, name="新检查")),
    *page(
        "inspections:automated-check-edit",
        MANAGE,
        _manage("check"),
        lambda w, s: _check_body(w, s, name="改"),
    ),
    post("inspections:automated-check-approve", who("manage_contract"), _manage("check")),
    get("inspections:automated-check", ALL, _manage("check")),
    post(
        "inspections:automated-check-run",
        MANAGE,
        _manage("check"),
        writer=None,
        # The world's check awaits the client's approval: it may not run (test_run_now.py runs one).
    ),
    post("inspections:network-add", who("manage_contract"), code, lambda w, s: {"network": "10.0.7.0/24"}),
    post("inspections:network-delete", who("manage_contract"), _manage("network")),
    *[
        post(
            "inspections:set-active",
            MANAGE,
            lambda s, part=part, attr=attr: {"code": s.code, "part": part, "pk": getattr(s, attr).pk},
            lambda w, s: {"active": "0"},
            label=part,
        )
        for part, attr in (("schedules", "schedule"), ("checklists", "template"), ("checks", "check"))
    ],
]

# --- Reports and acceptance --------------------------------------------------------------------

# The report is signed off: only a re-issue moves it; the rest are refused by its state (a message).
REPORT_ACTS = {
    "build": (who("build_report"), None),
    "submit": (who("write_report"), None),
    "return": (who("sign_off_report"), None),
    "sign_off": (who("sign_off_report"), None),
    "reissue": (who("write_report"), ""),
}
# The package is signed off and sealed: every act is refused by its state for the allowed role.
PACKAGE_ACTS = {
    "statement": (who("write_report"), {"vendor_statement": "改"}),
    "submit": (who("write_report"), {"vendor_statement": "改"}),
    "return": (who("sign_off_report"), {"opinion": "重做"}),
    "sign_off": (who("sign_off_report"), {"conclusion": "passed"}),
}


def _quarter(w, s):
    start, end = acceptance.quarters(s.contract)[0]
    return {"period": f"quarter:{start}:{end}"}


REPORTS = [
    get("reports:index"),
    # Offers only the contracts the user may build for: another is a form error (400).
    post(
        "reports:create",
        who("build_report"),
        data=lambda w, s: {"contract": s.code, "kind": "weekly", "day": "2026-11-03"},
        refusal="400",
    ),
    get("reports:verify", SIGNED_IN, scoped=False),
    post("reports:verify", SIGNED_IN, data=lambda w, s: {"sha256": s.version.sha256}, writer=None),
    get("reports:detail", ALL, pk("report")),
    post(
        "reports:narrative",
        who("write_report"),
        pk("report"),
        lambda w, s: {"summary": "改"},
        refusal="message",
        writer=None,
    ),
    get("reports:progress", ALL, pk("report")),
    get("reports:draft-pdf", ALL, pk("report")),
    get("reports:version-pdf", ALL, lambda s: {"pk": s.report.pk, "number": 1}),
    *[
        post(
            "reports:act",
            allowed,
            lambda s, action=action: {"pk": s.report.pk, "action": action},
            lambda w, s: {"comment": "意见"},
            refusal="message",
            label=action,
            writer=writer,
        )
        for action, (allowed, writer) in REPORT_ACTS.items()
    ],
    get("reports:acceptance-list", ALL, code),
    post("reports:acceptance-create", who("build_report"), code, _quarter, refusal="message"),
    get("reports:acceptance", ALL, pk("package")),
    *[
        get(
            "reports:acceptance-download",
            ALL,
            lambda s, what=what: {"pk": s.package.pk, "what": what},
            label=what,
        )
        for what in ("pdf", "zip")
    ],
    *[
        post(
            "reports:acceptance-act",
            allowed,
            lambda s, action=action: {"pk": s.package.pk, "action": action},
            lambda w, s, body=body: dict(body),
            refusal="message",
            label=action,
            writer=None,
        )
        for action, (allowed, body) in PACKAGE_ACTS.items()
    ],
]

OTHERS = [
    get("home"),
    # The top bar's search: each kind through its list's restrict ("0" is in A's codes and addresses).
    get("search", ALL, data=lambda w, s: {"q": "0"}),
    # Separation of duties: the trail is the auditors'.
    get("audit", who("read_audit")),
    get("audit-anchor", who("read_audit")),
]

# One's own account: no object in the URL, so nothing of another user or organisation to reach.
# The second factor is off in the suite (tests/conftest.py): verify and enrol send the user on;
# tests/om_portal/test_auth_otp.py walks them with it on. A wrong code writes nothing.
WRONG_CODE = {"code": "000000"}
ACCOUNT = [
    get("security", SIGNED_IN, scoped=False),
    *[
        case
        for name in ("otp-verify", "otp-enrol")
        for case in (
            get(name, SIGNED_IN, scoped=False, ok=(200, 302)),
            post(name, SIGNED_IN, data=lambda w, s: WRONG_CODE, scoped=False, writer=None),
        )
    ],
    post("otp-disable", SIGNED_IN, data=lambda w, s: WRONG_CODE, scoped=False, writer=None),
    get("password-change", SIGNED_IN, scoped=False),
    # One's own inbox and notification choices: no other user's or organisation's object.
    get("inbox", SIGNED_IN, scoped=False),
    post("inbox-read", SIGNED_IN, data=lambda w, s: {"all": "1"}, scoped=False, writer=None),
    get("notification-preferences", SIGNED_IN, scoped=False),
    # The choices are one's own rows, outside the snapshot of contract data (test_events.py reads them).
    post("notification-preferences", SIGNED_IN, data=lambda w, s: {}, scoped=False, writer=None),
    # A wrong current password: a form error for everyone, nothing written.
    post(
        "password-change",
        SIGNED_IN,
        data=lambda w, s: {
            "old_password": "wrong",
            "new_password1": "Mine-2026-x",
            "new_password2": "Mine-2026-x",
        },
        scoped=False,
        writer=None,
        ok=(200, 400),
    ),
]


# The security administrator's pages: accounts are no contract's data (scoped=False); A's client
# staff member is the account acted on.
def _account(s, **more):
    return {"pk": s.users["client_staff"].pk, **more}


def _new_account(w, s):
    return {
        "username": "new.person",
        "full_name": "新人",
        "password": "Kq7-long-enough",
        "organization": s.client.pk,
        "role": "client_staff",
    }


MANAGE_ACCOUNTS = who("manage_accounts")
ACCOUNTS = [
    get("accounts:list", MANAGE_ACCOUNTS, scoped=False, portal_wide=True),
    *page("accounts:add", MANAGE_ACCOUNTS, data=_new_account, scoped=False),
    get("accounts:detail", MANAGE_ACCOUNTS, _account, scoped=False),
    post(
        "accounts:role-add",
        MANAGE_ACCOUNTS,
        _account,
        lambda w, s: {"organization": w.b.client.pk, "role": "client_staff"},
        scoped=False,
        portal_wide=True,
    ),
    post(
        "accounts:role-remove",
        MANAGE_ACCOUNTS,
        lambda s: _account(s, membership=s.users["client_staff"].memberships.get().pk),
        scoped=False,
    ),
    *[
        post(
            "accounts:act",
            MANAGE_ACCOUNTS,
            lambda s, action=action: _account(s, action=action),
            label=action,
            scoped=False,
            # Nothing to undo: the account is open, not locked, and has no second factor.
            writer="" if action == "deactivate" else None,
        )
        for action in ("deactivate", "activate", "unlock", "reset-second-factor")
    ],
]

# The administrator's settings (/administration/): no contract's data (scoped=False).
ADMINISTER = who("administer_portal")
YEAR = {"year": 2027}


def _notice(w, s):
    rows = [("春节", "2027-02-05", "2027-02-14", "2027-01-31、2027-02-20")]
    data = {"rows-TOTAL_FORMS": "1", "rows-INITIAL_FORMS": "0", "source": "示例"}
    for index, (name, first, last, makeup) in enumerate(rows):
        data |= {f"rows-{index}-name": name, f"rows-{index}-first": first, f"rows-{index}-last": last}
        data[f"rows-{index}-makeup"] = makeup
    return data


def _rate(w, s, **changes):
    return {"effective_on": "2026-11-20", "one_year_percent": "3.000", "source": "公告", **changes}


def _channel(w, s, **changes):
    data = {"name": "新群", "kind": "email", "target": "new@example.org", "scope": "*", "active": "on"}
    return data | changes


ADMINISTRATION = [
    get("administration:index", ADMINISTER, scoped=False),
    get("administration:calendar-year", ADMINISTER, lambda s: YEAR, scoped=False),
    *page("administration:calendar-notice", ADMINISTER, lambda s: YEAR, _notice, scoped=False),
    # Complete needs the holidays entered first, reopen a completed year: a message, no write.
    post("administration:calendar-complete", ADMINISTER, lambda s: YEAR, scoped=False, writer=None),
    post("administration:calendar-reopen", ADMINISTER, lambda s: YEAR, scoped=False, writer=None),
    get("administration:rates", ADMINISTER, scoped=False),
    *page("administration:rate-add", ADMINISTER, data=_rate, scoped=False),
    *page(
        "administration:rate-edit",
        ADMINISTER,
        pk("rate"),
        lambda w, s: _rate(w, s, source="改"),
        scoped=False,
    ),
    post("administration:rate-delete", ADMINISTER, pk("rate"), scoped=False),
    # The channels' table is the portal's own (not among the data the matrix snapshots): the
    # refusals are 403s; tests/contracts/test_administration_channels.py checks nothing changes.
    get("administration:channels", ADMINISTER, scoped=False),
    *page("administration:channel-add", ADMINISTER, data=_channel, scoped=False, writer=None),
    get("administration:channel", ADMINISTER, pk("channel"), scoped=False),
    *page(
        "administration:channel-edit",
        ADMINISTER,
        pk("channel"),
        lambda w, s: _channel(w, s, name="改名"),
        scoped=False,
        writer=None,
    ),
    *[
        post(f"administration:channel-{act}", ADMINISTER, pk("channel"), scoped=False, writer=None)
        for act in ("disable", "enable", "test")
    ],
]

PORTAL_CASES = [
    *OTHERS,
    *ACCOUNT,
    *ACCOUNTS,
    *CONTRACTS,
    *INCIDENTS,
    *ESCALATION,
    *INSPECTIONS,
    *REPORTS,
    *ADMINISTRATION,
]
