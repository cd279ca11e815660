"""How runs, evaluations, exports and predictions read, for both front ends.

Pure functions from plain data (a run's metadata, an evaluation, export records, a
prediction) to text with rich markup. The CLI puts them in rich tables, the dashboard in
Textual widgets (both render rich markup), so a run reads the same in either, and a
number is formatted in one place.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any, Callable

from rich.markup import escape

from dlterm_edge.predictor import describe

STATUS_COLOURS = {"completed": "green", "running": "cyan", "interrupted": "yellow", "failed": "red", "damaged": "red"}
RATES = ("accuracy", "acc", "exact_match", "char_accuracy", "baseline_char_accuracy")  # shares in [0, 1]
RUN_COLUMNS = ("run", "plugin", "dataset", "status", "epochs", "best", "created")
EXPORT_COLUMNS = ("file", "size", "max |error|", "test metric: keras → export", "verified")


def format_metric(name: str, value: Any) -> str:
    """A metric for people: rates with four decimals (``1.0000``, never ``1``), anything
    else with four significant digits that keep their decimal point."""
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return escape(str(value))
    if name.removeprefix("val_") in RATES:
        return f"{value:.4f}"
    return f"{value:#.4g}"


def status_markup(status: str) -> str:
    return f"[{STATUS_COLOURS.get(status, 'white')}]{escape(status)}[/]"


def epochs_text(meta: dict[str, Any]) -> str:
    """``done/planned``: planned is what the run last set out to train (all phases), never
    less than what it did."""
    done = int(meta.get("epochs_completed") or 0)
    planned = meta.get("epochs_planned") or (meta.get("config") or {}).get("training", {}).get("epochs")
    return f"{done}/{max(done, int(planned))}" if isinstance(planned, int) else str(done)


def best_text(meta: dict[str, Any], monitor: bool = True) -> str:
    best = meta.get("best") or {}
    if not isinstance(best.get("value"), (int, float)):
        return "-"
    value = format_metric(str(best.get("monitor", "")), best["value"])
    return f"{escape(str(best.get('monitor')))} {value}" if monitor else value


def created_text(meta: dict[str, Any], fmt: str = "%Y-%m-%d %H:%M") -> str:
    created = meta.get("created")
    return time.strftime(fmt, time.localtime(created)) if isinstance(created, (int, float)) else "?"


def run_row(meta: dict[str, Any], status: str, short: bool = False) -> dict[str, str]:
    """One run as the cells of a runs table (``short``: for a narrow pane)."""
    return {"run": escape(str(meta.get("id", "?"))), "plugin": escape(str(meta.get("plugin", "?"))),
            "dataset": escape(str(meta.get("dataset", "?"))), "status": status_markup(status),
            "epochs": epochs_text(meta), "best": best_text(meta, monitor=not short),
            "created": created_text(meta, "%m-%d %H:%M" if short else "%Y-%m-%d %H:%M")}


def config_lines(meta: dict[str, Any], sections: tuple[str, ...] = ("hyperparameters", "training", "data")) -> list[str]:
    cfg = meta.get("config") or {}
    return [f"[b]{section}[/]: " + escape(", ".join(f"{k}={v}" for k, v in cfg[section].items()))
            for section in sections if isinstance(cfg.get(section), dict) and cfg[section]]


def run_header(meta: dict[str, Any], status: str) -> list[str]:
    """The first lines of a run's detail: identity, size, best epoch, error."""
    lines = [f"[b]{escape(str(meta.get('id')))}[/]  {status_markup(status)}  "
             f"{escape(str(meta.get('plugin')))} on {escape(str(meta.get('dataset')))}",
             f"parameters {meta.get('params', 0):,}; epochs {epochs_text(meta)}"]
    best = meta.get("best") or {}
    if best.get("epoch"):
        lines[-1] += f"; best {best_text(meta)} (epoch {best['epoch']})"
    if meta.get("error"):
        lines.append(f"[red]{escape(str(meta['error']))}[/]")
    return lines


def metric_notes(note: Callable[[str], str] | None, names: list[str]) -> list[str]:
    """``name: what it means`` lines for the metrics a task explains (``note``: its
    ``metric_note``, None for an unknown task), in dim markup."""
    notes = [(n, note(n)) for n in names] if note else []
    return [f"[dim]  {escape(n)}: {escape(text)}[/]" for n, text in notes if text]


def evaluation_line(evaluation: dict[str, Any]) -> str:
    return ", ".join(f"{escape(k)} {format_metric(k, v)}" for k, v in (evaluation.get("metrics") or {}).items())


def method_name(name: str) -> str:
    """A baseline's stable id as people read it: ``seasonal_naive`` -> ``seasonal naive``."""
    return escape(name.replace("_", " "))


