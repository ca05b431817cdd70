"""The bounded build queue: at most N jobs at once, each waiting job's place known."""

import threading
import time

from generator.bureau.workers import RUNNING, WorkQueue


def _sleep_and_return(seconds, value):
    time.sleep(seconds)
    return value


def test_jobs_run_at_most_n_at_a_time_in_order_and_report_their_place():
    results, finished = {}, threading.Event()

    def done(key, future):
        results[key] = future.result()
        if len(results) == 5:
            finished.set()

    queue = WorkQueue(2, done)
    try:
        for i in range(5):
            assert queue.submit(f"u{i}", _sleep_and_return, 1.0 if i < 2 else 0.1, i)
        assert not queue.submit("u4", _sleep_and_return, 0, 0)  # already waiting
        assert [queue.place(f"u{i}") for i in range(5)] == [RUNNING, RUNNING, 1, 2, 3]
        assert queue.place("nobody") is None
        assert finished.wait(60)
        assert results == {f"u{i}": i for i in range(5)}
        assert all(queue.place(f"u{i}") is None for i in range(5))
    finally:
        queue.shutdown()


def test_a_failing_job_is_reported_and_the_queue_goes_on():
    outcomes, finished = {}, threading.Event()

    def done(key, future):
        outcomes[key] = future.exception()
        if len(outcomes) == 2:
            finished.set()

    queue = WorkQueue(1, done)
    try:
        queue.submit("bad", _sleep_and_return, "not a number", 0)
        queue.submit("good", _sleep_and_return, 0, 1)
        assert finished.wait(60)
        assert isinstance(outcomes["bad"], TypeError) and outcomes["good"] is None
    finally:
        queue.shutdown()
