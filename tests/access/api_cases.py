"""The API's routes in the matrix (see matrix.py): every resource's list and detail with each
method its route answers, and every custom action and download. A refused role gets a 403 (the
roles' rights are checked after the body is valid, so each body here is valid for A); a method a
resource turns off is a 405 for everyone.
"""

from dataclasses import dataclass, field

from contracts.api.intake import plain
from contracts.intake import codec
from reports import acceptance
from tests.access.bodies import representation
from tests.access.matrix import NOBODY, SIGNED_IN, Case, who

ALL = who("view")


def body(**fields):
    """A body naming the side's contract by code, with ``fields``; callables get the side."""

    def make(w, s):
        data = {"contract": s.code}
        for name, value in fields.items():
            data[name] = value(s) if callable(value) else value
        return data

    return make


@dataclass
class Resource:
    basename: str  # the router's: "asset" → api:asset-list, api:asset-detail
    obj: str  # the world's attribute for one side's object
    write: frozenset  # who may create, change and delete
    create: object = None  # the POST body of a new one: create(world, side)
    patch: dict = field(default_factory=dict)  # a PATCH's change
    key: str = "pk"  # the detail route's kwarg
    closed: tuple = ()  # methods the resource turns off: a 405 for everyone
    # DELETE by an allowed role is refused by the data (409: past records refer to it).
    delete_conflicts: bool = False

    def kwargs(self, s):
        obj = getattr(s, self.obj)
        return {self.key: obj.code if self.key == "code" else obj.pk}


def _resource_cases(r: Resource) -> list[Case]:
    detail = f"api:{r.basename}-detail"
    put = lambda w, s: representation(w, detail, **r.kwargs(s)) | r.patch  # noqa: E731
    patch = lambda w, s: dict(r.patch)  # noqa: E731
    cases = [
        Case(f"api:{r.basename}-list", "get", ALL),
        Case(f"api:{r.basename}-list", "post", r.write, data=r.create),
        Case(detail, "get", ALL, r.kwargs),
    ]
    for method, data in (("put", put), ("patch", patch), ("delete", None)):
        if method in r.closed:
            cases.append(Case(detail, method, NOBODY, r.kwargs, data, refusal="405", writer=None))
        else:
            writer = None if method == "delete" and r.delete_conflicts else ""
            cases.append(Case(detail, method, r.write, r.kwargs, data, writer=writer))
    return cases


def _quarter(s):
    return acceptance.quarters(s.contract)[0]


CONTRACT_DATA = [
    Resource(
        "service-item",
        "item",
        who("manage_contract"),
        body(category="软件", name="新服务"),
        {"name": "改"},
    ),
    Resource(
        "sla-term",
        "sla",
        who("manage_contract"),
        body(clock="response", target=30, unit="minutes"),
        {"target": 9},
    ),
    Resource(
        "penalty-clause",
        "clause",
        who("manage_contract"),
        body(kind="late_inspection", title="巡检迟延", shape="per_occurrence", rate_percent="0.5"),
        {"title": "改"},
        delete_conflicts=True,  # a breach is recorded under it
    ),
    Resource(
        "breach",
        "breach",
        who("manage_penalties"),
        body(kind="late_report", occurred_at="2026-11-01T10:00:00+08:00", source_ref="new-1"),
        {"note": "改"},
    ),
    Resource(
        "milestone",
        "milestone",
        who("manage_contract"),
        body(name="新节点", amount="1000.00", trigger="signing"),
        {"name": "改"},
    ),
    Resource("staff-post", "post", who("manage_staff"), body(name="新岗位", shift="7x24"), {"place": "改"}),
    Resource(
        "staff-assignment",
        "assignment",
        who("manage_staff"),
        lambda w, s: {"post": s.post.pk, "person": "李四", "starts_on": "2026-11-01"},
        {"person": "改"},
    ),
    Resource(
        "duty-shift", "shift", who("manage_staff"), body(date="2026-11-24", person="王五"), {"person": "改"}
    ),
    Resource("asset", "asset", who("manage_assets"), body(kind="server", name="新服务器"), {"name": "改"}),
    Resource(
        "report-requirement", "requirement", who("manage_contract"), body(kind="monthly"), {"note": "改"}
    ),
]

