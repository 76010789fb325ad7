"""The access matrix's world: two organisations, each a bureau and its vendor with one contract,
and one object of every kind the portal and the API address, plus a user of organisation A for
each role.

Everything of organisation B carries the marker ``BRAVO7`` in its text (titles, names, people)
and B's contract is ``B-2026-OM``: a page or an API answer shown to a user of A must contain
neither. The organisations' own names carry no marker: a new contract may name any vendor, so
every vendor's name is offered on the "new contract" form by design.
"""

import contextlib
import datetime as dt
import hashlib
import io
import zoneinfo
from decimal import Decimal
from types import SimpleNamespace

from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from PIL import Image

from contracts.intake import codec
from contracts.models import (
    Asset,
    Breach,
    BuildTimeline,
    CalendarDay,
    Contract,
    ContractUpload,
    DutyShift,
    LoanPrimeRate,
    Membership,
    Milestone,
    Organization,
    PenaltyClause,
    Role,
    ServiceItem,
    SLATerm,
    StaffAssignment,
    StaffPost,
)
from incidents.models import (
    ChangeRequest,
    Complaint,
    Consultation,
    Drill,
    EmergencyPlan,
    EscalationPolicy,
    EscalationStep,
    Incident,
    KnowledgeArticle,
    ServiceRecord,
    WorkLogEntry,
)
from inspections.models import (
    AllowedNetwork,
    AutomatedCheck,
    ChecklistItem,
    ChecklistTemplate,
    CheckResult,
    HeightenedPeriod,
    InspectionMode,
    InspectionPhoto,
    InspectionRun,
    InspectionSchedule,
    InspectionSlot,
    ItemResult,
)
from om_portal.models import NotificationChannel
from reports.models import AcceptancePackage, BuildState, Report, ReportKind, ReportRequirement, ReportVersion

CN = zoneinfo.ZoneInfo("Asia/Shanghai")
MARK = {"A": "ALPHA7", "B": "BRAVO7"}
CODE = {"A": "A-2026-OM", "B": "B-2026-OM"}
# The roles of the matrix, each held by one user of organisation A (auditors and administrators
# sit in A's bureau). The order is the order of the failure reports.
ROLES = (
    "client_staff",
    "client_manager",
    "vendor_engineer",
    "vendor_manager",
    "auditor",
    "administrator",
    "security_admin",
)
ROLE_ORG = {
    "client_staff": "client",
    "client_manager": "client",
    "vendor_engineer": "vendor",
    "vendor_manager": "vendor",
    "auditor": "client",
    "administrator": "client",
    "security_admin": "client",
}
PDF = b"%PDF-1.4\n% the access matrix's stand-in for a signed PDF\n%%EOF\n"


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 6), (30, 120, 200)).save(buffer, "PNG")
    return buffer.getvalue()


def _user(username, organization=None, role=None):
    # No password: the tests log in with force_login, and hashing one is the slow part of a user.
    user = get_user_model()(username=username)
    user.set_unusable_password()
    user.save()
    if organization is not None:
        Membership.objects.create(user=user, organization=organization, role=role)
    return user


def _contract_upload(s, by, *, accepted: bool, failed: bool = False) -> ContractUpload:
    """A contract's text read and awaiting review (or accepted into the side's contract)."""
    text = (
        f"{s.mark} 运维服务合同\n甲方：{s.client.name}\n乙方：{s.vendor.name}\n"
        "合同总金额：¥1,000,000.00 元。\n"
    )
    proposals = [
        ("parties", "vendor", s.vendor.name, text.index(s.vendor.name)),
        ("title", "title", f"{s.mark} 运维服务", 0),
        ("total", "total", Decimal("1000000.00"), text.index("¥")),
        (
            "milestones",
            "milestone",
            {
                "trigger": "signing",
                "offset": 10,
                "offset_unit": "calendar_days",
                "amount": Decimal("300000.00"),
                "percent": None,
            },
            text.index("合同总"),
        ),
    ]
    upload = ContractUpload(
        client=s.client,
        filename=f"{s.mark}.txt",
        sha256=hashlib.sha256(text.encode()).hexdigest(),
        size=len(text.encode()),
        kind="txt",
        status=ContractUpload.Status.ACCEPTED
        if accepted
        else ContractUpload.Status.FAILED
        if failed
        else ContractUpload.Status.READY,
        text=text,
        proposals=[
            codec.dump_proposal(
                {
                    "group": g,
                    "field": f,
                    "value": v,
                    "start": at,
                    "end": at + 4,
                    "confidence": 0.9,
                    "rule": "r",
                }
            )
            for g, f, v, at in proposals
        ],
        uploaded_by=by,
        contract=s.contract if accepted else None,
    )
    upload.file.save(f"{s.tag}.txt", ContentFile(text.encode()), save=False)
    upload.save()
    return upload


