"""The sources configuration (sources.yaml): where each raw input of an analysis week comes from.

`kind: synthetic` reads the built-in synthetic source (knobs under `synthetic:`); `kind: files`
reads the collector and subscriber-system files described under `files:`. Each flow source
names a path glob, the collector format, the service its exporters serve, the time zone of
naive timestamps in the files, and the sampling interval where the data does not carry it.
`{week_start}` in a path is replaced by the partition key, so that a week reads only its own
directory; without it every matching file is read and records outside the week are
quarantined. Relative paths are relative to the configuration file.

The file is checked as a whole when it is read: an unknown key, a missing one or a value of
the wrong kind fails with one `SourceConfigError` that names the file, the key path and the
reason of every problem, one line each.
"""

import difflib
import ipaddress
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal, get_args
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import ErrorDetails

from dagster_project.settings import PROJECT_ROOT
from dagster_project.sources import pseudonyms
from dagster_project.sources.synthetic.synthetic_config import SyntheticConfig

FlowFormat = Literal[
    "nfcapd",
    "nfdump_csv",
    "goflow2_json",
    "pmacct_json",
    "pmacct_csv",
    "canonical_parquet",
    "canonical_csv",
]
TableFormat = Literal["csv", "parquet"]
Service = Literal["broadband", "mobile"]
FLOW_FORMATS: tuple[str, ...] = get_args(FlowFormat)
SERVICES: tuple[str, ...] = get_args(Service)

# Validation context key: the folder that relative source paths are relative to.
BASE_DIR = "base_dir"
MAX_SHOWN_INPUT = 60
EXPORTER_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


class SourceConfigError(ValueError):
    """sources.yaml does not describe a usable source; one line per problem."""


def sources_config_path() -> Path:
    return Path(os.environ.get("TRAFFICREPORT_SOURCES") or PROJECT_ROOT / "sources.yaml")


def _iana_zone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"unknown time zone {name!r} (an IANA zone such as UTC or Asia/Tokyo)"
        ) from None
    return name


IanaZone = Annotated[str, AfterValidator(_iana_zone)]
PositiveCount = Annotated[int, Field(strict=True, gt=0)]


class _FileSource(BaseModel):
    """What every file source has: a name, a path glob and the zone of naive times."""

    model_config = ConfigDict(extra="forbid", frozen=True, coerce_numbers_to_str=True)

    name: str = Field(min_length=1)  # shown in the load report and the asset metadata
    path: str
    timezone: IanaZone = "UTC"

    @field_validator("path")
    @classmethod
    def _relative_to_the_config_file(cls, path: str, info: ValidationInfo) -> str:
        return _relative_to_config_file(path, info)


def _relative_to_config_file(path: str, info: ValidationInfo) -> str:
    """A path of sources.yaml: `~` expanded, a relative one taken from the file's folder."""
    base_dir = (info.context or {}).get(BASE_DIR)
    if base_dir is None:
        return path
    return str(Path(base_dir) / Path(path).expanduser())


def _exporter_key(key: str) -> str:
    """An exporter as the records name it: an address (in canonical text) or a name."""
    try:
        return str(ipaddress.ip_address(key))
    except ValueError:
        if key.isdigit():  # YAML 1.1 reads an unquoted 2001:0:1:2 as a base-60 number
            raise ValueError(f"exporter {key!r} is a number: quote IPv6 addresses") from None
        if EXPORTER_NAME.fullmatch(key):
            return key
    raise ValueError(
        f"exporter {key!r} is neither an IP address nor a name (letters, digits, '.', '_', '-')"
    )


ExporterKey = Annotated[str, AfterValidator(_exporter_key)]


