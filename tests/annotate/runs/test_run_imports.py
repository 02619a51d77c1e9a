"""Importing a model's outside results (cue JSON, EMER-style CSV) as a run."""

import hashlib
import json

import pytest

from annotate.clips.models import Clip
from annotate.core import scorer as core_scorer
from annotate.core.embedding_store import DatabaseEmbeddingStore
from annotate.runs.imports import MAX_PROBLEMS, RunImportDuplicate, RunImportRejected, run_import
from annotate.runs.models import Cue, ModelRun, Proposal
from annotate.scoring.models import RunScore
from inference.emocue360 import Scorer, extract_cues
from tests.annotate.scoring.test_leaderboard import WordEncoder, gold_make
from tests.factories import ProjectFactory

pytestmark = pytest.mark.django_db

ANGRY = (
    "In the video, the man frowns and his eyebrows are furrowed. In the audio, his voice is loud "
    'and trembling. He says "I cannot believe you did this." Therefore, his emotional state is '
    "anger and disappointment."
)
HAPPY = (
    "In the video, she smiles broadly and her eyes sparkle. In the audio, her tone is cheerful "
    "and fast. Therefore, her emotional state might be happy."
)


def make_clip(project, name, *, status=Clip.Status.READY, duration_ms=4000, error=""):
    return Clip.objects.create(
        project=project,
        name=name,
        status=status,
        error=error,
        duration_ms=duration_ms,
        source=f"clips/{name}",
        sha256=hashlib.sha256(f"{project.pk}/{name}".encode()).hexdigest(),
    )


@pytest.fixture
def clips(project):
    return [
        make_clip(project, n) for n in ("sample_00000001", "sample_00000002", "sample_00000003")
    ]


def counts() -> tuple[int, int, int]:
    return ModelRun.objects.count(), Proposal.objects.count(), Cue.objects.count()


def rejected(project, data: bytes, *, file_name="out.json", **kwargs) -> RunImportRejected:
    """Import that must fail, storing nothing; returns the error."""
    before = counts()
    with pytest.raises(RunImportRejected) as info:
        run_import(project=project, by=None, file_name=file_name, data=data, **kwargs)
    assert counts() == before
    error = info.value
    assert error.problems and "nothing was stored" in error.message
    assert error.message in str(error) and all(p in str(error) for p in error.problems)
    return error


def cue_rows(proposal):
    return [
        (c.position, c.modality, c.kind, c.text, c.start_ms, c.end_ms)
        for c in Cue.objects.filter(proposal=proposal).order_by("position")
    ]


def test_cue_json_with_strings_and_timed_objects(project, clips, manager):
    data = json.dumps(
        {
            "sample_00000001": {
                "visual": [
                    "He frowns.",
                    {"text": "His brows knit.", "start_ms": 500, "end_ms": 1500},
                ],
                "auditory": [
                    "Subtitle text: I cannot believe it.",
                    {
                        "text": "His voice rises.",
                        "kind": "observation",
                        "start_ms": 1000,
                        "end_ms": 9000,
                    },
                ],
                "emotional": ["He is angry."],
            },
            "sample_00000002": {
                "visual": [],
                "auditory": [],
                "emotional": [{"text": "Calm.", "kind": "inference"}],
            },
        }
    ).encode()
    run = run_import(project=project, by=manager, file_name="xemogpt_epoch3.json", data=data)

    run.refresh_from_db()
    assert (run.proposer, run.source, run.status) == ("import", "import", "finished")
    assert run.version == hashlib.sha256(data).hexdigest()[:12] and run.finished_at is not None
    assert run.label == "xemogpt_epoch3" and run.source_filename == "xemogpt_epoch3.json"
    assert run.created_by == manager
    assert (
        run.parameters["format"] == "emocue-json"
        and run.parameters["sha256"] == hashlib.sha256(data).hexdigest()
    )
    assert (run.parameters["clips"], run.parameters["missing_clips"]) == (2, 1)
    assert run.parameters["missing_clip_names"] == ["sample_00000003"]
    assert run.parameters["cues"] == {"visual": 2, "auditory": 2, "emotional": 2}

    proposals = {p.clip.name: p for p in run.proposals.select_related("clip")}
    assert set(proposals) == {"sample_00000001", "sample_00000002"}
    assert all(p.status == "done" and p.finished_at for p in proposals.values())
    assert cue_rows(proposals["sample_00000001"]) == [
        (0, "visual", "observation", "He frowns.", None, None),
        (1, "visual", "observation", "His brows knit.", 500, 1500),
        (2, "auditory", "subtitle", "I cannot believe it.", None, None),  # the plain files' prefix
        (3, "auditory", "observation", "His voice rises.", 1000, 4000),  # cut at the clip's end
        (4, "emotional", "inference", "He is angry.", None, None),
    ]
    assert cue_rows(proposals["sample_00000002"]) == [
        (0, "emotional", "inference", "Calm.", None, None)
    ]
    cues = Cue.objects.filter(proposal__run=run)
    assert all(
        c.origin == "model" and c.decision == "proposed" and c.annotation_id is None for c in cues
    )
    assert {c.clip_id for c in cues} == {clips[0].pk, clips[1].pk}


