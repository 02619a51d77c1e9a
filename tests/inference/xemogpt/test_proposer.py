"""The XEmoGPT proposer on tiny weights: version, device policy, OOM fallback, grounded cues."""

import wave

import numpy as np
import pytest
import torch

import inference.xemogpt  # noqa: F401 - registers "xemogpt"
from inference.proposers import (
    ClipInput,
    Proposal,
    ProposalError,
    ProposedCue,
    SubtitleSegment,
    get_proposer,
    proposer_factory,
)
from inference.xemogpt.inputs import load_frames, reference_frame_indices
from inference.xemogpt.proposer import XEmoGPTProposer, XEmoGPTUnavailable

DESCRIPTION = (
    "In the video, his eyebrows are raised and the head nods. "
    "In the audio, the voice grows louder. "
    'He says "I passed the exam". Therefore, his emotional state is happy and surprised.'
)


def _clip(media_clip, **changes):
    video, wav = media_clip
    values = dict(
        name="sample_00000007",
        video=video,
        audio=wav,
        duration_ms=2000,
        fps_num=25,
        fps_den=1,
        subtitle_text="I passed the exam!",
    )
    values.update(changes)
    return ClipInput(**values)


@pytest.fixture
def proposer(tiny_weights, encoder):
    return XEmoGPTProposer(
        **tiny_weights, device="cpu", allow_cpu=True, observations="none", encoder=encoder
    )


def test_version_on_the_class_and_on_an_instance(proposer, weight_paths):
    from inference.xemogpt.checkpoint import sha256_file

    assert proposer_factory("xemogpt") is XEmoGPTProposer
    assert XEmoGPTProposer.version == "xemogpt-1" == XEmoGPTProposer.class_version
    sha = sha256_file(weight_paths["checkpoint_path"])
    assert proposer.version.startswith(f"xemogpt-1+ckpt.{sha[:12]}.cfg.")
    assert proposer.version.startswith(XEmoGPTProposer.version + "+")  # what the app accepts
    other = XEmoGPTProposer(
        model=proposer.model, device="cpu", allow_cpu=True, observations="none", max_new_tokens=5
    )
    assert other.version != proposer.version  # settings change the version


def test_the_cpu_is_refused_unless_allowed(weight_paths, monkeypatch):
    with pytest.raises(XEmoGPTUnavailable, match="allow_cpu=True"):
        XEmoGPTProposer(**weight_paths, device="cpu")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(XEmoGPTUnavailable, match="no usable GPU"):
        XEmoGPTProposer(**weight_paths)  # device defaults to "cuda"
    with pytest.raises(XEmoGPTUnavailable, match="batch_size"):
        XEmoGPTProposer(**weight_paths, device="cpu", allow_cpu=True, batch_size=0)


def test_paths_come_from_the_environment(weight_paths, monkeypatch):
    from inference.xemogpt.checkpoint import WeightsPathError

    for option, variable in (
        ("llm_path", "EMOCUE_XEMOGPT_LLM_PATH"),
        ("clip_path", "EMOCUE_XEMOGPT_CLIP_PATH"),
        ("hubert_path", "EMOCUE_XEMOGPT_HUBERT_PATH"),
        ("checkpoint_path", "EMOCUE_XEMOGPT_CHECKPOINT_PATH"),
    ):
        monkeypatch.setenv(variable, weight_paths[option])
    assert get_proposer("xemogpt", device="cpu", allow_cpu=True).model.load_report.loaded > 0
    monkeypatch.delenv("EMOCUE_XEMOGPT_HUBERT_PATH")
    with pytest.raises(WeightsPathError, match="hubert_path is not set"):
        get_proposer("xemogpt", device="cpu", allow_cpu=True)


def test_a_real_run_end_to_end_on_tiny_weights(proposer, media_clip):
    clip = _clip(media_clip)
    proposal = proposer.propose(clip)
    assert isinstance(proposal, Proposal) and proposal.proposer == "xemogpt"
    assert proposal.version == proposer.version and proposal.description
    assert {"media", "generate", "cues", "grounding"} <= set(proposal.timings)
    assert all(c.start_ms is None and c.evidence["source"] == "xemogpt" for c in proposal.cues)
    batch = proposer.propose_batch(
        [clip, _clip(media_clip, audio=None), _clip(media_clip, subtitle_text="")]
    )
    assert all(isinstance(p, Proposal) for p in batch)
    assert any("no audio" in note for note in batch[1].notes)


