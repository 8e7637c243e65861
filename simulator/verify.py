"""`cutover verify`: reconcile what Alma holds after a load with the prediction, record by record.

Everything is set-based SQL over the ledger and the post snapshot (no per-record Python), so it
scales like predict. Classes of discrepancy:

- survived_unexpectedly: predicted gone (removed, rejected, not_migrated) but present;
- lost_unexpectedly: predicted present (any other outcome) but absent;
- unexpected: present after the load, in no input record;
- state_mismatch: present, but a rule's `expect_after` condition does not hold;
- stage checks of the fulfillment load and go-live (DESIGN 5, "Later stages").

A record predicted gone whose key comes back from another input record (a public user removed
and its patron loaded again) is confirmed as long as that other record is present.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from simulator import db, engine, snapshot, validate
from simulator.errors import Collector, Loc, Problem, UserError, display_path
from simulator.rules.compile import parse, render
from simulator.rules.model import ABSENT_OUTCOMES, Pack
from simulator.scenario import DEFAULT_SCRUBBED, Scenario
from simulator.snapshot import Snapshot
from simulator.tables import TABLES, post_table, tables_for

STAGES = ("cutover", "fulfillment", "golive")
PRESENCE_CLASSES = ("confirmed", "survived_unexpectedly", "lost_unexpectedly", "unverifiable")
STAGE_CLASSES = {
    "changed_at_fulfillment": "changed by the fulfillment load, which may change only patrons, "
                              "loans and hold-shelf requests",
    "loan_count_changed": "item loan count changed by the fulfillment load",
    "item_status_mismatch": "item status does not follow its loans",
    "instructor_unlinked": "course instructor not linked to a user after the fulfillment load",
    "form_changed": "migration or field mapping form differs from the cutover's",
    "still_scrubbed": "e-mail address still scrubbed after go-live",
    "job_not_enabled": "scheduled job not enabled at go-live",
    "parameter_not_enabled": "customer parameter not as expected at go-live",
}
SURPRISES = ("survived_unexpectedly", "lost_unexpectedly", "unexpected", "state_mismatch",
             *STAGE_CLASSES)
# Post rows that no input record predicts but the load makes by design.
_IMPLIED = {
    "user_roles": (
        "is_patron_role(t.role_type) and exists (select 1 from expect e where "
        "e.post_table = 'users' and e.want and e.match_key = lower(coalesce(t.primary_id, '')))"
    ),
}
# What a budget's `entity` may name: a table, alone or with its side ("post" for unexpected rows;
# "extract.forms" for the fulfillment load's form check).
BUDGET_ENTITIES = frozenset(
    {t for t in TABLES} | {f"{s}.{t}" for s in ("alma", "extract", "post") for t in TABLES}
    | {"forms", "extract.forms"})
GOLIVE_PARAMETERS = ("acquisition_solr_indexing_enabled", "acquisition_solr_save_enabled")
# Not in the vendor's parameter list; the name this tool expects (see README, verify).
PREFERRED_TERM_PARAMETER = "authority_preferred_term_correction_enabled"


@dataclass
class VerifyResult:
    class_counts: list[dict[str, Any]]
    matrix: list[dict[str, Any]]
    discrepancies: int
    actions: list[dict[str, Any]] = field(default_factory=list)


# Parts of a key that are one value under several spellings: role "200" is the Patron role.
_CANONICAL = {
    ("user_roles", "role_type"): "case when is_patron_role({v}) then 'patron' else {v} end",
}


def _part(table: str, column: str, value_sql: str) -> str:
    canonical = _CANONICAL.get((table, column))
    if canonical:
        value_sql = canonical.format(v=value_sql)
    return f"lower({value_sql})" if TABLES[table].column(column).ci else value_sql


def _norm_key(table: str, alias: str) -> str:
    """The key as matched: parts joined by |, Primary IDs lower-cased, codes made canonical."""
    parts = [_part(table, k, f"coalesce(cast({alias}.{db.ident(k)} as varchar), '')")
             for k in TABLES[table].key]
    return parts[0] if len(parts) == 1 else "concat_ws('|', " + ", ".join(parts) + ")"


def _norm_ledger_key(table: str) -> str:
    """The same normal form computed from a ledger's `record_key` text."""
    spec = TABLES[table]
    if len(spec.key) == 1:
        return _part(table, spec.key[0], "record_key")
    parts = [_part(table, k, f"split_part(record_key, '|', {i})")
             for i, k in enumerate(spec.key, 1)]
    n = len(spec.key) - 1
    return (f"case when length(record_key) - length(replace(record_key, '|', '')) = {n} "
            f"then concat_ws('|', {', '.join(parts)}) else record_key end")


