"""The promotion gate's fixed evaluation set: drawn like the training data, and blind to hold-out letters."""

from training.config import PromoteConfig
from training.evaluate import fixed_eval_set
from training.synth import generate_episodes


def test_fixed_eval_set_synthetic_part_follows_the_training_prior_by_default():
    eps = fixed_eval_set(5, seed=11, include_test_letters=False)
    assert [e.text for e in eps] == [e.text for e in generate_episodes(5, seed=11, forms="test", use_hes=False)]


def test_fixed_eval_set_leaves_the_hold_out_letters_out():
    ids_with = {e.id for e in fixed_eval_set(1, seed=11, exclude_letters=())}
    ids_without = {e.id for e in fixed_eval_set(1, seed=11)}
    left_out = ids_with - ids_without
    assert left_out, "own_letters_b.jsonl should have contributed episodes when not excluded"
    assert ids_without < ids_with


def test_promote_config_excludes_set_b_and_the_hes_prior_by_default():
    cfg = PromoteConfig()
    assert cfg.hes_prior is False
    assert "own_letters_b.jsonl" in cfg.exclude_letters
