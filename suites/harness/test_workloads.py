"""The workload table, the timed call built from it, and the interleaved timing.

Expected shapes and work counts are the issue's and the textbook's (conv2d's 2 N K H W C KH KW
FLOPs, elements read and written once), written here independently of the table's code.
"""

from __future__ import annotations

import time

import numpy as np
import pytest

from cnnbench.backends.base import OpNotSupported
from cnnbench.backends.numpy_backend import NumpyBackend
from cnnbench.reference import activations, optim
from cnnbench.reference.catalog import CATALOG
from cnnbench.reference.workloads import FORWARD, FORWARD_BACKWARD, SIZES, STEP, workload, workloads
from cnnbench.timed_call import THREADS_VARIABLE, clock_for, pinned_threads, thread_count, timed_call
from cnnbench.timing import calls_per_sample, interleaved

MEGA = 2**20


def test_every_catalog_op_has_a_workload_at_every_size():
    for size in SIZES:
        assert [w.op.name for w in workloads(size)] == list(CATALOG)


@pytest.mark.parametrize("name", list(CATALOG))
def test_the_reference_runs_every_small_workload_in_every_direction(name):
    """Each workload is a valid call of its op: the reference takes it in every direction it is timed in."""
    work = workload(name, "small")
    ref = NumpyBackend()
    for direction in work.directions:
        call = timed_call(ref, work, "float64", direction)
        call()
        call()  # an optimizer's carried state is valid for the next step


def test_standard_shapes_are_the_issues():
    conv = workload("conv2d", "standard").case
    assert [x.shape for x in conv.inputs] == [(32, 64, 32, 32), (64, 64, 3, 3), (64,)]
    assert conv.params == {"padding": 1}
    assert workload("cross_entropy", "standard").case.inputs[0].shape == (256, 1000)
    assert workload("batch_norm_train", "standard").case.inputs[0].shape == (32, 64, 32, 32)
    for optimizer in ("sgd", "sgd_momentum", "sgd_nesterov", "adagrad", "rmsprop", "adam"):
        assert workload(optimizer, "standard").case.inputs[0].size == MEGA
    for name in CATALOG:  # small is CI-sized: every op's call is smaller than at the standard size
        small, standard = (workload(name, size).elements(workload(name, size).directions[0]) for size in SIZES)
        assert small < standard / 10, name


def test_directions_follow_the_catalog():
    assert workload("conv2d", "small").directions == (FORWARD, FORWARD_BACKWARD)
    assert workload("adam", "small").directions == (STEP,)
    assert workload("he_normal", "small").directions == (FORWARD,)
    assert workload("step", "small").directions == (FORWARD,)  # forward only: no backward in the catalog


def test_flops_of_the_products_ops():
    conv = workload("conv2d", "standard")
    forward = 2 * 32 * 64 * 32 * 32 * 64 * 3 * 3
    assert conv.flops(FORWARD) == forward
    assert conv.flops(FORWARD_BACKWARD) == 3 * forward  # dx and dw each cost a forward
    assert workload("fully_connected", "standard").flops(FORWARD) == 2 * 256 * 2048 * 1000
    assert workload("maxout", "standard").flops(FORWARD) == 2 * 256 * 500 * 2 * 1024  # N M P D
    assert workload("relu", "standard").flops(FORWARD) == 0
    assert (conv.measure, workload("maxout", "standard").measure) == ("flops", "flops")
    assert workload("relu", "standard").measure == "bytes"


def test_elements_moved():
    n = 32 * 64 * 32 * 32
    relu = workload("relu", "standard")
    assert relu.elements(FORWARD) == 2 * n  # read x, write y
    assert relu.elements(FORWARD_BACKWARD) == 5 * n  # + read dy and x, write dx
    assert relu.work(FORWARD, 4) == {"flops": 0, "bytes": 8 * n}
    # read param, grad and each state array; write param and each state array
    assert workload("sgd", "standard").elements(STEP) == 3 * MEGA
    assert workload("sgd_momentum", "standard").elements(STEP) == 5 * MEGA
    assert workload("adam", "standard").elements(STEP) == 7 * MEGA
    assert workload("he_normal", "standard").elements(FORWARD) == MEGA  # written only
    # BatchNorm: x, gamma, beta, running mean and var read; y and both running statistics written;
    # backward: dy (like y only), the five arrays again, three gradients
    c = 64
    bn = workload("batch_norm_train", "standard")
    assert bn.elements(FORWARD) == (n + 4 * c) + (n + 2 * c)
    assert bn.elements(FORWARD_BACKWARD) == (n + 4 * c) + (n + 2 * c) + n + (n + 4 * c) + (n + 2 * c)
    # cross-entropy: logits and 256 labels read, one number written
    ce = workload("cross_entropy", "standard")
    assert ce.elements(FORWARD) == 256 * 1000 + 256 + 1


def test_bad_selections_are_named():
    with pytest.raises(ValueError, match="size: expected one of small, standard, got 'huge'"):
        workload("relu", "huge")
    with pytest.raises(KeyError, match="op: unknown op 'relux'"):
        workload("relux", "small")
    with pytest.raises(ValueError, match="direction: adam is timed step, not 'forward'"):
        timed_call(NumpyBackend(), workload("adam", "small"), "float64", FORWARD)


