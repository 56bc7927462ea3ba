"""Re-fit the synthetic generator to the published report and rewrite its parameters file.

    python scripts/fit_synthetic.py [--published PATH] [--output PATH]

Reads the published targets (dagster_project/reference/published.yaml) and writes
dagster_project/sources/synthetic/parameters.yaml: per service, direction and year the fitted
volume model next to the targets it was fitted to and what it achieves, the protocol/port
mix per year, and the anchor levels of the monthly totals.
"""

import argparse
import sys
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from dagster_project.reference import PUBLISHED_PATH
from dagster_project.sources.synthetic.fit import fit_parameters
from dagster_project.sources.synthetic.synthetic_config import PARAMETERS_PATH
from dagster_project.weeks.reference_weeks import COMPARISON_WEEKS

HEADER = """\
# Parameters of the built-in synthetic generator, fitted to the published report.
# Written by scripts/fit_synthetic.py from dagster_project/reference/published.yaml; edit
# the targets or the model there and re-run the script rather than editing this file.
#
# volume.<service>.<direction>.<year>: the per-user daily volume model (density over
#   log10 bytes/day, see dagster_project/sources/synthetic/distribution.py), the published target
#   it was fitted to (MB/day, top shares in %) and what the model itself gives (also
#   peak_margin: how clearly the mode bin stands out of its neighbours; flank_dip: how far
#   the histogram is from one smooth peak, 0 when it is one).
# ports.<service>.<year>: byte share (%) per "protocol/port" category ("dynamic": both ports
#   dynamic); 2019 is extrapolated from 2020-2021 (the report's tables start in 2020).
# monthly: anchor levels of the monthly totals (OUT January 2020 = 1 per service) and the
#   IPoE share of broadband, per direction.
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--published", type=Path, default=PUBLISHED_PATH)
    parser.add_argument("--output", type=Path, default=PARAMETERS_PATH)
    args = parser.parse_args()
    published = yaml.safe_load(args.published.read_text(encoding="utf-8"))
    parameters = fit_parameters(published, sorted(COMPARISON_WEEKS))
    body = yaml.safe_dump(parameters, sort_keys=False, default_flow_style=None, width=100)
    args.output.write_text(HEADER + body, encoding="utf-8")
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
