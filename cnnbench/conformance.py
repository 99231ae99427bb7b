"""Checking one backend against the reference: one op, case, dtype and direction.

The same generic ``execute`` runs a case through any backend (the reference
included, as ``NumpyBackend``), so the backend under test, the float64 reference
under the backend's declared conventions, and the reference's own float32 run
all go through identical steps:

    inputs  rounded to the dtype, then given to the backend via ``asarray``
    forward outputs, or backward gradients for a seeded cotangent dy
    trajectory (optimizers): T steps with the backend's own state carried
    statistical (seeded samplers): see ``check_statistical``

Every float array handed to a backend is a private copy, checked unchanged
afterwards; every output is copied on receipt and must be of the tested dtype
(``ContractViolation`` otherwise: the check fails). Bounds come from the tolerance
model (``tolerance.py``); a passing check must also reject the wrong answers of
``controls.py``, or it is reported as blunt.

The verdict is a ``Result``: pass / fail / blunt / error / not implemented /
unsupported, the worst error as a fraction of its bound, the check's sharpness,
the error as a multiple of a careful evaluation's, and a one-line reproducer.
"""

from __future__ import annotations

import dataclasses
import inspect
import traceback
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

import ml_dtypes
import numpy as np

from cnnbench.backends.base import Backend, OpNotSupported
from cnnbench.backends.numpy_backend import NumpyBackend
from cnnbench.reference.cases import Case
from cnnbench.reference.catalog import Op
from cnnbench.reference.conventions import validate

from . import saved_output
from .compare import bound_fractions, compare
from .controls import blunt_controls, sharpness
from .stats import same_distribution
from .tolerance import JITTER_ULPS, JITTERS, SAFETY, UNIT_ROUNDOFF, element_bounds, smallest_normal

DIRECTIONS = ("forward", "backward")


@dataclass(frozen=True)
class Result:
    backend: str
    op: str
    case: str
    dtype: str
    direction: str
    status: str  # pass, fail, blunt (the check could not reject a wrong answer), error, not implemented, unsupported
    error: float | None = None  # worst element's error as a fraction of its bound (statistical: statistic / critical)
    sharpness: float | None = None  # smallest uniform relative error this check rejects
    ratio: float | None = None  # error / a careful same-dtype evaluation's error (float32 and the half types)
    detail: str = ""
    selector: str = ""  # how to name the backend on the command line
    case_file: str = ""  # where a generated case was saved for replay

    @property
    def passed(self) -> bool:
        return self.status == "pass"

    @property
    def reproducer(self) -> str:
        case = f"--case-file {self.case_file}" if self.case_file else f"--case {self.case}"
        return (
            f"cnnbench check --backend {self.selector or self.backend} --op {self.op} "
            f"{case} --dtype {self.dtype} --direction {self.direction}"
        )

    def describe(self) -> str:
        head = f"{self.backend} {self.op}[{self.case}] {self.dtype} {self.direction}: {self.status}"
        return f"{head}\n{self.detail}\nreproduce: {self.reproducer}"


class ContractViolation(Exception):
    """The backend broke the contract: changed an input, or returned the wrong kind of array."""


def numpy_dtype(dtype: str) -> np.dtype:
    """The NumPy dtype a backend returns for ``dtype`` (bfloat16 as ``ml_dtypes.bfloat16``)."""
    return np.dtype(ml_dtypes.bfloat16) if dtype == "bfloat16" else np.dtype(dtype)


def round_to(array: np.ndarray, dtype: str) -> np.ndarray:
    """Values of ``array`` rounded (to nearest even) to ``dtype``, held in that dtype."""
    return np.asarray(array).astype(numpy_dtype(dtype))


def _received(backend: Backend, value: Any, what: str, dtype: str | None) -> np.ndarray:
    """A private NumPy copy of a backend's output; with ``dtype``, it must be of that real floating type."""
    array = np.array(backend.to_numpy(value), copy=True)
    if dtype is not None and array.dtype != numpy_dtype(dtype):
        raise ContractViolation(f"{what}: returned dtype {array.dtype}, expected {dtype}")
    return array


