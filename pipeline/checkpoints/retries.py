"""Bounded retries with exponential backoff for calls to the hub.

huggingface_hub resumes a dropped file transfer by itself (a Range request), but a 5xx answer
to a file download or to a metadata call ends the call; here such transient failures are
retried a bounded number of times. Anything else (404, a bad token) fails at once.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

log = logging.getLogger(__name__)

TRANSIENT_STATUS = frozenset({408, 429, 500, 502, 503, 504})


def is_transient(error: BaseException) -> bool:
    """Whether `error` (or an error it was raised from) is a 5xx/429 answer or a network failure."""
    import httpx2

    seen: BaseException | None = error
    while seen is not None:
        response = getattr(seen, "response", None)
        if getattr(response, "status_code", None) in TRANSIENT_STATUS:
            return True
        if isinstance(seen, (httpx2.TransportError, ConnectionError, TimeoutError)):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def with_retries(call: Callable[[], T], what: str, attempts: int = 5, backoff_s: float = 1.0) -> T:
    """Run `call`; on a transient failure wait backoff_s, 2·backoff_s, … and try again, at most
    `attempts` times in all. The last failure is raised with `what` and the attempt count."""
    if attempts < 1:
        raise ValueError(f"attempts must be >= 1, got {attempts}")
    attempt = 1
    while True:
        try:
            return call()
        except Exception as error:
            if not is_transient(error):
                raise
            if attempt == attempts:
                raise RuntimeError(f"{what}: failed {attempts} times; last error: {error}") from error
            delay = backoff_s * 2 ** (attempt - 1)
            log.warning("%s: transient failure (%s); retry %d/%d in %.1f s", what, error, attempt, attempts - 1, delay)
            time.sleep(delay)
            attempt += 1
