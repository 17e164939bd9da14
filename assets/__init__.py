"""Dagster assets of the foto pipeline: thin adapters over plain modules, one asset per stage."""