INCIDENT_DATA = [
    Resource(
        "work-log-entry",
        "worklog",
        who("report_incident"),
        body(category="fault", date="2026-11-20", initiator="科长", handler="工程师", handling="重启"),
        {"handling": "改"},
    ),
    Resource(
        "service-record",
        "record",
        who("handle_incident"),
        body(
            started_at="2026-11-20T09:00:00+08:00",
            ended_at="2026-11-20T10:00:00+08:00",
            place="机房",
            requester="科长",
            task="巡检",
            work_done="更换硬盘",
            result="正常",
        ),
        {"task": "改"},
    ),
    # A request and a complaint are records: changed only by their actions, never deleted.
    Resource(
        "change-request",
        "change",
        who("request_change"),
        body(title="新变更", description="说明", reason="原因"),
        closed=("put", "patch", "delete"),
    ),
    Resource(
        "complaint",
        "complaint",
        who("file_complaint"),
        body(subject="新投诉", description="说明"),
        closed=("put", "patch", "delete"),
    ),
    Resource(
        "knowledge-article",
        "article",
        who("manage_knowledge"),
        body(title="新知识", solution="重启"),
        {"title": "改"},
    ),
    Resource(
        "emergency-plan",
        "plan",
        who("manage_knowledge"),
        body(category="host_fault", title="新预案", trigger_conditions="宕机", steps="切换"),
        {"title": "改"},
    ),
    Resource(
        "drill",
        "drill",
        who("manage_knowledge"),
        lambda w, s: {"plan": s.plan.pk, "date": "2026-11-01", "participants": "全员", "scenario": "断电"},
        {"scenario": "改"},
    ),
    Resource(
        "consultation",
        "consultation",
        who("record_consultation"),
        body(channel="phone", question="新咨询", asked_at="2026-11-20T10:00:00+08:00"),
        {"question": "改"},
    ),
]

ESCALATION_DATA = [
    Resource(
        "escalation-policy",
        "escalation",
        who("manage_contract"),
        body(severity="severe", steps=[{"after_minutes": 60, "notify": "client_manager"}]),
        {"note": "改"},
    ),
]

INSPECTION_DATA = [
    # Where the checks may point: the client side's to write (issue 14).
    Resource(
        "allowed-network", "network", who("manage_contract"), body(network="10.0.6.0/24"), {"note": "改"}
    ),
    Resource(
        "checklist-template",
        "template",
        who("manage_inspections"),
        body(key="weekly", name="周巡检", items=[{"label": "机房"}]),
        {"name": "改"},
        delete_conflicts=True,  # a past round answered its item
    ),
    Resource(
        "check",
        "check",
        who("manage_inspections"),
        # The asset's host: a check follows its asset or an allowed network (issue 14).
        body(asset=lambda s: s.asset.pk, name="新检查", kind="http", target="https://10.0.0.1/new"),
        {"name": "改"},
        delete_conflicts=True,  # a past run holds its result
    ),
    Resource(
        "inspection-schedule",
        "schedule",
        who("manage_inspections"),
        body(name="新计划", kind="daily", times_of_day=["10:00"], what="机房巡检"),
        {"name": "改"},
        delete_conflicts=True,  # its slots are the record of the rounds
    ),
    Resource(
        "heightened-period",
        "period",
        who("manage_inspections"),
        lambda w, s: {
            "name": "新重保",
            "starts_on": "2026-12-01",
            "ends_on": "2026-12-05",
            "contracts": [s.code],
        },
        {"name": "改"},
    ),
]

RESOURCES = [*CONTRACT_DATA, *INCIDENT_DATA, *ESCALATION_DATA, *INSPECTION_DATA]


