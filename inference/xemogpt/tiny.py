"""A complete tiny XEmoGPT weight set, made locally (no download), for tests and demos.

    paths = write_tiny_weights(tmp_dir)
    proposer = get_proposer("xemogpt", **paths, device="cpu", allow_cpu=True)

The folders have the layout of the real ones (save_pretrained): a tiny Qwen3 with a small
byte-level BPE tokenizer trained here (pad "<|endoftext|>", EOS "<|im_end|>", as Qwen3), a
tiny full CLIP model (text tower included, as clip-vit-large-patch14 is), a tiny HuBERT
with the large model's layer-norm layout, and a checkpoint ``{"state_dict": ...}`` in the
released key layout with random bridges, projections and LoRA (LoRA B non-zero, so that
the adapter changes outputs). The outputs are random text; the point is the plumbing.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import torch

from .config import GenerationSettings, XEmoGPTConfig
from .prompt import DEFAULT_INSTRUCTION

__all__ = ["TINY_GENERATION", "tiny_config", "tiny_tokenizer", "write_tiny_weights"]

SPECIAL_TOKENS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
TINY_GENERATION = GenerationSettings(
    num_beams=2,
    do_sample=True,
    temperature=0.3,
    top_p=0.9,
    repetition_penalty=1.0,
    max_new_tokens=24,
)

_CORPUS = [
    DEFAULT_INSTRUCTION,
    "###Human: The audio content is as follows: <Audio><AudioHere></Audio>. "
    "Meanwhile, we uniformly sample raw frames from the video: <Video><VideoHere></Video>. "
    "The subtitle of this video is: <Subtitle></Subtitle>. "
    "Now, please answer my question based on all the provided information. "
    "###Assistant: ",
    "In the video, the woman smiles and her eyebrows rise. She nods her head slowly.",
    "In the audio, his voice is loud and fast, with a trembling tone and long pauses.",
    "Therefore, the emotional state is happy, surprised, angry, sad, worried or neutral.",
    "He frowns and looks down. She laughs. The tone is calm and low. I passed the exam!",
]


def tiny_tokenizer(vocab_size: int = 512):
    """A byte-level BPE tokenizer with Qwen3's special tokens, trained on a few sentences."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    backend = Tokenizer(models.BPE())
    backend.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    backend.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=SPECIAL_TOKENS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    backend.train_from_iterator(_CORPUS * 4, trainer)
    return PreTrainedTokenizerFast(
        tokenizer_object=backend,
        pad_token="<|endoftext|>",
        eos_token="<|im_end|>",
        additional_special_tokens=["<|im_start|>"],
    )


def _hf_configs(vocab_size: int):
    from transformers import CLIPConfig, HubertConfig, Qwen3Config

    llm = Qwen3Config(
        vocab_size=vocab_size,
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        head_dim=16,
        max_position_embeddings=4096,
        tie_word_embeddings=False,
        pad_token_id=0,
        bos_token_id=None,
        eos_token_id=2,
    )
    clip = CLIPConfig(
        vision_config=dict(
            hidden_size=32,
            intermediate_size=64,
            num_hidden_layers=2,
            num_attention_heads=4,
            image_size=32,
            patch_size=8,
        ),
        text_config=dict(
            hidden_size=32,
            intermediate_size=64,
            num_hidden_layers=1,
            num_attention_heads=4,
            vocab_size=99,
            max_position_embeddings=16,
            bos_token_id=0,
            eos_token_id=1,
            pad_token_id=1,
        ),
        projection_dim=16,
    )
    # HuBERT-large's layout (layer-norm feature extractor, stable layer norm), tiny, with a
    # coarse 1024x downsampling so a second of audio is ~15 frames
    hubert = HubertConfig(
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        conv_dim=(16, 16, 16),
        conv_kernel=(16, 8, 8),
        conv_stride=(16, 8, 8),
        num_conv_pos_embeddings=8,
        num_conv_pos_embedding_groups=4,
        feat_extract_norm="layer",
        do_stable_layer_norm=True,
        mask_time_prob=0.0,
    )
    return llm, clip, hubert


