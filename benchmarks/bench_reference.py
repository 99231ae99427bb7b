"""Speed of the NumPy reference, alone and as a ratio to PyTorch CPU.

``track_ratio_to_torch`` measures both in one process (interleaved, best of
many), so machine load cancels out; the target is a ratio below 3.
"""

from __future__ import annotations

from cnnbench.timing import speed_ratio

from .workloads import WORKLOADS, reference_step, torch_step


class ReferenceTrainingStep:
    params = list(WORKLOADS)
    param_names = ["workload"]

    def setup(self, workload: str) -> None:
        self.step = reference_step(workload)

    def time_forward_backward(self, workload: str) -> None:
        self.step()

    def peakmem_forward_backward(self, workload: str) -> None:
        self.step()


class RatioToTorch:
    params = list(WORKLOADS)
    param_names = ["workload"]
    unit = "x slower than torch"
    timeout = 300

    def setup(self, workload: str) -> None:
        try:
            self.torch = torch_step(workload)
        except ImportError:
            raise NotImplementedError("torch is not installed") from None
        self.reference = reference_step(workload)

    def track_ratio_to_torch(self, workload: str) -> float:
        return speed_ratio(self.reference, self.torch, repeats=25)
