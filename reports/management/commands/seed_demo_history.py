"""``make run``'s history: eight weeks of a contract in use, made through the apps' services.

Every moment is back-dated through the services' own ``at=``/``now=``/``reported_at=``
arguments, so each clock, breach and penalty the portal shows is what the engine computed from
that timeline. Development only (DEBUG on); a second run finds its marker and adds nothing.
"""

import datetime as dt
import io

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone
from PIL import Image

from contracts.models import Contract, DutyShift, Membership, Organization, Severity
from contracts.worktime import CHINA_TZ
from incidents import changes, knowledge
from incidents import services as incidents
from incidents.models import ChangeRequest, Complaint, Consultation
from inspections import monitoring, rounds
from inspections.models import (
    AutomatedCheck,
    CheckResult,
    InspectionMode,
    InspectionRun,
    InspectionSlot,
    ResultStatus,
)
from inspections.schedules import mark_missed, materialise_slots
from reports import acceptance, beat
from reports import services as reports
from reports.models import Report

DEMO_CONTRACT = "BJ-2026-RP"
WEEKS = 8  # the dashboard's trend
# The marker of a seeded history: the change request it leaves halfway through its approvals.
MARKER = "【演示】居住证受理端升级至 3.2 版"
# Other seed contracts the demo users also see, by their parties (an account stays on one side).
EXTRA_PARTIES = {
    "client_staff": ["北京市公安局", "新疆维吾尔自治区公安厅"],
    "client_manager": ["北京市公安局", "新疆维吾尔自治区公安厅"],
    "vendor_engineer": ["中关村科学城城市大脑股份有限公司", "华臻智慧科技（新疆）有限公司"],
    "vendor_manager": ["中关村科学城城市大脑股份有限公司", "华臻智慧科技（新疆）有限公司"],
}
# (title, unit) of the incidents, cycled; severities cycle through all three.
FAULTS = [
    ("居住证受理端无法打印回执", "朝阳分局"),
    ("制证数据上传失败", "海淀分局"),
    ("短信验证码发送延迟", "丰台分局"),
    ("受理系统查询缓慢", "西城分局"),
    ("人像比对接口超时", "东城分局"),
    ("派出所终端登录异常", "通州分局"),
]
SEVERITIES = [Severity.EMERGENCY, Severity.SEVERE, Severity.GENERAL]


def _china(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), CHINA_TZ)


def _photo() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (32, 24), (90, 120, 150)).save(buffer, "JPEG")
    return SimpleUploadedFile("机房全景.jpg", buffer.getvalue(), content_type="image/jpeg")


