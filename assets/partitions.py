"""Nightly runs are partitioned by delivery date: one partition per `<inbox>/<YYYY-MM-DD>/`.

Dynamic partitions, added when a delivery is run (by `foto run` or the schedule), so any date a
partner puts on a delivery (a real date, a folder holding a contract file) is a valid key, and
the Dagster UI lists every delivery with the state of its last run.
"""

from __future__ import annotations

from pathlib import Path

from dagster import DagsterInstance, DynamicPartitionsDefinition

from assets.resources import require_delivery

DELIVERIES = DynamicPartitionsDefinition(name="delivery")


def register_delivery(instance: DagsterInstance, inbox: Path, date: str) -> None:
    """Make `date` a partition key of the nightly assets (idempotent); only a delivery of the
    inbox becomes one (`assets.resources.delivery_problem`), so that the UI never offers a
    run of a folder that is not a delivery."""
    require_delivery(inbox, date)
    if not instance.has_dynamic_partition(DELIVERIES.name, date):
        instance.add_dynamic_partitions(DELIVERIES.name, [date])
