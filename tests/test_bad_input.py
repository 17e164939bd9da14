"""The bad-input corpus: labelled broken deliveries, each run through a real `foto run`.

Every case starts from a home whose last publication came from a good delivery of the same
inbox, breaks one thing in the next day's delivery, and states:
  - the outcome: `quarantined` (the bad rows are set aside, the rest is published),
    `nulled` (a bad value is nulled and logged at field level, its record kept and published),
    `accepted` (nothing to set aside, the value is handled safely) or `blocked` (nothing is
    published);
  - the message an operator sees (in the run's summary or its quality report);
and checks that rows read = accepted + quarantined (+ withheld melders) = the file's own count
for every source, that a value the case names (`absent`: a melder's name) is stored nowhere in
the warehouse, and that the previous publication is still there and whole.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.conftest import foto, load_generator

BASE_DAY, NEXT_DAY = "2026-11-27", "2026-11-28"
POLICE, JUSTICE = "police_persons.csv", "justice_cases.parquet"
CARE, MUNICIPAL = "care_reports.jsonl", "municipal_brp.csv"


@dataclass(frozen=True)
class Case:
    name: str
    breaks: Callable[[Path], None]   # mutates the next day's delivery folder
    outcome: str                     # quarantined | accepted | blocked
    message: str                     # what the operator reads (summary or quality report)
    source: str = ""                 # the source whose counts the case changes
    absent: str = ""                 # a value that must not be stored (e.g. a melder's name)


# ---- helpers that edit one file the way a partner's broken export would -----------------

def _lines(path: Path, encoding: str) -> list[str]:
    return path.read_bytes().decode(encoding).splitlines()


def _write_lines(path: Path, lines: list[str], encoding: str) -> None:
    path.write_bytes(("\n".join(lines) + "\n").encode(encoding))


def _edit_csv_field(file: str, encoding: str, delimiter: str, line: int, field: str,
                    value: str) -> Callable[[Path], None]:
    """Set one field of one data line (line 2 is the first data line)."""
    def breaks(day: Path) -> None:
        lines = _lines(day / file, encoding)
        header = lines[0].split(delimiter)
        cells = lines[line - 1].split(delimiter)
        cells[header.index(field)] = value
        lines[line - 1] = delimiter.join(cells)
        _write_lines(day / file, lines, encoding)
    return breaks


def _edit_csv_column(file: str, encoding: str, delimiter: str, field: str, value: str,
                     every: int) -> Callable[[Path], None]:
    """Set one field on every `every`-th data line."""
    def breaks(day: Path) -> None:
        lines = _lines(day / file, encoding)
        index = lines[0].split(delimiter).index(field)
        out = [lines[0]]
        for i, line in enumerate(lines[1:]):
            cells = line.split(delimiter)
            if i % every == 0:
                cells[index] = value
            out.append(delimiter.join(cells))
        _write_lines(day / file, out, encoding)
    return breaks


def _police(line: int, field: str, value: str) -> Callable[[Path], None]:
    return _edit_csv_field(POLICE, "cp1252", ";", line, field, value)


def _municipal(line: int, field: str, value: str) -> Callable[[Path], None]:
    return _edit_csv_field(MUNICIPAL, "utf-8", ",", line, field, value)


def _replace_bytes(file: str, old: bytes, new: bytes) -> Callable[[Path], None]:
    def breaks(day: Path) -> None:
        (day / file).write_bytes((day / file).read_bytes().replace(old, new))
    return breaks


def _reencode(file: str, src: str, dst: str) -> Callable[[Path], None]:
    def breaks(day: Path) -> None:
        text = (day / file).read_bytes().decode(src)
        (day / file).write_bytes(text.encode(dst, errors="replace"))
    return breaks


def _drop_column(file: str, encoding: str, delimiter: str, field: str) -> Callable[[Path], None]:
    def breaks(day: Path) -> None:
        lines = _lines(day / file, encoding)
        index = lines[0].split(delimiter).index(field)
        _write_lines(day / file, [delimiter.join(c for i, c in enumerate(line.split(delimiter))
                                                 if i != index) for line in lines], encoding)
    return breaks


def _add_column(file: str, encoding: str, delimiter: str) -> Callable[[Path], None]:
    def breaks(day: Path) -> None:
        lines = _lines(day / file, encoding)
        _write_lines(day / file, [lines[0] + delimiter + "extra"]
                     + [line + delimiter + "x" for line in lines[1:]], encoding)
    return breaks


def _keep_lines(file: str, encoding: str, keep: Callable[[int, int], bool]
                ) -> Callable[[Path], None]:
    """Keep the header and the data lines for which keep(index, count) holds."""
    def breaks(day: Path) -> None:
        lines = _lines(day / file, encoding)
        data = lines[1:]
        _write_lines(day / file, [lines[0]] + [d for i, d in enumerate(data)
                                               if keep(i, len(data))], encoding)
    return breaks


def _duplicate_line(file: str, encoding: str, line: int) -> Callable[[Path], None]:
    def breaks(day: Path) -> None:
        lines = _lines(day / file, encoding)
        _write_lines(day / file, lines + [lines[line - 1]], encoding)
    return breaks


def _write_bytes(file: str, data: bytes) -> Callable[[Path], None]:
    def breaks(day: Path) -> None:
        (day / file).write_bytes(data)
    return breaks


def _remove(file: str) -> Callable[[Path], None]:
    def breaks(day: Path) -> None:
        (day / file).unlink()
    return breaks


def _truncate(file: str) -> Callable[[Path], None]:
    def breaks(day: Path) -> None:
        data = (day / file).read_bytes()
        (day / file).write_bytes(data[: len(data) // 2])
    return breaks


def _justice_table(change: Callable[[pa.Table], pa.Table]) -> Callable[[Path], None]:
    def breaks(day: Path) -> None:
        pq.write_table(change(pq.read_table(day / JUSTICE)), day / JUSTICE)
    return breaks


def _justice_as_text(table: pa.Table) -> pa.Table:
    index = table.schema.get_field_index("geboortedatum")
    return table.set_column(index, "geboortedatum",
                            pa.array([None if v is None else v.strftime("%d-%m-%Y")
                                      for v in table["geboortedatum"].to_pylist()]))


def _care_line(line: int, edit: Callable[[dict], dict | str]) -> Callable[[Path], None]:
    def breaks(day: Path) -> None:
        lines = _lines(day / CARE, "utf-8")
        new = edit(json.loads(lines[line - 1]))
        lines[line - 1] = new if isinstance(new, str) else json.dumps(new, ensure_ascii=False)
        _write_lines(day / CARE, lines, "utf-8")
    return breaks


def _care_person(person: dict, **changes) -> dict:
    return person | changes


def _care_first_person(**changes) -> Callable[[dict], dict]:
    def edit(report: dict) -> dict:
        people = [p for p in report["betrokkenen"]]
        people[0] = _care_person(people[0], **changes)
        return report | {"betrokkenen": people}
    return edit


HTML_NAME = "<script>alert('foto')</script>"
SQL_NAME = "Robert'); DROP TABLE person_records;--"

CASES = [
    # police: CSV, ';', Windows-1252
    Case("police_wrong_delimiter", _replace_bytes(POLICE, b";", b","), "blocked",
         "raw_police.file_accepted", "police"),
    Case("police_utf8_instead_of_cp1252",
         lambda d: (_police(2, "achternaam", "Çelik")(d), _reencode(POLICE, "cp1252", "utf-8")(d)),
         "blocked", "UTF-8", "police"),
    Case("police_missing_column", _drop_column(POLICE, "cp1252", ";", "geslacht"), "blocked",
         "raw_police.file_accepted", "police"),
    Case("police_extra_column", _add_column(POLICE, "cp1252", ";"), "blocked",
         "raw_police.file_accepted", "police"),
    Case("police_row_with_too_few_fields",
         lambda d: _write_lines(d / POLICE, _lines(d / POLICE, "cp1252")[:-1]
                                + [";".join(_lines(d / POLICE, "cp1252")[-1].split(";")[:9])],
                                "cp1252"),
         "quarantined", "(row)", "police"),
    Case("police_birth_date_in_future", _police(2, "geboortedatum", "01-01-2099"),
         "nulled", "birth date after the delivery date", "police"),
    Case("police_impossible_date", _police(3, "geboortedatum", "31-02-1985"), "nulled",
         "not a valid date (dd-mm-jjjj)", "police"),
    Case("police_role_outside_contract", _police(4, "rol", "dader"), "nulled",
         "value outside the contract", "police"),
    Case("police_stray_quote_in_surname", _police(3, "achternaam", '"de Vries'),
         "quarantined", "broken quoting", "police"),
    Case("police_utf8_byte_order_mark", lambda d: (d / POLICE).write_bytes(
        b"\xef\xbb\xbf" + (d / POLICE).read_bytes()), "blocked", "byte order mark", "police"),
    Case("police_cr_only_line_endings", lambda d: (d / POLICE).write_bytes(
        (d / POLICE).read_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r")),
         "accepted", "gate: passed", "police"),
    Case("police_duplicate_record_id", _duplicate_line(POLICE, "cp1252", 5), "quarantined",
         "record_id occurs more than once", "police"),
    Case("police_invalid_bsn", _police(2, "bsn", "123456789"), "accepted",
         "bsn_valid_share", "police"),
    Case("police_name_with_html", _police(2, "achternaam", HTML_NAME), "accepted",
         "gate: passed", "police"),
    Case("police_name_with_sql", _police(3, "achternaam", SQL_NAME), "accepted",
         "gate: passed", "police"),
    Case("police_empty_file", _write_bytes(POLICE, b""), "blocked",
         "raw_police.file_accepted", "police"),
    Case("police_header_only", _keep_lines(POLICE, "cp1252", lambda i, n: False), "blocked",
         "raw_police.rows_accepted", "police"),
    Case("police_90_percent_fewer_rows", _keep_lines(POLICE, "cp1252", lambda i, n: i % 10 == 0),
         "blocked", "raw_police.rows_vs_previous_delivery", "police"),
    Case("police_postcodes_not_dutch",
         _edit_csv_column(POLICE, "cp1252", ";", "postcode", "B-1000", every=1), "blocked",
         "std_persons.postcode_lost_share", "police"),
    Case("police_file_missing", _remove(POLICE), "accepted",
         f"police: missing from delivery {NEXT_DAY}; the delivery of {BASE_DAY} was used",
         "police"),
    Case("police_file_is_a_png", _write_bytes(POLICE, b"\x89PNG\r\n\x1a\n" + bytes(range(256))),
         "blocked", "raw_police.file_accepted", "police"),
    # justice: Parquet with a typed schema
    Case("justice_truncated_parquet", _truncate(JUSTICE), "blocked",
         "not a readable Parquet file", "justice"),
    Case("justice_csv_named_parquet", _write_bytes(JUSTICE, b"record_id,bsn\n1,2\n"),
         "blocked", "not a readable Parquet file", "justice"),
    Case("justice_birth_date_as_text", _justice_table(_justice_as_text), "blocked",
         "column geboortedatum has type string", "justice"),
    Case("justice_missing_column", _justice_table(lambda t: t.drop_columns(["feit"])),
         "blocked", "column(s) missing", "justice"),
    # care: JSON Lines with nested persons
    Case("care_invalid_json_line", _care_line(2, lambda r: json.dumps(r)[:40]), "quarantined",
         "not valid JSON", "care"),
    Case("care_persons_not_a_list", _care_line(3, lambda r: r | {"betrokkenen": "pleger"}),
         "quarantined", "betrokkenen</td><td>not a list</td>", "care"),
    Case("care_birth_date_in_future", _care_line(4, _care_first_person(geboortedatum="2090")),
         "nulled", "birth date after the delivery date", "care"),
    Case("care_birth_date_sql_would_refuse",
         _care_line(2, _care_first_person(geboortedatum="1987-12- 5")), "nulled",
         "not an ISO date or a year", "care"),
    Case("care_melder_role_capitalised",
         _care_line(3, _care_first_person(rol=" Melder ", naam="Kees Meldersma")), "accepted",
         "gate: passed", "care", absent="Meldersma"),
    Case("care_latin1_encoding",
         lambda d: (_care_line(1, _care_first_person(naam="Zoë Çelik"))(d),
                    _reencode(CARE, "utf-8", "latin-1")(d)),
         "blocked", "not valid UTF-8", "care"),
    # municipal: CSV, ',', UTF-8
    Case("municipal_cp1252_encoding",
         lambda d: (_municipal(2, "geslachtsnaam", "Çelik")(d),
                    _reencode(MUNICIPAL, "utf-8", "cp1252")(d)),
         "blocked", "not valid utf-8", "municipal"),
    Case("municipal_age_over_110", _municipal(2, "geboortedatum", "18800101"), "nulled",
         "birth date more than 110 years before the delivery date", "municipal"),
    Case("municipal_sex_outside_contract", _municipal(3, "geslacht", "X"), "nulled",
         "value outside the contract", "municipal"),
    Case("municipal_bsns_fail_the_11_proef",
         _edit_csv_column(MUNICIPAL, "utf-8", ",", "bsn", "123456789", every=1),
         "blocked", "raw_municipal.bsn_valid_share", "municipal"),
    Case("municipal_one_in_eight_dates_broken",
         _edit_csv_column(MUNICIPAL, "utf-8", ",", "geboortedatum", "19841345", every=8),
         "nulled", "gate warning: raw_municipal.values_nulled_share", "municipal"),
]


# ---- the runs -----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(inbox, home): a generated delivery, published once; the corpus breaks the next day."""
    root = tmp_path_factory.mktemp("corpus")
    load_generator().generate(400, 31, root / "data", date=BASE_DAY, arrests=0, defects=0.0)
    inbox, home = root / "data" / "inbox", root / "home"
    assert foto("run", "--inbox", str(inbox), "--home", str(home), "--date", BASE_DAY) == 0
    return inbox, home


