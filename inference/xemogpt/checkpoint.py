"""The released checkpoint: read it, map its keys onto the model, report, and write it back.

The reference (W11H08Z/XEmoGPT) loads ``torch.load(ckpt)["state_dict"]`` into its XEmoGPT
module with ``strict=False``, so its keys are that module's parameter names. Its modules
hold a few parts XEmoGPT never uses at inference (the whole CLIPModel with its text tower;
the heads of the encoders' contrastive pre-training); keys of those parts are reported as
``unused``, not as errors. Anything else that matches nothing is ``unexpected``.
"""

from __future__ import annotations

import hashlib
import pickle
import zipfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch

from .model import is_trained_key

__all__ = [
    "CheckpointError",
    "LoadReport",
    "WeightsPathError",
    "check_model_folder",
    "load_checkpoint_into",
    "read_checkpoint",
    "save_checkpoint",
    "sha256_file",
]

# Parts of the reference modules that inference does not use.
UNUSED_PREFIXES = (
    "visual_encoder.clip.text_model.",
    "visual_encoder.clip.text_projection.",
    "visual_encoder.clip.visual_projection.",
    "visual_encoder.clip.logit_scale",
    "visual_encoder.visual_project.",
    "visual_encoder.text_project.",
    "visual_encoder.attention_pooling.",
    "visual_encoder.temporal_disc_head.",
    "visual_encoder.frame_reconstructor.",
    "audio_encoder.audio_project.",
)
# What a checkpoint saved from a wrapper (Lightning module, DDP) puts in front of the names.
WRAPPER_PREFIXES = ("model.", "module.", "_orig_mod.")
MODEL_ROOTS = (
    "llm_model.",
    "visual_encoder.",
    "visual_llm_project.",
    "audio_encoder.",
    "audio_llm_project.",
)


class WeightsPathError(ValueError):
    """A configured weights path is absent or is not what it should be; names the option."""


class CheckpointError(ValueError):
    """The checkpoint cannot serve: a trained key is missing, or a shape disagrees."""


def sha256_file(path: str | Path, *, chunk_size: int = 1 << 22) -> str:
    digest = hashlib.sha256()
    with Path(path).open("rb") as fh:
        for block in iter(lambda: fh.read(chunk_size), b""):
            digest.update(block)
    return digest.hexdigest()


def check_model_folder(
    option: str, path: str | Path | None, what: str, *, need_tokenizer: bool = False
) -> Path:
    """A local model folder (config.json + weights), or a WeightsPathError naming ``option``."""
    if path is None or str(path).strip() == "":
        raise WeightsPathError(f"{option} is not set: give the local {what} folder")
    folder = Path(path).expanduser()
    if not folder.exists():
        raise WeightsPathError(
            f"{option} {str(folder)!r} does not exist (expected the local {what} folder)"
        )
    if not folder.is_dir():
        raise WeightsPathError(
            f"{option} {str(folder)!r} is a file; expected the local {what} folder"
        )
    if not (folder / "config.json").is_file():
        raise WeightsPathError(
            f"{option} {str(folder)!r} has no config.json; is it the {what} folder?"
        )
    weights = [
        *folder.glob("*.safetensors"),
        *folder.glob("pytorch_model*.bin"),
        *folder.glob("*.safetensors.index.json"),
    ]
    if not weights:
        raise WeightsPathError(
            f"{option} {str(folder)!r} has no weights (*.safetensors or pytorch_model*.bin)"
        )
    if need_tokenizer and not any(
        (folder / name).is_file()
        for name in ("tokenizer.json", "vocab.json", "tokenizer_config.json")
    ):
        raise WeightsPathError(f"{option} {str(folder)!r} has no tokenizer files (tokenizer.json)")
    return folder


def _last_line(error: Exception) -> str:
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    useful = [line for line in lines if "error" in line.lower() or "unsupported" in line.lower()]
    return (useful or lines or [type(error).__name__])[-1][:200]


