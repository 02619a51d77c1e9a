"""The model on tiny configs: loss, generate, the prompt wrapping token by token, batching."""

from dataclasses import replace

import pytest
import torch

from inference.xemogpt.config import GenerationSettings
from inference.xemogpt.model import Sample
from inference.xemogpt.prompt import build_prompt

GREEDY = GenerationSettings(num_beams=1, do_sample=False, max_new_tokens=10)


def test_training_loss_is_finite_and_reaches_only_the_trained_parts(model, frames, audio):
    model.train()
    samples = [
        Sample(
            subtitle="I passed the exam!",
            frames=frames,
            audio=audio,
            target="In the video, she smiles.",
        ),
        Sample(subtitle="No.", audio=audio[:8000], target="He frowns and his voice is loud."),
    ]
    output = model(samples)
    assert torch.isfinite(output.loss)
    output.loss.backward()
    grads = {name: p.grad for name, p in model.named_parameters()}
    for name, grad in grads.items():
        if ".lora_" in name or name.startswith(
            (
                "visual_encoder.visual_alignment_layer",
                "visual_encoder.position_embedding",
                "visual_llm_project",
                "audio_encoder.audio_alignment_layer",
                "audio_llm_project",
            )
        ):
            assert grad is not None and grad.abs().sum() > 0, name
        else:
            assert grad is None, name
    assert not any(p.requires_grad for p in model.visual_encoder.clip.parameters())
    assert not any(p.requires_grad for p in model.audio_encoder.audio_encoder.parameters())
    assert not model.visual_encoder.clip.training and not model.audio_encoder.audio_encoder.training


def test_labels_are_masked_on_the_prompt_and_the_loss_is_the_targets_cross_entropy(
    model, frames, audio
):
    samples = [
        Sample(subtitle="hi", frames=frames, audio=audio, target="She smiles."),
        Sample(subtitle="a longer subtitle here", target="He frowns."),
    ]
    wrapped = model.wrap(samples, padding_side="right", with_targets=True)
    tokenizer = model.tokenizer
    for row, (sample, layout) in enumerate(zip(samples, wrapped.layouts, strict=True)):
        expected = tokenizer(sample.target, add_special_tokens=False)["input_ids"] + [
            tokenizer.eos_token_id
        ]
        labels = wrapped.labels[row]
        assert (labels[: layout.length] == -100).all()  # BOS + prompt
        assert labels[layout.length : layout.length + len(expected)].tolist() == expected
        assert (labels[layout.length + len(expected) :] == -100).all()  # right padding
    with torch.no_grad():
        model.eval()
        loss = model(samples).loss
        logits = model.llm_model(
            inputs_embeds=wrapped.inputs_embeds, attention_mask=wrapped.attention_mask
        ).logits
    manual = torch.nn.functional.cross_entropy(
        logits[:, :-1].flatten(0, 1), wrapped.labels[:, 1:].flatten(), ignore_index=-100
    )
    assert torch.allclose(loss, manual, atol=1e-5)


def test_generate_with_beams_and_sampling_from_inputs_embeds(model, frames, audio):
    samples = [
        Sample(subtitle="I passed!", frames=frames, audio=audio),
        Sample(subtitle="Leave me alone."),
    ]
    settings = GenerationSettings(
        num_beams=3, do_sample=True, temperature=0.3, top_p=0.9, max_new_tokens=8
    )
    torch.manual_seed(0)
    first = model.generate(samples, settings=settings)
    torch.manual_seed(0)
    again = model.generate(samples, settings=settings)
    assert len(first) == 2 and all(isinstance(t, str) for t in first)
    assert first == again
    config = model.generation_config(settings)
    assert (
        config.num_beams,
        config.do_sample,
        config.temperature,
        config.top_p,
        config.max_new_tokens,
    ) == (3, True, 0.3, 0.9, 8)


def test_generation_defaults_are_the_papers(model):
    defaults = GenerationSettings()
    assert (
        defaults.num_beams,
        defaults.do_sample,
        defaults.temperature,
        defaults.top_p,
        defaults.repetition_penalty,
        defaults.max_new_tokens,
    ) == (5, True, 0.3, 0.9, 1.0, 756)
    config = model.generation_config(defaults)
    assert config.pad_token_id == model.tokenizer.pad_token_id and config.max_new_tokens == 756
    assert (
        model.config.max_length == 2048
        and model.config.num_frames == 16
        and model.config.audio_seconds == 12.0
    )
    assert (model.config.lora.r, model.config.lora.alpha, model.config.lora.dropout) == (
        512,
        512,
        0.05,
    )
    assert model.config.lora.target_modules == ("q_proj", "k_proj", "v_proj")


