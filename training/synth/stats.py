"""Corpus statistics for `autocoder synth --stats` (counts only; no letter text is printed)."""

from __future__ import annotations

from collections import Counter

from autocoder.schemas import Episode


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

    return {
        "n_episodes": len(episodes),
        "distinct_icd10": len(dx), "distinct_opcs4": len(px), "distinct_primary_dx": len(primary),
        "icd10_codes_assigned": sum(dx.values()), "opcs4_codes_assigned": sum(px.values()),
        "diagnoses_per_episode": dist(n_dx), "procedures_per_episode": dist(n_px),
        "episodes_with_procedure": sum(1 for n in n_px if n),
        "words": dist(words), "styles": dict(styles.most_common()), "traps": dict(traps.most_common()),
        "entity_assertions": dict(assertions.most_common()), "sex": dict(sexes), "admission_method": dict(adm),
        "top_icd10": dx.most_common(top), "top_primary": primary.most_common(top), "top_opcs4": px.most_common(top),
    }