def read_checkpoint(
    path: str | Path | None, *, trust_pickle: bool = False
) -> dict[str, torch.Tensor]:
    """The ``state_dict`` of a released checkpoint file, tensors on the CPU.

    Args:
        path: the torch file (``{"state_dict": {...}}``; a bare state dict is accepted too).
        trust_pickle: unpickle arbitrary objects (a Lightning checkpoint's hyper-parameters
            may need it); only for files you trust.

    Raises:
        WeightsPathError: no such file, not a torch file, or no state_dict in it.
    """
    if path is None or str(path).strip() == "":
        raise WeightsPathError(
            "checkpoint_path is not set: give the released XEmoGPT checkpoint file"
        )
    file = Path(path).expanduser()
    if not file.exists():
        raise WeightsPathError(f"checkpoint_path {str(file)!r} does not exist")
    if not file.is_file():
        raise WeightsPathError(
            f"checkpoint_path {str(file)!r} is a folder; expected the checkpoint file"
        )
    with file.open("rb") as fh:
        head = fh.read(4)
    if not (
        zipfile.is_zipfile(file) or head[:1] == b"\x80"
    ):  # torch's zip format, or a legacy pickle
        raise WeightsPathError(
            f"checkpoint_path {str(file)!r} is not a readable torch checkpoint "
            "(neither torch's zip format nor a pickle)"
        )
    try:
        try:
            data = torch.load(file, map_location="cpu", weights_only=not trust_pickle, mmap=True)
        except RuntimeError as error:  # mmap needs the zip format; old-format files load without it
            if "mmap" not in str(error):
                raise
            data = torch.load(file, map_location="cpu", weights_only=not trust_pickle)
    except pickle.UnpicklingError as error:
        raise WeightsPathError(
            f"checkpoint_path {str(file)!r} holds objects a weights-only load refuses "
            f"({_last_line(error)}); "
            "if you trust the file, set trust_checkpoint_pickle=True"
        ) from None
    except Exception as error:  # noqa: BLE001 - any failure here means "not a torch checkpoint"
        raise WeightsPathError(
            f"checkpoint_path {str(file)!r} is not a readable torch checkpoint: "
            f"{type(error).__name__}: {error}"
        ) from None
    if isinstance(data, dict) and isinstance(data.get("state_dict"), dict):
        data = data["state_dict"]
    elif not (
        isinstance(data, dict) and data and all(isinstance(v, torch.Tensor) for v in data.values())
    ):
        keys = sorted(data)[:8] if isinstance(data, dict) else type(data).__name__
        raise WeightsPathError(f"checkpoint_path {str(file)!r} has no 'state_dict' (found: {keys})")
    return {str(k): v for k, v in data.items() if isinstance(v, torch.Tensor)}


@dataclass
class LoadReport:
    """What loading a checkpoint did.

    Attributes:
        source, sha256: the file and its digest (empty when loaded from memory).
        prefix_stripped: a wrapper prefix ("model.") removed from every key, if any.
        loaded: how many tensors were copied into the model.
        trained_loaded: how many of them are trained parts (bridges, projections, LoRA).
        missing_trained: trained keys the checkpoint lacks (loading refuses when any).
        missing_frozen: how many frozen keys it lacks (taken from the CLIP/HuBERT/LLM folders).
        unexpected: keys that match nothing in the model.
        unused: keys of reference parts inference does not use (CLIP text tower, heads).
    """

    source: str = ""
    sha256: str = ""
    prefix_stripped: str = ""
    loaded: int = 0
    trained_loaded: int = 0
    missing_trained: list[str] = field(default_factory=list)
    missing_frozen: int = 0
    unexpected: list[str] = field(default_factory=list)
    unused: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    def summary(self) -> str:
        return (
            f"{self.loaded} tensors loaded ({self.trained_loaded} trained), "
            f"{len(self.missing_trained)} trained missing, {self.missing_frozen} frozen from the "
            f"base folders, {len(self.unexpected)} unexpected, {len(self.unused)} unused"
        )


