"""The ``dlterm`` command line.

Start-up imports only Typer and rich: each command imports the services it needs when it
runs, so ``dlterm --help`` and ``dlterm plugins`` never load TensorFlow.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any, Optional

import typer
from rich.console import Console
from rich.table import Table

from dlterm import __version__
from dlterm.export_variants import ALL, FORMAT_QUANTIZATIONS, FORMATS, QUANTIZATIONS

app = typer.Typer(
    name="dlterm",
    help="A terminal deep-learning studio: train classic architectures, watch them live, export them to edge runtimes.",
    no_args_is_help=False,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # plain Click help: reads at 80 columns, no markup to swallow [sections]
)
plugins_app = typer.Typer(help="List architecture plugins, or show one.", invoke_without_command=True)
app.add_typer(plugins_app, name="plugins")
datasets_app = typer.Typer(help="List datasets, show one, or write sample inputs of one.", invoke_without_command=True)
app.add_typer(datasets_app, name="datasets")

console = Console(highlight=False)

PluginDirs = Annotated[Optional[list[Path]], typer.Option("--plugin-dir", metavar="DIR", help="extra user plugin folder (repeatable); default ~/.dlterm/plugins or $DLTERM_PLUGIN_PATH")]
ModelsDir = Annotated[Optional[Path], typer.Option("--models-dir", envvar="DLTERM_HOME", help="where runs live (default ./models)")]
JsonFlag = Annotated[bool, typer.Option("--json", help="machine-readable JSON output")]
RunRef = Annotated[str, typer.Argument(help="run id, a unique prefix of one, or 'latest'")]


def _dirs(plugin_dirs: Optional[list[Path]]) -> list[str]:
    return [str(p) for p in plugin_dirs or []]


def _print_json(obj: Any) -> None:
    sys.stdout.write(json.dumps(with_schema(obj), indent=2, default=str) + "\n")


def with_schema(obj: Any) -> Any:
    """Every --json document names its schema version: an object carries ``schema``, and so
    does each object of a list (lists stay lists for existing scripts). README: JSON output."""
    from dlterm.events import SCHEMA_VERSION

    if isinstance(obj, dict):
        return {"schema": SCHEMA_VERSION, **obj}
    if isinstance(obj, list):
        return [with_schema(item) if isinstance(item, dict) else item for item in obj]
    return obj


@app.callback(invoke_without_command=True)
def root(
    ctx: typer.Context,
    version: Annotated[bool, typer.Option("--version", help="print the version and exit")] = False,
    debug: Annotated[bool, typer.Option("--debug", help="show tracebacks on errors")] = False,
) -> None:
    """With no command, open the dashboard (TUI)."""
    if version:
        console.print(f"dlterm {__version__}")
        raise typer.Exit()
    if ctx.invoked_subcommand is None:
        _open_ui()


def _open_ui(models_dir: Optional[Path] = None, plugin_dir: Optional[list[Path]] = None) -> None:
    from dlterm.tui.app import run_app

    if not sys.stdin.isatty() or not sys.stdout.isatty():
        from dlterm.errors import DltermError

        raise DltermError("the dashboard needs an interactive terminal", "run `dlterm --help` for the commands")
    run_app(str(models_dir) if models_dir else None, _dirs(plugin_dir))


@app.command("ui")
def ui(models_dir: ModelsDir = None, plugin_dir: PluginDirs = None) -> None:
    """Open the dashboard (the same as `dlterm` with no command)."""
    _open_ui(models_dir, plugin_dir)


# -- plugins ---------------------------------------------------------------------------

@plugins_app.callback()
def plugins_list(ctx: typer.Context, as_json: JsonFlag = False, plugin_dir: PluginDirs = None) -> None:
    """List every discovered plugin with its task, source and status (broken ones with why)."""
    if ctx.invoked_subcommand is not None:
        return
    from dlterm.discovery import discover

    plugins = discover(_dirs(plugin_dir))
    if as_json:
        _print_json([{k: v for k, v in p.to_dict().items() if k != "hyperparameters"} for p in plugins])
        return
    table = Table("name", "task", "source", "status", "title / problem", box=None, pad_edge=False)
    for p in plugins:
        colour = {"ok": "green", "broken": "red", "shadowed": "yellow"}[p.status]
        table.add_row(p.name, p.task or "-", p.source, f"[{colour}]{p.status}[/]", p.title if p.ok else p.reason)
    console.print(table)


@plugins_app.command("show")
def plugins_show(name: str, as_json: JsonFlag = False, plugin_dir: PluginDirs = None) -> None:
    """Describe a plugin: its hyperparameters and training options."""
    from dlterm.discovery import get_plugin
    from dlterm.tasks import get_task
    from dlterm.training_options import TRAINING_OPTIONS

    p = get_plugin(name, _dirs(plugin_dir))
    if as_json:
        _print_json(p.to_dict())
        return
    console.print(f"[bold]{p.name}[/] — {p.title}  ({p.task}; {p.source}: {p.origin})\n")
    console.print(p.description + "\n")
    console.print(f"default dataset: {p.default_dataset}\n")
    table = Table("hyperparameter", "type", "default", "allowed", "help", title="hyperparameters (--set NAME=VALUE)", title_justify="left", box=None)
    for h in p.hyperparameters:
        table.add_row(h.name, h.type, str(h.default), h.describe_range(), h.help)
    console.print(table)
    table = Table("option", "default", "allowed", "help", title="\ntraining options (flags, --set or \\[training] in --config)", title_justify="left", box=None)
    task = get_task(p.task)
    for o in (o for o in TRAINING_OPTIONS if task.option_applies(o.name)):
        default = p.training_defaults.get(o.name, o.default)
        table.add_row(o.name, str(default), o.describe_range(), o.help)
    console.print(table)


def _skeleton_tasks() -> str:
    """The tasks ``new-plugin`` has a skeleton for, as the tasks say (cheap: no numpy)."""
    from dlterm.tasks import all_tasks

    return ", ".join(name for name, task in all_tasks().items() if task.skeleton)


@app.command("new-plugin")
def new_plugin(
    name: str,
    task: Annotated[str, typer.Option(help=f"the plugin's task: {_skeleton_tasks()}")] = "image-classification",
    plugin_dir: Annotated[Optional[Path], typer.Option("--plugin-dir", help="folder to write into (default: the first user plugin folder)")] = None,
    force: Annotated[bool, typer.Option(help="overwrite an existing file")] = False,
) -> None:
    """Write a working plugin skeleton into your plugin folder."""
    from dlterm.discovery import user_plugin_dirs
    from dlterm.scaffold import new_plugin as scaffold

    folder = plugin_dir or user_plugin_dirs()[0]
    path = scaffold(name, folder.expanduser(), task, force)
    say = lambda text: console.print(text, soft_wrap=True)  # noqa: E731 - paths are copied: never wrapped
    say(f"wrote {path}")
    if plugin_dir is not None and folder.expanduser().resolve() not in [d.expanduser().resolve() for d in user_plugin_dirs()]:
        # dlterm only searches its plugin folders: say how this one is found
        say(f"note: {folder} is not a plugin folder dlterm searches; pass `--plugin-dir {folder}` to each "
            f"command, or set DLTERM_PLUGIN_PATH={folder}")
        say(f"next: edit it, then `dlterm plugins --plugin-dir {folder}` to check it and "
            f"`dlterm train {name} --plugin-dir {folder}` to train it")
        return
    say(f"next: edit it, then `dlterm plugins` to check it and `dlterm train {name}` to train it")


# -- datasets --------------------------------------------------------------------------

def _dataset_dict(d: Any) -> dict[str, Any]:
    return {"name": d.name, "title": d.title, "task": d.task, "source": d.source, "description": d.description,
            "needs_path": d.needs_path, "has_samples": bool(d.sampler), "settings": [s.to_dict() for s in d.settings]}


@datasets_app.callback()
def datasets_list(ctx: typer.Context, as_json: JsonFlag = False) -> None:
    """List datasets and the task each serves."""
    if ctx.invoked_subcommand is not None:
        return
    from dlterm.datasets import DATASETS

    if as_json:
        _print_json([_dataset_dict(d) for d in DATASETS.values()])
        return
    table = Table("name", "task", "source", "title", box=None)
    for d in DATASETS.values():
        table.add_row(d.name, d.task, d.source + (" (needs --data)" if d.needs_path else ""), d.title)
    console.print(table)
    console.print("\nsettings: `dlterm datasets show NAME`; sample inputs: `dlterm datasets sample NAME -o DIR`")


@datasets_app.command("show")
def datasets_show(name: str, as_json: JsonFlag = False) -> None:
    """Describe a dataset: its task, what it holds, its settings."""
    from dlterm.datasets import get_dataset

    d = get_dataset(name)
    if as_json:
        _print_json(_dataset_dict(d))
        return
    console.print(f"[bold]{d.name}[/] — {d.title}  ({d.task}; {d.source})\n")
    console.print(d.description + "\n")
    if d.needs_path:
        console.print("reads your files: `dlterm train PLUGIN --data PATH`\n")
    table = Table("setting", "type", "default", "allowed", "help", box=None,
                  title="settings (--set data.NAME=VALUE or \\[data] in --config)", title_justify="left")
    for h in d.settings:
        table.add_row(h.name, h.type, str(h.default), h.describe_range(), h.help)
    console.print(table)
    if d.sampler:
        console.print(f"\nsample inputs for `dlterm predict`: dlterm datasets sample {d.name} -o samples")


@datasets_app.command("sample")
def datasets_sample(
    name: str,
    output: Annotated[Path, typer.Option("--output", "-o", metavar="DIR", help="folder to write into (created if missing)")] = Path("samples"),
    count: Annotated[int, typer.Option("--count", "-n", min=1, max=100, help="how many inputs")] = 4,
    force: Annotated[bool, typer.Option("--force", help="replace sample files already in the folder")] = False,
    as_json: JsonFlag = False,
) -> None:
    """Write a few inputs of an offline dataset for `dlterm predict`.

    Fresh examples (images, a CSV series or texts) from a seed training never uses.
    """
    from dlterm.datasets import get_dataset
    from dlterm.datasets.samples import write_samples

    paths = write_samples(get_dataset(name), output.expanduser(), count, force)
    if as_json:
        _print_json({"dataset": name, "files": [str(p) for p in paths]})
        return
    for p in paths:
        console.print(f"wrote {p}", soft_wrap=True)
    first = paths[0]
    arg = f"@{first}" if first.suffix == ".txt" else str(first)
    console.print(f"next: dlterm predict latest {arg}", soft_wrap=True)


# -- train -----------------------------------------------------------------------------

@app.command("train")
def train(
    plugin: Annotated[Optional[str], typer.Argument(help="architecture plugin (see `dlterm plugins`)")] = None,
    dataset: Annotated[Optional[str], typer.Option("--dataset", "-d", help="dataset name (see `dlterm datasets`); default: the plugin's")] = None,
    data: Annotated[Optional[str], typer.Option("--data", help="your data: an image folder, a CSV series, a labelled text CSV/TSV, a pairs TSV or a text file (by the plugin's task)")] = None,
    config: Annotated[Optional[Path], typer.Option("--config", "-c", metavar="FILE", help="TOML file with [hyperparameters], [training], [data]")] = None,
    sets: Annotated[Optional[list[str]], typer.Option("--set", "-s", metavar="KEY=VALUE", help="KEY=VALUE for a hyperparameter, training option or data.SETTING (repeatable)")] = None,
    epochs: Annotated[Optional[int], typer.Option("--epochs", "-e")] = None,
    batch_size: Annotated[Optional[int], typer.Option("--batch-size", "-b")] = None,
    optimizer: Annotated[Optional[str], typer.Option(help="adam, sgd, rmsprop, adagrad or adadelta")] = None,
    learning_rate: Annotated[Optional[float], typer.Option("--learning-rate", "--lr")] = None,
    schedule: Annotated[Optional[str], typer.Option(help="constant, exponential, cosine or plateau")] = None,
    augment: Annotated[Optional[bool], typer.Option("--augment/--no-augment", help="image augmentation")] = None,
    early_stopping: Annotated[Optional[bool], typer.Option("--early-stopping/--no-early-stopping")] = None,
    patience: Annotated[Optional[int], typer.Option()] = None,
    seed: Annotated[Optional[int], typer.Option()] = None,
    window: Annotated[Optional[int], typer.Option(help="forecasting: past steps per sample")] = None,
    column: Annotated[Optional[list[str]], typer.Option(metavar="NAME", help="CSV column (repeatable; the first is forecast)")] = None,
    image_size: Annotated[Optional[int], typer.Option(help="images: resize to this square size")] = None,
    strategy: Annotated[Optional[str], typer.Option(help="tf.distribute: default, mirrored (local GPUs) or multiworker (TF_CONFIG, Kubernetes Indexed Job, Slurm)")] = None,
    weights: Annotated[Optional[str], typer.Option(help="pretrained weights, for plugins that take them: imagenet, none or run:RUN_ID")] = None,
    resume: Annotated[Optional[str], typer.Option(help="continue an interrupted run (only --epochs and --strategy may change)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print events as JSON lines; the last is the summary")] = False,
    models_dir: ModelsDir = None,
    plugin_dir: PluginDirs = None,
) -> None:
    """Train PLUGIN and leave a complete run in the models folder."""
    from dlterm.config import parse_set_options
    from dlterm.events import Emitter, json_lines_sink
    from dlterm.training.trainer import TrainRequest
    from dlterm.training.trainer import train as run_training

    overrides: dict[str, Any] = parse_set_options(sets or [])
    flags = {"epochs": epochs, "batch_size": batch_size, "optimizer": optimizer, "learning_rate": learning_rate,
             "schedule": schedule, "augment": augment, "early_stopping": early_stopping, "patience": patience,
             "seed": seed, "strategy": strategy, "weights": weights, "data.window": window, "data.image_size": image_size,
             "data.column": ",".join(column) if column else None}
    overrides.update({k: v for k, v in flags.items() if v is not None})
    request = TrainRequest(plugin=plugin, dataset=dataset, data_path=data, config_file=str(config) if config else None,
                           overrides=overrides, models_dir=str(models_dir) if models_dir else None,
                           plugin_dirs=_dirs(plugin_dir), resume=resume)
    if as_json:
        emitter = Emitter([json_lines_sink()])
    else:
        from dlterm.cli.progress import ProgressDisplay

        emitter = Emitter([ProgressDisplay(console)])
    summary = run_training(request, emitter)
    if summary["status"] == "failed":
        if not as_json:
            typer.echo(f"error: {summary['error']} — {summary['hint']}", err=True)
        raise typer.Exit(1)
    if summary["status"] == "interrupted":
        raise typer.Exit(130)


# -- runs ------------------------------------------------------------------------------

@app.command("runs")
def runs_list(
    as_json: JsonFlag = False,
    plugin: Annotated[Optional[list[str]], typer.Option("--plugin", metavar="NAME", help="only runs of this plugin (repeatable)")] = None,
    status: Annotated[Optional[list[str]], typer.Option("--status", metavar="STATUS", help="only runs with this status: completed, running, interrupted, failed, damaged (repeatable)")] = None,
    dataset: Annotated[Optional[list[str]], typer.Option("--dataset", metavar="NAME", help="only runs on this dataset (repeatable)")] = None,
    sort: Annotated[str, typer.Option("--sort", help="created, best, plugin, dataset, status, epochs or params")] = "created",
    as_csv: Annotated[bool, typer.Option("--csv", help="CSV for spreadsheets")] = False,
    models_dir: ModelsDir = None,
) -> None:
    """List runs, newest first (or filtered and sorted)."""
    from dlterm.runlist import filter_runs, runs_csv, sort_runs
    from dlterm.runstore import RunStore

    store = RunStore(models_dir)
    all_runs = store.runs()
    runs = sort_runs(filter_runs(all_runs, plugin, status, dataset), sort)
    if as_json:
        _print_json([r.to_dict() for r in runs])
        return
    if as_csv:
        sys.stdout.write(runs_csv(runs))
        return
    if not runs:
        console.print(f"no runs in {store.root} yet — train one with `dlterm train cnn`" if not all_runs
                      else f"no run matches (of {len(all_runs)} in {store.root})")
        return
    from rich.markup import escape

    from dlterm.views import RUN_COLUMNS, run_row

    table = Table(*RUN_COLUMNS, box=None)
    table.columns[0].no_wrap = True  # ids are typed back: never cut or wrapped
    table.columns[0].min_width = max(len(r.id) for r in runs)
    for r in runs:
        row = run_row(r.meta, r.status)
        if r.damaged:
            row["best"] = escape(r.damaged)  # why it can not be used
        table.add_row(*row.values())
    console.print(table)


@app.command("show")
def show(run: RunRef, as_json: JsonFlag = False, models_dir: ModelsDir = None) -> None:
    """Show a run: config, curves, metrics, evaluation, model."""
    from rich.markup import escape

    from dlterm.cli.plot import sparkline
    from dlterm.evaluate import evaluation_of
    from dlterm.runstore import RunStore
    from dlterm.tasks import all_tasks
    from dlterm.views import config_lines, evaluation_line, fit_columns, format_metric, metric_notes, run_header

    r = RunStore(models_dir).get(run)
    history = r.history()
    evaluation = evaluation_of(r)
    task = all_tasks().get(str(r.meta.get("task")))  # None for a damaged run's unknown task
    if as_json:
        from dlterm.export import exports_of

        _print_json({**r.to_dict(), "history": history, "evaluation": evaluation, "exports": exports_of(r)})
        return
    header = run_header(r.meta, r.status)
    console.print(header[0] + f"  ({escape(str(r.path))})")
    for line in header[1:] + config_lines(r.meta):
        console.print(line)
    if history:
        console.print("[bold]curves[/] (first → last epoch):")
        keys = [k for k in history[0] if k not in ("epoch", "seconds", "phase")]
        for key in keys:
            values = [row[key] for row in history if key in row]
            console.print(f"  {key:<14} {sparkline(values)}  {format_metric(key, values[0])} → {format_metric(key, values[-1])}")
        for line in metric_notes(task and task.metric_note, keys):
            console.print(line)
    if evaluation:
        console.print("[bold]evaluation (test split):[/] " + evaluation_line(evaluation))
        for line in metric_notes(task and task.metric_note, list(evaluation.get("metrics") or {})):
            console.print(line)
        _print_baselines(evaluation)
        _print_examples(evaluation)
    elif r.status == "completed" or r.checkpoint("best").is_file():
        console.print(f"[dim]no test evaluation yet: run `dlterm evaluate {r.id}`[/]")
    from dlterm.export import exports_of

    exports = exports_of(r)
    if exports:
        console.print("[bold]exports:[/]")
        console.print(exports_table(exports))
    summary = r.summary_text()
    if summary:  # Keras writes it 88 wide: narrowed to the terminal, never wrapped row by row
        console.print("[bold]model:[/]\n" + escape(fit_columns(summary, console.width)), soft_wrap=True)


@app.command("compare")
def compare(
    runs: Annotated[list[str], typer.Argument(help="the runs to compare: ids, unique prefixes, or 'latest'")],
    as_json: JsonFlag = False,
    markdown: Annotated[bool, typer.Option("--markdown", help="a Markdown table (for issues, wikis, reports)")] = False,
    models_dir: ModelsDir = None,
) -> None:
    """Compare runs side by side: what differs, what it gave.

    The settings that differ, epochs, time, size, best, final and test metrics, exports.
    """
    from rich.markup import escape

    from dlterm.compare import compare_runs
    from dlterm.runstore import RunStore
    from dlterm.views import comparison_rows, markdown_table

    store = RunStore(models_dir)
    result = compare_runs([store.get(ref) for ref in runs])
    if as_json:
        _print_json(result)
        return
    header, rows = comparison_rows(result)
    if markdown:
        sys.stdout.write(markdown_table(header, rows))
        return
    table = Table(*[escape(h) for h in header], box=None)
    for row in rows:
        table.add_row(*[escape(c) for c in row])
    console.print(table)


@app.command("report")
def report(
    runs: Annotated[list[str], typer.Argument(help="one or more runs: ids, unique prefixes, or 'latest'")],
    output: Annotated[Path, typer.Option("--output", "-o", help="the HTML file to write")] = Path("report.html"),
    title: Annotated[Optional[str], typer.Option(help="the report's title")] = None,
    models_dir: ModelsDir = None,
) -> None:
    """Write one self-contained HTML report of runs.

    Curves, evaluation, confusion matrix, forecasts, samples and exports, in one file.
    """
    from rich.markup import escape

    from dlterm.report import write_report
    from dlterm.runstore import RunStore

    store = RunStore(models_dir)
    path = write_report([store.get(ref) for ref in runs], output, title)
    console.print(f"wrote {escape(str(path))}")


def _print_examples(ev: dict[str, Any]) -> None:
    """Decoded test examples (seq2seq) or a generated sample (text generation)."""
    from rich.markup import escape

    if ev.get("examples"):
        table = Table("source", "target", "decoded", "", box=None, title="decoded test examples", title_justify="left")
        for ex in ev["examples"]:
            table.add_row(escape(ex["source"]), escape(ex["target"]), escape(ex["output"]),
                          "[green]✓[/]" if ex.get("correct") else "[red]✗[/]")
        console.print(table)
    if ev.get("sample"):
        sample = ev["sample"]
        console.print(f"[bold]sample[/] (temperature {sample['temperature']}; seed text in dim):\n"
                      f"[dim]{escape(sample['seed'])}[/]{escape(sample['text'])}")


@app.command("evaluate")
def evaluate(
    run: RunRef,
    checkpoint: Annotated[str, typer.Option(help="best, last or final")] = "best",
    worst: Annotated[Optional[int], typer.Option(help="list the N most confidently wrong test examples (classifiers)")] = None,
    as_json: JsonFlag = False,
    models_dir: ModelsDir = None,
) -> None:
    """Evaluate a run on its test split, against simple baselines.

    Saved to evaluation.json with the baselines, per-class scores and examples.
    """
    from dlterm.evaluate import WORST, evaluate_run
    from dlterm.runstore import RunStore

    r = RunStore(models_dir).get(run)
    result = evaluate_run(r, checkpoint, worst=WORST if worst is None else worst)
    if as_json:
        _print_json(result)
        return
    console.print(f"[bold]{r.id}[/] ({checkpoint} checkpoint) on {result['samples']} test samples")
    from dlterm.tasks import get_task
    from dlterm.views import format_metric

    task = get_task(r.meta["task"])
    for key, value in result["metrics"].items():
        note = task.metric_note(key)
        console.print(f"  {key:<22} {format_metric(key, value)}" + (f"  [dim]{note}[/]" if note else ""))
    _print_baselines(result)
    _print_examples(result)
    _print_classes(result, worst or 0)


def _print_baselines(ev: dict[str, Any]) -> None:
    """The model next to its baselines, and whether a simple method wins."""
    from rich.markup import escape

    from dlterm.views import baseline_table, baseline_verdict

    columns, rows = baseline_table(ev)
    if rows:
        _print_table(columns, rows, "baselines (same test split)")
        verdict = baseline_verdict(ev)
        if verdict:
            console.print(verdict)
    for note in ev.get("notes") or []:
        console.print(f"[dim]{escape(note)}[/]")


def _print_table(columns: Any, rows: list[Any], title: str) -> None:
    table = Table(*columns, box=None, title=title, title_justify="left")
    for row in rows:
        table.add_row(*row)
    console.print(table)


def _print_classes(ev: dict[str, Any], worst: int) -> None:
    """A classifier's confusion matrix, per-class scores, confused pairs and worst examples."""
    from dlterm.views import confused_line, per_class_rows, worst_rows

    if "confusion_matrix" in ev:
        names = ev["class_names"]
        table = Table("true \\ predicted", *[n[:8] for n in names], box=None, title="confusion matrix", title_justify="left")
        for name, row in zip(names, ev["confusion_matrix"]):
            table.add_row(name, *[str(v) for v in row])
        console.print(table)
    rows = per_class_rows(ev)
    if rows:
        _print_table(("class", "precision", "recall", "f1", "support"), rows, "per class")
    line = confused_line(ev)
    if line:
        console.print(line)
    if worst and "worst" in ev:
        rows = worst_rows(ev, worst)
        if not rows:
            console.print("no wrong predictions on the test split")
            return
        table = Table("#", "example", "true", "predicted", "confidence", box=None,
                      title=f"most confidently wrong ({len(rows)})", title_justify="left")
        for row in rows:
            table.add_row(*row)
        console.print(table)
    elif worst:
        console.print("[dim]--worst lists wrong classifications; this task has none to list[/]")


