"""The parameters a ``.keras`` file's ``config.json`` declares, counted without Keras.

Keras builds every layer, and allocates its weights, before it reads a single weight: a
config.json edited to say ``Dense(units=10**9)`` or ``Embedding(10**9, 64)`` makes the load
allocate gigabytes from a file of a few kilobytes. :func:`declared_parameters` counts
what the config asks for, layer by layer, from each layer's own settings and the input
shape Keras records for it (``build_config``), so :mod:`dlterm.limits` can refuse the
file first.

The count is exact for the layers dlterm's plugins use (checked against
``model.count_params()``) and a lower bound otherwise: a layer of an unknown class counts
0, a size the config does not give counts 0. It never counts more than Keras would build,
so an honest file is never refused for it.
"""

from __future__ import annotations

import math
from typing import Any, Iterator

MAX_DEPTH = 64  # nested models and wrappers deeper than this are not a saved model


class ConfigRefused(ValueError):
    """config.json is not a model config that can be counted (too deep, wrong types)."""


def declared_parameters(config: Any) -> tuple[int, str]:
    """(total parameters, the largest layer as ``name (Class): count``) of a Keras
    model config (the parsed ``config.json``)."""
    total, largest, largest_count = 0, "", -1
    for name, cls, count in _layers(config, None, 0):
        total = min(total + count, MAX_SIZE)
        if count > largest_count:
            largest, largest_count = f"{name} ({cls}): {count:,}", count
    return total, largest


def _layers(item: Any, shape: list | None, depth: int) -> Iterator[tuple[str, str, int]]:
    """(name, class, parameters) of every weighted layer in ``item`` and what it nests."""
    if depth > MAX_DEPTH:
        raise ConfigRefused(f"layers nested more than {MAX_DEPTH} deep")
    if not isinstance(item, dict):
        return
    cls, cfg = item.get("class_name"), item.get("config")
    if not isinstance(cls, str) or not isinstance(cfg, dict):
        return
    shape = _input_shape(item) or shape
    if isinstance(cfg.get("layers"), list):  # Functional, Sequential, nested models
        for layer in cfg["layers"]:
            yield from _layers(layer, None, depth + 1)
    if cls == "Bidirectional":
        for key in ("layer", "backward_layer"):
            if isinstance(cfg.get(key), dict):
                yield from _layers(cfg[key], shape, depth + 1)
        if not isinstance(cfg.get("backward_layer"), dict):  # the backward copy of ``layer``
            yield from _layers(cfg.get("layer"), shape, depth + 1)
        return
    if cls == "TimeDistributed":
        inner = [shape[0], *shape[2:]] if shape and len(shape) > 2 else None
        yield from _layers(cfg.get("layer"), inner, depth + 1)
        return
    for key in ("layer", "cell"):  # other wrappers; RNN(cell=LSTMCell(...))
        if isinstance(cfg.get(key), dict):
            yield from _layers(cfg[key], shape, depth + 1)
    count = min(_own_parameters(cls, cfg, shape), MAX_SIZE)
    if count:
        yield _printable(cfg.get("name", "?")), _printable(cls), count


def _printable(text: Any) -> str:
    """A name from the file, safe in a one-line message."""
    return "".join(c if c.isprintable() else "?" for c in str(text)[:80])


def _input_shape(item: dict) -> list | None:
    """The input shape Keras recorded for the layer (the first input's, for several)."""
    build = item.get("build_config")
    shape = None
    if isinstance(build, dict):  # MultiHeadAttention records its query's shape
        shape = build.get("input_shape", build.get("query_shape"))
    if isinstance(shape, dict):  # several named inputs
        shape = next(iter(shape.values()), None)
    if isinstance(shape, list) and shape and isinstance(shape[0], list):  # several inputs: the first
        shape = shape[0]
    return shape if isinstance(shape, list) else None


MAX_SIZE = 2**62  # any one size is clamped here: the products stay cheap to compute
MAX_KERNEL_DIMS = 3  # kernel_size has one entry per spatial axis (Conv3D: 3)


def _int(value: Any) -> int:
    """A size from the config: a non-negative int, else 0 (never more than declared)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        return 0
    return min(value, MAX_SIZE)


def _ints(value: Any) -> list[int]:
    """kernel_size: an int or a list of them (a longer list is not Keras's)."""
    return [_int(v) for v in value[:MAX_KERNEL_DIMS]] if isinstance(value, list) else [_int(value)]


def _last(shape: list | None, axis: int = -1) -> int:
    try:
        return _int(shape[axis]) if shape else 0
    except (IndexError, TypeError):
        return 0


def _bias(cfg: dict, n: int) -> int:
    return n if cfg.get("use_bias", True) else 0


CONV = {"Conv1D", "Conv2D", "Conv3D", "Conv1DTranspose", "Conv2DTranspose", "Conv3DTranspose"}
RECURRENT_GATES = {"SimpleRNN": 1, "LSTM": 4, "GRU": 3, "SimpleRNNCell": 1, "LSTMCell": 4, "GRUCell": 3}


def _own_parameters(cls: str, cfg: dict, shape: list | None) -> int:
    """The weights one layer builds: from its settings and its input shape."""
    channels_first = cfg.get("data_format") == "channels_first"
    inputs = _last(shape, 1 if channels_first else -1)
    if cls == "Dense":
        units = _int(cfg.get("units"))
        return inputs * units + _bias(cfg, units)
    if cls == "Embedding":
        return _int(cfg.get("input_dim")) * _int(cfg.get("output_dim"))
    if cls in CONV:
        filters, kernel = _int(cfg.get("filters")), math.prod(_ints(cfg.get("kernel_size")))
        groups = max(1, _int(cfg.get("groups", 1)))
        return kernel * (inputs // groups) * filters + _bias(cfg, filters)
    if cls in ("DepthwiseConv1D", "DepthwiseConv2D"):
        out = inputs * max(1, _int(cfg.get("depth_multiplier", 1)))
        return math.prod(_ints(cfg.get("kernel_size"))) * out + _bias(cfg, out)
    if cls in ("SeparableConv1D", "SeparableConv2D"):
        depth = inputs * max(1, _int(cfg.get("depth_multiplier", 1)))
        filters = _int(cfg.get("filters"))
        return math.prod(_ints(cfg.get("kernel_size"))) * depth + depth * filters + _bias(cfg, filters)
    if cls in RECURRENT_GATES:
        units, gates = _int(cfg.get("units")), RECURRENT_GATES[cls]
        bias = gates * units * (2 if cls.startswith("GRU") and cfg.get("reset_after", True) else 1)
        return gates * units * (inputs + units) + _bias(cfg, bias)
    if cls == "BatchNormalization":
        axis = cfg.get("axis", -1)
        dim = _last(shape, axis[0] if isinstance(axis, list) and axis else axis if isinstance(axis, int) else -1)
        return dim * (2 + int(bool(cfg.get("center", True))) + int(bool(cfg.get("scale", True))))
    if cls == "LayerNormalization":
        return inputs * (int(bool(cfg.get("center", True))) + int(bool(cfg.get("scale", True))))
    if cls == "MultiHeadAttention":  # query, key and value projections and the output one
        heads, key_dim = _int(cfg.get("num_heads")), _int(cfg.get("key_dim"))
        value_dim = _int(cfg.get("value_dim")) or key_dim
        return heads * (2 * key_dim + value_dim) * inputs + heads * value_dim * inputs
    return 0
