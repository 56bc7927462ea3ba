"""Small hand-built frames in the shapes of the marts the figures and tables read.

Columns follow dbt/models/marts/*.yml.
"""

from datetime import date

import numpy as np
import pandas as pd

from dagster_project.report import calibration

WEEKS = (date(2023, 5, 29), date(2024, 6, 3))
BUCKETS = {"TCP 443": 0.55, "TCP 80": 0.07, "TCP >= 1024": 0.06, "UDP 443": 0.22}
PORT_LABELS = (
    "TCP",
    "(< 1024)",
    "443 (https)",
    "80 (http)",
    "183",
    "993 (imaps)",
    "22 (ssh)",
    "(>= 1024)",
    "31000",
    "1935 (rtmp)",
    "8080",
    "UDP",
    "443 (https)",
    "4500 (nat-t)",
    "8801",
    "51820",
    "53 (dns)",
    "ESP",
    "GRE",
    "IP-ENCAP",
    "ICMP",
    "other",
)


PROTOCOL_ROWS = ("TCP", "UDP", "ESP", "GRE", "IP-ENCAP", "ICMP", "other")


def usage_distribution(years=(2023, 2024)) -> pd.DataFrame:
    """Gaussian densities on the log axis, OUT about a decade above IN, one per year."""
    bins = np.arange(80, 221)
    centres = bins / 20
    rows = []
    for offset, year in enumerate(years):
        for direction, peak in (("IN", 8.2), ("OUT", 9.4)):
            density = np.exp(-0.5 * ((centres - peak - 0.05 * offset) / 0.6) ** 2)
            density /= density.sum() * 0.05
            rows += [
                {
                    "report_year": year,
                    "direction": direction,
                    "bin": b,
                    "log10_bytes": c,
                    "density": d,
                }
                for b, c, d in zip(bins, centres, density, strict=True)
            ]
    return pd.DataFrame(rows)


def user_sample(users: int = 500, seed: int = 7) -> pd.DataFrame:
    generator = np.random.default_rng(seed)
    daily_out = 10 ** generator.normal(9.3, 0.6, users)
    daily_in = daily_out * 10 ** generator.normal(-1, 0.4, users)
    daily_in[0] = 0  # a user with no upload cannot sit on the log axis
    return pd.DataFrame(
        {
            "sample_rank": np.arange(1, users + 1),
            "daily_bytes_out": daily_out,
            "daily_bytes_in": daily_in,
        }
    )


def hourly_port_traffic(weeks=WEEKS) -> pd.DataFrame:
    rows = []
    for week in weeks:
        for hour in range(7 * 24):
            evening = 0.6 + 0.4 * np.sin((hour % 24 - 15) / 24 * 2 * np.pi)
            rows.append(
                {"week_start": week, "hour_of_week": hour, "bucket": "total", "traffic": evening}
            )
            rows += [
                {
                    "week_start": week,
                    "hour_of_week": hour,
                    "bucket": bucket,
                    "traffic": evening * share,
                }
                for bucket, share in BUCKETS.items()
            ]
    frame = pd.DataFrame(rows)
    peaks = frame[frame["bucket"] == "total"].groupby("week_start")["traffic"].max()
    frame["traffic"] /= frame["week_start"].map(peaks)
    return frame


def weekday_hourly_traffic(weeks=WEEKS) -> pd.DataFrame:
    rows = []
    for index, week in enumerate(weeks):
        for hour in range(24):
            out = 1e9 * (1 + 0.1 * index) * (2 + np.sin((hour - 15) / 24 * 2 * np.pi))
            for direction, rate in (("OUT", out), ("IN", out / 8)):
                rows.append(
                    {
                        "week_start": week,
                        "direction": direction,
                        "hour_of_day": hour,
                        "bits_per_second": rate,
                    }
                )
    return pd.DataFrame(rows)


def monthly_traffic() -> pd.DataFrame:
    months = pd.date_range("2019-01-01", "2024-06-01", freq="MS")
    rows = []
    for position, month in enumerate(months):
        growth = 1.012**position
        for service, access, weight in (
            ("broadband", "all", 1.0),
            ("broadband", "pppoe", 0.55),
            ("broadband", "ipoe", 0.45),
            ("mobile", "mobile", 1.0),
            ("mobile", "all", 1.0),
        ):
            for direction, scale in (("OUT", 1.0), ("IN", 0.15)):
                rows.append(
                    {
                        "month": month.date(),
                        "service": service,
                        "access": access,
                        "direction": direction,
                        "normalized_traffic": growth * weight * scale,
                    }
                )
    return pd.DataFrame(rows)


