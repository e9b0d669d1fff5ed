"""The audit metrics of ../shared/FORMATS.md, computed exactly as a coding audit counts errors.

Pure functions over gold Episodes and CodingResults so that `evaluate`, training, the notebook and
benchmarks all report the same numbers. Keys of `compute_metrics` are the FORMATS.md contract."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence

from autocoder.schemas import CodingResult, Episode

METRIC_KEYS = (
    "primary_diagnosis_accuracy", "secondary_diagnosis_accuracy", "primary_procedure_accuracy",
    "secondary_procedure_accuracy", "micro_f1", "micro_precision", "micro_recall", "diagnosis_micro_f1",
    "procedure_micro_f1", "macro_f1", "precision_at_5", "recall_at_10", "exact_match_rate",
    "autonomy_at_95", "n_episodes", "model_version", "seconds", "episodes_per_second",
)

_ICD_RE = re.compile(r"^([A-Z]\d{2})\.?([0-9X]?)([0-9]?)[-DA]?$")
_OPCS_RE = re.compile(r"^([A-Z]\d{2})[.,]?(\d)$")


def canon_icd10(code: str) -> str:
    """Light canonical form for comparison (I10X -> I10, J441 -> J44.1, J96.00 kept)."""
    c = code.strip().upper().replace("†", "").replace("*", "").replace(" ", "")
    m = _ICD_RE.match(c)
    if not m:
        return c
    cat, fourth, fifth = m.groups()
    if not fourth or fourth == "X":
        return cat
    return f"{cat}.{fourth}{fifth}"


def canon_opcs4(code: str) -> str:
    c = code.strip().upper().replace(" ", "")
    m = _OPCS_RE.match(c)
    return f"{m.group(1)}.{m.group(2)}" if m else c


def _f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r else 0.0


def _prf(tp: int, n_pred: int, n_gold: int) -> tuple[float, float, float]:
    p = tp / n_pred if n_pred else (1.0 if n_gold == 0 else 0.0)
    r = tp / n_gold if n_gold else (1.0 if n_pred == 0 else 0.0)
    return p, r, _f1(p, r)


def _secondary_acc(pairs: list[tuple[list[str], list[str]]]) -> float:
    """sum |Sp ∩ Sg| / sum (|Sg| + |Sp \\ Sg|) over secondary code sets; 1.0 when nothing to count."""
    num = den = 0
    for pred, gold in pairs:
        sp, sg = set(pred[1:]), set(gold[1:])
        num += len(sp & sg)
        den += len(sg) + len(sp - sg)
    return num / den if den else 1.0


def _ranked(result: CodingResult) -> list[str]:
    """Full ranked list (diagnoses and procedures together, best first), namespaced by system."""
    items: list[tuple[float, str]] = []
    if result.ranked_diagnoses is not None or result.ranked_procedures is not None:
        items += [(r.score, "icd10:" + canon_icd10(r.code)) for r in result.ranked_diagnoses or []]
        items += [(r.score, "opcs4:" + canon_opcs4(r.code)) for r in result.ranked_procedures or []]
    else:
        items += [(s.score, "icd10:" + canon_icd10(s.code)) for s in result.diagnoses]
        items += [(s.score, "opcs4:" + canon_opcs4(s.code)) for s in result.procedures]
    items.sort(key=lambda t: -t[0])
    seen: dict[str, None] = {}
    for _, c in items:
        seen.setdefault(c, None)
    return list(seen)


def autonomy_at(confidences: Sequence[float], matched: Sequence[int], gold: Sequence[int],
                spurious: Sequence[int], target: float = 0.95) -> float:
    """Largest share of episodes that, taken by decreasing confidence, keeps audit accuracy >= target."""
    n = len(confidences)
    if n == 0:
        return 0.0
    order = sorted(range(n), key=lambda i: -confidences[i])
    m = d = 0
    best = 0
    for k, i in enumerate(order, start=1):
        m += matched[i]
        d += gold[i] + spurious[i]
        acc = m / d if d else 1.0
        if acc >= target:
            best = k
    return best / n


def compute_metrics(gold: Sequence[Episode], results: Sequence[CodingResult], seconds: float | None = None,
                    model_version: str | None = None) -> dict:
    """FORMATS.md audit metrics. Results are matched to gold by episode id; gold episodes without a
    result count as empty suggestions (an omission is an error, never silently skipped)."""
    by_id = {r.id: r for r in results}
    dx_pairs: list[tuple[list[str], list[str]]] = []
    px_pairs: list[tuple[list[str], list[str]]] = []
    prim_dx = prim_px = exact = 0
    n_dx = n_px = 0
    tp = {"icd10": 0, "opcs4": 0}
    npred = {"icd10": 0, "opcs4": 0}
    ngold = {"icd10": 0, "opcs4": 0}
    per_code = defaultdict(lambda: [0, 0, 0])  # tp, pred, gold
    p5 = r10 = 0.0
    n_rank = 0
    conf, matched, gcount, spur = [], [], [], []
    episodes = [e for e in gold if e.diagnoses is not None or e.procedures is not None]
    for ep in episodes:
        res = by_id.get(ep.id) or CodingResult(id=ep.id, model_version=model_version or "none")
        g_dx = [canon_icd10(c) for c in ep.diagnoses or []]
        g_px = [canon_opcs4(c) for c in ep.procedures or []]
        p_dx = [canon_icd10(c) for c in res.diagnosis_codes()]
        p_px = [canon_opcs4(c) for c in res.procedure_codes()]
        if ep.diagnoses is not None:
            n_dx += 1
            prim_dx += int(bool(g_dx) and bool(p_dx) and p_dx[0] == g_dx[0] or (not g_dx and not p_dx))
            dx_pairs.append((p_dx, g_dx))
        if ep.procedures is not None:
            n_px += 1
            prim_px += int((p_px[:1] == g_px[:1]))
            px_pairs.append((p_px, g_px))
        exact += int(p_dx == g_dx and p_px == g_px)
        m_ep = g_ep = s_ep = 0
        for system, p, g in (("icd10", p_dx, g_dx), ("opcs4", p_px, g_px)):
            sp, sg = set(p), set(g)
            tp[system] += len(sp & sg)
            npred[system] += len(sp)
            ngold[system] += len(sg)
            for c in sp | sg:
                key = f"{system}:{c}"
                per_code[key][0] += int(c in sp and c in sg)
                per_code[key][1] += int(c in sp)
                per_code[key][2] += int(c in sg)
            m_ep += len(sp & sg)
            g_ep += len(sg)
            s_ep += len(sp - sg)
        conf.append(res.confidence)
        matched.append(m_ep)
        gcount.append(g_ep)
        spur.append(s_ep)
        gold_set = {f"icd10:{c}" for c in g_dx} | {f"opcs4:{c}" for c in g_px}
        if gold_set:
            ranked = _ranked(res)
            p5 += len(set(ranked[:5]) & gold_set) / 5
            r10 += len(set(ranked[:10]) & gold_set) / len(gold_set)
            n_rank += 1
    n = len(episodes)
    all_tp, all_pred, all_gold = sum(tp.values()), sum(npred.values()), sum(ngold.values())
    mp, mr, mf = _prf(all_tp, all_pred, all_gold)
    macro = [_prf(t, p, g)[2] for t, p, g in per_code.values() if g > 0]
    secs = float(seconds) if seconds is not None else 0.0
    mv = model_version or (results[0].model_version if results else "none")
    return {
        "primary_diagnosis_accuracy": prim_dx / n_dx if n_dx else 0.0,
        "secondary_diagnosis_accuracy": _secondary_acc(dx_pairs),
        "primary_procedure_accuracy": prim_px / n_px if n_px else 0.0,
        "secondary_procedure_accuracy": _secondary_acc(px_pairs),
        "micro_f1": mf,
        "micro_precision": mp,
        "micro_recall": mr,
        "diagnosis_micro_f1": _prf(tp["icd10"], npred["icd10"], ngold["icd10"])[2],
        "procedure_micro_f1": _prf(tp["opcs4"], npred["opcs4"], ngold["opcs4"])[2],
        "macro_f1": sum(macro) / len(macro) if macro else 0.0,
        "precision_at_5": p5 / n_rank if n_rank else 0.0,
        "recall_at_10": r10 / n_rank if n_rank else 0.0,
        "exact_match_rate": exact / n if n else 0.0,
        "autonomy_at_95": autonomy_at(conf, matched, gcount, spur, 0.95),
        "n_episodes": n,
        "model_version": mv,
        "seconds": secs,
        "episodes_per_second": (n / secs) if secs > 0 else 0.0,
    }


def mean_average_precision(ranked: Sequence[Sequence[str]], gold: Sequence[set[str]]) -> float:
    """CodiEsp's MAP: mean over documents (with gold) of the average precision of the ranked list."""
    aps = []
    for r, g in zip(ranked, gold, strict=True):
        if not g:
            continue
        hits = 0
        s = 0.0
        for k, c in enumerate(r, start=1):
            if c in g:
                hits += 1
                s += hits / k
        aps.append(s / len(g))
    return sum(aps) / len(aps) if aps else 0.0
