"""`cutover snapshot pull` (docs/alma-api.md) against a fake Alma on 127.0.0.1: the contract's
layout, paging that trusts neither a full page nor the count, retries on 429 and 5xx, clear
errors (malformed page, timeout, wrong key, daily limit), resuming an interrupted pull, progress,
and the API key's text in no written file and no output."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

import pytest
from typer.testing import CliRunner, Result

from simulator.cli import app
from simulator.importers.alma_api import pull_http
from simulator.importers.alma_api.pull_endpoints import CODE_TABLES
from simulator.importers.alma_api.pull_http import Client, Policy, PullError

KEY = "l7xx" + "F4keK3y" * 5  # a distinctive text to look for
ENV = "ALMA_TEST_API_KEY"
PREFIX = "/almaws/v1"
FAST = Policy(timeout=2.0, attempts=3, backoff=0.01, max_wait=0.05, budget=1.0, rate=1000.0)
Answer = tuple[int, dict[str, str], bytes]


def coded(value: str) -> dict[str, str]:
    return {"value": value, "desc": value.title()}


def error_body(code: str, message: str) -> bytes:
    return json.dumps({"errorsExist": True, "errorList": {"error": [
        {"errorCode": code, "errorMessage": message, "trackingId": "E01-TEST"}]},
        "result": None}).encode()


USERS = [{"primary_id": f"U{i:03d}", "record_type": coded("PUBLIC")} for i in range(1, 8)]
USERS[1]["primary_id"] = "ana.ruiz@uni.edu"  # an id that is an e-mail address
DATA: dict[str, tuple[str, list[dict[str, Any]]]] = {
    "/users": ("user", USERS),
    "/conf/sets": ("set", []),  # no sets: the list key is absent
    "/conf/integration-profiles": ("integration_profile",
                                   [{"id": "7", "type": coded("WEBHOOKS")}]),
    "/conf/libraries": ("library", [{"code": "MAIN", "name": "Main"},
                                    {"code": "LAW", "name": "Law"}]),
    "/conf/libraries/MAIN/locations": ("location", [{"code": "STACKS"}, {"code": "REF"}]),
    "/conf/libraries/LAW/locations": ("location", []),
    "/acq/vendors": ("vendor", [{"code": f"V{i}"} for i in range(4)]),
    "/acq/funds": ("fund", [{"id": "101", "code": "BOOKS"}, {"id": "102", "code": "SERIALS"}]),
    "/acq/funds/101/transactions": ("fund_transaction", [{"id": f"T{i}"} for i in range(5)]),
    "/acq/funds/102/transactions": ("fund_transaction", []),
    "/acq/licenses": ("license", [{"code": "LIC1"}]),
    "/courses": ("course", [{"id": "9001", "code": "HIST-101"}]),
    "/courses/9001/reading-lists": ("reading_list", [{"id": "RL1", "name": "Week 1"}]),
    "/users/U001/loans": ("item_loan", [{"loan_id": f"L{i}"} for i in range(4)]),
    "/users/ana.ruiz@uni.edu/requests": ("user_request", [{"request_id": "R1"}]),
}
JOBS = {"MANUAL": [{"id": "M1"}], "SCHEDULED": [{"id": "S1"}, {"id": "S2"}], "OTHER": []}
CLEAN = sorted(
    ["code-tables/" + f"{name}.json" for name in CODE_TABLES]
    + [f"users/page-00000{i}.json" for i in (1, 2, 3)]
    + ["sets/page-000001.json", "integration-profiles/page-000001.json",
       "jobs/MANUAL.json", "jobs/SCHEDULED.json", "jobs/OTHER.json",
       "libraries/page-000001.json", "locations/MAIN.json", "locations/LAW.json",
       "vendors/page-000001.json", "vendors/page-000002.json", "funds/page-000001.json",
       "fund-transactions/BOOKS.json", "fund-transactions/SERIALS.json",
       "licenses/page-000001.json", "courses/page-000001.json",
       "reading-lists/HIST-101.json"])


@dataclass
class FakeAlma:
    """Alma's answers in the documented shapes; pages hold at most `cap` records (fewer than
    asked), and `faults` answers a path's next requests before its data."""

    cap: int = 3
    faults: dict[str, list[Answer]] = field(default_factory=dict)
    fail_after: int | None = None  # after this many data answers, every answer is a 500
    slow: dict[str, float] = field(default_factory=dict)  # path -> seconds before answering
    counts: dict[str, int] = field(default_factory=dict)  # path -> total_record_count to claim
    requests: list[tuple[str, dict[str, str], dict[str, str]]] = field(default_factory=list)
    served: int = 0
    stop: threading.Event = field(default_factory=threading.Event)

    def answer(self, target: str, headers: dict[str, str]) -> Answer:
        url = urlsplit(target)
        path, query = unquote(url.path).removeprefix(PREFIX), dict(parse_qsl(url.query))
        self.requests.append((path, query, headers))
        if not url.path.startswith(f"{PREFIX}/"):
            return 404, {}, b"<html>not found</html>"
        if headers.get("authorization") != f"apikey {KEY}":
            return 400, {}, error_body("UNAUTHORIZED", "API-key not defined or not configured "
                                                       "to allow this API.")
        if self.slow.get(path):
            self.stop.wait(self.slow[path])
        if self.faults.get(path):
            return self.faults[path].pop(0)
        if self.fail_after is not None and self.served >= self.fail_after:
            return 500, {}, error_body("GENERAL_ERROR", "Internal server error.")
        self.served += 1
        return 200, {"X-Exl-Api-Remaining": "99000"}, json.dumps(self.body(path, query)).encode()

    def body(self, path: str, query: dict[str, str]) -> dict[str, Any]:
        if path.startswith("/conf/code-tables/"):
            name = path.rsplit("/", 1)[1]
            return {"name": name, "row": [{"code": "A", "description": "a", "enabled": True}]}
        key, records = ("job", JOBS[query["type"]]) if path == "/conf/jobs" else DATA.get(
            path, ("item_loan" if path.endswith("/loans") else "user_request", []))
        total = self.counts.get(path, len(records))
        if "limit" not in query:  # an unpaged list: all at once
            return {key: records, "total_record_count": total} if records else {
                "total_record_count": total}
        offset, limit = int(query["offset"]), int(query["limit"])
        assert 1 <= limit <= 100
        chunk = records[offset:offset + min(limit, self.cap)]
        return {key: chunk, "total_record_count": total} if chunk else {"total_record_count": total}


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:  # noqa: N802 (the name http.server calls)
        status, headers, body = self.server.alma.answer(
            self.path, {k.lower(): v for k, v in self.headers.items()})
        try:
            self.send_response(status)
            for name, value in {"Content-Type": "application/json", **headers}.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except OSError:  # the client gave up (a timeout test)
            pass

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    alma: FakeAlma

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass


