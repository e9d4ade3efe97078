"""Analysis beyond one registry (省级汇总分析): typed tables of a registry's register and scores,
written as Parquet, and the province-wide queries over many registries' Parquet exports.

Each registry stays the size one machine handles; a province (15 cities × 20 units, about 750,000
reports a year) analyses the cities' exports side by side instead of one big registry. Every row
carries a `registry` column (units.yaml `registry.id`, else the city's name, or `--registry`), so
files of many registries union without clashes.

Both the writer and the query engine are DuckDB (the optional extra `baosong[analysis]`, no other
dependency): rows go to DuckDB as newline-delimited JSON with every column's type declared, and
`COPY … (FORMAT parquet)` writes standard Parquet (timestamps as TIMESTAMP with isAdjustedToUTC,
integers as INT32, lists and structs nested) that pyarrow, pandas or Spark read as well. pyarrow
alone would be a larger install (about 50 MB wheel against DuckDB's 21 MB) and DuckDB is needed for
the queries anyway.

Texts are masked like in every other export (`privacy.mask`).
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from baosong.exports import ExportError, context_scores
from baosong.portal.common import received_month
from baosong.portal.model import Context
from baosong.privacy import mask
from baosong.scoring import FINDINGS, Period, json_number, period_table
from baosong.vocab import CATEGORY_ZH

INSTALL_HINT = "请先安装分析组件：pip install 'baosong[analysis]'（即 DuckDB）。"
PROVINCE_SQL = "province.sql"

# Column name -> DuckDB type; the order is the file's column order. Times are TIMESTAMPTZ (stored as
# UTC instants), counts INTEGER, money DOUBLE.
REPORT_COLUMNS: dict[str, str] = {
    "registry": "VARCHAR", "registry_name": "VARCHAR", "id": "VARCHAR", "path": "VARCHAR", "unit": "VARCHAR",
    "unit_name": "VARCHAR", "kind": "VARCHAR", "stage": "VARCHAR", "incident": "VARCHAR", "sequence": "INTEGER",
    "title": "VARCHAR", "category": "VARCHAR", "category_name": "VARCHAR", "grade_declared": "VARCHAR",
    "grade_computed": "VARCHAR", "occurred_at": "TIMESTAMPTZ", "discovered_at": "TIMESTAMPTZ",
    "received_at": "TIMESTAMPTZ", "time_source": "VARCHAR", "attested": "BOOLEAN", "catch_up": "BOOLEAN",
    "deadline_at": "TIMESTAMPTZ", "deadline_rule": "VARCHAR", "missed_at": "TIMESTAMPTZ", "status": "VARCHAR",
    "delay_minutes": "INTEGER", "delay_reason": "VARCHAR", "phone_deadline_at": "TIMESTAMPTZ",
    "phone_status": "VARCHAR", "author": "VARCHAR", "signer": "VARCHAR", "signature": "VARCHAR",
    "commit": "VARCHAR", "blob": "VARCHAR", "created_at": "TIMESTAMPTZ", "forwarded_from_registry": "VARCHAR",
    "forwarded_from_id": "VARCHAR", "forwarded_from_received_at": "TIMESTAMPTZ",
}

UPWARD_TYPE = ('STRUCT("to" VARCHAR, rule VARCHAR, due_at TIMESTAMPTZ, done_at TIMESTAMPTZ, status VARCHAR, '
               "delay_minutes INTEGER, delay_reason VARCHAR)[]")

INCIDENT_COLUMNS: dict[str, str] = {
    "registry": "VARCHAR", "registry_name": "VARCHAR", "id": "VARCHAR", "unit": "VARCHAR", "unit_name": "VARCHAR",
    "title": "VARCHAR", "category": "VARCHAR", "category_name": "VARCHAR", "grade": "VARCHAR",
    "grade_computed": "VARCHAR", "occurred_at": "TIMESTAMPTZ", "opened_at": "TIMESTAMPTZ",
    "closed_at": "TIMESTAMPTZ", "reports": "VARCHAR[]", "first_status": "VARCHAR", "late_reports": "INTEGER",
    "missed_reports": "INTEGER", "overdue": "BOOLEAN", "next_followup": "INTEGER",
    "next_followup_due": "TIMESTAMPTZ", "missed_followup": "INTEGER", "missed_followup_at": "TIMESTAMPTZ",
    "silent_units": "VARCHAR[]", "deaths": "INTEGER", "serious_injuries": "INTEGER", "injuries": "INTEGER",
    "missing": "INTEGER", "economic_loss": "DOUBLE", "upward": UPWARD_TYPE,
}

SCORE_COLUMNS: dict[str, str] = {
    "registry": "VARCHAR", "registry_name": "VARCHAR", "period": "VARCHAR", "rank": "INTEGER", "unit": "VARCHAR",
    "unit_name": "VARCHAR", "emergency": "INTEGER", "incidents": "INTEGER", "info": "INTEGER",
    "opinion": "INTEGER", "quota_items": "INTEGER", "quota": "INTEGER", "shortfall": "INTEGER",
    "adopted": "INTEGER", "instructed": "INTEGER",
    **{f"{k}_count": "INTEGER" for k in FINDINGS},
    "adoption_points": "DOUBLE", "instruction_points": "DOUBLE", "shortfall_points": "DOUBLE",
    **{f"{k}_points": "DOUBLE" for k in FINDINGS},
    "total": "DOUBLE",
}

TABLES: dict[str, tuple[str, ...]] = {"register": ("reports", "incidents"), "scores": ("scores",)}
COLUMNS: dict[str, dict[str, str]] = {"reports": REPORT_COLUMNS, "incidents": INCIDENT_COLUMNS,
                                      "scores": SCORE_COLUMNS}


@dataclass
class Written:
    table: str
    path: Path
    rows: int


def duckdb_module() -> Any:
    """The duckdb module, or ExportError (Chinese, with the install command) when it is missing."""
    try:
        import duckdb
    except ImportError as exc:
        raise ExportError("未安装 DuckDB，无法导出或分析 Parquet 文件。" + INSTALL_HINT) from exc
    return duckdb


def registry_id(ctx: Context, override: str | None = None) -> str:
    """The registry's id for the `registry` column: the override, else units.yaml `registry.id`,
    else the city's name (a registry without an id still unions with others by its city)."""
    if override:
        return override
    doc = getattr(ctx.config, "units_doc", None) or {}
    reg = doc.get("registry") if isinstance(doc, dict) else None
    if isinstance(reg, dict) and isinstance(reg.get("id"), str) and reg["id"]:
        return reg["id"]
    return ctx.city or "registry"