def build_presence(con: db.Connection, pack: Pack) -> None:
    """Tables `expect` (ledger + where each record lands), `post_keys` and `presence`."""
    con.execute("create or replace temp table expect (side varchar, entity varchar, "
                "record_key varchar, outcome varchar, rule_id varchar, post_table varchar, "
                "match_key varchar, want boolean)")
    entities = con.rows("select distinct side, entity from ledger order by all")
    absent = sorted(ABSENT_OUTCOMES)
    for side, entity in entities:
        target = post_table(side, entity)
        key = _norm_ledger_key(target) if target else "record_key"
        con.execute(
            "insert into expect select side, entity, record_key, outcome, rule_id, $target, "
            f"{key}, not list_contains($absent, outcome) from ledger "
            "where side = $side and entity = $entity",
            {"target": target, "absent": absent, "side": side, "entity": entity},
        )
    con.execute("create or replace temp table post_keys (post_table varchar, match_key varchar, "
                "record_key varchar, implied boolean)")
    for table in tables_for("alma"):
        source = f"{db.qualified('post', table.name)} as t"
        implied = _IMPLIED.get(table.name, "false")
        con.execute(
            f"insert into post_keys select $t, {_norm_key(table.name, 't')}, "
            f"{_raw_key(table.name, 't')}, {implied} from {source}",
            {"t": table.name},
        )
    con.execute("""
        create or replace temp table presence as
        with wanted as (
            select post_table, match_key, bool_or(want) as any_want from (
                select post_table, match_key, want from expect where post_table is not null
                union all select post_table, match_key, true from post_keys where implied)
            group by all),
        found as (select distinct post_table, match_key from post_keys)
        select e.*, f.match_key is not null as present,
            case when e.post_table is null then 'unverifiable'
                 when e.want and f.match_key is not null then 'confirmed'
                 when e.want then 'lost_unexpectedly'
                 when f.match_key is null then 'confirmed'
                 when w.any_want then 'confirmed'
                 else 'survived_unexpectedly' end as class
        from expect e
        left join found f using (post_table, match_key)
        left join wanted w using (post_table, match_key)
    """)


def _raw_key(table: str, alias: str) -> str:
    parts = [f"coalesce(cast({alias}.{db.ident(k)} as varchar), '')" for k in TABLES[table].key]
    return parts[0] if len(parts) == 1 else "concat_ws('|', " + ", ".join(parts) + ")"


def _discrepancy_table(con: db.Connection) -> None:
    con.execute("create or replace temp table discrepancies (side varchar, entity varchar, "
                "record_key varchar, class varchar, expected varchar, observed varchar, "
                "rule_id varchar)")


def presence_discrepancies(con: db.Connection) -> None:
    con.execute("""
        insert into discrepancies
        select side, entity, record_key, class,
            case when want then 'present (' else 'absent (' end || outcome || ')',
            case when present then 'present' else 'absent' end, rule_id
        from presence where class in ('survived_unexpectedly', 'lost_unexpectedly')
    """)
    con.execute("""
        insert into discrepancies
        select 'post', k.post_table, k.record_key, 'unexpected', 'absent (in no input record)',
               'present', null
        from post_keys k
        where not k.implied and not exists (
            select 1 from expect e where e.post_table = k.post_table and e.match_key = k.match_key)
    """)