def usage_summary_by_year(weeks_by_year: dict[int, date]) -> pd.DataFrame:
    rows = []
    for year, week in weeks_by_year.items():
        for service, scale in (("broadband", 1.0), ("mobile", 0.02)):
            for direction, base in (("IN", 479.0), ("OUT", 2986.0)):
                growth = 1.1 ** (year - 2019)
                mode_bin = round(20 * np.log10(base * scale * growth / 2))
                rows.append(
                    {
                        "report_year": year,
                        "week_start": week,
                        "service": service,
                        "direction": direction,
                        "mean_mb": base * scale * growth,
                        "median_mb": base * scale * growth / 3,
                        "mode_bin": mode_bin,
                        "mode_mb": 10 ** (mode_bin / 20),
                    }
                )
    return pd.DataFrame(rows)


def port_usage_by_year(weeks_by_year: dict[int, date]) -> pd.DataFrame:
    rows = []
    for year, week in weeks_by_year.items():
        if year < 2020:
            continue
        for service in ("broadband", "mobile"):
            for order, label in enumerate(PORT_LABELS, start=1):
                share = 100 / (order + 1) + 0.37 * (year - 2020) + (service == "mobile")
                rows.append(
                    {
                        "report_year": year,
                        "week_start": week,
                        "service": service,
                        "row_order": order,
                        "label": label,
                        "level": 0 if label in PROTOCOL_ROWS else 1,
                        "share_pct": share,
                    }
                )
    return pd.DataFrame(rows)


# week_port_shares of one week and service: (label, protocol_name, port, share %), 'other' last
WEEK_PORTS = (
    ("TCP 443", "TCP", 443, 52.5),
    ("UDP 443", "UDP", 443, 21.25),
    ("TCP 10443", "TCP", 10443, 9.0),
    ("ESP", "ESP", None, 4.0),
    ("other", None, None, 13.25),
)


def week_port_shares(total_bytes: int = 10**12) -> pd.DataFrame:
    shares = pd.Series([share for *_, share in WEEK_PORTS])
    return pd.DataFrame(
        {
            "row_order": range(1, len(WEEK_PORTS) + 1),
            "label": [label for label, *_ in WEEK_PORTS],
            "protocol_name": [protocol for _, protocol, *_ in WEEK_PORTS],
            "protocol": pd.array([None] * len(WEEK_PORTS), dtype="Int16"),
            "port": pd.array([port for _, _, port, _ in WEEK_PORTS], dtype="Int32"),
            "bytes": (shares * total_bytes / 100).astype("int64"),
            "between_subscribers_bytes": (shares * total_bytes / 1000).astype("int64"),
            "total_bytes": total_bytes,
            "share_pct": shares,
            "threshold_pct": 0.5,
        }
    )


