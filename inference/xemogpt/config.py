"""XEmoGPT's configuration: the sizes, the bridges, LoRA and generation, as data.

Every model part is built from a Hugging Face config (or the config.json in a local model
folder), so the same classes run full size on a GPU and tiny on the CPU in tests.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from .prompt import DEFAULT_INSTRUCTION

__all__ = ["GenerationSettings", "LoraSettings", "XEmoGPTConfig", "load_hf_config"]


@dataclass(frozen=True)
class LoraSettings:
    """peft LoRA on the LLM (reference: r=512, alpha=512, dropout 0.05 on q/k/v)."""

    r: int = 512
    alpha: int = 512
    dropout: float = 0.05
    target_modules: tuple[str, ...] = ("q_proj", "k_proj", "v_proj")

    def __post_init__(self) -> None:
        if self.r <= 0:
            raise ValueError(
                f"lora r must be positive (the released checkpoint has LoRA), not {self.r}"
            )
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"lora dropout must lie in [0, 1), not {self.dropout}")
        if not self.target_modules:
            raise ValueError("lora target_modules must name at least one module")
        object.__setattr__(self, "target_modules", tuple(self.target_modules))


@dataclass(frozen=True)
class GenerationSettings:
    """Decoding settings (reference defaults). ``top_k=None`` keeps what the LLM folder's
    generation_config.json says (Qwen3-4B ships top_k=20, which the reference inherits)."""

    num_beams: int = 5
    do_sample: bool = True
    temperature: float = 0.3
    top_p: float = 0.9
    top_k: int | None = None
    repetition_penalty: float = 1.0
    max_new_tokens: int = 756

    def __post_init__(self) -> None:
        if self.num_beams < 1:
            raise ValueError(f"num_beams must be at least 1, not {self.num_beams}")
        if self.max_new_tokens < 1:
            raise ValueError(f"max_new_tokens must be at least 1, not {self.max_new_tokens}")
        if self.do_sample and self.temperature <= 0:
            raise ValueError(f"temperature must be positive when sampling, not {self.temperature}")
        if not 0.0 < self.top_p <= 1.0:
            raise ValueError(f"top_p must lie in (0, 1], not {self.top_p}")
        if self.repetition_penalty <= 0:
            raise ValueError(f"repetition_penalty must be positive, not {self.repetition_penalty}")


def load_hf_config(kind: str, value: Any):
    """A transformers config from a config object, a dict, or a local model folder.

    Args:
        kind: "llm" (Qwen3), "clip" (CLIP or CLIP vision) or "hubert".
        value: the config, its dict, or a local folder holding config.json.

    Raises:
        ValueError: the folder or its config.json does not exist, or is of another model.
    """
    from transformers import (
        CLIPConfig,
        CLIPVisionConfig,
        HubertConfig,
        PretrainedConfig,
        Qwen3Config,
    )

    if isinstance(value, PretrainedConfig):
        config = value
    else:
        if isinstance(value, (str, Path)):
            path = Path(value)
            file = path / "config.json" if path.is_dir() else path
            if not path.exists():
                raise ValueError(f"{kind} path {str(path)!r} does not exist")
            if not file.is_file():
                raise ValueError(f"{kind} path {str(path)!r} has no config.json")
            try:
                value = json.loads(file.read_text(encoding="utf-8"))
            except (OSError, json.JSONDecodeError) as error:
                raise ValueError(f"{kind} config {str(file)!r} cannot be read: {error}") from None
        if not isinstance(value, dict):
            raise ValueError(
                f"{kind} config must be a config, a dict or a folder, not {type(value).__name__}"
            )
        value = dict(value)
        model_type = value.get("model_type")
        if kind == "llm":
            if model_type not in (None, "qwen3"):
                raise ValueError(f"llm config is {model_type!r}; XEmoGPT uses a Qwen3 LLM")
            config = Qwen3Config(**value)
        elif kind == "clip":
            if model_type == "clip":
                config = CLIPConfig(**value).vision_config
            elif model_type in (None, "clip_vision_model"):
                config = CLIPVisionConfig(**value)
            else:
                raise ValueError(f"clip config is {model_type!r}; XEmoGPT uses CLIP's vision tower")
        elif kind == "hubert":
            if model_type not in (None, "hubert"):
                raise ValueError(f"hubert config is {model_type!r}; XEmoGPT uses HuBERT")
            config = HubertConfig(**value)
        else:
            raise ValueError(f"unknown config kind {kind!r}")
    if kind == "clip" and getattr(config, "model_type", None) == "clip":
        config = config.vision_config
    return config


def _config_dict(config) -> dict:
    data = config.to_diff_dict() if hasattr(config, "to_diff_dict") else dict(config)
    data["model_type"] = getattr(config, "model_type", data.get("model_type"))
    for key in (
        "transformers_version",
        "_name_or_path",
        "dtype",
        "torch_dtype",
        "architectures",
        "_attn_implementation_autoset",
    ):
        data.pop(key, None)
    return data


@dataclass(frozen=True)
class XEmoGPTConfig:
    """Everything that decides XEmoGPT's outputs, other than the weights.

    Attributes:
        llm, clip, hubert: the Qwen3, CLIP (vision) and HuBERT configs, or local folders
            whose config.json to read (read by :meth:`resolved`).
        num_frames: frames sampled uniformly over the clip (16; also the length of the
            VECB positional embedding).
        audio_seconds, sample_rate: the audio the model hears: the first 12 s at 16 kHz.
        vecb_layers, aecb_layers: CLIP encoder layers in the video bridge, HuBERT encoder
            layers in the audio bridge (2 each).
        max_length: the wrapped prompt is cut at this many positions (2048); the BOS
            position is added after the cut, as in the reference.
        lora: LoRA settings; generation: decoding defaults.
        instruction: the question put to the model.
        attn_implementation: "sdpa" or "eager" for the LLM and the bridges.
    """

    llm: Any
    clip: Any
    hubert: Any
    num_frames: int = 16
    audio_seconds: float = 12.0
    sample_rate: int = 16_000
    vecb_layers: int = 2
    aecb_layers: int = 2
    max_length: int = 2048
    lora: LoraSettings = field(default_factory=LoraSettings)
    generation: GenerationSettings = field(default_factory=GenerationSettings)
    instruction: str = DEFAULT_INSTRUCTION
    attn_implementation: str = "sdpa"

    def __post_init__(self) -> None:
        if self.num_frames < 1:
            raise ValueError(f"num_frames must be at least 1, not {self.num_frames}")
        if self.audio_seconds <= 0:
            raise ValueError(f"audio_seconds must be positive, not {self.audio_seconds}")
        if self.sample_rate != 16_000:
            raise ValueError("HuBERT hears 16 kHz audio; sample_rate must be 16000")
        if self.vecb_layers < 0 or self.aecb_layers < 0:
            raise ValueError("vecb_layers and aecb_layers cannot be negative")
        if self.max_length < 8:
            raise ValueError(f"max_length must be at least 8, not {self.max_length}")
        if self.attn_implementation not in ("sdpa", "eager"):
            raise ValueError(
                f"attn_implementation must be 'sdpa' or 'eager', not {self.attn_implementation!r}"
            )
        if isinstance(self.lora, dict):
            object.__setattr__(self, "lora", LoraSettings(**self.lora))
        if isinstance(self.generation, dict):
            object.__setattr__(self, "generation", GenerationSettings(**self.generation))

    def resolved(self) -> XEmoGPTConfig:
        """The same config with llm/clip/hubert read into transformers config objects."""
        return replace(
            self,
            llm=load_hf_config("llm", self.llm),
            clip=load_hf_config("clip", self.clip),
            hubert=load_hf_config("hubert", self.hubert),
        )

    def with_generation(self, **changes: Any) -> XEmoGPTConfig:
        return replace(self, generation=replace(self.generation, **changes))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, with the nested model configs as dicts."""
        resolved = self.resolved()
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(resolved, f.name)
            if f.name in ("llm", "clip", "hubert"):
                value = _config_dict(value)
            elif f.name in ("lora", "generation"):
                value = asdict(value)
            out[f.name] = value
        return out

    def fingerprint(self) -> str:
        """sha256 (first 12 hex digits) of :meth:`to_dict`: changes whenever outputs could."""
        text = json.dumps(self.to_dict(), sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:12]
