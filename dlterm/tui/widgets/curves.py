"""Training curves: one chart, training and validation lines of a metric per epoch.

Wraps textual-plot's PlotWidget so the plotting library can be swapped in one place.
"""

from __future__ import annotations

from typing import Any

from textual_plot import HiResMode, LegendLocation, PlotWidget

STYLES = ["cyan", "magenta", "yellow", "green", "red", "blue"]


class CurveChart(PlotWidget):
    """Plot ``metric`` and ``val_<metric>`` from epoch rows; ``series`` counts the lines drawn."""

    DEFAULT_CSS = "CurveChart { width: 1fr; height: 1fr; min-height: 8; }"

    def __init__(self, metric: str, **kwargs: Any):
        super().__init__(allow_pan_and_zoom=False, **kwargs)
        self.metric = metric
        self.series: dict[str, list[float]] = {}

    def show_history(self, history: list[dict[str, Any]], prefix: str = "", style_offset: int = 0, clear: bool = True) -> None:
        if clear:
            self.clear()
            self.series = {}
        for i, key in enumerate((self.metric, f"val_{self.metric}")):
            points = [(row["epoch"], row[key]) for row in history if key in row]
            if not points:
                continue
            xs, ys = zip(*points)
            name = f"{prefix}{key}"
            self.series[name] = list(ys)
            self.plot(list(xs), list(ys), line_style=STYLES[(i + style_offset) % len(STYLES)],
                      hires_mode=HiResMode.BRAILLE, label=name)
        self.set_xlabel("epoch")
        self.set_ylabel(self.metric)
        self.show_legend(LegendLocation.TOPRIGHT if self.metric != "accuracy" else LegendLocation.BOTTOMRIGHT)
