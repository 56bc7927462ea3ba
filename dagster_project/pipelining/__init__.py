"""Overlapping work: the next item of a slow producer made while the current one is handled."""