def state_discrepancies(con: db.Connection, pack: Pack, params: dict[str, Any]) -> None:
    """Each rule's expect_after over the post rows of the records it decided."""
    for entity, rule in pack.rules():
        if rule.expect_after is None:
            continue
        target = post_table(entity.side, entity.name)
        if target is None:
            continue
        alias = db.ident(target)
        cond = render(rule.expect_tree or parse(rule.expect_after))
        fields = ", ".join(f"{db.ident(c)} := {alias}.{db.ident(c)}"
                           for c in TABLES[target].column_names)
        observed = f"cast(to_json(struct_pack({fields})) as varchar)"
        sql = (
            f"insert into discrepancies select p.side, p.entity, p.record_key, 'state_mismatch', "
            f"$expected, {observed}, p.rule_id from presence p "
            f"join {db.qualified('post', target)} as {alias} "
            f"on {_norm_key(target, alias)} = p.match_key "
            f"where p.rule_id = $rule and p.present and not coalesce(({cond}), false)"
        )
        values = {**params, "expected": rule.expect_after, "rule": rule.id}
        con.execute(sql, {k: v for k, v in values.items() if f"${k}" in sql})


# --- later stages -------------------------------------------------------------------------


def _stage_insert(con: db.Connection, select: str, params: dict[str, Any] | None = None) -> None:
    con.execute(f"insert into discrepancies {select}", params)


def fulfillment_checks(con: db.Connection, has_baseline: bool, forms: dict[str, tuple[str,
                       str]]) -> None:
    """Only patrons, loans and hold-shelf requests may change; items follow their loans."""
    if has_baseline:
        fulfillment_tables = {"users", "user_roles", "loans", "requests", "course_instructors",
                              "items"}
        for table in tables_for("alma"):
            if table.name in fulfillment_tables:
                continue
            for a, b, seen in (("base", "post", "absent"), ("post", "base", "present")):
                _stage_insert(con, f"""
                    select 'alma', $t, {_raw_key(table.name, 'x')}, 'changed_at_fulfillment',
                        '{'present' if seen == 'absent' else 'absent'} as at cutover',
                        '{seen} after the fulfillment load', null
                    from {db.qualified(a, table.name)} x
                    where not exists (select 1 from {db.qualified(b, table.name)} y
                                      where {_norm_key(table.name, 'y')} =
                                            {_norm_key(table.name, 'x')})""", {"t": table.name})
        # Staff users and non-hold-shelf requests are not fulfillment data.
        _stage_insert(con, """
            select 'alma', 'users', b.primary_id, 'changed_at_fulfillment',
                'staff user as at cutover', coalesce(p.record_type, 'absent'), null
            from base.users b left join post.users p on lower(p.primary_id) = lower(b.primary_id)
            where b.record_type <> 'PUBLIC' and p.record_type is distinct from b.record_type""")
        _stage_insert(con, """
            select 'alma', 'requests', b.request_id, 'changed_at_fulfillment',
                'request as at cutover (' || b.status || ')', coalesce(p.status, 'absent'), null
            from base.requests b left join post.requests p on p.request_id = b.request_id
            where upper(b.status) <> 'ON_HOLD_SHELF' and (p.request_id is null
                or p.status is distinct from b.status
                or p.primary_id is distinct from b.primary_id
                or p.item_barcode is distinct from b.item_barcode)""")
        _stage_insert(con, """
            select 'alma', 'items', p.barcode, 'loan_count_changed',
                'loan_count ' || coalesce(cast(b.loan_count as varchar), 'empty'),
                'loan_count ' || coalesce(cast(p.loan_count as varchar), 'empty'), null
            from post.items p join base.items b on b.barcode = p.barcode
            where p.loan_count is distinct from b.loan_count""")
    _stage_insert(con, """
        select 'alma', 'items', i.barcode, 'item_status_mismatch',
            case when l.item_barcode is null then 'not ON_LOAN (no active loan)'
                 else 'ON_LOAN (active loan)' end,
            coalesce(i.status, 'empty'), null
        from post.items i
        left join (select distinct item_barcode from post.loans where returned_at is null) l
            on l.item_barcode = i.barcode
        where (l.item_barcode is not null) <> (upper(coalesce(i.status, '')) = 'ON_LOAN')""")
    _stage_insert(con, """
        select 'alma', 'course_instructors', c.course_code || '|' || c.instructor_primary_id,
            'instructor_unlinked', 'a user with this Primary ID', 'no such user', null
        from post.course_instructors c
        where not exists (select 1 from post.users u
                          where lower(u.primary_id) = lower(c.instructor_primary_id))""")
    for name, (before, after) in sorted(forms.items()):
        if before != after:
            _stage_insert(con, "select 'extract', 'forms', $name, 'form_changed', $b, $a, null",
                          {"name": name, "b": _digest(before), "a": _digest(after)})


