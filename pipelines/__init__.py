"""Dagster wiring of the foto pipeline and the `foto` command line."""
