"""Analyses of trained and freshly initialised nets: what the app's analysis pages and the lessons run.

    lesion       Veit et al. 2016: delete / swap units at test time; path-length distribution
    signal       v2 §2–3: forward and backward norms along depth at initialisation
    attribution  saliency, Integrated Gradients, Grad-CAM (Captum)
    landscape    Li et al. 2018: 1-D interpolation and 2-D filter-normalised loss slices
    span         residual branches skipping 1–4 layers at matched depth
    loading      trained models back from the run store; their test tensors; evaluate
    figures      plotly builders for all of the above (titles and labels are parameters)

Every long function takes `on_progress(done, total)`; models run on whatever device they are on.
"""

from .attribution import AttributionMaps, attributions, compare_attributions
from .landscape import Landscape1D, Landscape2D, interpolate, random_direction, random_line, surface
from .lesion import (LesionStudy, RandomLesion, UnitLesion, deletable, deleted, lesion_random, lesion_single,
                     lesion_swap, path_length_counts, path_length_distribution, swapped)
from .loading import config_to_train, eval_tensors, evaluate, find_trained, has_trained, load_trained, trained_entries
from .signal import SignalProfile, measure_signal, signal_at_init, signal_sweep, sweep_entries
from .span import SpanResult, span_config, span_entries, span_param_counts, summarize_spans

__all__ = [
    "AttributionMaps", "Landscape1D", "Landscape2D", "LesionStudy", "RandomLesion", "SignalProfile",
    "SpanResult", "UnitLesion", "attributions", "compare_attributions", "config_to_train", "deletable", "deleted",
    "eval_tensors", "evaluate", "find_trained", "has_trained", "interpolate", "lesion_random",
    "lesion_single", "lesion_swap", "load_trained", "measure_signal", "path_length_counts",
    "path_length_distribution", "random_direction", "random_line", "signal_at_init", "signal_sweep",
    "span_config", "span_entries", "span_param_counts", "summarize_spans", "surface", "sweep_entries",
    "swapped", "trained_entries",
]
