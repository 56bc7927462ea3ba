"""sources.yaml is read into typed models; every problem is named by file, key path and reason."""

import re
from pathlib import Path

import pytest

from dagster_project.sources.source_config import (
    FileSources,
    FlowSource,
    SourceConfigError,
    SourcesConfig,
    load_sources_config,
)
from dagster_project.sources.synthetic import SyntheticConfig

FLOW = (
    "    - {name: bras, format: nfdump_csv, path: flows/*.csv, service: broadband,"
    " counts_scaled: true}\n"
)


def write(folder: Path, text: str) -> Path:
    path = folder / "sources.yaml"
    path.write_text(text)
    return path


def files_config(folder: Path, flows: str = FLOW, rest: str = "") -> Path:
    return write(folder, "kind: files\nfiles:\n  flows:\n" + flows + rest)


def problems(path: Path) -> list[str]:
    """The lines of the error that reading `path` raises; each must name the file."""
    with pytest.raises(SourceConfigError) as raised:
        load_sources_config(path)
    lines = str(raised.value).splitlines()
    assert lines and all(line.startswith(f"{path}: ") for line in lines), lines
    assert "pydantic" not in str(raised.value) and "errors.pydantic.dev" not in str(raised.value)
    return [line.removeprefix(f"{path}: ") for line in lines]


def test_the_project_config_is_the_synthetic_source():
    config = load_sources_config(Path(__file__).parents[1] / "sources.yaml")
    assert config.kind == "synthetic" and config.files is None
    assert config.synthetic.pppoe_users == 6000 and config.synthetic.seed == 20240603


def test_synthetic_config_takes_defaults_and_stays_hashable(tmp_path):
    config = load_sources_config(write(tmp_path, "kind: synthetic\nsynthetic:\n  seed: 7\n"))
    assert config.synthetic == SyntheticConfig(seed=7)
    assert hash(config.synthetic) == hash(SyntheticConfig(seed=7))
    assert SyntheticConfig(**{**vars(config.synthetic), "seed": 8}).seed == 8
    assert load_sources_config(write(tmp_path, "kind: synthetic\n")).synthetic == SyntheticConfig()


def test_files_config_resolves_relative_paths_against_its_folder(tmp_path):
    absolute = tmp_path / "elsewhere" / "radius.csv"
    path = files_config(
        tmp_path,
        FLOW + "    - {name: pgw, format: goflow2_json, path: '~/pgw/*.json', service: mobile,"
        " timezone: Asia/Tokyo, sampling_interval: 1024, counts_scaled: false}\n",
        f"  assignments:\n    - {{name: radius, format: csv, path: {absolute}}}\n"
        "  usage_counters:\n"
        "  monthly_totals:\n    - {name: counters, format: parquet, path: totals.parquet}\n",
    )
    config = load_sources_config(path)
    assert config.kind == "files" and isinstance(config.files, FileSources)
    bras, pgw = config.files.flows
    assert bras == FlowSource(
        name="bras",
        format="nfdump_csv",
        path=str(tmp_path / "flows/*.csv"),
        service="broadband",
        counts_scaled=True,
    )
    assert (bras.timezone, bras.sampling_interval, bras.counts_scaled) == ("UTC", None, True)
    assert pgw.path == str(Path.home() / "pgw/*.json")
    assert (pgw.timezone, pgw.sampling_interval, pgw.counts_scaled) == ("Asia/Tokyo", 1024, False)
    assert [source.path for source in config.files.assignments] == [str(absolute)]
    assert config.files.usage_counters == ()
    assert config.files.monthly_totals[0].path == str(tmp_path / "totals.parquet")


def test_models_are_frozen(tmp_path):
    config = load_sources_config(files_config(tmp_path))
    with pytest.raises(ValueError, match="frozen"):
        config.files.flows[0].sampling_interval = 2  # type: ignore[union-attr,misc]
    assert isinstance(config, SourcesConfig)


def test_unknown_top_level_key(tmp_path):
    path = write(tmp_path, "kind: synthetic\nsynthetc:\n  seed: 1\n")
    assert problems(path) == ["synthetc: unknown key (did you mean 'synthetic'?)"]


def test_unknown_key_in_a_flow_source(tmp_path):
    flow = "    - {name: bras, format: nfcapd, path: x, sampling_intervall: 1024}\n"
    assert problems(files_config(tmp_path, flow)) == [
        "files.flows[0].sampling_intervall: unknown key (did you mean 'sampling_interval'?)"
    ]


def test_wrong_section_name(tmp_path):
    path = files_config(tmp_path, rest="  assignment:\n    - {name: r, format: csv, path: r}\n")
    assert problems(path) == ["files.assignment: unknown key (did you mean 'assignments'?)"]


