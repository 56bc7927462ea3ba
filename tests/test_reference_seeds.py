"""The dbt seeds read from Python equal the report's reference data.

The expected values are the published report's (IIJ Internet Infrastructure Review Vol. 64,
Tables 3 and 4; the comparison weeks late May / early June of each year), written out here
so the test does not depend on where the Python constants live.
"""

from datetime import date

import pytest

from dagster_project.reference import seeds

BROADBAND_PORT_ROWS = (
    ("TCP", "TCP"),
    ("TCP", "(< 1024)"),
    ("TCP", "443 (https)"),
    ("TCP", "80 (http)"),
    ("TCP", "183"),
    ("TCP", "993 (imaps)"),
    ("TCP", "22 (ssh)"),
    ("TCP", "(>= 1024)"),
    ("TCP", "31000"),
    ("TCP", "1935 (rtmp)"),
    ("TCP", "8080"),
    ("UDP", "UDP"),
    ("UDP", "443 (https)"),
    ("UDP", "4500 (nat-t)"),
    ("UDP", "8801"),
    ("ESP", "ESP"),
    ("GRE", "GRE"),
    ("IP-ENCAP", "IP-ENCAP"),
    ("ICMP", "ICMP"),
)
MOBILE_PORT_ROWS = (
    ("TCP", "TCP"),
    ("TCP", "443 (https)"),
    ("TCP", "80 (http)"),
    ("TCP", "993 (imaps)"),
    ("TCP", "1935 (rtmp)"),
    ("UDP", "UDP"),
    ("UDP", "443 (https)"),
    ("UDP", "4500 (nat-t)"),
    ("UDP", "51820"),
    ("UDP", "53 (dns)"),
    ("UDP", "8801"),
    ("ESP", "ESP"),
    ("GRE", "GRE"),
    ("ICMP", "ICMP"),
)


def test_report_protocols_name_the_report_rows():
    assert seeds.report_protocols() == {
        1: "ICMP",
        4: "IP-ENCAP",
        6: "TCP",
        17: "UDP",
        47: "GRE",
        50: "ESP",
        58: "ICMP",  # ICMPv6 counted as ICMP
    }


def test_port_table_rows_are_the_22_rows_in_order():
    rows = seeds.port_table_rows()
    assert [row.row_order for row in rows] == list(range(1, 23))
    assert [(row.protocol_name, row.label) for row in rows][:3] == [
        ("TCP", "TCP"),
        ("TCP", "(< 1024)"),
        ("TCP", "443 (https)"),
    ]
    assert rows[-1].label == "other" and not rows[-1].in_table_3 and not rows[-1].in_table_4
    ranges = {row.label: row.port_range for row in rows if row.port_range is not None}
    assert ranges == {"(< 1024)": "low", "(>= 1024)": "high"}
    assert {row.port for row in rows if row.port is not None} == {
        22, 53, 80, 183, 443, 993, 1935, 4500, 8080, 8801, 31000, 51820
    }  # fmt: skip
    assert all(row.level in (0, 1, 2) for row in rows)
    assert all(isinstance(row.port, int) for row in rows if row.port is not None)


@pytest.mark.parametrize(
    ("service", "expected"), [("broadband", BROADBAND_PORT_ROWS), ("mobile", MOBILE_PORT_ROWS)]
)
def test_published_port_rows_are_the_report_tables(service, expected):
    assert seeds.published_port_rows(service) == expected


def test_published_port_rows_refuse_an_unknown_service():
    with pytest.raises(ValueError, match="unknown service"):
        seeds.published_port_rows("ipoe")


def test_reference_weeks_are_the_report_weeks():
    weeks = seeds.reference_weeks()
    assert dict(weeks.comparison_weeks) == {
        2019: date(2019, 5, 27),
        2020: date(2020, 6, 1),
        2021: date(2021, 5, 31),
        2022: date(2022, 5, 30),
        2023: date(2023, 5, 29),
        2024: date(2024, 6, 3),
    }
    assert list(weeks.comparison_weeks) == [2019, 2020, 2021, 2022, 2023, 2024]
    assert weeks.seasonal_weeks == (
        date(2023, 5, 29),
        date(2023, 10, 2),
        date(2024, 2, 5),
        date(2024, 6, 3),
    )
    assert weeks.pre_pandemic_week == date(2020, 2, 17)
    assert all(week.weekday() == 0 for week in weeks.all_weeks())
    assert len(weeks.all_weeks()) == 9  # 2023-05-29 and 2024-06-03 serve two roles


def test_seeds_are_read_once():
    assert seeds.reference_weeks() is seeds.reference_weeks()
    assert seeds.port_table_rows() is seeds.port_table_rows()
