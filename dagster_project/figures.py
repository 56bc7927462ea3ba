"""Drawing the report's figures from mart rows: pure functions from DataFrames to PNG bytes."""

import io

import pandas as pd

# A fixed PNG writer configuration: no software/version stamp, so re-rendering the same data
# gives byte-identical files.
PNG_METADATA = {"Software": None}


def port_share_figure(port_usage: pd.DataFrame, title: str, footnote: str) -> bytes:
    """Horizontal bars of the week's share of bytes for the largest protocol/port rows."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = port_usage.sort_values(["share_pct", "protocol_name"], ascending=[False, True]).head(12)
    labels = [
        f"{protocol} {'' if pd.isna(port) else int(port)}".strip()
        for protocol, port in zip(rows["protocol_name"], rows["flow_port"], strict=True)
    ]
    figure, axes = plt.subplots(figsize=(7, 4.5), dpi=100)
    axes.barh(labels[::-1], rows["share_pct"].to_numpy()[::-1], color="#1f77b4")
    axes.set_xlabel("share of bytes (%)")
    axes.set_title(title)
    figure.text(0.01, 0.01, footnote, fontsize=8, color="#555555")
    figure.tight_layout(rect=(0, 0.04, 1, 1))
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", metadata=PNG_METADATA)
    plt.close(figure)
    return buffer.getvalue()
