"""Hard constraint: two different valid BSNs never end up in one person."""

from __future__ import annotations

import pandas as pd

from matching.constraints import split_by_bsn


def test_chain_through_a_record_without_bsn_splits_at_the_weakest_link() -> None:
    records = pd.DataFrame({"unique_id": ["a", "b", "c"],
                            "bsn": ["111222333", None, "123456782"]})
    links = pd.DataFrame({"unique_id_l": ["a", "b"], "unique_id_r": ["b", "c"],
                          "match_probability": [0.99, 0.96]})
    ids = split_by_bsn(records, links)
    assert ids["a"] == ids["b"] != ids["c"]


def test_cluster_without_conflict_stays_whole() -> None:
    records = pd.DataFrame({"unique_id": ["a", "b", "c"],
                            "bsn": ["111222333", None, "111222333"]})
    links = pd.DataFrame({"unique_id_l": ["a", "b"], "unique_id_r": ["b", "c"],
                          "match_probability": [0.97, 0.99]})
    assert len(set(split_by_bsn(records, links).values())) == 1


def test_every_part_holds_at_most_one_bsn() -> None:
    uids = [f"r{i}" for i in range(6)]
    bsns = ["111222333", "123456782", "023456711", None, None, None]
    records = pd.DataFrame({"unique_id": uids, "bsn": bsns})
    pairs = [(a, b) for i, a in enumerate(uids) for b in uids[i + 1:]]
    links = pd.DataFrame({"unique_id_l": [a for a, _ in pairs],
                          "unique_id_r": [b for _, b in pairs],
                          "match_probability": [0.95 + i / 1000 for i in range(len(pairs))]})
    ids = split_by_bsn(records, links)
    by_cluster: dict[str, set] = {}
    for uid, bsn in zip(uids, bsns, strict=True):
        by_cluster.setdefault(ids[uid], set()).update({bsn} if bsn else set())
    assert all(len(v) <= 1 for v in by_cluster.values())
    assert len(by_cluster) == 3
