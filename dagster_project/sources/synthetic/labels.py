"""Text columns of few values (service, access, exporter, source file), made as Arrow
dictionaries: an index per row into a handful of strings. No string is repeated per row,
and the load writes such a column to Parquet through an enum of its values
(`dagster_project.sources.raw_lake`), which costs a fraction of hashing every row's text.
"""

from collections.abc import Sequence

import numpy as np
import pyarrow as pa

LABEL_TYPE = pa.dictionary(pa.int32(), pa.string())


def repeated_label(value: str, length: int) -> pa.DictionaryArray:
    """One value for every row."""
    return pa.DictionaryArray.from_arrays(pa.array(np.zeros(length, np.int32)), pa.array([value]))


def chosen_labels(values: Sequence[str], choices: np.ndarray) -> pa.DictionaryArray:
    """`values[choices[i]]` for every row i."""
    return pa.DictionaryArray.from_arrays(
        pa.array(np.asarray(choices, dtype=np.int32)), pa.array(list(values), pa.string())
    )