def _counts(db: Path) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.sql("SELECT source, read, accepted, quarantined, withheld, values_nulled, "
                       "rows_in_file FROM ingest_counts ORDER BY source").fetchall()
    finally:
        con.close()


def _publication_is_whole(publication: Path, persons: int) -> None:
    manifest = json.loads((publication / "triage" / "manifest.json").read_text())
    assert manifest["persons"] == persons
    con = duckdb.connect(str(publication / "warehouse.duckdb"), read_only=True)
    try:
        assert con.sql("SELECT count(*) FROM person").fetchall()[0][0] == persons
    finally:
        con.close()
    assert len(list((publication / "triage").rglob("*.html"))) >= manifest["sheets"]


@pytest.mark.e2e
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_input(case: Case, base: tuple[Path, Path], tmp_path: Path,
                   capsys: pytest.CaptureFixture[str]) -> None:
    inbox, base_home = base
    home = tmp_path / "home"
    shutil.copytree(base_home, home, symlinks=True)
    previous = (home / "published").resolve().parent
    persons = json.loads((previous / "triage" / "manifest.json").read_text())["persons"]
    day = inbox / NEXT_DAY
    shutil.rmtree(day, ignore_errors=True)
    shutil.copytree(inbox / BASE_DAY, day)
    try:
        case.breaks(day)
        capsys.readouterr()
        code = foto("run", "--inbox", str(inbox), "--home", str(home), "--date", NEXT_DAY)
        out = capsys.readouterr().out
    finally:
        shutil.rmtree(day, ignore_errors=True)

    assert code == (1 if case.outcome == "blocked" else 0), out
    report = sorted((home / "reports").glob("*.html"), key=lambda p: p.stat().st_mtime)[-1]
    seen = " ".join((out + report.read_text(encoding="utf-8")).split())
    assert case.message in seen.replace("&#39;", "'").replace("&lt;", "<").replace("&gt;", ">")

    if case.outcome == "blocked":
        assert (home / "published").resolve().parent == previous
        db = next((home / "runs").glob("*/warehouse.duckdb"))
    else:
        assert (home / "published").resolve().parent != previous
        db = home / "warehouse.duckdb"
    counts = _counts(db)
    for source, read, accepted, quarantined, withheld, _nulled, in_file in counts:
        assert read == accepted + quarantined + withheld == in_file, source
    changed = {c[0]: c for c in counts}[case.source]
    if case.outcome == "quarantined":
        assert changed[3] >= 1
    if case.outcome == "nulled":
        assert changed[3] == 0 and changed[5] >= 1
    if case.absent:
        assert not _stored(db, case.absent)
    _publication_is_whole(previous, persons)


