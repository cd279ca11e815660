"""One self-contained HTML file about one or more runs: the service behind ``dlterm report``.

A report is something to mail, attach to an issue or open years later, so it needs
nothing at view time: CSS is inline, charts are SVG drawn by :mod:`dlterm.svgplot`, and
there is no script. It shows what the run folders hold: curves (overlaid for several
runs), the comparison table, and for each run its test evaluation (metrics, baselines,
confusion matrix, per-class table, forecast against actual values, decoded or generated
text) and its exports. Sections an evaluation lacks are left out; sections this module
does not know (a newer dlterm's) are shown as plain tables, so nothing recorded is hidden.

Run folders are untrusted: every string is HTML-escaped, every number checked, and the
file is written atomically (a reader never sees half a report).
"""

from __future__ import annotations

import math
import os
import time
from html import escape
from pathlib import Path
from typing import Any

from dlterm.compare import NOT_METRICS, bench_latencies, compare_runs, number
from dlterm.errors import DltermError
from dlterm.runstore import Run
from dlterm.svgplot import heatmap, line_chart
from dlterm.tasks.class_analysis import confused_pairs  # the same pairs evaluation keeps
from dlterm.views import baseline_verdict, comparison_rows, format_metric

# Evaluation keys this module draws itself; any other key is shown as a plain table.
DRAWN = {"run_id", "checkpoint", "samples", "metrics", "confusion_matrix", "class_names", "recall",
         "examples", "sample", "forecast", "units", "baselines", "per_class", "confused_pairs", "worst",
         "notes", "headline", "higher_is_better"}
MAX_TABLE_ROWS = 200  # a generic section longer than this is cut (the JSON has it all)
MAX_FORECAST_POINTS = 2000