def test_oom_retries_the_batch_in_halves(proposer, media_clip, monkeypatch):
    calls = []

    def step(samples):
        calls.append(len(samples))
        if len(samples) > 1:
            raise torch.cuda.OutOfMemoryError("CUDA out of memory (simulated)")
        return [DESCRIPTION]

    monkeypatch.setattr(proposer, "_step", step)
    clips = [_clip(media_clip, name=f"c{i}") for i in range(5)]
    results = proposer.propose_batch(clips, batch_size=4)
    assert calls == [4, 2, 1, 1, 2, 1, 1, 1]
    assert all(isinstance(r, Proposal) for r in results)


def test_oom_on_one_clip_fails_that_clip_only(proposer, media_clip, monkeypatch):
    def step(samples):
        if any(s.audio is not None for s in samples):
            raise torch.cuda.OutOfMemoryError("simulated")
        return [DESCRIPTION] * len(samples)

    monkeypatch.setattr(proposer, "_step", step)
    results = proposer.propose_batch([_clip(media_clip), _clip(media_clip, audio=None)])
    assert isinstance(results[0], ProposalError) and "out of GPU memory" in str(results[0])
    assert isinstance(results[1], Proposal)


def test_cues_are_grounded_in_the_signal_observations(
    tiny_weights, media_clip, encoder, monkeypatch
):
    observations = [
        ProposedCue("visual", "The eyebrows are raised.", 400, 1200, 0.7),
        ProposedCue("visual", "The head nods.", 100, 300, 0.4),
        ProposedCue("visual", "The head nods.", 1500, 1900, 0.9),
        ProposedCue("auditory", "The voice grows louder in the second phrase.", 1000, 1800, 0.8),
        ProposedCue("visual", "No face is visible.", 0, 2000, 0.9, kind="unobservable"),
    ]
    seen = []
    proposer = XEmoGPTProposer(
        **tiny_weights,
        device="cpu",
        allow_cpu=True,
        encoder=encoder,
        observations=lambda clip: seen.append(clip.name) or observations,
    )
    monkeypatch.setattr(proposer, "_step", lambda samples: [DESCRIPTION] * len(samples))
    clip = _clip(media_clip, subtitle_segments=(SubtitleSegment(200, 1600, "I passed the exam!"),))
    proposal = proposer.propose(clip)
    assert seen == ["sample_00000007"]
    cues = {(c.modality, c.text): c for c in proposal.cues}
    brows = cues[("visual", "His eyebrows are raised.")]
    assert (brows.start_ms, brows.end_ms) == (400, 1200)
    assert (
        brows.evidence["grounding"]["grounded"]
        and brows.evidence["grounding"]["match"]["text"] == "The eyebrows are raised."
    )
    assert (
        brows.evidence["grounding"]["threshold"] == 0.6
        and brows.evidence["grounding"]["encoder"] == "bag-of-words-test"
    )
    nods = cues[("visual", "The head nods.")]
    assert (nods.start_ms, nods.end_ms) == (1500, 1900)  # the more confident of two equal matches
    assert nods.evidence["grounding"]["match"]["other_spans"] == 1
    louder = cues[("auditory", "The voice grows louder.")]
    assert (louder.start_ms, louder.end_ms) == (1000, 1800)
    quote = cues[("auditory", "I passed the exam")]
    assert quote.kind == "subtitle" and (quote.start_ms, quote.end_ms) == (200, 1600)
    assert quote.evidence["grounding"]["match"]["source"] == "subtitle"
    happy = cues[("emotional", "The emotional state is happy.")]
    assert happy.start_ms is None and happy.kind == "inference"
    assert proposal.emotions == (("happy", 1.0), ("surprised", 1.0))
    # time order within each modality: visual 400 then 1500
    visual = [c for c in proposal.cues if c.modality == "visual"]
    assert [c.start_ms for c in visual] == [400, 1500]


def test_a_weak_match_stays_untimed(tiny_weights, media_clip, encoder, monkeypatch):
    proposer = XEmoGPTProposer(
        **tiny_weights,
        device="cpu",
        allow_cpu=True,
        encoder=encoder,
        observations=lambda clip: [ProposedCue("visual", "The mouth opens wide.", 0, 500, 0.9)],
    )
    monkeypatch.setattr(
        proposer, "_step", lambda samples: ["In the video, he frowns deeply."] * len(samples)
    )
    cue = proposer.propose(_clip(media_clip)).cues[0]
    assert cue.text == "He frowns deeply." and cue.start_ms is None
    evidence = cue.evidence["grounding"]
    assert not evidence["grounded"] and evidence["match"]["text"] == "The mouth opens wide."
    assert evidence["match"]["similarity"] < 0.6


