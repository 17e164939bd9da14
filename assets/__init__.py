"""The Dagster layer: assets, checks, resources, partitions and the scrubbing of failures —
thin adapters over the stage packages, one asset per stage."""
