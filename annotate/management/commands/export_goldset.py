"""manage.py export_goldset PROJECT_SLUG --version V --split train=0.8,val=0.1,test=0.1
[--seed 0] [--out path.zip] [--with-media]"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from annotate.core.models import Project
from annotate.goldsets import exports as export_services
from annotate.goldsets import selectors


def report_table(report: dict) -> list[str]:
    """split_report's counts per label per split as aligned text lines."""
    head, rows = selectors.export_report_rows(report)
    cells = [head, *([str(cell) for cell in row] for row in rows)]
    widths = [max(len(row[i]) for row in cells) for i in range(len(head))]

    def line(row: list[str]) -> str:
        return "  ".join(
            cell.ljust(w) if i == 0 else cell.rjust(w)
            for i, (cell, w) in enumerate(zip(row, widths, strict=True))
        ).rstrip()

    return [line(cells[0]), "  ".join("-" * w for w in widths), *(line(r) for r in cells[1:])]


class Command(BaseCommand):
    help = (
        "Export a frozen gold set version with a split as one deterministic zip (the same "
        "version, split and seed give the same bytes). Runs here; no worker needed."
    )

    def create_parser(self, prog_name, subcommand, **kwargs):
        # --version is the gold set version here, not the program's.
        return super().create_parser(prog_name, subcommand, conflict_handler="resolve", **kwargs)

    def add_arguments(self, parser):
        parser.add_argument("project", metavar="PROJECT_SLUG")
        parser.add_argument(
            "--version", type=int, required=True, help="The frozen version to export."
        )
        parser.add_argument(
            "--split", required=True, help="Split shares, e.g. train=0.8,val=0.1,test=0.1."
        )
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument(
            "--with-media",
            action="store_true",
            help="Put each clip's proxy video in the zip at media/<name>.mp4, where its ELAN "
            "file points (the zip is then about as large as the videos).",
        )
        parser.add_argument(
            "--out",
            default=None,
            help="The zip to write (default: <slug>-gold-v<V>-seed<S>.zip here).",
        )

    def handle(
        self,
        *args,
        project: str,
        version: int,
        split: str,
        seed: int,
        out: str | None,
        with_media: bool,
        **options,
    ):
        target = Project.objects.filter(slug=project).first()
        if target is None:
            raise CommandError(f"No project with the slug {project!r}.")
        gold_set = selectors.goldset_get(project=target, version=version)
        if gold_set is None:
            known = sorted(selectors.goldset_list(project=target).values_list("version", flat=True))
            listed = ", ".join(map(str, known)) or "none (run freeze_goldset first)"
            raise CommandError(
                f"{target.name} has no gold set version {version}; frozen versions: {listed}."
            )
        try:
            ratios = export_services.export_ratios_parse(text=split)
        except export_services.ExportRejected as error:
            raise CommandError(error.message) from error
        path = Path(out or f"{target.slug}-gold-v{version}-seed{seed}.zip")
        if path.is_dir():
            raise CommandError(f"{path} is a folder; give the zip's file name with --out.")
        if not path.parent.is_dir():
            raise CommandError(f"The folder {path.parent} does not exist.")
        bar = tqdm(
            unit="file",
            disable=options["verbosity"] < 1,
            file=self.stderr._out,
            desc=f"{target.slug} v{version}",
        )

        def progress(done: int, total: int) -> None:
            bar.total = total
            bar.n = done
            bar.refresh()

        try:
            manifest, report = export_services.goldset_zip_write(
                gold_set=gold_set,
                ratios=ratios,
                seed=seed,
                out=path,
                progress=progress,
                with_media=with_media,
            )
        except export_services.ExportRejected as error:
            raise CommandError(error.message) from error
        finally:
            bar.close()
        for row in report_table(report):
            self.stdout.write(row)
        sha256 = export_services.file_sha256(path)[0]
        self.stdout.write(f"sha256 {sha256}  {path}")
        self.stdout.write(
            self.style.SUCCESS(
                f"Exported {target.slug} gold v{version} "
                f"({report.get('total', 0)} clips, seed {seed})."
            )
        )
