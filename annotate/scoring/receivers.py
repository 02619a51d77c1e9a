"""Scoring's answers to what the capabilities below it announce (annotate/core/signals.py)."""

from annotate.scoring.leaderboard import gold_set_scores_queue, run_scores_invalidate


def on_scores_stale(
    sender, *, project, run=None, annotator=None, gold_changed=False, **_kwargs
) -> None:
    run_scores_invalidate(project=project, run=run, annotator=annotator, gold_changed=gold_changed)


def on_goldset_frozen(sender, *, gold_set, **_kwargs) -> None:
    gold_set_scores_queue(gold_set=gold_set)
