"""Training a small CNN with any backend's ops: the data, the network assembled from catalog ops,
the optimizers, the training loop, step-by-step parity with the reference, the idiomatic PyTorch
anchor, and the plots."""
