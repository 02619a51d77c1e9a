"""`python -m inference.propose`: a real process on a demo clip, the subtitle's source (a file,
literal text, the picture read by OCR, or none), and bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from inference.propose import _table, build_clip, main
from inference.proposers.signals import SIGNALS_VERSION
from inference.xemogpt.inputs import sample_from_clip
from inference.xemogpt.prompt import build_prompt

# Debian's fonts-noto-cjk (./studio.sh test installs it)
CJK_FONT = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
# (start s, end s, text) burned into the picture of the generated clip
BURNED = ((0.5, 2.5, "我真的太开心了！"), (3.0, 4.5, "你为什么不相信我？"))


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
    assert payload["subtitle"] == {
        "source": "file",
        "description": "from the file sample_00000003.srt (2 segments)",
        "segments": 2,
        "text": "I waited all evening. Nobody called me back.",
    }


def test_table_output_with_literal_chinese_subtitle(demo_files, capsys):
    video, _ = demo_files
    assert main([str(video), "--subtitle", "我等了一整晚。"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Subtitle: the text given with --subtitle\n")
    assert "Therefore" in out and "modality" in out
    assert '"我等了一整晚。"' in out and "not in English" not in out


def _burn(path: Path, texts: tuple[tuple[float, float, str], ...]) -> Path:
    assert CJK_FONT.is_file(), f"{CJK_FONT} is missing: apt-get install fonts-noto-cjk"
    draw = ",".join(
        f"drawtext=fontfile={CJK_FONT}:text='{text}':fontsize=30:fontcolor=white:borderw=2:"
        f"x=(w-text_w)/2:y=h-60:enable='between(t,{start},{end})'"
        for start, end, text in texts
    )
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "color=c=0x334455:s=640x360:r=25:d=5"]
        + ["-f", "lavfi", "-i", "sine=frequency=220:sample_rate=16000:duration=5"]
        + (["-vf", draw] if draw else [])
        + ["-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", str(path)],
        check=True,
        timeout=60,
    )
    return path


@pytest.fixture(scope="module")
def burned(tmp_path_factory):
    """A clip with a Chinese subtitle burned into the picture, and one with no text at all."""
    root = tmp_path_factory.mktemp("burned")
    return _burn(root / "zh.mp4", BURNED), _burn(root / "plain.mp4", ())


def test_without_subtitle_the_picture_is_read_and_the_source_said(burned, capsys):
    video, _ = burned
    assert main([str(video), "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    source = payload["subtitle"]
    assert (source["source"], source["segments"]) == ("ocr", 2)
    assert source["description"].startswith("read from the picture (OCR, 2 segments, ")
    assert source["text"] == "我真的太开心了！ 你为什么不相信我？"
    assert _table(payload).startswith(f"Subtitle: {source['description']}\n")
    quotes = [c for c in payload["cues"] if c["kind"] == "subtitle" and c["text"][0] == '"']
    assert [c["text"] for c in quotes] == [f'"{text}"' for _, _, text in BURNED]
    for cue, (start, end, _) in zip(quotes, BURNED, strict=True):
        assert abs(cue["start_ms"] - start * 1000) <= 300 and abs(cue["end_ms"] - end * 1000) <= 300
    texts = [c["text"] for c in payload["cues"]]
    assert 'The words express joy ("开心").' in texts and "It is a question." in texts
    assert '"我真的太开心了！"' in payload["description"]


def test_no_ocr_and_a_picture_without_text_give_no_subtitle(burned, capsys):
    video, plain = burned
    assert main([str(video), "--no-ocr"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Subtitle: none (--no-ocr)\n") and "There is no subtitle." in out
    assert main([str(plain)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Subtitle: none: no subtitle was found in the picture (OCR)\n")


def test_xemogpt_prompt_gets_the_subtitle_read_from_the_picture(burned, tmp_path):
    clip, source = build_clip(burned[0], tmp_path)
    assert source.source == "ocr"
    sample, _ = sample_from_clip(clip, use_video=False)
    prompt = build_prompt(subtitle=sample.subtitle, has_audio=True, has_video=False)
    assert "<Subtitle>我真的太开心了！ 你为什么不相信我？</Subtitle>" in prompt


def test_a_chinese_lexicon_file_for_the_signal_proposer(demo_files, tmp_path, capsys):
    video, _ = demo_files
    lexicon = tmp_path / "lab.csv"
    lexicon.write_text("词语,情感分类,强度,极性\n一整晚,NB,7,2\n", encoding="utf-8")
    argv = [str(video), "--subtitle", "我等了一整晚。", "--chinese-lexicon", str(lexicon)]
    assert main([*argv, "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["version"].startswith(SIGNALS_VERSION + "+")
    sad = next(c for c in payload["cues"] if c["text"].startswith("The words express sadness"))
    assert sad["evidence"]["source"] == "lab.csv"
    assert main([*argv[:-2], "--chinese-lexicon", str(tmp_path / "none.csv")]) == 2
    assert "the Chinese lexicon file was not found" in capsys.readouterr().err
    assert main([str(video), "--proposer", "xemogpt", "--chinese-lexicon", str(lexicon)]) == 2
    assert "signal proposer only" in capsys.readouterr().err


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