def ipv6_share(weeks: tuple[date, ...] | list[date]) -> pd.DataFrame:
    """ipv6_share(_by_week): the IPv6 share two points higher each week, mobile's 20 higher."""
    frame = pd.MultiIndex.from_product(
        [sorted(weeks), ("broadband", "mobile"), ("IN", "OUT")],
        names=["week_start", "service", "direction"],
    ).to_frame(index=False)
    ipv6 = 10**10 * (20 + 2 * (frame.index // 4) + 20 * (frame["service"] == "mobile"))
    return frame.assign(
        ipv4_bytes=10**12 - ipv6, ipv6_bytes=ipv6, total_bytes=10**12, ipv6_share_pct=ipv6 / 10**10
    )


def traffic_growth() -> pd.DataFrame:
    rows = []
    for service in ("broadband", "mobile"):
        for direction, yearly in (("IN", 1.14), ("OUT", 1.12)):
            for to_month in (date(2023, 6, 1), date(2024, 6, 1)):
                rows.append(
                    {
                        "service": service,
                        "direction": direction,
                        "years": 1,
                        "to_month": to_month,
                        "growth_factor": yearly + 0.01 * (to_month.year - 2023),
                        "annual_factor": yearly,
                    }
                )
            rows.append(
                {
                    "service": service,
                    "direction": direction,
                    "years": 5,
                    "to_month": date(2024, 6, 1),
                    "growth_factor": yearly**5,
                    "annual_factor": yearly,
                }
            )
    return pd.DataFrame(rows)


def mode_growth() -> pd.DataFrame:
    rows = []
    for service in ("broadband", "mobile"):
        for direction, factor in (("IN", 2.5), ("OUT", 2.8)):
            for from_year, to_year in ((2019, 2024), (2023, 2024)):
                years = to_year - from_year
                growth = factor ** (years / 5)
                rows.append(
                    {
                        "service": service,
                        "direction": direction,
                        "from_year": from_year,
                        "to_year": to_year,
                        "years": years,
                        "growth_factor": growth,
                        "annual_factor": growth ** (1 / years),
                    }
                )
    return pd.DataFrame(rows)


def _weekly(frame: pd.DataFrame, week: date, service: str) -> pd.DataFrame:
    return frame.assign(week_start=week, service=service)


def hand_built_marts(weeks_by_year: dict[int, date], other_weeks) -> dict[str, pd.DataFrame]:
    """Every mart the report reads, for the comparison weeks and the other default weeks."""
    all_weeks = sorted({*weeks_by_year.values(), *other_weeks})
    services = ("broadband", "mobile")
    distribution = usage_distribution(years=(0,)).drop(columns="report_year")
    top_shares = pd.DataFrame(
        [
            {"direction": d, "top_percent": t, "share_pct": 10.04 + t + 3 * (d == "IN")}
            for d in ("IN", "OUT")
            for t in (1, 10)
        ]
    )
    return {
        "usage_distribution": pd.concat(
            [
                _weekly(
                    distribution.assign(density=distribution["density"] * (1 + 0.01 * i)),
                    week,
                    service,
                )
                for i, week in enumerate(sorted(weeks_by_year.values()))
                for service in services
            ],
            ignore_index=True,
        ),
        "user_sample": pd.concat(
            [
                _weekly(user_sample(200, seed=i), week, service)
                for i, week in enumerate(all_weeks)
                for service in services
            ],
            ignore_index=True,
        ),
        "hourly_port_traffic": pd.concat(
            [
                hourly_port_traffic(weeks=(week,)).assign(service=service)
                for week in weeks_by_year.values()
                for service in services
            ],
            ignore_index=True,
        ),
        "weekday_hourly_traffic": pd.concat(
            [
                weekday_hourly_traffic(weeks=(week,)).assign(service=service)
                for week in all_weeks
                for service in services
            ],
            ignore_index=True,
        ),
        "top_user_shares": pd.concat(
            [
                _weekly(top_shares.assign(share_pct=top_shares["share_pct"] + i), week, service)
                for i, week in enumerate(sorted(weeks_by_year.values()))
                for service in services
            ],
            ignore_index=True,
        ),
        "usage_summary": usage_summary_by_year(weeks_by_year).drop(columns="report_year"),
        "port_usage": port_usage_by_year(weeks_by_year).drop(columns="report_year"),
        "week_port_shares": pd.concat(
            [
                _weekly(week_port_shares(), week, service)
                for week in sorted(weeks_by_year.values())
                for service in services
            ],
            ignore_index=True,
        ),
        "subscriber_pair_traffic": pd.DataFrame(
            [
                {
                    "week_start": week,
                    "service": service,
                    "bytes": 10**11,
                    "total_bytes": 10**12,
                    "share_pct": 10.0 + 2.5 * (service == "mobile"),
                }
                for week in sorted(weeks_by_year.values())
                for service in services
            ]
        ),
        "ipv6_share": ipv6_share(all_weeks),
        "ipv6_share_by_week": ipv6_share(all_weeks),
        "monthly_traffic": monthly_traffic(),
        "usage_summary_by_year": usage_summary_by_year(weeks_by_year),
        "port_usage_by_year": port_usage_by_year(weeks_by_year),
        "traffic_growth": traffic_growth(),
        "mode_growth": mode_growth(),
    }


def with_report_year(frame: pd.DataFrame, weeks_by_year: dict[int, date]) -> pd.DataFrame:
    years = {week: year for year, week in weeks_by_year.items()}
    return frame.assign(report_year=frame["week_start"].map(years))


def calibration_comparison() -> pd.DataFrame:
    """Rows as the calibration asset writes them (tables/calibration.csv)."""
    return pd.DataFrame(
        [
            (
                "Table 1",
                "broadband",
                "OUT",
                2024,
                "mean_mb",
                5743,
                5801.2,
                0.0101,
                0.05,
                "relative",
                True,
            ),
            ("Table 1", "broadband", "OUT", 2024, "mode_bin", 75, 76, 1, 0, "bins", False),
            ("Table 3", "broadband", "", 2024, "tcp", 67.5, 67.31, -0.19, 0.5, "points", True),
        ],
        columns=calibration.COLUMNS,
    )
