"""The signal proposer end to end on the demo clips, and its failures."""

from __future__ import annotations

import dataclasses

import pytest

from inference.proposers import ProposalError, get_proposer
from inference.proposers.signals import FEATURES, SIGNALS_VERSION, SignalProposer

VOICE_WORDS = ("voice", "pitch", "speech", "pause", "intonation", "tone")
FACE_WORDS = ("face", "mouth", "brow", "eye", "smile", "head", "gaze")


def test_registry_builds_the_signal_proposer():
    proposer = get_proposer("signals")
    assert isinstance(proposer, SignalProposer)
    assert (proposer.name, proposer.version) == ("signals", SIGNALS_VERSION)


def test_threshold_overrides_change_the_version_and_unknown_options_fail():
    assert SignalProposer(auditory={"long_pause_s": 1.0}).version.startswith(SIGNALS_VERSION + "+")
    assert (
        SignalProposer(auditory={"long_pause_s": 1.0}).version
        != SignalProposer(auditory={"long_pause_s": 2.0}).version
    )
    with pytest.raises(ValueError, match="unknown option"):
        SignalProposer(colour="red")
    with pytest.raises(ValueError, match="long_pauses"):
        SignalProposer(auditory={"long_pauses": 1.0})


def test_every_demo_proposal_is_complete(signal_demo):
    for name, proposal in signal_demo.proposals.items():
        assert proposal.proposer == "signals" and proposal.version == SIGNALS_VERSION
        assert proposal.description.startswith("In the video, ")
        assert "Therefore, " in proposal.description
        assert proposal.emotions and all(0 < score <= 1 for _, score in proposal.emotions)
        for stage in ("visual", "auditory", "text", "fusion", "total"):
            assert proposal.timings[stage] >= 0, (name, stage)
        order = [("visual", "auditory", "emotional").index(c.modality) for c in proposal.cues]
        assert order == sorted(order)


def test_smiling_face_yields_a_smile_cue(signal_demo):
    proposal = signal_demo.proposals["sample_00000002"]
    smiles = [c for c in proposal.cues if c.modality == "visual" and "smile" in c.text]
    assert smiles and smiles[0].kind == "observation"
    assert "smile" in proposal.description
    assert proposal.emotions[0][0] == "happy"


def test_clip_without_a_face_says_so_and_invents_no_face_cue(signal_demo):
    proposal = signal_demo.proposals["sample_00000008"]
    visual = [c for c in proposal.cues if c.modality == "visual"]
    assert [(c.kind, c.text) for c in visual] == [("unobservable", "No face is visible.")]
    assert proposal.description.startswith("In the video, no face is visible.")
    for cue in proposal.cues:
        if cue.kind == "inference":
            assert not any(w in s.lower() for s in cue.evidence["supports"] for w in FACE_WORDS)
    # the speech is still analysed
    assert any(c.modality == "auditory" and c.kind == "subtitle" for c in proposal.cues)


def test_clip_without_audio_says_so_and_invents_no_voice_cue(signal_demo):
    proposal = signal_demo.proposals["sample_00000007"]
    auditory = [c for c in proposal.cues if c.modality == "auditory"]
    assert [(c.kind, c.text) for c in auditory] == [("unobservable", "No audio track.")]
    assert "there is no audio track" in proposal.description
    after_video = proposal.description.split("In the audio", 1)[1]
    assert not any(w in after_video.split("Therefore")[0] for w in ("loud", "pitch", "pause"))
    for cue in proposal.cues:
        if cue.kind == "inference":
            assert not any(w in s.lower() for s in cue.evidence["supports"] for w in VOICE_WORDS)


def test_excited_angry_clip_reads_angry_over_its_smile(signal_demo):
    proposal = signal_demo.proposals["sample_00000004"]
    assert proposal.emotions[0][0] == "angry"


def test_missing_and_corrupt_media_raise_proposal_error(signal_demo, tmp_path):
    clip = signal_demo.clips["sample_00000001"]
    proposer = SignalProposer()
    with pytest.raises(ProposalError, match="missing"):
        proposer.propose(dataclasses.replace(clip, video=tmp_path / "gone.mp4"))
    corrupt = tmp_path / "corrupt.mp4"
    corrupt.write_bytes(clip.video.read_bytes()[:4000])  # header of a real clip, cut short
    with pytest.raises(ProposalError, match="corrupt|decod|damaged|cut short"):
        proposer.propose(dataclasses.replace(clip, video=corrupt))
    not_wav = tmp_path / "a.wav"
    not_wav.write_text("not audio")
    with pytest.raises(ProposalError, match="not a WAV"):
        proposer.propose(dataclasses.replace(clip, audio=not_wav))
    with pytest.raises(ProposalError, match="audio file is missing"):
        proposer.propose(dataclasses.replace(clip, audio=tmp_path / "none.wav"))


def test_a_failing_modality_becomes_a_note_and_the_others_still_run(signal_demo, monkeypatch):
    from inference.proposers.signals import text

    def broken(clip, *, thresholds):
        raise RuntimeError("lexicon unavailable")

    monkeypatch.setattr(text, "analyse_text", broken)
    proposal = SignalProposer().propose(signal_demo.clips["sample_00000002"])
    assert any("text" in n and "lexicon unavailable" in n for n in proposal.notes)
    failed = [c for c in proposal.cues if c.kind == "unobservable"]
    assert [c.text for c in failed] == ["The subtitle could not be analysed."]
    assert any(c.modality == "visual" and "smile" in c.text for c in proposal.cues)
    assert any(c.text == "The voice is loud." for c in proposal.cues)
    assert not any(c.kind == "subtitle" for c in proposal.cues)
    # The failed stage measured nothing: its features are None, the others' are numbers.
    assert proposal.features["text.valence"] is None and proposal.features["text.nrc_joy"] is None
    assert proposal.features["visual.smile_fraction"] > 0.5


def test_every_proposal_carries_the_same_features_with_what_was_observed(signal_demo):
    for name, proposal in signal_demo.proposals.items():
        assert tuple(proposal.features) == FEATURES, name
        assert all(v is None or isinstance(v, float) for v in proposal.features.values())
    happy = signal_demo.proposals["sample_00000002"]
    faceless = signal_demo.proposals["sample_00000008"]
    assert happy.features["visual.face_fraction"] == 1.0
    assert happy.features["text.valence"] > 0.5 and happy.features["text.exclamation"] == 1.0
    assert happy.features["auditory.arousal"] > happy.features["fused.arousal"] - 1e-9
    assert faceless.features["visual.face_fraction"] == 0.0
    assert faceless.features["visual.smile_intensity"] is None  # no face: not measured
    silent = signal_demo.proposals["sample_00000007"].features
    assert silent["auditory.has_audio"] == 0.0 and silent["auditory.arousal"] is None


def test_proposal_json_round_trip(signal_demo):
    payload = signal_demo.proposals["sample_00000006"].to_json()
    assert {"proposer", "version", "description", "cues", "emotions", "notes", "features"} <= set(
        payload
    )
    assert payload["features"]["text.question"] == 1.0
    for cue in payload["cues"]:
        assert {"modality", "text", "start_ms", "end_ms", "confidence", "evidence", "kind"} <= set(
            cue
        )