def test_emer_csv_descriptions_become_cues_with_openset_labels(project, clips):
    data = (
        "name,english,openset\n"
        f"sample_00000001,\"{ANGRY.replace(chr(34), chr(34) * 2)}\",\"['angry', 'disappointed']\"\n"
        f"sample_00000003,{HAPPY.replace(',', ';')},['happy']\n"
    ).encode()
    run = run_import(project=project, by=None, file_name="emer.csv", data=data, label="XEmoGPT v2")
    assert run.label == "XEmoGPT v2" and run.parameters["format"] == "emer-csv"
    assert run.parameters["extractor"] == "rule" and run.parameters["labels_column"] == "openset"
    assert run.parameters["missing_clips"] == 1

    first = run.proposals.get(clip__name="sample_00000001")
    assert first.description == ANGRY
    assert first.emotions == [
        {"label": "angry", "score": None},
        {"label": "disappointed", "score": None},
    ]
    expected = extract_cues(ANGRY)
    rows = cue_rows(first)
    assert [(m, k, t) for _, m, k, t, _, _ in rows] == [
        (m, c.kind, c.text) for m in ("visual", "auditory", "emotional") for c in expected[m]
    ]
    assert ("auditory", "subtitle", "I cannot believe you did this.") in [
        (m, k, t) for _, m, k, t, _, _ in rows
    ]
    assert ("emotional", "inference", "The emotional state is anger.") in [
        (m, k, t) for _, m, k, t, _, _ in rows
    ]
    third = run.proposals.get(clip__name="sample_00000003")
    assert third.emotions == [{"label": "happy", "score": None}]
    assert Cue.objects.filter(proposal=third, modality="visual").count() == 2


def test_mer_three_column_csv_reads_the_english_description(project, clips):
    data = (f'name,chinese,english\nsample_00000002,他很高兴,"{HAPPY}"\n').encode()
    run = run_import(project=project, by=None, file_name="mer.csv", data=data)
    proposal = run.proposals.get()
    assert proposal.description == HAPPY and proposal.emotions == []
    assert run.parameters["description_column"] == "english"
    assert [t for *_, t, _, _ in cue_rows(proposal)][:2] == [
        "She smiles broadly.",
        "Her eyes sparkle.",
    ]


def test_emer_v1_columns(project, clips):
    data = (
        "names,emotions,subtitles,reasons\n"
        'sample_00000001,angry,"I cannot believe you did this.",'
        f'"{ANGRY.replace(chr(34), chr(34) * 2)}"\n'
        f'sample_00000002,"happy, excited",Great!,"{HAPPY}"\n'
    ).encode("utf-8-sig")  # Excel's BOM
    run = run_import(project=project, by=None, file_name="emer_v1.csv", data=data)
    assert run.parameters["format"] == "emer-v1-csv"
    assert (
        run.parameters["description_column"] == "reasons"
        and run.parameters["labels_column"] == "emotions"
    )
    one = run.proposals.get(clip__name="sample_00000001")
    two = run.proposals.get(clip__name="sample_00000002")
    assert one.description == ANGRY and one.emotions == [{"label": "angry", "score": None}]
    assert [e["label"] for e in two.emotions] == ["happy", "excited"]
    assert Cue.objects.filter(proposal=one, modality="emotional").count() == 2