def pk(attr):
    return lambda s: {"pk": getattr(s, attr).pk}


def action(route, method, allowed, attr, data=None, **fields):
    """A custom @action on one object (``attr`` of the side)."""
    return Case(route, method, frozenset(allowed), pk(attr), data, **fields)


def _body(**fields):
    return lambda w, s: dict(fields)


CONTRACTS = [
    Case("api:contract-list", "get", ALL),
    Case(
        "api:contract-list",
        "post",
        who("create_contract"),
        data=lambda w, s: {
            "code": "NEW-2026",
            "title": "新合同",
            "client": s.client.name,
            "vendor": s.vendor.name,
        },
    ),
    *[
        Case("api:contract-detail", method, allowed, lambda s: {"code": s.code}, data, writer=writer)
        for method, allowed, data, writer in (
            ("get", ALL, None, ""),
            (
                "put",
                who("manage_contract"),
                lambda w, s: representation(w, "api:contract-detail", code=s.code) | {"title": "改"},
                "",
            ),
            ("patch", who("manage_contract"), _body(title="改"), ""),
            # Its incidents and records are kept: a contract with a history is not deleted (409).
            ("delete", who("manage_contract"), None, None),
        )
    ],
    Case("api:contract-penalties", "get", ALL, lambda s: {"code": s.code}),
    Case("api:contract-price-list", "get", ALL, lambda s: {"code": s.code}),
    Case(
        "api:contract-roster-gaps",
        "get",
        ALL,
        lambda s: {"code": s.code},
        lambda w, s: {"start": "2026-10-01", "end": "2026-10-08"},
    ),
    action(
        "api:staff-assignment-replace",
        "post",
        who("manage_staff"),
        "assignment",
        _body(person="赵六", on="2026-12-01", reason="离职"),
    ),
    action("api:breach-waive", "post", who("manage_penalties"), "breach", _body(reason="不可抗力")),
    # The calendar is public knowledge, not an organisation's data.
    Case("api:calendar-day-list", "get", SIGNED_IN, scoped=False),
    Case("api:calendar-day-detail", "get", SIGNED_IN, lambda s: {"date": "2026-10-01"}, scoped=False),
    Case(
        "api:working-day-list",
        "get",
        SIGNED_IN,
        data=lambda w, s: {"start": "2026-10-01", "end": "2026-10-08"},
        scoped=False,
    ),
    Case("api:api-root", "get", SIGNED_IN, scoped=False),
    # One's own inbox: the caller's items only (tests/om_portal/test_inbox.py: another's is a 404).
    Case("api:inbox-list", "get", SIGNED_IN, scoped=False),
    Case("api:inbox-unread", "get", SIGNED_IN, scoped=False),
    Case("api:inbox-read", "post", SIGNED_IN, data=lambda w, s: {"all": True}, scoped=False, writer=None),
    # The one-year LPR is public knowledge that only an administrator enters (seed 003's rate).
    Case("api:lpr-rate-list", "get", SIGNED_IN, scoped=False),
    Case(
        "api:lpr-rate-list",
        "post",
        frozenset({"administrator"}),
        data=lambda w, s: {"effective_on": "2026-06-22", "one_year_percent": "2.900"},
        scoped=False,
    ),
    Case("api:lpr-rate-detail", "get", SIGNED_IN, lambda s: {"effective_on": "2026-05-20"}, scoped=False),
    *[
        Case(
            "api:lpr-rate-detail",
            method,
            frozenset({"administrator"}),
            lambda s: {"effective_on": "2026-05-20"},
            data,
            scoped=False,
        )
        for method, data in (
            ("put", lambda w, s: {"effective_on": "2026-05-20", "one_year_percent": "3.100"}),
            ("patch", lambda w, s: {"source": "改"}),
            ("delete", None),
        )
    ],
    # A build timeline comes with its contract: read, and its dates entered, never created or
    # deleted over the API (405).
    Case("api:build-timeline-list", "get", ALL),
    Case("api:build-timeline-list", "post", NOBODY, data=body(), refusal="405", writer=None),
    Case("api:build-timeline-detail", "get", ALL, pk("timeline")),
    Case(
        "api:build-timeline-detail",
        "put",
        who("manage_contract"),
        pk("timeline"),
        lambda w, s: {"build_days": 180, "build_done_on": "2026-07-01"},
    ),
    Case(
        "api:build-timeline-detail",
        "patch",
        who("manage_contract"),
        pk("timeline"),
        _body(build_done_on="2026-07-02"),
    ),
    Case("api:build-timeline-detail", "delete", NOBODY, pk("timeline"), refusal="405", writer=None),
]

