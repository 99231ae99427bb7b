"""Garbage in, a named error out: a fuzz over every op of the catalog.

Every call starts from a valid fixed case (``op.cases()``): the forward and, for a differentiable
op, the backward with dy shaped like the forward's output (an optimizer: one step that carries the
state of the step before). One argument is changed: another rank, an empty axis, a 0-d array, an
integer, bool, complex, object or string array, a string, bool or None for a number, a negative,
zero, NaN or infinite hyperparameter, a missing or another optimizer's state, a dy of another
shape (shapes that would broadcast included). The call must then either

* raise ValueError or TypeError whose message names the changed argument, or
* return finite real floating-point arrays of the right shape: gradients shaped like their inputs,
  a forward whose backward takes a dy of its output's shape, samples of the shape asked for.

Changes marked ``invalid`` must raise: empty arrays, non-float data, non-numeric or non-finite
hyperparameters, a bool or float for an int, state that is not the optimizer's own, a dy not
shaped like the output. A backward must reject what its forward rejects. NumPy runs with division
by zero, overflow and invalid operations raising and warnings as errors, so a NaN or inf made on
the way escapes as an error too.

Every fixed change is tried on each op's first case; hypothesis draws fixed changes and generated
shapes, dtypes and numbers on every case.
"""

from __future__ import annotations

import contextlib
import inspect
import math
import re
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from functools import cache
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from cnnbench.conformance import input_names
from cnnbench.reference.catalog import OPS, Op

PAIRS = ("kernel_size", "stride", "padding", "dilation")
BIG = 2**62  # an int that overflows int64 once multiplied by a stride in bytes
NOT_FLOAT = ("int64", "bool", "complex128", "object", "str")


@contextlib.contextmanager
def strict() -> Iterator[None]:
    """NaN and inf made by arithmetic, and every warning, raise."""
    with warnings.catch_warnings(), np.errstate(divide="raise", over="raise", invalid="raise"):
        warnings.simplefilter("error")
        yield


@dataclass(frozen=True)
class Call:
    """One call of an op: positional arguments by name (dy first for a backward), and keywords."""

    op: Op
    direction: str
    args: dict[str, Any]
    kwargs: dict[str, Any] = field(default_factory=dict)

    @property
    def fn(self) -> Callable:
        return self.op.forward if self.direction == "forward" else self.op.backward

    @property
    def dy_name(self) -> str | None:
        return next(iter(self.args)) if self.direction == "backward" else None

    def names(self) -> list[str]:
        params = inspect.signature(self.fn).parameters.values()
        return [*self.args, *(p.name for p in params if p.kind == p.KEYWORD_ONLY)]

    def value(self, name: str) -> Any:
        if name in self.args:
            return self.args[name]
        return self.kwargs.get(name, inspect.signature(self.fn).parameters[name].default)

    def with_value(self, name: str, value: Any) -> Call:
        if name in self.args:
            return replace(self, args={**self.args, name: value})
        return replace(self, kwargs={**self.kwargs, name: value})

    def run(self) -> Any:
        with strict():
            return self.fn(*self.args.values(), **self.kwargs)


def first(output: Any) -> Any:
    return output[0] if isinstance(output, tuple) else output


def cotangent(output: Any) -> np.ndarray:
    """A seeded dy shaped like a forward's (first) output."""
    return np.random.default_rng(0).standard_normal(np.shape(first(output)))


def backward_of(call: Call, output: Any) -> Call:
    """The backward of a forward call, with dy for its output."""
    dy_name = next(iter(inspect.signature(call.op.backward).parameters))
    return Call(call.op, "backward", {dy_name: cotangent(output), **call.args}, call.kwargs)


def forward_of(call: Call) -> Call:
    """The forward of a backward call: dy dropped, and the keywords the forward takes."""
    accepted = inspect.signature(call.op.forward).parameters
    args = {k: v for k, v in call.args.items() if k != call.dy_name}
    return Call(call.op, "forward", args, {k: v for k, v in call.kwargs.items() if k in accepted})


@cache
def base_calls(op: Op, direction: str) -> tuple[Call, ...]:
    """One valid call per fixed case."""
    calls = []
    for case in op.cases():
        if op.kind == "trajectory":
            hyper = {k: v for k, v in case.params.items() if k != "grads"}
            param, grads = case.inputs[0], case.params["grads"]
            _, state = op.forward(param, grads[0], **hyper)
            calls.append(Call(op, direction, {"param": param, "grad": grads[1]}, {**hyper, "state": state}))
            continue
        names = input_names(op, len(case.inputs))
        call = Call(op, "forward", dict(zip(names, case.inputs, strict=True)), dict(case.params))
        calls.append(call if direction == "forward" else backward_of(call, call.run()))
    return tuple(calls)


