"""reports.forked: work in a forked copy, its result or its failure read back."""

import os
import signal
import time

import pytest

from reports.forked import Forked, ForkedFailed


def test_the_result_comes_back():
    assert Forked(lambda: {"pages": [b"%PDF", 2]}).result() == {"pages": [b"%PDF", 2]}


def test_an_error_in_the_copy_is_raised_here_with_its_message():
    def work():
        raise ValueError("版面出错")

    with pytest.raises(ForkedFailed, match="ValueError: 版面出错"):
        Forked(work).result()


def test_a_copy_killed_before_its_result_is_a_failure_that_says_so():
    with pytest.raises(ForkedFailed, match="killed by SIGKILL"):
        Forked(lambda: os.kill(os.getpid(), signal.SIGKILL)).result()


def test_closing_stops_a_copy_still_at_work():
    running = Forked(lambda: time.sleep(60))
    pid = running.pid
    began = time.monotonic()
    running.close()
    assert time.monotonic() - began < 5
    with pytest.raises(ChildProcessError):  # reaped: no zombie left behind
        os.waitpid(pid, os.WNOHANG)
