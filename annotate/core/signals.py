"""What a capability announces to the capabilities above it, which it must not import.

The dependency order runs core → clips → runs → annotation → review → goldsets → scoring: a
capability imports only those before it. When a lower one changes something that a higher
one keeps in step (the leaderboard's scores, assignment slots, auto-promotion), it sends one
of these signals; the higher capability's `receivers.py` answers it by calling its own
service, and `annotate/apps.py` connects them. Receivers run inside the sender's
transaction, as a direct call would; whatever they queue waits for the commit.
"""

from django.dispatch import Signal

# Scores a change affects are stale. Keyword arguments as in
# annotate.scoring.leaderboard.run_scores_invalidate: project, run=None, annotator=None,
# gold_changed=False.
scores_stale = Signal()

# A gold set version was frozen: gold_set.
goldset_frozen = Signal()

# An annotation was submitted (inside the submitting transaction): annotation.
annotation_submitted = Signal()

# How many annotators a project wants per clip changed: project.
annotators_per_clip_changed = Signal()

# A member is about to leave a project (inside the removing transaction): project, user, by.
member_leaving = Signal()
