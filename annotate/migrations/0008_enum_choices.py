# The enum-like fields get their TextChoices (choices only: no column or data changes).

from django.db import migrations, models

KINDS = [
    ("observation", "Observation"),
    ("subtitle", "Subtitle"),
    ("inference", "Inference"),
    ("unobservable", "Unobservable"),
]


class Migration(migrations.Migration):
    dependencies = [
        ("annotate", "0007_gold_sets_scores_exports"),
    ]

    operations = [
        migrations.AlterField(
            model_name="annotationevent",
            name="action",
            field=models.CharField(
                choices=[
                    ("add", "Added a cue"),
                    ("edit", "Edited a cue's text"),
                    ("retime", "Moved a cue in time"),
                    ("accept", "Accepted a proposed cue"),
                    ("reject", "Rejected a proposed cue"),
                    ("delete", "Deleted a cue"),
                ],
                max_length=16,
            ),
        ),
        migrations.AlterField(
            model_name="cue",
            name="kind",
            field=models.CharField(
                choices=KINDS,
                default="observation",
                help_text="observation, subtitle, inference or unobservable",
                max_length=16,
            ),
        ),
        migrations.AlterField(
            model_name="goldcue",
            name="kind",
            field=models.CharField(
                choices=KINDS,
                default="observation",
                help_text="As on cues: observation, subtitle, inference or unobservable",
                max_length=16,
            ),
        ),
        migrations.AlterField(
            model_name="modelrun",
            name="source",
            field=models.CharField(
                choices=[
                    ("proposer", "Run here by a proposer"),
                    ("import", "A model's outputs uploaded as a file"),
                ],
                default="proposer",
                help_text="proposer (run here) or import (a model's outputs uploaded as a file)",
                max_length=16,
            ),
        ),
        migrations.AlterField(
            model_name="scorejob",
            name="mode",
            field=models.CharField(
                choices=[
                    ("strict", "Strict"),
                    ("reference", "Reference (the public code, quirks included)"),
                ],
                default="strict",
                max_length=16,
            ),
        ),
    ]
