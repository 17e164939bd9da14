"""The arrest feed at the door (issue 13, defects 4 and 6a): ids that become file names,
files that are not plain small files, every field's JSON type, time zones and plausible dates;
and the promise that the nightly path accepts whatever the door accepts. Unit tests: no
Dagster, real files, real DuckDB standardisation."""

from __future__ import annotations

import json
import os
import stat
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from dagster import DagsterInstance, build_sensor_context

from assets.resources import FotoPaths
from pipelines.sensors import arrest_sensor
from publish.arrest_flow import process_arrest
from publish.arrests import publish_lock, quarantine, record_done
from sources.arrests import (
    MAX_BYTES,
    ArrestError,
    read_arrest,
    register_police_rows,
)
from sources.common import ParseResult, QuarantineLog, check_birth_plausible
from sources.police import COLUMNS
from standardise.arrest_feed import with_arrests
from standardise.rules import prepare, std_sql

NOW = datetime(2026, 11, 28, 20, 0, tzinfo=UTC)
ARREST = {"arrest_id": "AH-2026-000001", "aangehouden_op": "2026-11-28T14:03:00+01:00",
          "record_id": "PL-2026000001-01", "feit": "bedreiging", "huiselijk_geweld": True,
          "achternaam": "Vries", "voorvoegsel": "de", "voornamen": "Peter",
          "geboortedatum": "02-06-1984", "bsn": "123456782", "straat": "Wolphaertsbocht",
          "huisnummer": "12b", "postcode": "3083KM", "woonplaats": "Rotterdam"}
PERSONAL = ("Vries", "Peter", "1984", "123456782", "Wolphaertsbocht", "3083KM", "Rotterdam")


def _file(folder: Path, arrest: dict | None = None, name: str | None = None,
          data: bytes | None = None) -> Path:
    arrest = ARREST if arrest is None else arrest
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / (name or "AH-2026-000001.json")
    path.write_bytes(data if data is not None else json.dumps(arrest).encode("utf-8"))
    return path


def _refused(path: Path, field: str | None = None, **kw) -> ArrestError:
    with pytest.raises(ArrestError) as err:
        read_arrest(path, now=kw.pop("now", NOW), **kw)
    text = str(err.value)
    assert not any(v in text for v in PERSONAL), text
    if field is not None:
        assert err.value.field == field, text
    return err.value


