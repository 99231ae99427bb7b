"""Checking one backend against the reference: one op, case, dtype and direction.

The same generic ``execute`` runs a case through any backend (the reference
included, as ``NumpyBackend``), so the backend under test, the float64 reference
under the backend's declared conventions, and the reference's own float32 run
all go through identical steps:

    inputs  rounded to the dtype, then given to the backend via ``asarray``
    forward outputs, or backward gradients for a seeded cotangent dy
    trajectory (optimizers): T steps with the backend's own state carried
    statistical (seeded samplers): see ``check_statistical``

The verdict is a ``Result``: pass / fail / not implemented / unsupported /
error, the worst error, the tolerance, the error as a multiple of the
reference's own float32 error, and a one-line reproducer.
"""

from __future__ import annotations

import dataclasses
import inspect
import traceback
import zlib
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np

from backends.base import Backend, OpNotSupported
from backends.numpy_backend import NumpyBackend
from reference.cases import Case
from reference.catalog import Op
from reference.conventions import validate

from .compare import compare, normalized_error
from .stats import same_distribution
from .tolerance import bound, machine_eps, smallest_normal

DIRECTIONS = ("forward", "backward")


@dataclass(frozen=True)
class Result:
    backend: str
    op: str
    case: str
    dtype: str
    direction: str
    status: str
    error: float | None = None  # worst normalized error (statistical: statistic / critical value)
    tolerance: float | None = None
    ratio: float | None = None  # error / the reference's own float32 error (float32 only)
    detail: str = ""
    selector: str = ""  # how to name the backend on the command line

    @property
    def passed(self) -> bool:
        return self.status == "pass"

    @property
    def reproducer(self) -> str:
        return (
            f"cnnbench check --backend {self.selector or self.backend} --op {self.op} "
            f"--case {self.case} --dtype {self.dtype} --direction {self.direction}"
        )

    def describe(self) -> str:
        head = f"{self.backend} {self.op}[{self.case}] {self.dtype} {self.direction}: {self.status}"
        return f"{head}\n{self.detail}\nreproduce: {self.reproducer}"


def round_to(array: np.ndarray, dtype: str) -> np.ndarray:
    """Values of ``array`` rounded to ``dtype`` (bfloat16 held in a float32 array)."""
    if dtype != "bfloat16":
        return np.asarray(array).astype(dtype)
    bits = np.asarray(array, dtype=np.float32).view(np.uint32)
    rounded = (bits + np.uint32(0x7FFF) + ((bits >> 16) & np.uint32(1))) & np.uint32(0xFFFF0000)  # to nearest even
    return np.asarray(rounded).view(np.float32)


def _native(backend: Backend, value: Any, dtype: str) -> Any:
    if not isinstance(value, np.ndarray):
        return value
    if np.issubdtype(value.dtype, np.floating):
        return backend.asarray(round_to(value, dtype), dtype)
    return backend.asarray(value)


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
    """Run one case through ``backend``; return named NumPy outputs."""
    inputs = [_native(backend, np.asarray(x), dtype) for x in case.inputs]  # 0-d results come back as scalars
    if op.kind == "trajectory":
        hyper = {k: v for k, v in case.params.items() if k != "grads"}
        step, param, state, path = backend.op(op.name), inputs[0], None, []
        for g in case.params["grads"]:
            param, state = step(param, _native(backend, g, dtype), state=state, **hyper)
            path.append(backend.to_numpy(param))
        return {"trajectory": np.stack(path)}
    params = {k: _native(backend, v, dtype) for k, v in case.params.items()}
    if direction == "forward":
        out = backend.op(op.name)(*inputs, **params)
        outs = out if isinstance(out, tuple) else (out,)
        return {("forward" if len(outs) == 1 else f"forward[{i}]"): backend.to_numpy(o) for i, o in enumerate(outs)}
    grads = backend.op(f"{op.name}_backward")(_native(backend, dy, dtype), *inputs, **params)
    if len(grads) != len(inputs):
        raise ValueError(f"{op.name}_backward returned {len(grads)} gradients for {len(inputs)} inputs")
    return {f"grad {n}": backend.to_numpy(g) for n, g in zip(input_names(op, len(inputs)), grads, strict=True)}


@cache
def _reference_for(conventions: tuple[tuple[str, str], ...]) -> NumpyBackend:
    return NumpyBackend(dict(conventions))


def reference_for(backend: Backend) -> NumpyBackend:
    """The reference evaluated under the backend's declared conventions."""
    return _reference_for(tuple(sorted(validate(dict(backend.conventions), backend.name).items())))