def test_format_comes_from_the_content_not_the_extension(project, clips):
    as_json = json.dumps({"sample_00000001": {"visual": ["He frowns."]}}).encode()
    run = run_import(project=project, by=None, file_name="results.csv", data=as_json)
    assert run.parameters["format"] == "emocue-json" and run.label == "results"
    as_csv = f'name,english\nsample_00000002,"{HAPPY}"\n'.encode()
    run = run_import(project=project, by=None, file_name="results.json", data=as_csv)
    assert run.parameters["format"] == "emer-csv"
    assert run.proposals.get().clip.name == "sample_00000002"


def test_an_explicit_format_overrides_the_detection(project, clips):
    as_json = json.dumps({"sample_00000001": {"visual": ["He frowns."]}}).encode()
    error = rejected(project, as_json, fmt="csv")
    assert "no 'name'" in error.problems[0]
    assert "Unknown format 'xml'" in rejected(project, as_json, fmt="xml").problems[0]


@pytest.mark.parametrize(
    "data, expected",
    [
        (b"", "The file is empty."),
        (b"  \n\t\n", "The file is empty."),
        (
            "name,english\nsample_00000001,caf\xe9\n".encode("latin-1"),
            "Not UTF-8 text: byte 32 (line 2) cannot be decoded",
        ),
        (b'{"sample_00000001": {"visual": [', "Not valid JSON"),
        (b"[1, 2]", "The JSON is a list"),
        (b"{}", "The JSON object has no clips."),
        (
            b"just some notes\nabout a model\n",
            "no 'name' (or EMER v1 'names') column (found: just some notes)",
        ),
        (b"names,emotions,subtitles\nsample_00000001,happy,hi\n", "looks like EMER v1"),
        ("name,chinese\nsample_00000001,他很高兴\n".encode(), "no 'english' one"),
        (b"name,openset\nsample_00000001,['happy']\n", "No description column"),
        (b"name,english,english\nsample_00000001,a,b\n", "repeats column(s) 'english'"),
        (b"name,english\n", "header but no rows"),
        (b"name,english\x00\nsample_00000001,x\n", "NUL characters"),
    ],
)
def test_unreadable_files_are_refused_with_the_reason(project, clips, data, expected):
    error = rejected(project, data)
    assert any(expected in p for p in error.problems), error.problems


@pytest.mark.parametrize(
    "sample, expected",
    [
        (
            {"visual": "He frowns."},
            "key 'sample_00000001'['visual']: expected a list of cues, got a string",
        ),
        (
            {"visual": [42]},
            "key 'sample_00000001'['visual'][0]: a cue must be a string or an object",
        ),
        ({"visual": ["  "]}, "['visual'][0]: the cue text is empty"),
        ({"visuals": ["x"], "emotion": []}, "unknown modality key(s) 'emotion', 'visuals'"),
        (
            ["He frowns."],
            "key 'sample_00000001': expected an object with visual, auditory, emotional lists",
        ),
        ({"visual": [{"text": "x", "confidence": 0.4}]}, "unknown field(s) 'confidence'"),
        ({"visual": [{"kind": "observation"}]}, "'text' must be a non-empty string, got null"),
        ({"visual": [{"text": "x", "kind": "guess"}]}, "kind 'guess' is not one of observation"),
        ({"visual": [{"text": "x", "start_ms": 10}]}, "give both start_ms and end_ms"),
        (
            {"visual": [{"text": "x", "start_ms": 900, "end_ms": 100}]},
            "end_ms 100 is before start_ms 900",
        ),
        (
            {"visual": [{"text": "x", "start_ms": -5, "end_ms": 100}]},
            "start_ms must be a whole number",
        ),
        (
            {"visual": [{"text": "x", "start_ms": "1s", "end_ms": 100}]},
            "start_ms must be a whole number",
        ),
        (
            {"visual": [{"text": "x", "start_ms": 5000, "end_ms": 6000}]},
            "start_ms 5000 is after the end of clip",
        ),
    ],
)
def test_wrong_shapes_name_the_key(project, clips, sample, expected):
    data = json.dumps({"sample_00000002": {"visual": ["fine"]}, "sample_00000001": sample}).encode()
    error = rejected(project, data)
    assert any(expected in p for p in error.problems), error.problems


