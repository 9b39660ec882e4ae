"""The two loops the pipeline needs in many places, written once on tenacity: call again with a
doubling delay while a service is away (`retry_forever`, `async_retry_forever`), and poll until
a condition holds or a deadline passes (`wait_until`).

A service that is away (Kafka restarting, Elasticsearch down) holds the pipeline back; it never
makes it drop or skip anything, so those retries have no deadline. A condition that does not hold
in time is an error with a name.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from tenacity import (
    AsyncRetrying,
    RetryCallState,
    RetryError,
    Retrying,
    retry_if_exception,
    retry_if_exception_type,
    retry_if_result,
    stop_after_delay,
    wait_exponential,
    wait_fixed,
)

T = TypeVar("T")

FIRST_S = 1.0
MOST_S = 30.0

#: Which failures to call again on: exception types, or a test of the exception.
Errors = tuple[type[BaseException], ...] | Callable[[BaseException], bool]
#: Told (error, seconds until the next call) before each wait.
OnRetry = Callable[[BaseException, float], None]


def retry_forever(errors: Errors, on_retry: OnRetry, *, first_s: float = FIRST_S, most_s: float = MOST_S,
                  sleep: Callable[[float], None] = time.sleep) -> Retrying:
    """A `Retrying` that calls again after first_s, 2 first_s, 4 first_s ... most_s seconds for as
    long as the call fails with `errors`; any other failure is raised at once. Use it as
    `retry_forever(...)(call, *args)`; its `statistics["attempt_number"]` counts the calls."""
    return Retrying(**_forever(errors, on_retry, first_s, most_s), sleep=sleep)


def async_retry_forever(errors: Errors, on_retry: OnRetry, *, first_s: float = FIRST_S,
                        most_s: float = MOST_S) -> AsyncRetrying:
    """`retry_forever` for coroutines: `await async_retry_forever(...)(coroutine_function, *args)`."""
    return AsyncRetrying(**_forever(errors, on_retry, first_s, most_s))


def wait_until(check: Callable[[], T], timeout_s: float, what: str, *, interval_s: float = 0.5,
               tolerating: tuple[type[BaseException], ...] = ()) -> T:
    """Call `check` every `interval_s` seconds until it returns something true, and return that.
    Raises `TimeoutError` naming `what` after `timeout_s`; exceptions of the `tolerating` types
    count as "not yet", any other is raised at once (a `check` can fail fast, say on a dead process)."""
    polling = Retrying(stop=stop_after_delay(timeout_s), wait=wait_fixed(interval_s),
                       retry=retry_if_result(lambda result: not result) | retry_if_exception_type(tolerating))
    try:
        return polling(check)
    except RetryError:
        raise TimeoutError(f"{what}: not done after {timeout_s:g} s") from None


def _forever(errors: Errors, on_retry: OnRetry, first_s: float, most_s: float) -> dict:
    def before_sleep(state: RetryCallState) -> None:
        on_retry(state.outcome.exception(), state.next_action.sleep)

    test = (lambda error: isinstance(error, errors)) if isinstance(errors, tuple) else errors
    return {"retry": retry_if_exception(test), "wait": wait_exponential(multiplier=first_s, min=first_s, max=most_s),
            "before_sleep": before_sleep, "reraise": True}