def build_side(tag: str, users: dict) -> SimpleNamespace:
    """One organisation's contract and one object of every kind on it. ``users`` names the
    side's people by role: the requester, engineer and signatories of its objects."""
    mark, now = MARK[tag], timezone.now()
    s = SimpleNamespace(tag=tag, mark=mark, code=CODE[tag], users=users)
    s.client = users["client_manager"].memberships.get().organization
    s.vendor = users["vendor_engineer"].memberships.get().organization
    s.contract = Contract.objects.create(
        code=s.code,
        title=f"{mark} 运维服务",
        client=s.client,
        vendor=s.vendor,
        status=Contract.Status.ACTIVE,
        starts_on=dt.date(2026, 1, 1),
        ends_on=dt.date(2026, 12, 31),
        total=Decimal("1000000.00"),
    )
    c = s.contract
    s.item = ServiceItem.objects.create(
        contract=c, category="软件", name=f"{mark} 应用运维", amount=Decimal(1000)
    )
    s.clause = PenaltyClause.objects.create(
        contract=c, kind="late_report", title=f"{mark} 报告迟交", shape="per_occurrence", rate_percent=1
    )
    s.breach = Breach.objects.create(
        contract=c,
        clause=s.clause,
        kind="late_report",
        occurred_at=dt.datetime(2026, 6, 1, 10, tzinfo=CN),
        source=Breach.Source.MANUAL,
        source_ref=f"{mark}-1",
        note=f"{mark} 违约",
    )
    s.sla = SLATerm.objects.create(contract=c, clock="resolution", target=5, unit="working_days", note=mark)
    s.milestone = Milestone.objects.create(
        contract=c,
        name=f"{mark} 首付款",
        amount=Decimal(100000),
        trigger="signing",
        trigger_date=dt.date(2026, 1, 5),
    )
    s.timeline = BuildTimeline.objects.create(contract=c, build_done_on=dt.date(2026, 6, 30))
    s.upload = _contract_upload(s, users["client_manager"], accepted=False)
    s.accepted_upload = _contract_upload(s, users["client_manager"], accepted=True)
    s.failed_upload = _contract_upload(s, users["client_manager"], accepted=False, failed=True)
    s.post = StaffPost.objects.create(contract=c, name=f"{mark} 驻场岗", shift="5x8")
    s.assignment = StaffAssignment.objects.create(
        post=s.post, person=f"{mark} 张三", starts_on=dt.date(2026, 1, 1)
    )
    s.shift = DutyShift.objects.create(
        contract=c, date=dt.date(2026, 11, 23), person=f"{mark} 值班", post=s.post
    )
    s.asset = Asset.objects.create(contract=c, kind=Asset.Kind.VM, name=f"{mark} 虚拟机", host="10.0.0.1")
    s.requirement = ReportRequirement.objects.create(contract=c, kind=ReportKind.WEEKLY, note=mark)

    # Incidents and what hangs off them.
    engineer = users["vendor_engineer"]
    s.incident = Incident.objects.create(
        contract=c,
        asset=s.asset,
        title=f"{mark} 故障",
        source="phone",
        reported_at=now - dt.timedelta(hours=2),
    )
    s.worklog = WorkLogEntry.objects.create(
        contract=c,
        incident=s.incident,
        category="fault",
        date=dt.date(2026, 11, 20),
        initiator="甲",
        handler="乙",
        handling=f"{mark} 处理",
    )
    s.record = ServiceRecord.objects.create(
        contract=c,
        started_at=now - dt.timedelta(hours=3),
        ended_at=now - dt.timedelta(hours=2),
        place="机房",
        requester="科长",
        task=f"{mark} 任务",
        work_done="重启",
        result="恢复",
        engineer=engineer,
    )
    # A draft by the vendor engineer: only they may edit or submit it.
    s.change = ChangeRequest.objects.create(
        contract=c,
        title=f"{mark} 变更",
        description="说明",
        reason="原因",
        impact="无",
        rollback_plan="恢复快照",
        requested_by=engineer,
    )
    s.article = KnowledgeArticle.objects.create(
        contract=c, title=f"{mark} 知识", solution="重启", status=KnowledgeArticle.Status.PUBLISHED
    )
    s.plan = EmergencyPlan.objects.create(
        contract=c, category="host_fault", title=f"{mark} 预案", trigger_conditions="宕机", steps="切换"
    )
    s.drill = Drill.objects.create(
        plan=s.plan, date=dt.date(2026, 10, 1), participants="全员", scenario=f"{mark} 演练"
    )
    s.consultation = Consultation.objects.create(
        contract=c, channel="phone", question=f"{mark} 咨询", asked_at=now - dt.timedelta(days=1)
    )
    s.complaint = Complaint.objects.create(
        contract=c,
        filed_by=users["client_staff"],
        filed_by_side="client",
        against_side="vendor",
        subject=f"{mark} 投诉",
        description="响应慢",
    )

    # Inspections: a checklist, its schedule and check, a period, an open slot and a done one.
    s.escalation = EscalationPolicy.objects.create(contract=c, severity="emergency", note=f"{mark} 升级")
    EscalationStep.objects.create(policy=s.escalation, after_minutes=30, notify="vendor_manager")
    s.template = ChecklistTemplate.objects.create(contract=c, key="daily", name=f"{mark} 日常巡检")
    s.checklist_item = ChecklistItem.objects.create(template=s.template, label=f"{mark} 机房", asset=s.asset)
    s.schedule = InspectionSchedule.objects.create(
        contract=c, name=f"{mark} 日常", checklist_kind="daily", times_of_day=["09:00"]
    )
    s.check = AutomatedCheck.objects.create(
        contract=c, asset=s.asset, name=f"{mark} 门户", kind="http", target="https://10.0.0.1/health"
    )
    s.network = AllowedNetwork.objects.create(contract=c, network="10.0.5.0/24")
    today = timezone.localdate()
    s.period = HeightenedPeriod.objects.create(
        name=f"{mark} 重保", starts_on=today + dt.timedelta(days=10), ends_on=today + dt.timedelta(days=12)
    )
    s.period.contracts.add(c)
    due = now - dt.timedelta(minutes=30)
    s.slot = InspectionSlot.objects.create(
        contract=c, schedule=s.schedule, due_at=due, deadline=due + dt.timedelta(hours=2)
    )
    done = now - dt.timedelta(days=1)
    s.done_slot = InspectionSlot.objects.create(
        contract=c,
        schedule=s.schedule,
        due_at=done,
        deadline=done + dt.timedelta(hours=2),
        status=InspectionSlot.Status.DONE,
        done_at=done,
    )
    s.run = InspectionRun.objects.create(
        slot=s.done_slot,
        contract=c,
        mode=InspectionMode.MANUAL,
        template=s.template,
        performed_by=engineer,
        started_at=done,
        finished_at=done,
        note=mark,
    )
    s.answer = ItemResult.objects.create(run=s.run, item=s.checklist_item, passed=True, note=mark)
    s.photo = InspectionPhoto(
        run=s.run,
        answer=s.answer,
        token=f"{tag.lower()}" * 32,
        extension="png",
        content_type="image/png",
        size=len(png()),
        width=8,
        height=6,
        uploaded_by=engineer,
    )
    s.photo.file.save(f"{s.photo.token}.png", ContentFile(png()), save=True)
    # The access rules of a result are its contract's: it hangs off the same run for brevity.
    s.result = CheckResult.objects.create(
        run=s.run,
        automated_check=s.check,
        contract=c,
        status="failed",
        message=f"{mark} 超时",
        started_at=done,
        duration_ms=12,
    )

    # Reports: a signed-off weekly report with its sealed version, and a sealed acceptance package.
    signed = now - dt.timedelta(days=2)
    s.report = Report.objects.create(
        contract=c,
        kind=ReportKind.WEEKLY,
        period_start=dt.date(2026, 11, 9),
        period_end=dt.date(2026, 11, 15),
        status=Report.Status.SIGNED_OFF,
        data={"schema": 1, "kind": "weekly"},
        build_state=BuildState.DONE,
        build_progress=100,
        narrative={"summary": mark},
        submitted_by=users["vendor_manager"],
        submitted_at=signed,
        reviewed_by=users["client_manager"],
        reviewed_at=signed,
    )
    s.report.draft_pdf.save(f"{tag}-draft.pdf", ContentFile(PDF), save=True)
    s.version = ReportVersion.objects.create(
        report=s.report,
        number=1,
        data=s.report.data,
        narrative=s.report.narrative,
        submitted_by=users["vendor_manager"],
        submitted_at=signed,
        signed_off_by=users["client_manager"],
        signed_off_at=signed,
        sealed_at=signed,
        sha256=("a" if tag == "A" else "b") * 64,
    )
    s.version.pdf.save(f"{tag}-v1.pdf", ContentFile(PDF), save=True)
    s.package = AcceptancePackage.objects.create(
        contract=c,
        period_start=c.starts_on,
        period_end=c.ends_on,
        status=AcceptancePackage.Status.SIGNED_OFF,
        vendor_statement=mark,
        conclusion="passed",
        submitted_by=users["vendor_manager"],
        submitted_at=signed,
        signed_off_by=users["client_manager"],
        signed_off_at=signed,
        sealed_at=signed,
        sha256="c" * 64 if tag == "A" else "d" * 64,
    )
    s.package.pdf.save(f"{tag}-package.pdf", ContentFile(PDF), save=False)
    s.package.archive.save(f"{tag}-package.zip", ContentFile(b"PK\x05\x06" + bytes(18)), save=True)
    # The administrator's settings, no contract's data: an old rate, a channel of the contract.
    s.rate = LoanPrimeRate.objects.create(
        effective_on=dt.date(2019, 8, 20 if tag == "A" else 21), one_year_percent=Decimal("4.250")
    )
    s.channel = NotificationChannel.objects.create(
        name=f"{mark} 值班群",
        kind=NotificationChannel.Kind.EMAIL,
        target=f"duty-{tag.lower()}@example.org",
        scope=s.code,
    )
    return s