INCIDENTS = [
    Case("api:incident-list", "get", ALL),
    Case("api:incident-list", "post", who("report_incident"), data=body(title="新故障", source="phone")),
    Case("api:incident-detail", "get", ALL, pk("incident")),
    action("api:incident-clocks", "get", ALL, "incident"),
    action("api:incident-timeline", "get", ALL, "incident"),
    action(
        "api:incident-transition", "post", who("handle_incident"), "incident", _body(action="acknowledge")
    ),
    # The vendor manager names the handlers among the vendor's engineers.
    action(
        "api:incident-assign",
        "post",
        who("assign_incident"),
        "incident",
        lambda w, s: {"handler_usernames": [s.users["vendor_engineer"].username]},
    ),
    # Severity and kind are the client's call (its staff and managers), with a reason.
    action(
        "api:incident-reclassify",
        "post",
        who("close_incident"),
        "incident",
        _body(severity="emergency", reason="影响全部用户"),
    ),
    Case(
        "api:incident-detail",
        "patch",
        who("close_incident"),
        pk("incident"),
        _body(kind="network", reason="实为网络故障"),
    ),
    # The draft is A's vendor engineer's: approvers pass the role's gate and are refused by its
    # state (400); only the requester submits or cancels it.
    action("api:change-request-submit", "post", who("request_change"), "change", writer="vendor_engineer"),
    action(
        "api:change-request-approve",
        "post",
        who("approve_change_first"),
        "change",
        _body(comment=""),
        writer=None,
    ),
    action(
        "api:change-request-reject",
        "post",
        who("approve_change_first"),
        "change",
        _body(reason="不必要"),
        writer=None,
    ),
    action(
        "api:change-request-execute",
        "post",
        who("execute_change"),
        "change",
        _body(note="已执行"),
        writer=None,
    ),
    action(
        "api:change-request-cancel",
        "post",
        {"vendor_engineer", "client_manager"},
        "change",
        writer="vendor_engineer",
    ),
    # The incident is not resolved: a draft from it is refused by its state (400).
    Case(
        "api:knowledge-article-from-incident",
        "post",
        who("manage_knowledge"),
        data=lambda w, s: {"incident": s.incident.pk},
        writer=None,
    ),
    Case(
        "api:consultation-rates",
        "get",
        ALL,
        data=lambda w, s: {"contract": s.code, "start": "2026-11-01", "end": "2026-11-30"},
    ),
    action(
        "api:complaint-decide",
        "post",
        who("manage_contract"),
        "complaint",
        _body(status="upheld", note="属实"),
    ),
    action(
        "api:complaint-answer",
        "post",
        frozenset({"vendor_engineer", "vendor_manager"}),
        "complaint",
        _body(answer="已安排专人驻场"),
    ),
]

INSPECTIONS = [
    # The client side approves the vendor's checks (issue 14).
    action("api:check-approve", "post", who("manage_contract"), "check"),
    # Run now: the world's check awaits approval, so the allowed roles get the 409 that says so.
    action("api:check-run", "post", who("manage_inspections"), "check", writer=None),
    *[
        Case(f"api:{name}-{kind}", "get", ALL, pk(attr) if kind == "detail" else None)
        for name, attr in (("check-result", "result"), ("inspection-run", "run"), ("inspection-slot", "slot"))
        for kind in ("list", "detail")
    ],
]