def _failure(backend: Backend, op: Op, case: Case, dtype: str, direction: str, selector: str, exc: Exception) -> Result:
    if isinstance(exc, OpNotSupported):
        return Result(
            backend.name, op.name, case.name, dtype, direction, "not implemented", detail=exc.reason, selector=selector
        )
    message = traceback.format_exception_only(type(exc), exc)[-1].strip()
    frame = traceback.extract_tb(exc.__traceback__)[-1]
    detail = f"{message}\nraised at {frame.filename}:{frame.lineno} ({frame.name})"
    return Result(backend.name, op.name, case.name, dtype, direction, "error", detail=detail, selector=selector)


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
    expected = expected_outputs(ref, op, case, dtype, direction, dy)
    kappa, own_errors = amplification(ref, op, case, direction, dy, expected)
    try:
        actual = execute(backend, op, case, dtype, direction, dy)
    except Exception as exc:  # the backend's fault: report, do not crash the run
        return _failure(backend, op, case, dtype, direction, selector, exc)
    comparisons = []
    for key, want in expected.items():
        if key not in actual:
            return Result(*label, "error", detail=f"{key}: missing from the backend's result", selector=selector)
        reduction = max(case.reduction, (dy.size // max(want.size, 1)) if dy is not None else 1)
        limit = bound(dtype, reduction, op.tolerance, kappa[key])
        comparisons.append(compare(actual[key], want, limit, key, smallest_normal(dtype)))
    worst = max(comparisons, key=lambda c: c.error / c.tolerance if c.tolerance else (0.0 if c.ok else np.inf))
    status = "pass" if all(c.ok for c in comparisons) else "fail"
    params = {k: (v if not isinstance(v, np.ndarray) else f"array{v.shape}") for k, v in case.params.items()}
    names = input_names(op, len(case.inputs))
    shapes = ", ".join(f"{n}{tuple(x.shape)}" for n, x in zip(names, case.inputs, strict=True))
    detail = "\n".join([f"inputs: {shapes or '-'}; params: {params}", *(c.message for c in comparisons)])
    # "as accurate as a careful float32 implementation", as a number (floor: half an ulp)
    ratio = None
    if dtype == "float32":
        ratio = max(c.error for c in comparisons) / max(max(own_errors.values()), machine_eps("float32") / 2)
    return Result(*label, status, worst.error, worst.tolerance, ratio, detail, selector)


def upstream(ref: Backend, op: Op, case: Case, dtype: str, direction: str) -> np.ndarray | None:
    """The cotangent dy for a backward check, rounded to ``dtype``; None for forward."""
    if direction != "backward":
        return None
    first = next(iter(execute(ref, op, case, "float64", "forward").values()))
    return round_to(cotangent(op, case, first.shape), dtype).astype(np.float64)


def expected_outputs(ref: Backend, op: Op, case: Case, dtype: str, direction: str, dy) -> dict[str, np.ndarray]:
    """The float64 reference on the inputs as the backend sees them (rounded to ``dtype``)."""
    out = execute(ref, op, rounded_case(case, dtype), "float64", direction, dy)
    return {k: v.astype(np.float64) for k, v in out.items()}


def rounded_case(case: Case, dtype: str, noise: np.random.Generator | None = None) -> Case:
    """The case with float arrays rounded to ``dtype`` and held in float64 (exactly); with
    ``noise``, the positional inputs first get relative noise of one float32 epsilon."""

    def up(v: Any, jitter: bool = False) -> Any:
        if not (isinstance(v, np.ndarray) and np.issubdtype(v.dtype, np.floating)):
            return v
        if jitter:
            v = v * (1 + machine_eps("float32") * noise.uniform(-1, 1, v.shape))
        return round_to(v, dtype).astype(np.float64)

    inputs = tuple(up(np.asarray(x), noise is not None) for x in case.inputs)
    return dataclasses.replace(case, inputs=inputs, params={k: up(v) for k, v in case.params.items()})


def amplification(ref, op: Op, case: Case, direction: str, dy, expected) -> tuple[dict[str, float], dict[str, float]]:
    """(kappa, own error) per output. kappa: this case's error amplification in float32 ulps,
    the larger of the reference's own float32 rounding error (worst of three rounding
    patterns: the inputs as given and twice jittered by one ulp) and how far the exact
    result moves under that jitter. Kink and tie cases and exact ops are not jittered."""
    own32 = execute(ref, op, case, "float32", direction, dy)
    own = {k: float(np.max(normalized_error(own32[k], want), initial=0.0)) for k, want in expected.items()}
    worst = dict(own)
    if case.smooth and op.tolerance != "exact":
        for seed in (1, 2):
            jittered = rounded_case(case, "float32", np.random.default_rng(seed))
            exact = execute(ref, op, jittered, "float64", direction, dy)
            rounded = execute(ref, op, jittered, "float32", direction, dy)
            for k, want in expected.items():
                moved = float(np.max(normalized_error(exact[k], want), initial=0.0))
                rounding = float(np.max(normalized_error(rounded[k], exact[k]), initial=0.0))
                worst[k] = max(worst[k], moved, rounding)
    return {k: v / machine_eps("float32") for k, v in worst.items()}, own


def check_statistical(
    backend: Backend, op: Op, case: Case, dtype: str, selector: str = "", reference: Backend | None = None
) -> Result:
    """Seeded sampler: reproducible for a seed, different for another, and distributed as the reference's."""
    label = (backend.name, op.name, case.name, dtype, "forward")
    ref = reference or reference_for(backend)
    params = dict(case.params)
    try:
        fn = backend.op(op.name)
        first = backend.to_numpy(fn(**params))
        again = backend.to_numpy(fn(**params))
        other = backend.to_numpy(fn(**{**params, "seed": params["seed"] + 1}))
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
    return Result(*label, "fail" if problems else "pass", worst, 1.0, None, detail, selector)


def directions(op: Op) -> tuple[str, ...]:
    return DIRECTIONS if op.differentiable and op.kind == "elementwise" else ("forward",)
