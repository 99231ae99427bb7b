"""The notes' claims as reproducible experiments on the training package (``cnnbench experiments``).

One module per experiment (``full_batch``, ``activations``, ``initialisation``, ``batch_norm``,
``learning_rate``, ``search``, ``optimizers``, ``regularisation``, ``augmentation``, ``transfer``),
each an ``Experiment``: ``measure(setting) -> measurements``, a pure ``verdict(summary) -> str``
and ``plot(measurements) -> Figure``. ``common`` holds the setting and what the experiments share,
``verdicts`` the verdict wording and the margin rule, ``probe`` the in-training evaluation;
``registry`` names them, ``runner`` runs them, ``report`` writes experiments.md / .json,
``command`` is the CLI subcommand.
"""
