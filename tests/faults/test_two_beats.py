"""Two beat processes tick at the same instant (a second beat started by mistake, or two hosts
after a failover): every due inspection slot is dispatched once and its chunk sent once, every
closed period gets one report whose build is queued once. The claims are conditional UPDATEs
(and unique constraints for rows made), so the loser of each race does nothing.

No worker runs: the messages stay in this test's Redis, where it counts them."""

import base64
import json
from collections import Counter

import pytest
from django.utils import timezone

from inspections.models import InspectionRun, InspectionSlot
from reports.models import Report, ReportRequirement
from tests.faults import procs
from tests.faults.conftest import due_now, http_checks

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(120)]

ROUNDS = 30  # due automated rounds per contract


def queued(redis_server, queue) -> Counter:
    """(task name, first argument) → how many messages the queue holds for it."""
    client = redis_server.client()
    found = Counter()
    for key in client.keys(f"{queue}*"):
        if client.type(key) != b"list":
            continue
        for raw in client.lrange(key, 0, -1):
            message = json.loads(raw)
            args, _kwargs, _embed = json.loads(base64.b64decode(message["body"]))
            found[(message["headers"]["task"], args[0])] += 1
    return found


def test_two_beats_at_once_dispatch_each_slot_and_queue_each_build_once(
    env, started, tmp_path, gate, redis_server, contract_a, contract_b
):
    for contract in (contract_a, contract_b):
        http_checks(contract, {"首页": gate.url("/health")})
        due_now(contract, ROUNDS)
        for kind in ("weekly", "monthly"):
            ReportRequirement.objects.create(contract=contract, kind=kind)

    go = tmp_path / "go"
    beats = [
        procs.driver("tick", "--reports", "--go", go, env=env, tmp_path=tmp_path, name=f"beat-{n}")
        for n in range(2)
    ]
    started.extend(beats)
    # Both set up (Django loaded, connected) before either starts: one instant for both.
    for beat in beats:
        procs.wait_for(lambda beat=beat: "ready" in beat.log(), what="a beat ready")
    go.touch()
    for beat in beats:
        assert beat.popen.wait(timeout=90) == 0, beat.log()
    said = [procs.lines(beat) for beat in beats]
    ticks = [procs.pick(lines, "tick") for lines in said]
    reports = [procs.pick(lines, "reports") for lines in said]

    # Slots: today's and tomorrow's rounds, each made once between the two. (Not the ticks'
    # "slots_created": under a race both count the rows they tried, ON CONFLICT skipped some.)
    assert InspectionSlot.objects.count() == 2 * 2 * ROUNDS
    assert InspectionSlot.objects.values("schedule_id", "due_at").distinct().count() == 2 * 2 * ROUNDS
    assert InspectionSlot.objects.filter(due_at__lte=timezone.now()).count() == 2 * ROUNDS
    # Each due slot dispatched by one beat: one run, one message.
    assert sum(tick["dispatched"] for tick in ticks) == 2 * ROUNDS
    assert InspectionRun.objects.count() == 2 * ROUNDS
    messages = queued(redis_server, env["CELERY_TASK_DEFAULT_QUEUE"])
    chunks = {key: count for key, count in messages.items() if key[0] == "inspections.tasks.run_chunk"}
    assert sorted(run for _task, run in chunks) == sorted(InspectionRun.objects.values_list("pk", flat=True))
    assert set(chunks.values()) == {1}

    # Reports: each closed period once, its build queued once.
    made = Report.objects.count()
    assert made > 4  # weeks and months of the last CATCH_UP_DAYS, two contracts
    assert sum(report["made"] for report in reports) == made
    builds = {key: count for key, count in messages.items() if key[0] == "reports.tasks.build_report"}
    assert sorted(pk for _task, pk in builds) == sorted(Report.objects.values_list("pk", flat=True))
    assert set(builds.values()) == {1}