def test_prompt_wrapping_token_by_token(model, frames, audio):
    sample = Sample(subtitle="I passed the exam!", frames=frames, audio=audio)
    short = Sample(subtitle="hi")
    wrapped = model.wrap([sample, short], padding_side="left")
    layout = wrapped.layouts[0]
    assert [p[0] for p in layout.parts] == ["bos", "text", "audio", "text", "video", "text"]
    embeds = wrapped.inputs_embeds[0, layout.offset : layout.offset + layout.length]
    with torch.no_grad():
        audio_tokens = model.encode_audio([audio])[0]
        video_tokens = model.encode_frames([frames])[0]
        pad = model.embed_tokens(torch.tensor([model.tokenizer.pad_token_id]))[0]
    assert torch.equal(embeds[0], pad)  # BOS: the pad token's embedding
    text_ids = []
    for kind, start, end, ids in layout.parts:
        if kind in ("text", "bos"):
            assert torch.allclose(embeds[start:end], model.embed_tokens(torch.tensor(ids)))
            if kind == "text":
                text_ids.append(ids)
        elif kind == "audio":
            assert (
                end - start == audio_tokens.shape[0] == 15
            )  # 1 s of audio, tiny HuBERT: 1024x downsampling
            assert torch.allclose(embeds[start:end], audio_tokens, atol=1e-6)
        else:
            assert end - start == 16
            assert torch.allclose(embeds[start:end], video_tokens, atol=1e-6)
    prompt = build_prompt(
        subtitle=sample.subtitle,
        has_audio=True,
        has_video=True,
        instruction=model.config.instruction,
    )
    before_audio, rest = prompt.split("<AudioHere>")
    between, after_video = rest.split("<VideoHere>")
    assert [model.tokenizer.decode(ids) for ids in text_ids] == [before_audio, between, after_video]
    # the shorter row is padded on the left with the pad embedding, attention 0 there
    other = wrapped.layouts[1]
    assert other.offset == layout.length - other.length > 0
    assert (
        wrapped.attention_mask[1, : other.offset].sum() == 0
        and wrapped.attention_mask[1, other.offset :].all()
    )
    assert torch.equal(wrapped.inputs_embeds[1, 0], pad)
    assert wrapped.attention_mask[0].all()


def test_the_wrapped_prompt_is_cut_at_max_length_before_the_bos(model, frames, audio):
    model.config = replace(model.config, max_length=30)
    wrapped = model.wrap([Sample(subtitle="I passed the exam!", frames=frames, audio=audio)])
    layout = wrapped.layouts[0]
    assert layout.truncated and layout.length == 31 and wrapped.inputs_embeds.shape[1] == 31
    assert layout.parts[-1][2] == 31
    kinds = [p[0] for p in layout.parts]
    assert (
        kinds[:3] == ["bos", "text", "audio"] and "video" not in kinds
    )  # cut inside the audio tokens
    assert model.generate([Sample(subtitle="hi", audio=audio)], settings=GREEDY)[0] is not None


@pytest.mark.parametrize(
    "parts, kinds",
    [
        ({"subtitle": "I passed!"}, ["bos", "text"]),
        ({"audio": True}, ["bos", "text", "audio", "text"]),
        ({"frames": True}, ["bos", "text", "video", "text"]),
    ],
)
def test_subtitle_only_audio_only_video_only(model, frames, audio, parts, kinds):
    sample = Sample(
        subtitle=parts.get("subtitle", ""),
        frames=frames if parts.get("frames") else None,
        audio=audio if parts.get("audio") else None,
    )
    wrapped = model.wrap([sample])
    assert [p[0] for p in wrapped.layouts[0].parts] == kinds
    assert len(model.generate([sample], settings=GREEDY)) == 1


def test_batched_left_padding_equals_one_by_one(model, frames, other_frames, audio):
    samples = [
        Sample(subtitle="I passed the exam!", frames=frames, audio=audio),
        Sample(subtitle="No.", audio=audio[:5000]),
        Sample(subtitle="", frames=other_frames),
        Sample(subtitle="Leave me alone, please, now.", frames=other_frames, audio=audio[:12000]),
    ]
    batched = model.generate(samples, settings=GREEDY)
    alone = [model.generate([s], settings=GREEDY)[0] for s in samples]
    assert batched == alone
    assert len(set(alone)) > 1  # the inputs matter


def test_audio_is_cut_at_twelve_seconds(model):
    import numpy as np

    long = np.random.default_rng(0).standard_normal(16_000 * 13).astype("float32")
    tokens = model.encode_audio([long, long[: 16_000 * 12]])
    assert torch.allclose(tokens[0], tokens[1], atol=1e-5)