def _digest(value: str) -> str:
    return value if value == "missing" else f"sha256 {value}"


def golive_checks(con: db.Connection, scenario: Scenario) -> list[dict[str, Any]]:
    """Go-live switches addresses, jobs and parameters; webhooks stay for the library."""
    params = {"pattern": scenario.scrubbed_email_pattern}
    for table, key in (("users", "primary_id"), ("vendors", "code"), ("rs_partners", "code")):
        _stage_insert(con, f"""
            select 'alma', $t, {db.ident(key)}, 'still_scrubbed', 'a real address',
                email, null
            from {db.qualified('post', table)}
            where email is not null and regexp_matches(email, $pattern)""",
                      {**params, "t": table})
    _stage_insert(con, """
        select 'alma', 'jobs', j.job_id, 'job_not_enabled', 'ENABLED',
            coalesce(j.status, 'empty'), l.rule_id
        from post.jobs j join ledger l on l.side = 'alma' and l.entity = 'jobs'
            and l.record_key = j.job_id
        where l.rule_id = 'jobs.scheduled' and coalesce(j.status, '') <> 'ENABLED'""")
    expected = {name: "true" for name in GOLIVE_PARAMETERS}
    expected[PREFERRED_TERM_PARAMETER] = \
        "true" if scenario.options.get("authority_preferred_term_correction") else "false"
    for name, value in expected.items():
        _stage_insert(con, """
            select 'alma', 'parameters', $name, 'parameter_not_enabled', $value,
                coalesce(max(p.value), 'absent'), null
            from post.parameters p where p.name = $name
            having lower(coalesce(max(p.value), '')) <> $value
                and ($value = 'true' or count(*) > 0)""", {"name": name, "value": value})
    rows = con.rows("select w.profile_id, coalesce(w.name, '') from post.webhooks w "
                    "join ledger l on l.side = 'alma' and l.entity = 'webhooks' "
                    "and l.record_key = w.profile_id and l.rule_id = 'webhooks.inactive' "
                    "where w.status = 'INACTIVE' order by w.profile_id")
    return [{"entity": "alma.webhooks", "key": k,
             "action": f"Activate webhook {name or k} by hand: go-live leaves webhooks inactive."}
            for k, name in rows]


# --- summary --------------------------------------------------------------------------------