def _text(value: Any) -> str | None:
    return mask(value) if isinstance(value, str) else None if value is None else mask(str(value))


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _in_period(ctx: Context, period: Period | None) -> set[str] | None:
    """Ids of the reports received in the period (as the register export chooses); None: all."""
    if period is None:
        return None
    months = set(period.months)
    return {r.id for r in ctx.register.reports if r.id and received_month(ctx, r) in months}


def report_rows(ctx: Context, period: Period | None = None, registry: str | None = None) -> list[dict]:
    """One typed row per report of the register (received in `period`), texts masked."""
    wanted = _in_period(ctx, period)
    reg, name = registry_id(ctx, registry), mask(ctx.city)
    out = []
    for r in ctx.register.reports:
        if wanted is not None and r.id not in wanted:
            continue
        fwd = r.forwarded_from or {}
        out.append({
            "registry": reg, "registry_name": name, "id": _text(r.id), "path": _text(r.path),
            "unit": _text(r.unit), "unit_name": _text(ctx.unit_name(r.unit)),
            "kind": r.kind, "stage": r.stage, "incident": _text(r.incident),
            "sequence": _int(r.sequence), "title": _text(r.title), "category": r.category,
            "category_name": CATEGORY_ZH.get(r.category or "") if r.category else None,
            "grade_declared": r.grade_declared, "grade_computed": r.grade_computed,
            "occurred_at": r.occurred_at, "discovered_at": r.discovered_at,
            "received_at": r.received_at, "time_source": r.time_source,
            "attested": r.attested, "catch_up": r.catch_up,
            "deadline_at": r.deadline_at, "deadline_rule": _text(r.deadline_rule),
            "missed_at": r.missed_at, "status": r.status, "delay_minutes": _int(r.delay_minutes),
            "delay_reason": _text(r.delay_reason), "phone_deadline_at": r.phone_deadline_at,
            "phone_status": r.phone_status, "author": _text(r.author),
            "signer": _text(r.signer), "signature": r.signature, "commit": r.commit,
            "blob": r.blob, "created_at": r.created_at,
            "forwarded_from_registry": _text(fwd.get("registry")), "forwarded_from_id": _text(fwd.get("id")),
            "forwarded_from_received_at": fwd.get("received_at"),
        })
    return out


