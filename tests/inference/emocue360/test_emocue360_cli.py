"""The command line: python -m inference.emocue360 {score,extract}."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from inference.emocue360.__main__ import main

REPO = Path(__file__).resolve().parents[3]
GOLD = {
    "sample_00000001": {
        "visual": ["He frowns.", "He stares at the door."],
        "auditory": ["His voice is loud.", {"text": "get out", "kind": "subtitle"}],
        "emotional": ["He is angry."],
    },
    "sample_00000002": {
        "visual": ["She smiles."],
        "auditory": ["She laughs."],
        "emotional": ["She is happy."],
    },
}


@pytest.fixture
def files(tmp_path):
    gold = tmp_path / "gold.json"
    gold.write_text(json.dumps(GOLD))
    return tmp_path, gold


def test_score_json_gold_against_itself(files, capsys):
    tmp, gold = files
    rc = main(
        [
            "score",
            "--gold",
            str(gold),
            "--pred",
            str(gold),
            "--json",
            "--ci",
            "--variants",
            "all",
            "--quiet",
            "--cache",
            str(tmp / "cache.sqlite"),
        ]
    )
    assert rc == 0
    result = json.loads(capsys.readouterr().out)
    assert result["scores"]["paper"]["overall"]["f1"] == pytest.approx(1.0, abs=1e-6)
    assert result["scores"]["paper"]["visual"]["ci"]["f1"] == pytest.approx([1.0, 1.0], abs=1e-6)
    assert list(result["scores"]) == ["paper", "one_to_one", "hit_rate"]
    assert "per_sample" not in result
    assert (tmp / "cache.sqlite").exists()


def test_score_table_and_output_file(files, capsys):
    tmp, gold = files
    pred = tmp / "pred.json"
    pred.write_text(json.dumps({"sample_00000001": GOLD["sample_00000001"]}))
    rc = main(
        [
            "score",
            "--gold",
            str(gold),
            "--pred",
            str(pred),
            "--mode",
            "reference",
            "-o",
            str(tmp / "out.json"),
            "--quiet",
        ]
    )
    assert rc == 0
    out = capsys.readouterr().out
    assert (
        "mode=reference" in out and "paper" in out and "gold samples without prediction: 1" in out
    )
    written = json.loads((tmp / "out.json").read_text())
    assert set(written["per_sample"]) == {"sample_00000001"}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "is not valid JSON"),
        ("[1, 2]", "expected a JSON object"),
        ('{"sample_9": {"visual": ["a"]}}', "not in gold"),
    ],
)
def test_score_bad_prediction_file_exits_2_with_a_message(files, capsys, content, message):
    tmp, gold = files
    pred = tmp / "pred.json"
    pred.write_text(content)
    assert main(["score", "--gold", str(gold), "--pred", str(pred), "--quiet"]) == 2
    assert message in capsys.readouterr().err


def test_score_unknown_variant(files, capsys):
    _, gold = files
    assert main(["score", "--gold", str(gold), "--pred", str(gold), "--variants", "rouge"]) == 2
    assert "unknown variant(s) ['rouge']" in capsys.readouterr().err


def write_csv(path, rows, fields=("name", "english")):
    with open(path, "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(fields)
        writer.writerows(rows)


def test_extract_as_a_module_in_a_fresh_process(tmp_path):
    write_csv(
        tmp_path / "d.csv",
        [
            (
                "sample_1",
                'In the video, he frowns. In the audio, he shouts "get out". '
                "Therefore, his emotional state is anger.",
            ),
            ("sample_2", ""),
        ],
    )
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(REPO)}
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "inference.emocue360",
            "extract",
            "--csv",
            str(tmp_path / "d.csv"),
            "--text-column",
            "english",
            "--name-column",
            "name",
            "-o",
            str(tmp_path / "cues.json"),
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    cues = json.loads((tmp_path / "cues.json").read_text())
    assert cues["sample_1"] == {
        "visual": [{"text": "He frowns.", "kind": "observation"}],
        "auditory": [
            {"text": "get out", "kind": "subtitle"},
            {"text": "He shouts.", "kind": "observation"},
        ],
        "emotional": [{"text": "The emotional state is anger.", "kind": "inference"}],
    }
    assert cues["sample_2"] == {"visual": [], "auditory": [], "emotional": []}
    assert "wrote" in proc.stderr


def test_extract_plain_format(tmp_path):
    write_csv(tmp_path / "d.csv", [("s1", 'He says "hi" loudly.')])
    assert (
        main(
            [
                "extract",
                "--csv",
                str(tmp_path / "d.csv"),
                "-o",
                str(tmp_path / "c.json"),
                "--plain",
                "--quiet",
            ]
        )
        == 0
    )
    cues = json.loads((tmp_path / "c.json").read_text())
    assert "Subtitle text: hi" in cues["s1"]["auditory"]


@pytest.mark.parametrize(
    ("rows", "args", "message"),
    [
        (
            [("s1", "x")],
            ["--text-column", "reasons"],
            "has no column 'reasons'; its columns are ['name', 'english']",
        ),
        ([("s1", "x"), ("s1", "y")], [], "sample 's1' appears twice"),
        ([], [], "has no rows"),
        ([("s1", "x")], ["--extractor", "chat"], "the chat extractor needs --chat-base-url"),
    ],
)
def test_extract_errors(tmp_path, capsys, rows, args, message, monkeypatch):
    monkeypatch.delenv("EMOCUE360_CHAT_BASE_URL", raising=False)
    monkeypatch.delenv("EMOCUE360_CHAT_MODEL", raising=False)
    write_csv(tmp_path / "d.csv", rows)
    assert (
        main(["extract", "--csv", str(tmp_path / "d.csv"), "-o", str(tmp_path / "c.json"), *args])
        == 2
    )
    assert message in capsys.readouterr().err
    assert not (tmp_path / "c.json").exists()


def test_extract_missing_csv(tmp_path, capsys):
    assert (
        main(["extract", "--csv", str(tmp_path / "nope.csv"), "-o", str(tmp_path / "c.json")]) == 2
    )
    assert "does not exist" in capsys.readouterr().err
