"""inference.ocr.read_subtitles and its CLI: the real OCR on generated clips.

The clips (fixtures/burned_subtitles.py) hold Chinese, English and bilingual subtitles at
known frame-exact times over the demo's moving face, a channel logo in the subtitle band,
and in one clip a static caption; a few seconds of video each.
"""

from __future__ import annotations

import json
import re

import pytest
from rapidfuzz.distance import Levenshtein

from fixtures.burned_subtitles import BurnedLine, render_burned_clip
from inference.ocr import DEFAULT_FPS, OcrError, OcrSegment, ocr_settings, read_subtitles
from inference.ocr.__main__ import main
from tests import mediafiles

BOUNDARY_MS = 250  # the budget for start and end errors


def assert_read(read: str, truth: str) -> None:
    """Chinese exactly; an English line within one character (at 360p the recogniser reads
    a final "!" as "l" or drops it: bench/ocr.py measures the error rate)."""
    if re.search(r"[\u4e00-\u9fff]", truth):
        assert read == truth
    else:
        assert Levenshtein.distance(read, truth) <= 1, (read, truth)


LINES = (
    BurnedLine(480, 2000, "今天天气真好，我们出去走走吧"),
    BurnedLine(2400, 4000, "我等了你一整晚。\nNobody called me back."),
    BurnedLine(4400, 5600, "That is not what we agreed!"),
)


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    path = tmp_path_factory.mktemp("ocr") / "burned.mp4"
    return render_burned_clip(path, LINES, duration_ms=6000)


@pytest.fixture(scope="module")
def segments(clip):
    seen = []
    result = read_subtitles(clip.video, progress=seen.append)
    return result, seen


def test_reads_each_subtitle_with_its_text_and_times(segments):
    result, _ = segments
    assert len(result) == len(LINES)
    for segment, line in zip(result, LINES, strict=True):
        for read, truth in zip(segment.lines, line.text.split("\n"), strict=True):
            assert_read(read, truth)
        assert abs(segment.start_ms - line.start_ms) <= BOUNDARY_MS, (segment, line)
        assert abs(segment.end_ms - line.end_ms) <= BOUNDARY_MS, (segment, line)
        assert 0.8 <= segment.confidence <= 1.0
        assert segment.source == "ocr"
    assert result[1].lines == ("我等了你一整晚。", "Nobody called me back.")


def test_the_logo_in_the_band_is_not_a_subtitle(segments, clip):
    result, _ = segments
    assert clip.logo == "EmoTV 情感台"
    assert not any("EmoTV" in s.text or "情感台" in s.text for s in result)


def test_progress_rises_to_one(segments):
    _, seen = segments
    assert seen[-1] == 1.0
    assert seen == sorted(seen) and len(seen) >= 6000 / 1000 * DEFAULT_FPS


def test_a_static_caption_is_dropped_and_the_subtitles_kept(tmp_path):
    # 12 s with a show title up all the time (longer than any subtitle stays up)
    lines = [
        BurnedLine(start, start + 1600, f"第{n}句台词")
        for n, start in enumerate(range(400, 12_000, 2000), start=1)
    ]
    clip = render_burned_clip(
        tmp_path / "caption.mp4", lines, duration_ms=12_000, camera="still", caption="家有儿女"
    )
    result = read_subtitles(clip.video)
    assert [s.text for s in result] == [line.text for line in lines]
    for segment, line in zip(result, lines, strict=True):
        assert abs(segment.start_ms - line.start_ms) <= BOUNDARY_MS, (segment, line)
        assert abs(segment.end_ms - line.end_ms) <= BOUNDARY_MS, (segment, line)


def test_a_clip_without_subtitles_gives_no_segment(tmp_path):
    clip = render_burned_clip(tmp_path / "none.mp4", [], duration_ms=2000)
    assert read_subtitles(clip.video) == []


def test_unreadable_videos_raise_ocr_error_naming_the_file(tmp_path):
    with pytest.raises(OcrError, match="missing.mp4: no such file"):
        read_subtitles(tmp_path / "missing.mp4")
    text = mediafiles.make_text_as_mp4(tmp_path / "notes.mp4")
    with pytest.raises(OcrError, match="notes.mp4"):
        read_subtitles(text)
    cut = mediafiles.make_truncated_mp4(tmp_path / "cut.mp4")
    with pytest.raises(OcrError, match="cut.mp4.*damaged"):
        read_subtitles(cut)
    assert issubclass(OcrError, ValueError)
    with pytest.raises(ValueError, match="fps"):
        read_subtitles(text, fps=0)


def test_cli_prints_json_segments(clip, capsys):
    assert main([str(clip.video), "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert len(printed) == len(LINES)
    for row, line in zip(printed, LINES, strict=True):
        assert_read(row["text"], line.text)
    assert set(printed[0]) == {"start_ms", "end_ms", "text", "confidence", "source"}
    assert OcrSegment(**printed[0]).source == "ocr"


def test_cli_table_and_errors(clip, tmp_path, capsys):
    assert main([str(clip.video), "--fps", "2"]) == 0
    out = capsys.readouterr().out
    assert "start_ms" in out and "今天天气真好，我们出去走走吧" in out
    assert "我等了你一整晚。 / Nobody called me back." in out
    assert main([str(tmp_path / "missing.mp4")]) == 2
    assert "missing.mp4: no such file" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main([str(clip.video), "--fps", "-1"])


def test_settings_name_the_engine_and_the_rules():
    settings = ocr_settings(fps=2)
    assert settings["engine"] == "rapidocr-onnxruntime 1.4.4"
    assert settings["models"] == ["ch_PP-OCRv4_det_infer", "ch_PP-OCRv4_rec_infer"]
    assert settings["fps"] == 2 and settings["max_line_ms"] == 10_000
    json.dumps(settings)  # storable as it is
