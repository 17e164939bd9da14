"""Forming persons from scored pairs: hard constraints, attaching lone records, stable person
ids inherited by record overlap, and one arrested record matched against the last photo."""