def _strip_wrapper(keys: list[str]) -> str:
    if any(k.startswith(MODEL_ROOTS) for k in keys):
        return ""
    for prefix in WRAPPER_PREFIXES:
        if keys and all(k.startswith(prefix) for k in keys):
            rest = [k[len(prefix) :] for k in keys]
            return prefix + _strip_wrapper(rest)
    return ""


def map_checkpoint_keys(state: dict[str, torch.Tensor], model_keys: set[str]):
    """(mapped {model key: tensor}, unexpected keys, unused keys, prefix stripped)."""
    prefix = _strip_wrapper(list(state))
    mapped, unexpected, unused = {}, [], []
    for key, tensor in state.items():
        name = key[len(prefix) :]
        if name in model_keys:
            mapped[name] = tensor
        elif name.startswith(UNUSED_PREFIXES):
            unused.append(name)
        else:
            unexpected.append(name)
    return mapped, sorted(unexpected), sorted(unused), prefix


def load_checkpoint_into(
    model,
    state: dict[str, torch.Tensor],
    *,
    source: Path | None = None,
    allow_missing_trained: bool = False,
) -> LoadReport:
    """Copy a checkpoint's tensors into ``model`` by the reference names and report.

    Frozen parts (CLIP, HuBERT, the LLM's base weights) may be absent: they come from their
    folders. Every trained part must be present.

    Raises:
        CheckpointError: trained keys missing (named, first ten) or a shape mismatch.
    """
    own = model.state_dict()
    mapped, unexpected, unused, prefix = map_checkpoint_keys(state, set(own))
    missing_trained = sorted(k for k in own if is_trained_key(k) and k not in mapped)
    if missing_trained and not allow_missing_trained:
        shown = ", ".join(missing_trained[:10]) + (" ..." if len(missing_trained) > 10 else "")
        hint = f" (the file's first keys: {', '.join(sorted(state)[:3])})" if not mapped else ""
        raise CheckpointError(
            f"checkpoint {str(source) if source else '(in memory)'} lacks "
            f"{len(missing_trained)} trained parameter(s) XEmoGPT needs: {shown}{hint}; "
            "refusing to serve with untrained parts"
        )
    bad = [
        (k, tuple(v.shape), tuple(own[k].shape))
        for k, v in mapped.items()
        if v.shape != own[k].shape
    ]
    if bad:
        shown = "; ".join(f"{k}: checkpoint {a} vs model {b}" for k, a, b in bad[:5])
        raise CheckpointError(f"checkpoint shapes disagree with the configured model: {shown}")
    with torch.no_grad():
        for key, tensor in mapped.items():
            own[key].copy_(tensor.to(own[key].dtype))
    return LoadReport(
        source=str(source) if source else "",
        sha256=sha256_file(source) if source else "",
        prefix_stripped=prefix,
        loaded=len(mapped),
        trained_loaded=sum(1 for k in mapped if is_trained_key(k)),
        missing_trained=missing_trained,
        missing_frozen=sum(1 for k in own if not is_trained_key(k) and k not in mapped),
        unexpected=unexpected,
        unused=unused,
    )


def save_checkpoint(model, path: str | Path, *, include_frozen: bool = False) -> Path:
    """Write ``{"state_dict": ...}`` in the released key layout.

    Args:
        model: an XEmoGPT (LoRA not merged).
        path: the file to write.
        include_frozen: also write the frozen CLIP/HuBERT/LLM weights (a full dump, as a
            training framework would); default: only the trained parts.
    """
    state = model.state_dict()
    if not any(".lora_" in k for k in state):
        raise ValueError(
            "the model's LoRA is merged or absent; the released layout needs unmerged LoRA"
        )
    out = {
        k: v.detach().to("cpu").clone()
        for k, v in state.items()
        if include_frozen or is_trained_key(k)
    }
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save({"state_dict": out}, path)
    return path
