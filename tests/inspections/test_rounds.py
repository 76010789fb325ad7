"""The engineer's round (inspections.rounds): today's slots, photos judged by decoding, submitting
with every bad input of the issue refused whole, abnormal → incident, the ledger during a round.

The checklist is seed 000's daily inspection "by the function list": the VM item counts the
**37 VMs** the contract monitors (its price list: "VM server O&M 7.2, monitor 37 VMs"), so 37 is
normal and 36 is abnormal; the interface item is its person-photo SDK call.
"""

import datetime as dt
import io
import os
import zoneinfo
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone, translation
from PIL import Image

from contracts.models import Asset, Breach, PenaltyClause, Role
from contracts.penalties import penalty_summary
from incidents.models import Incident, IncidentSource
from incidents.services import report_incident
from inspections import rounds
from inspections.models import (
    ChecklistItem,
    ChecklistTemplate,
    HeightenedPeriod,
    InspectionMode,
    InspectionPhoto,
    InspectionRun,
    InspectionSchedule,
    InspectionSlot,
    ItemResult,
)
from om_portal.models import AuditEntry

pytestmark = pytest.mark.django_db

CN = zoneinfo.ZoneInfo("Asia/Shanghai")
Kind = ChecklistItem.Kind
Status = InspectionSlot.Status
SEED_000_VMS = 37


def at(*args) -> dt.datetime:
    """A Beijing time."""
    return dt.datetime(*args, tzinfo=CN)


def image_bytes(fmt="PNG", size=(32, 24), color=(30, 120, 200), mode="RGB") -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size, color).save(buffer, fmt)
    return buffer.getvalue()


def noise_png(size=(120, 90)) -> bytes:
    """A PNG that does not compress: cutting its end cuts into the pixel data."""
    buffer = io.BytesIO()
    Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3)).save(buffer, "PNG")
    return buffer.getvalue()


