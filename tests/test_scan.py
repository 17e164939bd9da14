"""The shared personal-data scan finds a value wherever it is written, and a number only where it
stands on its own: a birth date inside a millisecond timestamp is not a leak, and counting it as
one made the end-to-end scan fail by chance."""

from __future__ import annotations

from pathlib import Path

from tests.scan import files_holding

DOB = "19900125"


def test_a_number_inside_a_longer_run_of_digits_is_not_found(tmp_path: Path) -> None:
    (tmp_path / "events.json").write_bytes(b'{"timestamp": 1764619900125.3}')
    (tmp_path / "wide.db").write_bytes("1199001255".encode("utf-16-le"))
    assert files_holding(tmp_path, [DOB]) == {}


def test_a_number_standing_alone_is_found_in_every_encoding(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_bytes(b"geboortedatum;19900125\n")
    (tmp_path / "b.db").write_bytes("x19900125y".encode("utf-16-le"))
    (tmp_path / "c.txt").write_bytes(b"19900125")
    assert files_holding(tmp_path, [DOB]) == {"a.csv": [DOB], "b.db": [DOB], "c.txt": [DOB]}


def test_a_name_is_found_inside_other_text(tmp_path: Path) -> None:
    (tmp_path / "log").write_bytes(b"...Jansen123...")
    assert files_holding(tmp_path, ["Jansen"]) == {"log": ["Jansen"]}
