import os
import subprocess
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")


class BagOfWordsEncoder:
    """A deterministic stand-in sentence encoder: hashed word counts."""

    model_id = "bag-of-words-test"

    def encode(self, texts):
        import zlib

        out = np.zeros((len(texts), 64), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in text.lower().replace(".", " ").replace(",", " ").split():
                out[row, zlib.crc32(word.encode()) % 64] += 1.0
        return out


@pytest.fixture(scope="session")
def tiny_weights(tmp_path_factory):
    from inference.xemogpt.tiny import write_tiny_weights

    return write_tiny_weights(tmp_path_factory.mktemp("xemogpt-tiny"))


@pytest.fixture(scope="session")
def weight_paths(tiny_weights):
    return {k: tiny_weights[k] for k in ("llm_path", "clip_path", "hubert_path", "checkpoint_path")}


@pytest.fixture
def model(weight_paths):
    from inference.xemogpt.model import XEmoGPT

    return XEmoGPT.from_pretrained(**weight_paths)


@pytest.fixture(scope="session")
def frames():
    from PIL import Image

    rng = np.random.default_rng(1)
    return [Image.fromarray(rng.integers(0, 255, (40, 60, 3), dtype=np.uint8)) for _ in range(16)]


@pytest.fixture(scope="session")
def other_frames():
    from PIL import Image

    rng = np.random.default_rng(2)
    return [Image.fromarray(rng.integers(0, 255, (30, 30, 3), dtype=np.uint8)) for _ in range(16)]


@pytest.fixture(scope="session")
def audio():
    rng = np.random.default_rng(3)
    return (0.1 * rng.standard_normal(16_000)).astype(np.float32)


@pytest.fixture(scope="session")
def media_clip(tmp_path_factory):
    """A 2 s 25 fps clip with a tone, and its 16 kHz mono WAV."""
    from tests.mediafiles import make_clip

    folder = tmp_path_factory.mktemp("xemogpt-clip")
    video = make_clip(folder / "clip.mp4", seconds=2.0, fps=25, size=(160, 120))
    wav = folder / "clip.wav"
    subprocess.run(
        [
            "ffmpeg",
            "-v",
            "error",
            "-nostdin",
            "-y",
            "-i",
            str(video),
            "-ac",
            "1",
            "-ar",
            "16000",
            "-c:a",
            "pcm_s16le",
            str(wav),
        ],
        check=True,
    )
    return Path(video), wav


@pytest.fixture
def encoder():
    return BagOfWordsEncoder()