def upload(name="机房.png", data=None, content_type="image/png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, image_bytes() if data is None else data, content_type=content_type)


def make_round(
    contract, *, due_at=None, grace=dt.timedelta(hours=2), mode=InspectionMode.MANUAL, key="daily"
):
    """Seed 000's daily round on ``contract``: a schedule, its checklist of four items (one of
    each kind) and one slot, due half an hour ago unless told."""
    vms = Asset.objects.create(
        contract=contract, kind=Asset.Kind.VM, name=f"虚拟机资源池（{SEED_000_VMS} 台）"
    )
    photo_api = Asset.objects.create(contract=contract, kind=Asset.Kind.INTERFACE, name="人员照片 SDK 调用")
    schedule = InspectionSchedule.objects.create(
        contract=contract, name="日常巡检", checklist_kind=key, mode=mode, times_of_day=["09:00"]
    )
    template = ChecklistTemplate.objects.create(contract=contract, key=key, name="日常巡检（按功能清单）")

    def item(position, kind, label, **fields):
        return ChecklistItem.objects.create(
            template=template, position=position, kind=kind, label=label, **fields
        )

    due = due_at or timezone.now() - dt.timedelta(minutes=30)
    return SimpleNamespace(
        contract=contract,
        schedule=schedule,
        template=template,
        vms=vms,
        photo_api=photo_api,
        check=item(1, Kind.CHECK, "人员照片接口调用正常", section="接口", asset=photo_api),
        number=item(
            2,
            Kind.NUMBER,
            "在线虚拟机数量",
            section="基础设施",
            unit="台",
            min_value=SEED_000_VMS,
            max_value=SEED_000_VMS,
            asset=vms,
        ),
        text=item(3, Kind.TEXT, "其他情况", section="记录", required=False),
        photo=item(4, Kind.PHOTO, "机房现场照片", section="记录"),
        slot=InspectionSlot.objects.create(
            contract=contract, schedule=schedule, due_at=due, deadline=due + grace
        ),
    )


def answers_for(r, *, check="normal", vms="37", text="") -> dict:
    return {
        r.check.pk: {"value": check},
        r.number.pk: {"value": vms},
        r.text.pk: {"value": text},
    }


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def stored_files(media) -> list:
    return sorted(p for p in media.rglob("*") if p.is_file()) if media.exists() else []


def row_counts() -> tuple:
    return (
        InspectionRun.objects.count(),
        ItemResult.objects.count(),
        InspectionPhoto.objects.count(),
        Breach.objects.count(),
    )


@pytest.fixture
def engineer_a(vendor_engineer_a):
    return vendor_engineer_a


@pytest.fixture
def round_a(contract_a):
    return make_round(contract_a)


def refused(call) -> dict:
    with pytest.raises(ValidationError) as caught:
        call()
    return caught.value.message_dict


# --- Today and the checklist ------------------------------------------------------------------


def test_todays_slots_are_the_users_own_of_the_day_and_the_pending_ones_before(
    contract_a, contract_b, engineer_a
):
    day = dt.date(2026, 6, 1)
    mine = make_round(contract_a, due_at=at(2026, 6, 1, 9, 0))
    theirs = make_round(contract_b, due_at=at(2026, 6, 1, 9, 0))
    schedule = mine.schedule

    def slot(due, **fields):
        return InspectionSlot.objects.create(
            contract=contract_a, schedule=schedule, due_at=due, deadline=due + dt.timedelta(hours=2), **fields
        )

    late_evening = slot(at(2026, 6, 1, 19, 0))
    early = slot(at(2026, 6, 1, 0, 0))
    pending_yesterday = slot(at(2026, 5, 31, 9, 0))
    slot(at(2026, 5, 31, 13, 0), status=Status.DONE, done_at=at(2026, 5, 31, 13, 5))
    slot(at(2026, 6, 2, 0, 0))  # Beijing midnight of the next day: not this day's

    found = list(rounds.todays_slots(engineer_a, day))
    assert found == [pending_yesterday, early, mine.slot, late_evening]
    assert theirs.slot not in found
    # Another day than today: only that day's.
    assert list(rounds.todays_slots(engineer_a, day, include_pending=False)) == [
        early,
        mine.slot,
        late_evening,
    ]


def test_the_checklist_is_the_contracts_active_template_named_by_the_schedule(round_a, contract_a):
    assert rounds.checklist_for(round_a.slot) == round_a.template
    round_a.template.active = False
    round_a.template.save()
    assert rounds.checklist_for(round_a.slot) is None
    # A heightened period's own round has no schedule, hence no checklist.
    period = HeightenedPeriod.objects.create(
        name="国庆重保", starts_on=dt.date(2026, 10, 1), ends_on=dt.date(2026, 10, 7)
    )
    due = at(2026, 10, 1, 8, 0)
    own = InspectionSlot.objects.create(
        contract=contract_a, heightened_period=period, due_at=due, deadline=due + dt.timedelta(hours=2)
    )
    assert rounds.checklist_for(own) is None


# --- Photos -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fmt", "expected"),
    [("PNG", ("png", "image/png")), ("JPEG", ("jpg", "image/jpeg")), ("WEBP", ("webp", "image/webp"))],
)
def test_a_photo_is_judged_by_decoding_it(fmt, expected):
    # The name and the browser's type both lie: the content decides.
    photo = upload("photo.gif", image_bytes(fmt, size=(40, 30)), content_type="application/octet-stream")
    assert rounds.validate_photo(photo) == (*expected, 40, 30)
    assert photo.tell() == 0


@pytest.mark.parametrize(
    ("name", "data", "content_type"),
    [
        ("机房.jpg", "这不是图片，是一段文字。\n".encode() * 20, "image/jpeg"),
        ("animation.gif", image_bytes("GIF"), "image/gif"),
        ("broken.png", noise_png()[:-2000], "image/png"),
    ],
    ids=["text named .jpg", "a GIF", "a truncated PNG"],
)
def test_what_is_not_a_jpeg_png_or_webp_is_refused(name, data, content_type):
    with pytest.raises(ValidationError) as caught:
        rounds.validate_photo(upload(name, data, content_type))
    assert caught.value.messages == [f"“{name}” is not a JPEG, PNG or WebP image."]