class Command(BaseCommand):
    help = "Eight weeks of history on the demo contract, made through the services (development only)."

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError("Demo data is for development: refusing with DEBUG off.")
        contract = Contract.objects.filter(code=DEMO_CONTRACT).first()
        users = {u.username: u for u in get_user_model().objects.filter(username__in=_names())}
        if contract is None or len(users) < len(_names()):
            raise CommandError("Run seed_demo first.")
        self.users = users
        self.contract = contract
        self._memberships()
        if ChangeRequest.objects.filter(contract=contract, title=MARKER).exists():
            self.stdout.write("Demo history exists already.")
            return
        now = timezone.now()
        self.today = timezone.localdate(now)
        self.start = self.today - dt.timedelta(weeks=WEEKS)
        with transaction.atomic():
            made = self._incidents(now)
            slots = self._inspections(now)
            self._consultations_and_complaints(now)
            self._roster()
            self._change_request()
        built = self._reports()
        self._acceptance()
        self.stdout.write(
            f"Demo history: {made} incidents, {slots} inspection slots over {WEEKS} weeks, "
            f"{built} reports built."
        )

    # --- Who sees what ------------------------------------------------------------------------

    def _memberships(self):
        """The demo users also belong to other seed contracts' parties, with the same role."""
        for username, names in EXTRA_PARTIES.items():
            user = self.users[username]
            role = Membership.objects.filter(user=user).values_list("role", flat=True).first()
            for organization in Organization.objects.filter(name__in=names):
                membership = Membership(user=user, organization=organization, role=role)
                if not Membership.objects.filter(user=user, organization=organization).exists():
                    membership.full_clean()  # one side per account: Membership.clean
                    membership.save()

    # --- Incidents ----------------------------------------------------------------------------

    def _incidents(self, now) -> int:
        engineer, client = self.users["vendor_engineer"], self.users["client_staff"]
        made = 0
        for n in range(WEEKS * 3):
            day = self.start + dt.timedelta(days=1 + n * 7 * WEEKS // (WEEKS * 3))
            reported = _china(day, 9 + n % 8, 10 * (n % 6))
            if reported > now - dt.timedelta(days=1):
                continue
            title, unit = FAULTS[n % len(FAULTS)]
            onsite = n % 2 == 0
            incident = incidents.report_incident(
                self.contract,
                by=engineer,
                title=title,
                description=f"{unit}反映：{title}。",
                severity=SEVERITIES[n % 3],
                kind="software",
                condition="software_fault",
                source="phone",
                reporter_unit=unit,
                needs_onsite=onsite,
                reported_at=reported,
            )
            # Seed 003: on site within 2 hours, fixed within 4. About one in four misses one.
            late = n % 6 == 5  # fixed after 5.5 hours (not on site: odd n)
            late_arrival = n % 8 == 6  # on site after 2.5 hours, fixed within 4
            incidents.transition(incident, "acknowledge", by=engineer, at=reported + dt.timedelta(minutes=8))
            if onsite:
                arrival = dt.timedelta(minutes=150 if late_arrival else 70)
                incidents.transition(incident, "arrive", by=engineer, at=reported + arrival)
            minutes = 330 if late else 200 if late_arrival else 100 + 10 * (n % 9)
            resolved = reported + dt.timedelta(minutes=minutes)
            incidents.transition(
                incident,
                "resolve",
                by=engineer,
                at=resolved,
                cause="应用服务连接池耗尽" if n % 2 else "前置机网络配置变更",
                impact=f"{unit}业务受理受影响",
                method="调整配置并重启相关服务",
                result="业务恢复正常",
            )
            incidents.transition(incident, "close", by=client, at=min(resolved + dt.timedelta(hours=20), now))
            made += 1
        return made

    # --- Inspections --------------------------------------------------------------------------

    def _inspections(self, now) -> int:
        """The schedules' slots of the eight weeks; most rounds done in time, some late, some never
        (marked missed with their breach); the automated runs with their checks' results."""
        begin = _china(self.start, 0)
        end = now - dt.timedelta(hours=4)
        made = materialise_slots(begin, end, now=begin)["created"]
        engineer = self.users["vendor_engineer"]
        checks = list(AutomatedCheck.objects.filter(contract=self.contract).order_by("pk"))
        # Every active contract's slots were made (the schedules are global): the demo vendor
        # engineer does the rounds of the two it works for; nobody's round stays merely pending.
        slots = InspectionSlot.objects.filter(
            contract__vendor__memberships__user=engineer,
            due_at__gte=begin,
            due_at__lt=end,
            status=InspectionSlot.Status.PENDING,
        ).order_by("due_at")
        for n, slot in enumerate(slots.select_related("schedule")):
            if slot.mode == InspectionMode.AUTOMATED:
                self._automated_run(slot, checks if slot.contract_id == self.contract.pk else [], n)
            elif n % 11 == 5:
                continue  # never done: mark_missed below records the breach
            else:
                late = n % 13 == 7
                at = (
                    (slot.deadline + dt.timedelta(minutes=40))
                    if late
                    else slot.due_at + dt.timedelta(minutes=25)
                )
                self._round(slot, engineer, at, n)
        mark_missed(now)
        return made

    def _round(self, slot, engineer, at, n):
        template = rounds.checklist_for(slot)
        answers, photos = {}, {}
        for item in rounds.items_of(template):
            key = rounds.item_key(item)
            if item.kind == "number":
                answers[key] = {"value": str(22 + n % 4) if "温度" in item.label else str(40 + n % 9)}
            elif item.kind == "check":
                answers[key] = {"value": "abnormal" if n % 17 == 3 and "短信" in item.label else "normal"}
            elif item.kind == "text":
                answers[key] = {"value": "无异常"}
            elif item.kind == "photo":
                photos[key] = [_photo()]
        rounds.submit_round(slot, engineer, answers, photos, at=at)

    def _automated_run(self, slot, checks, n):
        """A run as the worker leaves one: a result per check, then ``finish_run`` completes the
        slot at the run's end (the probes themselves cannot reach back in time)."""
        at = slot.due_at + dt.timedelta(seconds=20)
        run = InspectionRun.objects.create(
            slot=slot,
            contract_id=slot.contract_id,
            mode=InspectionMode.AUTOMATED,
            started_at=at,
            checks_total=len(checks),
        )
        failing = n % 19 == 4
        CheckResult.objects.bulk_create(
            CheckResult(
                run=run,
                automated_check=check,
                contract_id=slot.contract_id,
                status=ResultStatus.FAILED if failing and index == 0 else ResultStatus.OK,
                message="HTTP 503" if failing and index == 0 else "OK",
                values={"latency_ms": 40 + (n * 7 + index * 13) % 90},
                started_at=at,
                duration_ms=float(40 + (n * 7 + index * 13) % 90),
            )
            for index, check in enumerate(checks)
        )
        monitoring.finish_run(run.pk, now=at + dt.timedelta(seconds=2))

    # --- Consultations, complaints, roster, a change request ----------------------------------

    def _consultations_and_complaints(self, now):
        engineer, client = self.users["vendor_engineer"], self.users["client_staff"]
        for n in range(8):
            asked = _china(self.start + dt.timedelta(days=4 + n * 8), 10 + n % 5)
            replied = asked + dt.timedelta(hours=30 if n == 5 else 1 + n % 3)
            consultation = Consultation.objects.create(
                contract=self.contract,
                channel=Consultation.Channel.values[n % len(Consultation.Channel.values)],
                asker_name=f"民警{'甲乙丙丁'[n % 4]}",
                asker_unit=FAULTS[n % len(FAULTS)][1],
                question="居住证签注业务的受理流程如何操作？" if n % 2 else "如何重置受理端的登录密码？",
                asked_at=asked,
                engineer=engineer,
                answered=True,
                replied_at=replied,
                answer="已电话说明操作步骤。",
            )
            knowledge.settle_consultation(consultation, now=now)
        knowledge.file_complaint(
            self.contract, client, "驻场工程师未按时到岗", "11 月某日上午驻场工程师迟到约一小时。"
        )
        answered = knowledge.file_complaint(
            self.contract, engineer, "故障报修信息不完整", "多次报修未说明故障终端编号，影响处置。"
        )
        knowledge.decide_complaint(
            answered, self.users["client_manager"], Complaint.Status.UPHELD, "已要求各分局按模板报修。"
        )

    def _roster(self):
        for offset in range(14):
            day = self.today + dt.timedelta(days=offset)
            weekend = day.weekday() >= 5
            DutyShift.objects.get_or_create(
                contract=self.contract,
                date=day,
                person=["张伟", "李娜", "王强"][offset % 3],
                defaults={
                    "starts_at": dt.time(8, 30),
                    "ends_at": dt.time(17, 30),
                    "on_site": not weekend,
                    "occasion": DutyShift.Occasion.WEEKEND if weekend else DutyShift.Occasion.ROUTINE,
                    "phone": "010-6520 0000",
                },
            )

    def _change_request(self):
        change = changes.create(
            self.contract,
            self.users["vendor_engineer"],
            title=MARKER,
            description="受理端升级至 3.2 版，修复回执打印问题。",
            reason="解决多个分局反映的回执打印故障。",
            impact="升级期间（周六 22:00–24:00）受理端暂停服务。",
            rollback_plan="保留 3.1 版安装包，30 分钟内回退。",
            submit_now=True,
        )
        # The system administrator has approved; the head of IT's approval is still to come.
        changes.approve_first(change, self.users["client_staff"], "同意，请安排在周末实施。")

    # --- Reports ------------------------------------------------------------------------------

    def _reports(self) -> int:
        """The latest closed periods' reports, built here (not by the worker) so the history is in
        them: the older ones signed off, the latest weekly one awaiting the client's signature."""
        beat.ensure_reports(self.today)
        manager, client = self.users["vendor_manager"], self.users["client_manager"]
        built = 0
        latest = list(
            Report.objects.filter(contract=self.contract, kind__in=["weekly", "monthly"]).order_by(
                "-period_end", "kind"
            )
        )
        weekly = [r for r in latest if r.kind == "weekly"][:3]
        monthly = [r for r in latest if r.kind == "monthly"][:1]
        for report in [*weekly, *monthly]:
            if report.status != Report.Status.DRAFT:
                continue
            reports.request_build(report)
            reports.run_build(report.pk)
            report.refresh_from_db()
            reports.submit(report, by=manager)
            built += 1
            if report is not (weekly[0] if weekly else None):
                reports.sign_off(report, by=client, comment="已审阅，同意。")
        return built

    def _acceptance(self):
        """The last closed quarter's acceptance package (seed 003 may accept quarterly), its
        figures frozen at the vendor's submission and with the client for acceptance."""
        closed = [quarter for quarter in acceptance.quarters(self.contract) if quarter[1] < self.today]
        if not closed:
            return
        manager = self.users["vendor_manager"]
        package = acceptance.create_package(self.contract, "quarter", *closed[-1], by=manager)
        package = acceptance.update_form(
            package,
            by=manager,
            vendor_statement="本季度按合同完成日常巡检、故障处置和周报，个别故障处置超时已按合同计罚。",
        )
        acceptance.submit_package(package, by=manager)


def _names() -> list[str]:
    return ["vendor_engineer", "vendor_manager", "client_staff", "client_manager"]