def test_unknown_clip_names_are_listed_with_hints(project, clips):
    data = json.dumps(
        {
            "00000001": {"visual": ["a"]},
            "sample_2": {"visual": ["b"]},
            "SAMPLE_00000003": {"visual": ["c"]},
            "nobody": {"visual": ["d"]},
            "sample_00000001": {"visual": ["e"]},
            "sample_00000002 ": {},
        }
    ).encode()
    problems = rejected(project, data).problems
    assert len(problems) == 5
    assert problems[0] == (
        f"key '00000001': no clip named '00000001' in project {project.name!r}. "
        "Did you mean 'sample_00000001'? (The names differ by the 'sample_' "
        "prefix, zero padding, case or spaces.)"
    )
    assert "Did you mean 'sample_00000002'?" in problems[1]
    assert "Did you mean 'sample_00000003'?" in problems[2]
    assert "no clip named 'nobody'" in problems[3] and "Did you mean" not in problems[3]
    assert problems[4].startswith("key 'sample_00000002 ': no clip named 'sample_00000002 '")
    assert "Did you mean 'sample_00000002'?" in problems[4]


def test_unknown_clip_names_in_a_csv_name_the_line(project, clips):
    data = f'name,english\nsample_00000001,"{HAPPY}"\n7,"{HAPPY}"\n'.encode()
    problems = rejected(project, data, file_name="emer.csv").problems
    assert problems == [
        f"line 3 ('7'): no clip named '7' in project {project.name!r}."
    ]  # no hint: no clip 7


def test_duplicate_names(project, clips):
    data = b'{"sample_00000001": {"visual": ["a"]}, "sample_00000001": {"visual": ["b"]}}'
    assert rejected(project, data).problems == [
        "key 'sample_00000001': the clip appears twice in the file."
    ]
    data = (
        f'name,english\nsample_00000001,"{HAPPY}"\nsample_00000002,"{HAPPY}"\nsample_00000001,x y\n'
    )
    problems = rejected(project, data.encode()).problems
    assert problems == ["line 4 ('sample_00000001'): the clip appears twice (first on line 2)."]


def test_clips_that_are_not_ready_are_refused(project, clips):
    make_clip(
        project, "sample_00000009", status=Clip.Status.FAILED, error="ffprobe found no video stream"
    )
    make_clip(project, "sample_00000010", status=Clip.Status.INGESTING)
    data = json.dumps(
        {
            "sample_00000001": {"visual": ["a"]},
            "sample_00000009": {"visual": ["b"]},
            "sample_00000010": {"visual": ["c"]},
        }
    ).encode()
    problems = rejected(project, data).problems
    assert problems[0] == (
        "key 'sample_00000009': clip 'sample_00000009' is failed, not ready: ffprobe "
        "found no video stream. Wait for its ingestion to finish (or retry it) and "
        "import again."
    )
    assert "clip 'sample_00000010' is ingesting, not ready." in problems[1]


def test_csv_row_problems_are_all_reported_together(project, clips):
    data = (
        "name,english,openset\n"
        f"sample_00000001,\"{HAPPY}\",['happy'\n"  # openset not a list
        "sample_00000002,,\n"  # empty description
        ",orphan text,\n"  # empty name
        f'sample_00000003,"{HAPPY}",[],extra\n'  # a field too many
        f'sample_00000099,"{HAPPY}",\n'
    ).encode()  # unknown clip
    problems = rejected(project, data, file_name="emer.csv").problems
    assert problems == [
        "line 2 ('sample_00000001'): openset \"['happy'\" is not a list of strings "
        "such as ['happy', 'excited'].",
        "line 3 ('sample_00000002'): the 'english' description is empty.",
        "line 4: the 'name' cell is empty.",
        "line 5: 4 fields, but the header has 3.",
        f"line 6 ('sample_00000099'): no clip named 'sample_00000099' in project {project.name!r}.",
    ]