@pytest.fixture
def alma(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[FakeAlma, str]]:
    """A fake Alma on 127.0.0.1 (a free port) and its base URL; the fast retry policy."""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy",
                 "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(pull_http, "DEFAULT", FAST)
    fake = FakeAlma()
    server = _Server(("127.0.0.1", 0), _Handler)
    server.alma = fake
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    try:
        yield fake, f"http://127.0.0.1:{server.server_address[1]}{PREFIX}"
    finally:
        fake.stop.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def cli(base: str, out: Path, *args: str, key: str = KEY, quiet: bool = True) -> Result:
    """`cutover [--quiet] snapshot pull` with the key in the environment, bounded in time."""
    started = time.monotonic()
    result = CliRunner().invoke(app, [*(["--quiet"] if quiet else []), "snapshot", "pull",
                                      "--base-url", base, "--api-key-env", ENV,
                                      "--out", str(out), *args],
                                env={ENV: key, "COLUMNS": "200"})
    assert time.monotonic() - started < 10
    return result


def files(folder: Path) -> dict[str, bytes]:
    """Every file under `folder`, by path relative to it."""
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def load(folder: Path, name: str) -> Any:
    return json.loads((folder / name).read_text(encoding="utf-8"))


def paths(fake: FakeAlma) -> list[str]:
    return [path for path, _, _ in fake.requests]


# --- a clean pull --------------------------------------------------------------------------------