class FlowSource(_FileSource):
    format: FlowFormat
    service: Service = "broadband"
    # Sampling interval of the exporters when the records do not carry it (nfdump CSV,
    # pmacct, GoFlow2 records that arrive before the exporter's options).
    sampling_interval: PositiveCount | None = None
    # Whether bytes/packets in the files are already multiplied by the sampling interval;
    # None means the format's own convention (see each reader); nfdump CSV must say it.
    counts_scaled: StrictBool | None = Field(default=None, validate_default=True)
    # Per exporter (address or name, as the records name it), the 1:N interval of records
    # that arrive unscaled without one (the router inventory); before `sampling_interval`.
    exporter_sampling: Mapping[ExporterKey, PositiveCount] = Field(default_factory=dict)
    # Whether files with identical bytes are expected; otherwise the week is refused, since
    # a re-delivered or copied file would be counted twice.
    allow_duplicate_files: StrictBool = False

    @field_validator("counts_scaled")
    @classmethod
    def _stated_for_nfdump_csv(cls, scaled: bool | None, info: ValidationInfo) -> bool | None:
        if scaled is None and info.data.get("format") == "nfdump_csv":
            raise ValueError(
                "required for format nfdump_csv: true if the collector multiplied the counts "
                "by the sampling interval, false if not"
            )
        return scaled

    @field_validator("exporter_sampling")
    @classmethod
    def _not_for_canonical(
        cls, intervals: Mapping[str, int], info: ValidationInfo
    ) -> Mapping[str, int]:
        if intervals and str(info.data.get("format", "")).startswith("canonical_"):
            raise ValueError(
                "not used by canonical formats (their records carry sampling_interval and "
                "sampling_origin)"
            )
        return intervals


class TableSource(_FileSource):
    """Assignments, usage counters or monthly totals; the section says which."""

    format: TableFormat


class FileSources(BaseModel):
    """The `files:` section: flow sources and the sources of each other raw table."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    flows: tuple[FlowSource, ...] = Field(default=(), validate_default=True)
    assignments: tuple[TableSource, ...] = ()  # who held which address when (RADIUS/DHCP)
    usage_counters: tuple[TableSource, ...] = ()  # per-subscriber daily volumes
    monthly_totals: tuple[TableSource, ...] = ()  # interface counters per month

    @field_validator("flows", "assignments", "usage_counters", "monthly_totals", mode="before")
    @classmethod
    def _empty_section(cls, value: Any) -> Any:
        return () if value is None else value

    @field_validator("flows")
    @classmethod
    def _at_least_one_flow_source(cls, flows: tuple[FlowSource, ...]) -> tuple[FlowSource, ...]:
        if not flows:
            raise ValueError("at least one flow source is required")
        return flows

    @model_validator(mode="after")
    def _unique_names(self) -> "FileSources":
        sources = (*self.flows, *self.assignments, *self.usage_counters, *self.monthly_totals)
        names = [source.name for source in sources]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise ValueError(f"source names must be unique: {', '.join(duplicates)}")
        return self


class PrivacySettings(BaseModel):
    """The `privacy:` section: the pseudonym key's file and how long raw addresses stay."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # A file outside the repository holding the secret key of the subscriber pseudonyms;
    # TRAFFICREPORT_PSEUDONYM_KEY overrides it. Not needed for the synthetic source.
    key_file: str | None = None
    # Days the week's raw addresses (flow ends, assignments, rejected record text) are kept
    # after the week is attributed; then they are cut to their /24 or /48 network.
    keep_raw_addresses_days: int = Field(default=0, ge=0)

    @field_validator("key_file")
    @classmethod
    def _relative_to_the_config_file(cls, path: str | None, info: ValidationInfo) -> str | None:
        return None if path is None else _relative_to_config_file(path, info)


