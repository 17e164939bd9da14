"""SQL takes values as bound parameters only (issue 14, item 4): no session variables as hidden
parameters, one way of filling templates (`stores.sql.fill`), and hostile values pass through."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import duckdb
import pytest

from persons.ids import assign_person_ids
from profiles.flags import build_flags
from stores.sql import Constant, Fragment, Identifier, fill

ROOT = Path(__file__).resolve().parents[1]
STAGES = ("stores", "sources", "standardise", "matching", "persons", "profiles",
          "expectations", "publish", "assets")
# Every package that may hold SQL, for the f-string scan (the stages, the Dagster layer, the CLI).
SQL_PACKAGES = (*STAGES, "judgements", "audit", "access", "pipelines", "foto", "config")

HOSTILE = ["x'); DROP TABLE clusters; --", "O'Brien", "back\\slash\\", "ünï©ødé 名前 🙂",
           "$run_id", "?", "{tv_re}", "'' OR 1=1 --"]


def _stage_files() -> list[Path]:
    return [p for pkg in STAGES for p in sorted((ROOT / pkg).rglob("*.py"))]


def test_no_session_variables_in_the_stages() -> None:
    offenders = [str(p.relative_to(ROOT)) for p in _stage_files()
                 if "getvariable" in p.read_text(encoding="utf-8").lower()
                 or "set variable" in p.read_text(encoding="utf-8").lower()]
    assert offenders == []


def _is_sql_text(node: ast.AST) -> bool:
    """A string constant (or f-string) that reads as SQL."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        text = node.value
    elif isinstance(node, ast.JoinedStr):
        text = "".join(v.value for v in node.values
                       if isinstance(v, ast.Constant) and isinstance(v.value, str))
    else:
        return False
    upper = text.upper()
    return any(k in upper for k in ("SELECT ", "FROM ", "WHERE ", "CREATE ", "MACRO "))


def test_no_format_or_replace_on_sql_text() -> None:
    """`.format(` / `.replace(` on SQL (or on a *_SQL / SQL dict constant) would be a second way
    of filling templates; `stores.sql.fill` is the one."""
    offenders = []
    for path in [p for pkg in SQL_PACKAGES for p in sorted((ROOT / pkg).rglob("*.py"))]:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr in ("format", "replace")):
                target = node.func.value
                named_sql = (isinstance(target, ast.Name | ast.Subscript)
                             and "SQL" in ast.unparse(target).upper().split("[")[0])
                if _is_sql_text(target) or named_sql:
                    offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert offenders == []


def test_fill_takes_checked_parts_only() -> None:
    with pytest.raises(TypeError):
        fill("SELECT * FROM {t}", t="x; DROP TABLE y")  # type: ignore[arg-type]
    for bad in ["a b", "x'); DROP TABLE y; --", "1abc", "a.b.c", "naïve", ""]:
        with pytest.raises(ValueError):
            Identifier(bad)
    with pytest.raises(KeyError):
        fill("SELECT {missing}")
    assert fill("SELECT {c} FROM {t}", c=Constant("it's \\ ok"), t=Identifier("main.x")) == \
        "SELECT 'it''s \\ ok' FROM \"main\".\"x\""
    assert fill("{f}", f=Fragment("a + b")) == "a + b"


@pytest.mark.parametrize("value", HOSTILE)
def test_constant_round_trips_any_text(value: str) -> None:
    con = duckdb.connect()
    assert con.execute(fill("SELECT {v}", v=Constant(value))).fetchall()[0][0] == value


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_record_ids_and_run_ids_pass_through_person_ids(value: str) -> None:
    con = duckdb.connect()
    con.execute("""CREATE TABLE clusters AS SELECT * FROM (VALUES (?, 'c1'), ('plain', 'c2'))
                   t(unique_id, cluster_id)""", [value])
    con.execute("CREATE TABLE prev_person_records (unique_id VARCHAR, person_id VARCHAR)")
    con.execute("INSERT INTO prev_person_records VALUES (?, 'P1'), ('plain', 'P1')", [value])
    con.execute("""CREATE TABLE prev_id_history (old_id VARCHAR, new_id VARCHAR, change VARCHAR,
        records_moved BIGINT, run_id VARCHAR, delivery VARCHAR, recorded_at TIMESTAMPTZ)""")
    assign_person_ids(con, value, value)
    assert con.execute("SELECT count(*) FROM clusters").fetchall()[0][0] == 2
    history = con.execute("SELECT run_id, delivery FROM id_history").fetchall()
    assert history and all(r == (value, value) for r in history)


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_names_and_ids_pass_through_flags(value: str) -> None:
    con = duckdb.connect()
    con.execute("""CREATE TABLE events AS SELECT ? AS person_id, ? AS record_id,
        DATE '2026-05-01' AS event_date, 'politieregistratie' AS event_type,
        'verdachte' AS role, ? AS description, 'open' AS status, ? AS reference,
        true AS domestic_violence, NULL::VARCHAR AS sash_risk""", [value, value, value, value])
    con.execute("CREATE TABLE person_records (person_id VARCHAR, unique_id VARCHAR,"
                " source VARCHAR, record_id VARCHAR)")
    con.execute("CREATE TABLE std_persons (unique_id VARCHAR, dob DATE, dob_year INTEGER)")
    con.execute("CREATE TABLE relations (person_id VARCHAR, related_id VARCHAR, kind VARCHAR,"
                " evidence_record_ids VARCHAR[])")
    con.execute("CREATE TABLE raw_justice (record_id VARCHAR, status_datum DATE,"
                " toezicht_einddatum DATE, toezicht_reclassering BOOLEAN, contactverbod BOOLEAN,"
                " zaak_status VARCHAR)")
    assert build_flags(con, "2026-06-01") == 1
    assert con.execute("SELECT person_id, evidence_record_ids FROM flags").fetchall() == \
        [(value, [value])]