def build_world() -> SimpleNamespace:
    """Both organisations, A's users by role, and a superuser who reads representations."""
    orgs = {
        (tag, kind): Organization.objects.create(
            name=f"{'甲' if tag == 'A' else '乙'}{'市公安局' if kind == 'client' else '科技有限公司'}",
            kind=kind,
        )
        for tag in "AB"
        for kind in ("client", "vendor")
    }
    role_users = {role: _user(f"a-{role}", orgs["A", ROLE_ORG[role]], role) for role in ROLES}
    # B's people carry the marker in their names: what they did shows their name.
    b_users = {
        role: _user(f"bravo7-{role}", orgs["B", ROLE_ORG[role]], role)
        for role in ("client_staff", "client_manager", "vendor_engineer", "vendor_manager")
    }
    world = SimpleNamespace(roles=role_users, root=None)
    world.a = build_side("A", role_users)
    world.b = build_side("B", b_users)
    world.root = get_user_model().objects.create_superuser("root-reader", email=None, password=None)
    world.lpr = LoanPrimeRate.objects.create(
        effective_on=dt.date(2026, 5, 20), one_year_percent=Decimal("3.000")
    )
    world.calendar_day = CalendarDay.objects.create(
        date=dt.date(2026, 10, 1), is_working_day=False, name="国庆"
    )
    assert Role.ADMINISTRATOR in role_users  # the matrix's administrator is A's Role.ADMINISTRATOR
    return world


@contextlib.contextmanager
def rolled_back(django_db_blocker):
    """A transaction around a whole module's tests, rolled back at its end: the world is built
    once and each test runs in a savepoint inside it (what TestCase.setUpTestData does)."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        # As a TestCase's class-wide transaction is marked, so that a durable block inside the
        # application still runs as it would at the top level.
        outer._from_testcase = True
        outer.__enter__()
        try:
            yield
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
