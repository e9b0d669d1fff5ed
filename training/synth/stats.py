"""Corpus statistics for `autocoder synth --stats` (counts only; no letter text is printed)."""

from __future__ import annotations

import re
from collections import Counter

from autocoder.schemas import Episode

_WORD = re.compile(r"[a-z0-9]+(?:['/-][a-z0-9]+)*")
_SENT = re.compile(r"(?<=[.!?])\s+|\n+")


def templatedness(texts: list[str], n: int = 5, sample: int = 2000, token_budget: int = 250_000) -> dict:
    """How templated a corpus reads, on its first `sample` letters (a fixed-size sample, so corpora of
    different sizes compare): `distinct_5gram_ratio` = distinct word 5-grams / all word 5-grams (higher
    = more varied wording); `distinct_5gram_ratio_250k` = the same over the first 250,000 5-grams (a
    fixed amount of text, so corpora with longer letters compare fairly: the ratio falls as text grows);
    `repeated_sentence_share` = share of sentences (>= 4 words, digits masked) that occur in >= 1% of
    the letters (lower = less templated); `distinct_sentence_ratio` = distinct sentences / sentences."""
    texts = texts[:sample]
    budget: set = set()
    used = 0
    for t in texts:
        if used >= token_budget:
            break
        words = _WORD.findall(t.lower())
        for i in range(len(words) - n + 1):
            if used >= token_budget:
                break
            budget.add(tuple(words[i:i + n]))
            used += 1
    grams: Counter = Counter()
    sent_docs: Counter = Counter()
    n_sent = 0
    for t in texts:
        words = _WORD.findall(t.lower())
        grams.update(tuple(words[i:i + n]) for i in range(len(words) - n + 1))
        sents = set()
        for s in _SENT.split(t):
            w = _WORD.findall(re.sub(r"\d+", "0", s.lower()))
            if len(w) >= 4:
                n_sent += 1
                sents.add(" ".join(w))
        sent_docs.update(sents)
    total = sum(grams.values())
    cut = max(2, len(texts) // 100)
    rep = sum(c for s, c in sent_docs.items() if c >= cut)
    return {"letters": len(texts), "distinct_5gram_ratio": round(len(grams) / max(1, total), 4),
            "distinct_5gram_ratio_250k": round(len(budget) / max(1, used), 4) if used >= token_budget else None,
            "repeated_sentence_share": round(rep / max(1, sum(sent_docs.values())), 4),
            "distinct_sentence_ratio": round(len(sent_docs) / max(1, n_sent), 4)}


def corpus_stats(episodes: list[Episode], top: int = 15) -> dict:
    dx, px, primary, styles, traps, assertions = Counter(), Counter(), Counter(), Counter(), Counter(), Counter()
    n_dx, n_px, words = [], [], []
    sexes, adm = Counter(), Counter()
    for ep in episodes:
        dx.update(ep.diagnoses or [])
        px.update(ep.procedures or [])
        if ep.diagnoses:
            primary[ep.diagnoses[0]] += 1
        n_dx.append(len(ep.diagnoses or []))
        n_px.append(len(ep.procedures or []))
        words.append(len(ep.text.split()))
        extra = ep.model_extra or {}
        styles[extra.get("style", "?")] += 1
        traps.update(extra.get("traps") or {})
        assertions.update(s.assertion for s in (ep.entities or []))
        sexes[ep.sex or "?"] += 1
        adm[ep.admission_method or "?"] += 1

    def dist(xs: list[int]) -> dict:
        if not xs:
            return {}
        s = sorted(xs)
        return {"mean": round(sum(s) / len(s), 2), "min": s[0], "median": s[len(s) // 2], "p90": s[int(len(s) * 0.9)],
                "max": s[-1]}

    def _pct(xs: list[int]) -> dict:
        s = sorted(xs)
        return {f"p{q}": s[min(len(s) - 1, int(len(s) * q / 100))] for q in (10, 50, 90)} if s else {}

    return {
        "n_episodes": len(episodes),
        "distinct_icd10": len(dx), "distinct_opcs4": len(px), "distinct_primary_dx": len(primary),
        "icd10_codes_assigned": sum(dx.values()), "opcs4_codes_assigned": sum(px.values()),
        "diagnoses_per_episode": dist(n_dx), "procedures_per_episode": dist(n_px),
        "episodes_with_procedure": sum(1 for n in n_px if n),
        "words": dist(words), "word_pct": _pct(words), "templatedness": templatedness([e.text for e in episodes]), "styles": dict(styles.most_common()), "traps": dict(traps.most_common()),
        "entity_assertions": dict(assertions.most_common()), "sex": dict(sexes), "admission_method": dict(adm),
        "top_icd10": dx.most_common(top), "top_primary": primary.most_common(top), "top_opcs4": px.most_common(top),
    }
