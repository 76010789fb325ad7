"""An engineer's round on a tablet held upright (768 × 1024), in a real headless Chromium.

Seed 003 (Beijing residence-permit system) asks for daily inspections with the device ledger
updated at each one, and for a government-network link of **at least 100 Mbit/s**: the round
below checks the machine room and that link, so 80 Mbit/s is out of range and abnormal.
"""

import datetime as dt
import io

import pytest
from django.utils import timezone
from PIL import Image

from contracts.models import Asset, Contract
from incidents.models import Incident, IncidentSource
from inspections.models import ChecklistItem, ChecklistTemplate, InspectionSchedule, InspectionSlot

pytestmark = pytest.mark.e2e

TABLET = {"width": 768, "height": 1024}
TOUCH_TARGET_PX = 48
SEED_003_GOV_LINK_MBITS = 100


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (40, 140, 90)).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture
def machine_room_round(demo, settings, tmp_path):
    """Seed 003's daily machine-room round on BJ-2026-RP, due ten minutes ago."""
    settings.MEDIA_ROOT = tmp_path / "media"
    contract = Contract.objects.get(code="BJ-2026-RP")
    aircon = Asset.objects.create(contract=contract, kind=Asset.Kind.OTHER, name="一号机房精密空调")
    link = Asset.objects.create(contract=contract, kind=Asset.Kind.NETWORK, name="政务网专线")
    schedule = InspectionSchedule.objects.create(
        contract=contract,
        name="机房日常巡检（平板）",
        checklist_kind="tablet-machine-room",
        times_of_day=["09:00"],
    )
    template = ChecklistTemplate.objects.create(
        contract=contract, key="tablet-machine-room", name="机房巡检表"
    )
    items = {
        "aircon": ChecklistItem.objects.create(
            template=template, position=1, section="机房", label="精密空调运行正常", asset=aircon
        ),
        "photo": ChecklistItem.objects.create(
            template=template, position=2, section="机房", label="机房现场照片", kind=ChecklistItem.Kind.PHOTO
        ),
        "link": ChecklistItem.objects.create(
            template=template,
            position=3,
            section="网络链路",
            label="政务网链路带宽",
            kind=ChecklistItem.Kind.NUMBER,
            unit="Mbit/s",
            min_value=SEED_003_GOV_LINK_MBITS,
            asset=link,
        ),
        "internet": ChecklistItem.objects.create(
            template=template, position=4, section="网络链路", label="互联网链路连通"
        ),
    }
    due = timezone.now() - dt.timedelta(minutes=10)
    slot = InspectionSlot.objects.create(
        contract=contract, schedule=schedule, due_at=due, deadline=due + dt.timedelta(hours=2)
    )
    return slot, items, aircon


def assert_touch_sized(page, selector):
    for element in page.locator(selector).all():
        if element.is_visible():
            box = element.bounding_box()
            assert box["height"] >= TOUCH_TARGET_PX, f"{selector} is {box['height']} px tall"


def test_an_engineer_walks_a_round_on_a_tablet(log_in, live_server, machine_room_round, blocked, artifacts):
    slot, items, aircon = machine_room_round
    page = log_in("vendor_engineer")
    page.set_viewport_size(TABLET)

    # Today: the round is a card with a Start button.
    page.goto(f"{live_server.url}/inspections/")
    card = page.locator(f"#slot-{slot.pk}")
    assert card.is_visible()
    assert "BJ-2026-RP" in card.inner_text()
    start = card.locator("a.button")
    assert start.bounding_box()["height"] >= TOUCH_TARGET_PX
    with page.expect_navigation():
        start.click()
    assert page.url == f"{live_server.url}/inspections/slots/{slot.pk}/"

    # A tap on the big "normal" button of the air conditioning.
    aircon_item = page.locator(f"#item-{items['aircon'].pk}")
    aircon_item.locator("label.toggle-normal").click()
    assert aircon_item.locator("input[value=normal]").is_checked()
    # The internet link without a mouse: focused from the keyboard, Space picks it.
    internet = f"#item-{items['internet'].pk}"
    page.focus(f"{internet} input[value=normal]")
    page.keyboard.press("Space")
    assert page.locator(f"{internet} input[value=normal]").is_checked()

    # 80 Mbit/s on a link seed 003 wants at ≥ 100: red while typed.
    link_item = page.locator(f"#item-{items['link'].pk}")
    link_item.locator("input.number-input").fill("80")
    assert "out-of-range" in link_item.locator("input.number-input").get_attribute("class")
    assert link_item.locator(".range-warning").is_visible()
    link_item.locator(".item-note summary").click()
    link_item.locator("input[name$='-note']").fill("带宽仅 80 Mbit/s")

    # A real PNG from the "camera", previewed before the upload.
    photo_item = page.locator(f"#item-{items['photo'].pk}")
    photo_item.locator("input[type=file]").set_input_files(
        {"name": "IMG_0815.png", "mimeType": "image/png", "buffer": png_bytes()}
    )
    photo_item.locator(".photo-previews img").wait_for()

    # Abnormal → incident: one tap, the incident opens, the page keeps its id and shows a link.
    link_item.locator(".incident-button").click()
    link_item.locator(".incident-link").wait_for()
    incident = Incident.objects.get(contract=slot.contract, source=IncidentSource.INSPECTION)
    assert incident.asset.name == "政务网专线"
    assert "带宽仅 80 Mbit/s" in incident.description
    assert link_item.locator(".incident-id").input_value() == str(incident.pk)

    # The ledger during the round, saved in place: nothing typed above is lost.
    row = page.locator(f"#asset-{aircon.pk}")
    row.locator("select[name=status]").select_option("maintenance")
    row.locator("input[name=remark]").fill("滤网待更换")
    row.locator("button[type=submit]").click()
    row.locator(".asset-message.ok").wait_for()
    aircon.refresh_from_db()
    assert (aircon.status, aircon.attributes["remark"]) == ("maintenance", "滤网待更换")
    assert link_item.locator("input.number-input").input_value() == "80"

    # Everything a finger touches is at least 48 px tall, and nothing scrolls sideways.
    assert_touch_sized(page, ".toggle label")
    assert_touch_sized(page, ".incident-button, .incident-link, #submit-round, .asset-form button")
    assert_touch_sized(page, ".number-input, .asset-form select, .asset-form input")
    assert page.evaluate("document.documentElement.scrollWidth") <= TABLET["width"]
    page.screenshot(path=artifacts / "inspection-tablet.png", full_page=True)
    # Searching the ledger swaps its section alone.
    page.fill("#asset-q", "专线")
    page.press("#asset-q", "Enter")
    page.locator(f"#asset-{aircon.pk}").wait_for(state="detached")
    assert page.locator(".asset-row").count() == 1
    assert link_item.locator("input.number-input").input_value() == "80"

    with page.expect_navigation():
        page.click("#submit-round")
    assert page.url == f"{live_server.url}/inspections/"
    assert page.locator(".message.success").is_visible()
    slot.refresh_from_db()
    assert slot.status == InspectionSlot.Status.DONE
    answers = {a.item_id: a for a in slot.run.answers.all()}
    assert answers[items["link"].pk].abnormal and answers[items["link"].pk].incident == incident
    assert slot.run.photos.get().original_name == "IMG_0815.png"
    assert "slot-done" in page.locator(f"#slot-{slot.pk}").get_attribute("class")
    page.screenshot(path=artifacts / "inspection-tablet-today.png", full_page=True)
    assert blocked == []