def test_a_clean_pull_writes_the_contract_layout(alma: tuple[FakeAlma, str],
                                                   tmp_path: Path) -> None:
    fake, base = alma
    result = cli(base, tmp_path / "raw")
    assert result.exit_code == 0, result.output
    raw = tmp_path / "raw"
    assert sorted(files(raw)) == CLEAN  # no progress file and no .part file left
    # short pages (3 of the 100 asked) are not taken for the last: 3 + 3 + 1 users
    assert [len(load(raw, f"users/page-00000{i}.json")["user"]) for i in (1, 2, 3)] == [3, 3, 1]
    assert [q["offset"] for p, q, _ in fake.requests if p == "/users"] == ["0", "3", "6"]
    # an empty list: the first page is kept, its list key absent
    assert load(raw, "sets/page-000001.json") == {"total_record_count": 0}
    assert load(raw, "locations/MAIN.json")["location"] == [{"code": "STACKS"}, {"code": "REF"}]
    assert load(raw, "locations/LAW.json") == {"total_record_count": 0}
    # a fund's transactions over two pages are one file of the same shape
    assert load(raw, "fund-transactions/BOOKS.json") == {
        "fund_transaction": [{"id": f"T{i}"} for i in range(5)], "total_record_count": 5}
    assert load(raw, "jobs/SCHEDULED.json")["job"] == [{"id": "S1"}, {"id": "S2"}]
    assert "/users/U001/loans" not in paths(fake)  # loans and requests only with --only
    for path, query, headers in fake.requests:
        assert headers["authorization"] == f"apikey {KEY}"
        assert headers["accept"] == "application/json"
        assert "apikey" not in query and KEY not in path
        assert int(query.get("limit", "100")) <= 100
    assert ("/users", {"expand": "full", "limit": "100", "offset": "0"}) in [
        (p, q) for p, q, _ in fake.requests]
    assert ("/acq/funds", {"mode": "ALL", "limit": "100", "offset": "0"}) in [
        (p, q) for p, q, _ in fake.requests]
    assert "users" in result.stdout and "today's calls left: 99,000" in result.stdout


def test_an_empty_page_before_the_count_ends_the_folder_with_a_warning(
        alma: tuple[FakeAlma, str], tmp_path: Path) -> None:
    fake, base = alma
    fake.counts["/acq/vendors"] = 9  # says 9, has 4
    result = cli(base, tmp_path / "raw", "--only", "vendors")
    assert result.exit_code == 0, result.output
    assert [q["offset"] for p, q, _ in fake.requests if p == "/acq/vendors"] == ["0", "3", "4"]
    assert sorted(files(tmp_path / "raw")) == ["vendors/page-000001.json",
                                               "vendors/page-000002.json"]
    assert "an empty page although total_record_count is 9; 4 records taken" in result.stderr


def test_per_user_folders_are_opt_in_and_bring_the_users(alma: tuple[FakeAlma, str],
                                                        tmp_path: Path) -> None:
    fake, base = alma
    result = cli(base, tmp_path / "raw", "--only", "loans,requests")
    assert result.exit_code == 0, result.output
    raw = tmp_path / "raw"
    assert sorted(files(raw)) == ["loans/U001.json", "requests/ana.ruiz@uni.edu.json",
                                  "users/page-000001.json", "users/page-000002.json",
                                  "users/page-000003.json"]
    assert len(load(raw, "loans/U001.json")["item_loan"]) == 4  # two pages, one file
    assert paths(fake).count("/users") == 3
    assert "/users/ana.ruiz@uni.edu/loans" in paths(fake)
    # a folder asked for by name that already holds a finished pull is refused
    again = cli(base, tmp_path / "raw", "--only", "loans")
    assert again.exit_code == 2 and "already holds files" in again.stderr


def test_a_refused_code_table_is_skipped_with_alma_s_words(alma: tuple[FakeAlma, str],
                                                          tmp_path: Path) -> None:
    fake, base = alma
    fake.faults["/conf/code-tables/FiscalPeriods"] = [
        (400, {}, error_body("402203", "Code table FiscalPeriods does not exist."))]
    result = cli(base, tmp_path / "raw", "--only", "code-tables")
    assert result.exit_code == 0, result.output
    assert sorted(files(tmp_path / "raw")) == sorted(
        f"code-tables/{n}.json" for n in CODE_TABLES if n != "FiscalPeriods")
    assert "402203: Code table FiscalPeriods does not exist." in result.stderr


# --- retries and errors --------------------------------------------------------------------------