def summarise(con: db.Connection) -> VerifyResult:
    # A record found as predicted but failing a check of its rule (expect_after, a job left off
    # at go-live) counts under that check, not as confirmed: each record has one class.
    con.execute("""
        create or replace temp table flagged as
        select distinct side, entity, record_key from discrepancies where rule_id is not null""")
    class_counts = [
        {"side": s, "entity": e, "class": c, "count": int(n)}
        for s, e, c, n in con.rows("""
            select side, entity, class, count(*) from (
                select side, entity, record_key, class from presence p
                where class = 'unverifiable' or (class = 'confirmed' and not exists (
                    select 1 from flagged f where f.side = p.side and f.entity = p.entity
                        and f.record_key = p.record_key))
                union all select side, entity, record_key, class from discrepancies)
            group by all order by all""")
    ]
    matrix = [
        {"rule_id": r, "side": s, "entity": e, "outcome": o, "predicted": int(p),
         "confirmed": int(c), "surprises": int(x), "by_class": json.loads(b) if b else {}}
        for r, s, e, o, p, c, x, b in con.rows("""
            with d as (
                select rule_id, class, count(*) as n from discrepancies
                where rule_id is not null group by all),
            agg as (select rule_id, sum(n) as surprises,
                           to_json(map(list(class order by class), list(n order by class))) as b
                    from d group by all)
            select p.rule_id, any_value(p.side), any_value(p.entity), any_value(p.outcome),
                count(*), count(*) filter (where p.class = 'confirmed' and f.record_key is null),
                coalesce(any_value(agg.surprises), 0), any_value(cast(agg.b as varchar))
            from presence p left join agg using (rule_id)
            left join flagged f on f.side = p.side and f.entity = p.entity
                and f.record_key = p.record_key
            group by p.rule_id order by p.rule_id""")
    ]
    total = int(con.one("select count(*) from discrepancies"))
    return VerifyResult(class_counts, matrix, total)


# --- inputs ---------------------------------------------------------------------------------


def scenario_from_manifest(data: dict[str, Any]) -> Scenario:
    return Scenario(
        institution=str(data.get("institution", "")),
        dates={k: dt.datetime.fromisoformat(v) for k, v in data.get("dates", {}).items()},
        options=dict(data.get("options", {})),
        allowed_emails=list(data.get("allowed_emails", [])),
        scrubbed_email_pattern=str(data.get("scrubbed_email_pattern") or DEFAULT_SCRUBBED),
        source="prediction manifest",
    )


@dataclass
class Prediction:
    """A saved predict run: its ledger and the inputs it was made from."""

    run: Path
    summary: dict[str, Any]
    inputs: engine.Inputs
    warnings: list[str]