@app.command("delete")
def delete(
    run: Annotated[str, typer.Argument(help="the full run id (no prefix, no 'latest')")],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="do not ask for confirmation")] = False,
    models_dir: ModelsDir = None,
) -> None:
    """Delete a run and all its files (never a running run).

    Never through a link: only a run folder inside the models folder goes.
    """
    from dlterm.errors import DltermError
    from dlterm.runstore import RunStore

    store = RunStore(models_dir)
    if not yes:
        if not sys.stdin.isatty():
            raise DltermError(f"deleting run {run} needs confirmation", "add --yes to delete without a question")
        if not typer.confirm(f"Delete run {run} and all its files?", default=False):
            raise typer.Exit(1)
    path = store.delete(run)
    console.print(f"deleted {path}")


# -- export, predict, bench ------------------------------------------------------------

@app.command("export")
def export(
    run: RunRef,
    fmt: Annotated[str, typer.Option("--format", "-f", help=f"{', '.join(FORMATS)} or {ALL}")] = ALL,
    quantize: Annotated[Optional[list[str]], typer.Option("--quantize", "-q", metavar="MODE", help=f"{', '.join(QUANTIZATIONS)} or {ALL} (repeatable); ONNX offers {', '.join(FORMAT_QUANTIZATIONS['onnx'])} (int8: static QDQ)")] = None,
    max_loss: Annotated[Optional[float], typer.Option("--max-loss", help="largest test-metric loss a quantized variant may have: a rate's points as a fraction (default 0.01), an error's relative increase (default 0.1)")] = None,
    float_layers: Annotated[Optional[str], typer.Option("--float-layers", help="TFLite int8: comma-separated tensors to keep in float (a failed int8 export names the worst)")] = None,
    opset: Annotated[int, typer.Option(help="ONNX opset")] = 17,
    bundle: Annotated[Optional[Path], typer.Option("--bundle", help="write a deploy folder: models, labels, metadata, model card, test sample, SHA256SUMS")] = None,
    force: Annotated[bool, typer.Option("--force", help="with --bundle: replace a non-empty folder")] = False,
    as_json: JsonFlag = False,
    models_dir: ModelsDir = None,
) -> None:
    """Export a run to ONNX and TFLite, each variant verified.

    The best checkpoint is exported; each file is checked against Keras on test data.
    """
    from dlterm.errors import DltermError
    from dlterm.export import export_run
    from dlterm.export_policy import summary_line
    from dlterm.runstore import RunStore

    formats = list(FORMATS) if fmt == ALL else [fmt] if fmt in FORMATS else None
    if formats is None:
        raise DltermError(f"unknown export format {fmt!r}", f"choose {', '.join(FORMATS)} or {ALL}")
    quants = list(QUANTIZATIONS) if quantize and ALL in quantize else (quantize or ["none"])
    r = RunStore(models_dir).get(run)
    say = (lambda msg: None) if as_json else (lambda msg: console.print(f"[dim]{msg}...[/]"))
    if bundle is not None:
        _export_bundle(r, bundle, formats, quants, opset, force, say, as_json)
        return
    layers = [n.strip() for n in (float_layers or "").split(",") if n.strip()]
    results = export_run(r, formats, quants, opset, progress=say, max_loss=max_loss, float_layers=layers)
    failed = [res for res in results if not res.get("verified")]
    if as_json:
        _print_json(results)
    else:
        console.print(exports_table(results))
        done = [res for res in results if res.get("verified")]
        console.print(summary_line(results) + (f"; files in {Path(done[0]['path']).parent}" if done else ""))
        for res in failed:  # one line each on stderr; exit 1 below
            typer.echo(f"error: {res['format']} {res['quantize']} failed: {res['reason']}", err=True)
    if failed:
        raise typer.Exit(1)


