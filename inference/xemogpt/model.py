"""XEmoGPT (arXiv 2602.05496) as a torch module, with the reference code's module tree.

    video: 16 frames -> frozen CLIP vision tower -> [CLS] of each frame's last hidden state
           -> + learned positional embedding (1 x 16 x d) -> VECB (N CLIP encoder layers)
           -> visual_llm_project (linear to the LLM width)            -> 16 tokens
    audio: first 12 s at 16 kHz -> frozen HuBERT (all frame tokens, padding masked)
           -> AECB (N HuBERT encoder layers, with the mask) -> audio_llm_project
           -> the clip's unpadded frames                               -> ~50 tokens a second
    text:  the paper's prompt around <AudioHere> / <VideoHere>, a pad-token embedding as BOS
           -> Qwen3 causal LM with peft LoRA (q/k/v)

Parameter names (``state_dict`` keys) follow the reference (W11H08Z/XEmoGPT):
``llm_model.base_model.model.*`` (peft), ``visual_encoder.clip.vision_model.*``,
``visual_encoder.visual_alignment_layer.N.*``, ``visual_encoder.position_embedding``,
``visual_llm_project.*``, ``audio_encoder.audio_encoder.*``,
``audio_encoder.audio_alignment_layer.N.*``, ``audio_llm_project.*``.
"""

from __future__ import annotations

import contextlib
import copy
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from .config import GenerationSettings, XEmoGPTConfig
from .prompt import AUDIO_PLACEHOLDER, VIDEO_PLACEHOLDER, build_prompt, split_prompt

__all__ = ["AudioEncoder", "PromptLayout", "Sample", "VisualEncoder", "Wrapped", "XEmoGPT"]

# Kept out of any download path: every from_pretrained here reads local folders only.
os.environ.setdefault("HF_HUB_OFFLINE", "1")

TRAINED_PREFIXES = (
    "visual_encoder.visual_alignment_layer.",
    "visual_encoder.position_embedding",
    "visual_llm_project.",
    "audio_encoder.audio_alignment_layer.",
    "audio_llm_project.",
)


def is_trained_key(key: str) -> bool:
    """Whether a parameter is one XEmoGPT trained (bridges, projections, LoRA): the released
    checkpoint must hold it. Everything else comes from the CLIP, HuBERT and LLM folders."""
    return key.startswith(TRAINED_PREFIXES) or (key.startswith("llm_model.") and ".lora_" in key)


def _layer_output(output: Any) -> torch.Tensor:
    # transformers 5 encoder layers return the tensor; 4.x returned a tuple
    return output[0] if isinstance(output, tuple) else output


@contextlib.contextmanager
def quiet_transformers():
    """Silence transformers' load reports and progress bars (the load report here says what
    matters: CLIP's unused text tower is expected)."""
    from transformers.utils import logging as hf_logging

    level = hf_logging.get_verbosity()
    bars = hf_logging.is_progress_bar_enabled()
    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        hf_logging.set_verbosity(level)
        if bars:
            hf_logging.enable_progress_bar()


def _with_attn(config, attn_implementation: str):
    config = copy.deepcopy(config)
    config._attn_implementation = attn_implementation
    return config


@dataclass
class Sample:
    """One clip as the model takes it.

    Attributes:
        subtitle: the subtitle ("" for none: left out of the prompt).
        frames: ``num_frames`` RGB images (PIL) sampled uniformly, or None for no video.
        audio: mono float waveform at 16 kHz (cut to the first ``audio_seconds``), or None.
        target: the description to learn (training only).
    """

    subtitle: str = ""
    frames: Sequence[Any] | None = None
    audio: np.ndarray | None = None
    target: str | None = None


