"""Runs on disk and in the background: the run store, the app's job runner, ETA and exports.

May import training/, models/ and data/; never analysis/, viz/, perf/ or the app.
"""