def test_a_failing_signal_proposer_leaves_cues_untimed_with_a_note(
    tiny_weights, media_clip, encoder, monkeypatch
):
    def broken(clip):
        raise RuntimeError("mediapipe is missing")

    proposer = XEmoGPTProposer(
        **tiny_weights, device="cpu", allow_cpu=True, encoder=encoder, observations=broken
    )
    monkeypatch.setattr(proposer, "_step", lambda samples: [DESCRIPTION] * len(samples))
    proposal = proposer.propose(_clip(media_clip))
    assert all(c.start_ms is None for c in proposal.cues)
    assert any("mediapipe is missing" in note for note in proposal.notes)


def test_generated_control_characters_are_removed(proposer, media_clip, monkeypatch):
    monkeypatch.setattr(
        proposer, "_step", lambda samples: ["In the video,\x00 he\x0f smiles.\ufffd"] * len(samples)
    )
    proposal = proposer.propose(_clip(media_clip))
    assert proposal.description == "In the video, he smiles."
    monkeypatch.setattr(proposer, "_step", lambda samples: ["\x00 \x01"] * len(samples))
    with pytest.raises(ProposalError, match="empty description"):
        proposer.propose(_clip(media_clip))


def test_frames_from_the_clip_or_decoded_from_the_video(media_clip, tmp_path):
    from PIL import Image

    stored = []
    for i in range(16):
        path = tmp_path / f"frame_{i:02d}.jpg"
        Image.new("RGB", (20, 10), (i * 10, 0, 0)).save(path)
        stored.append((i * 125, path))
    images = load_frames(_clip(media_clip, frames=tuple(reversed(stored))))
    assert [im.getpixel((5, 5))[0] // 10 for im in images] == list(range(16))  # in time order
    decoded = load_frames(_clip(media_clip))
    assert len(decoded) == 16 and decoded[0].size == (160, 120)
    assert len(load_frames(_clip(media_clip), frame_sampling="reference")) == 16
    assert reference_frame_indices(50, 16)[-1] == 49 and reference_frame_indices(50, 16)[0] == 0


def test_clips_that_cannot_be_given_to_the_model(proposer, media_clip, tmp_path):
    loud = tmp_path / "44k.wav"
    with wave.open(str(loud), "wb") as out:
        out.setnchannels(1), out.setsampwidth(2), out.setframerate(44_100)
        out.writeframes(np.zeros(4410, dtype="<i2").tobytes())
    results = proposer.propose_batch(
        [
            _clip(media_clip, audio=loud),
            _clip(media_clip, video=tmp_path / "gone.mp4"),
            _clip(media_clip),
        ]
    )
    assert isinstance(results[0], ProposalError) and "16000 Hz mono" in str(results[0])
    assert isinstance(results[1], ProposalError) and "video cannot be read" in str(results[1])
    assert isinstance(results[2], Proposal)
    subtitle_only = XEmoGPTProposer(
        model=proposer.model,
        device="cpu",
        allow_cpu=True,
        observations="none",
        use_video=False,
        use_audio=False,
        max_new_tokens=8,
    )
    assert isinstance(subtitle_only.propose(_clip(media_clip)), Proposal)
    with pytest.raises(ProposalError, match="nothing to give"):
        subtitle_only.propose(_clip(media_clip, subtitle_text=""))


def test_the_prompt_receives_the_subtitle_whatever_its_source(proposer, media_clip, monkeypatch):
    prompts = []
    prompt_for = proposer.model.prompt_for
    monkeypatch.setattr(
        proposer.model,
        "prompt_for",
        lambda sample: prompts.append(prompt_for(sample)) or prompts[-1],
    )
    # a subtitle read from the picture arrives as timed segments, with or without the text
    read = (SubtitleSegment(200, 900, "我们走吧。"), SubtitleSegment(1000, 1800, "你去哪？"))
    proposer.propose(_clip(media_clip, subtitle_text="", subtitle_segments=read))
    proposer.propose(_clip(media_clip, subtitle_text="我们走吧。 你去哪？", subtitle_segments=read))
    proposer.propose(_clip(media_clip, subtitle_text="", subtitle_segments=()))
    assert "<Subtitle>我们走吧。 你去哪？</Subtitle>" in prompts[0]
    assert "<Subtitle>我们走吧。 你去哪？</Subtitle>" in prompts[1]
    assert "<Subtitle>" not in prompts[2]
