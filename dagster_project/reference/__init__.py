"""The published report's figures: calibration targets and reference answers (published.yaml)."""

from functools import cache
from pathlib import Path

import yaml

PUBLISHED_PATH = Path(__file__).resolve().parent / "published.yaml"


@cache
def load_published(path: Path = PUBLISHED_PATH) -> dict:
    with open(path, encoding="utf-8") as handle:
        return yaml.safe_load(handle)