def test_many_problems_are_capped_and_counted(project, clips):
    data = json.dumps({f"other_{i}": {"visual": ["x"]} for i in range(40)}).encode()
    error = rejected(project, data)
    assert len(error.problems) == MAX_PROBLEMS + 1
    assert error.problems[-1] == f"… and {40 - MAX_PROBLEMS} more problem(s) not shown."
    assert "(40 problems)" in error.message


def test_a_label_too_long_is_a_problem(project, clips):
    data = json.dumps({"sample_00000001": {"visual": ["x"]}}).encode()
    assert (
        "The label is 201 characters long" in rejected(project, data, label="x" * 201).problems[0]
    )


def test_the_same_file_twice_is_refused_naming_the_earlier_run(project, clips):
    data = json.dumps({"sample_00000001": {"visual": ["He frowns."]}}).encode()
    first = run_import(project=project, by=None, file_name="a.json", data=data)
    before = counts()
    with pytest.raises(RunImportDuplicate) as info:
        run_import(project=project, by=None, file_name="renamed.json", data=data, label="again")
    assert counts() == before and info.value.existing == first
    assert f"as run #{first.pk} 'a'" in info.value.message and "open that run" in info.value.message
    # one more byte is another file; another project may import the same bytes
    assert (
        run_import(project=project, by=None, file_name="a.json", data=data + b"\n").pk != first.pk
    )
    other = ProjectFactory()
    make_clip(other, "sample_00000001")
    assert run_import(project=other, by=None, file_name="a.json", data=data).project == other


def test_an_imported_run_is_scored_like_any_other(
    project, clips, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(
        core_scorer, "_scorer", Scorer(encoder=WordEncoder(), store=DatabaseEmbeddingStore())
    )
    gold_make(clips[0], [("visual", "A smile."), ("visual", "Tears.")])
    gold_make(clips[1], [("auditory", "A loud shout.")])
    data = json.dumps(
        {
            "sample_00000001": {"visual": ["A smile."]},
            "sample_00000002": {
                "auditory": [{"text": "A loud shout.", "start_ms": 0, "end_ms": 800}]
            },
        }
    ).encode()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        run = run_import(project=project, by=None, file_name="a.json", data=data)
    row = RunScore.objects.get(project=project, run=run, gold_set=None)
    assert row.stale and row.generation == 1 and len(callbacks) == 1  # queued after the commit
    for callback in callbacks:
        callback()
    row.refresh_from_db()
    assert (row.status, row.stale) == ("done", False)
    paper = row.result["strict"]["scores"]["paper"]
    assert paper["visual"]["f1"] == pytest.approx(2 / 3)  # recall 1/2, precision 1
    assert paper["auditory"]["f1"] == pytest.approx(1.0)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RunImportRejected):
            run_import(project=project, by=None, file_name="a.json", data=b"{}")
    assert callbacks == [] and RunScore.objects.count() == 1


def test_an_imported_run_never_seeds_annotations_and_cannot_be_rerun(
    project, clips, manager, annotator, client
):
    from django.urls import reverse

    from annotate.annotation.opening import annotation_open

    data = json.dumps({"sample_00000001": {"visual": ["He frowns."]}}).encode()
    run = run_import(project=project, by=manager, file_name="outside.json", data=data)
    annotation = annotation_open(clip=clips[0], annotator=annotator)
    assert annotation.run is None and not annotation.cues.exists()
    client.force_login(manager)
    page = client.get(reverse("run-detail", args=[project.slug, run.pk])).content.decode()
    assert reverse("run-action", args=[project.slug, run.pk, "rerun"]) not in page