class Recorder(NumpyBackend):
    """The reference, recording what the harness calls."""

    name = "recorder"

    def __init__(self) -> None:
        super().__init__()
        self.log: list[tuple] = []

    def synchronize(self) -> None:
        self.log.append(("sync",))

    def relu_backward(self, dy, x):
        self.log.append(("relu_backward", dy.shape, dy.dtype))
        return activations.relu_backward(dy, x)

    def sgd_momentum(self, param, grad, *, state=None, **hyper):
        self.log.append(("step", None if state is None else id(state["velocity"])))
        new, new_state = optim.sgd_momentum(param, grad, state=state, **hyper)
        self.log.append(("returned", id(new_state["velocity"])))
        return new, new_state


def test_the_backward_gets_dy_shaped_like_the_output_and_every_call_synchronizes():
    backend = Recorder()
    call = timed_call(backend, workload("relu", "small"), "float32", FORWARD_BACKWARD)
    assert backend.log == [("relu_backward", (4, 8, 8, 8), np.float32), ("sync",)]  # the call made once
    call()
    assert backend.log[2:] == backend.log[:2]


def test_an_optimizer_step_carries_the_state_it_returned():
    backend = Recorder()
    call = timed_call(backend, workload("sgd_momentum", "small"), "float64", STEP)
    assert backend.log[0] == ("step", None)  # the warm-up step, before timing
    call()
    steps = [entry for entry in backend.log if entry[0] in ("step", "returned")]
    # each timed step receives the velocity the step before it returned
    assert steps[2] == ("step", steps[1][1]) and steps[4] == ("step", steps[3][1])


class Partial(NumpyBackend):
    name = "partial"
    op_dtypes = {"relu": ("float64",)}  # noqa: RUF012

    def conv2d(self, *args, **kwargs):
        raise OpNotSupported(self.name, "conv2d")


def test_what_a_backend_cannot_run_is_not_supported_before_timing():
    backend = Partial()
    with pytest.raises(OpNotSupported, match="declared only in float64"):
        timed_call(backend, workload("relu", "small"), "float32", FORWARD)
    with pytest.raises(OpNotSupported, match="conv2d"):
        timed_call(backend, workload("conv2d", "small"), "float64", FORWARD)
    timed_call(backend, workload("relu", "small"), "float64", FORWARD)()


def sleeper(seconds: float, log: list[str], name: str):
    def call() -> None:
        log.append(name)
        time.sleep(seconds)

    return call


def test_interleaved_takes_turns_and_measures_the_ratio():
    log: list[str] = []
    timings = interleaved(
        {"a": sleeper(0.01, log, "a"), "b": sleeper(0.02, log, "b")}, rounds=5, warmup=1, min_sample=0.02
    )
    na, nb = timings["a"].number, timings["b"].number
    # the timed calls come last: a sample of a, then one of b, round after round
    assert log[-5 * (na + nb) :] == (["a"] * na + ["b"] * nb) * 5
    assert [t.rounds for t in timings.values()] == [5, 5]
    ratio = timings["b"].best / timings["a"].best
    assert 1.6 < ratio < 2.4, ratio  # sleep never returns early, so the best is close to the truth
    assert timings["a"].best <= timings["a"].median


def test_calls_per_sample_reaches_the_minimum_sample():
    """A call of 1 ms on a clock that only the calls advance: 2**k calls reach 20 ms at k = 5."""
    now = [0.0]

    def call() -> None:
        now[0] += 0.001

    assert calls_per_sample(call, min_sample=0.02, clock=lambda: now[0]) == 32
    assert calls_per_sample(call, min_sample=0.001, clock=lambda: now[0]) == 1


def test_thread_count_comes_from_the_environment(monkeypatch):
    monkeypatch.delenv(THREADS_VARIABLE, raising=False)
    assert thread_count() == 1
    monkeypatch.setenv(THREADS_VARIABLE, "3")
    assert thread_count() == 3
    monkeypatch.setenv(THREADS_VARIABLE, "0")
    with pytest.raises(ValueError, match=f"{THREADS_VARIABLE}: expected an integer >= 1, got '0'"):
        thread_count()


def test_pinned_threads_pins_torch_and_records_it():
    torch = pytest.importorskip("torch")
    from cnnbench.backends.torch_backend import TorchBackend

    before = torch.get_num_threads()
    with pinned_threads([TorchBackend()], 1) as record:
        assert torch.get_num_threads() == 1
        assert record["requested"] == 1 and record["torch intra-op"] == 1
    torch.set_num_threads(before)


def test_the_clock_is_cpu_time_only_for_one_thread_on_the_host(monkeypatch):
    """CPU time equals a quiet machine's wall time only for one thread on the host."""

    class OnGpu(NumpyBackend):
        device = "cuda"

    monkeypatch.delenv(THREADS_VARIABLE, raising=False)
    assert clock_for([NumpyBackend()]) is time.process_time
    assert clock_for([NumpyBackend(), OnGpu()]) is time.perf_counter
    monkeypatch.setenv(THREADS_VARIABLE, "2")
    assert clock_for([NumpyBackend()]) is time.perf_counter