def _tree(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


# ---- defect 4: ids that become file names, files that are not plain small files ----------

UNSAFE_IDS = ["../../x", "..", "../AH-1", "a/b", "/etc/cron.d/x", ".hidden", "AH..1",
              "x" * 65, "AH 1", "AH\n1", "-rf", "ÄH-1", "AH-1\x00", "AH;rm"]


@pytest.mark.parametrize("value", UNSAFE_IDS)
@pytest.mark.parametrize("field", ["arrest_id", "record_id"])
def test_an_id_that_is_not_a_safe_file_name_is_refused(field: str, value: str,
                                                        tmp_path: Path) -> None:
    path = _file(tmp_path / "arrests", ARREST | {field: value}, name="AH-2026-000001.json")
    _refused(path, field)


@pytest.mark.parametrize("value", ["../../x", "../../../x", "..", "a/b", ".hidden", "AH..1",
                                   "x" * 65, "AH\n1"])
def test_no_done_entry_is_written_outside_the_home(value: str, tmp_path: Path) -> None:
    home = tmp_path / "a" / "b" / "home"
    home.mkdir(parents=True)
    before = _tree(tmp_path)
    with pytest.raises(ValueError):
        record_done(home, {"arrest_id": value, "naam": "Peter de Vries"})
    assert _tree(tmp_path) - before <= {"a/b/home/arrests", "a/b/home/arrests/done"}


@pytest.mark.parametrize("name", ["x y.json", "-rf.json", ".hidden.json", "AH..1.json",
                                  "AH-1.txt", "AH-1", "Peter de Vries.json", "AH\x1b[2J.json",
                                  "a" * 70 + ".json"])
def test_a_file_whose_name_is_not_a_safe_id_is_refused_unread(name: str,
                                                              tmp_path: Path) -> None:
    err = _refused(_file(tmp_path, name=name))
    assert err.data is None and "Peter" not in str(err) and "\x1b" not in str(err)


def _symlink_out(folder: Path, secret: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "AH-2026-000001.json").symlink_to(secret)
    return folder / "AH-2026-000001.json"


def _symlink_to_arrest(folder: Path, secret: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    real = _file(secret.parent, name="elsewhere.json")
    (folder / "AH-2026-000001.json").symlink_to(real)
    return folder / "AH-2026-000001.json"


def _fifo(folder: Path, secret: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    os.mkfifo(folder / "AH-2026-000001.json")
    return folder / "AH-2026-000001.json"


def _directory(folder: Path, secret: Path) -> Path:
    (folder / "AH-2026-000001.json").mkdir(parents=True)
    return folder / "AH-2026-000001.json"


def _oversized(folder: Path, secret: Path) -> Path:
    padding = " " * (5 * 1024 * 1024)
    return _file(folder, data=json.dumps(ARREST).encode()[:-1] + padding.encode() + b"}")


def _just_over(folder: Path, secret: Path) -> Path:
    text = json.dumps(ARREST | {"feit": "x"}).encode()
    return _file(folder, data=text + b" " * (MAX_BYTES + 1 - len(text)))


NOT_PLAIN = {"symlink_out_of_the_inbox": _symlink_out,
             "symlink_to_a_valid_arrest": _symlink_to_arrest, "fifo": _fifo,
             "directory": _directory, "5_MB": _oversized, "one_byte_over_64_KiB": _just_over}


@pytest.fixture
def secret(tmp_path: Path) -> Path:
    path = tmp_path / "outside" / "passwd"
    path.parent.mkdir()
    path.write_text("root:x:0:0:Peter de Vries:/root:/bin/bash\n")
    return path


@pytest.mark.parametrize("make", NOT_PLAIN.values(), ids=NOT_PLAIN.keys())
def test_a_file_that_is_not_a_plain_small_file_is_refused_unread(make, tmp_path: Path,
                                                                 secret: Path) -> None:
    err = _refused(make(tmp_path / "inbox" / "arrests", secret))
    assert err.data is None and "refused" in err.reason


@pytest.mark.parametrize("make", NOT_PLAIN.values(), ids=NOT_PLAIN.keys())
def test_the_arrest_run_quarantines_only_the_reason_of_a_file_refused_unread(
        make, tmp_path: Path, secret: Path) -> None:
    """`foto arrest` and the sensor's runs go through `process_arrest`: nothing of the target
    is copied, the reason is kept owner-only, and nothing is written outside the home."""
    home = tmp_path / "home"
    file = make(tmp_path / "inbox" / "arrests", secret)
    outcome = process_arrest(file, home, model=None, config=None)
    assert outcome.status == "refused" and outcome.exit_code == 1
    folder = home / "arrests" / "quarantine"
    files = sorted(p.name for p in folder.iterdir())
    assert files == ["AH-2026-000001.json.reason.txt"]
    assert "refused unread" in (folder / files[0]).read_text()
    for path in (folder / files[0], folder):
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode == (0o700 if path.is_dir() else 0o600), oct(mode)
    assert not any("Peter" in p.read_text(errors="ignore") for p in home.rglob("*")
                   if p.is_file())


def test_a_file_refused_for_its_content_is_kept_owner_only(tmp_path: Path) -> None:
    home = tmp_path / "home"
    file = _file(tmp_path / "inbox", ARREST | {"bsn": 123456782})
    outcome = process_arrest(file, home, model=None, config=None)
    assert outcome.status == "refused" and "field bsn" in outcome.message
    kept = home / "arrests" / "quarantine" / file.name
    assert json.loads(kept.read_bytes())["bsn"] == 123456782
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    assert stat.S_IMODE((home / "arrests").stat().st_mode) == 0o700


def test_a_symlink_planted_in_the_home_is_replaced_not_followed(tmp_path: Path,
                                                                 secret: Path) -> None:
    home = tmp_path / "home"
    for folder in ("done", "quarantine"):
        (home / "arrests" / folder).mkdir(parents=True)
    (home / "arrests" / "done" / "AH-2026-000001.json").symlink_to(secret)
    (home / "arrests" / "quarantine" / "AH-2026-000001.json.reason.txt").symlink_to(secret)
    before = secret.read_text()
    record_done(home, {"arrest_id": "AH-2026-000001", "arrested_at": "2026-11-28T13:03"})
    quarantine(home, home / "inbox" / "AH-2026-000001.json", "a reason")
    assert secret.read_text() == before
    assert not (home / "arrests" / "done" / "AH-2026-000001.json").is_symlink()


def test_files_in_the_arrest_area_and_the_lock_are_owner_only(tmp_path: Path) -> None:
    home = tmp_path / "home"
    path = record_done(home, {"arrest_id": "AH-2026-000001", "arrested_at": "x"})
    with publish_lock(home):
        pass
    for p in (path, home / ".publish.lock"):
        assert stat.S_IMODE(p.stat().st_mode) == 0o600, p
    for p in (home / "arrests", home / "arrests" / "done"):
        assert stat.S_IMODE(p.stat().st_mode) == 0o700, p


def test_the_sensor_never_uses_an_unsafe_name_as_run_key(tmp_path: Path) -> None:
    inbox, home = tmp_path / "inbox", tmp_path / "home"
    _file(inbox / "arrests", name="Peter de Vries.json")
    _file(inbox / "arrests", name="AH-2026-000001.json")
    paths = FotoPaths(inbox=str(inbox), home=str(home))
    with DagsterInstance.ephemeral() as instance:
        keys = sorted(r.run_key for r in arrest_sensor(build_sensor_context(
            instance=instance, resources={"paths": paths})))
    assert keys[0] == "AH-2026-000001" and keys[1].startswith("unsafe-name-")
    assert not any("Peter" in k for k in keys)


def test_the_sensor_launches_a_run_for_a_symlink_or_fifo_without_opening_it(
        tmp_path: Path, secret: Path) -> None:
    """The run refuses it unread and quarantines its reason; then the sensor leaves it."""
    inbox, home = tmp_path / "inbox", tmp_path / "home"
    _symlink_out(inbox / "arrests", secret)
    os.mkfifo(inbox / "arrests" / "AH-2026-000002.json")   # opening it would block
    paths = FotoPaths(inbox=str(inbox), home=str(home))
    with DagsterInstance.ephemeral() as instance:
        requests = list(arrest_sensor(build_sensor_context(instance=instance,
                                                           resources={"paths": paths})))
        assert sorted(r.run_key for r in requests) == ["AH-2026-000001", "AH-2026-000002"]
        for r in requests:
            file = Path(r.run_config["ops"]["arrest_sheet"]["config"]["file"])
            assert process_arrest(file, home, model=None, config=None).status == "refused"
        again = list(arrest_sensor(build_sensor_context(instance=instance,
                                                        resources={"paths": paths})))
        assert [r for r in again if hasattr(r, "run_key")] == []


# ---- defect 6a: every field's JSON type, time zones, plausible dates ----------------------

WRONG = {
    "arrest_id": [None, 7, 1.5, True, ["AH"], {"id": 1}, "", "  "],
    "record_id": [None, 2026000001, False, ["PL"], {}, ""],
    "aangehouden_op": [None, 1764335000, True, [], "", "2026-11-28T14:03:00",
                       "2026-11-28", "28-11-2026 14:03", "2026-11-28T14:03:00+01:00 x",
                       "2026-02-30T14:03:00+01:00", "gisteren", "2026-11-28T25:03:00+01:00"],
    "achternaam": [None, 42, False, ["Vries"], {"a": "b"}, "", " ", "x" * 201, "Vr\nies",
                   "Vr\x00ies"],
    "huiselijk_geweld": [None, "ja", "true", 1, 0, "J", [], {}],
    "geboortedatum": [19840602, True, ["02-06-1984"], "1984-06-02", "2-6-1984",
                      "31-02-1984", "02-06-84", "02/06/1984", "01-01-1850", "01-01-2030",
                      "29-11-2026"],
    "bsn": [123456782, 1.0, True, ["123456782"], {"bsn": 1}, "1" * 201],
    "huisnummer": [12, 12.5, False, ["12b"], {}],
    **{k: [7, 1.5, True, ["x"], {"x": 1}, "x" * 201, "a\tb"]
       for k in ("feit", "voorvoegsel", "voornamen", "straat", "postcode", "woonplaats")},
}
WRONG_CASES = [(k, v) for k, values in WRONG.items() for v in values]


@pytest.mark.parametrize(("field", "value"), WRONG_CASES,
                         ids=[f"{k}-{i}" for k, values in WRONG.items()
                              for i in range(len(values))])
def test_a_wrong_value_of_any_field_is_refused_naming_the_field(field: str, value: object,
                                                                tmp_path: Path) -> None:
    _refused(_file(tmp_path, ARREST | {field: value}), field)


@pytest.mark.parametrize("arrest_time", ["2026-12-01T12:00:00+01:00", "2099-01-01T00:00:00Z",
                                         "2026-11-28T21:30:00+00:00"])
def test_an_arrest_in_the_future_is_refused(arrest_time: str, tmp_path: Path) -> None:
    _refused(_file(tmp_path, ARREST | {"aangehouden_op": arrest_time}), "aangehouden_op")


def test_an_old_arrest_is_refused_at_the_door_but_carried_at_night(tmp_path: Path) -> None:
    path = _file(tmp_path, ARREST | {"aangehouden_op": "2024-01-05T10:00:00+01:00"})
    _refused(path, "aangehouden_op", at_the_door=True)
    assert read_arrest(path, now=NOW)["arrest_id"] == ARREST["arrest_id"]


@pytest.mark.parametrize(("data", "why"), [
    (json.dumps(ARREST | {"rol": "melder"}).encode(), "not in the contract ['rol']"),
    (json.dumps(ARREST | {"Peter de Vries": 1}).encode(), "not in the contract ['(other)']"),
    (json.dumps(ARREST | {"peter_bsn_123456782": 1}).encode(),
     "not in the contract ['(other)']"),
    (json.dumps(ARREST).encode()[:-1] + b', "bsn": "111222333"}', "occurs more than once"),
    (b"[" * 100_000, "refused unread"),
    (b"[" * 20_000 + b"]" * 20_000, "not a valid UTF-8 JSON object"),
    (json.dumps(ARREST).replace('"Peter"', "NaN").encode(), "field voornamen"),
], ids=["unknown_key", "unknown_key_holding_a_name", "unknown_key_holding_a_bsn",
        "duplicate_key", "oversized_nesting", "deep_nesting", "nan"])
def test_malformed_objects_are_refused_naming_no_value(data: bytes, why: str,
                                                       tmp_path: Path) -> None:
    err = _refused(_file(tmp_path, data=data))
    assert why in str(err)


# ---- whatever the door accepts, the nightly path accepts ----------------------------------

ACCEPTED = {
    "as_in_the_contract": ARREST,
    "every_optional_field_null": ARREST | {k: None for k in (
        "feit", "voorvoegsel", "voornamen", "geboortedatum", "bsn", "straat", "huisnummer",
        "postcode", "woonplaats")},
    "every_optional_field_empty": ARREST | {k: "" for k in (
        "feit", "voorvoegsel", "voornamen", "geboortedatum", "bsn", "straat", "huisnummer",
        "postcode", "woonplaats")},
    "utc_z": ARREST | {"aangehouden_op": "2026-11-28T13:03:00Z"},
    "late_evening_utc_is_the_next_local_day": ARREST | {
        "aangehouden_op": "2026-11-27T23:30:00+00:00", "geboortedatum": "28-11-2026"},
    "other_offset_with_seconds_fraction": ARREST | {
        "aangehouden_op": "2026-11-28T18:33:00.123+05:30"},
    "born_110_years_before": ARREST | {"geboortedatum": "01-01-1916"},
    "born_on_the_arrest_day": ARREST | {"geboortedatum": "28-11-2026"},
    "invalid_bsn_text": ARREST | {"bsn": "12.34"},
    "diacritics_and_spaces": ARREST | {"achternaam": " Çelik-Özdemir ", "voornamen": "Şükrü"},
    "tussenvoegsel_in_surname": ARREST | {"achternaam": "de Vries", "voorvoegsel": ""},
}


def _police_extract() -> ParseResult:
    frame = pd.DataFrame(columns=[*COLUMNS, "_line", "_raw"])
    return ParseResult("police", "police_persons.csv", frame,
                       QuarantineLog("police", "police_persons.csv").frame(), 0)


@pytest.mark.parametrize("arrest", ACCEPTED.values(), ids=ACCEPTED.keys())
def test_every_arrest_the_door_accepts_goes_through_the_nightly_path(arrest: dict,
                                                                     tmp_path: Path) -> None:
    feed = tmp_path / "arrests"
    path = _file(feed, arrest, data=b"\xef\xbb\xbf" + json.dumps(arrest).encode()
                 if arrest is ARREST else None)
    read = read_arrest(path, at_the_door=True, now=NOW)
    day = pd.Timestamp(read["aangehouden_op"]).tz_convert("Europe/Amsterdam").date()
    result = check_birth_plausible(with_arrests(_police_extract(), feed, day.isoformat()),
                                   day.isoformat())
    counts = result.counts()
    assert (counts["read"], counts["accepted"], counts["quarantined"]) == (1, 1, 0), counts
    con = duckdb.connect()
    prepare(con)
    register_police_rows(con, result.accepted)
    row = con.sql(std_sql("police")).fetchall()
    assert len(row) == 1


@pytest.mark.e2e
def test_foto_arrest_on_a_symlink_refuses_it_without_reading_its_target(
        tmp_path: Path, secret: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The command line does not resolve the file it is given: the run sees the symlink."""
    from tests.conftest import foto

    home = tmp_path / "home"
    link = _symlink_out(tmp_path / "inbox" / "arrests", secret)
    assert foto("arrest", str(link), "--home", str(home)) == 1
    out = capsys.readouterr().out
    assert "is a symbolic link: refused unread" in " ".join(out.split())
    assert "Peter" not in out
    quarantined = sorted(p.name for p in (home / "arrests" / "quarantine").iterdir())
    assert quarantined == ["AH-2026-000001.json.reason.txt"]


def test_the_nightly_reader_quarantines_files_refused_unread_and_counts_them(
        tmp_path: Path, secret: Path) -> None:
    feed = tmp_path / "inbox" / "arrests"
    _symlink_out(feed, secret)
    os.mkfifo(feed / "AH-2026-000002.json")
    _file(feed, name="AH-2026-000003.json", data=b" " * (MAX_BYTES + 1))
    _file(feed, name="Peter de Vries.json")
    _file(feed, ARREST | {"arrest_id": "AH-2026-000005"}, name="AH-2026-000005.json")
    result = with_arrests(_police_extract(), feed, "2026-11-28")
    counts = result.counts()
    assert (counts["read"], counts["accepted"], counts["quarantined"]) == (5, 1, 4), counts
    reasons = result.quarantine["reason"].tolist()
    assert sum("refused unread" in r for r in reasons) == 3
    assert not any("Peter" in str(v) for v in result.quarantine.to_numpy().ravel())