@cache
def foreign_states() -> dict[str, dict[str, Any]]:
    """Each optimizer's state after one step of its first case."""
    return {op.name: base_calls(op, "forward")[0].value("state") for op in OPS if op.kind == "trajectory"}


# ---------------------------------------------------------------- changes


@dataclass(frozen=True)
class Change:
    label: str
    value: Any
    invalid: bool = False  # must be rejected


def reshaped(a: np.ndarray) -> list[tuple[str, np.ndarray]]:
    """a's values in other shapes, several of which broadcast against a."""
    out = [("extra leading axis", a[None]), ("extra trailing axis", a[..., None]), ("stacked", np.stack([a, a]))]
    if a.ndim:
        out += [
            ("leading axis dropped", a[0]),
            ("trailing axis dropped", a[..., 0]),
            ("0-d", a.reshape(-1)[:1].reshape(())),
            ("one more along axis 0", np.concatenate([a, a[:1]])),
            ("one more along the last axis", np.concatenate([a, a[..., :1]], axis=-1)),
        ]
    if a.shape != (1,) * a.ndim:
        out.append(("all axes of size 1", np.ones((1,) * a.ndim, dtype=a.dtype)))
    if a.T.shape != a.shape:
        out.append(("transposed", a.T))
    return out


def emptied(a: np.ndarray) -> list[tuple[str, np.ndarray]]:
    if not a.ndim:
        return [("empty 1-D", np.zeros(0, dtype=a.dtype))]
    return [(f"axis {i} empty", a[(slice(None),) * i + (slice(0, 0),)]) for i in range(a.ndim)]


def not_arrays(a: np.ndarray) -> list[Change]:
    return [
        Change("None", None, True),
        Change("a string", "abc", True),
        Change("ragged nested list", [[0.5], [0.5, 1.0]], True),
        Change("nested list", a.tolist()),
    ]


def array_changes(a: np.ndarray, shape_invalid: bool) -> list[Change]:
    """Other ranks and shapes (``shape_invalid``: each must be rejected), empty axes, other dtypes."""
    changes = [Change(label, v, shape_invalid) for label, v in reshaped(a)]
    changes += [Change(label, v, True) for label, v in emptied(a)]
    changes += [Change(f"{dtype} array", a.astype(dtype), True) for dtype in NOT_FLOAT]
    return [*changes, Change("float32 array", a.astype(np.float32)), *not_arrays(a)]


def float_array_changes(a: np.ndarray, name: str) -> list[Change]:
    changes = array_changes(a, shape_invalid=False)
    if name == "running_var":
        changes.append(Change("negative variances", a - 10.0, True))
    if name == "mask":
        changes.append(Change("entries of 0.5", a * 0.5, bool(np.any(a == 1))))
    return changes


def int_array_changes(a: np.ndarray) -> list[Change]:
    changes = [Change(label, v) for label, v in reshaped(a)]
    changes += [Change(label, v, True) for label, v in emptied(a)]
    changes += [Change(f"{dtype} array", a.astype(dtype), True) for dtype in ("float64", "bool", "complex128", "str")]
    return [
        *changes,
        Change("int32 array", a.astype(np.int32)),
        Change("negative entries", a - a.max() - 1, True),
        Change("huge entries", a + 2**40),
        *not_arrays(a),
    ]


def float_changes(v: float) -> list[Change]:
    numbers = [Change(repr(x), x) for x in (-1.0, 0.0, 0.5, 2.0, 1)] + [Change("float32 scalar", np.float32(v))]
    bad = [Change(repr(x), x, True) for x in (float("nan"), float("inf"), float("-inf"), "0.5", True, None, 1j)]
    return [*numbers, *bad, Change("2-element array", np.array([v, v]), True), Change("1-element list", [v], True)]


def int_changes(none_valid: bool = False, huge: bool = True) -> list[Change]:
    numbers = [-1, 0, 1, 2, 3, np.int64(2)] + ([BIG, -BIG] if huge else [])
    bad = [True, False, 2.5, 1.0, "1", 1j] + ([] if none_valid else [None])
    return [Change(repr(x), x) for x in numbers] + [Change(repr(x), x, True) for x in bad]


