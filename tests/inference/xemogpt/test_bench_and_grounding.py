import importlib.util
import json
from pathlib import Path

import pytest

from inference.proposers import ProposedCue, SubtitleSegment
from inference.xemogpt.grounding import Anchor, anchors_from, ground

ROOT = Path(__file__).resolve().parents[3]


def _bench():
    spec = importlib.util.spec_from_file_location(
        "xemogpt_gpu_bench", ROOT / "bench" / "xemogpt_gpu.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_bench_dry_run_runs_on_the_cpu(tmp_path, capsys):
    bench = _bench()
    assert (
        bench.main(["--dry-run", "--batch-sizes", "1,2", "--json", str(tmp_path / "out.json")]) == 0
    )
    result = json.loads((tmp_path / "out.json").read_text())
    assert result["dry_run"] and [row["batch"] for row in result["rows"]] == [1, 2]
    for row in result["rows"]:
        assert (
            row["decode_tokens_per_s"] > 0
            and row["clips_per_s"] > 0
            and row["prompt_positions"] > 16
        )
        assert row["fraction_of_bound"] > 0 and row["weight_bytes"] > 0
    assert "tok/s" in capsys.readouterr().out


def test_bench_refuses_without_cuda_and_knows_the_cards(monkeypatch, capsys):
    import torch

    bench = _bench()
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert bench.main([]) == 2
    assert "needs a CUDA GPU" in capsys.readouterr().err
    assert bench.peak_bandwidth("NVIDIA H100 80GB HBM3") == 3.35e12
    assert bench.peak_bandwidth("NVIDIA H200") == 4.8e12
    assert bench.peak_bandwidth("NVIDIA H100 PCIe") == 2.0e12
    assert bench.peak_bandwidth("Some Future Card") is None
    config = bench.full_config().resolved()
    assert (
        config.llm.hidden_size,
        config.llm.num_hidden_layers,
        config.llm.num_attention_heads,
        config.llm.num_key_value_heads,
        config.llm.intermediate_size,
        config.llm.vocab_size,
    ) == (2560, 36, 32, 8, 9728, 151936)
    assert (
        config.clip.hidden_size,
        config.clip.num_hidden_layers,
        config.clip.patch_size,
        config.clip.image_size,
    ) == (1024, 24, 14, 224)
    assert (config.hubert.hidden_size, config.hubert.num_hidden_layers) == (1024, 24)


def test_grounding_rules(encoder):
    anchors = anchors_from(
        [
            ProposedCue("visual", "The head nods.", 0, 400, 0.5),
            ProposedCue("visual", "Something clip-level.", None, None, 0.5),
            ProposedCue("visual", "No face is visible.", 0, 900, 0.9, kind="unobservable"),
        ],
        [SubtitleSegment(100, 900, "hello there")],
    )
    assert [(a.text, a.source) for a in anchors] == [
        ("The head nods.", "signals"),
        ("hello there", "subtitle"),
    ]
    out = ground(
        [
            ("visual", "observation", "The head nods."),
            ("auditory", "observation", "hello there"),
            ("auditory", "subtitle", "hello there"),
        ],
        anchors,
        encoder=encoder,
    )
    assert (out[0]["start_ms"], out[0]["end_ms"]) == (0, 400)
    assert out[1]["start_ms"] is None  # an ordinary cue is not grounded on a subtitle segment
    assert (out[2]["start_ms"], out[2]["end_ms"]) == (100, 900)
    assert (
        ground([("visual", "observation", "x y")], anchors, encoder=None)[0]["evidence"]["reason"]
        == "no encoder"
    )
    with pytest.raises(ValueError):
        ground([], [Anchor("visual", "a", 0, 1, "signals")], encoder=encoder, threshold=1.5)