@dataclass
class PromptLayout:
    """Where each part of one wrapped prompt sits (positions before batch padding).

    ``parts`` are (kind, start, end, token_ids): kind "bos", "text", "audio" or "video";
    token ids for "bos" and "text". ``truncated`` is True when the prompt was cut at
    max_length; ``offset`` is where position 0 lies in the padded batch row.
    """

    parts: list[tuple[str, int, int, list[int] | None]]
    length: int
    truncated: bool = False
    offset: int = 0

    def span(self, kind: str) -> tuple[int, int] | None:
        for part_kind, start, end, _ in self.parts:
            if part_kind == kind:
                return start, end
        return None


@dataclass
class Wrapped:
    inputs_embeds: torch.Tensor
    attention_mask: torch.Tensor
    layouts: list[PromptLayout]
    labels: torch.Tensor | None = None
    prompts: list[str] = field(default_factory=list)


class ClipTower(nn.Module):
    """Holds CLIP's vision tower as ``vision_model``: the reference keeps the whole CLIPModel
    here, so its keys read ``visual_encoder.clip.vision_model.*`` (transformers 5's
    CLIPVisionModel has no ``vision_model.`` level of its own)."""

    def __init__(self, vision_model: nn.Module):
        super().__init__()
        self.vision_model = vision_model

    def forward(self, pixel_values: torch.Tensor):
        return self.vision_model(pixel_values=pixel_values)


class VisualEncoder(nn.Module):
    """Frozen CLIP vision tower + VECB (positional embedding and CLIP encoder layers)."""

    def __init__(
        self,
        vision_config,
        *,
        num_frames: int,
        num_layers: int,
        attn_implementation: str,
        clip: nn.Module | None = None,
    ):
        super().__init__()
        from transformers import CLIPVisionModel
        from transformers.models.clip.modeling_clip import CLIPEncoderLayer

        vision_config = _with_attn(vision_config, attn_implementation)
        self.num_frames = num_frames
        self.clip = ClipTower(clip if clip is not None else CLIPVisionModel(vision_config))
        self.clip.requires_grad_(False)
        self.clip.eval()
        self.visual_alignment_layer = nn.ModuleList(
            [CLIPEncoderLayer(vision_config) for _ in range(num_layers)]
        )
        self.position_embedding = nn.Parameter(
            torch.zeros(1, num_frames, vision_config.hidden_size)
        )
        nn.init.normal_(self.position_embedding, std=0.02)

    @property
    def hidden_size(self) -> int:
        return self.position_embedding.shape[-1]

    def forward(self, pixel_values: torch.Tensor) -> torch.Tensor:
        """(batch, frames, 3, H, W) -> (batch, frames, d): the bridged per-frame [CLS] tokens."""
        if pixel_values.ndim != 5:
            raise ValueError(
                f"pixel_values must be (batch, frames, 3, H, W), not {tuple(pixel_values.shape)}"
            )
        batch, frames = pixel_values.shape[:2]
        if frames > self.num_frames:
            raise ValueError(
                f"{frames} frames given; the positional embedding has {self.num_frames}"
            )
        with torch.no_grad():
            hidden = self.clip(pixel_values=pixel_values.flatten(0, 1)).last_hidden_state
        cls = hidden[:, 0, :].reshape(batch, frames, -1)
        features = cls + self.position_embedding[:, :frames, :]
        for layer in self.visual_alignment_layer:
            features = _layer_output(layer(features, None))
        return features