def pair_changes(name: str, none_valid: bool) -> list[Change]:
    huge = name != "padding"  # a huge padding is a huge array: memory, not validation
    pairs = [[2, 2], (0, 1), (-1, 1), np.array([1, 2])] + ([(2, BIG)] if huge else [])
    bad = [(1,), (1, 1, 1), (1, True), (1, 2.0), (1, None), "11", {1: 1}]
    return int_changes(none_valid, huge) + [Change(repr(p), p) for p in pairs] + [Change(repr(p), p, True) for p in bad]


def choice_changes(v: str) -> list[Change]:
    return [Change(repr(x), x, True) for x in ("bogus", "", v.upper(), None, 1, [v])]


SHAPE_CHANGES = [Change(repr(s), s) for s in ((5,), [3, 4], (np.int64(3), 4), (2, 3, 4), (1, 1))] + [
    Change(repr(s), s, True) for s in ((), (0, 3), (3, 0), (-1, 3), (2.5, 3), (True, 3), (3, None), "ab", None, 5)
]
SEED_CHANGES = [Change(repr(s), s) for s in (0, 2**64, np.int64(5))] + [
    Change(repr(s), s, True) for s in (-1, 2.5, "1", None, True, 1j, [1, 2])
]


def state_changes(call: Call) -> list[Change]:
    state = call.value("state")
    changes = [Change("None (a first step)", None), Change("a string", "abc", True), Change("a list", [], True)]
    for other, foreign in foreign_states().items():
        if other != call.op.name:
            changes.append(Change(f"{other}'s state", foreign, set(foreign) != set(state)))
    changes.append(Change("an extra entry", {**state, "extra": np.zeros(1)}, True))
    for key, value in state.items():
        changes.append(Change(f"{key} missing", {k: v for k, v in state.items() if k != key}, True))
        changes.append(Change(f"{key} stacked", {**state, key: np.stack([value, value])}, True))
        changes.append(Change(f"{key} a string", {**state, key: "abc"}, True))
        if key == "step":
            wrong = {"-1": -1, "2.5": 2.5, "a 0-d float array": np.asarray(1.5)}
        else:
            wrong = {"an int64 array": value.astype(np.int64), "a complex array": value.astype(complex)}
        changes += [Change(f"{key} {label}", {**state, key: w}, True) for label, w in wrong.items()]
    return changes


def changes(call: Call, name: str) -> list[Change]:
    """The fixed changes of argument ``name`` of ``call``."""
    value = call.value(name)
    if name == call.dy_name:
        return array_changes(np.asarray(value), shape_invalid=True)
    if name == "state":
        return state_changes(call)
    if name == "shape":
        return SHAPE_CHANGES
    if name == "seed":
        return SEED_CHANGES
    if name in PAIRS:
        return pair_changes(name, none_valid=inspect.signature(call.fn).parameters[name].default is None)
    if isinstance(value, str):
        return choice_changes(value)
    if isinstance(value, (int, np.integer)):
        return int_changes()
    if isinstance(value, (float, np.floating)):
        return float_changes(value)
    a = np.asarray(value)
    return int_array_changes(a) if np.issubdtype(a.dtype, np.integer) else float_array_changes(a, name)


def generated(call: Call, name: str) -> st.SearchStrategy[Change]:
    """Changes hypothesis makes up: arrays of random shape and dtype, any float, big ints."""
    value = call.value(name)
    if isinstance(value, np.ndarray) and np.issubdtype(value.dtype, np.floating):
        dtypes = st.sampled_from(["float64", "float32", *NOT_FLOAT])

        def array(shape: list[int], dtype: str) -> Change:
            wrong_shape = name == call.dy_name and tuple(shape) != value.shape
            bad = 0 in shape or dtype in NOT_FLOAT or wrong_shape
            return Change(f"{dtype} array of shape {tuple(shape)}", np.ones(shape).astype(dtype), bad)

        return st.builds(array, st.lists(st.integers(0, 4), max_size=4), dtypes)
    if isinstance(value, (float, np.floating)):  # moderate sizes: near the float limit a finite one may overflow
        numbers = st.floats(-1e6, 1e6) | st.sampled_from([math.nan, math.inf, -math.inf])
        return numbers.map(lambda x: Change(repr(x), x, not math.isfinite(x)))
    if name in ("stride", "dilation", "kernel_size", "groups", "axis", "every", "period"):
        return st.integers(-(2**70), 2**70).map(lambda x: Change(repr(x), x))
    if name == "seed":
        return st.integers(-(2**70), 2**70).map(lambda x: Change(repr(x), x, x < 0))
    if name == "shape":
        return st.lists(st.integers(-2, 4), max_size=4).map(lambda s: Change(repr(s), tuple(s), min(s, default=1) < 1))
    return st.nothing()