def _export_bundle(run: Any, folder: Path, formats: list[str], quants: list[str], opset: int, force: bool,
                   say: Any, as_json: bool) -> None:
    from dlterm.bundle import check_target, write_bundle

    for q in quants:  # checked before the slow work starts
        if q not in QUANTIZATIONS:
            from dlterm.errors import DltermError

            raise DltermError(f"unknown quantization {q!r}", f"choose one of: {', '.join(QUANTIZATIONS)}")
    check_target(folder.expanduser().absolute(), force)
    result = write_bundle(run, folder, formats, quants, opset, force, progress=say)
    if as_json:
        _print_json(result)
        return
    console.print(f"bundle in {result['folder']}: " + ", ".join(result["files"]))


def exports_table(results: list[dict[str, Any]]) -> Table:
    from dlterm.views import EXPORT_COLUMNS, export_row

    table = Table(*EXPORT_COLUMNS, box=None)
    table.columns[0].no_wrap = True  # file names are typed back: other cells wrap instead
    for res in results:
        table.add_row(*export_row(res).values())
    return table


@app.command("predict")
def predict(
    model: Annotated[str, typer.Argument(help="an exported .onnx/.tflite file, a deploy bundle folder, or a run id")],
    inputs: Annotated[list[str], typer.Argument(metavar="INPUT...", help="image files; recent values or a CSV (forecasting); texts, or @file.txt (text tasks); a seed text (generation)")],
    steps: Annotated[int, typer.Option(min=1, max=10_000, help="forecasting: how many steps ahead")] = 1,
    length: Annotated[int, typer.Option(min=1, max=100_000, help="text generation: characters to generate")] = 200,
    temperature: Annotated[float, typer.Option(min=0.0, max=10.0, help="text generation: <1 safer, >1 wilder, 0 greedy")] = 1.0,
    seed: Annotated[Optional[int], typer.Option(help="text generation: random seed for sampling")] = None,
    beam: Annotated[int, typer.Option(min=1, max=64, help="seq2seq: beam width (1 = greedy decoding)")] = 1,
    as_json: JsonFlag = False,
    models_dir: ModelsDir = None,
) -> None:
    """Predict with an exported model (no TensorFlow) or a run."""
    from dlterm.errors import DltermError
    from dlterm.predict import predictor_for, read_inputs
    from dlterm.views import prediction_line
    from dlterm_edge.errors import InferenceError

    try:
        predictor = predictor_for(model, models_dir)
        results = predictor.predict(read_inputs(predictor, inputs), steps=steps, length=length,
                                    temperature=temperature, seed=seed, beam=beam)
    except InferenceError as e:
        raise DltermError(str(e), "see `dlterm predict --help`") from None
    if as_json:
        _print_json(results)
        return
    for res in results:
        console.print(prediction_line(res))