@pytest.mark.parametrize("fault", [
    (429, {"Retry-After": "0"}, error_body("PER_SECOND_THRESHOLD", "Too many calls per second.")),
    (500, {}, error_body("GENERAL_ERROR", "Internal server error.")),
    (503, {}, b"<html>gateway</html>"),
], ids=["429", "500", "503"])
def test_a_throttled_or_failed_answer_is_retried(alma: tuple[FakeAlma, str], tmp_path: Path,
                                                fault: Answer) -> None:
    fake, base = alma
    fake.faults["/users"] = [fault]
    result = cli(base, tmp_path / "raw", "--only", "users")
    assert result.exit_code == 0, result.output
    assert [q["offset"] for p, q, _ in fake.requests if p == "/users"] == ["0", "0", "3", "6"]
    assert len(files(tmp_path / "raw")) == 3


def test_retry_after_is_honoured_and_backoff_is_bounded(alma: tuple[FakeAlma, str]) -> None:
    fake, base = alma
    fake.faults["/conf/sets"] = [(429, {"Retry-After": "7"}, error_body(
        "PER_SECOND_THRESHOLD", "slow down"))] + [(500, {}, b"{}")] * 10
    waits: list[float] = []
    policy = Policy(attempts=4, backoff=0.5, max_wait=30, budget=100, rate=1e9)
    with Client(base, KEY, policy, sleep=waits.append) as client, pytest.raises(PullError) as e:
        client.get("/conf/sets", {})
    assert waits == [7.0, 1.0, 2.0]  # Retry-After, then 0.5 doubled per try
    assert str(e.value) == (f"GET {PREFIX}/conf/sets: HTTP 500; gave up after 4 tries over 10.0 s "
                            "of waiting")
    assert len(fake.requests) == 4


def test_calls_are_spaced_under_alma_s_limit() -> None:
    now = [0.0]
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        now[0] += seconds

    client = Client("http://127.0.0.1:9/almaws/v1", KEY, Policy(rate=20), sleep=sleep,
                    clock=lambda: now[0])
    with client:
        for _ in range(5):
            client._throttle()
    assert waits == pytest.approx([0.05] * 4)  # 20 calls per second at most


def test_the_daily_limit_stops_the_pull(alma: tuple[FakeAlma, str], tmp_path: Path) -> None:
    fake, base = alma
    fake.faults["/users"] = [(429, {}, error_body("DAILY_THRESHOLD", "Daily limit reached."))]
    result = cli(base, tmp_path / "raw", "--only", "users")
    assert result.exit_code == 2
    assert "daily limit of API calls is reached" in result.stderr
    assert "DAILY_THRESHOLD: Daily limit reached." in result.stderr
    assert len(fake.requests) == 1


def test_a_malformed_page_is_a_clear_error(alma: tuple[FakeAlma, str], tmp_path: Path) -> None:
    fake, base = alma
    fake.faults["/conf/sets"] = [(200, {}, b'{"set": [{"id": "1"')]
    result = cli(base, tmp_path / "raw", "--only", "sets")
    assert result.exit_code == 2
    assert f"GET {PREFIX}/conf/sets?limit=100&offset=0: the answer is not valid JSON" \
        in result.stderr
    assert not (tmp_path / "raw" / "sets").exists()


def test_a_slow_answer_is_retried_then_a_clear_error(alma: tuple[FakeAlma, str],
                                                    tmp_path: Path) -> None:
    fake, base = alma
    fake.slow["/conf/libraries"] = 1.0
    started = time.monotonic()
    result = cli(base, tmp_path / "raw", "--only", "libraries", "--timeout", "0.2")
    assert time.monotonic() - started < 3
    assert result.exit_code == 2
    assert (f"GET {PREFIX}/conf/libraries: no answer within 0.2 s; gave up after 3 tries"
            in result.stderr)
    assert paths(fake) == ["/conf/libraries"] * 3


