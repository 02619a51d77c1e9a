"""PP-OCRv4 text detection and recognition (rapidocr-onnxruntime), loaded once per process.

The detection and recognition models (Chinese and English, one character set) ship inside
the ``rapidocr-onnxruntime`` wheel, so nothing is downloaded. Only the two models are used:
the angle classifier is skipped (subtitles are upright), and so is RapidOCR's own pipeline,
because reading a video needs its parts separately: detection on every changed band, then
recognition of only the new lines, batched across frames.
"""

from __future__ import annotations

import functools
import os

import numpy as np

__all__ = ["DETECTION_MAX_SIDE", "Recognizer", "recognizer", "threads"]

DETECTION_MAX_SIDE = 960  # the detector sees bands at most this wide (a 1280 band: 0.75x)
RECOGNITION_BATCH = 8  # lines per recogniser call; they are sorted by width, then padded


def threads() -> int:
    """onnxruntime threads per model: the cores this process may use, at most 4.

    On a 2-core machine that is both cores; more threads than cores only adds contention,
    and past 4 these small models gain nothing (ffmpeg decodes beside them).
    """
    try:
        available = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        available = os.cpu_count() or 1
    return max(1, min(4, available))


class Recognizer:
    """The detector and recogniser of RapidOCR 1.4 (PP-OCRv4 mobile, ONNX, CPU).

    Example:
        >>> ocr = recognizer()  # doctest: +SKIP
        >>> boxes = ocr.detect(band)  # doctest: +SKIP
        >>> ocr.recognize([band[y0:y1, x0:x1] for x0, y0, x1, y1 in boxes])  # doctest: +SKIP
        [('今天天气真好', 0.99)]
    """

    def __init__(self, *, n_threads: int | None = None):
        from rapidocr_onnxruntime import RapidOCR  # onnxruntime is heavy: load on first use

        n = n_threads or threads()
        self._engine = RapidOCR(
            use_cls=False,
            intra_op_num_threads=n,
            inter_op_num_threads=1,
            det_limit_type="max",
            det_limit_side_len=DETECTION_MAX_SIDE,
            rec_batch_num=RECOGNITION_BATCH,
        )
        self.settings = {
            "engine": "rapidocr-onnxruntime 1.4.4",
            "detector": "ch_PP-OCRv4_det_infer",
            "recogniser": "ch_PP-OCRv4_rec_infer",
            "threads": n,
            "detection_max_side": DETECTION_MAX_SIDE,
        }

    def detect(self, image: np.ndarray) -> list[tuple[float, float, float, float]]:
        """Axis-aligned boxes ``(x0, y0, x1, y1)`` of the text in a BGR image, in its pixels."""
        boxes, _ = self._engine.text_det(image)
        if boxes is None or len(boxes) == 0:
            return []
        return [
            (
                float(quad[:, 0].min()),
                float(quad[:, 1].min()),
                float(quad[:, 0].max()),
                float(quad[:, 1].max()),
            )
            for quad in boxes
        ]

    def recognize(self, crops: list[np.ndarray]) -> list[tuple[str, float]]:
        """The text and score (mean character probability, 0-1) of each line image."""
        if not crops:
            return []
        results, _ = self._engine.text_rec(crops)
        return [(str(text), float(score)) for text, score, *_ in results]


@functools.cache
def recognizer() -> Recognizer:
    """The process's one :class:`Recognizer` (a Celery worker loads the models once)."""
    return Recognizer()
