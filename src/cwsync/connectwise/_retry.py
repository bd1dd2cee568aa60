"""Retrying one ConnectWise call (tenacity), with an injectable sleep and clock.

What is retried (cases C5, C6, C8, C9):
- 429: after at least `Retry-After` seconds (a number or an HTTP date), else after a backoff;
- timeouts, connection errors, 502/503/504 and 500s that say "timeout has occured": after a
  capped exponential backoff with jitter;
- never 3xx, 401, 403, 404, other 4xx, or a 500 that reports a data error.
A POST is retried only when it provably never reached ConnectWise (connect error, pool
timeout) or was refused with 429; a read timeout or a 5xx after a POST raises
`UnavailableError(outcome_unknown=True)` at once. PATCHes replace fields with absolute
values, so repeating one is harmless. Attempts are bounded, and so is the total time spent
waiting. Up to `max_paced_throttles` 429s that said when to come back (`Retry-After`) do not
use up attempts: a throttling burst is the server pacing us, not failing, and must not cost
a client its sync when `max_attempts` is meant for a server that errs.
"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
)
from tenacity.stop import stop_base

from ._errors import (
    ThrottledError,
    UnavailableError,
    error_for_response,
    error_for_transport,
)
from ._metrics import REQUESTS, RETRIES, THROTTLES

Sleep = Callable[[float], Awaitable[None]]
Clock = Callable[[], datetime]

# Failures after which the request provably never left this process.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 5
    base_delay: float = 0.5  # first backoff; doubles per attempt
    throttle_base_delay: float = 2.0  # first backoff after a 429 without Retry-After
    max_delay: float = 30.0  # cap on one backoff
    max_total_wait: float = 120.0  # give up rather than wait longer than this in all
    max_retry_after: float = 120.0  # a longer Retry-After is reported, not waited for
    max_paced_throttles: int = 0  # 429s with Retry-After waited out without using an attempt


def retry_after_seconds(value: str | None, now: datetime) -> float | None:
    """`Retry-After` as seconds from `now`; None when absent or unreadable."""
    if value is None or not value.strip():
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


def retry_reason(exc: BaseException, method: str, policy: RetryPolicy) -> str | None:
    """Why `exc` deserves another attempt (a metrics label), or None when it is final."""
    if isinstance(exc, ThrottledError):
        too_long = exc.retry_after is not None and exc.retry_after > policy.max_retry_after
        return None if too_long else "throttled"
    if isinstance(exc, UnavailableError) and exc.transient:
        if method == "POST" and exc.outcome_unknown:
            return None
        if exc.status is not None:
            return f"status_{exc.status}"
        return "timeout" if isinstance(exc.__cause__, httpx.TimeoutException) else "connection"
    return None


class _StopAfterTotalWait(stop_base):
    """Stop before a sleep would take the total time spent waiting past `limit` seconds."""

    def __init__(self, limit: float) -> None:
        self.limit = limit

    def __call__(self, retry_state: RetryCallState) -> bool:
        return retry_state.idle_for + retry_state.upcoming_sleep > self.limit


class _StopAfterAttempts(stop_base):
    """`max_attempts` failed attempts, not counting up to `max_paced_throttles` paced 429s."""

    def __init__(self, policy: RetryPolicy) -> None:
        self.policy = policy
        self.paced = 0

    def __call__(self, retry_state: RetryCallState) -> bool:
        exc = retry_state.outcome.exception() if retry_state.outcome else None
        paced = isinstance(exc, ThrottledError) and exc.retry_after is not None
        if paced and self.paced < self.policy.max_paced_throttles:
            self.paced += 1
            return False
        return retry_state.attempt_number - self.paced >= self.policy.max_attempts


async def send_with_retries(
    send_once: Callable[[], Awaitable[httpx.Response]],
    *,
    method: str,
    path: str,
    policy: RetryPolicy,
    sleep: Sleep,
    clock: Clock = utc_now,
    rng: random.Random | None = None,
) -> httpx.Response:
    """Send until a 2xx (returned) or a final error (raised as a ConnectWiseError)."""
    jitter = rng or random.Random()

    def wait(state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, ThrottledError) and exc.retry_after is not None:
            # At least what the server asked for; the jitter only spreads waiters out.
            return exc.retry_after + jitter.uniform(0.0, 1.0)
        base = policy.throttle_base_delay if isinstance(exc, ThrottledError) else policy.base_delay
        backoff = min(policy.max_delay, base * 2 ** (state.attempt_number - 1))
        return backoff / 2 + jitter.uniform(0.0, backoff / 2)

    def count_retry(state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        if exc is not None:
            RETRIES.labels(retry_reason(exc, method, policy) or "other").inc()

    retrying = AsyncRetrying(
        stop=_StopAfterAttempts(policy) | _StopAfterTotalWait(policy.max_total_wait),
        wait=wait,
        retry=retry_if_exception(lambda exc: retry_reason(exc, method, policy) is not None),
        sleep=sleep,
        before_sleep=count_retry,
        reraise=True,
    )
    async for attempt in retrying:
        with attempt:
            return await _attempt(send_once, method, path, clock)
    raise AssertionError("tenacity ended without a result")  # pragma: no cover


async def _attempt(
    send_once: Callable[[], Awaitable[httpx.Response]], method: str, path: str, clock: Clock
) -> httpx.Response:
    try:
        response = await send_once()
    except httpx.TransportError as exc:
        REQUESTS.labels(method, "error").inc()
        reached = not isinstance(exc, _NOT_SENT)
        raise error_for_transport(exc, method, path, reached_server=reached) from exc
    REQUESTS.labels(method, str(response.status_code)).inc()
    if 200 <= response.status_code < 300:
        return response
    error = error_for_response(response, method, path)
    if isinstance(error, ThrottledError):
        THROTTLES.inc()
        error.retry_after = retry_after_seconds(response.headers.get("retry-after"), clock())
    raise error
