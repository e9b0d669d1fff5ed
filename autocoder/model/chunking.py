"""Split a long token sequence into overlapping fixed-size windows.

Discharge letters are often longer than the encoder's window. PLM-ICD's answer, used here, is to encode
overlapping windows separately and let label-wise attention pool over the tokens of all of them. This
module is pure Python (no torch) so that it is cheap to test and reuse.
"""

from __future__ import annotations


def chunk_token_ids(
    ids: list[int], content_len: int, overlap: int = 0, max_chunks: int | None = None
) -> list[list[int]]:
    """Cut ``ids`` into windows of at most ``content_len`` tokens, consecutive windows sharing ``overlap``.

    Why overlap: a phrase cut by a window boundary ("infective exacerbation | of COPD") is then seen whole
    in the next window. Every token is covered; the last window ends at the last token. ``max_chunks``
    keeps the first windows only (bounded cost per letter: the coded diagnoses of a discharge summary
    are stated near its top). An empty input gives one empty window so every text has a representation.
    """
    if content_len < 1:
        raise ValueError(f"content_len must be >= 1, got {content_len}")
    if overlap < 0 or overlap >= content_len:
        raise ValueError(f"overlap must be in [0, {content_len - 1}] (content_len={content_len}), got {overlap}")
    if max_chunks is not None and max_chunks < 1:
        raise ValueError(f"max_chunks must be >= 1 or None, got {max_chunks}")
    if not ids:
        return [[]]
    step = content_len - overlap
    chunks: list[list[int]] = []
    start = 0
    while True:
        chunks.append(list(ids[start : start + content_len]))
        if start + content_len >= len(ids):
            break
        start += step
        if max_chunks is not None and len(chunks) >= max_chunks:
            break
    return chunks
