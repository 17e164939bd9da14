"""Nightly runs are partitioned by delivery date: one partition per `<inbox>/<YYYY-MM-DD>/`.

Dynamic partitions, added when a delivery is run (by `foto run` or the schedule), so any date a
partner puts on a delivery is a valid key, and the Dagster UI lists every delivery with the
state of its last run.
"""

from __future__ import annotations

from dagster import DagsterInstance, DynamicPartitionsDefinition

DELIVERIES = DynamicPartitionsDefinition(name="delivery")


def register_delivery(instance: DagsterInstance, date: str) -> None:
    """Make `date` a partition key of the nightly assets (idempotent)."""
    if not instance.has_dynamic_partition(DELIVERIES.name, date):
        instance.add_dynamic_partitions(DELIVERIES.name, [date])
