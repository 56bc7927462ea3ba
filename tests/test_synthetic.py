"""The synthetic generator: schema, determinism, the rules the flows follow, calibration math."""

import ipaddress
import itertools
from datetime import date, timedelta

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from dagster_project.reference import load_published
from dagster_project.sources import synthetic
from dagster_project.sources.address_numbers import halves_of, network_of
from dagster_project.sources.raw_schema import (
    ASSIGNMENT_RECORDS,
    ASSIGNMENTS,
    FLOW_RECORDS,
    FLOWS,
    MONTHLY_TOTALS,
    USAGE_COUNTERS,
)
from dagster_project.sources.raw_tables import stage
from dagster_project.sources.synthetic import SyntheticConfig, _repeated, daily_volumes
from dagster_project.sources.synthetic.addresses import (
    PLANS,
    Pool,
    address_text,
    format_ipv4,
    host_numbers,
    network_text,
    prefix_numbers,
)
from dagster_project.sources.synthetic.daily_volumes import split_over_days
from dagster_project.sources.synthetic.distribution import VolumeDistribution, flank_dip
from dagster_project.sources.synthetic.fit import MAX_FLANK_DIP, FitTarget, fit_distribution
from dagster_project.sources.synthetic.parameters import load_parameters, volume_distribution
from dagster_project.sources.synthetic.population import draw_volumes
from dagster_project.sources.synthetic.port_mix import assign_categories, port_mix
from dagster_project.weeks.analysis_week import AnalysisWeek

WEEK = AnalysisWeek(date(2024, 6, 3), "Asia/Tokyo")
SMALL = SyntheticConfig(pppoe_users=300, ipoe_users=200, mobile_users=400, mobile_flow_users=100)


def canonical(table) -> list[str]:
    return [name for name in table.column_names if name != "week_start"]


def all_flows(config: SyntheticConfig) -> pa.Table:
    return pa.concat_tables(list(synthetic.flow_batches(WEEK, config)))


@pytest.fixture(scope="module")
def week() -> dict[str, pd.DataFrame]:
    """The week as generated (addresses as numbers) and written out (addresses as text)."""
    flows = all_flows(SMALL)
    assignments = synthetic.assignments(WEEK, SMALL)
    return {
        "flow_numbers": flows.to_pandas(),
        "flows": synthetic.flows_as_text(flows).to_pandas(),
        "assignment_numbers": assignments,
        "assignments": synthetic.assignments_as_text(assignments),
        "counters": synthetic.usage_counters(WEEK, SMALL),
    }


def test_outputs_have_the_canonical_columns(week):
    assert list(week["flows"].columns) == canonical(FLOW_RECORDS)
    assert list(week["assignments"].columns) == canonical(ASSIGNMENT_RECORDS)
    assert list(week["counters"].columns) == canonical(USAGE_COUNTERS)
    assert list(synthetic.monthly_totals(SMALL).columns) == MONTHLY_TOTALS.column_names


def test_the_generator_hands_over_the_lakes_numbers_of_its_addresses(week):
    """The numbers the load stores unparsed are those of the addresses written out."""
    assert list(week["flow_numbers"].columns) == canonical(FLOWS)
    assert sorted(week["assignment_numbers"].columns) == sorted(canonical(ASSIGNMENTS))
    numbers, text = week["flow_numbers"], week["flows"]
    for end in ("src", "dst"):
        halves = list(zip(numbers[f"{end}_addr_hi"], numbers[f"{end}_addr_lo"], strict=True))
        assert halves == [halves_of(address) for address in text[f"{end}_addr"]]
    networks = week["assignment_numbers"][["network_hi", "network_lo", "prefix_len"]]
    parsed = [network_of(address) for address in week["assignments"]["address"]]
    assert list(networks.itertuples(index=False, name=None)) == parsed


def test_same_seed_same_rows_other_seed_other_rows(week):
    pd.testing.assert_frame_equal(week["flow_numbers"], all_flows(SMALL).to_pandas())
    assignments = synthetic.assignments(WEEK, SMALL)
    pd.testing.assert_frame_equal(week["assignment_numbers"], assignments)
    other = SyntheticConfig(**{**vars(SMALL), "seed": SMALL.seed + 1})
    assert not synthetic.usage_counters(WEEK, other).equals(week["counters"])