def _upward(items: Iterable[dict]) -> list[dict]:
    """The incident's upward duties (`IncidentRecord.upward`, `UpwardDuty.to_json` dicts), each typed."""
    return [{"to": _text(u.get("to")), "rule": _text(u.get("rule")), "due_at": u.get("due_at"),
             "done_at": u.get("done_at"), "status": u.get("status"),
             "delay_minutes": _int(u.get("delay_minutes")), "delay_reason": _text(u.get("delay_reason"))}
            for u in items]


def incident_rows(ctx: Context, period: Period | None = None, registry: str | None = None) -> list[dict]:
    """One typed row per incident whose first report was received in `period`, texts masked."""
    wanted = _in_period(ctx, period)
    reg, name = registry_id(ctx, registry), mask(ctx.city)
    out = []
    for i in ctx.register.incidents:
        if wanted is not None and i.id not in wanted:
            continue
        figures = i.figures
        missed = i.missed_followup
        out.append({
            "registry": reg, "registry_name": name, "id": _text(i.id), "unit": _text(i.unit),
            "unit_name": _text(ctx.unit_name(i.unit)), "title": _text(i.title),
            "category": i.category,
            "category_name": CATEGORY_ZH.get(i.category or "") if i.category else None,
            "grade": i.grade, "grade_computed": i.grade_computed, "occurred_at": i.occurred_at,
            "opened_at": i.opened_at, "closed_at": i.closed_at,
            "reports": [mask(x) for x in i.reports],
            "first_status": i.first_status, "late_reports": _int(i.late_reports),
            "missed_reports": _int(i.missed_reports), "overdue": i.overdue,
            "next_followup": _int(i.next_followup), "next_followup_due": i.next_followup_due,
            "missed_followup": missed.sequence if missed else None,
            "missed_followup_at": missed.missed_at if missed else None,
            "silent_units": [mask(x) for x in i.silent_units],
            "deaths": _int(figures.get("deaths")), "serious_injuries": _int(figures.get("serious_injuries")),
            "injuries": _int(figures.get("injuries")), "missing": _int(figures.get("missing")),
            "economic_loss": _number(figures.get("economic_loss")), "upward": _upward(i.upward),
        })
    return out


def score_rows(ctx: Context, period: Period, registry: str | None = None) -> list[dict]:
    """The period's score table: one typed row per unit (the ranking of `baosong export --what scores`)."""
    table = period_table(context_scores(ctx), period)
    reg, name = registry_id(ctx, registry), mask(ctx.city)
    out = []
    for r in table["rows"]:
        c, p = r["counts"], r["points"]
        out.append({
            "registry": reg, "registry_name": name, "period": period.key, "rank": r["rank"], "unit": mask(r["unit"]),
            "unit_name": _text(r["name"]), "emergency": c["emergency"], "incidents": c["incidents"],
            "info": c["info"], "opinion": c["opinion"], "quota_items": c["quota_items"], "quota": r["quota"],
            "shortfall": r["shortfall"], "adopted": r["adopted"], "instructed": r["instructed"],
            **{f"{k}_count": r["offences"][k] for k in FINDINGS},
            "adoption_points": json_number(p["adoption"]), "instruction_points": json_number(p["instruction"]),
            "shortfall_points": json_number(p["shortfall"]),
            **{f"{k}_points": json_number(p[k]) for k in FINDINGS},
            "total": json_number(r["total"]),
        })
    return out