class HandedInputs:
    """Private copies handed to a backend, and the check afterwards that it left them unchanged."""

    def __init__(self, backend: Backend, dtype: str) -> None:
        self.backend, self.dtype, self.given = backend, dtype, []

    def hand(self, value: Any, what: str, watch: bool = True) -> Any:
        if not isinstance(value, np.ndarray):
            return value
        if np.issubdtype(value.dtype, np.floating):
            rounded = round_to(value, self.dtype).astype(np.float64)
            # half types travel as exactly representable float32 values (NumPy has no bfloat16)
            carrier = np.float32 if self.dtype == "bfloat16" else numpy_dtype(self.dtype)
            native = self.backend.asarray(rounded.astype(carrier), self.dtype)
        else:
            rounded = value.copy()
            native = self.backend.asarray(rounded.copy())
        if watch:
            self.given.append((what, native, rounded))
        return native

    def verify_unchanged(self) -> None:
        for what, native, original in self.given:
            now = np.asarray(self.backend.to_numpy(native))
            if now.shape != original.shape or not np.array_equal(
                now.astype(np.float64), original.astype(np.float64), equal_nan=True
            ):
                raise ContractViolation(f"{what}: the backend changed this input")


def declared_op(backend: Backend, name: str, dtype: str) -> Callable[..., Any]:
    """``backend.op(name)`` to run in ``dtype``; ``OpNotSupported``, without calling the op,
    when the backend does not declare it in ``dtype`` (``op_dtypes``)."""
    fn = backend.op(name)
    declared = backend.dtypes_of(name)
    if dtype not in declared:
        reason = f"{name} is declared only in {', '.join(declared) or 'no dtype'} (op_dtypes)"
        raise OpNotSupported(backend.name, name, reason)
    return fn


def input_names(op: Op, count: int) -> list[str]:
    """Names of the positional inputs, from the reference signature ("xs[1]" for varargs)."""
    names: list[str] = []
    for p in inspect.signature(op.forward).parameters.values():
        if p.kind == p.VAR_POSITIONAL:
            names += [f"{p.name}[{i}]" for i in range(count - len(names))]
        elif p.kind == p.POSITIONAL_OR_KEYWORD:
            names.append(p.name)
    return names[:count]


def cotangent(op: Op, case: Case, shape: tuple[int, ...]) -> np.ndarray:
    """The upstream gradient dy for a case: seeded by op and case name, so every backend gets the same."""
    return np.random.default_rng(zlib.crc32(f"{op.name}/{case.name}".encode())).standard_normal(shape)


def execute(
    backend: Backend, op: Op, case: Case, dtype: str, direction: str, dy: np.ndarray | None = None
) -> dict[str, np.ndarray]:
    """Run one case through ``backend``; return named private NumPy copies of its outputs.

    Every float array is rounded to ``dtype`` and handed over as a private copy; afterwards
    the inputs must be unchanged and every output of ``dtype`` (``ContractViolation``
    otherwise). An optimizer may update its parameter in place: each step gets its own copy.
    An op the backend does not declare in ``dtype`` raises ``OpNotSupported`` before any input is handed over.
    """
    fn = declared_op(backend, op.name if direction == "forward" else f"{op.name}_backward", dtype)
    given = HandedInputs(backend, dtype)
    names = input_names(op, len(case.inputs))
    watch = op.kind != "trajectory"  # an optimizer may update its parameter in place
    inputs = [given.hand(np.asarray(x), n, watch) for n, x in zip(names, case.inputs, strict=True)]
    floating = any(np.issubdtype(np.asarray(x).dtype, np.floating) for x in case.inputs)
    want = dtype if floating else None  # schedules take step numbers and return plain numbers
    if op.kind == "trajectory":
        hyper = {k: v for k, v in case.params.items() if k != "grads"}
        param, state, path = inputs[0], None, []
        for t, g in enumerate(case.params["grads"]):
            param, state = fn(param, given.hand(g, f"grads[{t}]"), state=state, **hyper)
            path.append(_received(backend, param, f"param after step {t + 1}", want))
        given.verify_unchanged()
        return {"trajectory": np.stack(path)}
    params = {k: given.hand(v, k) for k, v in case.params.items()}
    if direction == "forward":
        out = fn(*inputs, **params)
        outs = out if isinstance(out, tuple) else (out,)
        keys = ["forward"] if len(outs) == 1 else [f"forward[{i}]" for i in range(len(outs))]
        result = {k: _received(backend, o, k, want) for k, o in zip(keys, outs, strict=True)}
    else:
        grads = fn(given.hand(dy, "dy"), *inputs, **params)
        if len(grads) != len(inputs):
            raise ContractViolation(f"{op.name}_backward returned {len(grads)} gradients for {len(inputs)} inputs")
        result = {f"grad {n}": _received(backend, g, f"grad {n}", want) for n, g in zip(names, grads, strict=True)}
    given.verify_unchanged()
    return result


@cache
def _reference_for(conventions: tuple[tuple[str, str], ...]) -> NumpyBackend:
    return NumpyBackend(dict(conventions))


