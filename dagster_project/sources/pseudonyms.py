"""Subscriber pseudonyms: every subscriber id is replaced by a keyed hash when it is loaded.

The pseudonym is HMAC-SHA256 of the id under a secret key, cut to 80 bits and written as
`sub_` and 20 hex digits: the same id gives the same pseudonym in every week loaded with the
same key (so users can be followed across weeks and joined between inputs), and without
the key nobody can recompute it from a list of customer ids or phone numbers.

The key never lives in the repository: it comes from the environment variable
TRAFFICREPORT_PSEUDONYM_KEY or from the file that sources.yaml names under
`privacy.key_file`. The built-in synthetic source has no real subscribers and uses a fixed,
public demo key.
"""

import hashlib
import hmac
import os
from collections.abc import Sequence
from pathlib import Path

import duckdb

from dagster_project.settings import PROJECT_ROOT

KEY_ENV = "TRAFFICREPORT_PSEUDONYM_KEY"
# Public on purpose: it only ever hashes generated ids.
SYNTHETIC_DEMO_KEY = b"trafficreport synthetic demo key (public, for generated data only)"
MIN_KEY_BYTES = 16
PREFIX = "sub_"
HEX_DIGITS = 20
_BLOCK_BYTES = 64  # SHA-256 block size: HMAC pads its key to one block


class PseudonymKeyError(ValueError):
    """No usable secret key for the pseudonyms of real subscriber ids."""


def read_key(key_file: Path | None) -> bytes:
    """The secret key for real data: the environment variable, else the configured file."""
    from_env = os.environ.get(KEY_ENV, "")
    if from_env:
        return _checked(from_env.encode(), f"${KEY_ENV}")
    if key_file is None:
        raise PseudonymKeyError(
            f"Real subscriber ids need a secret pseudonym key: set {KEY_ENV} or name a key file "
            "under privacy.key_file in sources.yaml (outside the repository)."
        )
    if key_file.resolve().is_relative_to(PROJECT_ROOT):
        raise PseudonymKeyError(
            f"privacy.key_file {key_file} is inside the repository, where it could be "
            "committed: keep the key outside it."
        )
    try:
        key = key_file.read_bytes().strip()
    except OSError as error:
        raise PseudonymKeyError(
            f"privacy.key_file {key_file}: cannot read: {error.strerror}"
        ) from None
    return _checked(key, str(key_file))


def _checked(key: bytes, origin: str) -> bytes:
    if len(key) < MIN_KEY_BYTES:
        raise PseudonymKeyError(
            f"The pseudonym key from {origin} has {len(key)} bytes; use at least "
            f"{MIN_KEY_BYTES} random bytes (e.g. `openssl rand -hex 32`)."
        )
    return key


def pseudonym(key: bytes, subscriber_id: str) -> str:
    """The pseudonym of one id (the reference the SQL form is tested against)."""
    digest = hmac.new(key, subscriber_id.encode(), hashlib.sha256).hexdigest()
    return PREFIX + digest[:HEX_DIGITS]


def _pads(key: bytes) -> tuple[bytes, bytes]:
    """HMAC's inner and outer keys (RFC 2104): the block-padded key XOR 0x36 and 0x5c."""
    if len(key) > _BLOCK_BYTES:
        key = hashlib.sha256(key).digest()
    block = key.ljust(_BLOCK_BYTES, b"\0")
    return bytes(b ^ 0x36 for b in block), bytes(b ^ 0x5C for b in block)


PSEUDONYMS = "subscriber_pseudonyms"


def pseudonymized_views(
    con: duckdb.DuckDBPyConnection, tables: Sequence[str], column: str, key: bytes
) -> dict[str, str]:
    """Temp views `pseudonymized_<table>`: each table with `column` replaced by its pseudonym
    (NULL stays NULL), computed inside DuckDB. Returns the view of each table.

    HMAC is written out with DuckDB's sha256, each distinct id of all the tables hashed once
    (a subscriber has many rows, in several tables), and the rows take it by a join when the
    views are read: no table of tens of millions of rows is updated in place. The key
    material is bound as parameters, never written into the SQL text.
    """
    inner, outer = _pads(key)
    ids = " union all ".join(f"select {column} as original from {table}" for table in tables)
    con.execute(
        f"""
        create or replace temp table {PSEUDONYMS} as
        with distinct_ids as (
            select distinct original from ({ids}) where original is not null
        )
        select original, '{PREFIX}' || left(
            sha256($outer::blob || unhex(sha256($inner::blob || encode(original)))),
            {HEX_DIGITS}
        ) as pseudonym
        from distinct_ids
        """,
        {"inner": inner, "outer": outer},
    )
    views = {}
    for table in tables:
        views[table] = f"pseudonymized_{table}"
        con.execute(
            f"""
            create or replace temp view {views[table]} as
            select {table}.* replace (pseudonyms.pseudonym as {column})
            from {table}
            left join {PSEUDONYMS} as pseudonyms on pseudonyms.original = {table}.{column}
            """
        )
    return views