def table_rows(ctx: Context, table: str, period: Period, registry: str | None = None) -> list[dict]:
    if table == "reports":
        return report_rows(ctx, period, registry)
    if table == "incidents":
        return incident_rows(ctx, period, registry)
    return score_rows(ctx, period, registry)


def _json_default(value: object) -> str:
    from datetime import datetime

    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def write_parquet(rows: Iterable[dict], columns: dict[str, str], out: Path) -> int:
    """Write rows (dicts with `columns`' keys; times as ISO strings or aware datetimes) as a Parquet
    file with exactly those column types. Returns the number of rows."""
    duckdb = duckdb_module()
    out = Path(out)
    with tempfile.TemporaryDirectory(prefix="baosong-parquet-") as tmp:
        src = Path(tmp) / "rows.jsonl"
        count = 0
        with src.open("w", encoding="utf-8") as fh:
            for row in rows:
                fh.write(json.dumps(row, ensure_ascii=False, default=_json_default))
                fh.write("\n")
                count += 1
        con = duckdb.connect()
        try:
            # UTC, so that the zone of the machine never enters the file (instants are stored as UTC anyway).
            con.execute("SET TimeZone = 'UTC'")
            spec = "{" + ", ".join(f"'{name}': '{kind}'" for name, kind in columns.items()) + "}"
            select = ", ".join(f'"{name}"' for name in columns)
            tmp_out = out.with_name(out.name + ".tmp")
            if count:
                source = (f"read_json(?, format = 'newline_delimited', columns = {spec}, "
                          "timestampformat = 'auto')")
                con.execute(f"COPY (SELECT {select} FROM {source}) TO '{_quote(tmp_out)}' "
                            "(FORMAT parquet, COMPRESSION zstd)", [str(src)])
            else:  # an empty table still has its typed columns
                empty = ", ".join(f'CAST(NULL AS {kind}) AS "{name}"' for name, kind in columns.items())
                con.execute(f"COPY (SELECT {empty} LIMIT 0) TO '{_quote(tmp_out)}' (FORMAT parquet)")
        finally:
            con.close()
        tmp_out.replace(out)
    return count


def _quote(path: Path) -> str:
    return str(path).replace("'", "''")


def export_parquet(ctx: Context, what: str, period: Period, out_dir: Path, registry: str | None = None,
                   ) -> list[Written]:
    """`baosong export --format parquet`: the tables of `what` as `<table>.parquet` in `out_dir`."""
    if what not in TABLES:
        raise ExportError("Parquet 格式只用于登记簿（register）和考核积分表（scores）的汇总分析；通报请导出为 "
                          "csv、xlsx 或 json。")
    duckdb_module()
    out_dir = Path(out_dir)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ExportError(f"无法创建导出目录 {out_dir}（{exc.strerror or exc}）。") from exc
    written = []
    for table in TABLES[what]:
        path = out_dir / f"{table}.parquet"
        count = write_parquet(table_rows(ctx, table, period, registry), COLUMNS[table], path)
        written.append(Written(table, path, count))
    return written


# ------------------------------------------------------------------------------------------------
# Queries over many registries' exports


@dataclass
class Query:
    name: str
    title: str
    sql: str


@dataclass
class Result:
    query: Query
    columns: list[str]
    rows: list[tuple]


