"""Dagster wiring of the foto pipeline: definitions, jobs, schedules, sensors and the instance."""
