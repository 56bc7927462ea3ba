"""The flow records of an nfcapd file read from its bytes, as numbers: no nfdump, no text.

nfdump 1.7 writes a file as a header and blocks of records (`nffileV2.h`): a flow is a V3
record, a header followed by extension elements (`nfxV3.h`), and the other records of a
block describe exporters and samplers. This module finds every record of a block and the
elements of every flow with numpy, a block's records at once (`record_starts`): no record
is looped over in Python. It gives, per flow, what nfdump's `pipe` output prints of it
(`ExpandRecord_v3`: the last address element decides the family) with the addresses as the
two 64-bit halves the lake keeps.

It reads what it fully understands and declines the rest (`UnreadableLayout`), which nfdump
then reads: an LZO-compressed or encrypted file (plain, LZ4 and BZ2 blocks are read),
another layout version or block type, a record type it does not know, blocks whose records
do not end where the block does, a flow without its flow or address element, out counters
(bidirectional flows) or a tunnel.
"""

import bz2
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import lz4.block
import numpy as np
import pyarrow as pa

from dagster_project.sources.address_numbers import IPV4_MAPPED_LO

MAGIC = 0xA50C
LAYOUT_VERSION_2 = 2
NOT_COMPRESSED, BZ2_COMPRESSED, LZ4_COMPRESSED = 0, 2, 3
# The most a block's records take uncompressed (nffile.h BUFFSIZE).
MAX_BLOCK_BYTES = 5 * 1024 * 1024
DATA_BLOCK_TYPE_3 = 3
FILE_HEADER = np.dtype([
    ("magic", "<u2"), ("version", "<u2"), ("nfdversion", "<u4"), ("created", "<i8"),
    ("compression", "u1"), ("encryption", "u1"), ("appendix_blocks", "<u2"),
    ("unused", "<u4"), ("appendix_offset", "<i8"), ("block_size", "<u4"),
    ("blocks", "<u4"),
])  # fmt: skip
BLOCK_HEADER = np.dtype([("records", "<u4"), ("size", "<u4"), ("type", "<u2"), ("flags", "<u2")])
# Record types (nfdump's id.h): exporter, exporter statistics, samplers (legacy and current)
# describe the flows; V3 records are the flows.
V3_RECORD = 11
DESCRIPTIVE_RECORDS = (7, 8, 9, 15)
V3_HEADER_BYTES = 12
ELEMENT_HEADER_BYTES = 4
# Extension elements (nfxV3.h) whose content is read. Their fields are read by word:
# EXgenericFlow holds msecFirst, msecLast, msecReceived, inPackets, inBytes (64 bits each,
# words 0-9), srcPort and dstPort (word 10) and proto (the low byte of word 11); EXcntFlow
# holds flows, outPackets and outBytes (words 0-5).
GENERIC_FLOW, IPV4_FLOW, IPV6_FLOW, COUNTERS = 1, 2, 3, 5
TUNNELS = (31, 32)
# A flow lists each element type at most once; more elements than types is no flow.
MAX_ELEMENTS = 64
# Blocks read together into one batch: about 100,000 flows of the usual layouts. DuckDB scans
# a batch while the next one is read; with batches ten times larger that overlap was lost
# (5M records: 2.55M records/s with 8 blocks, 1.78M/s with 96).
BLOCKS_PER_BATCH = 8

SCHEMA = pa.schema([
    ("first_ms", pa.uint64()), ("last_ms", pa.uint64()), ("proto", pa.uint8()),
    ("src_addr_hi", pa.int64()), ("src_addr_lo", pa.int64()),
    ("dst_addr_hi", pa.int64()), ("dst_addr_lo", pa.int64()),
    ("src_port", pa.uint16()), ("dst_port", pa.uint16()),
    ("packets", pa.uint64()), ("bytes", pa.uint64()), ("record_number", pa.int64()),
])  # fmt: skip


class UnreadableLayout(ValueError):
    """A file this module does not read; the message says why."""


def _u64(words: np.ndarray, at: np.ndarray) -> np.ndarray:
    """The little-endian 64-bit numbers starting at the word indices `at`."""
    return words[at].astype(np.uint64) | (words[at + 1].astype(np.uint64) << np.uint64(32))


