"""A round walked where the network drops, in a real headless Chromium held upright (768 × 1024),
its network switched off and on by Playwright (``context.set_offline``): the service worker
opens the pages, IndexedDB keeps what was typed and the queued round, and the server records
the round once however many times it is sent (static/js/offline.js, inspections.offline)."""

import io
import time
from urllib.parse import urlsplit

import pytest
from PIL import Image

from incidents.models import Incident, IncidentSource
from inspections import rounds
from inspections.models import InspectionPhoto, InspectionRun, InspectionSlot
from tests.e2e import test_inspection_tablet

TABLET = test_inspection_tablet.TABLET
machine_room_round = test_inspection_tablet.machine_room_round  # the fixture, shared

pytestmark = pytest.mark.e2e


@pytest.fixture
def page(browser, live_server, blocked):
    """The conftest's page without its request routing: Playwright bypasses the service worker of
    a context whose requests it routes. Requests that leave the live server are recorded instead
    of aborted, and fail the test all the same."""
    context = browser.new_context(viewport=TABLET, locale="en-US")
    own = urlsplit(live_server.url).netloc

    def outside(request):
        if request.url.startswith(("http:", "https:")) and urlsplit(request.url).netloc != own:
            blocked.append(request.url)

    context.on("request", outside)
    page = context.new_page()
    refused = []
    page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)
    yield page
    context.close()
    assert not refused, f"the Content Security Policy refused: {refused}"
    assert blocked == [], blocked


def jpeg(colour, size=(2400, 1800)) -> dict:
    """A camera-sized photo: the tablet shrinks it before keeping it."""
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "JPEG", quality=95)
    return {"name": f"IMG_{colour[0]}.jpg", "mimeType": "image/jpeg", "buffer": buffer.getvalue()}


def eventually(page, script, timeout_s=20.0):
    """Poll an async ``script`` until it gives a truthy value: wait_for_function takes the promise
    an async predicate returns for the answer."""
    deadline = time.monotonic() + timeout_s
    while not page.evaluate(script):
        assert time.monotonic() < deadline, f"never true: {script}"
        page.wait_for_timeout(100)


def controlled(page, url):
    """Open ``url`` and wait until the service worker controls the page (it claims on activation)."""
    page.goto(url)
    page.wait_for_function("() => navigator.serviceWorker && navigator.serviceWorker.controller !== null")


def fill_round(page, items, *, photos=True):
    page.locator(f"#item-{items['aircon'].pk} label.toggle-normal").click()
    internet = page.locator(f"#item-{items['internet'].pk}")
    internet.locator("label.toggle-abnormal").click()
    page.locator(f"#item-{items['link'].pk} input.number-input").fill("120")
    if photos:
        page.locator(f"#item-{items['photo'].pk} input[type=file]").set_input_files(
            [jpeg((200, 40, 40)), jpeg((40, 40, 200))]
        )
        page.wait_for_function(
            f"() => document.querySelectorAll('#item-{items['photo'].pk} .photo-previews img').length === 2"
        )
    return internet


def test_a_round_done_offline_is_recorded_once_with_its_photos_and_incident(
    log_in,
    live_server,
    machine_room_round,
    artifacts,
):
    slot, items, _aircon = machine_room_round
    page = log_in("vendor_engineer")
    context = page.context
    page.set_viewport_size(TABLET)
    round_url = f"{live_server.url}/inspections/slots/{slot.pk}/"

    # Today, online: the service worker installs and keeps today's rounds' pages.
    controlled(page, f"{live_server.url}/inspections/")
    eventually(
        page,
        "() => caches.open('om-pages').then(c => c.keys())"
        "  .then(keys => keys.some(k => /\\/slots\\/\\d+\\/$/.test(k.url)))",
    )

    # The machine room: no network. The round, never opened before, opens from the tablet.
    context.set_offline(True)
    page.goto(round_url)
    assert page.locator("#round-form").is_visible(), page.locator("main").inner_text()
    internet = fill_round(page, items)
    # Abnormal → incident with no network: asked for with the round instead.
    internet.locator(".incident-button").click()
    internet.locator(".queued-note").wait_for()
    page.wait_for_timeout(400)  # the draft is kept 250 ms after the last entry

    # The tablet is killed mid-round and opened again, still offline: nothing typed is lost.
    page.close()
    page = context.new_page()
    page.set_viewport_size(TABLET)
    page.goto(round_url)
    page.locator("#round-error-summary.info").wait_for()
    assert page.locator(f"#item-{items['link'].pk} input.number-input").input_value() == "120"
    assert page.locator(f"#item-{items['internet'].pk} input[value=abnormal]").is_checked()
    photo_input = page.locator(f"#item-{items['photo'].pk} input[type=file]")
    assert photo_input.evaluate("input => input.files.length") == 2
    # Shrunk on the device: a 2400 × 1800 photo is kept at 1600 px on its long side.
    kept = photo_input.evaluate(
        "input => Promise.all([...input.files].map(f => createImageBitmap(f).then(b => [b.width, f.type])))"
    )
    assert kept == [[1600, "image/jpeg"], [1600, "image/jpeg"]]

    # Submitted offline: queued on the tablet, shown as waiting; the server has nothing yet.
    page.click("#submit-round")
    page.locator("#sync-list .sync-waiting").wait_for()
    assert page.locator("#sync-network").inner_text() == "离线"
    page.screenshot(path=artifacts / "offline-round-queued.png", full_page=True)
    assert not InspectionRun.objects.filter(slot=slot).exists()

    # The network returns: the round is sent once, with its two photos and its incident.
    context.set_offline(False)
    page.locator("#sync-list .sync-sent").wait_for(timeout=20_000)
    assert page.locator("#sync-network").inner_text() == "在线"
    page.locator("#sync-status").screenshot(path=artifacts / "offline-round-sync-status.png")
    run = InspectionRun.objects.get(slot=slot)
    assert InspectionPhoto.objects.filter(run=run).count() == 2
    incident = Incident.objects.get(contract=slot.contract, source=IncidentSource.INSPECTION)
    assert run.answers.get(item=items["internet"]).incident == incident
    assert run.device_submitted_at is not None and run.device_submitted_at <= run.finished_at
    assert run.answers.get(item=items["link"]).entered_at is not None

    # Sent again (a reply lost on the way, a second tab): still one round.
    page.reload()
    assert InspectionRun.objects.filter(slot=slot).count() == 1

    # Signing out deletes what the tablet kept.
    with page.expect_navigation():
        page.click(".logout-form button")
    names = page.evaluate("() => indexedDB.databases().then(list => list.map(d => d.name))")
    assert not [name for name in names if name.startswith("om-tablet-")]
    assert page.evaluate("() => caches.keys()") == []


