"""Subtitle cues: polarity, emotion words, questions, exclamations, negations, timing, and
subtitles in neither English nor Chinese (Chinese ones: test_chinese.py)."""

from __future__ import annotations

from pathlib import Path

from inference.proposers import ClipInput, SubtitleSegment
from inference.proposers.signals.text import analyse_text


def clip(text: str = "", segments: tuple[SubtitleSegment, ...] = ()) -> ClipInput:
    return ClipInput(
        name="t",
        video=Path("t.mp4"),
        audio=None,
        duration_ms=5000,
        fps_num=25,
        fps_den=1,
        subtitle_text=text,
        subtitle_segments=segments,
    )


def test_demo_happy_subtitle_is_positive_exclaimed_and_timed_by_segment(signal_demo):
    demo_clip = signal_demo.clips["sample_00000002"]
    result = analyse_text(demo_clip)
    assert result.summary["valence"] > 0.5
    assert result.summary["exclamation"] is True and result.summary["question"] is False
    spans = {(s.start_ms, s.end_ms) for s in demo_clip.subtitle_segments}
    assert len(spans) == 2
    for cue in result.cues:
        assert (cue.modality, cue.kind) == ("auditory", "subtitle")
        assert (cue.start_ms, cue.end_ms) in spans
    texts = [c.text for c in result.cues]
    assert '"We actually won the grant!"' in texts
    assert texts.count("The words are positive.") == 2
    assert texts.count("It is an exclamation.") == 2


def test_question_negation_and_negative_words():
    segments = (
        SubtitleSegment(0, 1500, "Wait, is that really you?"),
        SubtitleSegment(1800, 3000, "You broke your promise again!"),
        SubtitleSegment(3200, 4000, "I did not expect you here."),
    )
    result = analyse_text(clip(" ".join(s.text for s in segments), segments))
    by_span = {}
    for cue in result.cues:
        by_span.setdefault(cue.start_ms, []).append(cue.text)
    assert "It is a question." in by_span[0]
    assert "It is a question." not in by_span[1800]
    assert "The words are negative." in by_span[1800]
    # NRC tags "promise" as joy; in a negative sentence that is not cued
    assert not any("joy" in t for t in by_span[1800])
    assert 'The sentence contains a negation ("not").' in by_span[3200]
    summary = result.summary
    assert summary["question"] and summary["exclamation"] and summary["negation"]
    assert "broke" in summary["emotion_words"]["sadness"]
    assert summary["emotion_counts"]["sadness"] == len(summary["emotion_words"]["sadness"])


def test_plain_text_subtitle_gives_untimed_cues():
    result = analyse_text(clip("I am so happy today!"))
    assert result.cues and all(c.start_ms is None and c.end_ms is None for c in result.cues)
    assert any("joy" in c.text for c in result.cues)


def test_a_subtitle_in_neither_english_nor_chinese_is_not_analysable():
    segments = (SubtitleSegment(300, 2000, "우리가 정말 지원금을 받았어요!"),)
    result = analyse_text(clip("우리가 정말 지원금을 받았어요!", segments))
    assert len(result.cues) == 1
    cue = result.cues[0]
    assert cue.kind == "unobservable"
    assert (
        cue.text
        == "The subtitle is not in English or Chinese (Hangul script) and could not be analysed."
    )
    assert (cue.start_ms, cue.end_ms) == (300, 2000)
    assert result.notes and "not applied" in result.notes[0]
    assert result.summary["analysable"] is False and result.summary["valence"] is None
    assert result.summary["emotion_counts"] == {} and result.summary["language"] == "Hangul"


def test_a_chinese_subtitle_is_analysed():
    segments = (SubtitleSegment(300, 2000, "我们真的拿到了资助！"),)
    result = analyse_text(clip("我们真的拿到了资助！", segments))
    assert result.summary["analysable"] is True and result.summary["language"] == "zh"
    assert [c.text for c in result.cues] == ['"我们真的拿到了资助！"', "It is an exclamation."]


def test_latin_script_that_is_not_english_is_not_analysed():
    result = analyse_text(clip("Nous avons vraiment gagné la subvention, c'est incroyable !"))
    assert [c.kind for c in result.cues] == ["unobservable"]
    assert result.summary["analysable"] is False


def test_no_subtitle_gives_a_note_and_no_cues():
    result = analyse_text(clip(""))
    assert result.cues == [] and result.notes
    assert result.summary["has_subtitle"] is False