@app.command("bench")
def bench(
    run: RunRef,
    repeats: Annotated[int, typer.Option(min=5, max=100_000, help="timed batch-1 calls per variant")] = 100,
    as_json: JsonFlag = False,
    models_dir: ModelsDir = None,
) -> None:
    """Compare Keras, ONNX and TFLite: size, speed, accuracy.

    Each variant's size, batch-1 latency, batch-32 throughput and test metric.
    """
    from dlterm.benchmark import bench_run
    from dlterm.runstore import RunStore

    r = RunStore(models_dir).get(run)
    rows = bench_run(r, repeats, progress=None if as_json else (lambda msg: console.print(f"[dim]{msg}...[/]")))
    if as_json:
        _print_json(rows)
        return
    console.print(bench_table(rows))


def bench_table(rows: list[dict[str, Any]]) -> Table:
    from dlterm.views import format_metric

    table = Table("variant", "status", "size", "p50 ms", "p95 ms", "batch-32 /s", "test metric", "max |error|", box=None)
    for row in rows:
        if row["status"].startswith("error"):
            table.add_row(row["variant"], row["status"], *[""] * 6)
            continue
        table.add_row(row["variant"], row["status"], f"{row['size_bytes'] / 1e6:.2f} MB", f"{row['latency_ms_median']:.3f}",
                      f"{row['latency_ms_p95']:.3f}", f"{row['throughput_batch32']:,.0f}",
                      f"{row['metric']} {format_metric(row['metric'], row['metric_value'])}", f"{row['max_abs_error']:.1e}")
    return table


