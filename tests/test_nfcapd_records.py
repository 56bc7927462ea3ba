"""nfcapd files read from their bytes: the flows nfdump prints, or the file declined.

Real files (router exports replayed to nfcapd, captures through softflowd and nfpcapd) are
read both ways and must agree number for number with nfdump's `pipe` output. Hand-built
files pin down the layout rules: records found among look-alike words, the last address
element deciding the family, and every case the reader leaves to nfdump.
"""

import bz2
import struct
import subprocess
from datetime import date
from pathlib import Path

import duckdb
import lz4.block
import numpy as np
import pyarrow as pa
import pytest

from dagster_project.sources.address_numbers import halves_of
from dagster_project.sources.readers import nfcapd_records, nfdump, prepare_staging, quarantine
from dagster_project.sources.readers.nfcapd_exporters import Exporter
from dagster_project.sources.readers.nfcapd_pipe import FIELDS, NO_FLOWS, pipe_output, stage_records
from dagster_project.sources.readers.nfcapd_records import UnreadableLayout, flow_reader
from dagster_project.sources.readers.pipe_addresses import address_halves_sql
from dagster_project.sources.readers.quarantine import FileCounts
from dagster_project.sources.source_config import FlowSource
from dagster_project.weeks.analysis_week import AnalysisWeek
from tests.support.flowtools import (
    missing_programs,
    nfcapd_collector,
    nfcapd_files,
    realdata_dir,
    replay_udp,
    softflowd_export,
)

REALDATA = realdata_dir()
EXPORTERS = sorted((REALDATA / "exporters").glob("pmacct-*")) if REALDATA else []
NEEDS_NFDUMP = pytest.mark.skipif(
    bool(missing_programs("nfcapd", "nfdump", "nfpcapd", "softflowd")),
    reason="nfdump/softflowd not installed (scripts/install_system_packages.sh installs them)",
)
# nfcapd's options for LZO, LZ4 and BZ2 blocks.
COMPRESSIONS = ("-z", "-y", "-j")
COMPARED = ("first_ms", "last_ms", "proto", "src_port", "dst_port", "packets", "bytes")


def _pipe_halves(printed: pa.Table) -> list[tuple[int, int, int, int]]:
    """Each printed record's address halves as the pipe reader reads them (`pipe_addresses`,
    itself checked against the text's numbers in tests/test_nfcapd_pipe.py)."""
    con = duckdb.connect()
    con.register("printed", printed)
    halves = f"{address_halves_sql('sa', 'src_addr')}, {address_halves_sql('da', 'dst_addr')}"
    return con.execute(f"select {halves} from printed").fetchall()


def assert_read_as_nfdump_prints(path: Path) -> int:
    """The file's flows read from its bytes equal nfdump's pipe output; how many there are."""
    native = flow_reader(path).read_all()
    if native.num_rows == 0:
        printed = subprocess.run(["nfdump", "-r", str(path), "-q", "-o", "pipe"],
                                 capture_output=True, text=True, check=True).stdout  # fmt: skip
        assert printed.strip() == NO_FLOWS
        return 0
    with pipe_output(path, FIELDS) as batches:
        printed = batches.read_all()
    assert native.num_rows == printed.num_rows
    for column in COMPARED:
        assert native[column].to_numpy().tolist() == printed[column].to_numpy().tolist(), column
    addresses = ("src_addr_hi", "src_addr_lo", "dst_addr_hi", "dst_addr_lo")
    read = zip(*(native[column].to_pylist() for column in addresses), strict=True)
    assert list(read) == _pipe_halves(printed)
    assert native["record_number"].to_pylist() == list(range(1, native.num_rows + 1))
    return native.num_rows