@pytest.mark.parametrize("status", [400, 401])
def test_a_wrong_key_exits_2_with_alma_s_error(alma: tuple[FakeAlma, str], tmp_path: Path,
                                              status: int) -> None:
    fake, base = alma
    fake.faults["/users"] = [(status, {}, error_body(
        "UNAUTHORIZED", "API-key not defined or not configured to allow this API."))]
    result = cli(base, tmp_path / "raw", "--only", "users,code-tables")
    assert result.exit_code == 2
    assert (f"HTTP {status}, Alma error UNAUTHORIZED: API-key not defined or not configured to "
            "allow this API. (tracking id E01-TEST); check the API key") in result.stderr
    assert len(fake.requests) == 1  # the key is refused once, not for every code table
    assert "Nothing was saved." in result.stderr and not (tmp_path / "raw").exists()


def test_a_key_alma_does_not_know_is_refused_on_every_folder(alma: tuple[FakeAlma, str],
                                                            tmp_path: Path) -> None:
    fake, base = alma
    result = cli(base, tmp_path / "raw", "--only", "code-tables",
                 key="l7xx" + "0" * 32)
    assert result.exit_code == 2
    assert "Alma error UNAUTHORIZED" in result.stderr and len(fake.requests) == 1


@pytest.mark.parametrize(("args", "env", "message"), [
    (["--only", "users,lons"], KEY, "unknown folder 'lons' (did you mean 'loans'?); the known "
                                    "ones are users, code-tables, sets"),
    ([], "", f"error --api-key-env: the environment variable {ENV} is not set or empty: put "
             "the Alma API key there\n"),
    (["--timeout", "0"], KEY, "error --timeout: must be more than 0 seconds\n"),
])
def test_usage_errors_exit_2_before_any_call(alma: tuple[FakeAlma, str], tmp_path: Path,
                                             args: list[str], env: str, message: str) -> None:
    fake, base = alma
    result = cli(base, tmp_path / "raw", *args, key=env)
    assert result.exit_code == 2
    assert message in result.stderr
    assert fake.requests == [] and not (tmp_path / "raw").exists()


def test_a_base_url_without_alma_s_root_is_named(alma: tuple[FakeAlma, str],
                                                 tmp_path: Path) -> None:
    _, base = alma
    result = cli(base.removesuffix(PREFIX), tmp_path / "raw", "--only", "sets")
    assert result.exit_code == 2
    assert "GET /conf/sets?limit=100&offset=0: HTTP 404; check --base-url" in result.stderr


def test_a_key_in_the_base_url_is_refused(tmp_path: Path) -> None:
    result = cli(f"http://127.0.0.1:9{PREFIX}?apikey={KEY}", tmp_path / "raw")
    assert result.exit_code == 2
    assert "error --base-url: must not hold a query" in result.stderr
    assert KEY not in result.output


