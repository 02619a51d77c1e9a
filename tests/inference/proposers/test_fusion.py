"""Fusion rules on hand-made modality results: which labels, which cited cues, and a
paragraph built only from the cues that exist."""

from __future__ import annotations

from inference.proposers import ProposedCue
from inference.proposers.signals.common import ModalityResult
from inference.proposers.signals.fusion import fuse

NO_FACE = ModalityResult(
    cues=[ProposedCue("visual", "No face is visible.", 0, 4000, 1.0, kind="unobservable")],
    summary={"face_fraction": 0.0},
)
NO_AUDIO = ModalityResult(
    cues=[ProposedCue("auditory", "No audio track.", 0, 4000, 1.0, kind="unobservable")],
    summary={"has_audio": False, "arousal": None},
)
NO_TEXT = ModalityResult(summary={"has_subtitle": False})


def face(**fractions) -> ModalityResult:
    summary = {
        "face_fraction": 1.0,
        "smile_fraction": 0.0,
        "brow_furrow_fraction": 0.0,
        "brow_raise_fraction": 0.0,
        "eye_widen_fraction": 0.0,
        "gaze_away_fraction": 0.0,
        **fractions,
    }
    texts = {
        "smile_fraction": "The corners of the mouth turn up (clear smile).",
        "brow_furrow_fraction": "The brows draw together (frown).",
        "brow_raise_fraction": "The eyebrows are raised.",
        "eye_widen_fraction": "The eyes widen.",
    }
    cues = [ProposedCue("visual", texts[k], 500, 2500, 0.8) for k in fractions if k in texts]
    return ModalityResult(cues=cues, summary=summary)


def voice(arousal: float, *texts: str, rises: int = 0) -> ModalityResult:
    cues = [ProposedCue("auditory", t, 300, 3000, 0.7) for t in texts]
    return ModalityResult(
        cues=cues,
        summary={"has_audio": True, "has_speech": True, "arousal": arousal, "final_rises": rises},
    )


def words(valence: float, *texts: str, **counts) -> ModalityResult:
    cues = [ProposedCue("auditory", '"Some words."', 300, 3000, 1.0, kind="subtitle")]
    cues += [ProposedCue("auditory", t, 300, 3000, 0.7, kind="subtitle") for t in texts]
    return ModalityResult(
        cues=cues,
        summary={
            "has_subtitle": True,
            "analysable": True,
            "valence": valence,
            "emotion_counts": counts,
            "question": "It is a question." in texts,
            "exclamation": "It is an exclamation." in texts,
        },
    )


def labels(result: ModalityResult) -> list[str]:
    return [label for label, _ in result.summary["emotions"]]


def test_smile_and_positive_words_make_happy_citing_both():
    result = fuse(
        visual=face(smile_fraction=0.9),
        auditory=voice(0.0),
        text=words(0.8, "The words are positive."),
    )
    assert labels(result)[0] == "happy"
    happy = result.cues[0]
    assert happy.kind == "inference" and happy.modality == "emotional"
    assert "The corners of the mouth turn up (clear smile)." in happy.evidence["supports"]
    assert "The words are positive." in happy.evidence["supports"]
    assert (happy.start_ms, happy.end_ms) == (300, 3000)


def test_furrow_and_loud_voice_make_angry():
    result = fuse(
        visual=face(brow_furrow_fraction=0.7),
        auditory=voice(0.8, "The voice is loud."),
        text=words(-0.5, "The words are negative.", "It is an exclamation."),
    )
    assert labels(result)[0] == "angry"
    assert "happy" not in labels(result)
    assert "The voice is loud." in result.cues[0].evidence["supports"]


def test_low_arousal_and_negative_words_make_sad():
    result = fuse(
        visual=NO_FACE,
        auditory=voice(-0.5, "The voice sounds subdued."),
        text=words(
            -0.6, "The words are negative.", 'The words express sadness ("alone").', sadness=1
        ),
    )
    assert labels(result)[0] == "sad"
    assert "The voice sounds subdued." in result.cues[0].evidence["supports"]


def test_raised_brows_wide_eyes_and_rising_pitch_make_surprised():
    result = fuse(
        visual=face(brow_raise_fraction=0.8, eye_widen_fraction=0.8),
        auditory=voice(0.3, "Pitch rises at the end of the sentence.", rises=1),
        text=words(0.0, "It is a question."),
    )
    assert labels(result)[0] == "surprised"
    supports = result.cues[0].evidence["supports"]
    assert {
        "The eyebrows are raised.",
        "The eyes widen.",
        "Pitch rises at the end of the sentence.",
    } <= set(supports)


def test_nothing_observed_is_neutral_and_the_paragraph_says_what_is_missing():
    result = fuse(visual=NO_FACE, auditory=NO_AUDIO, text=NO_TEXT)
    assert result.summary["emotions"] == [("neutral", 0.5)]
    assert result.cues == []  # no observation to reason from, so no inference cue
    paragraph = result.summary["description"]
    assert paragraph.startswith("In the video, no face is visible.")
    assert "there is no audio track" in paragraph
    assert "no particular emotion can be inferred" in paragraph


def test_paragraph_uses_only_existing_cues():
    result = fuse(
        visual=NO_FACE,
        auditory=voice(0.9, "The voice is loud."),
        text=words(0.8, "The words are positive."),
    )
    paragraph = result.summary["description"]
    assert "In the video, no face is visible." in paragraph
    assert "In the audio, the voice is loud." in paragraph
    assert 'the person says "Some words."' in paragraph
    assert "smile" not in paragraph and "brow" not in paragraph
    assert paragraph.rstrip().endswith(".") and "Therefore, it is inferred" in paragraph
    for cue in result.cues:
        assert all("face" not in s and "mouth" not in s for s in cue.evidence["supports"])