def tiny_config(*, vocab_size: int = 512, **changes) -> XEmoGPTConfig:
    """A tiny XEmoGPTConfig (CLIP vision 32-d, HuBERT 32-d, Qwen3 64-d; the paper's LoRA,
    r=alpha=512, which is larger than the tiny widths but cheap)."""
    llm, clip, hubert = _hf_configs(vocab_size)
    config = XEmoGPTConfig(
        llm=llm,
        clip=clip.vision_config,
        hubert=hubert,
        generation=TINY_GENERATION,
        max_length=2048,
        attn_implementation="eager",
    )
    return replace(config, **changes)


def randomize_lora(model, *, seed: int = 0, std: float = 0.05) -> None:
    """Give LoRA's B matrices (zero at init) random values, so that the adapter matters."""
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, parameter in model.named_parameters():
            if ".lora_B." in name:
                parameter.copy_(torch.randn(parameter.shape, generator=generator) * std)


def write_tiny_weights(out_dir: str | Path, *, seed: int = 0) -> dict[str, Any]:
    """Write a tiny, complete, random XEmoGPT weight set under ``out_dir``.

    Returns:
        Proposer options for the set: "llm_path", "clip_path", "hubert_path",
        "checkpoint_path" (strings) and the tiny decoding settings "max_new_tokens" (24)
        and "num_beams" (2), so that ``get_proposer("xemogpt", **options, device="cpu",
        allow_cpu=True)`` runs a clip in well under a second.

    Example:
        >>> write_tiny_weights("/tmp/xemogpt-tiny")["checkpoint_path"]
        '/tmp/xemogpt-tiny/xemogpt_tiny.pth'
    """
    from .model import quiet_transformers

    with quiet_transformers(), torch.random.fork_rng():
        torch.manual_seed(seed)
        return _write(Path(out_dir), seed=seed)


def _write(out: Path, *, seed: int) -> dict[str, Any]:
    from transformers import (
        CLIPImageProcessorPil,
        CLIPModel,
        GenerationConfig,
        HubertModel,
        Qwen3ForCausalLM,
    )

    from .checkpoint import save_checkpoint
    from .model import XEmoGPT

    out.mkdir(parents=True, exist_ok=True)
    tokenizer = tiny_tokenizer()
    llm_config, clip_config, hubert_config = _hf_configs(len(tokenizer))
    paths = {
        name: out / folder
        for name, folder in (
            ("llm_path", "qwen3-tiny"),
            ("clip_path", "clip-tiny"),
            ("hubert_path", "hubert-tiny"),
        )
    }

    llm = Qwen3ForCausalLM(llm_config)
    llm.generation_config = GenerationConfig(
        pad_token_id=tokenizer.pad_token_id,
        eos_token_id=[tokenizer.eos_token_id, tokenizer.pad_token_id],
        do_sample=True,
        temperature=0.3,
        top_p=0.9,
        num_beams=TINY_GENERATION.num_beams,
        max_new_tokens=TINY_GENERATION.max_new_tokens,
    )
    llm.save_pretrained(paths["llm_path"])
    tokenizer.save_pretrained(paths["llm_path"])

    CLIPModel(clip_config).save_pretrained(paths["clip_path"])
    CLIPImageProcessorPil(
        size={"shortest_edge": 32}, crop_size={"height": 32, "width": 32}
    ).save_pretrained(paths["clip_path"])

    HubertModel(hubert_config).save_pretrained(paths["hubert_path"])
    (paths["hubert_path"] / "preprocessor_config.json").write_text(
        json.dumps(
            {
                "do_normalize": True,
                "feature_extractor_type": "Wav2Vec2FeatureExtractor",
                "feature_size": 1,
                "padding_side": "right",
                "padding_value": 0,
                "return_attention_mask": True,
                "sampling_rate": 16000,
            },
            indent=2,
        )
    )

    config = tiny_config(vocab_size=len(tokenizer))
    model = XEmoGPT(config, tokenizer=tokenizer)
    randomize_lora(model, seed=seed)
    checkpoint = save_checkpoint(model, out / "xemogpt_tiny.pth")
    result = {name: str(path) for name, path in paths.items()}
    result["checkpoint_path"] = str(checkpoint)
    result["max_new_tokens"] = TINY_GENERATION.max_new_tokens
    result["num_beams"] = TINY_GENERATION.num_beams
    return result
