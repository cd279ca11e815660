"""Training curves: one chart, training and validation lines of a metric per epoch.

Wraps textual-plot's PlotWidget so the plotting library can be swapped in one place.
The chart's top line is its title and legend at once ("━ loss  ━ val_loss"): a legend box
inside the plot covers the axes on small terminals. The x axis always spans the epochs
the run plans, so a new run never shows the last run's axes, and a single epoch is drawn
as a point on a readable axis (not 0.9999990 … 1.0000005).
"""

from __future__ import annotations

from typing import Any

from textual_plot import HiResMode, PlotWidget

STYLES = ["cyan", "magenta", "yellow", "green", "red", "blue"]


def epoch_of(row: dict[str, Any]) -> int | None:
    """A row's epoch as a whole number (run folders store it as a float), or None."""
    value = row.get("epoch")
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
        return None
    return int(value)


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def axis_limits(values: list[float], pad_fraction: float = 0.05) -> tuple[float, float]:
    """A y range around ``values`` with some air; a flat line gets a visible band."""
    if not values:
        return 0.0, 1.0
    lo, hi = min(values), max(values)
    pad = (hi - lo) * pad_fraction if hi > lo else max(abs(hi) * 0.05, 0.01)
    return lo - pad, hi + pad


def epoch_limits(epochs: list[int], planned: int = 0, first: int = 0) -> tuple[float, float]:
    """The x range: from the first epoch shown (or ``first``) to the planned last one."""
    lo = min(epochs) if epochs else first + 1
    hi = max([*epochs, planned, lo + 1])
    return float(lo), float(hi)


def epoch_ticks(first: int, last: int, width: int) -> list[float]:
    """Whole epochs only, spaced so their labels never run into each other."""
    room = max(width // 6, 2)  # labels up to 4 digits and a gap
    step = max(1, -(-(last - first) // room))
    return [float(e) for e in range(first, last + 1, step)]


class CurveChart(PlotWidget):
    """Plot ``metric`` and ``val_<metric>`` from epoch rows; ``series`` counts the lines drawn."""

    DEFAULT_CSS = "CurveChart { width: 1fr; height: 1fr; min-height: 6; }"

    def __init__(self, metric: str, **kwargs: Any):
        super().__init__(allow_pan_and_zoom=False, **kwargs)
        self.metric = metric
        self.series: dict[str, list[float]] = {}
        self.styles_of: dict[str, str] = {}
        self.x_range: tuple[float, float] = (0.0, 1.0)
        self.y_range: tuple[float, float] = (0.0, 1.0)
        # The title row; the tick row (set before mount: the watchers need the composed grid).
        self.set_reactive(PlotWidget.margin_top, 1)
        self.set_reactive(PlotWidget.margin_bottom, 1)

    def show_history(self, history: list[dict[str, Any]], prefix: str = "", style_offset: int = 0, clear: bool = True,
                     planned_epochs: int = 0) -> None:
        if clear:
            self.clear()
            self.series = {}
            self.styles_of = {}
        for i, key in enumerate((self.metric, f"val_{self.metric}")):
            points = [(epoch_of(row), row[key]) for row in history
                      if is_number(row.get(key)) and epoch_of(row) is not None]
            if not points:
                continue
            xs, ys = zip(*points)
            name = f"{prefix}{key}"
            style = STYLES[(i + style_offset) % len(STYLES)]
            self.series[name] = list(ys)
            self.styles_of[name] = style
            if len(xs) == 1:  # a line through one point draws nothing
                self.scatter(list(xs), list(ys), marker="●", marker_style=style)
            else:
                self.plot(list(xs), list(ys), line_style=style, hires_mode=HiResMode.BRAILLE, label=name)
        values = [v for ys in self.series.values() for v in ys]
        epochs = [e for e in map(epoch_of, history) if e is not None]
        self.x_range, self.y_range = epoch_limits(epochs, planned_epochs), axis_limits(values)
        self.set_xlimits(*self.x_range)
        self._fit_xticks()
        self.set_ylimits(*self.y_range)

    def _fit_xticks(self) -> None:
        lo, hi = self.x_range
        self.set_xticks(epoch_ticks(int(lo), int(hi), max(self.size.width - self.margin_left, 20)))

    def on_resize(self) -> None:
        # The ticks depend on the width: a chart filled before its first layout (a hidden
        # tab) had a guessed width, and the ticks shown depended on which came first.
        self._fit_xticks()

    @property
    def title(self) -> str:
        """The chart's first line: each series in its colour, or the metric while empty."""
        if not self.series:
            return f"{self.metric} per epoch (waiting for the first epoch)"
        return " ".join(f"[{self.styles_of[n]}]━ {n}[/]" for n in self.series) + "\u00a0· per epoch"

    # textual-plot draws its labels into margins it never clears (a shorter label left
    # the longer one's letters: "acmaeacy"); these two overrides own that drawing.
    def _render_y_label(self) -> None:
        from textual_hires_canvas import Canvas

        margin = self.query_one("#margin-top", Canvas)
        margin.reset()
        margin.write_text(1, 0, self.title)

    def _render_x_label(self) -> None:
        pass  # "per epoch" is in the title: the row is worth more to the plot