def test_accesses_drawn_in_their_own_thread_give_the_rows_of_drawing_them_in_turn(
    week, monkeypatch
):
    """The week's accesses are drawn in the background while the first frames are handed
    over; the frames must be those of the accesses drawn one after the other."""

    def drawn_in_turn(week_start, config):
        return dict(
            zip(synthetic.ACCESS_KEYS, synthetic._drawn_accesses(week_start, config), strict=True)
        )

    monkeypatch.setattr(synthetic, "_week", drawn_in_turn)
    pd.testing.assert_frame_equal(all_flows(SMALL).to_pandas(), week["flow_numbers"])
    pd.testing.assert_frame_equal(synthetic.assignments(WEEK, SMALL), week["assignment_numbers"])
    pd.testing.assert_frame_equal(synthetic.usage_counters(WEEK, SMALL), week["counters"])


def test_each_access_is_drawn_with_its_own_groups():
    for key, access in zip(
        synthetic.ACCESS_KEYS, synthetic._drawn_accesses(WEEK.start, SMALL), strict=True
    ):
        name, _, unassigned = key.partition("-")
        assert {(group.access, group.assigned) for group in access.groups} == {
            (name, not unassigned)
        }
        assert len(access.book.has_ipv6) == sum(group.size for group in access.groups)


def test_batches_do_not_change_the_rows(week):
    batched = SyntheticConfig(**{**vars(SMALL), "users_per_batch": 10_000})
    rows = all_flows(batched).to_pandas()
    assert len(rows) == len(week["flows"])


def test_flows_lie_inside_the_week_and_are_unscaled_samples(week):
    start, end = WEEK.utc_start, WEEK.utc_end
    flows = week["flows"]
    assert flows["flow_start"].min() >= pd.Timestamp(start)
    assert flows["flow_end"].max() < pd.Timestamp(end)
    assert (flows["flow_end"] >= flows["flow_start"]).all()
    assert (flows["packets"] >= 1).all() and (flows["bytes"] >= flows["packets"]).all()
    assert not flows["counts_scaled"].any()
    assert (flows["sampling_interval"] == SMALL.sampling_interval).all()
    assert flows["source_row"].is_unique


def holder_lookup(assignments: pd.DataFrame):
    """Subscriber holding an address at a time, by the documented matching rule."""
    networks = [
        (ipaddress.ip_network(row.address), row.valid_from, row.valid_to, row.subscriber_id)
        for row in assignments.itertuples()
    ]

    def holder(address: str, at: pd.Timestamp) -> str | None:
        ip = ipaddress.ip_address(address)
        found = [
            sid
            for net, start, stop, sid in networks
            if ip.version == net.version
            and ip in net
            and start <= at
            and (pd.isna(stop) or at < stop)
        ]
        assert len(found) <= 1, f"{address} held twice at {at}"
        return found[0] if found else None

    return holder


def test_subscriber_batches_do_not_change_the_rows(week, monkeypatch):
    monkeypatch.setattr(synthetic, "SUBSCRIBER_BATCH_USERS", 7)
    batches = list(synthetic.subscriber_frames(WEEK, SMALL))
    counters = [batch["usage_counters"] for batch in batches if "usage_counters" in batch]
    assert max(len(frame) for frame in counters) == 7 * 7
    assert synthetic.ids_as_text(pd.concat(counters, ignore_index=True)).equals(week["counters"])
    assignments = synthetic.ids_as_text(
        pd.concat([batch["assignments"] for batch in batches], ignore_index=True)
    )
    by_row = ["subscriber_id", "access", "valid_from", "prefix_len"]
    assert assignments.sort_values(by_row, ignore_index=True).equals(
        week["assignment_numbers"].sort_values(by_row, ignore_index=True)
    )


def test_daily_volumes_drawn_in_blocks_do_not_depend_on_the_batches(monkeypatch):
    monkeypatch.setattr(daily_volumes, "COUNTER_BLOCK_USERS", 20)

    def counters(batch_users: int) -> pd.DataFrame:
        monkeypatch.setattr(synthetic, "SUBSCRIBER_BATCH_USERS", batch_users)
        batches = synthetic.subscriber_frames(WEEK, SMALL)
        frames = [batch["usage_counters"] for batch in batches if "usage_counters" in batch]
        return synthetic.ids_as_text(pd.concat(frames, ignore_index=True))

    in_batches_across_blocks = counters(7)
    whole = counters(10_000)
    assert in_batches_across_blocks.equals(whole)
    assert whole.groupby("subscriber_id")["day"].count().eq(7).all()


