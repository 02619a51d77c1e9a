"""XEmoGPT (arXiv 2602.05496) in EmoCue Studio: the model, its loader and its proposer.

    from inference.xemogpt import XEmoGPT, XEmoGPTConfig, XEmoGPTProposer, write_tiny_weights

Importing this package is cheap (torch and transformers load on first use of a name) and
registers the proposer under "xemogpt".
"""

from __future__ import annotations

import importlib
from typing import Any

from inference.proposers.base import register_proposer

register_proposer("xemogpt", "inference.xemogpt.proposer:XEmoGPTProposer")

_EXPORTS = {
    "XEmoGPT": "model",
    "Sample": "model",
    "PromptLayout": "model",
    "Wrapped": "model",
    "XEmoGPTConfig": "config",
    "LoraSettings": "config",
    "GenerationSettings": "config",
    "build_prompt": "prompt",
    "DEFAULT_INSTRUCTION": "prompt",
    "CheckpointError": "checkpoint",
    "WeightsPathError": "checkpoint",
    "LoadReport": "checkpoint",
    "read_checkpoint": "checkpoint",
    "save_checkpoint": "checkpoint",
    "load_checkpoint_into": "checkpoint",
    "XEmoGPTProposer": "proposer",
    "XEmoGPTUnavailable": "proposer",
    "write_tiny_weights": "tiny",
    "tiny_config": "tiny",
    "tiny_tokenizer": "tiny",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(f"{__name__}.{_EXPORTS[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
