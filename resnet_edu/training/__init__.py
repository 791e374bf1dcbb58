"""Training: one frozen config per run, the lockstep trainer and what it emits.

config (RunConfig, the presets) -> trainer (one loop, several models on the same batches)
-> events (Metrics, Status); probes, checkpoints, the device and the CPU/GPU fast path
serve the trainer; notebook.py wraps it with a progress bar for the lessons.
May import models/ and data/, never runs/, analysis/, viz/, perf/ or the app.
"""
