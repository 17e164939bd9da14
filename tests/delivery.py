"""Small hand-written deliveries in the contract's formats, for parser and gate tests.

Each helper writes one file exactly as a partner would; tests then break one thing at a time.
All persons are invented; the BSNs pass the 11-proef but belong to nobody we know of.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from sources import justice, municipal, police

POLICE_ROWS = [
    ["PL-2026000001-01", "03-02-2026", "verdachte", "mishandeling", "J", "de Vries", "",
     "Peter Jan", "02-06-1984", "Rotterdam", "M", "", "Wolphaertsbocht", "12b", "3083 KM",
     "Rotterdam", "J"],
    ["PL-2026000001-02", "03-02-2026", "slachtoffer", "mishandeling", "J", "Bakker", "",
     "Sanne", "11-09-1986", "", "V", "", "", "", "", "", "N"],
    ["PL-2026000002-01", "14-03-2026", "verdachte", "winkeldiefstal", "N", "Özdemir", "",
     "Mehmet", "", "", "M", "123456782", "Beijerlandselaan", "4", "3074EB", "Rotterdam", "N"],
]

BRP_ROWS = [
    ["1234567890", "123456782", "Özdemir", "", "Mehmet", "19900115", "M", "Beijerlandselaan",
     "4", "", "", "3074 EB", "Rotterdam", "0599010000000001", "", "", "", "20150301"],
    ["1234567891", "111222333", "Vries", "de", "Peter Jan", "19840602", "M",
     "Wolphaertsbocht", "12", "b", "", "3083KM", "Rotterdam", "0599010000000002", "", "",
     "", "20100101"],
    ["1234567892", "023456711", "Bakker", "", "Sanne", "19860900", "V", "Wolphaertsbocht",
     "12", "b", "", "3083KM", "Rotterdam", "0599010000000002", "", "", "111222333",
     "20100101"],
]


def csv_text(header: list[str], rows: list[list[str]], delimiter: str) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buf.getvalue()


def write_police(folder: Path, rows: list[list[str]] | None = None,
                 encoding: str = "cp1252") -> Path:
    path = folder / police.FILE
    path.write_bytes(csv_text(police.COLUMNS, POLICE_ROWS if rows is None else rows, ";")
                     .encode(encoding))
    return path


def write_municipal(folder: Path, rows: list[list[str]] | None = None) -> Path:
    path = folder / municipal.FILE
    path.write_text(csv_text(municipal.COLUMNS, BRP_ROWS if rows is None else rows, ","),
                    encoding="utf-8")
    return path


def justice_table(n: int = 2) -> pa.Table:
    rows = {
        "record_id": ["10/123456-26", "10/654321-25"][:n],
        "verdachte_naam": ["Vries, P.J. de", "Özdemir, M."][:n],
        "geboortedatum": [date(1984, 6, 2), None][:n],
        "bsn": ["111222333", "123456782"][:n],
        "feit": ["mishandeling", "winkeldiefstal"][:n],
        "zaak_status": ["vervolging", "sepot"][:n],
        "status_datum": [date(2026, 3, 1), date(2025, 12, 1)][:n],
        "toezicht_reclassering": [True, False][:n],
        "toezicht_einddatum": [date(2027, 3, 1), None][:n],
        "contactverbod": [True, False][:n],
    }
    schema = pa.schema([(c, {"string": pa.string(), "date": pa.date32(),
                             "bool": pa.bool_()}[t]) for c, t in justice.COLUMN_TYPES.items()])
    return pa.Table.from_pydict(rows, schema=schema)


def write_justice(folder: Path, table: pa.Table | None = None) -> Path:
    path = folder / justice.FILE
    pq.write_table(justice_table() if table is None else table, path)
    return path


CARE_REPORTS = [
    {"melding_id": "VT-2026-004711", "ontvangen_op": "2026-03-14T09:12:00+01:00",
     "type": "ex_partner_stalking", "sash_risico": "hoog", "status": "open",
     "betrokkenen": [
         {"betrokkene_id": "VT-2026-004711-1", "rol": "pleger", "naam": "Peter de Vries",
          "geboortedatum": "1984-06-02",
          "adres": "Wolphaertsbocht 12b, 3083 KM Rotterdam"},
         {"betrokkene_id": "VT-2026-004711-2", "rol": "slachtoffer", "naam": "S. Bakker",
          "geboortedatum": None, "adres": None},
         {"betrokkene_id": "VT-2026-004711-3", "rol": "melder", "naam": "Karin Melder",
          "geboortedatum": None, "adres": None}]},
    {"melding_id": "VT-2026-004712", "ontvangen_op": "2026-04-01T10:00:00+02:00",
     "type": "zorgen_om_persoon", "sash_risico": None, "status": "gesloten",
     "betrokkenen": [
         {"betrokkene_id": "VT-2026-004712-1", "rol": "slachtoffer", "naam": "Mehmet",
          "geboortedatum": "1990", "adres": None}]},
]


def write_care(folder: Path, lines: list[str] | None = None) -> Path:
    path = folder / "care_reports.jsonl"
    if lines is None:
        lines = [json.dumps(r, ensure_ascii=False) for r in CARE_REPORTS]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def write_delivery(inbox: Path, day: str = "2026-11-27") -> Path:
    """A complete, valid four-source delivery."""
    folder = inbox / day
    folder.mkdir(parents=True, exist_ok=True)
    write_police(folder)
    write_municipal(folder)
    write_justice(folder)
    write_care(folder)
    return folder
