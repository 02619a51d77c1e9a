"""`python -m inference.propose`: a real process on a demo clip, and bad input."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from inference.propose import main


@pytest.fixture(scope="module")
def demo_files(signal_demo):
    video = signal_demo.clips["sample_00000003"].video
    return video, video.with_suffix(".srt")


def test_json_output_parses_and_has_the_required_fields(demo_files):
    video, srt = demo_files
    run = subprocess.run(
        [sys.executable, "-m", "inference.propose", str(video), "--subtitle", str(srt), "--json"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    payload = json.loads(run.stdout)
    assert payload["proposer"] == "signals" and payload["version"]
    assert payload["description"].startswith("In the video, ")
    assert payload["emotions"] and {"label", "score"} <= set(payload["emotions"][0])
    assert isinstance(payload["notes"], list)
    modalities = {c["modality"] for c in payload["cues"]}
    assert {"visual", "auditory", "emotional"} <= modalities
    for cue in payload["cues"]:
        assert {"modality", "text", "start_ms", "end_ms", "confidence", "evidence", "kind"} <= set(
            cue
        )
    said = [c for c in payload["cues"] if c["kind"] == "subtitle" and c["text"].startswith('"')]
    assert [c["text"] for c in said] == ['"I waited all evening."', '"Nobody called me back."']
    assert said[0]["start_ms"] == 300


def test_table_output_with_literal_chinese_subtitle(demo_files, capsys):
    video, _ = demo_files
    assert main([str(video), "--subtitle", "我等了一整晚。"]) == 0
    out = capsys.readouterr().out
    assert "Therefore" in out and "modality" in out
    assert '"我等了一整晚。"' in out and "not in English" not in out


@pytest.mark.parametrize(
    "args, message",
    [
        (["{tmp}/missing.mp4"], "clip not found"),
        (["{tmp}/junk.mp4"], "junk.mp4"),
        (["{video}", "--subtitle", "{tmp}/missing.srt"], "subtitle file not found"),
        (["{video}", "--proposer", "nonesuch"], "unknown proposer"),
    ],
)
def test_bad_input_exits_2_with_one_line(demo_files, tmp_path, capsys, args, message):
    (tmp_path / "junk.mp4").write_text("this is not a video")
    argv = [a.format(tmp=tmp_path, video=demo_files[0]) for a in args]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith("error: ") and message in err