def test_a_batch_holds_the_same_users_in_both_tables(monkeypatch):
    monkeypatch.setattr(synthetic, "SUBSCRIBER_BATCH_USERS", 50)
    for batch in synthetic.subscriber_frames(WEEK, SMALL):
        held = set(batch["assignments"]["subscriber_id"])
        assert 0 < len(held) <= 50
        if "usage_counters" in batch:
            assert set(batch["usage_counters"]["subscriber_id"]) == held


def test_direction_rule_and_attribution(week):
    flows, assignments = week["flows"], week["assignments"]
    holder = holder_lookup(assignments)
    sample = flows.sample(400, random_state=1)
    attributed = 0
    for row in sample.itertuples():
        source, destination = (
            holder(row.src_addr, row.flow_start),
            holder(row.dst_addr, row.flow_start),
        )
        assert source is None or destination is None, "a flow never joins two subscribers"
        attributed += source is not None or destination is not None
    assert attributed / len(sample) > 0.95


def test_addresses_are_canonical_text(week):
    for address in pd.concat([week["flows"]["src_addr"], week["flows"]["dst_addr"]]).sample(
        2000, random_state=2
    ):
        assert str(ipaddress.ip_address(address)) == address
    for address in week["assignments"]["address"]:
        network = ipaddress.ip_network(address)
        assert (str(network) if "/" in address else str(network.network_address)) == address
    prefixes = week["assignments"]["address"].str.extract(r"/(\d+)$")[0].dropna().astype(int)
    assert set(prefixes) == {56, 64}
    assert week["flows"]["src_addr"].str.contains(":").any()


def _plan_blocks() -> list[tuple[str, int, int]]:
    """Every block of every pool of the address plan as (pool, first, last) in one number
    space: IPv4 addresses as they are, IPv6 /48 units shifted past the IPv4 space."""
    blocks = []
    for plan in PLANS.values():
        pools = [(plan.ipv4, 0), (plan.ipv4_unassigned, 0)]
        pools += [(plan.ipv6_units, 1 << 32), (plan.ipv6_unassigned_units, 1 << 32)]
        for pool, offset in pools:
            if pool is not None:
                blocks += [(pool.name, offset + f, offset + f + n - 1) for f, n in pool.blocks]
    return sorted(blocks, key=lambda block: block[1])


def test_the_address_pools_never_share_an_address():
    """Regression: scaled to 100 million flow records, IPoE's /56s ran on into the phones'
    /64s and dbt's overlap test stopped the week."""
    blocks = _plan_blocks()
    for (name, _, last), (next_name, first, _) in itertools.pairwise(blocks):
        assert last < first, f"{name} reaches into {next_name}"
    remote = synthetic.addresses.remote_pool(np.random.default_rng(1))
    for text in pa.concat_arrays([address_text(kind) for kind in remote.values()]).to_pylist():
        address = ipaddress.ip_address(text)
        number = int(address) if address.version == 4 else (1 << 32) + (int(address) >> 80)
        assert not any(first <= number <= last for _, first, last in blocks), text


def test_a_pool_continues_in_its_next_block_and_ends_with_a_clear_error():
    pool = Pool("test", ((10, 2), (100, 3)))
    assert pool.take(np.array([0, 1, 2, 4])).tolist() == [10, 11, 100, 102]
    with pytest.raises(ValueError, match="test pool holds 5 numbers; 6 are needed"):
        pool.take(np.array([5]))