# The report and the package are signed off and sealed: every act but a re-issue is refused by
# their state (409) for the allowed role; the downloads are there.
REPORTS = [
    Case("api:report-list", "get", ALL),
    Case(
        "api:report-list",
        "post",
        who("build_report"),
        data=body(kind="weekly", period_start="2026-11-02", period_end="2026-11-08"),
    ),
    Case("api:report-detail", "get", ALL, pk("report")),
    Case(
        "api:report-detail",
        "patch",
        who("write_report"),
        pk("report"),
        _body(narrative={"summary": "改"}),
        writer=None,
    ),
    action("api:report-build", "post", who("build_report"), "report", writer=None),
    action("api:report-draft-pdf", "get", ALL, "report"),
    action("api:report-progress", "get", ALL, "report"),
    action("api:report-reissue", "post", who("write_report"), "report", _body(reason="更正数据后重新出具")),
    action("api:report-return", "post", who("sign_off_report"), "report", _body(comment="重做"), writer=None),
    action("api:report-sign-off", "post", who("sign_off_report"), "report", _body(comment=""), writer=None),
    action("api:report-submit", "post", who("write_report"), "report", writer=None),
    Case("api:report-version-list", "get", ALL),
    Case("api:report-version-detail", "get", ALL, pk("version")),
    action("api:report-version-pdf", "get", ALL, "version"),
    Case("api:acceptance-package-list", "get", ALL),
    Case(
        "api:acceptance-package-list",
        "post",
        who("build_report"),
        data=lambda w, s: {
            "contract": s.code,
            "scope": "quarter",
            "period_start": str(_quarter(s)[0]),
            "period_end": str(_quarter(s)[1]),
        },
    ),
    Case("api:acceptance-package-detail", "get", ALL, pk("package")),
    Case(
        "api:acceptance-package-detail",
        "patch",
        who("write_report"),
        pk("package"),
        _body(vendor_statement="改"),
        writer=None,
    ),
    action("api:acceptance-package-pdf", "get", ALL, "package"),
    action("api:acceptance-package-archive", "get", ALL, "package"),
    action("api:acceptance-package-submit", "post", who("write_report"), "package", writer=None),
    action(
        "api:acceptance-package-return",
        "post",
        who("sign_off_report"),
        "package",
        _body(comment="重做"),
        writer=None,
    ),
    action(
        "api:acceptance-package-sign-off",
        "post",
        who("sign_off_report"),
        "package",
        _body(conclusion="passed"),
        writer=None,
    ),
]


def _accept_body(w, s):
    return {
        "code": f"IN-{s.tag}-2026",
        "proposals": [plain(codec.load_proposal(p)) for p in s.upload.proposals],
    }


INTAKE = [
    Case("api:contract-upload-list", "get", who("create_contract")),
    Case(
        "api:contract-upload-list",
        "post",
        who("create_contract"),
        data=lambda w, s: {"client": s.client.pk},
        writer=None,
        why="an upload is multipart: the matrix's JSON body carries no file (test_intake_flow.py uploads)",
    ),
    # An upload's own routes are scoped like a contract: absent (404) for whoever may not review it.
    Case("api:contract-upload-detail", "get", who("create_contract"), pk("upload"), refusal="404"),
    Case("api:contract-upload-status", "get", who("create_contract"), pk("upload"), refusal="404"),
    Case(
        "api:contract-upload-read-again", "post", who("create_contract"), pk("failed_upload"), refusal="404"
    ),
    Case(
        "api:contract-upload-accept",
        "post",
        who("create_contract"),
        pk("upload"),
        _accept_body,
        refusal="404",
    ),
]

API_CASES = [
    *CONTRACTS,
    *INTAKE,
    *[case for resource in RESOURCES for case in _resource_cases(resource)],
    *INCIDENTS,
    *INSPECTIONS,
    *REPORTS,
]
