"""Extraction speed after load, on ~400-word letters (prints numbers; never asserted in tests).

    .venv/bin/python bench/extract_speed.py [--ner DIR] [--n 200] [--words 400] [--n-process 1|2]
                                            [--repeat 3] [--splitter rules|pyrush]

Measures the full Extractor that CodingPipeline uses (load_extractor(ner_dir).extract_many: clinical
tokenizer, NER, sentences, sections, terminology matcher, merge, ConText, candidates for every
entity). Letters come from training.synth (seed 7): synthetic letters are joined and cut at a line
end once they reach --words words, so each has --words to about --words + 30 words. Caches are warmed
on 40 *other* letters first, so the timed letters still bring new mentions, as real letters do.
--n-process 2 runs the whole extraction in 2 forked worker processes (extract_many(n_process=2)).

The machine is shared: wall-clock rates depend on the load average, so CPU-time rates (letters per
CPU-second, summed over this process and its workers) are printed too; on an idle machine
wall-clock letters/s ~= letters per CPU-second x the processes used.

Measured 2026-11-25 (600-letter NER from bench/extract_quality.py --n-train 600 --epochs 4, 100
letters of ~410 words, 30 entities/letter), before -> after the speed work:
    ner+matcher, 1 process   ~29 -> see README/report  letters per CPU-second
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def letters(n: int, words: int, seed: int = 7) -> list[str]:
    """n letters of about `words` words: synthetic letters joined, cut at the first sentence or line
    end after `words` words (so a letter is never cut mid-sentence)."""
    from training.synth import generate_episodes

    out: list[str] = []
    buf: list[str] = []
    for ep in generate_episodes(n * 8, seed=seed):
        buf.extend(re.findall(r"\S+\s*", ep.text + "\n\n"))
        while len(buf) >= words:
            end = next((i + 1 for i in range(words - 1, len(buf)) if "\n" in buf[i] or buf[i].rstrip()[-1:] in ".?!"),
                       None)
            if end is None:
                break
            out.append("".join(buf[:end]).strip())
            buf = buf[end:]
            if len(out) == n:
                return out
    return out


def cpu_seconds(pids: list[int]) -> float:
    """CPU seconds (user + system) used so far by these processes (Linux /proc; 0 elsewhere)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
        except (OSError, IndexError, ValueError):
            pass
    return total


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ner", type=Path, default=None, help="trained NER directory (default: matcher only)")
    ap.add_argument("--n", type=int, default=200, help="letters timed")
    ap.add_argument("--words", type=int, default=400)
    ap.add_argument("--splitter", choices=["rules", "pyrush"], default="rules")
    ap.add_argument("--n-process", type=int, default=1, help="worker processes for the whole extraction")
    ap.add_argument("--batch-size", type=int, default=16)
    ap.add_argument("--repeat", type=int, default=1, help="timed runs, each on --n other letters (the best "
                    "run is the one least disturbed by other load)")
    args = ap.parse_args()

    runs = letters(args.n * max(1, args.repeat), args.words)
    runs = [runs[i * args.n:(i + 1) * args.n] for i in range(max(1, args.repeat))]
    texts = runs[0]
    warm = letters(40, args.words, seed=8)  # different letters: caches warm as in a long batch, not on these
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

    load0 = os.getloadavg()[0]
    t0 = time.perf_counter()
    ex = load_extractor(args.ner, cfg_path)
    load_s = time.perf_counter() - t0
    ex.extract_many(warm, batch_size=args.batch_size, n_process=args.n_process)  # also starts the workers
    pids = [os.getpid(), *ex.worker_pids()]
    walls, cpus, n_ents = [], [], []
    for run in runs:   # different letters each time: every run meets new mentions
        t0, c0 = time.perf_counter(), cpu_seconds(pids)
        res = ex.extract_many(run, batch_size=args.batch_size, n_process=args.n_process)
        walls.append(time.perf_counter() - t0)
        cpus.append(cpu_seconds(pids) - c0)
        n_ents.append(sum(map(len, res)))
    one = texts[:50]
    t0, c0 = time.perf_counter(), time.process_time()
    for t in one:
        ex.extract(t)
    one_s, one_cpu = (time.perf_counter() - t0) / len(one), (time.process_time() - c0) / len(one)
    ex.close()
    best = min(range(len(walls)), key=walls.__getitem__)
    n, n_words = args.n, sum(len(t.split()) for t in runs[best])
    print(f"mode                 {ex.mode} (splitter {args.splitter}, n_process {args.n_process}, "
          f"batch {args.batch_size})")
    print(f"letters              {len(runs)} run(s) x {n} (mean {n_words / n:.0f} words), "
          f"{n_ents[best] / n:.1f} entities/letter")
    print(f"load seconds         {load_s:.1f}")
    print(f"extract_many         {n / walls[best]:.1f} letters/s wall (best run; median "
          f"{n / statistics.median(walls):.1f}), {n_words / walls[best]:.0f} words/s; "
          f"{n / cpus[best]:.1f} letters per CPU-second (all processes; median "
          f"{n / statistics.median(cpus):.1f})")
    print(f"extract (one by one) {1 / one_s:.1f} letters/s wall; {1 / one_cpu:.1f} letters per CPU-second "
          "(repeats timed letters: warm caches)")
    print(f"cpus {os.cpu_count()}, load average {load0:.2f} before, {os.getloadavg()[0]:.2f} after")


if __name__ == "__main__":
    main()
