"""Assets, split by layer: raw inputs, dbt models, validation, figures."""