# Words that make an f-string's literal text read as SQL.
_SQL_WORDS = re.compile(r"\b(FROM|JOIN|TABLE|INTO|SELECT|UPDATE|DELETE|ATTACH)\b", re.IGNORECASE)

# f-strings the scan lets pass: (file, a phrase of the f-string's literal text). Each is a
# message for people, not SQL; the SQL words in them are English.
F_STRING_ALLOWED = {
    # a refusal's text: the type mismatch of a table's column ("another type than declared")
    ("stores/database.py", "hold values of another type than declared"),
    # registry validation messages ("the raw table needs ...", "declares a table ...")
    ("sources/registry.py", "the raw table needs record_id"),
    ("sources/registry.py", "declares a table already declared"),
    # an asset's description for the Dagster UI ("one row per accepted record")
    ("assets/ingest.py", "Canonical person records from"),
    # a log line: a source file missing from a delivery ("using the one of <date>")
    ("assets/ingest.py", "is missing from delivery"),
    # the scrubbed error's text ("may hold a value from the delivery")
    ("assets/scrub.py", "the error's text is not shown"),
    # console lines of the run summary ("written to", "missing from delivery")
    ("foto/summary.py", "and made this home's current model"),
    ("foto/summary.py", "missing from delivery"),
}


def sql_f_strings(path: Path, root: Path) -> list[str]:
    """`file:line` of each f-string in `path` whose literal text reads as SQL and that
    `F_STRING_ALLOWED` does not name: SQL text is built by `stores.sql.fill`, which checks
    every part, never by pasting a Python value."""
    name = path.relative_to(root).as_posix()
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.JoinedStr):
            continue
        text = "".join(v.value for v in node.values
                       if isinstance(v, ast.Constant) and isinstance(v.value, str))
        if _SQL_WORDS.search(text) and not any(
                file == name and phrase in text for file, phrase in F_STRING_ALLOWED):
            found.append(f"{name}:{node.lineno}")
    return found


def test_no_sql_f_strings() -> None:
    """No f-string pastes a name or value into SQL in any package (issue 14, item 4)."""
    files = [p for pkg in SQL_PACKAGES for p in sorted((ROOT / pkg).rglob("*.py"))]
    assert len(files) > 50   # the scan sees the packages
    offenders = [hit for p in files for hit in sql_f_strings(p, ROOT)]
    assert offenders == [], f"SQL built with f-strings (use stores.sql.fill): {offenders}"


def test_every_allowed_f_string_still_exists() -> None:
    """An allow-list entry whose f-string is gone is removed, so the list stays short."""
    for file, phrase in F_STRING_ALLOWED:
        tree = ast.parse((ROOT / file).read_text(encoding="utf-8"))
        texts = ["".join(v.value for v in n.values if isinstance(v, ast.Constant))
                 for n in ast.walk(tree) if isinstance(n, ast.JoinedStr)]
        assert any(phrase in t for t in texts), (file, phrase)


@pytest.mark.parametrize("line", [
    'count = f"SELECT count(*) FROM {table}"',
    'sql = f"""CREATE TABLE raw_{source} AS SELECT 1"""',
    'q = (f"... " f"from {name}")',
    "con.execute(f'DELETE FROM x WHERE id = {rid}')",
    'a = f"ATTACH \'{path}\' AS wh"',
    'u = f"update {t} set a = 1"',
])
def test_the_scan_finds_a_planted_sql_f_string(tmp_path: Path, line: str) -> None:
    module = tmp_path / "stage" / "bad.py"
    module.parent.mkdir()
    module.write_text(f"table = source = name = rid = path = t = 'x'\n{line}\n",
                      encoding="utf-8")
    assert sql_f_strings(module, tmp_path) == ["stage/bad.py:2"]


def test_the_scan_lets_messages_and_fill_pass(tmp_path: Path) -> None:
    module = tmp_path / "ok.py"
    module.write_text('n = 3\nmsg = f"read {n} rows"\n'
                      'sql = fill("SELECT count(*) FROM {t}", t=Identifier("x"))\n',
                      encoding="utf-8")
    assert sql_f_strings(module, tmp_path) == []
