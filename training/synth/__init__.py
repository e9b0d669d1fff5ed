"""Synthetic NHS discharge-summary corpus with gold ICD-10 / OPCS-4 codes and entity spans.

`generate_episodes(n, seed, forms=..., form_split_seed=..., holdout_fraction=...)` is the public entry
point (see docs/INTERFACES.md); training/synth/README.md documents the gold conventions."""

from .generator import STYLES, UNCERTAIN_RULES, generate_episodes
from .lexicon import load_lexicon

__all__ = ["STYLES", "UNCERTAIN_RULES", "generate_episodes", "load_lexicon"]