def test_a_population_past_its_documentation_block_gets_canonical_addresses_of_its_own():
    ipoe, mobile = PLANS["ipoe"], PLANS["mobile"]
    last_documented = 0x2000 * 255 - 1  # 2001:db8:9000:: to 2001:db8:afff::, 255 /56s each
    index = np.array([0, last_documented, last_documented + 1])
    prefixes = network_text(prefix_numbers(ipoe, index), np.full(len(index), 56))
    assert prefixes.to_pylist() == [
        "2001:db8:9000:100::/56",
        "2001:db8:afff:ff00::/56",
        "3fff:400:1:100::/56",
    ]
    mobile_ipv4 = format_ipv4(mobile.ipv4.take(np.array([0, 0x3EFFFE, 0x3EFFFF])))
    assert mobile_ipv4.to_pylist() == ["100.64.0.1", "100.126.255.255", "244.0.0.1"]
    hosts = address_text(host_numbers(ipoe, index, False, np.random.default_rng(3))).to_pylist()
    assert all(str(ipaddress.ip_address(host)) == host for host in hosts)
    assert ipaddress.ip_address(hosts[2]) in ipaddress.ip_network("3fff:400:1:100::/56")


def test_some_addresses_change_hands_during_the_week(week):
    assignments = week["assignments"]
    closed = assignments[assignments["valid_to"].notna()]
    assert len(closed) > 0
    reused = assignments.groupby("address")["subscriber_id"].nunique()
    assert (reused > 1).any()


def test_ports_follow_the_category_layouts(week):
    flows = week["flows"]
    portless = ~flows["protocol"].isin([6, 17])
    assert (flows.loc[portless, ["src_port", "dst_port"]] == 0).all().all()
    tcp = flows[flows["protocol"] == 6]
    lower = np.minimum(tcp["src_port"], tcp["dst_port"])
    higher = np.maximum(tcp["src_port"], tcp["dst_port"])
    assert (higher[lower == 443] >= 49152).all()
    assert (higher[lower == 31000] > 31000).all()
    assert (lower >= 1).all()


def test_ipoe_has_counters_and_no_flows(week):
    assignments, counters = week["assignments"], week["counters"]
    ipoe_prefixes = assignments.loc[assignments["access"] == "ipoe", "address"]
    assert ipoe_prefixes.str.endswith("/56").all()
    assert not week["flows"]["dst_addr"].str.startswith("2001:db8:9").any()
    per_user = counters.groupby(["access", "subscriber_id"]).size()
    assert (per_user == 7).all()
    assert set(counters["access"]) == {"ipoe", "mobile"}


def test_split_over_days_keeps_weekly_totals():
    weekly = np.array([0.0, 7.0, 1e12 + 3, 123456.7])
    days = split_over_days(weekly, np.full(7, 1 / 7), np.random.default_rng(0))
    assert days.shape == (4, 7) and (days >= 0).all()
    assert list(days.sum(axis=1)) == list(np.round(weekly).astype(np.int64))


def test_stratified_users_reproduce_the_model():
    parameters = load_parameters(SMALL.parameters_path)
    out_law = volume_distribution(parameters, "broadband", "out", WEEK.start)
    in_law = volume_distribution(parameters, "broadband", "in", WEEK.start)
    daily_out, daily_in, heavy = draw_volumes(20_000, out_law, in_law, np.random.default_rng(5))
    expected = out_law.statistics()
    assert np.median(daily_out) == pytest.approx(expected.median, rel=0.01)
    assert daily_out.mean() == pytest.approx(expected.mean, rel=0.03)
    bins = np.round(np.log10(daily_out) * 20).astype(int)
    assert np.bincount(bins).argmax() == expected.mode_bin
    # Uploads follow downloads at roughly a tenth, except for the heavy uploaders.
    ratio = np.median(np.log10(daily_in[~heavy] / daily_out[~heavy]))
    assert -1.6 < ratio < -0.8
    assert np.corrcoef(np.log10(daily_in[~heavy]), np.log10(daily_out[~heavy]))[0, 1] > 0.5
    assert 0 < heavy.mean() < 0.06


def test_non_comparison_weeks_follow_the_monthly_level():
    parameters = load_parameters(SMALL.parameters_path)
    june = volume_distribution(parameters, "mobile", "out", date(2023, 5, 29))
    october = volume_distribution(parameters, "mobile", "out", date(2023, 10, 2))
    assert october.mode_log10 > june.mode_log10


def test_fit_hits_mean_median_and_mode_bin():
    reference = volume_distribution(
        load_parameters(SMALL.parameters_path), "mobile", "out", WEEK.start
    )
    target = FitTarget(mean_mb=90.0, median_mb=40.0, mode_mb=70.8)
    fitted = fit_distribution(target, reference).statistics()
    assert fitted.mean / 1e6 == pytest.approx(90.0, rel=0.01)
    assert fitted.median / 1e6 == pytest.approx(40.0, rel=0.01)
    assert fitted.mode_bin == target.mode_bin == 157
    assert fitted.flank_dip <= 2 * MAX_FLANK_DIP