def _stored(db: Path, value: str) -> list[str]:
    """The tables of the warehouse whose text columns hold `value` anywhere."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        columns = con.sql("SELECT schema_name, table_name, column_name FROM duckdb_columns() "
                          "WHERE data_type = 'VARCHAR' AND NOT internal").fetchall()
        return [f"{t}.{c}" for s, t, c in columns if con.execute(
            f'SELECT count(*) FROM "{s}"."{t}" WHERE strpos("{c}", ?) > 0', [value]
        ).fetchall()[0][0]]
    finally:
        con.close()


@pytest.mark.e2e
def test_operator_releases_a_genuine_shrink_with_accept(base: tuple[Path, Path], tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]
                                                         ) -> None:
    """A snapshot that really did shrink is blocked, then released for that run alone by
    `--accept`, and the report records the expectation as waived."""
    inbox, base_home = base
    home = tmp_path / "home"
    shutil.copytree(base_home, home, symlinks=True)
    day = inbox / NEXT_DAY
    shutil.copytree(inbox / BASE_DAY, day)
    metric = "raw_police.rows_vs_previous_delivery"
    args = ["run", "--inbox", str(inbox), "--home", str(home), "--date", NEXT_DAY]
    try:
        _keep_lines(POLICE, "cp1252", lambda i, n: i % 3 == 0)(day)
        assert foto(*args) == 1
        capsys.readouterr()
        assert foto(*args, "--accept", metric) == 1   # fewer police records: fewer links
        capsys.readouterr()
        assert foto(*args, "--accept", metric, "--accept",
                    "person_records.linked_share_change") == 0
        out = capsys.readouterr().out
    finally:
        shutil.rmtree(day, ignore_errors=True)
    assert f"gate waived by operator: {metric}" in out
    report = sorted((home / "reports").glob("*.html"), key=lambda p: p.stat().st_mtime)[-1]
    assert "waived" in report.read_text(encoding="utf-8")


@pytest.mark.e2e
def test_hostile_names_are_escaped_in_every_published_page(base: tuple[Path, Path],
                                                          tmp_path: Path) -> None:
    """A name holding HTML is shown as text: no published page carries it as markup."""
    inbox, base_home = base
    home = tmp_path / "home"
    shutil.copytree(base_home, home, symlinks=True)
    day = inbox / NEXT_DAY
    shutil.copytree(inbox / BASE_DAY, day)
    try:
        lines = _lines(day / POLICE, "cp1252")
        header = lines[0].split(";")
        suspects = [i for i, line in enumerate(lines[1:], start=2)
                    if line.split(";")[header.index("rol")] == "verdachte"]
        _police(suspects[0], "achternaam", HTML_NAME)(day)
        assert foto("run", "--inbox", str(inbox), "--home", str(home), "--date", NEXT_DAY) == 0
    finally:
        shutil.rmtree(day, ignore_errors=True)
    pages = list((home / "published").resolve().rglob("*.html"))
    assert pages
    assert not [p for p in pages if HTML_NAME.encode() in p.read_bytes()]
    con = duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM raw_police WHERE achternaam = ?",
                           [HTML_NAME]).fetchall()[0][0] == 1
    finally:
        con.close()


def test_corpus_covers_every_source_and_outcome() -> None:
    assert len(CASES) >= 25
    assert {c.source for c in CASES} == {"police", "justice", "care", "municipal"}
    assert {c.outcome for c in CASES} == {"quarantined", "nulled", "accepted", "blocked"}



# ---- the arrest feed: one JSON object per file ----------------------------------------------
# `foto arrest` (issue 6) quarantines a refused file; here the reader's verdict and message.

ARREST = {"arrest_id": "AH-2026-000001", "aangehouden_op": "2026-11-28T14:03:00+01:00",
          "record_id": "PL-2026000001-01", "feit": "bedreiging", "huiselijk_geweld": True,
          "achternaam": "Vries", "voorvoegsel": "de", "voornamen": "Peter",
          "geboortedatum": "02-06-1984", "bsn": None, "straat": "Wolphaertsbocht",
          "huisnummer": "12b", "postcode": "3083KM", "woonplaats": "Rotterdam"}

ARREST_CASES = [
    ("arrest_invalid_json", b'{"arrest_id": "AH-2026-000001", ', "not a valid UTF-8 JSON object"),
    ("arrest_not_an_object", json.dumps([ARREST]).encode(), "not a JSON object"),
    ("arrest_missing_field", json.dumps({k: v for k, v in ARREST.items() if k != "feit"}
                                        ).encode(), "missing field(s) ['feit']"),
    ("arrest_birth_date_iso", json.dumps(ARREST | {"geboortedatum": "1984-06-02"}).encode(),
     "field geboortedatum: not a valid date dd-mm-jjjj"),
    ("arrest_flag_as_text", json.dumps(ARREST | {"huiselijk_geweld": "ja"}).encode(),
     "field huiselijk_geweld: not true/false"),
    ("arrest_empty_surname", json.dumps(ARREST | {"achternaam": " "}).encode(),
     "field achternaam: required text is empty"),
    ("arrest_latin1", json.dumps(ARREST | {"achternaam": "Çelik"}, ensure_ascii=False
                                 ).encode("latin-1"), "not a valid UTF-8 JSON object"),
    # issue 13: ids that become file names, JSON types, time zones, plausible dates
    ("arrest_traversal_id", json.dumps(ARREST | {"arrest_id": "../../x"}).encode(),
     "field arrest_id: not a safe id"),
    ("arrest_record_id_path", json.dumps(ARREST | {"record_id": "/etc/passwd"}).encode(),
     "field record_id: not a safe id"),
    ("arrest_bsn_number", json.dumps(ARREST | {"bsn": 123456782}).encode(),
     "field bsn: text (or null) expected, the file has a JSON number"),
    ("arrest_huisnummer_number", json.dumps(ARREST | {"huisnummer": 12}).encode(),
     "field huisnummer: text (or null) expected, the file has a JSON number"),
    ("arrest_naive_time", json.dumps(ARREST | {"aangehouden_op": "2026-11-28T14:03:00"}
                                     ).encode(), "field aangehouden_op: not an ISO date-time "
                                                 "with a time zone"),
    ("arrest_born_too_long_ago", json.dumps(ARREST | {"geboortedatum": "02-06-1850"}).encode(),
     "field geboortedatum: birth date more than 110 years before the arrest"),
    ("arrest_born_after_arrest", json.dumps(ARREST | {"geboortedatum": "29-11-2026"}).encode(),
     "field geboortedatum: birth date after the arrest"),
    ("arrest_in_the_future", json.dumps(ARREST | {"aangehouden_op": "2099-11-28T14:03:00Z"}
                                        ).encode(), "field aangehouden_op: lies in the future"),
    ("arrest_unknown_key", json.dumps(ARREST | {"rol": "melder"}).encode(),
     "field(s) not in the contract ['rol']"),
    ("arrest_duplicate_key", json.dumps(ARREST).encode()[:-1] + b', "achternaam": "Bakker"}',
     "a field occurs more than once"),
    ("arrest_oversized", json.dumps(ARREST).encode() + b" " * 70_000,
     "larger than 64 KiB"),
]


@pytest.mark.parametrize(("name", "data", "message"), ARREST_CASES,
                         ids=[c[0] for c in ARREST_CASES])
def test_bad_arrest_file_is_refused_naming_file_and_field(name: str, data: bytes, message: str,
                                                          tmp_path: Path) -> None:
    from sources.arrests import read_arrest

    path = tmp_path / f"{name}.json"
    path.write_bytes(data)
    with pytest.raises(ValueError) as err:
        read_arrest(path)
    text = str(err.value)
    assert text.startswith(path.name) and message in text
    assert not any(v in text for v in ("Vries", "Çelik", "1984", "1850", "Wolphaertsbocht",
                                       "123456782", "Bakker"))


def test_good_arrest_file_is_read(tmp_path: Path) -> None:
    from sources.arrests import read_arrest

    path = tmp_path / "AH-2026-000001.json"
    path.write_text(json.dumps(ARREST), encoding="utf-8")
    assert read_arrest(path)["arrest_id"] == ARREST["arrest_id"]
