"""Issue #16, finding 2: formula injection in exported CSV. A reviewer set the labels to
`=1+1` and the description to `=cmd|' /C calc'!A0`; the export's emer.csv wrote them as cells
that start with `=`. Now labels outside the project's vocabulary are refused (unless the
project allows free labels), and every CSV the studio writes makes such cells text."""

import csv
import io
import re
import zipfile

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from annotate.annotation.models import Annotation
from annotate.core.models import AuditEvent
from annotate.review.models import GoldRecord
from annotate.runs.imports import run_import
from annotate.runs.models import Proposal
from inference.manifests import manifest_parse
from tests.annotate.goldsets.test_goldsets import gold_clip
from tests.factories import MembershipFactory, ProjectFactory

pytestmark = pytest.mark.django_db

FORMULA_LABEL = "=1+1"
FORMULA_DESCRIPTION = "=cmd|' /C calc'!A0"


@pytest.fixture
def project(db):
    return ProjectFactory(slug="csv")


@pytest.fixture
def reviewer(project):
    return MembershipFactory(project=project, role="reviewer").user


@pytest.fixture
def manager(project):
    return MembershipFactory(project=project, role="manager").user


def _under_review(project, name: str, **fields) -> GoldRecord:
    """A clip with one submitted annotation (no cues) and its gold record, in review."""
    record = gold_clip(project, name, status=GoldRecord.Status.IN_REVIEW, **fields)
    annotator = MembershipFactory(project=project, role="annotator").user
    Annotation.objects.create(
        clip=record.clip,
        annotator=annotator,
        status=Annotation.Status.SUBMITTED,
        labels=["happy"],
        primary_label="happy",
        description="He smiles.",
        submitted_at=timezone.now(),
    )
    return record


def _set_labels(client, project, version: int):
    """The issue's request: the gold labels and description of clip "a" set by a reviewer."""
    return client.put(
        reverse("api-review-labels", args=[project.slug, "a"]),
        {
            "version": version,
            "labels": [FORMULA_LABEL],
            "primary_label": FORMULA_LABEL,
            "description": FORMULA_DESCRIPTION,
        },
        content_type="application/json",
    )


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def _cells_that_run(rows: list[list[str]]) -> list[str]:
    """Cells a spreadsheet would run as a formula (OWASP; a plain number is not one)."""
    return [
        cell
        for row in rows
        for cell in row
        if cell.startswith(FORMULA_STARTS) and not NUMBER.fullmatch(cell)
    ]


def test_a_label_outside_the_vocabulary_is_refused_naming_it(client, project, reviewer):
    record = _under_review(project, "a")
    client.force_login(reviewer)
    refused = _set_labels(client, project, record.version)
    assert refused.status_code == 400, refused.content
    detail = refused.json()["detail"]
    assert "'=1+1' is not in the project's emotion vocabulary" in detail
    assert "neutral, happy, sad" in detail  # the vocabulary, named
    record.refresh_from_db()
    assert (record.labels, record.primary_label, record.description) == (["happy"], "happy", "")
    assert record.version == 1  # nothing stored


def test_free_labels_is_a_managers_audited_setting(client, project, reviewer, manager):
    client.force_login(reviewer)
    url = reverse("api-project-detail", args=[project.slug])
    body = {"free_labels": True}
    assert client.patch(url, body, content_type="application/json").status_code == 403
    client.force_login(manager)
    assert client.get(url).json()["free_labels"] is False  # the default: not allowed
    changed = client.patch(url, body, content_type="application/json")
    assert changed.status_code == 200 and changed.json()["free_labels"] is True
    event = AuditEvent.objects.get(object_type="project", action="change_settings")
    assert (event.before, event.after) == ({"free_labels": False}, {"free_labels": True})


