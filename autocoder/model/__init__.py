"""Learned coders: the label-attention transformer (classifier.py), the TF-IDF baseline (baseline.py),
and the pieces D2 builds on them (fusion, calibration, bundle).

Deliberately empty of imports: `import autocoder.model` must not pull torch or scikit-learn; import the
submodule you need (``from autocoder.model.classifier import LabelAttentionClassifier``).
"""

from __future__ import annotations

__all__: list[str] = []