def test_the_key_passed_as_the_variable_name_is_not_echoed(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["snapshot", "pull", "--base-url", f"http://127.0.0.1:9{PREFIX}",
                                      "--api-key-env", KEY.lower(), "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert "give its name, not the key" in result.stderr and KEY.lower() not in result.output


# --- resuming ------------------------------------------------------------------------------------


def test_an_interrupted_pull_continues_where_it_stopped(alma: tuple[FakeAlma, str],
                                                       tmp_path: Path) -> None:
    fake, base = alma
    clean = tmp_path / "clean"
    assert cli(base, clean).exit_code == 0
    fake.requests.clear()
    fake.served, fake.fail_after = 0, 14  # users (3 pages), 9 code tables, sets, profiles
    raw = tmp_path / "raw"
    first = cli(base, raw)
    assert first.exit_code == 2
    assert "HTTP 500, Alma error GENERAL_ERROR: Internal server error." in first.stderr
    assert "the same command continues from them" in first.stderr
    saved = files(raw)
    assert ".pull-progress.json" in saved
    assert not [n for n in saved if n.endswith(".part")]

    fake.requests.clear()
    fake.fail_after = None
    second = cli(base, raw)
    assert second.exit_code == 0, second.output
    again = paths(fake)
    assert again[0] == "/conf/jobs"  # the first request that failed
    assert not {"/users", "/conf/sets", "/conf/integration-profiles"} & set(again)
    assert not [p for p in again if p.startswith("/conf/code-tables/")]
    assert files(raw) == files(clean)  # exactly what a clean pull writes, progress file gone


def test_an_unfinished_pull_of_another_base_url_is_refused(alma: tuple[FakeAlma, str],
                                                           tmp_path: Path) -> None:
    fake, base = alma
    fake.fail_after = 1
    assert cli(base, tmp_path / "raw", "--only", "users").exit_code == 2
    result = cli(base.replace("127.0.0.1", "localhost"), tmp_path / "raw")
    assert result.exit_code == 2 and "holds an unfinished pull from" in result.stderr


def test_a_half_written_page_is_never_left_in_place(alma: tuple[FakeAlma, str], tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    from simulator.importers.alma_api import pull_files

    fake, base = alma
    real: Callable[..., None] = pull_files.os.replace

    def crash_on_third(src: Any, dst: Any) -> None:
        if str(dst).endswith("page-000003.json"):
            raise KeyboardInterrupt
        real(src, dst)

    monkeypatch.setattr(pull_files.os, "replace", crash_on_third)
    result = cli(base, tmp_path / "raw", "--only", "users")
    assert result.exit_code != 0
    names = sorted(files(tmp_path / "raw"))
    assert names == [".pull-progress.json", "users/.page-000003.json.part",
                     "users/page-000001.json", "users/page-000002.json"]
    monkeypatch.setattr(pull_files.os, "replace", real)
    fake.requests.clear()
    assert cli(base, tmp_path / "raw", "--only", "users").exit_code == 0
    assert sorted(files(tmp_path / "raw")) == [f"users/page-00000{i}.json" for i in (1, 2, 3)]
    assert [q["offset"] for _, q, _ in fake.requests] == ["6"]


# --- progress and the key ------------------------------------------------------------------------


def test_progress_goes_to_stderr_and_quiet_turns_it_off(alma: tuple[FakeAlma, str],
                                                       tmp_path: Path) -> None:
    _, base = alma
    shown = cli(base, tmp_path / "a", "--only", "users,locations", quiet=False)
    assert shown.exit_code == 0, shown.output
    assert "✓ users: 7 records, 3 pages" in shown.stderr
    assert "✓ locations: 2 of 2 libraries, 2 records, 2 pages" in shown.stderr
    assert "✓" not in shown.stdout
    quiet = cli(base, tmp_path / "b", "--only", "users,locations")
    assert quiet.exit_code == 0 and quiet.stderr == ""


def test_the_key_is_in_no_written_file_and_no_output(alma: tuple[FakeAlma, str],
                                                     tmp_path: Path) -> None:
    fake, base = alma
    outputs = [cli(base, tmp_path / "clean", "--only", "users,loans,requests,code-tables",
                   quiet=False)]
    fake.faults["/conf/sets"] = [(200, {}, b"not json")]
    outputs.append(cli(base, tmp_path / "bad", "--only", "sets", quiet=False))
    fake.faults["/acq/vendors"] = [(401, {}, error_body("UNAUTHORIZED", "no"))]
    outputs.append(cli(base, tmp_path / "denied", "--only", "vendors", quiet=False))
    fake.fail_after = fake.served + 2
    outputs.append(cli(base, tmp_path / "cut", "--only", "users,funds", quiet=False))
    outputs.append(cli(f"{base}?apikey={KEY}", tmp_path / "url", quiet=False))
    assert [r.exit_code for r in outputs] == [0, 2, 2, 2, 2]
    written = files(tmp_path)
    assert ".pull-progress.json" in [Path(n).name for n in written]
    assert [n for n, data in written.items() if KEY.encode() in data] == []
    assert [r.output for r in outputs if KEY in r.stdout or KEY in r.stderr] == []


def test_progress_on_a_terminal_is_a_bar_per_folder() -> None:
    from io import StringIO

    from rich.console import Console

    from simulator.cli.pulling import Bars
    from simulator.importers.alma_api.pull_files import Mark

    text = StringIO()
    console = Console(file=text, force_terminal=True, width=120, color_system=None)
    with Bars(console, True) as bars:
        bars.update("users", Mark(cursor=1, offset=3, pages=1, records=3), 7, None)
        bars.update("users", Mark(cursor=3, offset=7, pages=3, records=7, done=True), None, None)
        bars.update("locations", Mark(cursor=1, pages=1, records=2), 2, "libraries")
    shown = text.getvalue()
    assert "users" in shown and "7 records, 3 pages" in shown
    assert "1 of 2 libraries, 2 records, 1 page" in shown
    with Bars(console, False) as quiet:
        quiet.update("users", Mark(done=True), None, None)
    assert text.getvalue() == shown
