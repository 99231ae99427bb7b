"""Discovery: built-ins, entry points, explicit module:attr and $CNNBENCH_BACKENDS;
broken or unavailable backends are reported with their reason, never fatal."""

from __future__ import annotations

import pytest

from cnnbench.backends.registry import ENV_VAR, discover, load
from suites.harness.plugin_fixtures import run_pytest, write_plugin


@pytest.fixture
def plugin_path(tmp_path, monkeypatch):
    write_plugin(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    return tmp_path


def test_builtin_reference_backend_loads():
    lb = load("numpy")
    assert lb.ok and lb.backend.implements("conv2d_backward") and not lb.backend.implements("no_such_op")


def test_explicit_module_attr(plugin_path):
    lb = load("tinyplug:TinyBackend")
    assert lb.ok and lb.name == "tiny" and lb.selector == "tinyplug:TinyBackend"
    assert lb.backend.implements("relu") and not lb.backend.implements("conv2d")


def test_entry_point_plugin_is_discovered(plugin_path):
    names = {lb.selector: lb for lb in discover()}
    assert "tiny-ep" in names and names["tiny-ep"].ok and "numpy" in names


def test_environment_variable_plugin_is_discovered(plugin_path, monkeypatch):
    monkeypatch.setenv(ENV_VAR, "tinyplug:TinyBackend, tinyplug:SloppyBackend")
    found = {lb.name for lb in discover() if lb.ok}
    assert {"tiny", "sloppy", "numpy"} <= found


@pytest.mark.parametrize(
    "selector,reason",
    [
        (
            "brokenplug:Backend",
            "failed to load brokenplug:Backend: ModuleNotFoundError: No module named 'a_module_that_does_not_exist'",
        ),
        ("tinyplug:Missing", "failed to load tinyplug:Missing: AttributeError"),
        ("tinyplug:NoGpuBackend", "unavailable: needs a CUDA GPU"),
        ("tinyplug:BadConventionBackend", "convention 'grad_at_kink' must be one of"),
        ("tinyplug:MisspeltOpDtypesBackend", "op_dtypes: 'rleu' is no op of the catalog"),
        ("tinyplug:ForeignOpDtypesBackend", "op_dtypes: relu lists float16, not among dtypes ('float64', 'float32')"),
        ("nonsense", "unknown backend 'nonsense'; known: "),
    ],
)
def test_unusable_backend_is_reported_with_its_reason(plugin_path, selector, reason):
    lb = load(selector)
    assert not lb.ok and reason in lb.reason


def test_one_broken_backend_does_not_stop_the_others(plugin_path):
    loaded = discover(["brokenplug:Backend", "tinyplug:TinyBackend", "numpy"])
    assert [lb.ok for lb in loaded] == [False, True, True]


def test_suite_checks_a_plugin_without_changes_to_the_repo(plugin_path):
    done = run_pytest(
        "suites/backends/test_conformance.py",
        "--backend",
        "tinyplug:TinyBackend",
        "-k",
        "relu or conv2d",
        plugin_root=plugin_path,
    )
    assert done.returncode == 0, done.stdout[-3000:]
    assert " passed" in done.stdout and "skipped" in done.stdout  # relu passes, conv2d is not implemented


def test_suite_fails_a_plugin_whose_convention_declaration_is_false(plugin_path):
    done = run_pytest(
        "suites/backends/test_conformance.py",
        "--backend",
        "tinyplug:SloppyBackend",
        "-k",
        "relu",
        plugin_root=plugin_path,
    )
    assert done.returncode == 1
    assert "relu[zeros_at_kink]-backward" in done.stdout and "--backend tinyplug:SloppyBackend" in done.stdout


def test_unknown_backend_is_a_usage_error(plugin_path):
    done = run_pytest("suites/backends/test_conformance.py", "--backend", "nonsense", plugin_root=plugin_path)
    assert done.returncode == 4 and "unknown backend 'nonsense'" in done.stderr


def test_a_false_convention_declaration_is_exposed(plugin_path):
    from cnnbench.observe import observe

    honest = observe(load("tinyplug:TinyBackend").backend, "grad_at_kink")
    sloppy = observe(load("tinyplug:SloppyBackend").backend, "grad_at_kink")
    assert honest.confirmed and honest.matching == ("left",)
    assert not sloppy.confirmed and sloppy.declared == "left" and sloppy.matching == ("right",)


def test_cross_check_names_the_reference_when_two_frameworks_agree_against_it(plugin_path):
    """Negative control for the reference itself: a wrong reference relu is exposed by two agreeing backends."""
    from cnnbench.backends.numpy_backend import NumpyBackend
    from cnnbench.conformance import check
    from cnnbench.crosscheck import reference_suspect
    from cnnbench.reference.catalog import CATALOG

    op = CATALOG["relu"]
    wrong = NumpyBackend()
    wrong.relu = lambda x: op.forward(x) * 1.001
    case = op.cases()[0]
    tiny, other_tiny, sloppy = (load(f"tinyplug:{n}").backend for n in ("TinyBackend", "TinyBackend", "SloppyBackend"))
    assert check(tiny, op, case, "float64", reference=wrong).status == "fail"
    verdict = reference_suspect(tiny, [other_tiny], op, case, "float64", "forward", reference=wrong)
    assert verdict.startswith("tiny and tiny (float64) agree with each other (error 0) far more closely")
    assert verdict.endswith("the reference is the suspect")
    # against the true reference a lone dissenter accuses nobody
    kink = next(c for c in op.cases() if not c.smooth)
    assert reference_suspect(sloppy, [tiny], op, kink, "float64", "backward") == ""


def test_a_numpy_backend_subclass_is_checked_with_its_own_ops_and_conventions():
    import numpy as np

    from cnnbench.backends.numpy_backend import NumpyBackend
    from cnnbench.conformance import check
    from cnnbench.reference.catalog import CATALOG

    class Halved(NumpyBackend):
        name = "halved"

        def relu(self, x):
            return 0.5 * np.maximum(x, 0)

    class RightKink(NumpyBackend):
        name = "right-kink"
        conventions = {"max_gate_tie": "all"}  # noqa: RUF012 (a plug-in declares it this way)

    relu, gate = CATALOG["relu"], CATALOG["max_gate"]
    assert check(Halved(), relu, relu.cases()[0], "float64").status == "fail"
    assert check(NumpyBackend(), relu, relu.cases()[0], "float64").status == "pass"
    assert RightKink().conventions["max_gate_tie"] == "all"
    tie = next(c for c in gate.cases() if not c.smooth)
    assert check(RightKink(), gate, tie, "float64", "backward").status == "pass"
    assert check(RightKink(), gate, tie, "float64", "backward", reference=NumpyBackend()).status == "fail"


def test_a_named_backend_that_does_not_load_is_a_usage_error(plugin_path):
    """Its tests would all skip, and the run pass, having checked nothing."""
    done = run_pytest("suites/backends/test_conformance.py", "--backend", "brokenplug:Backend", plugin_root=plugin_path)
    assert done.returncode == 4 and "failed to load brokenplug:Backend" in done.stderr
