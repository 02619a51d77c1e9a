"""The XEmoGPT proposer: clips in, the model's paragraph and time-grounded cues out.

    from inference.proposers import get_proposer
    proposer = get_proposer("xemogpt", llm_path=..., clip_path=..., hubert_path=...,
                            checkpoint_path=...)            # loads once, on CUDA in bf16
    proposals = proposer.propose_batch(clips)             # Proposal or ProposalError each

``XEmoGPTProposer.version`` (read on the class, no model loaded) is "xemogpt-<code
version>"; an instance's version adds "+ckpt.<sha256 prefix of the checkpoint>.cfg.<hash of
the model config and the proposer settings>", so every proposal says which weights and
settings made it (the app accepts an instance version that extends the run's).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import time
from collections.abc import Callable, Sequence
from typing import Any

import torch

from inference.emocue360 import extract_cues
from inference.proposers.base import ClipInput, Proposal, ProposalError, ProposedCue

from .grounding import DEFAULT_THRESHOLD, anchors_from, ground
from .inputs import FRAME_SAMPLINGS, sample_from_clip

__all__ = ["CODE_VERSION", "XEmoGPTProposer", "XEmoGPTUnavailable"]

# Bump whenever proposals could change for the same weights and settings.
CODE_VERSION = "1"
ENV_PATHS = {
    "llm_path": "EMOCUE_XEMOGPT_LLM_PATH",
    "clip_path": "EMOCUE_XEMOGPT_CLIP_PATH",
    "hubert_path": "EMOCUE_XEMOGPT_HUBERT_PATH",
    "checkpoint_path": "EMOCUE_XEMOGPT_CHECKPOINT_PATH",
}
GENERATION_OPTIONS = (
    "num_beams",
    "do_sample",
    "temperature",
    "top_p",
    "top_k",
    "repetition_penalty",
    "max_new_tokens",
)
_DTYPES = {
    "bfloat16": torch.bfloat16,
    "bf16": torch.bfloat16,
    "float16": torch.float16,
    "fp16": torch.float16,
    "float32": torch.float32,
    "fp32": torch.float32,
}
_EMOTION_CUE = re.compile(r"^The emotional state is (?P<label>.+?)\.?$", re.IGNORECASE)
_MODALITY_ORDER = {"visual": 0, "auditory": 1, "emotional": 2}
# control characters (NUL included, which PostgreSQL text refuses) and stray replacement marks
_UNPRINTABLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffd]")


def clean_description(text: str) -> str:
    """The generated paragraph without control characters and with runs of spaces joined."""
    return re.sub(r"[ \t]+", " ", _UNPRINTABLE.sub("", text)).strip()


class XEmoGPTUnavailable(ValueError):
    """The proposer cannot be built as configured (device, paths); the message says what to set."""


class _Version:
    """``version`` on the class: the code version; on an instance: code + weights + settings."""

    def __get__(self, instance, owner):
        return owner.class_version if instance is None else instance._version


def _resolve_device(device: str, allow_cpu: bool) -> torch.device:
    kind = torch.device(device).type
    if kind == "cuda" and not torch.cuda.is_available():
        raise XEmoGPTUnavailable(
            "XEmoGPT is set to run on CUDA, but this worker has no usable GPU "
            "(torch.cuda.is_available() is False). Run the gpu-queue worker on a GPU machine, "
            "or set device='cpu' and allow_cpu=True to run it on the CPU "
            "(very slow with the full-size model)."
        )
    if kind == "cpu" and not allow_cpu:
        raise XEmoGPTUnavailable(
            "XEmoGPT on the CPU is refused by default (minutes per clip at full size); set "
            "allow_cpu=True to run it there anyway, e.g. with the tiny test weights."
        )
    if kind not in ("cuda", "cpu"):
        raise XEmoGPTUnavailable(f"device must be 'cuda', 'cuda:N' or 'cpu', not {device!r}")
    return torch.device(device)


def _resolve_dtype(dtype: str | torch.dtype | None, device: torch.device) -> torch.dtype:
    if dtype is None:
        return torch.bfloat16 if device.type == "cuda" else torch.float32
    if isinstance(dtype, torch.dtype):
        return dtype
    try:
        return _DTYPES[str(dtype).lower()]
    except KeyError:
        raise XEmoGPTUnavailable(f"dtype must be one of {sorted(_DTYPES)}, not {dtype!r}") from None


class XEmoGPTProposer:
    """XEmoGPT as a proposer (name "xemogpt"). The model loads once, when built.

    Args:
        llm_path, clip_path, hubert_path: local Qwen3-4B, clip-vit-large-patch14 and
            chinese-hubert-large folders; default: the environment variables
            EMOCUE_XEMOGPT_LLM_PATH, _CLIP_PATH, _HUBERT_PATH.
        checkpoint_path: the released XEmoGPT checkpoint (default: EMOCUE_XEMOGPT_CHECKPOINT_PATH).
        device: "cuda" (default), "cuda:N" or "cpu"; the CPU only with ``allow_cpu=True``.
        dtype: "bfloat16" (default on CUDA), "float16" or "float32" (default on the CPU).
        allow_cpu: allow running on the CPU.
        batch_size: clips per generate call in :meth:`propose_batch`; a batch that runs out
            of GPU memory is retried in halves.
        num_beams, do_sample, temperature, top_p, top_k, repetition_penalty, max_new_tokens:
            decoding; default: the paper's (5 beams, sampling, 0.3, 0.9, the LLM folder's
            top_k, 1.0, 756 new tokens).
        max_length: positions the wrapped prompt is cut at (2048).
        seed: seeds torch before each generate call (None: do not seed).
        use_video, use_audio, use_subtitle: what the model is given.
        frame_sampling: "studio" (the ingested frames) or "reference" (the reference
            loader's linspace indices, decoded from the video).
        grounding: match cues to the signal proposer's timed observations.
        grounding_threshold: the least similarity that grounds a cue (default 0.6).
        observations: where timed observations come from: "signals" (the signal proposer,
            built lazily), "none", or a callable ``clip -> list[ProposedCue]``.
        encoder: a sentence encoder for grounding (``encode(texts) -> array``, ``model_id``);
            default: all-MiniLM-L6-v2 (SentenceTransformerEncoder), built lazily.
        cue_confidence: the confidence given to XEmoGPT's cues (the paragraph has no scores).
        merge_lora: fold LoRA into q/k/v after loading (faster decoding).
        trust_checkpoint_pickle: allow a checkpoint a weights-only load refuses.
        model: an already built XEmoGPT (tests); the paths are then not read.

    Raises:
        XEmoGPTUnavailable: CUDA asked for but absent, the CPU without allow_cpu, a bad option.
        WeightsPathError: a path is unset, absent or wrong (the message names the option).
        CheckpointError: the checkpoint lacks a trained part or has wrong shapes.
    """

    name = "xemogpt"
    class_version = f"xemogpt-{CODE_VERSION}"
    version = _Version()

    def __init__(
        self,
        *,
        llm_path: str | None = None,
        clip_path: str | None = None,
        hubert_path: str | None = None,
        checkpoint_path: str | None = None,
        device: str = "cuda",
        dtype: str | torch.dtype | None = None,
        allow_cpu: bool = False,
        batch_size: int = 8,
        num_beams: int | None = None,
        do_sample: bool | None = None,
        temperature: float | None = None,
        top_p: float | None = None,
        top_k: int | None = None,
        repetition_penalty: float | None = None,
        max_new_tokens: int | None = None,
        max_length: int | None = None,
        seed: int | None = 0,
        use_video: bool = True,
        use_audio: bool = True,
        use_subtitle: bool = True,
        frame_sampling: str = "studio",
        grounding: bool = True,
        grounding_threshold: float = DEFAULT_THRESHOLD,
        observations: str | Callable = "signals",
        encoder: Any = None,
        cue_confidence: float = 0.5,
        merge_lora: bool = False,
        trust_checkpoint_pickle: bool = False,
        model: Any = None,
    ) -> None:
        if batch_size < 1:
            raise XEmoGPTUnavailable(f"batch_size must be at least 1, not {batch_size}")
        if frame_sampling not in FRAME_SAMPLINGS:
            raise XEmoGPTUnavailable(
                f"frame_sampling must be one of {FRAME_SAMPLINGS}, not {frame_sampling!r}"
            )
        if not (observations in ("signals", "none") or callable(observations)):
            raise XEmoGPTUnavailable(
                "observations must be 'signals', 'none' or a callable clip -> cues"
            )
        if not 0.0 <= grounding_threshold <= 1.0:
            raise XEmoGPTUnavailable(
                f"grounding_threshold must lie in [0, 1], not {grounding_threshold}"
            )
        if not 0.0 <= cue_confidence <= 1.0:
            raise XEmoGPTUnavailable(f"cue_confidence must lie in [0, 1], not {cue_confidence}")
        if not (use_video or use_audio or use_subtitle):
            raise XEmoGPTUnavailable("use_video, use_audio and use_subtitle cannot all be False")
        self.device = _resolve_device(device, allow_cpu)
        self.dtype = _resolve_dtype(dtype, self.device)
        self.batch_size = batch_size
        self.seed = seed
        self.use = {"video": use_video, "audio": use_audio, "subtitle": use_subtitle}
        self.frame_sampling = frame_sampling
        self.grounding = grounding
        self.grounding_threshold = grounding_threshold
        self.observations = observations
        self._encoder = encoder
        self._signals = None
        self.cue_confidence = cue_confidence

        from .config import GenerationSettings
        from .model import XEmoGPT

        if model is None:
            paths = {
                "llm_path": llm_path,
                "clip_path": clip_path,
                "hubert_path": hubert_path,
                "checkpoint_path": checkpoint_path,
            }
            paths = {
                k: v if v not in (None, "") else os.environ.get(ENV_PATHS[k])
                for k, v in paths.items()
            }
            changes = {"max_length": max_length} if max_length is not None else {}
            model = XEmoGPT.from_pretrained(
                **paths,
                device=self.device,
                dtype=self.dtype,
                trust_checkpoint_pickle=trust_checkpoint_pickle,
                **changes,
            )
        elif max_length is not None:
            from dataclasses import replace

            model.config = replace(model.config, max_length=max_length)
        chosen = {
            k: v
            for k, v in dict(
                num_beams=num_beams,
                do_sample=do_sample,
                temperature=temperature,
                top_p=top_p,
                top_k=top_k,
                repetition_penalty=repetition_penalty,
                max_new_tokens=max_new_tokens,
            ).items()
            if v is not None
        }
        try:
            self.generation = GenerationSettings(**{**model.config.generation.__dict__, **chosen})
        except ValueError as error:
            raise XEmoGPTUnavailable(str(error)) from None
        self.model = model.eval()
        report = getattr(model, "load_report", None)
        self.checkpoint_sha256 = report.sha256 if report is not None and report.sha256 else ""
        if merge_lora:
            self.model.merge_lora()
        checkpoint = (self.checkpoint_sha256 or "none")[:12]
        self._version = f"{self.class_version}+ckpt.{checkpoint}.cfg.{self.settings_hash()}"

    # -- identity -----------------------------------------------------------------------
    def settings(self) -> dict[str, Any]:
        """Everything besides the weights that decides the proposals (hashed into the version)."""
        encoder = self._encoder
        return {
            "model": self.model.config.to_dict(),
            "generation": dict(self.generation.__dict__),
            "dtype": str(self.dtype).removeprefix("torch."),
            "seed": self.seed,
            "use": self.use,
            "frame_sampling": self.frame_sampling,
            "grounding": self.grounding,
            "grounding_threshold": self.grounding_threshold,
            "observations": self.observations if isinstance(self.observations, str) else "callable",
            "encoder": getattr(encoder, "model_id", "all-MiniLM-L6-v2 (default)")
            if encoder is not None
            else "all-MiniLM-L6-v2 (default)",
            "cue_confidence": self.cue_confidence,
        }

    def settings_hash(self) -> str:
        text = json.dumps(self.settings(), sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:12]

    # -- lazily built helpers -------------------------------------------------------------
    @property
    def encoder(self):
        if self._encoder is None:
            from inference.emocue360 import SentenceTransformerEncoder

            self._encoder = SentenceTransformerEncoder()
        return self._encoder

    def _observations_for(self, clip: ClipInput) -> tuple[list[ProposedCue], list[str]]:
        if not self.grounding or self.observations == "none":
            return [], []
        try:
            if callable(self.observations):
                return list(self.observations(clip)), []
            if self._signals is None:
                from inference.proposers.base import get_proposer

                self._signals = get_proposer("signals")
            return list(self._signals.propose(clip).cues), []
        except Exception as error:  # noqa: BLE001 - grounding is best effort; the cues stand untimed
            return [], [
                "Cues are untimed: the signal observations failed "
                f"({type(error).__name__}: {error})."
            ]

    # -- proposing ------------------------------------------------------------------------
    def propose(self, clip: ClipInput) -> Proposal:
        """One clip. Raises ProposalError when the clip cannot be analysed."""
        result = self.propose_batch([clip])[0]
        if isinstance(result, ProposalError):
            raise result
        return result

    def propose_batch(
        self, clips: Sequence[ClipInput], *, batch_size: int | None = None
    ) -> list[Proposal | ProposalError]:
        """Many clips, ``batch_size`` at a time; a Proposal or ProposalError per clip, in order."""
        size = batch_size or self.batch_size
        results: list[Proposal | ProposalError | None] = [None] * len(clips)
        prepared: list[tuple[int, Any, list[str], float]] = []
        for i, clip in enumerate(clips):
            started = time.perf_counter()
            try:
                sample, notes = sample_from_clip(
                    clip,
                    n_frames=self.model.config.num_frames,
                    audio_seconds=self.model.config.audio_seconds,
                    min_audio_samples=self._min_audio_samples(),
                    use_video=self.use["video"],
                    use_audio=self.use["audio"],
                    use_subtitle=self.use["subtitle"],
                    frame_sampling=self.frame_sampling,
                )
            except ProposalError as error:
                results[i] = error
                continue
            prepared.append((i, sample, notes, time.perf_counter() - started))
        for start in range(0, len(prepared), size):
            chunk = prepared[start : start + size]
            for (i, _, notes, media_s), outcome in zip(
                chunk, self._generate([p[1] for p in chunk]), strict=True
            ):
                if isinstance(outcome, ProposalError):
                    results[i] = outcome
                    continue
                text, generate_s = outcome
                results[i] = self._proposal(
                    clips[i], text, notes, {"media": media_s, "generate": generate_s}
                )
        return results  # type: ignore[return-value]

    def _min_audio_samples(self) -> int:
        config = self.model.config.hubert
        length = 1
        layers = list(zip(config.conv_kernel, config.conv_stride, strict=True))
        for kernel, stride in reversed(layers):
            length = (length - 1) * stride + kernel
        return length

    def _step(self, samples: list) -> list[str]:
        """One generate call (patched in tests to simulate running out of memory)."""
        if self.seed is not None:
            torch.manual_seed(self.seed)
        return self.model.generate(samples, settings=self.generation)

    def _generate(self, samples: list) -> list[tuple[str, float] | ProposalError]:
        """Generate for a batch; on CUDA out-of-memory retry in halves, down to one clip."""
        started = time.perf_counter()
        try:
            texts = self._step(samples)
        except torch.cuda.OutOfMemoryError:
            if self.device.type == "cuda":
                torch.cuda.empty_cache()
            if len(samples) == 1:
                return [
                    ProposalError(
                        "XEmoGPT ran out of GPU memory on this clip even alone; lower "
                        "max_new_tokens or num_beams, or use a larger GPU."
                    )
                ]
            half = len(samples) // 2
            return self._generate(samples[:half]) + self._generate(samples[half:])
        per_clip = (time.perf_counter() - started) / len(samples)
        return [(text, per_clip) for text in texts]

    def _proposal(
        self, clip: ClipInput, text: str, notes: list[str], timings: dict[str, float]
    ) -> Proposal:
        text = clean_description(text)
        if not text:
            return ProposalError(f"{clip.name}: XEmoGPT produced an empty description")  # type: ignore[return-value]
        started = time.perf_counter()
        extracted = extract_cues(text)
        items = [
            (modality, cue.kind or "observation", cue.text)
            for modality in ("visual", "auditory", "emotional")
            for cue in extracted[modality]
            if cue.text.strip()
        ]
        timings["cues"] = time.perf_counter() - started
        started = time.perf_counter()
        spans = [
            {
                "start_ms": None,
                "end_ms": None,
                "evidence": {"grounded": False, "reason": "grounding off"},
            }
            for _ in items
        ]
        if self.grounding and items:
            observations, more_notes = self._observations_for(clip)
            notes = notes + more_notes
            anchors = anchors_from(observations, clip.subtitle_segments)
            if anchors:
                spans = ground(
                    items, anchors, encoder=self.encoder, threshold=self.grounding_threshold
                )
            else:
                spans = [
                    {
                        "start_ms": None,
                        "end_ms": None,
                        "evidence": {"grounded": False, "reason": "no timed observations"},
                    }
                    for _ in items
                ]
        timings["grounding"] = time.perf_counter() - started
        cues = []
        for (modality, kind, cue_text), span in zip(items, spans, strict=True):
            start, end = span["start_ms"], span["end_ms"]
            if start is not None and clip.duration_ms > 0:
                start, end = min(start, clip.duration_ms), min(end, clip.duration_ms)
            kind = kind if kind in ("observation", "subtitle", "inference") else "observation"
            cues.append(
                ProposedCue(
                    modality=modality,
                    text=cue_text,
                    start_ms=start,
                    end_ms=end,
                    confidence=self.cue_confidence,
                    kind=kind,
                    evidence={"source": "xemogpt", "grounding": span["evidence"]},
                )
            )
        # time order within each modality; untimed (clip-level) cues after, in the paragraph's order
        order = sorted(
            range(len(cues)),
            key=lambda k: (
                _MODALITY_ORDER[cues[k].modality],
                cues[k].start_ms is None,
                cues[k].start_ms or 0,
                k,
            ),
        )
        emotions = []
        for cue in extracted["emotional"]:
            match = _EMOTION_CUE.match(cue.text)
            if match and match.group("label").lower() not in {label for label, _ in emotions}:
                emotions.append((match.group("label").lower(), 1.0))
        if not cues:
            notes = notes + ["No cues could be extracted from XEmoGPT's description."]
        return Proposal(
            proposer=self.name,
            version=self.version,
            description=text.strip(),
            cues=tuple(cues[k] for k in order),
            emotions=tuple(emotions),
            notes=tuple(notes),
            timings={k: round(v, 4) for k, v in timings.items()},
        )