def _file_header(data: np.ndarray, path: Path) -> np.void:
    if len(data) < FILE_HEADER.itemsize:
        raise UnreadableLayout(f"{path}: shorter than an nfcapd file header")
    header = data[: FILE_HEADER.itemsize].view(FILE_HEADER)[0]
    if header["magic"] != MAGIC or header["version"] != LAYOUT_VERSION_2:
        raise UnreadableLayout(f"{path}: not an nfcapd file of layout version 2")
    if header["compression"] not in DECOMPRESSORS or header["encryption"] != 0:
        raise UnreadableLayout(
            f"{path}: blocks compressed (method {header['compression']}; LZO is 1) or "
            f"encrypted ({header['encryption']}) in a way not read here"
        )
    return header


def data_blocks(data: np.ndarray, header: np.void, path: Path) -> Iterator[tuple[int, int, int]]:
    """(offset, bytes, records) of each data block's stored records."""
    end = int(header["appendix_offset"]) or len(data)
    offset = FILE_HEADER.itemsize
    for number in range(int(header["blocks"])):
        if offset + BLOCK_HEADER.itemsize > end:
            raise UnreadableLayout(f"{path}: block {number} lies beyond the data")
        block = data[offset : offset + BLOCK_HEADER.itemsize].view(BLOCK_HEADER)[0]
        stored, size = offset + BLOCK_HEADER.itemsize, int(block["size"])
        if block["type"] != DATA_BLOCK_TYPE_3:
            raise UnreadableLayout(f"{path}: block {number} is no data block of type 3")
        if stored + size > end:
            raise UnreadableLayout(f"{path}: block {number} lies beyond the data")
        yield stored, size, int(block["records"])
        offset = stored + size


def _lz4_block(stored: bytes) -> bytes:
    return lz4.block.decompress(stored, uncompressed_size=MAX_BLOCK_BYTES)


# How nfdump 1.7 compresses a file's blocks (the header's `compression`), and how each block's
# records are read back. LZO (nfcapd -z) has no maintained Python binding; nfdump reads it.
DECOMPRESSORS: dict[int, Callable[[bytes], bytes] | None] = {
    NOT_COMPRESSED: None,
    LZ4_COMPRESSED: _lz4_block,
    BZ2_COMPRESSED: bz2.decompress,
}