def test_emer_csv_and_the_audit_csv_write_formula_cells_as_text(
    client, project, reviewer, manager, tmp_path
):
    project.free_labels = True
    project.save(update_fields=["free_labels"])
    record = _under_review(project, "a")
    gold_clip(project, "b", description="-0.5 is a number, - a dash, @home, +1 a vote")
    client.force_login(reviewer)
    saved = _set_labels(client, project, record.version)
    assert saved.status_code == 200, saved.content
    final = client.post(
        reverse("api-review-finalize", args=[project.slug, "a"]),
        {"version": saved.json()["record"]["version"]},
        content_type="application/json",
    )
    assert final.status_code == 200, final.content
    call_command("freeze_goldset", project.slug, stdout=io.StringIO())
    out = tmp_path / "v1.zip"
    call_command(
        "export_goldset",
        project.slug,
        "--version",
        "1",
        "--split",
        "test=1",
        "--out",
        str(out),
        stdout=io.StringIO(),
        stderr=io.StringIO(),
    )
    with zipfile.ZipFile(out) as archive:
        raw = archive.read("test/emer.csv").decode()
        datasheet = archive.read("datasheet.md").decode()
    rows = list(csv.reader(io.StringIO(raw, newline="")))
    by_name = {row[0]: row for row in rows[1:]}
    assert by_name["a"] == ["a", "'" + FORMULA_DESCRIPTION, "['=1+1']", "'" + FORMULA_LABEL]
    assert _cells_that_run(rows) == []
    # How a reader gets the exact text back: said in the datasheet, done by csv_cell_text.
    from inference.csv_cells import csv_cell_text

    assert "Spreadsheet-safe CSV cells" in datasheet and "drop the first character" in datasheet
    assert [csv_cell_text(cell) for cell in by_name["a"]] == [
        "a",
        FORMULA_DESCRIPTION,
        "['=1+1']",
        FORMULA_LABEL,
    ]
    # The studio's own readers of emer.csv take the text back exactly.
    manifest = {row.name: row for row in manifest_parse(raw)}
    assert manifest["a"].subtitle == FORMULA_DESCRIPTION
    assert manifest["b"].subtitle == "-0.5 is a number, - a dash, @home, +1 a vote"
    rows_by_name = {row[0]: row for row in csv.reader(io.StringIO(raw))}
    assert rows_by_name["b"][1] == "'-0.5 is a number, - a dash, @home, +1 a vote"

    # The audit CSV: the labels change is in it, as text.
    client.force_login(manager)
    response = client.get(reverse("project-audit-csv", args=[project.slug]))
    audit = b"".join(response.streaming_content).decode()
    audit_rows = list(csv.reader(io.StringIO(audit, newline="")))
    assert len(audit_rows) > 2 and _cells_that_run(audit_rows) == []


def test_a_run_import_of_an_exported_emer_csv_reads_the_exact_text(project, manager, media_root):
    gold_clip(project, "a")  # a ready clip
    exported = (
        f"name,english,openset,primary\na,'{FORMULA_DESCRIPTION} He smiles.,\"['=1+1']\",'=1+1\n"
    )
    run = run_import(project=project, by=manager, file_name="emer.csv", data=exported.encode())
    proposal = Proposal.objects.get(run=run)
    assert proposal.description == FORMULA_DESCRIPTION + " He smiles."
    assert proposal.emotions == [{"label": FORMULA_LABEL, "score": None}]


@pytest.mark.parametrize(
    ("text", "cell"),
    [
        ("=1+1", "'=1+1"),
        ("+1", "+1"),  # a number stays a number
        ("-0.5", "-0.5"),
        ("-1e-3", "-1e-3"),
        ("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("'=1+1", "''=1+1"),  # already looks neutralised: one more, so that it reads back
        ("'tis", "'tis"),
        ("plain", "plain"),
        ("", ""),
    ],
)
def test_the_cell_rule_and_its_inverse(text, cell):
    from inference.csv_cells import csv_cell, csv_cell_text

    assert csv_cell(text) == cell
    assert csv_cell_text(cell) == text