def bins_of(masses_at_centres: np.ndarray) -> np.ndarray:
    return masses_at_centres / masses_at_centres.sum()


def test_flank_dip_is_zero_for_single_peaks_and_large_for_shoulders():
    x = np.arange(-6, 6, 0.05)
    normal = bins_of(np.exp(-0.5 * x**2))
    cusp = bins_of(np.exp(np.where(x < 0, 1.5 * x, -3 * x)))
    shoulder = bins_of(np.exp(-0.5 * x**2) + 0.4 * np.exp(-0.5 * ((x + 2.5) / 0.5) ** 2))
    rise = np.where(x < -1.2, 0.3, 0.3 ** (-x / 1.2))
    left_tail = 0.3 * np.exp(3 * (x + 2))
    plateau = bins_of(np.where(x < -2, left_tail, np.where(x < 0, rise, np.exp(-3 * x))))
    tilted = bins_of(np.where(x < -2, left_tail, np.where(x < 0, rise + 0.01 * x, np.exp(-3 * x))))
    assert flank_dip(normal) == pytest.approx(0, abs=1e-12)
    assert flank_dip(cusp) == pytest.approx(0, abs=1e-12)
    assert flank_dip(shoulder) > 0.1
    assert flank_dip(plateau) == 1.0  # a flat run of bins does not climb at all
    assert flank_dip(tilted) > 0.5  # nor does a nearly flat one, to the eye


# A visible shoulder or plateau makes flank_dip about 0.1 or more; the fit allows MAX_FLANK_DIP.
SMOOTH_PEAK_MAX_DIP = 2 * MAX_FLANK_DIP
# Bins below this fraction of the peak bin lie off the plotted axis or hold no user of a week.
MONOTONE_FLOOR = 1e-4


def fitted_populations():
    volume = load_parameters(SMALL.parameters_path)["volume"]
    for service, directions in volume.items():
        for direction, years in directions.items():
            for year, entry in years.items():
                yield f"{service}-{direction}-{year}", entry["model"]


@pytest.mark.parametrize(("population", "model"), list(fitted_populations()))
def test_every_fitted_density_is_one_smooth_peak(population, model):
    """On the model's 0.05-decade histogram (the bins of Figures 3, 4 and 11): every bin
    holding at least MONOTONE_FLOOR of the peak bin is fuller than the one before it up to the
    mode bin and emptier after it, and on the flanks the steps never sag (flank_dip) below
    steeper steps on both sides, which a plateau or a second bump would make them do."""
    masses, _ = VolumeDistribution.from_dict(model).law().bin_masses()
    peak = int(np.argmax(masses))
    visible = np.flatnonzero(masses >= MONOTONE_FLOOR * masses[peak])
    assert (np.diff(masses[visible.min() : peak + 1]) > 0).all(), population
    assert (np.diff(masses[peak : visible.max() + 1]) < 0).all(), population
    assert flank_dip(masses) <= SMOOTH_PEAK_MAX_DIP, population


def test_port_mix_sums_to_100_and_extrapolates_2019():
    table = load_published()["port_shares"]["broadband"]
    for year in (2019, 2020, 2024):
        mix = port_mix(table, year)
        assert sum(mix.values()) == pytest.approx(100.0, abs=1e-3)
        assert min(mix.values()) > 0
    assert port_mix(table, 2024)["6/443"] == pytest.approx(53.8, abs=0.01)
    assert port_mix(table, 2019)["17/443"] < port_mix(table, 2020)["17/443"]


def test_assign_categories_is_exact_up_to_the_largest_connection():
    rng = np.random.default_rng(3)
    weights = rng.pareto(1.5, 50_000) + 1
    shares = np.array([0.6, 0.25, 0.1, 0.05])
    category = assign_categories(weights, shares, rng)
    achieved = np.bincount(category, weights=weights) / weights.sum()
    assert np.abs(achieved - shares).max() <= weights.max() / weights.sum() + 1e-12