def open_prediction(run: Path) -> Prediction:
    shown = display_path(run)
    summary_path, ledger_path = run / "summary.json", run / "ledger.parquet"
    if not summary_path.is_file() or not ledger_path.is_file():
        raise UserError(Problem(Loc(shown), "not a predict run folder (summary.json and "
                                            "ledger.parquet expected)"))
    try:
        summary = json.loads(summary_path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise UserError(Problem(Loc(display_path(summary_path)), f"unreadable: {e}")) from None
    if summary.get("kind") != "predict":
        raise UserError(Problem(Loc(display_path(summary_path)),
                                f"a {summary.get('kind')!r} run, not a predict run"))
    manifest = summary.get("manifest", {})
    if manifest.get("pseudonymized"):
        raise UserError(Problem(Loc(shown), "the prediction was pseudonymised; verify needs "
                                            "the real keys (predict again without --pseudonymize)"))
    snaps = manifest.get("snapshots", {})
    problems = Collector()
    opened: dict[str, Snapshot] = {}
    warnings = []
    for name, side in (("pre", "alma"), ("extract", "extract"), ("testload", "alma")):
        if name not in snaps:
            continue
        path = Path(snaps[name]["path"])
        if not path.is_dir() and snaps[name].get("location"):
            path = Path(snaps[name]["location"])  # verify runs from another folder
        try:
            opened[name] = snapshot.open_snapshot(path, side, f"{name} of the prediction")
        except UserError as e:
            problems.extend(e.problems)
            continue
        if opened[name].file_hashes() != snaps[name].get("files"):
            warnings.append(f"{display_path(path)}: files changed since the prediction was made")
    problems.raise_if_any()
    if "pre" not in opened or "extract" not in opened:
        raise UserError(Problem(Loc(shown), "the prediction's manifest names no pre and extract "
                                            "snapshots"))
    inputs = engine.Inputs(opened["pre"], opened["extract"],
                           scenario_from_manifest(manifest.get("scenario", {})),
                           opened.get("testload"))
    return Prediction(run, summary, inputs, warnings)


def load_post(con: db.Connection, post: Snapshot, schema: str = "post") -> None:
    problems = Collector()
    problems.extend(snapshot.attach(con, schema, post, "alma"))
    problems.extend(validate.validate(con, schema, post))
    problems.raise_if_any()


# --- the command ----------------------------------------------------------------------------

FIXES = {
    "lost_unexpectedly": "Check the load's reject reports and the rule: either the rule is wrong "
                         "or the load lost these records.",
    "survived_unexpectedly": "The load kept records the rules said would go: check the rule, or "
                             "clean these up by hand.",
    "unexpected": "Records after the load that no input explains: made by hand during the "
                  "freeze, or loaded from a file that was not in the extract.",
    "state_mismatch": "The records are there but not in the state the rule expects: compare the "
                      "observed values with the rule's expectation.",
}
SAMPLE = 10
CITES = {
    "unexpected": "Alma Configuration Freeze",
    "changed_at_fulfillment": "Fulfillment Load",
    "loan_count_changed": "Fulfillment Load",
    "item_status_mismatch": "Fulfillment Load",
    "instructor_unlinked": "Courses during fulfillment load",
    "form_changed": "Fulfillment Load",
    "still_scrubbed": "Unscrub Emails/FTP",
    "job_not_enabled": "Enable Job Schedule",
    "parameter_not_enabled": "Acquisition Solr indexing/save",
}


def findings(con: db.Connection, budgets_: list[Any], pack: Pack) -> list[dict[str, Any]]:
    from simulator import budgets as budget_mod

    totals = dict(
        ((s, e), int(n)) for s, e, n in con.rows(
            "select side, entity, count(*) from presence group by all "
            "union all select 'post', post_table, count(*) from post_keys group by all"))
    groups = con.rows("""
        select side, entity, class, coalesce(rule_id, ''), count(*),
               list(record_key order by record_key)[1:$n],
               list([record_key, expected, observed] order by record_key)[1:$n]
        from discrepancies group by all order by all""", {"n": SAMPLE})
    cites = {r.id: r.cite for _, r in pack.rules()}
    out = []
    for side, entity, klass, rule_id, n, keys, details in groups:
        # A stage check looks at the table's rows after the load: a percentage is of those.
        total = totals.get(("post" if klass in STAGE_CLASSES else side, entity), 0)
        verdict, budget = budget_mod.judge(budgets_, f"{side}.{entity}", klass, int(n), total)
        severity = {"fail": "blocker", "warn": "warning"}.get(verdict, "info")
        if klass == "form_changed":
            severity = "blocker"  # the fulfillment load must run with the cutover's forms
        what = STAGE_CLASSES.get(klass, klass.replace("_", " "))
        out.append({
            "id": f"verify.{klass}.{side}.{entity}" + (f".{rule_id}" if rule_id else ""),
            "severity": severity,
            "title": f"{side}.{entity}: {int(n):,} {what}"
                     + (f" (rule {rule_id})" if rule_id else ""),
            "count": int(n),
            "sample_keys": list(keys),
            "fix": FIXES.get(klass, "Compare with the vendor's go-live and fulfillment "
                                    "checklists and correct it with the project team."),
            "rule_id": rule_id or klass,
            "entity": f"{side}.{entity}",
            "cite": cites.get(rule_id, CITES.get(klass, "Test Final Data")),
            "confidence": "documented",
            "class": klass,
            "budget": str(budget.threshold(verdict)) if budget else "",
            "details": [{"key": k, "expected": e, "observed": o} for k, e, o in details],
        })
    order = {"blocker": 0, "warning": 1, "info": 2}
    out.sort(key=lambda f: (order[f["severity"]], f["id"]))
    return out


def junit_cases(con: db.Connection, pack: Pack) -> list[Any]:
    from simulator.junit import Case

    failures: dict[tuple[str, str], list[tuple[str, int, list[str]]]] = {}
    for side, entity, klass, rule, n, keys in con.rows("""
            select side, entity, class, coalesce(rule_id, class), count(*),
                   list(record_key order by record_key)[1:$n]
            from discrepancies group by all order by all""", {"n": SAMPLE}):
        failures.setdefault((f"{side}.{entity}", rule), []).append((klass, int(n), list(keys)))
    names = {(f"{s}.{e}", r) for s, e, r in con.rows(
        "select distinct side, entity, rule_id from presence")}
    return [Case(suite, name, failures.get((suite, name), []))
            for suite, name in sorted(names | set(failures))]


@dataclass
class Run:
    out: Path
    result: VerifyResult
    summary: dict[str, Any]
    findings: list[dict[str, Any]]

    @property
    def failed(self) -> bool:
        return any(f["severity"] == "blocker" for f in self.findings)


def run(
    post_path: Path,
    out: Path,
    *,
    prediction: Path | None = None,
    inputs: engine.Inputs | None = None,
    stage: str = "cutover",
    budgets_path: Path | None = None,
    baseline: Path | None = None,
    cutover_extract: Path | None = None,
    rules: list[Path] | None = None,
    csv_mode: str = "auto",
    command: list[str] | None = None,
    show_pii: bool = False,
    progress: Any = lambda step: None,
) -> Run:
    from reports.render import VerifyReport, render_verify
    from simulator import budgets as budget_mod
    from simulator import reporting, runfolder
    from simulator.junit import junit_xml
    from simulator.rules.loader import load_pack

    runfolder.check_out(out)
    if stage not in STAGES:
        raise UserError(f"--stage must be one of {', '.join(STAGES)}, not '{stage}'")
    problems = Collector()
    warnings: list[str] = []
    pred = None
    try:
        if prediction is not None:
            pred = open_prediction(prediction)
            inputs, warnings = pred.inputs, pred.warnings
    except UserError as e:
        problems.extend(e.problems)
    snaps: dict[str, Snapshot] = {}
    for name, path, side in (("post", post_path, "alma"), ("baseline", baseline, "alma"),
                             ("cutover_extract", cutover_extract, "extract")):
        if path is None:
            continue
        try:
            snaps[name] = snapshot.open_snapshot(path, side, f"--{name.replace('_', '-')}")
        except UserError as e:
            problems.extend(e.problems)
    budgets_ = budget_mod.DEFAULT
    if budgets_path is not None:
        try:
            budgets_ = budget_mod.load(budgets_path, ("confirmed", *SURPRISES),
                                       set(BUDGET_ENTITIES))
        except UserError as e:
            problems.extend(e.problems)
    progress("checking rules")
    try:
        pack = engine.checked_pack(load_pack(rules))
    except UserError as e:
        problems.extend(e.problems)
    problems.raise_if_any()
    assert inputs is not None
    post = snaps["post"]
    warnings += post.warnings
    if post.stage != stage:
        warnings.append(f"{display_path(post.path)}: stage '{post.stage}' but verifying the "
                        f"'{stage}' stage")
    con = db.connect()
    try:
        progress("loading and validating snapshots")
        engine.load_and_validate(con, inputs)
        load_post(con, post)
        if "baseline" in snaps:
            load_post(con, snaps["baseline"], "base")
        if pred is not None:
            con.execute("create or replace temp table ledger as select * from "
                        f"read_parquet({db.literal(str(pred.run / 'ledger.parquet'))})")
        else:
            progress("classifying records")
            engine.classify(con, pack, inputs.scenario)
        progress("verifying")
        _discrepancy_table(con)
        build_presence(con, pack)
        presence_discrepancies(con)
        actions: list[dict[str, Any]] = []
        if stage == "cutover":
            state_discrepancies(con, pack, inputs.scenario.params())
        elif stage == "fulfillment":
            forms = {}
            if "cutover_extract" in snaps:
                before = {n: snapshot.sha256(p) for n, p in snaps["cutover_extract"].forms.items()
                          if p.is_file()}
                after = {n: snapshot.sha256(p) for n, p in inputs.extract.forms.items()
                         if p.is_file()}
                forms = {n: (before.get(n, "missing"), after.get(n, "missing"))
                         for n in sorted(set(before) | set(after))}
            else:
                warnings.append("no --cutover-extract: the migration and field mapping forms "
                                "were not compared with the cutover's")
            if "baseline" not in snaps:
                warnings.append("no --baseline: what changed since the cutover load (other "
                                "tables, staff users, requests, loan counts) was not checked")
            fulfillment_checks(con, "baseline" in snaps, forms)
        else:
            actions = golive_checks(con, inputs.scenario)
        result = summarise(con)
        result.actions = actions
        found = findings(con, budgets_, pack)
        manifest = runfolder.manifest(inputs, pack, command)
        manifest["snapshots"]["post"] = {
            "path": display_path(post.path), "institution": post.institution,
            "stage": post.stage, "taken_at": post.taken_at, "files": post.file_hashes()}
        if pred is not None:
            manifest["prediction"] = {"path": display_path(pred.run),
                                      "rule_pack_hash": pred.summary["manifest"].get(
                                          "rule_pack_hash")}
            if pred.summary["manifest"].get("rule_pack_hash") != pack.digest:
                warnings.append("the rule pack differs from the one the prediction used; "
                                "expectations come from the current pack")
        blockers = sum(1 for f in found if f["severity"] == "blocker")
        n = result.discrepancies
        noun = "discrepancy" if n == 1 else "discrepancies"
        verdict = (f"{n:,} {noun}; {blockers} over a fail budget." if blockers else
                   f"{n:,} {noun}, none over a fail budget." if n else
                   "Confirmed: Alma holds exactly what the prediction said.")
        summary = {
            "kind": "verify",
            "stage": stage,
            "institution": inputs.scenario.institution,
            "verdict": verdict,
            "counts": result.class_counts,
            "matrix": result.matrix,
            "findings": found,
            "actions": actions,
            "warnings": warnings,
            "manifest": manifest,
        }
        progress("writing the run folder")

        def extras(folder: Path) -> None:
            ordered = ("select side, entity, record_key, class, expected, observed, rule_id "
                       "from discrepancies order by side, entity, record_key, class")
            con.execute(f"copy ({ordered}) to {db.literal(str(folder / 'discrepancies.parquet'))}"
                        " (format parquet, compression zstd)")
            con.execute(f"copy ({ordered}) to {db.literal(str(folder / 'discrepancies.csv'))} "
                        "(format csv, header true)")
            (folder / "junit.xml").write_bytes(junit_xml(junit_cases(con, pack)))
            report = VerifyReport(
                institution=inputs.scenario.institution,
                stage=stage,
                verdict=verdict,
                verdict_level=reporting.verdict_level(found),
                findings=reporting.mask_findings(found, show_pii),
                counts=result.class_counts,
                matrix=result.matrix,
                actions=actions,
                warnings=warnings,
                manifest=manifest,
            )
            html, markdown = render_verify(report)
            (folder / "report.html").write_text(html, encoding="utf-8")
            (folder / "summary.md").write_text(markdown, encoding="utf-8")

        runfolder.write_run(con, out, summary, extras, csv_mode)
    finally:
        con.close()
    return Run(out, result, summary, found)