CSS = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d2330;background:#fff;margin:0}
main{max-width:1180px;margin:0 auto;padding:24px 28px 48px}
h1{font-size:26px;margin:0 0 4px}h2{font-size:20px;margin:36px 0 8px;border-bottom:2px solid #e3e7ee;padding-bottom:4px}
h3{font-size:15px;margin:22px 0 6px;color:#38404f}
.meta{color:#5b6475;margin:0 0 18px}
table{border-collapse:collapse;margin:6px 0 12px;font-variant-numeric:tabular-nums}
th,td{border-bottom:1px solid #e3e7ee;padding:4px 10px;text-align:left;vertical-align:top}
th{background:#f4f6fa;font-weight:600}
td.num{text-align:right}
.charts{display:flex;flex-wrap:wrap;gap:14px}
svg.chart{background:#fbfcfe;border:1px solid #e3e7ee;border-radius:6px}
svg .title{font-weight:600;font-size:13px;fill:#1d2330}
svg .tick{font-size:11px;fill:#5b6475}
svg .axis{font-size:12px;fill:#38404f}
svg .legend{font-size:12px;fill:#1d2330}
svg .count{font-size:11px}
svg .empty{font-size:13px;fill:#8a93a3}
svg .frame{fill:none;stroke:#c9cfd9}
svg .grid{stroke:#e8ebf1}
pre.sample{white-space:pre-wrap;background:#f4f6fa;padding:10px;border-radius:6px;max-width:900px}
.seed{color:#8a93a3}
.ok{color:#137333}.bad{color:#b3261e}
.note{color:#5b6475;font-size:13px}
"""


# -- small HTML helpers --------------------------------------------------------------

def _text(value: Any) -> str:
    """A value from a run folder as escaped text (numbers formatted, None as '-')."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}" if abs(value) >= 10_000 else str(value)
    if isinstance(value, Rate):
        return f"{value:.4f}"
    if isinstance(value, float):
        return format_metric("", value) if math.isfinite(value) else escape(str(value))
    return escape(str(value))


class Rate(float):
    """A share in [0, 1], shown with four decimals like every rate (0.5000, never 0.5)."""


def _table(header: list[str], rows: list[list[Any]], numeric_from: int = 1) -> str:
    out = ["<table><thead><tr>" + "".join(f"<th>{escape(str(h))}</th>" for h in header) + "</tr></thead><tbody>"]
    for row in rows[:MAX_TABLE_ROWS]:
        cells = []
        for i, value in enumerate(row):
            is_num = i >= numeric_from and (isinstance(value, (int, float)) and not isinstance(value, bool)
                                            or isinstance(value, Rate))
            cells.append(f'<td class="num">{_text(value)}</td>' if is_num else f"<td>{_text(value)}</td>")
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</tbody></table>")
    if len(rows) > MAX_TABLE_ROWS:
        out.append(f'<p class="note">{len(rows) - MAX_TABLE_ROWS} more rows not shown.</p>')
    return "".join(out)


def generic_section(value: Any, depth: int = 0) -> str:
    """Any JSON value as readable HTML: a mapping of scalars as a two-column table, a
    mapping of mappings or a list of mappings as a table with a column per key."""
    scalar = (str, int, float, bool, type(None))
    if isinstance(value, scalar):
        return f"<p>{_text(value)}</p>"
    if isinstance(value, dict):
        if all(isinstance(v, scalar) for v in value.values()):
            return _table(["name", "value"], [[k, v] for k, v in value.items()])
        if all(isinstance(v, dict) for v in value.values()) and depth < 3:
            columns = _columns(value.values())
            if columns:
                return _table([""] + columns, [[k] + [_cell(v.get(c)) for c in columns] for k, v in value.items()])
        return "".join(f"<h4>{escape(str(k))}</h4>{generic_section(v, depth + 1)}" for k, v in list(value.items())[:50]) \
            if depth < 3 else f"<p>{escape(str(value)[:2000])}</p>"
    if isinstance(value, list):
        if value and all(isinstance(v, dict) for v in value):
            columns = _columns(value)
            return _table(columns, [[_cell(v.get(c)) for c in columns] for v in value], numeric_from=0)
        if all(isinstance(v, scalar) for v in value):
            return f"<p>{', '.join(_text(v) for v in value[:MAX_TABLE_ROWS])}</p>"
    return f"<p>{escape(str(value)[:2000])}</p>"


def _columns(rows: Any) -> list[str]:
    columns: list[str] = []
    for row in rows:
        columns += [str(k) for k in row if str(k) not in columns]
    return columns[:30]


def _cell(value: Any) -> Any:
    return value if isinstance(value, (str, int, float, bool, type(None))) else str(value)[:200]


# -- analysis of a confusion matrix ----------------------------------------------------

def confusion_of(evaluation: dict[str, Any]) -> tuple[list[list[float]], list[str]] | None:
    """The evaluation's confusion matrix and class names when they are well formed (a
    square matrix of non-negative numbers with one name per row), else None."""
    matrix, names = evaluation.get("confusion_matrix"), evaluation.get("class_names")
    if not (isinstance(matrix, list) and isinstance(names, list) and 0 < len(matrix) == len(names) <= 1000):
        return None
    rows = []
    for row in matrix:
        if not (isinstance(row, list) and len(row) == len(names)):
            return None
        values = [number(v) for v in row]
        if any(v is None or v < 0 for v in values):
            return None
        rows.append(values)
    return rows, [str(n) for n in names]


def per_class(matrix: list[list[float]], names: list[str]) -> list[dict[str, Any]]:
    """Precision, recall, F1 and support per class, from a confusion matrix (rows true,
    columns predicted); None where a class was never true or never predicted."""
    out = []
    for i, name in enumerate(names):
        tp = matrix[i][i]
        support = sum(matrix[i])
        predicted = sum(row[i] for row in matrix)
        precision = tp / predicted if predicted else None
        recall = tp / support if support else None
        f1 = (2 * precision * recall / (precision + recall) if precision is not None and recall is not None
              and precision + recall else (0.0 if precision is not None and recall is not None else None))
        out.append({"class": name, "precision": precision, "recall": recall, "f1": f1, "support": int(support)})
    return out


def forecast_of(evaluation: dict[str, Any]) -> tuple[list[float], list[float]] | None:
    """The evaluation's test forecast (actual and predicted values), when well formed."""
    forecast = evaluation.get("forecast")
    if not isinstance(forecast, dict):
        return None
    actual, predicted = forecast.get("actual"), forecast.get("predicted")
    if not (isinstance(actual, list) and isinstance(predicted, list) and 0 < len(actual) == len(predicted)):
        return None
    actual, predicted = actual[-MAX_FORECAST_POINTS:], predicted[-MAX_FORECAST_POINTS:]
    a, p = [number(v) for v in actual], [number(v) for v in predicted]
    if any(v is None for v in a + p):
        return None
    return a, p  # type: ignore[return-value]


# -- sections --------------------------------------------------------------------------

def curve_charts(runs: list[Run], histories: dict[str, list[dict[str, float]]]) -> str:
    """One chart per metric, every run's training (solid) and validation (dashed) curves
    overlaid."""
    bases: list[str] = []
    for history in histories.values():
        for row in history:
            for key in row:
                if key not in NOT_METRICS and key.removeprefix("val_") not in bases:
                    bases.append(key.removeprefix("val_"))
    charts = []
    several = len(runs) > 1
    for base in bases:
        series = []
        for run in runs:
            history = histories[run.id]
            for key, part, style in ((base, "train", "solid"), (f"val_{base}", "validation", "dashed")):
                points = [(row["epoch"], row[key]) for row in history if key in row]
                if points:
                    label = f"{run.id} · {part}" if several else part
                    series.append((label, [p[0] for p in points], [p[1] for p in points], style))
        if series:
            charts.append(line_chart(series, title=base, x_label="epoch", y_label=base, whole_x=True))
    return f'<div class="charts">{"".join(charts)}</div>' if charts else '<p class="note">No training history.</p>'


def evaluation_section(evaluation: dict[str, Any], task: str) -> str:
    out = [f'<h3>Test evaluation</h3><p class="note">{_text(evaluation.get("samples"))} test samples, '
           f'{_text(evaluation.get("checkpoint"))} checkpoint'
           + (f", values in {_text(evaluation.get('units'))}" if isinstance(evaluation.get("units"), str) else "") + "</p>"]
    metrics = evaluation.get("metrics") or {}
    out.append(_table(["metric", "value"], [[k, v] for k, v in metrics.items()]))
    baselines = [b for b in evaluation.get("baselines") or [] if isinstance(b, dict)]
    if baselines:  # the same split, fitted on the same training rows (see dlterm.tasks)
        keys = list(dict.fromkeys(k for b in baselines for k in b.get("metrics", {})))
        keys.sort(key=lambda k: k != evaluation.get("headline"))
        rows = [["model", *[metrics.get(k) for k in keys], "the trained network"]]
        rows += [[str(b.get("name", "")).replace("_", " "), *[b.get("metrics", {}).get(k) for k in keys],
                  b.get("description", "")] for b in baselines]
        verdict = baseline_verdict(evaluation)
        out.append("<h3>Baselines (same test split)</h3>" + _table(["method", *keys, "what"], rows)
                   + (f'<p class="note">{escape(verdict)}</p>' if verdict else ""))
    confusion = confusion_of(evaluation)
    if confusion:
        matrix, names = confusion
        out.append('<h3>Confusion matrix</h3><div class="charts">'
                   + heatmap(matrix, names, title="test split: rows true, columns predicted") + "</div>")
    if evaluation.get("per_class"):
        classes = [[c["label"], Rate(c["precision"]), Rate(c["recall"]), Rate(c["f1"]), c["support"]]
                   for c in evaluation["per_class"]]
    elif confusion:  # an evaluation from before dlterm kept per-class scores: from the matrix
        classes = [[r["class"], *(None if r[k] is None else Rate(r[k]) for k in ("precision", "recall", "f1")), r["support"]]
                   for r in per_class(*confusion)]
    else:
        classes = []
    if classes:
        out.append("<h3>Per class</h3>" + _table(["class", "precision", "recall", "f1", "support"], classes))
    pairs = evaluation.get("confused_pairs") or (confused_pairs(*confusion) if confusion else [])
    if pairs:
        out.append("<h3>Most confused</h3>" + _table(["true", "predicted", "count"],
                                                    [[p["true"], p["predicted"], p["count"]] for p in pairs]))
    worst = evaluation.get("worst") or []
    if worst:
        out.append("<h3>Most confidently wrong</h3>" + _table(
            ["#", "example", "true", "predicted", "confidence"],
            [[w["index"], w.get("source"), w["label"], w["predicted"], Rate(w["confidence"])] for w in worst], numeric_from=4))
    for note in evaluation.get("notes") or []:
        out.append(f'<p class="note">{escape(note)}</p>')
    forecast = forecast_of(evaluation)
    if forecast:
        actual, predicted = forecast
        steps = list(range(1, len(actual) + 1))
        out.append('<h3>Forecast against actual (test split, one step ahead)</h3><div class="charts">'
                   + line_chart([("actual", steps, actual, "solid"), ("forecast", steps, predicted, "dashed")],
                                title="test split", x_label="test step", y_label=str(evaluation.get("units") or "value"),
                                width=1000, height=320, whole_x=True) + "</div>")
    examples = evaluation.get("examples")
    if isinstance(examples, list) and examples:
        rows = [[e.get("source"), e.get("target"), e.get("output"), "✓" if e.get("correct") else "✗"]
                for e in examples if isinstance(e, dict)]
        out.append("<h3>Decoded test examples</h3>" + _table(["source", "target", "decoded", ""], rows, numeric_from=9))
    sample = evaluation.get("sample")
    if isinstance(sample, dict) and isinstance(sample.get("text"), str):
        out.append(f'<h3>Generated sample</h3><p class="note">temperature {_text(sample.get("temperature"))}; '
                   f'the seed text in grey</p><pre class="sample"><span class="seed">{escape(str(sample.get("seed", "")))}'
                   f"</span>{escape(sample['text'])}</pre>")
    for key, value in evaluation.items():
        if key not in DRAWN:
            out.append(f"<h3>{escape(str(key).replace('_', ' ').capitalize())}</h3>" + generic_section(value))
    return "".join(out)


def exports_section(exports: list[dict[str, Any]], latencies: dict[tuple[str, str], float]) -> str:
    """The export table; latencies (batch 1, median) where ``dlterm bench`` measured them."""
    rows = [[Path(e["path"]).name, e["format"], e["quantize"], (e.get("size_bytes") or 0) / 1e6,
             latencies.get((e["format"], e["quantize"])), number(e.get("max_abs_error")),
             f"{e['metric']} {format_metric(e['metric'], number(e.get('keras_metric')))} → "
             f"{format_metric(e['metric'], number(e.get('export_metric')))}",
             "yes" if e.get("verified") else "NO"] for e in exports]
    return "<h3>Exports</h3>" + _table(["file", "format", "quantize", "size MB", "latency ms", "max |error|",
                                        "test metric: keras → export", "verified"], rows)


def run_section(run: Run, history: list[dict[str, float]]) -> str:
    from dlterm.evaluate import evaluation_of
    from dlterm.export import exports_of

    meta = run.meta
    out = [f'<section><h2 id="{escape(run.id)}">{escape(run.id)}</h2>'
           f'<p class="meta">{_text(meta.get("plugin"))} ({_text(meta.get("task"))}) on {_text(meta.get("dataset"))}; '
           f"{_text(run.status)}</p>"]
    if meta.get("error"):
        out.append(f'<p class="bad">{_text(meta.get("error"))}</p>')
    evaluation = evaluation_of(run)
    if evaluation:
        out.append(evaluation_section(evaluation, str(meta.get("task"))))
    else:
        out.append(f'<p class="note">No test evaluation: run <code>dlterm evaluate {escape(run.id)}</code>.</p>')
    exports = exports_of(run)
    if exports:
        out.append(exports_section(exports, bench_latencies(run)))
    out.append("</section>")
    return "".join(out)


def build_report(runs: list[Run], title: str | None = None) -> str:
    """The whole report as one HTML document."""
    comparison = compare_runs(runs)  # refuses no runs, damaged or repeated runs
    histories = {r.id: r.history() for r in runs}
    header, rows = comparison_rows(comparison)
    title = title or ("dlterm report: " + ", ".join(r.id for r in runs[:4]) + (" …" if len(runs) > 4 else ""))
    parts = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
             '<meta name="viewport" content="width=device-width, initial-scale=1">',
             # No network at view time: nothing here may load anything.
             "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">",
             f"<title>{escape(title)}</title><style>{CSS}</style></head><body><main>",
             f"<h1>{escape(title)}</h1>",
             f'<p class="meta">Written {time.strftime("%Y-%m-%d %H:%M")} by dlterm from {len(runs)} run folder'
             f'{"s" if len(runs) > 1 else ""}.</p>',
             "<h2>Summary</h2>", _table(header, [[c for c in row] for row in rows]),
             "<h2>Training curves</h2>", curve_charts(runs, histories)]
    parts += [run_section(r, histories[r.id]) for r in runs]
    parts.append("</main></body></html>\n")
    return "\n".join(parts)


def write_report(runs: list[Run], target: str | os.PathLike, title: str | None = None) -> Path:
    """Build the report and write it atomically to ``target``; returns the path."""
    from dlterm.fileio import write_text

    target = Path(target).expanduser()
    if target.is_dir():
        raise DltermError(f"{target} is a folder", "give a file name, e.g. -o report.html")
    if not target.parent.is_dir():
        raise DltermError(f"the folder {target.parent} does not exist", "create it first, or write the report elsewhere")
    html = build_report(runs, title)
    try:
        write_text(target, html)
    except OSError as e:
        raise DltermError(f"cannot write {target}: {e.strerror or e}", "choose a writable place with -o", exit_code=1) from None
    return target