@app.command("launch", context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def launch(
    ctx: typer.Context,
    workers: Annotated[int, typer.Option(min=1, max=64, help="worker processes on this machine (with --emit: on the cluster)")] = 2,
    as_json: Annotated[bool, typer.Option("--json", help="print the chief's events as JSON lines")] = False,
    emit: Annotated[Optional[str], typer.Option(help="write the cluster recipe instead of running: k8s or slurm", rich_help_panel="Cluster recipe")] = None,
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="write the recipe to FILE (default: stdout)", rich_help_panel="Cluster recipe")] = None,
    image: Annotated[Optional[str], typer.Option(help="k8s: container image with dlterm installed", rich_help_panel="Cluster recipe")] = None,
    name: Annotated[Optional[str], typer.Option(help="Job/Service or Slurm job name (default dlterm-PLUGIN)", rich_help_panel="Cluster recipe")] = None,
    cpus: Annotated[int, typer.Option(min=1, help="CPU cores per worker", rich_help_panel="Cluster recipe")] = 2,
    memory_gb: Annotated[int, typer.Option(min=1, help="memory per worker, GB", rich_help_panel="Cluster recipe")] = 4,
    gpus: Annotated[int, typer.Option(min=0, help="GPUs per worker", rich_help_panel="Cluster recipe")] = 0,
    models_path: Annotated[Optional[str], typer.Option(help="the shared models folder as workers see it (k8s default /models)", rich_help_panel="Cluster recipe")] = None,
    pvc: Annotated[Optional[str], typer.Option(help="k8s: PersistentVolumeClaim (ReadWriteMany) mounted as the models folder", rich_help_panel="Cluster recipe")] = None,
    port: Annotated[int, typer.Option(min=1024, max=65535, help="k8s: the workers' port", rich_help_panel="Cluster recipe")] = 2222,
    time_limit: Annotated[Optional[str], typer.Option("--time", help="slurm: time limit, e.g. 2:00:00", rich_help_panel="Cluster recipe")] = None,
) -> None:
    """Multi-worker training here, or a cluster recipe (--emit).

    Try it here with `--workers 2 -- train cnn`, or write a cluster recipe with
    `--emit k8s|slurm`.

    Starts the workers on 127.0.0.1 with TF_CONFIG set, streams the chief's events, and
    stops every worker when one fails or on Ctrl+C (the run then resumes from its last
    complete epoch). With `--emit k8s|slurm`, writes a Kubernetes Indexed Job or an
    sbatch script that runs the same command on a cluster instead.
    """
    if emit is not None:
        from dlterm.cluster_recipes import RecipeOptions, write_recipe

        write_recipe(emit, list(ctx.args), RecipeOptions(
            workers=workers, name=name, image=image, cpus=cpus, memory_gb=memory_gb, gpus=gpus,
            models_path=models_path, pvc=pvc, port=port, time_limit=time_limit), output)
        return
    from dlterm.events import json_lines_sink
    from dlterm.launch import launch_local

    if as_json or "--json" in ctx.args:  # `launch -- train ... --json` asks for JSON too
        show = json_lines_sink()
    else:
        from dlterm.cli.progress import ProgressDisplay

        show = ProgressDisplay(console)
    code = launch_local(list(ctx.args), workers, show)
    raise typer.Exit(code)