def reference_for_conventions(declared: Mapping[str, str], owner: str = "conventions") -> NumpyBackend:
    """The reference evaluated under these convention choices (one shared instance per choice set)."""
    return _reference_for(tuple(sorted(validate(dict(declared), owner).items())))


def reference_for(backend: Backend) -> NumpyBackend:
    """The reference evaluated under the backend's declared conventions."""
    return reference_for_conventions(backend.conventions, backend.name)


def _failure(backend: Backend, op: Op, case: Case, dtype: str, direction: str, selector: str, exc: Exception) -> Result:
    label = (backend.name, op.name, case.name, dtype, direction)
    if isinstance(exc, OpNotSupported):
        return Result(*label, "not implemented", detail=exc.reason, selector=selector)
    if isinstance(exc, ContractViolation):
        return Result(*label, "fail", detail=f"contract violated: {exc}", selector=selector)
    message = traceback.format_exception_only(type(exc), exc)[-1].strip()
    frame = traceback.extract_tb(exc.__traceback__)[-1]
    detail = f"{message}\nraised at {frame.filename}:{frame.lineno} ({frame.name})"
    return Result(*label, "error", detail=detail, selector=selector)


@dataclass(frozen=True)
class Expectation:
    """What a correct backend must return for one case: values and per-element bounds."""

    values: dict[str, np.ndarray]  # the float64 reference on the rounded inputs
    bounds: dict[str, np.ndarray]  # the bound on |a_i - r_i| per element (tolerance.py)
    floor: float  # absolute differences below this are forgiven (flushed subnormals)