def baseline_table(evaluation: dict[str, Any]) -> tuple[list[str], list[list[str]]]:
    """The model and its baselines as (column names, rows): the metrics the baselines
    report, the task's headline first, then what each method is. Empty without baselines."""
    baselines = evaluation.get("baselines") or []
    if not baselines:
        return [], []
    headline = evaluation.get("headline")
    keys = list(dict.fromkeys(k for b in baselines for k in b.get("metrics", {})))
    keys.sort(key=lambda k: k != headline)
    model = evaluation.get("metrics") or {}
    rows = [["[b]model[/]", *[f"[b]{format_metric(k, model[k])}[/]" if k in model else "-" for k in keys], "the trained network"]]
    for b in baselines:
        metrics = b.get("metrics", {})
        rows.append([method_name(str(b.get("name"))), *[format_metric(k, metrics[k]) if k in metrics else "-" for k in keys],
                     escape(str(b.get("description", "")))])
    return ["method", *[escape(k) for k in keys], "what"], rows


def baseline_verdict(evaluation: dict[str, Any]) -> str | None:
    """One line on whether a simple method beats the model on the headline metric
    ("seasonal naive beats the model: rmse 18.84 against 27.24"); None when it cannot be told."""
    headline, model = evaluation.get("headline"), (evaluation.get("metrics") or {}).get(evaluation.get("headline"))
    scored = [(b["metrics"][headline], str(b.get("name"))) for b in evaluation.get("baselines") or []
              if isinstance(b.get("metrics", {}).get(headline), (int, float))]
    if not isinstance(model, (int, float)) or not scored:
        return None
    higher = evaluation.get("higher_is_better", True)
    value, name = max(scored) if higher else min(scored)
    if (value > model) if higher else (value < model):
        return (f"[yellow]{method_name(name)} beats the model[/]: {escape(headline)} {format_metric(headline, value)} "
                f"against {format_metric(headline, model)}")
    return (f"the model beats every baseline: {escape(headline)} {format_metric(headline, model)} against "
            f"{format_metric(headline, value)} ({method_name(name)}, the best of them)")


def per_class_rows(evaluation: dict[str, Any]) -> list[list[str]]:
    """Per-class ``label, precision, recall, F1, support`` cells, in class order."""
    return [[escape(str(c["label"])), f"{c['precision']:.3f}", f"{c['recall']:.3f}", f"{c['f1']:.3f}", str(c["support"])]
            for c in evaluation.get("per_class") or []]


def confused_line(evaluation: dict[str, Any]) -> str | None:
    """``most confused (true → predicted): 4 → 9 ×12, 7 → 1 ×5``, or None when nothing is."""
    pairs = evaluation.get("confused_pairs") or []
    if not pairs:
        return None
    return "most confused (true → predicted): " + ", ".join(
        f"{escape(str(p['true']))} → {escape(str(p['predicted']))} ×{p['count']}" for p in pairs)


def worst_rows(evaluation: dict[str, Any], limit: int, width: int = 60) -> list[list[str]]:
    """The most confidently wrong test examples: ``#index, file or text, true, predicted,
    confidence`` (a long text is cut to ``width`` characters)."""
    rows = []
    for w in (evaluation.get("worst") or [])[:limit]:
        source = w.get("source")
        text = "-" if source is None else (source if len(source) <= width else source[: width - 1] + "…")
        rows.append([str(w["index"]), escape(text), escape(str(w["label"])), escape(str(w["predicted"])), f"{w['confidence']:.1%}"])
    return rows

def export_files(record: dict[str, Any]) -> list[str]:
    """The file names of one export: one file, or each part's (seq2seq: encoder and decoder)."""
    files = record.get("files") if isinstance(record.get("files"), list) else [record.get("path", "")]
    return [escape(Path(str(f)).name) for f in files]


def export_row(record: dict[str, Any]) -> dict[str, str]:
    """One export as the cells of an export table (every part's file, one a line); a failed
    variant (no files) is named by its format and quantization and shows its reason."""
    metric = str(record.get("metric", ""))
    failed = record.get("status") == "failed"
    error = record.get("max_abs_error")
    return {"file": "\n".join(export_files(record)) if not failed else escape(f"{record.get('format')} ({record.get('quantize')})"),
            "size": "-" if failed else f"{record.get('size_bytes', 0) / 1e6:.2f} MB",
            "max |error|": f"{error:.1e}" if isinstance(error, (int, float)) else "-",
            "test metric: keras → export": (f"{escape(metric)} {format_metric(metric, record.get('keras_metric'))} → "
                                            f"{format_metric(metric, record.get('export_metric'))}") if metric else "-",
            "verified": ("yes" if record.get("verified") else
                         f"[red]failed: {escape(str(record.get('reason', '')))}[/]" if failed else "[red]no[/]")}


def export_line(record: dict[str, Any]) -> str:
    """One export on one line (the dashboard's run detail)."""
    row = export_row(record)
    return (f"[b]{' + '.join(export_files(record))}[/] {row['size']}, max |error| {row['max |error|']}, {row['test metric: keras → export']}, "
            + ("verified" if record.get("verified") else "[red]not verified[/]"))


def prediction_line(result: dict[str, Any]) -> str:
    """One prediction as a line for people, the answer in bold (the device CLI prints the
    same line in plain text)."""
    escaped = {k: escape(v) if isinstance(v, str) else v for k, v in result.items()}
    return describe(escaped, strong=lambda text: f"[b]{text}[/]", arrow="→")