def test_a_quoted_boolean_is_refused_not_read_as_true(tmp_path):
    flow = "    - {name: bras, format: nfdump_csv, path: x, counts_scaled: 'false'}\n"
    assert problems(files_config(tmp_path, flow)) == [
        "files.flows[0].counts_scaled: must be true or false (unquoted), not 'false'"
    ]


@pytest.mark.parametrize("value", ["0", "-4", "'1024'", "true", "2.5"])
def test_sampling_interval_must_be_a_positive_whole_number(tmp_path, value):
    flow = f"    - {{name: bras, format: nfcapd, path: x, sampling_interval: {value}}}\n"
    (problem,) = problems(files_config(tmp_path, flow))
    assert problem.startswith("files.flows[0].sampling_interval: must be")


def test_unknown_format(tmp_path):
    flow = "    - {name: x, format: netflow_v5, path: x}\n"
    (problem,) = problems(files_config(tmp_path, flow))
    assert problem.startswith("files.flows[0].format: must be 'nfcapd', 'nfdump_csv'")
    assert problem.endswith("not 'netflow_v5'")


def test_unknown_table_format(tmp_path):
    path = files_config(tmp_path, rest="  assignments:\n    - {name: r, format: xlsx, path: r}\n")
    assert problems(path) == ["files.assignments[0].format: must be 'csv' or 'parquet', not 'xlsx'"]


def test_unknown_service(tmp_path):
    flow = "    - {name: x, format: nfcapd, path: x, service: fixed}\n"
    assert problems(files_config(tmp_path, flow)) == [
        "files.flows[0].service: must be 'broadband' or 'mobile', not 'fixed'"
    ]


@pytest.mark.parametrize("zone", ["Asia/Tokio", "JST+9", "../etc/passwd"])
def test_bad_timezone(tmp_path, zone):
    flow = f"    - {{name: x, format: nfcapd, path: x, timezone: '{zone}'}}\n"
    (problem,) = problems(files_config(tmp_path, flow))
    assert problem.startswith(f"files.flows[0].timezone: unknown time zone '{zone}'")


def test_duplicate_names(tmp_path):
    path = files_config(
        tmp_path,
        FLOW + FLOW,
        "  usage_counters:\n    - {name: billing, format: csv, path: b}\n"
        "  monthly_totals:\n    - {name: billing, format: csv, path: m}\n",
    )
    assert problems(path) == ["files: source names must be unique: billing, bras"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("kind: files\n", "files: required when kind is 'files'"),
        ("kind: files\nfiles:\n", "files: required when kind is 'files'"),
        ("kind: files\nfiles:\n  flows: []\n", "files.flows: at least one flow source is required"),
        (
            "kind: files\nfiles:\n  assignments:\n    - {name: r, format: csv, path: r}\n",
            "files.flows: at least one flow source is required",
        ),
    ],
)
def test_files_kind_needs_flow_sources(tmp_path, text, expected):
    assert problems(write(tmp_path, text)) == [expected]


def test_every_problem_is_reported_one_per_line(tmp_path):
    flow = "    - {format: nfcapd, path: x, service: fixed, sampling_interval: 0}\n"
    path = write(tmp_path, "kind: file\nsynthetic: {mobile_users: 10}\nfiles:\n  flows:\n" + flow)
    assert problems(path) == [
        "kind: must be 'synthetic' or 'files', not 'file'",
        "synthetic: mobile_flow_users (2500) must not exceed mobile_users (10)",
        "files.flows[0].name: required key missing",
        "files.flows[0].service: must be 'broadband' or 'mobile', not 'fixed'",
        "files.flows[0].sampling_interval: must be greater than 0, not 0",
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "kind: required key missing"),
        ("- kind: files\n", re.escape("must be a mapping of keys, not [{'kind': 'files'}]")),
        ("kind: [files\n", r"not valid YAML: .* \(line 2, column 1\)"),
    ],
)
def test_empty_or_malformed_files(tmp_path, text, expected):
    (problem,) = problems(write(tmp_path, text))
    assert re.fullmatch(expected, problem)


def test_a_missing_file_is_a_config_error(tmp_path):
    with pytest.raises(SourceConfigError, match=re.escape(f"{tmp_path / 'nope.yaml'}: cannot")):
        load_sources_config(tmp_path / "nope.yaml")


def test_the_environment_names_the_file(tmp_path, monkeypatch):
    monkeypatch.setenv("TRAFFICREPORT_SOURCES", str(files_config(tmp_path)))
    assert load_sources_config().kind == "files"
