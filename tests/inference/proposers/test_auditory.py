"""The auditory analysis on the demo's espeak-ng speech and on WAVs made here (silence,
clipping, an inserted long pause, harmonic tones with rising and falling pitch)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from inference.proposers import ClipInput
from inference.proposers.signals.auditory import AudioReadError, analyse_auditory, read_wav

CALM = ("sample_00000001", "sample_00000003", "sample_00000005", "sample_00000008")
EXCITED = ("sample_00000002", "sample_00000004", "sample_00000006")
RATE = 16_000


def wav_clip(path: Path, duration_ms: int) -> ClipInput:
    return ClipInput(
        name=path.stem, video=path, audio=path, duration_ms=duration_ms, fps_num=25, fps_den=1
    )


def tone(f0: np.ndarray, *, amplitude: float = 0.3) -> np.ndarray:
    """A voice-like harmonic complex (10 harmonics, 1/k amplitudes) following f0 (Hz per sample)."""
    phase = 2 * np.pi * np.cumsum(f0) / RATE
    signal = sum(np.sin(k * phase) / k for k in range(1, 11))
    return amplitude * signal / np.abs(signal).max()


def summaries(signal_demo, names):
    return [analyse_auditory(signal_demo.clips[n]).summary for n in names]


@pytest.fixture(scope="module")
def demo_auditory(signal_demo):
    return {name: analyse_auditory(clip) for name, clip in signal_demo.clips.items()}


@pytest.mark.parametrize(
    "key",
    ["level_dbfs", "loudness_mean", "f0_mean_hz", "f0_mean_st", "speech_rate_syl_s", "arousal"],
)
def test_excited_speech_is_louder_higher_faster_than_calm_speech(demo_auditory, key):
    calm = [demo_auditory[n].summary[key] for n in CALM]
    excited = [demo_auditory[n].summary[key] for n in EXCITED]
    assert None not in calm + excited
    assert min(excited) > max(calm), (key, calm, excited)


def test_excited_clips_get_loud_and_energetic_cues_and_calm_clips_do_not(demo_auditory):
    for name in EXCITED:
        texts = [c.text for c in demo_auditory[name].cues]
        assert "The voice is loud." in texts and "The voice sounds energetic." in texts, texts
    for name in CALM:
        texts = [c.text for c in demo_auditory[name].cues]
        assert not {"The voice is loud.", "The voice sounds energetic."} & set(texts), texts


def test_every_cue_has_a_span_in_the_clip_confidence_and_evidence(demo_auditory, signal_demo):
    for name, result in demo_auditory.items():
        duration = signal_demo.clips[name].duration_ms
        for cue in result.cues:
            assert cue.modality == "auditory"
            assert 0 <= cue.start_ms <= cue.end_ms <= duration, (name, cue)
            assert 0 < cue.confidence <= 1
            assert cue.evidence.get("feature"), cue
        summary = result.summary
        if summary["has_speech"]:
            assert -1 <= summary["arousal"] <= 1
            assert 0 < summary["speech_fraction"] <= 1
            assert len(summary["segments"]) == 2  # every demo clip speaks two sentences


def test_clip_without_audio_says_so_and_invents_no_voice_cue(demo_auditory):
    result = demo_auditory["sample_00000007"]
    assert [(c.kind, c.text) for c in result.cues] == [("unobservable", "No audio track.")]
    assert result.cues[0].start_ms == 0 and result.cues[0].end_ms == 4000
    assert result.summary["has_audio"] is False and result.summary["arousal"] is None


def test_silent_track_says_no_speech(tmp_path, write_wav):
    path = write_wav(tmp_path / "silence.wav", np.zeros(RATE * 2))
    result = analyse_auditory(wav_clip(path, 2000))
    assert len(result.cues) == 1
    cue = result.cues[0]
    assert cue.kind == "unobservable" and cue.text.startswith("No speech")
    assert (cue.start_ms, cue.end_ms) == (0, 2000)
    assert result.summary["has_speech"] is False and result.summary["speech_fraction"] == 0.0


def test_noise_without_voicing_is_not_speech(tmp_path, write_wav):
    noise = np.random.default_rng(0).normal(0, 0.05, RATE * 2)
    result = analyse_auditory(wav_clip(write_wav(tmp_path / "noise.wav", noise), 2000))
    assert [c.kind for c in result.cues] == ["unobservable"]
    assert "no voiced speech" in result.cues[0].text


def test_clipping_audio_gets_a_note_and_no_level_cues(signal_demo, tmp_path, write_wav):
    samples, rate = read_wav(signal_demo.clips["sample_00000002"].audio)
    path = write_wav(tmp_path / "hot.wav", np.clip(samples * 6, -1, 1), rate)
    result = analyse_auditory(wav_clip(path, 3920))
    assert result.summary["clipping"] is True
    assert any("clips" in note and "unreliable" in note for note in result.notes)
    kinds = {c.text: c.kind for c in result.cues}
    assert any(k == "unobservable" and "clipping" in t for t, k in kinds.items())
    assert "The voice is loud." not in kinds
    # the clean original is not flagged
    assert analyse_auditory(signal_demo.clips["sample_00000002"]).summary["clipping"] is False


def test_inserted_long_pause_is_found_where_it_is(signal_demo, tmp_path, write_wav):
    clip = signal_demo.clips["sample_00000001"]
    samples, rate = read_wav(clip.audio)
    first_end = analyse_auditory(clip).summary["segments"][0][1]
    cut = int((first_end + 100) * rate / 1000)
    longer = np.concatenate([samples[:cut], np.zeros(int(1.2 * rate)), samples[cut:]])
    result = analyse_auditory(
        wav_clip(write_wav(tmp_path / "pause.wav", longer, rate), int(len(longer) * 1000 / rate))
    )
    pauses = [c for c in result.cues if "long pause" in c.text]
    assert len(pauses) == 1, [c.text for c in result.cues]
    assert "second sentence" in pauses[0].text
    assert pauses[0].start_ms <= first_end + 150 and pauses[0].end_ms >= first_end + 1300
    # the demo's own 0.35 s pauses are not long
    assert not any("long pause" in c.text for c in analyse_auditory(clip).cues)


@pytest.mark.parametrize("direction", ["rises", "falls"])
def test_final_contour_of_a_tone(tmp_path, write_wav, direction):
    n = RATE * 2
    f0 = np.full(n, 160.0)
    tail = np.arange(int(n * 0.3))
    goal = 280.0 if direction == "rises" else 90.0
    f0[-len(tail) :] = 160.0 * (goal / 160.0) ** (tail / len(tail))
    signal = np.concatenate([np.zeros(RATE // 4), tone(f0), np.zeros(RATE // 4)])
    result = analyse_auditory(wav_clip(write_wav(tmp_path / "t.wav", signal), 2500))
    texts = [c.text for c in result.cues]
    assert f"Pitch {direction} at the end of the sentence." in texts, texts
    other = "falls" if direction == "rises" else "rises"
    assert not any(other in t for t in texts)


def test_flat_tone_has_no_contour_and_sounds_monotonous(tmp_path, write_wav):
    signal = np.concatenate(
        [np.zeros(RATE // 4), tone(np.full(RATE * 2, 160.0)), np.zeros(RATE // 4)]
    )
    result = analyse_auditory(wav_clip(write_wav(tmp_path / "flat.wav", signal), 2500))
    texts = [c.text for c in result.cues]
    assert not any("Pitch" in t for t in texts), texts
    assert "The intonation is flat and monotonous." in texts
    assert result.summary["f0_mean_hz"] == pytest.approx(160, rel=0.03)


def test_unreadable_wav_raises(tmp_path):
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunkjunkjunk" * 10)
    with pytest.raises(AudioReadError, match="bad.wav"):
        analyse_auditory(wav_clip(bad, 1000))
