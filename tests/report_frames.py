"""Small hand-built frames in the shapes of the marts the figures and tables read."""

from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd

WEEKS = (date(2023, 5, 29), date(2024, 6, 3))


def usage_distribution(years=(2023, 2024)) -> pd.DataFrame:
    """Gaussian densities on the log axis, OUT about a decade above IN, one per year."""
    centres = np.round(np.arange(4.025, 11.0, 0.05), 3)
    rows = []
    for offset, year in enumerate(years):
        for direction, peak in (("IN", 8.2), ("OUT", 9.4)):
            density = np.exp(-0.5 * ((centres - peak - 0.05 * offset) / 0.6) ** 2)
            density /= density.sum() * 0.05
            rows += [
                {"year": year, "direction": direction, "log10_bytes": c, "density": d}
                for c, d in zip(centres, density, strict=True)
            ]
    return pd.DataFrame(rows)


def user_sample(users: int = 500, seed: int = 7) -> pd.DataFrame:
    generator = np.random.default_rng(seed)
    bytes_out = 10 ** generator.normal(9.3, 0.6, users)
    bytes_in = bytes_out * 10 ** generator.normal(-1, 0.4, users)
    bytes_in[0] = 0  # a user with no upload cannot sit on the log axis
    return pd.DataFrame({"bytes_out": bytes_out, "bytes_in": bytes_in})


def hourly_port_traffic(weeks=WEEKS) -> pd.DataFrame:
    rows = []
    for week in weeks:
        start = datetime(week.year, week.month, week.day)
        for hour in range(7 * 24):
            evening = 0.6 + 0.4 * np.sin((hour % 24 - 15) / 24 * 2 * np.pi)
            shares = {"TCP 443": 0.55, "TCP 80": 0.07, "TCP dynamic": 0.06, "UDP 443": 0.22}
            rows.append(
                {
                    "week_start": week,
                    "hour_start": start + timedelta(hours=hour),
                    "bucket": "total",
                    "relative_traffic": evening,
                }
            )
            rows += [
                {
                    "week_start": week,
                    "hour_start": start + timedelta(hours=hour),
                    "bucket": bucket,
                    "relative_traffic": evening * share,
                }
                for bucket, share in shares.items()
            ]
    frame = pd.DataFrame(rows)
    peaks = frame[frame["bucket"] == "total"].groupby("week_start")["relative_traffic"].max()
    frame["relative_traffic"] /= frame["week_start"].map(peaks)
    return frame


def weekday_hourly_traffic(weeks=WEEKS) -> pd.DataFrame:
    rows = []
    for index, week in enumerate(weeks):
        for hour in range(24):
            out = (1 + 0.1 * index) * (2 + np.sin((hour - 15) / 24 * 2 * np.pi))
            rows.append({"week_start": week, "direction": "OUT", "hour": hour, "traffic_gbps": out})
            rows.append(
                {"week_start": week, "direction": "IN", "hour": hour, "traffic_gbps": out / 8}
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
        ):
            for direction, scale in (("OUT", 1.0), ("IN", 0.15)):
                rows.append(
                    {
                        "month": month.date(),
                        "service": service,
                        "access": access,
                        "direction": direction,
                        "relative_traffic": growth * weight * scale,
                    }
                )
    return pd.DataFrame(rows)


def usage_summary_by_year() -> pd.DataFrame:
    rows = []
    for year in range(2019, 2025):
        for service, scale in (("broadband", 1.0), ("mobile", 0.02)):
            for direction, base in (("IN", 479.0), ("OUT", 2986.0)):
                growth = 1.1 ** (year - 2019)
                rows.append(
                    {
                        "year": year,
                        "service": service,
                        "direction": direction,
                        "mean_mb": base * scale * growth,
                        "median_mb": base * scale * growth / 3,
                        "mode_mb": 10 ** (round(20 * np.log10(base * scale * growth / 2)) / 20),
                    }
                )
    return pd.DataFrame(rows)


def port_usage_by_year() -> pd.DataFrame:
    ports = (
        ("TCP", 443, 50.0),
        ("TCP", 80, 7.0),
        ("TCP", 22, 0.1),
        ("TCP", 31000, 1.2),
        ("TCP", 50000, 5.0),
        ("UDP", 443, 21.0),
        ("UDP", 4500, 0.9),
        ("UDP", 60000, 6.0),
        ("ESP", None, 4.0),
        ("GRE", None, 0.2),
        ("ICMP", None, 0.04),
    )
    rows = []
    for year in range(2020, 2025):
        total = sum(share for _, _, share in ports) + 0.25 * (year - 2020)
        for protocol, port, share in ports:
            bonus = 0.25 * (year - 2020) if (protocol, port) == ("UDP", 443) else 0
            rows.append(
                {
                    "year": year,
                    "service": "broadband",
                    "protocol_name": protocol,
                    "flow_port": port,
                    "share_pct": 100 * (share + bonus) / total,
                }
            )
    return pd.DataFrame(rows)


def _for_weeks(build, weeks, services=("broadband", "mobile")) -> pd.DataFrame:
    """A weekly mart: the same shape for every week and service, labelled with both."""
    parts = []
    for index, week in enumerate(sorted(weeks)):
        for service_index, service in enumerate(services):
            part = build(index, service_index)
            parts.append(part.assign(week_start=week, service=service))
    return pd.concat(parts, ignore_index=True)


def hand_built_marts(weeks_by_year: dict[int, date], other_weeks) -> dict[str, pd.DataFrame]:
    """Every mart the report reads, for the comparison weeks and the other default weeks."""
    all_weeks = sorted({*weeks_by_year.values(), *other_weeks})
    summary = usage_summary_by_year()
    ports = port_usage_by_year()
    mobile_ports = ports.assign(service="mobile")
    distribution = usage_distribution(years=(0,)).drop(columns="year")
    return {
        "usage_distribution": _for_weeks(
            lambda i, s: distribution.assign(density=distribution["density"] * (1 + 0.01 * i)),
            weeks_by_year.values(),
        ),
        "user_sample": _for_weeks(lambda i, s: user_sample(200, seed=i + 10 * s), all_weeks),
        "hourly_port_traffic": pd.concat(
            [
                hourly_port_traffic(weeks=(week,)).assign(service=service)
                for week in weeks_by_year.values()
                for service in ("broadband", "mobile")
            ],
            ignore_index=True,
        ),
        "weekday_hourly_traffic": pd.concat(
            [
                weekday_hourly_traffic(weeks=(week,)).assign(service=service)
                for week in all_weeks
                for service in ("broadband", "mobile")
            ],
            ignore_index=True,
        ),
        "top_user_shares": _for_weeks(
            lambda i, s: pd.DataFrame(
                [
                    {"direction": d, "top_percent": t, "share_pct": 10.0 + i + t + (d == "IN")}
                    for d in ("IN", "OUT")
                    for t in (1, 10)
                ]
            ),
            weeks_by_year.values(),
        ),
        "monthly_traffic": monthly_traffic(),
        "usage_summary_by_year": summary,
        "port_usage_by_year": pd.concat([ports, mobile_ports], ignore_index=True),
    }


def with_year_for_test(frame: pd.DataFrame, weeks_by_year: dict[int, date]) -> pd.DataFrame:
    years = {week: year for year, week in weeks_by_year.items()}
    return frame.assign(year=frame["week_start"].map(years))