class SourcesConfig(BaseModel):
    """The whole sources.yaml."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["synthetic", "files"]
    synthetic: SyntheticConfig = Field(default_factory=SyntheticConfig)
    files: FileSources | None = Field(default=None, validate_default=True)
    privacy: PrivacySettings = Field(default_factory=PrivacySettings)

    @field_validator("synthetic", "privacy", mode="before")
    @classmethod
    def _empty_section(cls, value: Any) -> Any:
        return {} if value is None else value

    def pseudonym_key(self) -> bytes:
        """The key of the subscriber pseudonyms (PseudonymKeyError when real data has none)."""
        if self.kind == "synthetic":
            return pseudonyms.SYNTHETIC_DEMO_KEY
        key_file = self.privacy.key_file
        return pseudonyms.read_key(Path(key_file) if key_file else None)

    @field_validator("files")
    @classmethod
    def _files_for_kind_files(
        cls, files: FileSources | None, info: ValidationInfo
    ) -> FileSources | None:
        if files is None and info.data.get("kind") == "files":
            raise ValueError("required when kind is 'files'")
        return files


def _model_at(loc: tuple[int | str, ...]) -> type[BaseModel] | None:
    """The model whose keys are at `loc` of a SourcesConfig (None when it is no model)."""
    model: type[BaseModel] | None = SourcesConfig
    for part in loc:
        if isinstance(part, int):
            continue  # an item of a list of sources
        field = model.model_fields.get(part) if model else None
        model = _model_in(field.annotation) if field else None
    return model


def _model_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for argument in get_args(annotation):
        if (model := _model_in(argument)) is not None:
            return model
    return None


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= MAX_SHOWN_INPUT else f"{text[: MAX_SHOWN_INPUT - 3]}..."


def _unknown_key(loc: tuple[int | str, ...]) -> str:
    model = _model_at(loc[:-1])
    allowed = list(model.model_fields) if model else []
    close = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
    if close:
        return f"unknown key (did you mean {close[0]!r}?)"
    return f"unknown key (expected one of: {', '.join(allowed)})"


def _reason(error: ErrorDetails) -> str:
    """A short reason for one pydantic error, in the words of a YAML file."""
    kind, value, context = error["type"], error.get("input"), error.get("ctx") or {}
    if kind == "extra_forbidden":
        return _unknown_key(error["loc"])
    if kind == "missing":
        return "required key missing"
    if kind == "literal_error":
        return f"must be {context['expected']}, not {_shown(value)}"
    if kind == "bool_type":
        return f"must be true or false (unquoted), not {_shown(value)}"
    if kind == "int_type":
        return f"must be a whole number, not {_shown(value)}"
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return f"must be a mapping of keys, not {_shown(value)}"
    if kind == "tuple_type":
        return f"must be a list, not {_shown(value)}"
    if kind == "value_error":
        return str(context.get("error", error["msg"]))
    message = error["msg"].replace("Input should be", "must be", 1)
    return f"{message[:1].lower()}{message[1:]}, not {_shown(value)}"


def _key_path(loc: tuple[int | str, ...]) -> str:
    text = ""
    for part in loc:
        if part == "[key]":
            continue  # pydantic's marker of a mapping key, already named by the part before
        text += f"[{part}]" if isinstance(part, int) else f".{part}" if text else str(part)
    return text


def _problem_lines(path: Path, error: ValidationError) -> str:
    lines = []
    for problem in error.errors(include_url=False):
        where = _key_path(problem["loc"])
        lines.append(f"{path}: {where + ': ' if where else ''}{_reason(problem)}")
    return "\n".join(lines)


def _yaml_problem(error: yaml.YAMLError) -> str:
    mark = getattr(error, "problem_mark", None)
    problem = getattr(error, "problem", None) or " ".join(str(error).split())
    return f"{problem} (line {mark.line + 1}, column {mark.column + 1})" if mark else problem


def load_sources_config(path: Path | None = None) -> SourcesConfig:
    """Read and check sources.yaml (by default $TRAFFICREPORT_SOURCES or the project's)."""
    path = path or sources_config_path()
    try:
        with path.open() as handle:
            data = yaml.safe_load(handle)
    except OSError as error:
        raise SourceConfigError(f"{path}: cannot read: {error.strerror or error}") from None
    except yaml.YAMLError as error:
        raise SourceConfigError(f"{path}: not valid YAML: {_yaml_problem(error)}") from None
    try:
        return SourcesConfig.model_validate(
            {} if data is None else data, context={BASE_DIR: path.absolute().parent}
        )
    except ValidationError as error:
        raise SourceConfigError(_problem_lines(path, error)) from None