def _records_words(
    data: np.ndarray,
    blocks: list[tuple[int, int, int]],
    decompress: Callable[[bytes], bytes] | None,
    path: Path,
) -> tuple[np.ndarray, list[tuple[int, int, int]]]:
    """The records of `blocks` as one array of 32-bit words, in which nfdump aligns every
    record, and (first word, words, records) of each block in it: the file's own words when
    its blocks are stored plain, else those of the blocks decompressed."""
    if decompress is None:
        if any(offset % 4 or size % 4 for offset, size, _ in blocks):
            raise UnreadableLayout(f"{path}: a block is not aligned to 32 bits")
        words = data[: len(data) - len(data) % 4].view("<u4")
        return words, [(offset // 4, size // 4, records) for offset, size, records in blocks]
    try:
        stored = [decompress(data[offset : offset + size].tobytes()) for offset, size, _ in blocks]
    except (OSError, ValueError, lz4.block.LZ4BlockError) as error:
        raise UnreadableLayout(f"{path}: a block does not decompress ({error})") from error
    if any(len(records) % 4 for records in stored):
        raise UnreadableLayout(f"{path}: a block is not aligned to 32 bits")
    words = np.frombuffer(b"".join(stored), dtype="<u4")
    firsts = np.cumsum([0, *(len(records) // 4 for records in stored)])[:-1]
    return words, [
        (int(first), len(records) // 4, block[2])
        for first, records, block in zip(firsts, stored, blocks, strict=True)
    ]


def record_starts(words: np.ndarray, first: int, count: int, records: int) -> np.ndarray:
    """The word indices of the block's records, which lie end to end from its start.

    Every word that could start a record (its type and size) is a candidate, linked to the
    candidate where such a record would end; the records are the chain of links from the
    block's start."""
    headers = words[first : first + count]
    # A header's low 16 bits are the record's type (compared as a contiguous array of 16-bit
    # numbers, the cheapest test), its high 16 bits the record's size in bytes.
    types = np.ascontiguousarray(headers.view("<u2")[0::2])
    known = types == V3_RECORD
    for record_type in DESCRIPTIVE_RECORDS:
        known |= types == record_type
    at = np.flatnonzero(known)
    sizes = (headers[at] >> 16).astype(np.int64)
    plausible = (sizes >= ELEMENT_HEADER_BYTES) & (sizes % 4 == 0) & (at + sizes // 4 <= count)
    candidates, ends = at[plausible], (at + sizes // 4)[plausible]
    if records == 0 or len(candidates) == 0 or candidates[0] != 0:
        return np.empty(0, dtype=np.int64)
    following = np.searchsorted(candidates, ends)
    linked = following < len(candidates)
    linked[linked] = candidates[following[linked]] == ends[linked]
    link = np.where(linked, following, len(candidates))
    return first + candidates[_chain_from_first(link)]


def _chain_from_first(link: np.ndarray) -> np.ndarray:
    """Which of n candidates the chain of links from the first reaches (`link[i]` > i; n
    for none).

    A candidate usually links to the next one; only a word inside a record that looks like a
    header breaks that (the record links past it). So the chain runs through consecutive
    candidates up to a stop, a candidate that does not link to the next (or the last), and
    goes on from that stop's link to the next stop: only the few stops are followed, in
    doubling steps (the links of 1, 2, 4, ... stops at once)."""
    count = len(link)
    stops = np.append(np.flatnonzero(link[:-1] != np.arange(1, count)), count - 1)
    # The stop each stop leads to; a stop linking nowhere leads to `len(stops)`, the end.
    onward = np.append(np.searchsorted(stops, link[stops]), len(stops))
    reached = np.zeros(len(onward), dtype=bool)
    reached[0] = True
    while True:
        found = np.flatnonzero(reached)
        reached[onward[found]] = True
        if np.count_nonzero(reached) == len(found):
            break
        onward = onward[onward]
    exits = stops[reached[:-1]]
    entries = np.append(0, link[exits[:-1]])
    # Each reached stop closes the run of candidates from where the chain entered it.
    bounds = np.zeros(count + 1, dtype=np.int64)
    bounds[entries] += 1
    bounds[exits + 1] -= 1
    return np.cumsum(bounds[:-1]) > 0


def _block_flows(words: np.ndarray, path: Path, block: tuple[int, int, int]) -> np.ndarray:
    """The word indices of the block's flows (V3 records), after checking that its records
    fill it."""
    first, count, records = block
    starts = record_starts(words, first, count, records)
    if (
        len(starts) != records
        or (records == 0 and count > 0)
        or (records and starts[-1] + (words[starts[-1]] >> 16) // 4 != first + count)
    ):
        raise UnreadableLayout(f"{path}: the records of a block do not fill it end to end")
    return starts[words[starts] & 0xFFFF == V3_RECORD]


@dataclass(frozen=True)
class Elements:
    """Per element type read here, the word index of each flow's element payload (-1: none),
    and which address element came last (`IPV4_FLOW`, `IPV6_FLOW` or 0)."""

    payloads: dict[int, np.ndarray]
    family: np.ndarray


def flow_elements(words: np.ndarray, flows: np.ndarray, path: Path) -> Elements:
    """The elements of the flows at `flows`, walked in step: the i-th of every flow at once."""
    ends = flows + (words[flows] >> 16).astype(np.int64) // 4
    counts = words[flows + 1] & 0xFFFF
    if len(flows) and counts.max() > MAX_ELEMENTS:
        raise UnreadableLayout(f"{path}: a flow record lists more elements than there are")
    payloads = {
        kind: np.full(len(flows), -1, dtype=np.int64)
        for kind in (GENERIC_FLOW, IPV4_FLOW, IPV6_FLOW, COUNTERS, *TUNNELS)
    }
    family = np.zeros(len(flows), dtype=np.uint32)
    element = flows + V3_HEADER_BYTES // 4
    for index in range(int(counts.max()) if len(flows) else 0):
        walking = np.flatnonzero(counts > index)
        at = element[walking]
        kinds, lengths = words[at] & 0xFFFF, (words[at] >> 16).astype(np.int64)
        if ((lengths < ELEMENT_HEADER_BYTES) | (lengths % 4 != 0)).any() or (
            at + lengths // 4 > ends[walking]
        ).any():
            raise UnreadableLayout(f"{path}: a flow record's elements overrun it")
        for kind, offsets in payloads.items():
            has = kinds == kind
            offsets[walking[has]] = at[has] + 1
        is_address = (kinds == IPV4_FLOW) | (kinds == IPV6_FLOW)
        family[walking[is_address]] = kinds[is_address]
        element[walking] = at + lengths // 4
    return Elements(payloads, family)


def _addresses(words: np.ndarray, elements: Elements, end: int) -> dict[str, np.ndarray]:
    """The halves of the source (`end` 0) or destination (1) address of each flow."""
    ipv6 = elements.family == IPV6_FLOW
    hi = np.zeros(len(ipv6), dtype=np.int64)
    lo = np.zeros(len(ipv6), dtype=np.int64)
    v6_at = elements.payloads[IPV6_FLOW][ipv6] + 4 * end
    hi[ipv6] = _u64(words, v6_at).view(np.int64)
    lo[ipv6] = _u64(words, v6_at + 2).view(np.int64)
    lo[~ipv6] = IPV4_MAPPED_LO + words[elements.payloads[IPV4_FLOW][~ipv6] + end].astype(np.int64)
    name = ("src", "dst")[end]
    return {f"{name}_addr_hi": hi, f"{name}_addr_lo": lo}


def flow_columns(words: np.ndarray, flows: np.ndarray, path: Path) -> dict[str, np.ndarray]:
    """What is read of each flow record at `flows`: `SCHEMA`'s columns but the number."""
    elements = flow_elements(words, flows, path)
    generic, counters = elements.payloads[GENERIC_FLOW], elements.payloads[COUNTERS]
    if (generic < 0).any() or (elements.family == 0).any():
        raise UnreadableLayout(f"{path}: a flow record has no flow or no address element")
    if any((elements.payloads[tunnel] >= 0).any() for tunnel in TUNNELS):
        raise UnreadableLayout(f"{path}: a flow record is tunnelled")
    counted = counters[counters >= 0]
    if (_u64(words, counted + 2) | _u64(words, counted + 4)).any():
        raise UnreadableLayout(f"{path}: a flow record has out counters (bidirectional)")
    ports, proto = words[generic + 10], words[generic + 11] & 0xFF
    return {
        "first_ms": _u64(words, generic),
        "last_ms": _u64(words, generic + 2),
        "packets": _u64(words, generic + 6),
        "bytes": _u64(words, generic + 8),
        "src_port": ports & 0xFFFF,
        "dst_port": ports >> 16,
        "proto": proto,
        **_addresses(words, elements, 0),
        **_addresses(words, elements, 1),
    }


def _batch(columns: dict[str, np.ndarray], first_number: int) -> pa.RecordBatch:
    rows = len(columns["proto"])
    numbers = np.arange(first_number, first_number + rows, dtype=np.int64)
    arrays = [pa.array(columns.get(field.name, numbers), field.type) for field in SCHEMA]
    return pa.RecordBatch.from_arrays(arrays, schema=SCHEMA)


def flow_batches(path: Path) -> Iterator[pa.RecordBatch]:
    """The file's flows in file order (numbered from 1, as nfdump prints them), a batch per
    `BLOCKS_PER_BATCH` blocks; `UnreadableLayout` for a file this module does not read."""
    if path.stat().st_size == 0:  # nothing to map
        raise UnreadableLayout(f"{path}: empty")
    # A plain array over the mapped file: numpy's memmap wraps every slice it makes.
    data = np.memmap(path, dtype=np.uint8, mode="r").view(np.ndarray)
    header = _file_header(data, path)
    decompress = DECOMPRESSORS[int(header["compression"])]
    blocks = list(data_blocks(data, header, path))
    first_number = 1
    for start in range(0, len(blocks), BLOCKS_PER_BATCH):
        group_blocks = blocks[start : start + BLOCKS_PER_BATCH]
        words, group = _records_words(data, group_blocks, decompress, path)
        flows = np.concatenate([_block_flows(words, path, block) for block in group])
        batch = _batch(flow_columns(words, flows, path), first_number)
        first_number += batch.num_rows
        yield batch


def flow_reader(path: Path) -> pa.RecordBatchReader:
    """`flow_batches` as a reader, the form DuckDB scans as it is produced."""
    return pa.RecordBatchReader.from_batches(SCHEMA, flow_batches(path))