@pytest.mark.parametrize("kind", ["PNG", "JPEG"])
def test_a_truncated_photo_is_refused_in_a_process_that_renders_pdfs(kind, monkeypatch):
    """WeasyPrint turns Pillow's LOAD_TRUNCATED_IMAGES on for the whole process when imported
    (as a worker or a test process that rendered a PDF has): a cut photo must still be refused,
    and the process's setting is left as it was."""
    import weasyprint.images  # noqa: F401 — what sets the flag
    from PIL import ImageFile

    assert ImageFile.LOAD_TRUNCATED_IMAGES is True
    data = noise_png() if kind == "PNG" else image_bytes("JPEG", size=(640, 480))
    with pytest.raises(ValidationError):
        rounds.validate_photo(upload(f"cut.{kind.lower()}", data[: len(data) // 2], f"image/{kind.lower()}"))
    assert ImageFile.LOAD_TRUNCATED_IMAGES is True


def test_a_photo_above_the_limit_is_refused_before_it_is_decoded(settings):
    # The default limit is 10 MB; one byte more is refused on its size alone.
    del settings.INSPECTION_PHOTO_MAX_BYTES
    too_big = upload("big.png", b"\0" * (10 * 1024 * 1024 + 1))
    with pytest.raises(ValidationError) as caught:
        rounds.validate_photo(too_big)
    assert caught.value.code == "too_large"
    assert caught.value.messages == ["“big.png” is 10.0 MB; a photo may be at most 10.0 MB."]
    assert rounds.validate_photo(upload(data=image_bytes()))[0] == "png"
    # The setting lowers it: a real PNG one byte over is refused too.
    png = image_bytes()
    settings.INSPECTION_PHOTO_MAX_BYTES = len(png) - 1
    with pytest.raises(ValidationError):
        rounds.validate_photo(upload(data=png))
    settings.INSPECTION_PHOTO_MAX_BYTES = len(png)
    assert rounds.validate_photo(upload(data=png))[0] == "png"


def test_a_tiny_file_declaring_a_huge_canvas_is_refused_without_decoding_it():
    # 8000 × 8000 of one colour compresses to a few kilobytes and would decode to 192 MB in RGB.
    data = image_bytes(size=(8000, 8000), color=0, mode="1")
    assert len(data) < 500_000
    with pytest.raises(ValidationError) as caught:
        rounds.validate_photo(upload(data=data))
    assert caught.value.code == "too_many_pixels"


# --- Submitting ---------------------------------------------------------------------------------


def test_a_round_is_recorded_whole_and_the_slot_is_done(round_a, engineer_a, media):
    r = round_a
    when = r.slot.due_at + dt.timedelta(minutes=40)
    run = rounds.submit_round(
        r.slot,
        engineer_a,
        answers_for(r, vms="３６", text="UPS 自检正常"),  # full-width digits from a Chinese keyboard
        {r.photo.pk: [upload("IMG_0001.png")], None: [upload("全景.png")]},
        "机房温度正常",
        at=when,
    )

    r.slot.refresh_from_db()
    assert (r.slot.status, r.slot.done_at) == (Status.DONE, when)
    assert (run.mode, run.performed_by, run.template, run.note) == (
        "manual",
        engineer_a,
        r.template,
        "机房温度正常",
    )
    answers = {a.item_id: a for a in run.answers.all()}
    assert answers[r.check.pk].passed is True and not answers[r.check.pk].abnormal
    # 36 online of the 37 VMs seed 000 monitors: outside 37–37, abnormal.
    assert answers[r.number.pk].number == Decimal("36.000") and answers[r.number.pk].abnormal
    assert answers[r.text.pk].text == "UPS 自检正常"
    assert run.items_abnormal == 1
    photos = list(run.photos.order_by("id"))
    assert [p.answer_id for p in photos] == [answers[r.photo.pk].pk, None]
    assert [p.original_name for p in photos] == ["IMG_0001.png", "全景.png"]
    for photo in photos:
        # Our name, never the uploaded one: contract / run / random token . decoded type.
        assert photo.file.name == f"inspections/{r.contract.pk}/{run.pk}/{photo.token}.png"
        assert len(photo.token) == 32 and (photo.content_type, photo.width, photo.height) == (
            "image/png",
            32,
            24,
        )
    assert len(stored_files(media)) == 2
    # The answers are one line on the audit trail, not one each: a line per answer turned the
    # trail's lock a dozen times per round and 50 tablets waited on it (bench/load.py).
    lines = AuditEntry.objects.filter(detail__model="inspections.itemresult")
    assert [(line.action, line.detail["count"], line.detail["run"]) for line in lines] == [
        ("create", len(answers), run.pk)
    ]


def test_an_optional_item_left_alone_has_no_answer(round_a, engineer_a):
    run = rounds.submit_round(round_a.slot, engineer_a, answers_for(round_a), {round_a.photo.pk: [upload()]})
    assert set(run.answers.values_list("item_id", flat=True)) == {
        round_a.check.pk,
        round_a.number.pk,
        round_a.photo.pk,
    }
    assert run.items_abnormal == 0


BAD_INPUTS = {
    "a number that is not one": (
        lambda r: (answers_for(r, vms="abc"), {r.photo.pk: [upload()]}),
        lambda r: {f"item-{r.number.pk}": ["“abc” is not a number."]},
    ),
    "required items unanswered, no photo": (
        lambda r: ({r.text.pk: {"value": "只写了说明"}}, {}),
        lambda r: {
            f"item-{r.check.pk}": ["Answer this item."],
            f"item-{r.number.pk}": ["Answer this item."],
            f"item-{r.photo.pk}": ["Take at least one photo."],
        },
    ),
    "a photo too large": (
        lambda r: (answers_for(r), {r.photo.pk: [upload("大图.png", b"\x89PNG" + b"\0" * 600)]}),
        lambda r: {f"item-{r.photo.pk}": ["“大图.png” is 604 B; a photo may be at most 600 B."]},
    ),
    "a text file named .jpg among good photos": (
        lambda r: (
            answers_for(r),
            {r.photo.pk: [upload(), upload("现场.jpg", b"hello " * 50, "image/jpeg")]},
        ),
        lambda r: {f"item-{r.photo.pk}": ["“现场.jpg” is not a JPEG, PNG or WebP image."]},
    ),
    "a check answered neither normal nor abnormal": (
        lambda r: (answers_for(r, check="maybe"), {r.photo.pk: [upload()]}),
        lambda r: {f"item-{r.check.pk}": ["Choose normal or abnormal."]},
    ),
    "a number too large for the ledger": (
        lambda r: (answers_for(r, vms="1000000000"), {r.photo.pk: [upload()]}),
        lambda r: {f"item-{r.number.pk}": ["The number is too large."]},
    ),
}


@pytest.mark.parametrize("case", BAD_INPUTS, ids=list(BAD_INPUTS))
def test_bad_input_is_refused_whole_with_the_error_at_its_item(case, round_a, engineer_a, media, settings):
    # A small limit so the "too large" case needs no 10 MB in memory (the default is tested above).
    settings.INSPECTION_PHOTO_MAX_BYTES = 600
    make, expected = BAD_INPUTS[case]
    answers, photos = make(round_a)
    before = row_counts()

    errors = refused(lambda: rounds.submit_round(round_a.slot, engineer_a, answers, photos, "备注"))

    assert errors == expected(round_a)
    assert row_counts() == before
    assert stored_files(media) == []
    round_a.slot.refresh_from_db()
    assert (round_a.slot.status, round_a.slot.done_at) == (Status.PENDING, None)


def test_a_slot_already_done_is_refused_and_nothing_is_added(
    round_a, engineer_a, make_user, vendor_org_a, media
):
    rounds.submit_round(round_a.slot, engineer_a, answers_for(round_a), {round_a.photo.pk: [upload()]})
    before, files = row_counts(), stored_files(media)
    colleague = make_user(Role.VENDOR_ENGINEER, vendor_org_a)

    errors = refused(
        lambda: rounds.submit_round(
            round_a.slot, colleague, answers_for(round_a), {round_a.photo.pk: [upload()]}
        )
    )

    assert errors == {"slot": ["This inspection has already been submitted."]}
    assert row_counts() == before and stored_files(media) == files


def test_two_tablets_at_once_the_second_is_stopped_inside_the_transaction(
    round_a, engineer_a, media, monkeypatch
):
    rounds.submit_round(round_a.slot, engineer_a, answers_for(round_a), {round_a.photo.pk: [upload()]})
    before, files = row_counts(), stored_files(media)
    # The second tablet read the slot while it was pending: it gets past the early check, and
    # complete_slot's conditional UPDATE is what stops it, before any row or file of its own.
    monkeypatch.setattr(rounds, "_refuse_unless_open", lambda slot, at: None)
    errors = refused(
        lambda: rounds.submit_round(
            round_a.slot, engineer_a, answers_for(round_a), {round_a.photo.pk: [upload()]}
        )
    )
    assert errors == {"slot": ["This inspection has already been submitted."]}
    assert row_counts() == before and stored_files(media) == files


def test_another_contracts_slot_and_a_role_without_the_right_are_refused(
    round_a, contract_b, outsider, client_staff_a, make_user, vendor_org_b
):
    engineer_b = make_user(Role.VENDOR_ENGINEER, vendor_org_b)
    for user in (engineer_b, outsider, client_staff_a):
        with pytest.raises(PermissionDenied):
            rounds.submit_round(round_a.slot, user, answers_for(round_a), {round_a.photo.pk: [upload()]})
    assert InspectionRun.objects.count() == 0


def test_an_automated_slot_is_not_submitted_by_hand(contract_a, engineer_a):
    r = make_round(contract_a, mode=InspectionMode.AUTOMATED)
    errors = refused(
        lambda: rounds.submit_round(r.slot, engineer_a, answers_for(r), {r.photo.pk: [upload()]})
    )
    assert list(errors) == ["slot"]


def test_a_round_cannot_be_done_hours_before_it_is_due(contract_a, engineer_a):
    r = make_round(contract_a, due_at=at(2026, 10, 1, 19, 0))
    early = at(2026, 10, 1, 13, 0)
    errors = refused(
        lambda: rounds.submit_round(r.slot, engineer_a, answers_for(r), {r.photo.pk: [upload()]}, at=early)
    )
    assert errors == {"slot": ["This inspection cannot be started before 2026-10-01 18:00."]}
    # An hour before is fine (the 19:00 round walked from 18:00).
    rounds.submit_round(
        r.slot, engineer_a, answers_for(r), {r.photo.pk: [upload()]}, at=at(2026, 10, 1, 18, 0)
    )


def test_a_late_round_is_kept_but_counts_as_missed_with_one_breach(contract_a, engineer_a):
    # Seed 000: late inspections cost 0.3% of the ¥708,000 total per day; a round is one day.
    contract_a.total = Decimal("708000.00")
    contract_a.save()
    PenaltyClause.objects.create(
        contract=contract_a,
        kind="late_service",
        title="未按时巡检",
        shape="per_day",
        rate_percent=Decimal("0.3"),
    )
    r = make_round(contract_a, due_at=at(2026, 6, 1, 9, 0))
    late = at(2026, 6, 1, 11, 1)  # deadline 11:00

    run = rounds.submit_round(r.slot, engineer_a, answers_for(r), {r.photo.pk: [upload()]}, at=late)

    r.slot.refresh_from_db()
    assert (r.slot.status, r.slot.done_at, run.slot_id) == (Status.MISSED, late, r.slot.pk)
    assert Breach.objects.filter(contract=contract_a, source_ref=f"slot:{r.slot.pk}").count() == 1
    # 0.3% × ¥708,000 = ¥2,124.00.
    assert penalty_summary(contract_a).vendor_total == Decimal("2124.00")


def test_files_written_before_a_failure_are_removed(round_a, engineer_a, media, monkeypatch):
    saved = []
    original = InspectionPhoto.save

    def save_then_fail_on_the_second(self, *args, **kwargs):
        saved.append(self.file.name)
        if len(saved) == 2:
            raise RuntimeError("the disk filled up")
        return original(self, *args, **kwargs)

    monkeypatch.setattr(InspectionPhoto, "save", save_then_fail_on_the_second)
    before = row_counts()
    with pytest.raises(RuntimeError):
        rounds.submit_round(
            round_a.slot, engineer_a, answers_for(round_a), {round_a.photo.pk: [upload(), upload("b.png")]}
        )
    assert len(saved) == 2  # both files reached the disk before the failure
    assert stored_files(media) == []
    assert row_counts() == before
    round_a.slot.refresh_from_db()
    assert round_a.slot.status == Status.PENDING


# --- Abnormal → incident ------------------------------------------------------------------------


def test_one_tap_opens_an_inspection_incident_on_the_items_asset_and_the_round_links_it(round_a, engineer_a):
    r = round_a
    incident = rounds.report_item_incident(r.slot, r.number, engineer_a, "3 台未响应", value="34")

    assert (incident.contract, incident.source, incident.asset) == (
        r.contract,
        IncidentSource.INSPECTION,
        r.vms,
    )
    assert incident.title == "A-2026-OM inspection: “在线虚拟机数量” abnormal"
    assert "Value: 34 台" in incident.description
    assert "Normal range: 37 – 37 台" in incident.description
    assert "Note: 3 台未响应" in incident.description
    assert incident.created_by == engineer_a

    answers = answers_for(r, vms="34")
    answers[r.number.pk]["incident"] = str(incident.pk)
    run = rounds.submit_round(r.slot, engineer_a, answers, {r.photo.pk: [upload()]})
    assert run.answers.get(item=r.number).incident == incident


def test_only_an_inspection_incident_of_the_same_contract_can_be_linked(
    round_a, contract_b, engineer_a, make_user, vendor_org_b
):
    r = round_a
    phoned = report_incident(r.contract, by=engineer_a, title="电话报障", source=IncidentSource.PHONE)
    engineer_b = make_user(Role.VENDOR_ENGINEER, vendor_org_b)
    elsewhere = report_incident(contract_b, by=engineer_b, title="乙方巡检", source=IncidentSource.INSPECTION)
    for wrong in (phoned.pk, elsewhere.pk, "12abc", "²", "9" * 30):
        answers = answers_for(r)
        answers[r.check.pk]["incident"] = str(wrong)
        errors = refused(
            lambda a=answers: rounds.submit_round(r.slot, engineer_a, a, {r.photo.pk: [upload()]})
        )
        assert errors == {
            f"item-{r.check.pk}": ["The incident is not one opened by an inspection of this contract."]
        }
    assert InspectionRun.objects.count() == 0


def test_one_tap_is_refused_for_an_item_of_another_checklist_or_a_done_slot(round_a, contract_a, engineer_a):
    other = ChecklistTemplate.objects.create(contract=contract_a, key="machine-room", name="机房巡检")
    stray = ChecklistItem.objects.create(template=other, label="空调")
    assert refused(lambda: rounds.report_item_incident(round_a.slot, stray, engineer_a, "")) == {
        "item": ["This item is not on this inspection's checklist."]
    }
    rounds.submit_round(round_a.slot, engineer_a, answers_for(round_a), {round_a.photo.pk: [upload()]})
    assert list(
        refused(lambda: rounds.report_item_incident(round_a.slot, round_a.check, engineer_a, ""))
    ) == ["slot"]
    assert Incident.objects.count() == 0


def test_one_tap_needs_the_right_to_perform(round_a, client_staff_a, outsider):
    for user in (client_staff_a, outsider):
        with pytest.raises(PermissionDenied):
            rounds.report_item_incident(round_a.slot, round_a.check, user, "")
    assert Incident.objects.count() == 0


# --- The ledger during the round ----------------------------------------------------------------


def test_the_round_updates_the_ledger_status_and_remark(round_a, engineer_a):
    when = at(2026, 6, 1, 9, 40)
    asset = rounds.update_asset(
        round_a.slot, round_a.vms, engineer_a, status=Asset.Status.FAULTY, remark="3 台宕机", at=when
    )
    asset.refresh_from_db()
    assert asset.status == Asset.Status.FAULTY
    assert asset.attributes["remark"] == "3 台宕机"
    assert asset.attributes["remark_at"] == "2026-06-01 09:40"
    assert asset.attributes["remark_by"] == engineer_a.username


def test_ledger_updates_refuse_bad_input_and_roles_without_the_right(
    round_a, contract_b, engineer_a, client_staff_a
):
    r = round_a
    assert refused(lambda: rounds.update_asset(r.slot, r.vms, engineer_a, status="exploded")) == {
        "status": ["Choose one of the statuses."]
    }
    assert refused(lambda: rounds.update_asset(r.slot, r.vms, engineer_a, status=r.vms.status)) == {
        "status": ["Change the status or add a remark."]
    }
    assert refused(
        lambda: rounds.update_asset(r.slot, r.vms, engineer_a, status="faulty", remark="x" * 501)
    ) == {"remark": ["Keep the remark under 500 characters."]}
    with pytest.raises(PermissionDenied):
        rounds.update_asset(r.slot, r.vms, client_staff_a, status="faulty")
    other = Asset.objects.create(contract=contract_b, kind=Asset.Kind.VM, name="乙方虚拟机")
    with pytest.raises(PermissionDenied):
        rounds.update_asset(r.slot, other, engineer_a, status="faulty")
    r.vms.refresh_from_db()
    assert (r.vms.status, r.vms.attributes) == (Asset.Status.IN_SERVICE, {})


def test_the_rounds_ledger_lists_the_checklists_assets_first(round_a, engineer_a, contract_a):
    for name in ("AAA 网闸", "AAB 防火墙"):
        Asset.objects.create(contract=contract_a, kind=Asset.Kind.APPLICATION, name=name)
    items = rounds.items_of(round_a.template)
    names = [a.name for a in rounds.round_assets(round_a.slot, engineer_a, items)]
    assert set(names[:2]) == {round_a.vms.name, round_a.photo_api.name}
    assert names[2:] == ["AAA 网闸", "AAB 防火墙"]
    assert [a.name for a in rounds.round_assets(round_a.slot, engineer_a, items, "网闸")] == ["AAA 网闸"]