@pytest.fixture(scope="module")
def real_files(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """nfcapd files of every real capture: exports replayed, softflowd and nfpcapd."""
    root = tmp_path_factory.mktemp("nfcapd-records")
    files = []
    for folder in EXPORTERS:
        for compression in ("", *COMPRESSIONS):
            collected = root / f"{folder.name}{compression}"
            with nfcapd_collector(collected, options=(compression,) if compression else ()) as port:
                replay_udp(folder / "traffic-00.pcap", port)
            files += nfcapd_files(collected)
    for capture in sorted((REALDATA / "traffic").glob("*.pcap")):
        with nfcapd_collector(root / f"softflowd-{capture.stem}") as port:
            softflowd_export(capture, port, 10, root / f"{capture.stem}.softflowd")
        files += nfcapd_files(root / f"softflowd-{capture.stem}")
        written = root / f"nfpcapd-{capture.stem}"
        written.mkdir()
        subprocess.run(["nfpcapd", "-r", str(capture), "-l", str(written)], check=True,
                       capture_output=True, timeout=120)  # fmt: skip
        files += sorted(written.rglob("nfcapd.*"))
    return files


@NEEDS_NFDUMP
@pytest.mark.skipif(REALDATA is None, reason="shared/realdata is not beside the project")
def test_real_files_read_as_nfdump_prints_them(real_files):
    read, declined = 0, []
    for path in real_files:
        try:
            read += assert_read_as_nfdump_prints(path)
        except UnreadableLayout as declining:
            declined.append(str(declining))
    # nfdump reads what is declined: nfpcapd's files of the IP-in-IP capture, which hold
    # tunnels, and the LZO-compressed ones.
    tunnels = [why for why in declined if "4in4tunnel" in why and "tunnelled" in why]
    lzo = [why for why in declined if "-z/" in why and "method 1;" in why]
    assert tunnels and len(lzo) == len(EXPORTERS) and len(tunnels) + len(lzo) == len(declined)
    assert read > 300


# Hand-built files: nfdump 1.7's layout (nffileV2.h, nfxV3.h), little-endian.
BZ2, LZ4 = 2, 3


def _element(kind: int, payload: bytes) -> bytes:
    return struct.pack("<HH", kind, 4 + len(payload)) + payload


def _generic(first_ms: int, packets: int, octets: int, ports: tuple[int, int], proto: int) -> bytes:
    return _element(1, struct.pack("<QQQQQHHBBBB", first_ms, first_ms + 500, 0, packets, octets,
                                   *ports, proto, 0, 0, 0))  # fmt: skip


def _ipv4(src: str, dst: str) -> bytes:
    numbers = (int.from_bytes(bytes(map(int, text.split("."))), "big") for text in (src, dst))
    return _element(2, struct.pack("<II", *numbers))


def _ipv6(src: str, dst: str) -> bytes:
    halves = [half % (1 << 64) for text in (src, dst) for half in halves_of(text)]
    return _element(3, struct.pack("<QQQQ", *halves))


def _flow(*elements: bytes) -> bytes:
    body = b"".join(elements)
    return struct.pack("<HHHBBHBB", 11, 12 + len(body), len(elements), 0, 1, 1, 2, 9) + body


# Exporter 127.0.0.1 (NetFlow v9, SysID 1), and its count of flows (exporter.h).
EXPORTER_RECORD = struct.pack("<HHI8sI4sHHI", 7, 32, 9, bytes(8), 0x7F000001, bytes(4), 2, 1, 0)


def _exporter_flows(flows: int) -> bytes:
    return struct.pack("<HHIIIQQ", 8, 32, 1, 1, 0, flows, flows)


def _block(*records: bytes) -> bytes:
    body = b"".join(records)
    return struct.pack("<IIHH", len(records), len(body), 3, 0) + body


def _compressed(block: bytes, compression: int) -> bytes:
    """A block as nfdump stores it in a file of that compression (the header stays plain)."""
    header, body = block[:12], block[12:]
    if compression not in (LZ4, BZ2):
        return block
    if compression == LZ4:
        body = lz4.block.compress(body, store_size=False)
    elif compression == BZ2:
        body = bz2.compress(body)
    return struct.pack("<IIHH", struct.unpack("<I", header[:4])[0], len(body), 3, 0) + body


def _nfcapd_file(path: Path, *blocks: bytes, compression: int = 0) -> Path:
    header = struct.pack("<HHIqBBHIqII", 0xA50C, 2, 0x01070100, 0, compression, 0, 0, 0, 0, 0,
                         len(blocks))  # fmt: skip
    stored = b"".join(_compressed(block, compression) for block in blocks)
    path.write_bytes(header + stored)
    return path


MS = 1_717_502_400_000  # 2024-06-04 12:00 UTC
WEB = _flow(_generic(MS, 10, 15000, (52000, 443), 6), _ipv4("10.0.0.1", "192.0.2.9"))
# Ports 7 and 40: the word holding them looks like the header of a 40-byte exporter record.
LOOK_ALIKE = _flow(_generic(MS, 2, 400, (7, 40), 17), _ipv6("2001:db8::1", "2001:db8::2"))


@pytest.mark.parametrize("compression", [0, LZ4, BZ2], ids=["plain", "lz4", "bz2"])
def test_flows_are_read_among_look_alike_words(tmp_path, compression):
    blocks = (_block(EXPORTER_RECORD, WEB, LOOK_ALIKE), _block(WEB))
    path = _nfcapd_file(tmp_path / "nfcapd.1", *blocks, compression=compression)
    flows = flow_reader(path).read_all().to_pylist()
    assert [(row["src_port"], row["dst_port"], row["bytes"]) for row in flows] == [
        (52000, 443, 15000), (7, 40, 400), (52000, 443, 15000),
    ]  # fmt: skip
    assert (flows[0]["src_addr_hi"], flows[0]["src_addr_lo"]) == halves_of("10.0.0.1")
    assert (flows[1]["dst_addr_hi"], flows[1]["dst_addr_lo"]) == halves_of("2001:db8::2")
    assert [row["record_number"] for row in flows] == [1, 2, 3]


def _block_words(
    rng: np.random.Generator, records: int, look_alikes: float
) -> tuple[np.ndarray, np.ndarray]:
    """Records of random sizes end to end, their content random words of which a share look
    like record headers: of any size, or of one that ends exactly where a later record starts;
    the words and where the records start."""
    sizes = rng.integers(2, 30, size=records)
    starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
    words = rng.integers(0, 2**32, size=int(sizes.sum()), dtype=np.uint64).astype(np.uint32)
    types = rng.choice([11, 11, 11, 7, 9], size=records)
    words[starts] = types | (sizes * 4) << 16
    inside = np.setdiff1d(np.arange(len(words)), starts)
    fakes = rng.choice(inside, size=int(len(inside) * look_alikes), replace=False)
    later = starts[np.minimum(np.searchsorted(starts, fakes) + rng.integers(0, 3, len(fakes)),
                              records - 1)]  # fmt: skip
    fake_sizes = np.where(rng.random(len(fakes)) < 0.5, rng.integers(1, 40, len(fakes)),
                          np.maximum(later - fakes, 1))  # fmt: skip
    words[fakes] = rng.choice([11, 8, 15], size=len(fakes)) | (fake_sizes * 4) << 16
    return words, starts


@pytest.mark.parametrize("look_alikes", [0.0, 0.001, 0.05, 0.5, 1.0])
def test_records_are_found_as_nfdump_walks_them(look_alikes):
    """However many words inside the records look like headers, and wherever those would
    end, the records found are the ones a walk from the block's start finds (as nfdump reads
    them: each header says where the next record begins)."""
    rng = np.random.default_rng(7)
    for records in (1, 2, 50, 3000):
        words, starts = _block_words(rng, records, look_alikes)
        padded = np.concatenate(([5, 6], words, [7])).astype(np.uint32)
        found = nfcapd_records.record_starts(padded, 2, len(words), records)
        assert (found - 2).tolist() == starts.tolist()


def test_the_last_address_element_decides_the_family(tmp_path):
    """As nfdump expands a record (ExpandRecord_v3): each address element overwrites."""
    generic = _generic(MS, 1, 100, (1, 2), 6)
    both = (_ipv6("2001:db8::1", "2001:db8::2"), _ipv4("10.0.0.1", "192.0.2.9"))
    path = _nfcapd_file(tmp_path / "nfcapd.1", _block(_flow(generic, *both),
                                                      _flow(generic, *reversed(both))))  # fmt: skip
    flows = flow_reader(path).read_all().to_pylist()
    assert [(row["src_addr_hi"], row["src_addr_lo"]) for row in flows] == [
        halves_of("10.0.0.1"), halves_of("2001:db8::1"),
    ]  # fmt: skip


COUNTERS = _element(5, struct.pack("<QQQ", 1, 3, 120))
TUNNEL = _element(31, bytes(12))


@pytest.mark.parametrize(
    ("blocks", "compression", "reason"),
    [
        ((_block(WEB),), 1, "method 1; LZO is 1"),
        ((_block(WEB)[:-4],), 0, "beyond the data"),
        ((struct.pack("<IIHH", 2, len(WEB), 3, 0) + WEB,), 0, "do not fill it"),
        ((struct.pack("<IIHH", 0, len(WEB), 3, 0) + WEB,), 0, "do not fill it"),
        ((_block(_flow(_generic(MS, 1, 1, (1, 2), 6))),), 0, "no address element"),
        ((_block(_flow(_ipv4("10.0.0.1", "192.0.2.9"))),), 0, "no flow"),
        (
            (
                _block(
                    WEB,
                    _flow(_generic(MS, 1, 1, (1, 2), 6), _ipv4("10.0.0.1", "10.0.0.2"), COUNTERS),
                ),
            ),
            0,
            "out counters",
        ),
        (
            (_block(_flow(_generic(MS, 1, 1, (1, 2), 4), _ipv4("10.0.0.1", "10.0.0.2"), TUNNEL)),),
            0,
            "tunnelled",
        ),
    ],
)
def test_what_is_not_understood_is_declined(tmp_path, blocks, compression, reason):
    path = _nfcapd_file(tmp_path / "nfcapd.1", *blocks, compression=compression)
    with pytest.raises(UnreadableLayout, match=reason):
        flow_reader(path).read_all()


def test_a_block_that_does_not_decompress_is_declined(tmp_path):
    path = _nfcapd_file(tmp_path / "nfcapd.1", _block(WEB, WEB))
    stored = bytearray(path.read_bytes())
    stored[16] = LZ4  # the header's compression: the plain records are no LZ4 block
    path.write_bytes(bytes(stored))
    with pytest.raises(UnreadableLayout, match="does not decompress"):
        flow_reader(path).read_all()


def _staged_file(folder: Path, *blocks: bytes) -> tuple[duckdb.DuckDBPyConnection, FileCounts]:
    """A file of the blocks read into a new connection's staging tables, and its counts."""
    path = _nfcapd_file(folder / "nfcapd.202406041200", *blocks)
    con = duckdb.connect()
    prepare_staging(con)
    source = FlowSource(name="bras", format="nfcapd", path="", sampling_interval=1)
    return con, nfdump.read_nfcapd_file(con, source, path, AnalysisWeek(date(2024, 6, 3), "UTC"))


@NEEDS_NFDUMP
def test_a_file_read_from_its_bytes_stages_numbers_and_quarantines_with_text(tmp_path):
    """The nfcapd reader stages the numbers; a rejected record keeps nfdump's line."""
    late = _flow(_generic(MS + 8 * 86_400_000, 1, 100, (1, 2), 6), _ipv4("10.0.0.1", "10.0.0.2"))
    blocks = (_block(EXPORTER_RECORD, WEB, LOOK_ALIKE), _block(late, _exporter_flows(3)))
    con, counts = _staged_file(tmp_path, *blocks)
    assert (counts.rows, counts.quarantined) == (2, {"outside the partition week": 1})
    assert con.execute("select count(*) from staged_flows").fetchone() == (0,)
    staged = con.execute(
        "select source_row, src_addr_hi, src_addr_lo, dst_port, bytes "
        "from staged_flow_numbers order by source_row"
    ).fetchall()
    assert staged == [
        (1, *halves_of("10.0.0.1"), 443, 15000),
        (2, *halves_of("2001:db8::1"), 40, 400),
    ]
    ((row, record),) = con.execute("select source_row, record from staged_quarantine").fetchall()
    assert row == 3 and record.startswith("2|")


@NEEDS_NFDUMP
def test_a_file_whose_records_all_pass_is_staged_in_one_write(tmp_path, monkeypatch):
    """No checked copy of a clean file: its flows go straight to the staged table."""

    def not_expected(*_args, **_kwargs):
        raise AssertionError("a clean file was staged through the checked table")

    monkeypatch.setattr(quarantine, "stage_parsed_flows", not_expected)
    blocks = (_block(EXPORTER_RECORD, WEB, LOOK_ALIKE), _block(WEB, _exporter_flows(3)))
    con, counts = _staged_file(tmp_path, *blocks)
    assert (counts.rows, counts.quarantined) == (3, {})
    staged = con.execute("select source_row, dst_port from staged_flow_numbers order by 1")
    assert staged.fetchall() == [(1, 443), (2, 40), (3, 443)]
    assert con.execute("select count(*) from staged_quarantine").fetchone() == (0,)


@NEEDS_NFDUMP
def test_a_rejected_record_beyond_the_exporters_count_is_not_lost(tmp_path):
    """The exporter counted two flows and two of the three records pass: the third is still
    quarantined (the file goes to nfdump, whose records are not the exporter's either)."""
    late = _flow(_generic(MS + 8 * 86_400_000, 1, 100, (1, 2), 6), _ipv4("10.0.0.1", "10.0.0.2"))
    blocks = (_block(EXPORTER_RECORD, WEB, LOOK_ALIKE), _block(late, _exporter_flows(2)))
    con, counts = _staged_file(tmp_path, *blocks)
    assert (counts.rows, counts.quarantined) == (2, {"outside the partition week": 1})
    assert con.execute("select count(*) from staged_quarantine").fetchone() == (1,)


def test_batches_number_the_flows_across_blocks(tmp_path, monkeypatch):
    monkeypatch.setattr(nfcapd_records, "BLOCKS_PER_BATCH", 1)
    path = _nfcapd_file(
        tmp_path / "nfcapd.1", _block(WEB, WEB), _block(EXPORTER_RECORD), _block(WEB)
    )
    batches = list(nfcapd_records.flow_batches(path))
    assert [batch.num_rows for batch in batches] == [2, 0, 1]
    assert pa.Table.from_batches(batches)["record_number"].to_pylist() == [1, 2, 3]


def test_a_file_declined_midway_leaves_nothing_staged(tmp_path, monkeypatch):
    """A tunnel in the second batch is found while DuckDB already staged the first: the
    file is unstaged, for nfdump to read."""
    monkeypatch.setattr(nfcapd_records, "BLOCKS_PER_BATCH", 1)
    tunnelled = _flow(_generic(MS, 1, 1, (1, 2), 4), _ipv4("10.0.0.1", "10.0.0.2"), TUNNEL)
    path = _nfcapd_file(tmp_path / "nfcapd.1", _block(EXPORTER_RECORD, WEB), _block(tunnelled))
    con = duckdb.connect()
    prepare_staging(con)
    source = FlowSource(name="bras", format="nfcapd", path="", sampling_interval=1)
    exporter = Exporter(1, "127.0.0.1", 9, flows=2)
    week = AnalysisWeek(date(2024, 6, 3), "UTC")
    assert stage_records(con, source, path, week, exporter) is None
    for table in ("staged_flow_numbers", "staged_quarantine"):
        assert con.execute(f"select count(*) from {table}").fetchone() == (0,)


def test_an_empty_file_is_declined(tmp_path):
    path = tmp_path / "nfcapd.1"
    path.touch()
    with pytest.raises(UnreadableLayout, match="empty"):
        flow_reader(path).read_all()
