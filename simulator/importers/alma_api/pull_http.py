"""GET requests to Alma's REST API for `cutover snapshot pull` (httpx).

The API key travels only in the `Authorization: apikey <key>` header; every message this module
makes is passed through `Client.redact`, so the key's text appears in none. Calls are spaced
to stay under Alma's 25 calls per second. A 429 PER_SECOND_THRESHOLD, a 5xx, a timeout or a
broken connection is retried with exponential backoff (honouring `Retry-After`), a bounded number
of times within a bounded total wait; a 429 DAILY_THRESHOLD stops at once; any other 4xx is an
`AlmaError` with Alma's errorCode and errorMessage (../shared/domain/alma-formats.md, 1.1).
"""

from __future__ import annotations

import email.utils
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx

from simulator.errors import Loc, Problem, UserError

AUTH_CODES = {"UNAUTHORIZED", "FORBIDDEN", "INVALID_REQUEST"}  # a wrong key or missing rights


class PullError(Exception):
    """The pull stopped; the message (free of the key) says why."""


class AlmaError(PullError):
    """A 4xx answer: Alma refused the request (`auth`: the key is wrong or lacks the right)."""

    def __init__(self, message: str, status: int, codes: list[str]) -> None:
        super().__init__(message)
        self.status = status
        self.codes = codes

    @property
    def auth(self) -> bool:
        return self.status in (401, 403) or bool(AUTH_CODES & set(self.codes))


@dataclass(frozen=True)
class Policy:
    """How patient the client is; every number bounds the time one request may take."""

    timeout: float = 60.0  # seconds to wait for one answer
    attempts: int = 5  # tries per request
    backoff: float = 1.0  # the first wait between tries, doubled each time
    max_wait: float = 60.0  # the longest single wait (a longer Retry-After is cut to this)
    budget: float = 180.0  # the most waiting between the tries of one request
    rate: float = 20.0  # calls per second at most (Alma allows 25)


DEFAULT = Policy()


@dataclass(frozen=True)
class Page:
    """One answer: its body as sent (what is saved) and parsed."""

    body: bytes
    data: dict[str, Any]


@dataclass(frozen=True)
class _Retry:
    reason: str
    after: float | None = None  # the server's Retry-After, in seconds


def check_base_url(base_url: str) -> str:
    """The base URL without a trailing slash; one with a query, a fragment or a user name is
    refused (the key belongs in the environment, not in a URL)."""
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UserError(Problem(Loc("--base-url"), "must be an http(s) URL such as "
                                "https://api-eu.hosted.exlibrisgroup.com/almaws/v1"))
    if parts.query or parts.fragment or parts.username or parts.password:
        raise UserError(Problem(Loc("--base-url"), "must not hold a query, a fragment or "
                                "credentials: the API key is read from the variable named by "
                                "--api-key-env"))
    return base_url.rstrip("/")


