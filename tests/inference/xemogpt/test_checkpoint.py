"""The released checkpoint: key layout, round trip, refusal on missing keys, path errors."""

import pytest
import torch

from inference.xemogpt.checkpoint import (
    CheckpointError,
    WeightsPathError,
    read_checkpoint,
    save_checkpoint,
    sha256_file,
)
from inference.xemogpt.config import GenerationSettings
from inference.xemogpt.model import Sample, XEmoGPT, is_trained_key

GREEDY = GenerationSettings(num_beams=1, do_sample=False, max_new_tokens=10)


def _state(path):
    return torch.load(path, map_location="cpu", weights_only=True)["state_dict"]


def test_the_checkpoint_has_the_released_key_layout(weight_paths, model):
    keys = set(_state(weight_paths["checkpoint_path"]))
    for key in (
        "visual_encoder.position_embedding",
        "visual_encoder.visual_alignment_layer.0.self_attn.q_proj.weight",
        "visual_encoder.visual_alignment_layer.1.mlp.fc2.bias",
        "visual_llm_project.weight",
        "visual_llm_project.bias",
        "audio_encoder.audio_alignment_layer.0.attention.q_proj.weight",
        "audio_encoder.audio_alignment_layer.1.final_layer_norm.weight",
        "audio_llm_project.weight",
        "llm_model.base_model.model.model.layers.0.self_attn.q_proj.lora_A.default.weight",
        "llm_model.base_model.model.model.layers.1.self_attn.v_proj.lora_B.default.weight",
    ):
        assert key in keys, key
    assert all(is_trained_key(k) for k in keys)
    assert not any(".o_proj.lora_" in k for k in keys)  # LoRA on q/k/v only
    assert model.state_dict()["visual_encoder.position_embedding"].shape == (1, 16, 32)
    # the frozen parts sit where the reference has them
    own = set(model.state_dict())
    assert "visual_encoder.clip.vision_model.embeddings.patch_embedding.weight" in own
    assert "audio_encoder.audio_encoder.feature_extractor.conv_layers.0.conv.weight" in own
    assert "llm_model.base_model.model.model.layers.0.self_attn.q_proj.base_layer.weight" in own
    report = model.load_report
    assert report.loaded == report.trained_loaded == len(keys) and not report.missing_trained
    assert report.sha256 == sha256_file(weight_paths["checkpoint_path"]) and not report.unexpected


def test_save_and_load_round_trip_gives_identical_outputs(
    weight_paths, model, frames, audio, tmp_path
):
    with torch.no_grad():  # new trained weights, so the round trip has something to carry
        generator = torch.Generator().manual_seed(7)
        for name, parameter in model.named_parameters():
            if is_trained_key(name):
                parameter.add_(torch.randn(parameter.shape, generator=generator) * 0.02)
    saved = save_checkpoint(model, tmp_path / "round.pth")
    loaded = XEmoGPT.from_pretrained(**{**weight_paths, "checkpoint_path": saved})
    for key, value in model.trained_state_dict().items():
        assert torch.equal(value, loaded.state_dict()[key]), key
    samples = [Sample(subtitle="I passed!", frames=frames, audio=audio), Sample(subtitle="No.")]
    assert model.generate(samples, settings=GREEDY) == loaded.generate(samples, settings=GREEDY)
    with torch.no_grad():
        a = model.wrap(samples).inputs_embeds
        b = loaded.wrap(samples).inputs_embeds
    assert torch.equal(a, b)
    original = XEmoGPT.from_pretrained(**weight_paths)
    assert original.generate(samples, settings=GREEDY) != loaded.generate(samples, settings=GREEDY)


def test_a_full_dump_with_a_wrapper_prefix_loads(weight_paths, model, tmp_path):
    full = save_checkpoint(model, tmp_path / "full.pth", include_frozen=True)
    state = {f"model.{k}": v for k, v in _state(full).items()}
    torch.save({"state_dict": state, "epoch": 3}, tmp_path / "lightning.ckpt")
    loaded = XEmoGPT.from_pretrained(
        **{**weight_paths, "checkpoint_path": tmp_path / "lightning.ckpt"}
    )
    report = loaded.load_report
    assert report.prefix_stripped == "model." and report.missing_frozen == 0
    assert report.loaded == len(state) and not report.unexpected


