"""PNG charts of comparisons: one small panel per metric, A and B means with their 95% intervals.

Metrics live on different scales (rates, words per turn), so each gets its own
axis instead of sharing one that would flatten the rates.
"""

from __future__ import annotations

import math
from pathlib import Path

from practicum.errors import InputError
from practicum.evaluation.reports import Comparison


def comparison_chart(comparison: Comparison, path: str | Path, label_a: str = "A", label_b: str = "B") -> Path:
    """Draw the comparison to a PNG file and return its path."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [r for r in comparison.metrics if r.n_a and r.n_b and not math.isnan(r.mean_a) and not math.isnan(r.mean_b)]
    if not rows:
        raise InputError("nothing to chart: no metric has values on both sides")
    short_a, short_b = label_a.split(":")[0], label_b.split(":")[0]  # tick labels; the full ones go in the title
    columns = min(4, len(rows))
    lines = max(1, math.ceil(len(rows) / columns))
    fig, axes = plt.subplots(lines, columns, figsize=(3.2 * columns, 2.0 * lines + 0.8), squeeze=False)
    for ax in axes.flat[len(rows):]:
        ax.axis("off")
    for ax, row in zip(axes.flat, rows):
        means = [row.mean_a, row.mean_b]
        # max(0, ...): a constant sample's bootstrap CI equals its mean up to rounding (1 - 1e-16 < 1)
        errors = [[max(0.0, row.mean_a - row.ci_a[0]), max(0.0, row.mean_b - row.ci_b[0])],
                  [max(0.0, row.ci_a[1] - row.mean_a), max(0.0, row.ci_b[1] - row.mean_b)]]
        ax.errorbar([0, 1], means, yerr=errors, fmt="o", capsize=4, color="black")
        ax.bar([0, 1], means, color=["#9db4d6", "#e0a96d"], alpha=0.6)
        ax.set_xticks([0, 1], [short_a, short_b], fontsize=8)
        marker = "*" if not math.isnan(row.p_value) and row.p_value < 0.05 else ""
        ax.set_title(f"{row.name}{marker}\nB−A {row.difference:+.3g} [{row.ci_low:+.2g}, {row.ci_high:+.2g}]",
                     fontsize=8)
        ax.tick_params(axis="y", labelsize=7)
    fig.suptitle(f"{label_a}\n{label_b}\n{comparison.pairing}; bars: mean with 95% CI; "
                 f"B−A with its 95% CI (* p < 0.05); metrics {comparison.version}", fontsize=9)
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
