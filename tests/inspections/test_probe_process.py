"""The probes worker's engine in a process of its own (issue 17): a call whose input the engine
refuses fails alone and the engine serves the next one; a call waiting when the process dies
fails instead of waiting for ever."""

import socket
import threading

import pytest

from inspections.probes import HttpCheck
from inspections.probes.guard import TargetPolicy
from inspections.probes.process import EngineGone, EngineProcess

LOOPBACK = TargetPolicy(allow_internal=True)


class Judge:
    """The least a judge needs: nothing probed again, the results kept as its outcomes."""

    watch = None

    def __init__(self, count):
        self.outcomes = [None] * count

    def again(self, index, result):
        self.outcomes[index] = result.status.value
        return None

    def early(self, index):
        return None


@pytest.fixture(scope="module")
def engine():
    engine = EngineProcess(concurrency=4, timeout=1.0)
    yield engine
    engine.process.kill()


def test_a_call_the_engine_refuses_fails_alone(engine):
    refused = socket.socket()
    refused.bind(("127.0.0.1", 0))
    url = f"http://127.0.0.1:{refused.getsockname()[1]}/"
    refused.close()
    with pytest.raises(TypeError, match="not a check"):
        engine.run(["not a check"], None, LOOPBACK, [], Judge(1))
    assert engine.run([HttpCheck(url)], None, LOOPBACK, [], Judge(1)) == ["failed"]


def test_a_call_waiting_when_the_engine_dies_fails():
    engine = EngineProcess(concurrency=4, timeout=5.0)
    silent = socket.create_server(("127.0.0.1", 0))
    try:
        outcome = []

        def call():
            try:
                engine.run(
                    [HttpCheck(f"http://127.0.0.1:{silent.getsockname()[1]}/")], None, LOOPBACK, [], Judge(1)
                )
            except EngineGone as error:
                outcome.append(error)

        thread = threading.Thread(target=call)
        thread.start()
        thread.join(timeout=1.0)  # still waiting on the silent target
        assert thread.is_alive()
        engine.process.kill()
        thread.join(timeout=10)
        assert not thread.is_alive() and isinstance(outcome[0], EngineGone)
        assert not engine.alive
    finally:
        silent.close()
