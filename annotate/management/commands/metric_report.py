"""manage.py metric_report --project SLUG [--version N] [--json] [--resamples 1000] [--seed 0]
[--top 10]"""

import json

from django.core.management.base import BaseCommand, CommandError

from annotate.core.models import Project
from annotate.goldsets.models import GoldSet
from annotate.review.judgements import metric_judgement_report
from inference.emocue360 import MODALITIES
from inference.metaeval import BOOTSTRAP_RESAMPLES, BOOTSTRAP_SEED


def _number(value, digits: int = 3) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def report_lines(report: dict, *, title: str) -> list[str]:
    """The report as text: the pairs, one row per modality, and the disagreements."""
    counts = {label: 0 for label in ("same", "close", "different")}
    for by_label in report["counts"].values():
        for label, n in by_label.items():
            counts[label] += n
    left = report["left_out"]
    boot = report["bootstrap"]
    threshold = report["threshold"]
    lines = [
        f"EmoCue-360 judged by reviewers: {title}",
        f"similarity model {report['model_id']}; the project's threshold (align_similarity) "
        f"{threshold:.2f}; best threshold by Youden's J (TPR - FPR)",
        f"{report['n_pairs']} judged pairs: {counts['same']} same, {counts['close']} close, "
        f"{counts['different']} different; left out: {left.get('identical_text', 0)} of "
        f"identical wording, {left.get('decoys', 0)} with a decoy, "
        f"{left.get('auto_promoted_decisions', 0)} auto-promoted decision(s)",
        f"AUC interval: {boot['confidence']:.0%} percentile bootstrap over clips, "
        f"{boot['n_resamples']} resamples, seed {boot['seed']}",
        "",
    ]
    head = [
        "modality",
        "same",
        "close",
        "diff",
        "AUC",
        "interval",
        "best",
        "J",
        f"J@{threshold:.2f}",
        f"agree@{threshold:.2f}",
    ]
    rows = [head]
    for modality in (*MODALITIES, "overall"):
        entry = report["modalities"][modality]
        n = entry["counts"]
        ci = entry["auc_ci"]
        best, at = entry["best"] or {}, entry["at_threshold"] or {}
        rows.append(
            [
                modality,
                str(n["same"]),
                str(n["close"]),
                str(n["different"]),
                _number(entry["auc"]),
                f"{ci[0]:.3f}-{ci[1]:.3f}" if ci else "-",
                _number(best.get("threshold"), 2),
                _number(best.get("j"), 2),
                _number(at.get("j"), 2),
                _number(at.get("agreement"), 2),
            ]
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(head))]
    for row in rows:
        lines.append(
            "  ".join(
                cell.ljust(w) if i == 0 else cell.rjust(w)
                for i, (cell, w) in enumerate(zip(row, widths, strict=True))
            ).rstrip()
        )
    why = [
        f"{m}: {report['modalities'][m]['why_none']}"
        for m in (*MODALITIES, "overall")
        if report["modalities"][m]["why_none"]
    ]
    if why:
        lines += ["", "No AUC for " + "; ".join(why) + "."]
    lines += ["", "Where the metric and the people disagree most (at the project's threshold):"]
    if not report["disagreements"]:
        lines.append("  none: every pair is on the side of the threshold its judgement says")
    for pair in report["disagreements"]:
        side = "below" if pair["label"] != "different" else "at or above"
        lines.append(
            f"  {pair['clip']} {pair['modality']} {pair['label']} ({pair['rule']}): similarity "
            f"{pair['similarity']:.2f}, {pair['gap']:.2f} {side} {threshold:.2f}: "
            f"{pair['a']['text']!r} / {pair['b']['text']!r}"
        )
    return lines


class Command(BaseCommand):
    help = (
        "How well EmoCue-360's similarity separates cue pairs that reviewers and annotators "
        "judged the same, close or different (ROC AUC per modality with a bootstrap interval, "
        "the threshold that best matches them beside the project's, the worst disagreements). "
        "Loads the sentence model."
    )

    def create_parser(self, prog_name, subcommand, **kwargs):
        # --version is the gold set version here, not the program's.
        return super().create_parser(prog_name, subcommand, conflict_handler="resolve", **kwargs)

    def add_arguments(self, parser):
        parser.add_argument("--project", required=True, metavar="SLUG")
        parser.add_argument(
            "--version",
            type=int,
            default=None,
            help="Use the pairs stored with this frozen gold set version (default: the "
            "working gold's final records, read now).",
        )
        parser.add_argument("--json", action="store_true", help="Print the report as JSON.")
        parser.add_argument("--resamples", type=int, default=BOOTSTRAP_RESAMPLES)
        parser.add_argument("--seed", type=int, default=BOOTSTRAP_SEED)
        parser.add_argument(
            "--top", type=int, default=10, help="How many disagreeing pairs to list."
        )

    def handle(self, *args, project: str, version: int | None, **options):
        target = Project.objects.filter(slug=project).first()
        if target is None:
            raise CommandError(f"No project with the slug {project!r}.")
        if options["resamples"] < 1:
            raise CommandError("--resamples must be at least 1.")
        if options["top"] < 0:
            raise CommandError("--top must not be negative.")
        judgements, source = None, "working gold (final gold records, read now)"
        if version is not None:
            gold_set = GoldSet.objects.filter(project=target, version=version).first()
            if gold_set is None:
                versions = list(
                    GoldSet.objects.filter(project=target)
                    .order_by("version")
                    .values_list("version", flat=True)
                )
                raise CommandError(
                    f"{target.slug} has no gold set version {version} (frozen: "
                    f"{', '.join(map(str, versions)) or 'none'})."
                )
            if not gold_set.judgements:
                raise CommandError(
                    f"Version {version} of {target.slug} was frozen before judged pairs were "
                    "stored with a version; leave out --version to read the working gold."
                )
            judgements, source = gold_set.judgements, f"gold set version {version}"
        report = metric_judgement_report(
            project=target,
            judgements=judgements,
            n_resamples=options["resamples"],
            seed=options["seed"],
            n_disagreements=options["top"],
        )
        if options["json"]:
            out = {"project": target.slug, "source": source} | report
            self.stdout.write(json.dumps(out, indent=2, sort_keys=True))
            return
        for line in report_lines(report, title=f"{target.name}, {source}"):
            self.stdout.write(line)
