"""The ``dlterm-edge`` command: predict, bench and info on a device.

argparse, not Typer: the device install stays numpy + onnxruntime + pillow. Errors are
one line on stderr with exit code 2 (bad usage or input; a tampered bundle) or 1 (a
failure while running, or ``bench --min-metric`` missed); ``--debug`` shows tracebacks.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from dlterm_edge import __version__
from dlterm_edge.errors import InferenceError
from dlterm_edge.predictor import describe

USAGE, FAILURE = 2, 1


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors (its default prints the usage too)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        sys.stderr.write(f"{self.prog}: {message} (see {self.prog} --help)\n")
        raise SystemExit(USAGE)


def _bounded(kind: type, low: float, high: float):
    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a {kind.__name__}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{value} is outside {low}..{high}")
        return value
    return parse


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="dlterm-edge", description="Run models exported by dlterm (a bundle folder, or a .onnx/.tflite "
                                                      "file) without TensorFlow.")
    parser.add_argument("--version", action="version", version=f"dlterm-edge {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    p = sub.add_parser("predict", help="predict with a bundle or a model file")
    p.add_argument("model", help="a bundle folder or an exported .onnx/.tflite file")
    p.add_argument("inputs", nargs="+", help="image files; recent values or a CSV (forecasting); texts or @file.txt "
                                             "(text tasks); a seed text (generation)")
    p.add_argument("--format", dest="variant", help="bundle variant to use: onnx, onnx-dynamic, onnx-int8, tflite, tflite-int8, ... "
                                                       "(`info` lists a bundle's; default: the first, onnx)")
    p.add_argument("--steps", type=_bounded(int, 1, 10_000), default=1, help="forecasting: how many steps ahead")
    p.add_argument("--length", type=_bounded(int, 1, 100_000), default=200, help="text generation: characters to generate")
    p.add_argument("--temperature", type=_bounded(float, 0.0, 10.0), default=1.0,
                   help="text generation: <1 safer, >1 wilder, 0 greedy")
    p.add_argument("--seed", type=int, default=None, help="text generation: random seed for sampling")
    p.add_argument("--beam", type=_bounded(int, 1, 64), default=1, help="seq2seq: beam width (1 = greedy)")
    p.add_argument("--json", action="store_true", help="machine-readable JSON output")

    b = sub.add_parser("bench", help="time every variant: size, latency, throughput, test metric")
    b.add_argument("model", help="a bundle folder or an exported .onnx/.tflite file")
    b.add_argument("--format", dest="formats", action="append", metavar="VARIANT",
                   help="only this variant (repeatable): onnx, onnx-dynamic, onnx-int8, tflite, tflite-float16, "
                        "tflite-dynamic, tflite-int8, tflite-int8-full")
    b.add_argument("--repeats", type=_bounded(int, 5, 100_000), default=100, help="timed batch-1 calls per variant")
    b.add_argument("--json", nargs="?", const="-", metavar="PATH", help="write the results as JSON (to stdout without PATH)")
    b.add_argument("--csv", nargs="?", const="-", metavar="PATH", help="write the results as CSV (to stdout without PATH)")
    b.add_argument("--min-metric", type=float, metavar="X",
                   help="exit 1 when a variant fails or its test metric is worse than X (below for accuracies, "
                        "above for RMSE and bits per character)")

    i = sub.add_parser("info", help="verify a bundle's checksums and print the model's metadata")
    i.add_argument("model", help="a bundle folder or an exported .onnx/.tflite file")
    i.add_argument("--json", action="store_true", help="machine-readable JSON output")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    debug = args.debug or bool(os.environ.get("DLTERM_DEBUG"))
    try:
        return {"predict": cmd_predict, "bench": cmd_bench, "info": cmd_info}[args.command](args)
    except InferenceError as e:
        if debug:
            raise
        sys.stderr.write(f"dlterm-edge: {e}\n")
        return USAGE
    except KeyboardInterrupt:
        return 130
    except Exception as e:  # noqa: BLE001 - one line, not a traceback, for anything unforeseen
        if debug:
            raise
        sys.stderr.write(f"dlterm-edge: {args.command} failed: {type(e).__name__}: {str(e).splitlines()[0][:200] if str(e) else ''} "
                         "(--debug shows the traceback)\n")
        return FAILURE


def _write(text: str, target: str) -> None:
    if target == "-":
        sys.stdout.write(text)
    else:
        from dlterm_edge.files import atomic_write_text

        try:
            atomic_write_text(target, text)
        except OSError as e:
            raise InferenceError(f"cannot write {target}: {e.strerror or e}") from None


def cmd_predict(args: argparse.Namespace) -> int:
    from dlterm_edge import load
    from dlterm_edge.inputs import read_inputs

    predictor = load(args.model, args.variant)
    results = predictor.predict(read_inputs(predictor, args.inputs), steps=args.steps, length=args.length,
                                temperature=args.temperature, seed=args.seed, beam=args.beam)
    if args.json:
        sys.stdout.write(json.dumps(results, indent=2) + "\n")
    else:
        for result in results:
            sys.stdout.write(describe(result) + "\n")
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    from dlterm_edge.bench import below, bench, to_csv, to_table

    quiet = "-" in (args.json, args.csv)
    result = bench(args.model, args.formats, args.repeats,
                   progress=None if quiet else (lambda msg: sys.stderr.write(msg + "...\n")))
    if args.json:
        _write(json.dumps(result, indent=2) + "\n", args.json)
    if args.csv:
        _write(to_csv(result), args.csv)
    if not quiet:
        sys.stdout.write(to_table(result))
    failed = [r["variant"] for r in result["rows"] if r["status"] != "ok"]
    if args.min_metric is not None:
        missed = [r["variant"] for r in result["rows"] if below(r, args.min_metric)]
        if missed:
            sys.stderr.write(f"dlterm-edge: {', '.join(missed)} missed --min-metric {args.min_metric:g}\n")
            return FAILURE
    if failed:
        sys.stderr.write(f"dlterm-edge: {', '.join(failed)} failed (see the reason in the results)\n")
        return FAILURE
    return 0


def cmd_info(args: argparse.Namespace) -> int:
    from dlterm_edge.bundle import open_bundle, verify_checksums
    from dlterm_edge.metadata import read_metadata

    path = Path(args.model)
    info: dict[str, Any] = {"path": str(path)}
    if path.is_dir():
        from dlterm_edge import bundle_metadata, variant_name

        info["checksums_verified"] = len(verify_checksums(path))
        variants = open_bundle(path, verify=False)
        info["variants"] = [{"variant": variant_name(v), "files": [p.name for p in v.files.values()],
                             "size_bytes": v.size_bytes} for v in variants]
        meta = bundle_metadata(path) or read_metadata(variants[0].path)
    else:
        meta = read_metadata(path)
    info["metadata"] = meta
    if args.json:
        sys.stdout.write(json.dumps(info, indent=2) + "\n")
        return 0
    sys.stdout.write(_info_text(info))
    return 0


def _info_text(info: dict[str, Any]) -> str:
    meta = info["metadata"]
    prep = meta["preprocessing"]
    lines = [f"{info['path']}"]
    if "checksums_verified" in info:
        lines.append(f"checksums: {info['checksums_verified']} files verified (SHA256SUMS)")
        for v in info["variants"]:
            lines.append(f"  {v['variant']:<16} {v['size_bytes'] / 1e6:8.2f} MB  {', '.join(v['files'])}")
    lines.append(f"task: {meta['task']}   plugin: {meta.get('plugin', '?')}   run: {meta.get('run_id', '?')}   "
                 f"dlterm {meta.get('dlterm_version', '?')}")
    tensors = [(p, t) for p, part in meta["parts"].items() for t in part["inputs"]] if meta.get("parts") else \
        [("model", t) for t in meta["inputs"]]
    for part, t in tensors:
        lines.append(f"input: {'' if part == 'model' else part + '.'}{t['name']} {t.get('shape')} {t.get('dtype', 'float32')}")
    labels = meta.get("class_names") or prep.get("class_names")
    if labels:
        shown = ", ".join(labels[:20]) + (f", ... ({len(labels)} in all)" if len(labels) > 20 else "")
        lines.append(f"labels: {shown}")
    brief = {k: (f"{len(v)} entries" if isinstance(v, list) and len(v) > 8 else v) for k, v in prep.items()
             if k != "class_names"}
    lines.append("preprocessing: " + json.dumps(brief, ensure_ascii=False))
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    raise SystemExit(main())
