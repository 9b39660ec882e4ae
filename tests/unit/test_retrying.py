"""The two loops written once: retry while a service is away, poll until a condition holds."""

import asyncio

import pytest

from pipeline.retrying import async_retry_forever, retry_forever, wait_until


def failing(times: int, error: Exception, result="done"):
    calls = []

    def call():
        calls.append(1)
        if len(calls) <= times:
            raise error
        return result

    return call, calls


def test_retries_with_a_doubling_delay_up_to_the_most_and_says_so_each_time():
    call, calls = failing(6, ConnectionError("down"))
    told, slept = [], []
    retrying = retry_forever((ConnectionError,), lambda error, delay: told.append((type(error), delay)),
                             first_s=1, most_s=8, sleep=slept.append)
    assert retrying(call) == "done" and len(calls) == 7
    assert slept == [1, 2, 4, 8, 8, 8] and told == [(ConnectionError, s) for s in slept]
    assert retrying.statistics["attempt_number"] == 7


def test_other_errors_and_refusals_are_raised_at_once():
    call, calls = failing(1, ValueError("bad request"))
    with pytest.raises(ValueError):
        retry_forever((ConnectionError,), lambda *_: None, sleep=lambda _: None)(call)
    refused = ConnectionError("refused")
    call, calls = failing(5, refused)
    with pytest.raises(ConnectionError):  # a test of the error, not only its type
        retry_forever(lambda error: error is not refused, lambda *_: None, sleep=lambda _: None)(call)
    assert len(calls) == 1


def test_coroutines_are_retried_too():
    attempts = []

    async def connect():
        attempts.append(1)
        if len(attempts) < 3:
            raise TimeoutError
        return "up"

    retrying = async_retry_forever((TimeoutError,), lambda *_: None, first_s=0.01, most_s=0.02)
    assert asyncio.run(retrying(connect)) == "up" and len(attempts) == 3


def test_wait_until_returns_what_held_and_names_what_did_not():
    ticks = []
    assert wait_until(lambda: ticks.append(1) or (len(ticks) >= 3 and "ready"), 5, "x", interval_s=0.01) == "ready"
    with pytest.raises(TimeoutError, match="the index: not done after 0.1 s"):
        wait_until(lambda: False, 0.1, "the index", interval_s=0.02)


def test_wait_until_tolerates_only_the_errors_it_is_told_to():
    call, calls = failing(2, ConnectionError("restarting"), result=True)
    assert wait_until(call, 5, "x", interval_s=0.01, tolerating=(ConnectionError,)) is True
    call, calls = failing(2, RuntimeError("the worker died"), result=True)
    with pytest.raises(RuntimeError, match="died"):
        wait_until(call, 5, "x", interval_s=0.01, tolerating=(ConnectionError,))
    assert len(calls) == 1