def shipped_sql(name: str = PROVINCE_SQL) -> str:
    return (resources.files("baosong") / "assets" / "analysis" / name).read_text(encoding="utf-8")


def parse_queries(text: str, source: str = PROVINCE_SQL) -> list[Query]:
    """The queries of a SQL file: each starts at a `-- name: NAME` line, optionally followed by
    `-- title: 标题`, and ends with `;`. Text before the first name (comments) is ignored."""
    queries: list[Query] = []
    name = title = ""
    body: list[str] = []

    def close() -> None:
        sql = "\n".join(body).strip().rstrip(";").strip()
        if name and sql:
            queries.append(Query(name, title or name, sql))

    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("-- name:"):
            close()
            name, title, body = stripped.split(":", 1)[1].strip(), "", []
        elif stripped.startswith("-- title:") and name and not body:
            title = stripped.split(":", 1)[1].strip()
        elif name:
            body.append(line)
    close()
    if not queries:
        raise ExportError(f"{source} 中没有查询：每个查询以“-- name: 名称”一行开始，以分号结束。")
    return queries


def find_exports(paths: Iterable[Path]) -> dict[str, list[Path]]:
    """`<table>.parquet` files under the given directories (any depth) or given directly, by table."""
    found: dict[str, list[Path]] = {t: [] for t in COLUMNS}
    for p in paths:
        p = Path(p)
        if p.is_file() and p.suffix == ".parquet" and p.stem in found:
            found[p.stem].append(p)
        elif p.is_dir():
            for table in found:
                found[table].extend(sorted(p.rglob(f"{table}.parquet")))
        else:
            raise ExportError(f"找不到 {p}：请给出存放各登记库 Parquet 导出文件的目录（baosong export --format "
                              "parquet 的 --out 目录）。")
    if not found["reports"]:
        raise ExportError("在所给目录中没有找到 reports.parquet。先在各登记库运行 baosong export --what register "
                          "--format parquet，再把导出目录放到一起。")
    return found


def connect(files: dict[str, list[Path]]) -> Any:
    """An in-memory DuckDB with one view per table over all given files (`union_by_name`: exports of
    older and newer versions union, a missing column reads as NULL). A table without files is an
    empty view of its typed columns, so every shipped query runs."""
    duckdb = duckdb_module()
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    for table, columns in COLUMNS.items():
        paths = [str(p) for p in files.get(table, [])]
        if paths:
            listed = ", ".join("'" + p.replace("'", "''") + "'" for p in paths)
            con.execute(f"CREATE VIEW {table} AS SELECT * FROM read_parquet([{listed}], union_by_name = true)")
        else:
            empty = ", ".join(f'CAST(NULL AS {kind}) AS "{name}"' for name, kind in columns.items())
            con.execute(f"CREATE VIEW {table} AS SELECT {empty} LIMIT 0")
    return con


def run_queries(con: Any, queries: list[Query], timezone: str = "Asia/Shanghai") -> list[Result]:
    """Run the queries; times are shown in `timezone` (the province's local time)."""
    duckdb = duckdb_module()
    try:
        con.execute("SET TimeZone = ?", [timezone])
    except duckdb.Error as exc:
        raise ExportError(f"时区“{timezone}”无效：请写 IANA 时区名，如 Asia/Shanghai。") from exc
    results = []
    for q in queries:
        try:
            rel = con.execute(q.sql)
        except duckdb.Error as exc:
            raise ExportError(f"查询“{q.title}”（{q.name}）执行失败：{exc}") from exc
        results.append(Result(q, [d[0] for d in rel.description], rel.fetchall()))
    return results


__all__ = ["COLUMNS", "INCIDENT_COLUMNS", "REPORT_COLUMNS", "SCORE_COLUMNS", "TABLES", "Query", "Result",
           "Written", "connect", "duckdb_module", "export_parquet", "find_exports", "incident_rows",
           "parse_queries", "registry_id", "report_rows", "run_queries", "score_rows", "shipped_sql",
           "write_parquet"]
