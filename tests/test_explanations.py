"""The stored explanation of a link names what agreed and what disagreed, truthfully."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from matching.thresholds import load_thresholds

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def wh(sample_run: Path):
    con = duckdb.connect(str(sample_run / "warehouse.duckdb"), read_only=True)
    yield con
    con.close()


def test_every_scored_pair_has_evidence_for_every_comparison(wh) -> None:
    pairs = wh.sql("SELECT count(*) FROM match_pairs").fetchall()[0][0]
    comparisons = wh.sql("SELECT count(DISTINCT comparison) FROM comparison_levels"
                         ).fetchall()[0][0]
    assert wh.sql("SELECT count(*) FROM match_evidence").fetchall()[0][0] == pairs * comparisons


def test_verdicts_match_the_records(wh) -> None:
    rows = wh.sql("""
        SELECT e.comparison, e.verdict, e.weight, a.surname = b.surname, a.dob = b.dob,
               a.bsn = b.bsn
        FROM match_evidence e
        JOIN std_persons a ON a.unique_id = e.unique_id_l
        JOIN std_persons b ON b.unique_id = e.unique_id_r
        WHERE e.comparison IN ('surname', 'dob', 'bsn') AND e.verdict <> 'missing'
        """).fetchall()
    assert rows
    for comparison, verdict, weight, same_surname, same_dob, same_bsn in rows:
        same = {"surname": same_surname, "dob": same_dob, "bsn": same_bsn}[comparison]
        assert (verdict == "agreed") == bool(same), (comparison, verdict)
        assert (weight > 0) if verdict == "agreed" else True


def test_a_link_with_a_disagreement_says_so_in_one_query(wh) -> None:
    row = wh.sql("""
        SELECT agreed, disagreed, explanation, match_probability FROM link_explanation
        WHERE decision = 'link' AND len(disagreed) > 0
        ORDER BY match_probability DESC LIMIT 1""").fetchall()
    assert row, "the sample should hold a link despite a disagreeing field"
    agreed, disagreed, explanation, probability = row[0]
    assert agreed and disagreed and probability >= load_thresholds().link
    for comparison in agreed + disagreed:
        assert comparison + ":" in explanation
    assert "disagree" in explanation


def test_levels_read_from_weights_are_the_levels_splink_gives(wh) -> None:
    """The pipeline reads each pair's comparison levels back from their weights; scoring the
    sample's records again with Splink's own gamma columns must give the same levels."""
    from matching.levels import levels_identifiable, with_levels
    from matching.linker import make_linker
    from matching.models import bundled_model
    from matching.predict import model_for_size

    records = wh.sql("SELECT * FROM std_persons").to_arrow_table()
    model = model_for_size(bundled_model().path, records.num_rows)
    assert levels_identifiable(model) and not model["retain_matching_columns"]
    model["retain_matching_columns"] = True
    splink = make_linker(records, model).inference.predict(
        threshold_match_probability=0.5).as_pyarrow_table()
    gammas = [c for c in splink.column_names if c.startswith("gamma_")]
    assert gammas, "Splink should give gamma columns when it keeps the matching columns"
    derived = with_levels(splink.drop_columns(gammas), model)
    con = duckdb.connect()
    con.register("s", splink)
    con.register("d", derived)
    differing = con.sql(f"""
        SELECT count(*) FROM s JOIN d USING (unique_id_l, unique_id_r)
        WHERE {' OR '.join(f's.{g} IS DISTINCT FROM d.{g}' for g in gammas)}""").fetchall()[0][0]
    assert splink.num_rows > 1000 and differing == 0