# ---------------------------------------------------------------- outcomes


def mentions(message: str, name: str) -> bool:
    return re.search(rf"(?<![\w.\[]){re.escape(name)}(?!\w)", message) is not None


def array_problem(a: Any, shape: tuple[int, ...], what: str) -> str | None:
    """An array (or, for a 0-d result, a NumPy scalar) of real floating-point numbers."""
    if not isinstance(a, (np.ndarray, np.floating)) or not np.issubdtype(a.dtype, np.floating):
        return f"{what}: {type(a).__name__} {getattr(a, 'dtype', '')}, not a real floating-point array"
    if a.shape != shape:
        return f"{what}: shape {a.shape}, expected {shape}"
    if not np.all(np.isfinite(a)):
        return f"{what}: not finite"
    return None


def result_problem(call: Call, result: Any) -> str | None:
    """What is wrong with a call's result, or None."""
    op = call.op
    if call.direction == "backward":
        inputs = {k: v for k, v in call.args.items() if k != call.dy_name}
        if not isinstance(result, tuple) or len(result) != len(inputs):
            return f"{type(result).__name__} returned for {len(inputs)} gradients"
        pairs = zip(inputs.items(), result, strict=True)
        return next((p for (n, x), g in pairs if (p := array_problem(g, np.shape(x), f"grad {n}"))), None)
    if op.kind == "trajectory":
        param, state = result
        bad_state = [k for k, v in state.items() if not np.all(np.isfinite(v))]
        if bad_state:
            return f"state {bad_state}: not finite"
        return array_problem(param, np.shape(call.args["param"]), "param")
    if op.kind == "statistical":
        return array_problem(result, tuple(call.value("shape")), "sample")
    if op.family == "schedule":
        return array_problem(result, np.shape(call.value("steps")), "rates")
    outputs = result if isinstance(result, tuple) else (result,)
    problem = next((p for i, o in enumerate(outputs) if (p := array_problem(o, np.shape(o), f"output {i}"))), None)
    if problem or not op.differentiable:
        return problem
    backward = backward_of(call, result)
    try:
        grads = backward.run()
    except Exception as exc:
        return f"the backward rejects what the forward takes: {type(exc).__name__}: {exc}"
    return result_problem(backward, grads)


def problem(call: Call, name: str, change: Change) -> str | None:
    """What is wrong with the outcome of ``call`` with argument ``name`` changed, or None."""
    changed, invalid = call.with_value(name, change.value), change.invalid
    if changed.direction == "backward" and name != changed.dy_name:
        try:
            out = forward_of(changed).run()
        except (ValueError, TypeError):
            invalid = True  # the backward must reject it too
        except Exception:  # the forward's own fault, reported by its test; dy stays as it was
            pass
        else:
            changed = changed.with_value(changed.dy_name, cotangent(out))
    try:
        result = changed.run()
    except (ValueError, TypeError) as exc:
        return None if mentions(str(exc), name) else f"{type(exc).__name__} not naming {name}: {exc}"
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"
    return "accepted" if invalid else result_problem(changed, result)


# ---------------------------------------------------------------- tests

CALLS = [(op, d) for op in OPS for d in ("forward", "backward") if d == "forward" or op.differentiable]
ARGUMENTS = [
    pytest.param(op, d, name, id=f"{op.name}-{d}-{name}") for op, d in CALLS for name in base_calls(op, d)[0].names()
]


@pytest.mark.parametrize("op,direction", [pytest.param(op, d, id=f"{op.name}-{d}") for op, d in CALLS])
def test_the_unchanged_calls_are_valid(op, direction):
    for call in base_calls(op, direction):
        assert result_problem(call, call.run()) is None


@pytest.mark.parametrize("op,direction,name", ARGUMENTS)
def test_every_fixed_change_of_the_first_case(op, direction, name):
    call = base_calls(op, direction)[0]
    bad = [f"{c.label}: {p}" for c in changes(call, name) if (p := problem(call, name, c))]
    assert not bad, f"{op.name} {direction}, {name} changed:\n" + "\n".join(bad)


@pytest.mark.parametrize("op,direction,name", ARGUMENTS)
@given(data=st.data())
def test_fuzz(op, direction, name, data):
    call = data.draw(st.sampled_from([c for c in base_calls(op, direction) if name in c.names()]), label="case")
    change = data.draw(st.sampled_from(changes(call, name)) | generated(call, name), label="change")
    assert problem(call, name, change) is None