def test_a_queued_round_that_someone_else_submitted_meanwhile_keeps_its_copy_and_says_who(
    log_in,
    live_server,
    machine_room_round,
    make_colleague_round,
):
    slot, items, _aircon = machine_room_round
    page = log_in("vendor_engineer")
    context = page.context
    page.set_viewport_size(TABLET)
    round_url = f"{live_server.url}/inspections/slots/{slot.pk}/"
    controlled(page, round_url)
    # Kept by the worker before the network goes: the second tab opens it from the tablet.
    eventually(page, f"() => caches.open('om-pages').then(c => c.match('{round_url}')).then(Boolean)")
    context.set_offline(True)
    fill_round(page, items, photos=False)
    page.click("#submit-round")
    page.locator("#sync-list .sync-waiting").wait_for()
    # A second tab holds the same queue.
    second = context.new_page()
    second.goto(round_url)
    second.locator("#sync-list .sync-waiting").wait_for()

    make_colleague_round(slot)  # recorded on the server while the tablet was offline
    context.set_offline(False)
    for tab in (page, second):
        tab.locator("#sync-list .sync-conflict").wait_for(timeout=20_000)
    text = page.locator("#sync-list .sync-conflict").inner_text()
    assert "王工" in text and "已于" in text
    assert page.locator("#sync-list .sync-conflict button", has_text="导出").is_visible()
    run = InspectionRun.objects.get(slot=slot)
    assert run.performed_by.first_name == "王工" and run.client_id is None


def test_a_round_refused_for_an_error_keeps_its_photos_and_points_at_the_item(
    log_in,
    live_server,
    machine_room_round,
):
    slot, items, _aircon = machine_room_round
    page = log_in("vendor_engineer")
    page.set_viewport_size(TABLET)
    page.goto(f"{live_server.url}/inspections/slots/{slot.pk}/")
    fill_round(page, items)
    page.locator(f"#item-{items['link'].pk} input.number-input").fill("一百")
    page.click("#submit-round")
    summary = page.locator("#round-error-summary")
    summary.locator("li").first.wait_for()
    assert "政务网链路带宽" in summary.inner_text()
    link_item = page.locator(f"#item-{items['link'].pk}")
    assert "has-error" in link_item.get_attribute("class")
    assert (
        page.evaluate("() => document.activeElement.closest('.round-item')?.id") == f"item-{items['link'].pk}"
    )
    assert page.locator(f"#item-{items['photo'].pk} input[type=file]").evaluate("i => i.files.length") == 2
    assert not InspectionRun.objects.filter(slot=slot).exists()
    # Corrected, it goes through with the photos chosen before.
    link_item.locator("input.number-input").fill("120")
    with page.expect_navigation():
        page.click("#submit-round")
    assert InspectionPhoto.objects.filter(run__slot=slot).count() == 2
    assert InspectionSlot.objects.get(pk=slot.pk).status == InspectionSlot.Status.DONE


@pytest.fixture
def make_colleague_round(make_user):
    from identity.models import Membership, Role

    def submit(slot):
        vendor = slot.contract.vendor
        colleague = make_user(first_name="王工")
        Membership.objects.create(user=colleague, organization=vendor, role=Role.VENDOR_ENGINEER)
        template = rounds.checklist_for(slot)
        answers = {}
        for item in rounds.items_of(template):
            if item.kind == "check":
                answers[item.pk] = {"value": "normal"}
            elif item.kind == "number":
                answers[item.pk] = {"value": "120"}
        photo = next(item for item in rounds.items_of(template) if item.kind == "photo")
        buffer = io.BytesIO()
        Image.new("RGB", (64, 48), (0, 90, 0)).save(buffer, "PNG")
        from django.core.files.uploadedfile import SimpleUploadedFile

        upload = SimpleUploadedFile("a.png", buffer.getvalue(), content_type="image/png")
        return rounds.submit_round(slot, colleague, answers, {photo.pk: [upload]})

    return submit
