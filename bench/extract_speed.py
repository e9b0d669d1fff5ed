"""Extraction speed after load, on ~400-word letters (prints numbers; never asserted in tests).

    .venv/bin/python bench/extract_speed.py [--ner DIR] [--n 200] [--words 400] [--splitter rules|pyrush]

Letters come from training.synth (seed 7); short ones are joined with the next so each has about
--words words. Reports load time, episodes/s and words/s for extract_many (batch 32) and extract().
The machine is shared: wall-clock rates depend on the load average, so CPU-time rates (episodes per
CPU-second of this process, which uses one core for spaCy's CPU ops here) are printed as well."""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def letters(n: int, words: int, seed: int = 7) -> list[str]:
    from training.synth import generate_episodes

    out: list[str] = []
    pool = [e.text for e in generate_episodes(n * 6, seed=seed)]
    buf = ""
    for t in pool:
        buf = f"{buf}\n\n{t}" if buf else t
        if len(buf.split()) >= words:
            out.append(" ".join(buf.split(" ")[: int(words * 1.15)]) if len(buf.split()) > words * 1.5 else buf)
            buf = ""
        if len(out) == n:
            break
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ner", type=Path, default=None)
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--words", type=int, default=400)
    ap.add_argument("--splitter", choices=["rules", "pyrush"], default="rules")
    ap.add_argument("--n-process", type=int, default=1, help="worker processes for tokenizer + NER")
    args = ap.parse_args()

    texts = letters(args.n, args.words)
    warm = letters(40, args.words, seed=8)  # different letters: caches warm as in a long batch, not on these
    n_words = sum(len(t.split()) for t in texts)
    cfg_path = None
    if args.splitter != "rules":
        import tempfile

        import yaml

        from autocoder.extract.config import DEFAULT_CONFIG

        raw = yaml.safe_load(DEFAULT_CONFIG.read_text())
        raw.setdefault("sentences", {})["splitter"] = args.splitter
        tmp = Path(tempfile.mkdtemp()) / "pipeline.yaml"
        # relative data paths resolve against the config's folder: keep them absolute
        for sec, key in (("tokenizer", "special_cases"), ("sections", "aliases"), ("matcher", "synonyms"),
                         ("matcher", "abbreviations"), ("matcher", "stop_phrases"), ("context", "rules")):
            raw[sec][key] = str(DEFAULT_CONFIG.parent / raw[sec][key])
        tmp.write_text(yaml.safe_dump(raw))
        cfg_path = tmp

    from autocoder.extract import load_extractor

    t0 = time.perf_counter()
    ex = load_extractor(args.ner, cfg_path)
    load_s = time.perf_counter() - t0
    ex.extract_many(warm)  # warm-up on other letters
    t0, c0 = time.perf_counter(), time.process_time()
    res = ex.extract_many(texts, batch_size=16, n_process=args.n_process)
    many_s, many_cpu = time.perf_counter() - t0, time.process_time() - c0
    t0, c0 = time.perf_counter(), time.process_time()
    for t in texts[:50]:
        ex.extract(t)
    one_s = (time.perf_counter() - t0) / min(50, len(texts))
    one_cpu = (time.process_time() - c0) / min(50, len(texts))
    print(f"mode                 {ex.mode} (splitter {args.splitter}, n_process {args.n_process})")
    print(f"letters              {len(texts)} (mean {n_words / len(texts):.0f} words), "
          f"{sum(map(len, res)) / len(texts):.1f} entities/letter")
    print(f"load seconds         {load_s:.1f}")
    print(f"extract_many         {len(texts) / many_s:.1f} episodes/s wall, {n_words / many_s:.0f} words/s; "
          f"{len(texts) / many_cpu:.1f} episodes per CPU-second")
    print(f"extract (one by one) {1 / one_s:.1f} episodes/s wall; {1 / one_cpu:.1f} episodes per CPU-second")
    print(f"cpus {os.cpu_count()}, load average {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