class AudioEncoder(nn.Module):
    """Frozen HuBERT + AECB (HuBERT encoder layers run with the padding mask)."""

    def __init__(
        self,
        hubert_config,
        *,
        num_layers: int,
        attn_implementation: str,
        hubert: nn.Module | None = None,
    ):
        super().__init__()
        from transformers import HubertModel
        from transformers.models.hubert.modeling_hubert import HubertEncoderLayer

        hubert_config = _with_attn(hubert_config, attn_implementation)
        self.config = hubert_config
        self.audio_encoder = hubert if hubert is not None else HubertModel(hubert_config)
        self.audio_encoder.requires_grad_(False)
        self.audio_encoder.eval()
        # the reference uses the post-LN HubertEncoderLayer, even beside HuBERT-large's
        # stable-layer-norm encoder
        self.audio_alignment_layer = nn.ModuleList(
            [HubertEncoderLayer(hubert_config) for _ in range(num_layers)]
        )

    def forward(
        self, input_values: torch.Tensor, attention_mask: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """(batch, samples) waveforms and their 0/1 mask -> ((batch, frames, d), frame mask)."""
        from transformers.masking_utils import create_bidirectional_mask

        with torch.no_grad():
            hidden = self.audio_encoder(
                input_values=input_values, attention_mask=attention_mask
            ).last_hidden_state
            frame_mask = self.audio_encoder._get_feature_vector_attention_mask(
                hidden.shape[1], attention_mask
            )
        keep = frame_mask.unsqueeze(-1).to(hidden.dtype)
        features = hidden * keep
        mask = create_bidirectional_mask(
            config=self.config, inputs_embeds=features, attention_mask=frame_mask
        )
        for layer in self.audio_alignment_layer:
            features = _layer_output(layer(features, attention_mask=mask))
        return features * keep, frame_mask


def default_image_processor(vision_config, folder: str | Path | None = None):
    """CLIP's image preprocessing, built locally: from the folder's preprocessor_config.json
    when there is one, else from clip-vit-large-patch14's values (shortest edge and centre
    crop at the tower's image size, bicubic, OpenAI CLIP mean/std). The torchvision
    backend is used when installed (the reference uses CLIPImageProcessorFast), else PIL."""
    import json

    try:
        import torchvision  # noqa: F401
        from transformers import CLIPImageProcessor as Processor
    except ImportError:
        from transformers import CLIPImageProcessorPil as Processor
    size = vision_config.image_size
    values: dict[str, Any] = {
        "do_resize": True,
        "size": {"shortest_edge": size},
        "resample": 3,
        "do_center_crop": True,
        "crop_size": {"height": size, "width": size},
        "do_rescale": True,
        "rescale_factor": 1 / 255,
        "do_normalize": True,
        "image_mean": [0.48145466, 0.4578275, 0.40821073],
        "image_std": [0.26862954, 0.26130258, 0.27577711],
        "do_convert_rgb": True,
    }
    if folder is not None and (Path(folder) / "preprocessor_config.json").is_file():
        saved = json.loads((Path(folder) / "preprocessor_config.json").read_text(encoding="utf-8"))
        values.update({k: v for k, v in saved.items() if k in values})
    return Processor(**values)


def default_feature_extractor(folder: str | Path | None = None):
    """HuBERT's waveform normalisation (Wav2Vec2FeatureExtractor), built locally: from the
    folder's preprocessor_config.json when there is one, else zero-mean unit-variance per
    clip over its unpadded samples (chinese-hubert-large's setting). The attention mask
    is always returned: the AECB needs it."""
    import json

    from transformers import Wav2Vec2FeatureExtractor

    values: dict[str, Any] = {
        "feature_size": 1,
        "sampling_rate": 16_000,
        "padding_value": 0.0,
        "do_normalize": True,
        "return_attention_mask": True,
    }
    if folder is not None and (Path(folder) / "preprocessor_config.json").is_file():
        saved = json.loads((Path(folder) / "preprocessor_config.json").read_text(encoding="utf-8"))
        values.update({k: v for k, v in saved.items() if k in ("do_normalize", "padding_value")})
    return Wav2Vec2FeatureExtractor(**values)


class XEmoGPT(nn.Module):
    """The model. Build it from configs (random weights; tests, benchmarks) or with
    :meth:`from_pretrained` (local folders + the released checkpoint).

    Args:
        config: the configuration (nested model configs or local folders).
        tokenizer: the LLM's tokenizer (needs a pad token: its embedding is the BOS).
        llm, clip, hubert: pretrained modules to use instead of random ones.
        image_processor, feature_extractor: default: built locally, see
            :func:`default_image_processor` and :func:`default_feature_extractor`.
        base_generation_config: the LLM folder's generation config, if any.

    Example:
        >>> model = XEmoGPT(config, tokenizer=tokenizer)
        >>> model.generate([Sample(subtitle="I passed!", frames=frames, audio=wave)])
        ["In the video, ..."]
    """

    def __init__(
        self,
        config: XEmoGPTConfig,
        *,
        tokenizer,
        llm: nn.Module | None = None,
        clip: nn.Module | None = None,
        hubert: nn.Module | None = None,
        image_processor=None,
        feature_extractor=None,
        base_generation_config=None,
    ):
        super().__init__()
        from peft import LoraConfig, get_peft_model
        from transformers import Qwen3ForCausalLM

        config = config.resolved()
        self.config = config
        if tokenizer.pad_token_id is None:
            raise ValueError(
                "the LLM tokenizer has no pad token; XEmoGPT uses its embedding as the BOS"
            )
        self.tokenizer = tokenizer
        if llm is None:
            llm = Qwen3ForCausalLM(_with_attn(config.llm, config.attn_implementation))
        self.base_generation_config = base_generation_config or getattr(
            llm, "generation_config", None
        )
        lora = config.lora
        self.llm_model = get_peft_model(
            llm,
            LoraConfig(
                r=lora.r,
                lora_alpha=lora.alpha,
                target_modules=list(lora.target_modules),
                lora_dropout=lora.dropout,
                bias="none",
                task_type="CAUSAL_LM",
            ),
        )
        llm_width = self.llm_model.get_input_embeddings().embedding_dim

        self.visual_encoder = VisualEncoder(
            config.clip,
            num_frames=config.num_frames,
            num_layers=config.vecb_layers,
            attn_implementation=config.attn_implementation,
            clip=clip,
        )
        self.visual_llm_project = nn.Linear(config.clip.hidden_size, llm_width)
        self.audio_encoder = AudioEncoder(
            config.hubert,
            num_layers=config.aecb_layers,
            attn_implementation=config.attn_implementation,
            hubert=hubert,
        )
        self.audio_llm_project = nn.Linear(config.hubert.hidden_size, llm_width)
        self.image_processor = image_processor or default_image_processor(config.clip)
        self.feature_extractor = feature_extractor or default_feature_extractor()

    # -- plumbing -----------------------------------------------------------------------
    @property
    def device(self) -> torch.device:
        return self.visual_llm_project.weight.device

    @property
    def dtype(self) -> torch.dtype:
        return self.visual_llm_project.weight.dtype

    def train(self, mode: bool = True) -> XEmoGPT:
        super().train(mode)
        # the frozen encoders never train (HuBERT would otherwise apply SpecAugment masking)
        self.visual_encoder.clip.eval()
        self.audio_encoder.audio_encoder.eval()
        return self

    def embed_tokens(self, token_ids: torch.Tensor) -> torch.Tensor:
        return self.llm_model.get_input_embeddings()(token_ids)

    def trained_state_dict(self) -> dict[str, torch.Tensor]:
        """The parameters XEmoGPT trains (what the released checkpoint must hold)."""
        return {k: v for k, v in self.state_dict().items() if is_trained_key(k)}

    def merge_lora(self) -> None:
        """Fold LoRA into the q/k/v weights for faster decoding (serving only: afterwards
        the state_dict no longer has the released layout)."""
        self.llm_model = self.llm_model.merge_and_unload()

    # -- encoders -----------------------------------------------------------------------
    def encode_frames(self, frames: Sequence[Sequence[Any] | None]) -> list[torch.Tensor | None]:
        """Per clip: (frames, llm width) video tokens, or None when the clip has no frames."""
        present = [i for i, f in enumerate(frames) if f is not None]
        out: list[torch.Tensor | None] = [None] * len(frames)
        if not present:
            return out
        counts = {len(frames[i]) for i in present}
        if len(counts) != 1 or 0 in counts:
            raise ValueError(
                f"every clip needs the same, non-zero number of frames; got {sorted(counts)}"
            )
        images = [image for i in present for image in frames[i]]
        pixels = self.image_processor(images=images, return_tensors="pt")["pixel_values"]
        pixels = pixels.to(self.device, self.dtype).reshape(
            len(present), counts.pop(), *pixels.shape[1:]
        )
        tokens = self.visual_llm_project(self.visual_encoder(pixels))
        for row, i in enumerate(present):
            out[i] = tokens[row]
        return out

    def encode_audio(self, audio: Sequence[np.ndarray | None]) -> list[torch.Tensor | None]:
        """Per clip: (frames, llm width) audio tokens (padding dropped), or None."""
        present = [i for i, a in enumerate(audio) if a is not None]
        out: list[torch.Tensor | None] = [None] * len(audio)
        if not present:
            return out
        limit = int(round(self.config.audio_seconds * self.config.sample_rate))
        waves = [np.asarray(audio[i], dtype=np.float32).reshape(-1)[:limit] for i in present]
        inputs = self.feature_extractor(
            waves,
            sampling_rate=self.config.sample_rate,
            padding=True,
            return_attention_mask=True,
            return_tensors="pt",
        )
        values = inputs["input_values"].to(self.device, self.dtype)
        mask = inputs["attention_mask"].to(self.device)
        features, frame_mask = self.audio_encoder(values, mask)
        tokens = self.audio_llm_project(features)
        for row, i in enumerate(present):
            out[i] = tokens[row][frame_mask[row].bool()]
        return out

    # -- prompt -------------------------------------------------------------------------
    def prompt_for(self, sample: Sample) -> str:
        return build_prompt(
            subtitle=sample.subtitle or "",
            has_audio=sample.audio is not None,
            has_video=sample.frames is not None,
            instruction=self.config.instruction,
        )

    def _token_ids(self, text: str) -> list[int]:
        return list(self.tokenizer(text, add_special_tokens=False)["input_ids"])

    def _wrap_one(self, prompt: str, audio: torch.Tensor | None, video: torch.Tensor | None):
        pieces: list[torch.Tensor] = []
        parts: list[tuple[str, int, int, list[int] | None]] = []
        position = 0
        for piece in split_prompt(prompt):
            if piece in (AUDIO_PLACEHOLDER, VIDEO_PLACEHOLDER):
                kind, tokens = ("audio", audio) if piece == AUDIO_PLACEHOLDER else ("video", video)
                if tokens is None:
                    raise ValueError(
                        f"the prompt has {piece} but the clip has no {kind} embeddings"
                    )
                pieces.append(tokens.to(self.dtype))
                parts.append((kind, position, position + tokens.shape[0], None))
                position += tokens.shape[0]
                continue
            ids = self._token_ids(piece)
            if not ids:
                continue
            pieces.append(self.embed_tokens(torch.tensor(ids, device=self.device)))
            parts.append(("text", position, position + len(ids), ids))
            position += len(ids)
        embeds = torch.cat(pieces, dim=0)
        truncated = embeds.shape[0] > self.config.max_length
        if truncated:
            cut = self.config.max_length
            embeds = embeds[:cut]
            parts = [
                (k, s, min(e, cut), None if ids is None else ids[: max(0, min(e, cut) - s)])
                for k, s, e, ids in parts
                if s < cut
            ]
        # the BOS (the pad token's embedding) goes in front after the cut, as in the reference
        pad_id = self.tokenizer.pad_token_id
        bos = self.embed_tokens(torch.tensor([pad_id], device=self.device))
        parts = [("bos", 0, 1, [pad_id])] + [(k, s + 1, e + 1, ids) for k, s, e, ids in parts]
        embeds = torch.cat([bos, embeds], dim=0)
        return embeds, PromptLayout(parts=parts, length=embeds.shape[0], truncated=truncated)

    def wrap(
        self, samples: Sequence[Sample], *, padding_side: str = "left", with_targets: bool = False
    ) -> Wrapped:
        """Encode the media and build the padded ``inputs_embeds`` batch.

        Args:
            samples: the clips.
            padding_side: "left" for generation, "right" for training.
            with_targets: append each sample's target (+ EOS) and return labels that are
                -100 on the prompt and the padding.
        """
        if not samples:
            raise ValueError("no samples")
        if padding_side not in ("left", "right"):
            raise ValueError(f"padding_side must be 'left' or 'right', not {padding_side!r}")
        audio = self.encode_audio([s.audio for s in samples])
        video = self.encode_frames([s.frames for s in samples])
        rows, layouts, targets, prompts = [], [], [], []
        eos = self.tokenizer.eos_token_id
        for sample, a, v in zip(samples, audio, video, strict=True):
            prompt = self.prompt_for(sample)
            embeds, layout = self._wrap_one(prompt, a, v)
            target_ids: list[int] = []
            if with_targets:
                if sample.target is None:
                    raise ValueError("training needs a target description for every sample")
                target_ids = self._token_ids(sample.target) + ([eos] if eos is not None else [])
                embeds = torch.cat(
                    [embeds, self.embed_tokens(torch.tensor(target_ids, device=self.device))]
                )
            rows.append(embeds)
            layouts.append(layout)
            targets.append(target_ids)
            prompts.append(prompt)
        width = max(r.shape[0] for r in rows)
        pad = self.embed_tokens(torch.tensor([self.tokenizer.pad_token_id], device=self.device))[0]
        batch = pad.expand(len(rows), width, -1).clone()
        attention = torch.zeros(len(rows), width, dtype=torch.long, device=self.device)
        labels = (
            torch.full((len(rows), width), -100, dtype=torch.long, device=self.device)
            if with_targets
            else None
        )
        for i, (row, layout) in enumerate(zip(rows, layouts, strict=True)):
            offset = width - row.shape[0] if padding_side == "left" else 0
            batch[i, offset : offset + row.shape[0]] = row
            attention[i, offset : offset + row.shape[0]] = 1
            layout.offset = offset
            if labels is not None and targets[i]:
                start = offset + layout.length
                labels[i, start : start + len(targets[i])] = torch.tensor(
                    targets[i], device=self.device
                )
        return Wrapped(batch, attention, layouts, labels, prompts)

    # -- training and generation --------------------------------------------------------
    def forward(self, samples: Sequence[Sample]):
        """The training loss (mean token cross-entropy over the targets); returns the LLM's
        output, whose ``loss`` to backpropagate."""
        wrapped = self.wrap(samples, padding_side="right", with_targets=True)
        return self.llm_model(
            inputs_embeds=wrapped.inputs_embeds,
            attention_mask=wrapped.attention_mask,
            labels=wrapped.labels,
            return_dict=True,
        )

    def generation_config(self, settings: GenerationSettings | None = None, **overrides: Any):
        """The LLM folder's generation config with the XEmoGPT settings on top."""
        from transformers import GenerationConfig

        settings = settings or self.config.generation
        base = self.base_generation_config
        config = copy.deepcopy(base) if base is not None else GenerationConfig()
        values = dict(
            num_beams=settings.num_beams,
            do_sample=settings.do_sample,
            temperature=settings.temperature,
            top_p=settings.top_p,
            repetition_penalty=settings.repetition_penalty,
            max_new_tokens=settings.max_new_tokens,
            max_length=None,
            pad_token_id=self.tokenizer.pad_token_id,
            bos_token_id=None,
        )
        if settings.top_k is not None:
            values["top_k"] = settings.top_k
        if not settings.do_sample:  # greedy or plain beam search: sampling knobs do not apply
            values.update(temperature=None, top_p=None, top_k=None)
        if getattr(config, "eos_token_id", None) is None:
            values["eos_token_id"] = self.tokenizer.eos_token_id
        values.update(overrides)
        config.update(**values)
        return config

    @torch.no_grad()
    def generate(
        self,
        samples: Sequence[Sample],
        *,
        settings: GenerationSettings | None = None,
        **overrides: Any,
    ) -> list[str]:
        """One description per sample (batched, left padded).

        Args:
            samples: the clips.
            settings: decoding settings (default: the config's, the paper's defaults).
            **overrides: GenerationConfig fields to change for this call.
        """
        wrapped = self.wrap(samples, padding_side="left")
        output = self.llm_model.generate(
            inputs_embeds=wrapped.inputs_embeds,
            attention_mask=wrapped.attention_mask,
            generation_config=self.generation_config(settings, **overrides),
        )
        return [self.tokenizer.decode(ids, skip_special_tokens=True).strip() for ids in output]

    # -- loading ------------------------------------------------------------------------
    @classmethod
    def from_pretrained(
        cls,
        *,
        llm_path: str | Path,
        clip_path: str | Path,
        hubert_path: str | Path,
        checkpoint_path: str | Path,
        device: str | torch.device = "cpu",
        dtype: torch.dtype | None = None,
        config: XEmoGPTConfig | None = None,
        trust_checkpoint_pickle: bool = False,
        **config_changes: Any,
    ) -> XEmoGPT:
        """Load XEmoGPT from local folders and the released checkpoint; never downloads.

        Args:
            llm_path, clip_path, hubert_path: local Qwen3, CLIP (or CLIP vision) and HuBERT
                folders (save_pretrained layout).
            checkpoint_path: the released torch file with a ``state_dict``.
            device, dtype: where and in what precision to run (default float32).
            config: settings other than the model configs (those come from the folders).
            trust_checkpoint_pickle: allow a checkpoint that a weights-only unpickler
                refuses (arbitrary pickled objects: only for files you trust).
            **config_changes: XEmoGPTConfig fields to change (e.g. ``max_length``).

        Returns:
            The model in eval mode; ``model.load_report`` says what the checkpoint held.

        Raises:
            WeightsPathError: a path is absent or is not what it should be.
            CheckpointError: the checkpoint lacks a trained key, or a shape disagrees.
        """
        from dataclasses import replace

        from transformers import AutoTokenizer, CLIPVisionModel, HubertModel, Qwen3ForCausalLM

        from .checkpoint import check_model_folder, load_checkpoint_into, read_checkpoint

        llm_path = check_model_folder("llm_path", llm_path, "Qwen3 LLM", need_tokenizer=True)
        clip_path = check_model_folder("clip_path", clip_path, "CLIP")
        hubert_path = check_model_folder("hubert_path", hubert_path, "HuBERT")
        state = read_checkpoint(checkpoint_path, trust_pickle=trust_checkpoint_pickle)
        base = config or XEmoGPTConfig(llm=llm_path, clip=clip_path, hubert=hubert_path)
        config = replace(
            base, llm=llm_path, clip=clip_path, hubert=hubert_path, **config_changes
        ).resolved()
        dtype = dtype or torch.float32
        common = dict(
            local_files_only=True, dtype=dtype, attn_implementation=config.attn_implementation
        )
        with quiet_transformers():
            tokenizer = AutoTokenizer.from_pretrained(str(llm_path), local_files_only=True)
            llm = Qwen3ForCausalLM.from_pretrained(str(llm_path), **common)
            clip = CLIPVisionModel.from_pretrained(str(clip_path), **common)
            hubert = HubertModel.from_pretrained(str(hubert_path), **common)
            model = cls(
                config,
                tokenizer=tokenizer,
                llm=llm,
                clip=clip,
                hubert=hubert,
                image_processor=default_image_processor(config.clip, clip_path),
                feature_extractor=default_feature_extractor(hubert_path),
            )
        model.to(device=device, dtype=dtype)
        model.load_report = load_checkpoint_into(model, state, source=Path(checkpoint_path))
        model.eval()
        return model
