"""`autocoder synth`: write a synthetic discharge-summary corpus (episodes with gold codes and spans)."""

from __future__ import annotations

import json
from pathlib import Path

import typer


def synth(
    n: int = typer.Option(1000, "--n", min=1, help="Number of episodes."),
    seed: int = typer.Option(0, "--seed", help="Random seed; the same arguments give the same file."),
    out: Path = typer.Option(..., "--out", help="Output JSONL file (FORMATS.md episode format + entities)."),
    stats: bool = typer.Option(False, "--stats", help="Print corpus statistics (JSON) to stdout: code counts, distinct codes, codes per episode, words, styles, traps."),
    forms: str = typer.Option("all", "--forms", help="Surface forms: all | train (held-out wordings never used) | "
                              "test (prefers held-out wordings)."),
    holdout: float = typer.Option(0.3, "--holdout", min=0.0, max=1.0,
                                  help="Share of each concept's alternative wordings held out for the test split."),
    form_split_seed: int = typer.Option(0, "--form-split-seed", help="Seed of the wording split (keep fixed across train/test)."),
    uncertain_gold: str = typer.Option("main_only", "--uncertain-gold",
                                       help="Gold for ?/query/possible/suspected: main_only (coded only as main "
                                            "condition), never, always."),
    no_hes: bool = typer.Option(False, "--no-hes", help="Ignore the shared HES usage prior; use the committed weights."),
    under_policy: bool = typer.Option(False, "--under-policy",
                                      help="Recode the gold under the local coding policy (configs/coding_policy.yaml), "
                                           "as training does: the test split then scores what the pipeline may suggest."),
) -> None:
    """Generate synthetic NHS discharge summaries with gold ICD-10/OPCS-4 codes and entity spans."""
    from autocoder.io import write_jsonl
    from training.synth import generate_episodes
    from training.synth.stats import corpus_stats

    if forms not in ("all", "train", "test"):
        raise typer.BadParameter(f"expected all, train or test, received {forms!r}", param_hint="--forms")
    if uncertain_gold not in ("main_only", "never", "always"):
        raise typer.BadParameter(f"expected main_only, never or always, received {uncertain_gold!r}",
                                 param_hint="--uncertain-gold")
    eps = generate_episodes(n, seed=seed, forms=forms, form_split_seed=form_split_seed, holdout_fraction=holdout,
                            uncertain_gold=uncertain_gold, use_hes=not no_hes)
    if under_policy:
        from autocoder.model.policy import recode_under_policy

        eps = recode_under_policy(list(eps))
    out.parent.mkdir(parents=True, exist_ok=True)
    k = write_jsonl(out, eps)
    typer.echo(f"wrote {k} episodes to {out}", err=True)
    if stats:
        typer.echo(json.dumps(corpus_stats(eps), indent=1))


def register(app: typer.Typer) -> None:
    app.command("synth")(synth)
