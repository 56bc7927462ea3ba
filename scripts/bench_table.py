"""The performance record's table from outputs of scripts/bench_week.py at several sizes.

    python scripts/bench_week.py --flows 10000000 > week-10M.jsonl   # and 50M, 100M
    python scripts/bench_table.py week-10M.jsonl week-50M.jsonl week-100M.jsonl

Prints a Markdown table: per step the wall seconds, CPU seconds, peak RSS (MiB) and ratio to
the reference at each size, and the exponent k of seconds ~ flows^k between each two
consecutive sizes (1 is linear). Rows: the whole run, each kind of Dagster step (the raw
load followed by its phases), the dbt models that take a tenth of the reference or more at
the largest size (a twentieth of dbt's build in a run without the reference:
--skip-reference), dbt's tests and start-up, Dagster's own time, the reference and the
address cut.
"""

import argparse
import json
import math
from itertools import pairwise
from pathlib import Path

KINDS = ("week run (command line)", "raw load", "GX checks", "dbt build", "figures and page",
         "dagster and the command line", "dbt tests", "dbt unit tests", "dbt start-up",
         "reference query", "raw address cut")  # fmt: skip
SHOWN_MODEL_RATIO = 0.1
SHOWN_BUILD_SHARE = 0.05


def read_run(path: Path) -> tuple[int, dict[str, dict]]:
    """(flows, {step: line}) of one bench_week output; a kind's line under the kind's name."""
    lines = [json.loads(text) for text in path.read_text().splitlines() if text.startswith("{")]
    (summary,) = [line for line in lines if line["step"] == "summary"]
    steps = {}
    for line in lines:
        name = next((kind for kind in KINDS if line["step"].startswith(kind)), line["step"])
        steps[name] = line
    return summary["flows"], steps


def exponent(small: tuple[int, float], large: tuple[int, float]) -> str:
    (n1, t1), (n2, t2) = small, large
    if min(t1, t2) <= 0 or n1 == n2:
        return "-"
    return f"{math.log(t2 / t1) / math.log(n2 / n1):.2f}"


def cell(line: dict | None) -> str:
    if line is None:
        return "- | - | - | -"
    cpu = line.get("cpu_seconds")
    return " | ".join([
        f"{line['seconds']:.1f}", "-" if cpu is None else f"{cpu:.1f}",
        f"{line['peak_rss_mib']:,.0f}" if line.get("peak_rss_mib") else "-",
        "-" if line.get("ratio_to_reference") is None else f"{line['ratio_to_reference']:.2f}",
    ])  # fmt: skip


def shown_model(line: dict, build_seconds: float) -> bool:
    """A model large enough for the table: against the reference, or against dbt's build
    when the run has no reference."""
    ratio = line.get("ratio_to_reference")
    if ratio is not None:
        return ratio >= SHOWN_MODEL_RATIO
    return line["seconds"] >= SHOWN_BUILD_SHARE * build_seconds


def table(runs: list[tuple[int, dict[str, dict]]]) -> str:
    runs = sorted(runs, key=lambda run: run[0])
    largest = runs[-1][1]
    build_seconds = largest.get("dbt build", {}).get("seconds", 0.0)
    models = [
        name
        for name, line in largest.items()
        if name.startswith("dbt model ") and shown_model(line, build_seconds)
    ]
    phases = sorted(name for name in largest if name.startswith("load: "))
    sizes = [f"{flows / 1e6:.0f}M" for flows, _ in runs]
    head = " | ".join(f"{size} s | {size} CPU s | {size} MiB | {size} ratio" for size in sizes)
    pairs = [f"k {a}-{b}" for a, b in pairwise(sizes)]
    rows = [f"| step | {head} | {' | '.join(pairs)} |",
            "|---" * (1 + 4 * len(runs) + len(pairs)) + "|"]  # fmt: skip
    for name in [*KINDS[:2], *phases, *KINDS[2:6], *models, *KINDS[6:]]:
        lines = [steps.get(name) for _, steps in runs]
        times = [(flows, line["seconds"]) for (flows, _), line in zip(runs, lines, strict=True)
                 if line is not None]  # fmt: skip
        slopes = [exponent(a, b) for a, b in pairwise(times)]
        rows.append(f"| {name} | {' | '.join(cell(line) for line in lines)} | "
                    f"{' | '.join(slopes) or '-'} |")  # fmt: skip
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("outputs", type=Path, nargs="+")
    print(table([read_run(path) for path in parser.parse_args().outputs]))


if __name__ == "__main__":
    main()
