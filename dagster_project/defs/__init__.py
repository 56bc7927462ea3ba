"""The Dagster layer: assets by layer, checks, jobs, schedules, sensors and resources."""