# -- comparing runs (plain text cells: the CLI escapes them for rich, Markdown for pipes) --

def _plain(value: Any, name: str = "") -> str:
    if value is None:
        return "-"
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        return format_metric(name, value) if name else f"{value:g}"
    return str(value).lower() if isinstance(value, bool) else str(value) if not isinstance(value, (dict, list)) else json.dumps(value, default=str)


def duration_text(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(int(round(seconds)), 60)
    return f"{minutes} min {secs:02d} s" if minutes < 60 else f"{minutes // 60} h {minutes % 60:02d} min"


def comparison_rows(comparison: dict[str, Any]) -> tuple[list[str], list[list[str]]]:
    """A comparison (:func:`dlterm.compare.compare_runs`) as a table with one column per
    run: the differing settings, then epochs, time, size, best, final and test metrics,
    exports. Plain text, unescaped."""
    runs = comparison["runs"]
    header = [""] + [r["id"] for r in runs]
    rows = [[key] + [_plain(v) for v in values] for key, values in comparison["settings"].items()]
    rows.append(["status"] + [r["status"] for r in runs])
    rows.append(["epochs"] + [_plain(r["epochs"]) for r in runs])
    rows.append(["training time"] + [duration_text(r["wall_seconds"]) for r in runs])
    rows.append(["parameters"] + [f"{r['params']:,}" if r["params"] is not None else "-" for r in runs])
    rows.append(["best (epoch)"] + [f"{b['monitor']} {format_metric(b['monitor'], b['value'])}"
                                    + (f" ({b['epoch']})" if b.get("epoch") else "") if (b := r["best"]) else "-"
                                    for r in runs])
    for label, field in (("final", "final"), ("test", "test")):
        names: list[str] = []
        for r in runs:
            names += [k for k in r[field] if k not in names]
        rows += [[f"{label} {name}"] + [_plain(r[field].get(name), name) for r in runs] for name in names]
    if any(r.get("keras_latency_ms") is not None for r in runs):
        rows.append(["keras latency"] + [f"{v:.3f} ms" if (v := r.get("keras_latency_ms")) is not None else "-" for r in runs])
    variants: list[tuple[str, str]] = []
    for r in runs:
        variants += [(e["format"], e["quantize"]) for e in r["exports"] if (e["format"], e["quantize"]) not in variants]
    for fmt, quant in variants:
        cells = []
        for r in runs:
            match = [e for e in r["exports"] if (e["format"], e["quantize"]) == (fmt, quant)]
            if not match:
                cells.append("-")
                continue
            e = match[0]
            cell = f"{e['size_bytes'] / 1e6:.2f} MB" if e["size_bytes"] is not None else "? MB"
            if e["latency_ms"] is not None:
                cell += f", {e['latency_ms']:.3f} ms"
            cells.append(cell + ("" if e["verified"] else " (not verified)"))
        rows.append([f"export {fmt}" + ("" if quant == "none" else f" {quant}")] + cells)
    return header, rows


def markdown_table(header: list[str], rows: list[list[str]]) -> str:
    """A GitHub-flavoured Markdown table; pipes and line breaks in cells are escaped."""
    def cell(text: str) -> str:
        return text.replace("\\", "\\\\").replace("|", "\\|").replace("\r", " ").replace("\n", " ")

    lines = ["| " + " | ".join(cell(h) for h in header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"

RULE_CHARS = frozenset("_=─━-")


def fit_columns(text: str, width: int) -> str:
    """A fixed-width table (the Keras model summary) narrowed to ``width`` by shrinking the
    runs of spaces between its columns, instead of letting the terminal wrap every row.

    Rows (lines starting with a space) and rules are narrowed; titles and totals are short
    and stay as they are. A gap keeps two spaces, one if two are still too wide.
    """
    lines = text.splitlines()
    if all(len(line.rstrip()) <= width for line in lines):
        return text

    def is_rule(line: str) -> bool:
        return bool(line.strip()) and set(line.strip()) <= RULE_CHARS

    rows = [line.rstrip() for line in lines if line.startswith(" ") and not is_rule(line)]
    if not rows:
        return text
    span = max(len(r) for r in rows)
    blank = [all(c >= len(r) or r[c] == " " for r in rows) for c in range(span)]
    for gap in (2, 1):
        keep, run = [], 0
        for is_blank in blank:
            run = run + 1 if is_blank else 0
            keep.append(run <= gap)
        narrowed = {r: "".join(ch for ch, k in zip(r.ljust(span), keep) if k).rstrip() for r in rows}
        new_width = max(len(r) for r in narrowed.values())
        if new_width <= width:
            break
    out = []
    for line in lines:
        if is_rule(line):
            out.append(line.strip()[0] * new_width)
        elif line.startswith(" "):
            out.append(narrowed.get(line.rstrip(), line))
        else:
            out.append(line)
    return "\n".join(out) + ("\n" if text.endswith("\n") else "")