def expectation(ref: Backend, op: Op, case: Case, dtype: str, direction: str, dy: np.ndarray | None) -> Expectation:
    """The reference values and the tolerance model's bounds for one case in ``dtype``."""
    values = expected_outputs(ref, op, case, dtype, direction, dy)
    moved, careful = sensitivity(ref, op, case, dtype, direction, dy, values)
    kept = kept_in_dtype(ref, op, case, dtype, direction, values)
    bounds = {}
    for key, want in values.items():
        reduction = max(case.reduction, (dy.size // max(want.size, 1)) if dy is not None else 1)
        bounds[key] = element_bounds(dtype, want, moved[key], careful[key], reduction, op.tolerance, kept.get(key))
    return Expectation(values, bounds, smallest_normal(dtype))


def kept_in_dtype(ref: Backend, op: Op, case: Case, dtype: str, direction: str, values: dict) -> dict:
    """For ops of class "products" (inputs x, w, bias): the magnitudes a correct implementation
    rounds to ``dtype``: the result, and forward the product sum before the bias is added."""
    if op.tolerance != "products":
        return {}
    if direction != "forward":
        return {k: np.abs(v) for k, v in values.items()}
    unbiased = dataclasses.replace(case, inputs=(*case.inputs[:-1], np.zeros_like(case.inputs[-1])))
    products = expected_outputs(ref, op, unbiased, dtype, direction, None)
    return {k: np.abs(v) + np.abs(products[k]) for k, v in values.items()}


def check(
    backend: Backend,
    op: Op,
    case: Case,
    dtype: str,
    direction: str = "forward",
    selector: str = "",
    reference: Backend | None = None,
) -> Result:
    """Compare ``backend`` with the reference (by default the NumPy reference under the
    backend's declared conventions) on one case; never raises for a backend's fault."""
    label = (backend.name, op.name, case.name, dtype, direction)
    if dtype not in backend.dtypes:
        return Result(*label, "unsupported", detail=f"{backend.name} does not run {dtype}", selector=selector)
    if case.dtypes is not None and dtype not in case.dtypes:
        return Result(
            *label, "unsupported", detail=f"case {case.name} is meaningful only in {case.dtypes}", selector=selector
        )
    if direction == "backward" and (not op.differentiable or op.kind != "elementwise"):
        raise ValueError(f"direction: {op.name} has no backward")
    if op.kind == "statistical":
        return check_statistical(backend, op, case, dtype, selector, reference)
    ref = reference or reference_for(backend)
    dy = upstream(ref, op, case, dtype, direction)
    try:
        actual = execute(backend, op, case, dtype, direction, dy)
    except Exception as exc:  # the backend's fault: report, do not crash the run
        failure = _failure(backend, op, case, dtype, direction, selector, exc)
        if failure.status == "error" and direction == "backward":
            return _blame_forward_shape(backend, op, case, dtype, dy, failure)
        return failure
    want = expectation(ref, op, case, dtype, direction, dy)  # only for a backend that answered
    comparisons, blunt = [], []
    for key, values in want.values.items():
        if key not in actual:
            return Result(*label, "fail", detail=f"{key}: missing from the backend's result", selector=selector)
        comparison = compare(actual[key], values, want.bounds[key], key, want.floor)
        comparisons.append(comparison)
        if comparison.ok:
            passing = blunt_controls(actual[key], values, want.bounds[key], dtype, want.floor)
            blunt += [f"{key}: {name}" for name in passing]
    error = max(c.error for c in comparisons)
    status = "fail" if not all(c.ok for c in comparisons) else ("blunt" if blunt else "pass")
    sharp = max(sharpness(values, want.bounds[k], want.floor) for k, values in want.values.items())
    params = {k: (v if not isinstance(v, np.ndarray) else f"array{v.shape}") for k, v in case.params.items()}
    names = input_names(op, len(case.inputs))
    shapes = ", ".join(f"{n}{tuple(x.shape)}" for n, x in zip(names, case.inputs, strict=True))
    lines = [f"inputs: {shapes or '-'}; params: {params}", *(c.message for c in comparisons)]
    ratio = None
    if dtype != "float64":
        careful = careful_error(ref, op, case, dtype, direction, dy, want)
        ratio = error / max(careful, 1 / (2 * SAFETY))
        lines.append(
            f"worst error {ratio:.3g}x that of a careful evaluation (the reference in float32, rounded to {dtype}),"
            f" which uses {careful:.3g} of the bound"
        )
    if blunt:
        lines.append("blunt check: these wrong answers pass: " + "; ".join(blunt))
    return Result(*label, status, error, sharp, ratio, "\n".join(lines), selector)


def _blame_forward_shape(backend: Backend, op: Op, case: Case, dtype: str, dy: np.ndarray, failure: Result) -> Result:
    """A backward that raised because its own forward has the wrong shape (so dy, of the
    reference's output shape, does not fit) computed a wrong answer: a fail, with both shapes."""
    try:
        got = next(iter(execute(backend, op, case, dtype, "forward").values()))
    except Exception:  # the forward raises too: the error stands
        return failure
    if got.shape == dy.shape:
        return failure
    detail = f"its forward has shape {got.shape}, the reference's {dy.shape}, so the backward raised:\n{failure.detail}"
    return dataclasses.replace(failure, status="fail", detail=detail)


def careful_error(ref: Backend, op: Op, case: Case, dtype: str, direction: str, dy, want: Expectation) -> float:
    """A careful implementation's worst error as a fraction of the bound: the reference
    computed in float32 on the same inputs, its result rounded to ``dtype``."""
    own = execute(ref, op, rounded_case(case, dtype), "float32", direction, dy)
    errors = [
        float(np.max(bound_fractions(round_to(own[k], dtype), v, want.bounds[k], want.floor), initial=0.0))
        for k, v in want.values.items()
    ]
    return max(errors)


def upstream(ref: Backend, op: Op, case: Case, dtype: str, direction: str) -> np.ndarray | None:
    """The cotangent dy for a backward check, rounded to ``dtype`` (held in float64)."""
    if direction != "backward":
        return None
    first = next(iter(execute(ref, op, case, "float64", "forward").values()))
    return round_to(cotangent(op, case, first.shape), dtype).astype(np.float64)


def expected_outputs(ref: Backend, op: Op, case: Case, dtype: str, direction: str, dy) -> dict[str, np.ndarray]:
    """The float64 reference on the inputs as the backend sees them (rounded to ``dtype``)."""
    out = execute(ref, op, rounded_case(case, dtype), "float64", direction, dy)
    return {k: v.astype(np.float64) for k, v in out.items()}


def rounded_case(case: Case, dtype: str) -> Case:
    """The case with every float array rounded to ``dtype`` and held (exactly) in float64."""
    return _map_floats(case, lambda v: round_to(v, dtype).astype(np.float64))


def _map_floats(case: Case, fn, skip: frozenset[str] = frozenset()) -> Case:
    """The case with ``fn`` applied to every float array (inputs, and params such as the
    gradients or the targets) except the params named in ``skip``."""

    def each(v: Any) -> Any:
        return fn(v) if isinstance(v, np.ndarray) and np.issubdtype(v.dtype, np.floating) else v

    inputs = tuple(each(np.asarray(x)) for x in case.inputs)
    params = {k: (v if k in skip else each(v)) for k, v in case.params.items()}
    return dataclasses.replace(case, inputs=inputs, params=params)


STRUCTURAL = frozenset({"mask"})  # float params that are structure, not data: never jittered


def sensitivity(
    ref: Backend, op: Op, case: Case, dtype: str, direction: str, dy, expected
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """(s, c) of the tolerance model, per output element, the worst over the case itself and
    JITTERS nearby inputs (every float input and dy moved by about JITTER_ULPS float32 ulps,
    onto the float32 grid):
    s, how far the float64 result moves per unit of relative change of its inputs; c, the
    rounding error of the reference evaluated in float32 there, in units of u32. Kink and tie
    cases move only dy; exact ops are not measured. Backwards that frameworks compute from the
    saved forward output add the size of the terms that cancel there (``saved_output.py``)."""
    s = {k: np.zeros_like(v) for k, v in expected.items()}
    c = {k: np.zeros_like(v) for k, v in expected.items()}
    if op.tolerance == "exact":
        return s, c
    rng = np.random.default_rng(zlib.crc32(f"{op.name}/{case.name}/{dtype}/{direction}".encode()))
    size = JITTER_ULPS * UNIT_ROUNDOFF["float32"]

    def nearby(v: np.ndarray) -> np.ndarray:
        return round_to(v * (1 + size * rng.standard_normal(v.shape)), "float32").astype(np.float64)

    base = rounded_case(case, dtype)
    draws = JITTERS + 1 if case.smooth or dy is not None else 1  # a kink forward has nothing to move
    for draw in range(draws):  # draw 0: the case itself, for c
        moved = draw > 0 and case.smooth
        moved_case = _map_floats(base, nearby, skip=STRUCTURAL) if moved else base
        moved_dy = None if dy is None else (nearby(dy) if draw > 0 else dy)
        exact = execute(ref, op, moved_case, "float64", direction, moved_dy)
        rounded = execute(ref, op, moved_case, "float32", direction, moved_dy)
        for k, want in expected.items():
            with np.errstate(invalid="ignore", over="ignore"):
                shift = np.abs(exact[k] - want) / size
                rounding = np.abs(rounded[k].astype(np.float64) - exact[k]) / UNIT_ROUNDOFF["float32"]
            finite = np.isfinite(want)
            s[k] = np.maximum(s[k], np.where(finite, np.nan_to_num(shift, posinf=0.0), 0.0))
            c[k] = np.maximum(c[k], np.where(finite, np.nan_to_num(rounding, posinf=0.0), 0.0))
    if direction == "backward" and op.name in saved_output.TERMS:
        y = next(iter(execute(ref, op, base, "float64", "forward").values()))
        for k, terms in saved_output.TERMS[op.name](dy, base.inputs, base.params, y).items():
            s[k] = np.maximum(s[k], terms)
    return s, c


def check_statistical(
    backend: Backend, op: Op, case: Case, dtype: str, selector: str = "", reference: Backend | None = None
) -> Result:
    """Seeded sampler: reproducible for a seed, different for another, and distributed as the reference's."""
    label = (backend.name, op.name, case.name, dtype, "forward")
    ref = reference or reference_for(backend)
    params = dict(case.params)
    try:
        fn = declared_op(backend, op.name, dtype)
        first = _received(backend, fn(**params), "sample", None)
        again = _received(backend, fn(**params), "sample", None)  # copies on receipt: a reused buffer shows
        other = _received(backend, fn(**{**params, "seed": params["seed"] + 1}), "sample", None)
    except Exception as exc:
        return _failure(backend, op, case, dtype, "forward", selector, exc)
    expected = ref.op(op.name)(**{**params, "seed": params["seed"] + 1000})  # an independent reference draw
    problems = []
    if first.shape != expected.shape:
        problems.append(f"shape {first.shape}, expected {expected.shape}")
    if not np.array_equal(first, again):
        problems.append("not reproducible: the same seed gave different samples")
    if np.array_equal(first, other):
        problems.append("seed ignored: seeds s and s+1 gave identical samples")
    tests = same_distribution(first, expected) if first.size else []
    problems += [f"{t.name} test: statistic {t.ratio:.3g} x its critical value" for t in tests if not t.ok]
    worst = max((t.ratio for t in tests), default=np.inf)
    detail = "; ".join(f"{t.name} {t.ratio:.3g}" for t in tests) + " (statistic / critical value at alpha 1e-6)"
    if problems:
        detail = "; ".join(problems) + "\n" + detail
    return Result(*label, "fail" if problems else "pass", worst, None, None, detail, selector)


def directions(op: Op) -> tuple[str, ...]:
    return DIRECTIONS if op.differentiable and op.kind == "elementwise" else ("forward",)
