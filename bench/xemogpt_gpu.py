"""XEmoGPT on one GPU, full size, random weights: encoders, prefill, decoding, clips/s.

Builds the model from the real configs (CLIP ViT-L/14, HuBERT-large, Qwen3-4B with LoRA
r=512 on q/k/v) with random weights in bf16 on the GPU (nothing downloaded, no weights
needed), feeds it synthetic clips (16 frames, 12 s of audio, a subtitle) and measures,
per batch size:

- encoders: CLIP + VECB over 16 frames and HuBERT + AECB over 12 s (seconds per batch);
- prefill: the LLM over the wrapped prompts (BOS + text + ~600 audio + 16 video tokens);
- decode: greedy, a fixed number of new tokens (EOS off): tokens/s and the time per step,
  and the paper's decoding (5 beams, sampling) per step;
- clips/s for a whole 756-token answer with the paper's decoding, from the parts above
  (encode + prefill + 756 paper steps);
- the memory-bandwidth bound of a decode step: bytes of weights read per step (all LLM
  weights, LoRA included unless merged) / the card's peak bandwidth; and the same with the
  KV cache reads added. "fraction" = bound time / measured step time.

The prompt is tokenised with the tiny local tokenizer (no Qwen tokenizer is downloaded), so
the text part is shorter than with Qwen's; the ~600 audio tokens dominate the prompt anyway.

    python bench/xemogpt_gpu.py                  # needs CUDA
    python bench/xemogpt_gpu.py --dry-run        # CPU, tiny configs: checks the script runs
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np  # noqa: E402
import torch  # noqa: E402

# peak memory bandwidth, bytes/s, by device-name pattern (first match wins)
PEAK_BANDWIDTH = [
    ("H200", 4.8e12),
    ("H100 NVL", 3.9e12),
    ("H100 PCIe", 2.0e12),
    ("H100", 3.35e12),  # SXM (HBM3), e.g. "NVIDIA H100 80GB HBM3"
    ("A100-SXM4-80GB", 2.039e12),
    ("A100 80GB PCIe", 1.935e12),
    ("A100", 1.555e12),
    ("L40S", 0.864e12),
    ("RTX 4090", 1.008e12),
]


def peak_bandwidth(name: str) -> float | None:
    for pattern, value in PEAK_BANDWIDTH:
        if pattern.lower() in name.lower():
            return value
    return None


def full_config():
    from transformers import CLIPVisionConfig, HubertConfig, Qwen3Config

    from inference.xemogpt.config import XEmoGPTConfig

    clip = CLIPVisionConfig(
        hidden_size=1024,
        intermediate_size=4096,
        num_hidden_layers=24,
        num_attention_heads=16,
        image_size=224,
        patch_size=14,
        projection_dim=768,
        hidden_act="quick_gelu",
    )
    hubert = HubertConfig(
        hidden_size=1024,
        intermediate_size=4096,
        num_hidden_layers=24,
        num_attention_heads=16,
        feat_extract_norm="layer",
        do_stable_layer_norm=True,
        conv_bias=True,
        feat_extract_activation="gelu",
        mask_time_prob=0.0,
    )
    llm = Qwen3Config(
        vocab_size=151936,
        hidden_size=2560,
        intermediate_size=9728,
        num_hidden_layers=36,
        num_attention_heads=32,
        num_key_value_heads=8,
        head_dim=128,
        max_position_embeddings=40960,
        rope_theta=1_000_000,
        rms_norm_eps=1e-6,
        tie_word_embeddings=True,
        pad_token_id=151643,
        eos_token_id=151645,
    )
    return XEmoGPTConfig(llm=llm, clip=clip, hubert=hubert)


def synthetic_samples(n: int, *, image_size: int, seconds: float, rng):
    from PIL import Image

    from inference.xemogpt.model import Sample

    samples = []
    for i in range(n):
        frames = [
            Image.fromarray(
                rng.integers(0, 255, (image_size + 32, image_size + 64, 3), dtype=np.uint8)
            )
            for _ in range(16)
        ]
        audio = (0.1 * rng.standard_normal(int(seconds * 16_000))).astype(np.float32)
        samples.append(
            Sample(
                subtitle=f"I really did not expect this, number {i}!", frames=frames, audio=audio
            )
        )
    return samples


def sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize()


def timed(device, fn, repeat: int = 1):
    fn()  # warm-up
    sync(device)
    started = time.perf_counter()
    for _ in range(repeat):
        out = fn()
    sync(device)
    return (time.perf_counter() - started) / repeat, out


def llm_weight_bytes(model) -> int:
    seen, total = set(), 0
    for parameter in model.llm_model.parameters():
        if parameter.data_ptr() in seen:
            continue  # tied embedding / lm_head: read once per step (by lm_head)
        seen.add(parameter.data_ptr())
        total += parameter.numel() * parameter.element_size()
    embed = model.llm_model.get_input_embeddings().weight
    if not model.config.llm.tie_word_embeddings:
        total -= embed.numel() * embed.element_size()  # only B rows of the input table are read
    return total


def kv_bytes_per_position(model) -> int:
    c = model.config.llm
    return 2 * c.num_hidden_layers * c.num_key_value_heads * c.head_dim * model.dtype.itemsize


def measure(
    model,
    samples,
    *,
    new_tokens: int,
    paper_tokens: int,
    device,
    bandwidth: float | None,
    repeat: int = 1,
) -> dict:
    from inference.xemogpt.config import GenerationSettings

    batch = len(samples)
    row: dict = {"batch": batch}
    with torch.no_grad():
        row["video_s"], _ = timed(
            device, lambda: model.encode_frames([s.frames for s in samples]), repeat
        )
        row["audio_s"], _ = timed(
            device, lambda: model.encode_audio([s.audio for s in samples]), repeat
        )
        wrapped = model.wrap(samples, padding_side="left")
        row["prompt_positions"] = int(wrapped.inputs_embeds.shape[1])
        row["prefill_s"], _ = timed(
            device,
            lambda: model.llm_model(
                inputs_embeds=wrapped.inputs_embeds,
                attention_mask=wrapped.attention_mask,
                use_cache=True,
            ),
            repeat,
        )

        def decode(settings, tokens):
            return lambda: model.llm_model.generate(
                inputs_embeds=wrapped.inputs_embeds,
                attention_mask=wrapped.attention_mask,
                generation_config=model.generation_config(
                    settings, min_new_tokens=tokens, eos_token_id=None
                ),
            )

        def step_time(settings, tokens):
            # (time for N new tokens - time for 1) / (N - 1): prefill and set-up cancel out
            one, _ = timed(device, decode(replace(settings, max_new_tokens=1), 1), repeat)
            many, _ = timed(
                device, decode(replace(settings, max_new_tokens=tokens), tokens), repeat
            )
            return max(many - one, 1e-9) / max(tokens - 1, 1)

        greedy = GenerationSettings(num_beams=1, do_sample=False, max_new_tokens=new_tokens)
        step = step_time(greedy, new_tokens)
        row["decode_step_s"] = step
        row["decode_tokens_per_s"] = batch / step
        paper_step = step_time(model.config.generation, paper_tokens)
        row["paper_step_s"] = paper_step
        answer = model.config.generation.max_new_tokens
        row["clips_per_s"] = batch / (
            row["video_s"] + row["audio_s"] + row["prefill_s"] + answer * paper_step
        )
    weights = llm_weight_bytes(model)
    kv = kv_bytes_per_position(model) * batch * (row["prompt_positions"] + new_tokens // 2)
    row["weight_bytes"] = weights
    if bandwidth:
        row["bound_step_s"] = weights / bandwidth
        row["fraction_of_bound"] = row["bound_step_s"] / step
        row["fraction_of_bound_with_kv"] = (weights + kv) / bandwidth / step
    return row


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--dry-run", action="store_true", help="CPU, tiny configs: check the script runs"
    )
    parser.add_argument("--batch-sizes", default="1,2,4,8,16,32")
    parser.add_argument("--new-tokens", type=int, default=128, help="greedy tokens timed per batch")
    parser.add_argument(
        "--paper-tokens", type=int, default=32, help="tokens timed with the paper's decoding"
    )
    parser.add_argument(
        "--peak-bandwidth", type=float, default=None, help="bytes/s; default: from the device name"
    )
    parser.add_argument(
        "--repeat", type=int, default=2, help="timed repetitions of each measurement"
    )
    parser.add_argument("--merge-lora", action="store_true", help="fold LoRA into q/k/v first")
    parser.add_argument("--json", type=Path, default=None, help="also write the results here")
    args = parser.parse_args(argv)

    from inference.xemogpt.model import XEmoGPT, quiet_transformers
    from inference.xemogpt.tiny import tiny_config, tiny_tokenizer

    if args.dry_run:
        device, dtype = torch.device("cpu"), torch.float32
        config = tiny_config()
        sizes = (
            [int(b) for b in args.batch_sizes.split(",")][:2]
            if args.batch_sizes != "1,2,4,8,16,32"
            else [1, 2]
        )
        args.new_tokens, args.paper_tokens, args.repeat = (
            min(args.new_tokens, 4),
            min(args.paper_tokens, 3),
            1,
        )
        name, bandwidth = "CPU (dry run, tiny configs)", args.peak_bandwidth or 1e11
    else:
        if not torch.cuda.is_available():
            print(
                "xemogpt_gpu.py needs a CUDA GPU (torch.cuda.is_available() is False). "
                "Run it on a GPU machine, or use --dry-run to check the script on the CPU.",
                file=sys.stderr,
            )
            return 2
        device, dtype = torch.device("cuda"), torch.bfloat16
        config = full_config()
        sizes = [int(b) for b in args.batch_sizes.split(",")]
        name = torch.cuda.get_device_name()
        bandwidth = args.peak_bandwidth or peak_bandwidth(name)
        if bandwidth is None:
            print(
                f"unknown peak bandwidth for {name!r}; pass --peak-bandwidth BYTES_PER_S",
                file=sys.stderr,
            )
    torch.manual_seed(0)
    started = time.perf_counter()
    default_dtype = torch.get_default_dtype()
    torch.set_default_dtype(dtype)
    try:
        with quiet_transformers(), device:
            model = XEmoGPT(config, tokenizer=tiny_tokenizer())
    finally:
        torch.set_default_dtype(default_dtype)
    model.to(device=device, dtype=dtype).eval()
    if args.merge_lora:
        model.merge_lora()
    build_s = time.perf_counter() - started
    print(
        f"# XEmoGPT bench on {name}, {dtype}, built in {build_s:.1f} s; LLM weights read per step "
        f"{llm_weight_bytes(model) / 1e9:.2f} GB; peak bandwidth "
        f"{(bandwidth or 0) / 1e12:.2f} TB/s; LoRA {'merged' if args.merge_lora else 'unmerged'}"
    )
    rng = np.random.default_rng(0)
    image_size = config.resolved().clip.image_size
    rows = []
    header = (
        "batch",
        "video_s",
        "audio_s",
        "prompt",
        "prefill_s",
        "tok/s",
        "step_ms",
        "paper_step_ms",
        "clips/s",
        "bound",
        "bound+kv",
    )
    print(" | ".join(header))
    for batch in sizes:
        seconds = 2.0 if args.dry_run else config.audio_seconds
        samples = synthetic_samples(batch, image_size=image_size, seconds=seconds, rng=rng)
        try:
            row = measure(
                model,
                samples,
                new_tokens=args.new_tokens,
                paper_tokens=args.paper_tokens,
                device=device,
                bandwidth=bandwidth,
                repeat=args.repeat,
            )
        except torch.cuda.OutOfMemoryError:
            torch.cuda.empty_cache()
            print(f"{batch} | out of memory")
            rows.append({"batch": batch, "error": "out of memory"})
            continue
        rows.append(row)
        print(
            f"{batch} | {row['video_s']:.3f} | {row['audio_s']:.3f} | {row['prompt_positions']} | "
            f"{row['prefill_s']:.3f} | {row['decode_tokens_per_s']:.1f} | "
            f"{1000 * row['decode_step_s']:.2f} | {1000 * row['paper_step_s']:.2f} | "
            f"{row['clips_per_s']:.3f} | {row.get('fraction_of_bound', float('nan')):.2f} | "
            f"{row.get('fraction_of_bound_with_kv', float('nan')):.2f}"
        )
    result = {
        "device": name,
        "dtype": str(dtype),
        "dry_run": args.dry_run,
        "merge_lora": args.merge_lora,
        "peak_bandwidth": bandwidth,
        "new_tokens": args.new_tokens,
        "paper_tokens": args.paper_tokens,
        "date": time.strftime("%Y-%m-%d"),
        "rows": rows,
    }
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
