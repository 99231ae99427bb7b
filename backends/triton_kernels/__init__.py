"""Hand-written Triton kernels, one family per file. Each file reads top to bottom:
the kernel (constexpr meta-parameters in UPPER case, one argument per line with a
comment), then the launcher that takes torch tensors and returns torch tensors.

On a machine without CUDA, ``backends.triton_backend`` sets TRITON_INTERPRET=1
before these modules load, so the same kernels run on the CPU interpreter.
"""

BLOCK = 1024  # elements per program for the 1-D kernels