def test_monthly_totals_reproduce_the_published_growth():
    totals = synthetic.monthly_totals(SMALL)
    totals["days"] = pd.to_datetime(totals["month"]).dt.days_in_month
    by_service = totals.groupby(["service", "direction", "month"]).agg(
        bytes=("bytes", "sum"), days=("days", "first")
    )
    rate = (by_service["bytes"] / by_service["days"]).astype(float)

    def june(service: str, direction: str, year: int) -> float:
        return rate[(service, direction, date(year, 6, 1))]

    assert june("broadband", "IN", 2024) / june("broadband", "IN", 2023) == pytest.approx(
        1.14, abs=1e-3
    )
    assert june("broadband", "OUT", 2023) / june("broadband", "OUT", 2022) == pytest.approx(
        1.18, abs=1e-3
    )
    assert june("broadband", "OUT", 2024) / june("broadband", "OUT", 2019) == pytest.approx(
        2.01, abs=1e-3
    )
    assert june("mobile", "IN", 2024) / june("mobile", "IN", 2023) == pytest.approx(1.29, abs=1e-3)
    january_2020 = rate[("mobile", "OUT", date(2020, 1, 1))]
    assert june("mobile", "OUT", 2024) / january_2020 == pytest.approx(2.1, abs=1e-3)
    june_2024 = totals[(totals["month"] == date(2024, 6, 1)) & (totals["service"] == "broadband")]
    ipoe_share = june_2024.pivot_table(index="direction", columns="access", values="bytes")
    share = ipoe_share["ipoe"] / (ipoe_share["ipoe"] + ipoe_share["pppoe"])
    assert share["IN"] == pytest.approx(0.43, abs=1e-3) and share["OUT"] == pytest.approx(
        0.48, abs=1e-3
    )


def test_provenance_says_synthetic():
    assert synthetic.provenance(SMALL)["source"] == "synthetic"
    assert "flow_copies" not in synthetic.provenance(SMALL)


def test_flow_copies_hand_over_each_record_again_under_a_source_file_of_its_own(week):
    copied = SMALL.model_copy(update={"flow_copies": 3})
    flows = all_flows(copied).to_pandas()
    original = week["flow_numbers"]
    assert len(flows) == 3 * len(original)
    files = flows.groupby("source_file").size()
    base = original["source_file"].iloc[0]
    assert files.to_dict() == {
        base: len(original),
        f"{base}/copy=1": len(original),
        f"{base}/copy=2": len(original),
    }
    copy = flows[flows["source_file"] == f"{base}/copy=2"].drop(columns="source_file")
    pd.testing.assert_frame_equal(
        copy.sort_values("source_row").reset_index(drop=True),
        original.drop(columns="source_file").sort_values("source_row").reset_index(drop=True),
    )
    assert synthetic.provenance(copied)["flow_copies"] == 3


def test_invalid_config_is_rejected():
    with pytest.raises(ValueError, match="mobile_flow_users"):
        SyntheticConfig(mobile_users=10, mobile_flow_users=20)
    with pytest.raises(ValueError, match="sampling_interval"):
        SyntheticConfig(sampling_interval=0)


def test_week_days_are_the_analysis_days(week):
    days = sorted(week["counters"]["day"].unique())
    assert days == [WEEK.start + timedelta(days=i) for i in range(7)]


def test_a_label_repeated_past_2_gib_of_text_stages():
    """Regression: a 49M-row counter frame with its source file on every row overflowed
    Arrow's 32-bit string offsets when staged (the 50M-flow week failed to load)."""
    rows = 3_000_000
    label = "x" * 1_000  # 3 GB as plain text
    frame = pd.DataFrame({"source_file": _repeated(label, rows)})
    con = duckdb.connect()
    stage(con, "staged", frame)
    assert con.execute(
        "select count(*), min(source_file) = max(source_file) from staged"
    ).fetchone() == (
        rows,
        True,
    )


def test_subscriber_ids_are_a_prefix_and_eight_digits(week):
    ids = pd.concat([week["assignments"], week["counters"]])
    prefixes = ids.groupby("service")["subscriber_id"].agg(lambda s: sorted(set(s.str[:-8])))
    assert prefixes.to_dict() == {"broadband": ["bb"], "mobile": ["070", "080"]}
    assert ids["subscriber_id"].str.fullmatch(r"(bb|070|080)\d{8}").all()
