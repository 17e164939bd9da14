"""Readers of the partners' extracts, exactly as ../shared/contracts/SOURCES.md specifies them.

Each reader is plain Python (no Dagster): it returns the accepted rows and the quarantined rows
with their reason, so every rule is testable without running a job.
"""
