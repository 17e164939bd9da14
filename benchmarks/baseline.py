"""A plain, well-configured Splink model on the same standardised records, for comparison.

Standard comparisons from Splink's library on the canonical columns, the usual blocking, the
usual training: no Dutch rules (no phonetic key, transliteration groups, double names,
abbreviations, partial dates, swapped day and month) and no hard constraints.
"""

from __future__ import annotations

import logging

import pyarrow as pa
import splink.comparison_library as cl
from splink import DuckDBAPI, Linker, SettingsCreator, block_on

from matching.linker import matching_connection

COLUMNS = ["unique_id", "first_name", "surname", "dob", "bsn", "postcode", "sex"]


def baseline_settings() -> SettingsCreator:
    return SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="unique_id",
        comparisons=[
            cl.ExactMatch("bsn"),
            cl.NameComparison("first_name").configure(term_frequency_adjustments=True),
            cl.NameComparison("surname").configure(term_frequency_adjustments=True),
            cl.DateOfBirthComparison("dob", input_is_string=False),
            cl.PostcodeComparison("postcode"),
            cl.ExactMatch("sex"),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("bsn"),
            block_on("first_name", "surname"),
            block_on("surname", "dob"),
            block_on("first_name", "dob"),
            block_on("postcode", "surname"),
        ],
        retain_matching_columns=False,
        retain_intermediate_calculation_columns=False,
    )


def baseline_clusters(records: pa.Table, threshold: float) -> pa.Table:
    """Train the baseline on `records` and cluster at `threshold`: (unique_id, cluster_id)."""
    logging.getLogger("splink").setLevel(logging.ERROR)  # its untrained-level warnings
    # The memory bound foto's matching has: unbounded, DuckDB takes up to 80% of the machine
    # (20 GB at 1M persons on the 24 GB test machine, where foto's matching stays under 7).
    api = DuckDBAPI(matching_connection())
    linker = Linker(api.register(records.select(COLUMNS)), baseline_settings(),
                    log_level=logging.ERROR)
    linker.training.estimate_probability_two_random_records_match(
        ["l.bsn = r.bsn", "l.first_name = r.first_name AND l.surname = r.surname "
         "AND l.dob = r.dob"], recall=0.7)
    linker.training.estimate_u_using_random_sampling(max_pairs=5e6, seed=1)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("dob"))
    linker.training.estimate_parameters_using_expectation_maximisation(
        block_on("first_name", "surname"))
    predictions = linker.inference.predict(threshold_match_probability=threshold)
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
        predictions, threshold_match_probability=threshold)
    return clusters.as_pyarrow_table().select(["unique_id", "cluster_id"])