def test_missing_trained_keys_are_refused(weight_paths, tmp_path):
    state = _state(weight_paths["checkpoint_path"])
    del state["audio_llm_project.weight"]
    del state["llm_model.base_model.model.model.layers.1.self_attn.k_proj.lora_A.default.weight"]
    torch.save({"state_dict": state}, tmp_path / "partial.pth")
    with pytest.raises(CheckpointError) as error:
        XEmoGPT.from_pretrained(**{**weight_paths, "checkpoint_path": tmp_path / "partial.pth"})
    message = str(error.value)
    assert "lacks 2 trained" in message and "audio_llm_project.weight" in message
    assert "layers.1.self_attn.k_proj.lora_A" in message and "refusing to serve" in message


def test_unexpected_and_unused_keys_are_reported(weight_paths, tmp_path):
    state = _state(weight_paths["checkpoint_path"])
    state["visual_encoder.clip.text_model.embeddings.token_embedding.weight"] = torch.zeros(3, 4)
    state["visual_encoder.attention_pooling.attn_vector"] = torch.zeros(32)
    state["audio_encoder.audio_project.weight"] = torch.zeros(4, 32)
    state["something_else.weight"] = torch.zeros(2)
    torch.save({"state_dict": state}, tmp_path / "extra.pth")
    report = XEmoGPT.from_pretrained(
        **{**weight_paths, "checkpoint_path": tmp_path / "extra.pth"}
    ).load_report
    assert report.unexpected == ["something_else.weight"]
    assert report.unused == [
        "audio_encoder.audio_project.weight",
        "visual_encoder.attention_pooling.attn_vector",
        "visual_encoder.clip.text_model.embeddings.token_embedding.weight",
    ]
    assert "1 unexpected, 3 unused" in report.summary()


def test_a_shape_mismatch_is_refused(weight_paths, tmp_path):
    state = _state(weight_paths["checkpoint_path"])
    state["visual_encoder.position_embedding"] = torch.zeros(1, 8, 32)
    torch.save({"state_dict": state}, tmp_path / "shape.pth")
    with pytest.raises(
        CheckpointError, match=r"position_embedding: checkpoint \(1, 8, 32\) vs model \(1, 16, 32\)"
    ):
        XEmoGPT.from_pretrained(**{**weight_paths, "checkpoint_path": tmp_path / "shape.pth"})


def test_absent_or_wrong_paths_are_named(weight_paths, tmp_path):
    (tmp_path / "empty").mkdir()
    (tmp_path / "notes.txt").write_text("not a checkpoint")
    torch.save({"weights": [1, 2]}, tmp_path / "no_state.pth")
    cases = [
        ({"llm_path": tmp_path / "nowhere"}, r"llm_path .*nowhere.* does not exist"),
        ({"llm_path": None}, r"llm_path is not set"),
        ({"clip_path": weight_paths["checkpoint_path"]}, r"clip_path .* is a file"),
        ({"hubert_path": tmp_path / "empty"}, r"hubert_path .*empty.* has no config.json"),
        (
            {"checkpoint_path": tmp_path / "gone.pth"},
            r"checkpoint_path .*gone.pth.* does not exist",
        ),
        ({"checkpoint_path": tmp_path}, r"checkpoint_path .* is a folder"),
        (
            {"checkpoint_path": tmp_path / "notes.txt"},
            r"checkpoint_path .*notes.txt.* is not a readable torch checkpoint",
        ),
        ({"checkpoint_path": tmp_path / "no_state.pth"}, r"has no 'state_dict'"),
    ]
    for change, pattern in cases:
        with pytest.raises(WeightsPathError, match=pattern):
            XEmoGPT.from_pretrained(**{**weight_paths, **change})


def test_a_checkpoint_with_pickled_objects_needs_trust(weight_paths, tmp_path):
    import argparse

    state = _state(weight_paths["checkpoint_path"])
    torch.save(
        {"state_dict": state, "hyper_parameters": argparse.Namespace(lr=1e-4)},
        tmp_path / "pickled.pth",
    )
    with pytest.raises(WeightsPathError, match="trust_checkpoint_pickle=True"):
        read_checkpoint(tmp_path / "pickled.pth")
    assert set(read_checkpoint(tmp_path / "pickled.pth", trust_pickle=True)) == set(state)