class Client:
    """Read-only GETs under one base URL with one key; use it in a `with` block."""

    def __init__(self, base_url: str, key: str, policy: Policy,
                 sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.base_url = check_base_url(base_url)
        self.prefix = urlsplit(self.base_url).path
        self.policy = policy
        self.calls = 0
        self.remaining: str | None = None  # X-Exl-Api-Remaining: daily calls left
        self._key = key
        self._sleep = sleep
        self._clock = clock
        self._next = 0.0
        self._http = httpx.Client(
            base_url=self.base_url, timeout=policy.timeout, follow_redirects=False,
            headers={"Authorization": f"apikey {key}", "Accept": "application/json"})

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self._http.close()

    def redact(self, text: str) -> str:
        return text.replace(self._key, "***") if self._key else text

    def where(self, path: str, params: dict[str, str]) -> str:
        """The request as messages name it: method, path and query (the key is in no URL)."""
        query = f"?{urlencode(params)}" if params else ""
        return self.redact(f"GET {self.prefix}{path}{query}")

    def get(self, path: str, params: dict[str, str]) -> Page:
        """One answer, parsed; retried as the module says; PullError when it cannot be had."""
        where = self.where(path, params)
        waited, reason, tries = 0.0, "", 0
        while tries < self.policy.attempts:
            tries += 1
            outcome = self._attempt(path, params, where)
            if isinstance(outcome, Page):
                return outcome
            reason = outcome.reason
            wait = self.policy.backoff * 2 ** (tries - 1) if outcome.after is None \
                else outcome.after
            wait = min(wait, self.policy.max_wait)
            if tries == self.policy.attempts or waited + wait > self.policy.budget:
                break
            self._sleep(wait)
            waited += wait
        raise PullError(self.redact(f"{where}: {reason}; gave up after {tries} tries "
                                    f"over {waited:.1f} s of waiting"))

    def _attempt(self, path: str, params: dict[str, str], where: str) -> Page | _Retry:
        self._throttle()
        self.calls += 1
        try:
            response = self._http.get(path, params=params)
        except httpx.TimeoutException:
            return _Retry(f"no answer within {self.policy.timeout:g} s")
        except httpx.RequestError as e:
            return _Retry(self.redact(f"no connection ({type(e).__name__}: {e})"))
        self.remaining = response.headers.get("X-Exl-Api-Remaining", self.remaining)
        status = response.status_code
        if status == 200:
            return self._page(response, where)
        codes, said = alma_errors(response.content)
        said = self.redact(said)
        if status == 429 and "DAILY_THRESHOLD" in codes:
            raise PullError(f"{where}: Alma's daily limit of API calls is reached "
                            f"(HTTP 429{said}); run the same command again tomorrow to continue")
        if status == 429 or status >= 500:
            return _Retry(f"HTTP {status}{said}", retry_after(response.headers.get("Retry-After")))
        raise AlmaError(self.redact(f"{where}: HTTP {status}{said}{_hint(response, codes)}"),
                        status, codes)

    def _page(self, response: httpx.Response, where: str) -> Page:
        body = response.content
        try:
            data = json.loads(body)
        except (ValueError, UnicodeDecodeError) as e:
            kind = response.headers.get("Content-Type", "no Content-Type")
            raise PullError(f"{where}: the answer is not valid JSON ({kind}, {len(body):,} bytes: "
                            f"{self.redact(str(e))})") from None
        if not isinstance(data, dict):
            raise PullError(f"{where}: the answer is JSON but not an object")
        if data.get("errorsExist") is True:
            codes, said = alma_errors(body)
            raise AlmaError(f"{where}: HTTP 200 with an error{self.redact(said)}", 200, codes)
        if self._key and self._key.encode() in body:
            raise PullError(f"{where}: the answer holds the API key's text; it is not saved")
        return Page(body, data)

    def _throttle(self) -> None:
        """Space the calls `1/rate` seconds apart."""
        now = self._clock()
        if self._next > now:
            self._sleep(self._next - now)
        self._next = max(now, self._next) + 1.0 / self.policy.rate


def _hint(response: httpx.Response, codes: list[str]) -> str:
    """What the user can do about a refused request."""
    if response.status_code in (401, 403) or AUTH_CODES & set(codes):
        return ("; check the API key in the variable named by --api-key-env and that it may "
                "read this API")
    if response.status_code == 404 and not codes:
        return "; check --base-url (Alma's ends in /almaws/v1)"
    if response.is_redirect:
        return f"; a redirect to {response.headers.get('Location', '?')}: check --base-url"
    return ""


def alma_errors(body: bytes) -> tuple[list[str], str]:
    """Alma's error codes in an error body (JSON or XML) and their text for a message:
    `, Alma error UNAUTHORIZED: API-key not defined... (tracking id E01-...)`, or ""."""
    errors: list[dict[str, Any]] = []
    try:
        data = json.loads(body)
        found = data["errorList"]["error"]
        errors = [e for e in (found if isinstance(found, list) else [found]) if isinstance(e, dict)]
    except (ValueError, UnicodeDecodeError, KeyError, TypeError):
        text = body.decode("utf-8", errors="replace")
        errors = [{"errorCode": c, "errorMessage": m} for c, m in re.findall(
            r"<errorCode>(.*?)</errorCode>\s*<errorMessage>(.*?)</errorMessage>", text, re.S)]
    codes = [str(e.get("errorCode", "")) for e in errors]
    said = "".join(f", Alma error {e.get('errorCode', '?')}: {e.get('errorMessage', '')}".rstrip()
                   + (f" (tracking id {e['trackingId']})" if e.get("trackingId") else "")
                   for e in errors[:3])
    return codes, said


def retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header: a number, or an HTTP date; None when absent or bad."""
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())
