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

import cv2
import numpy as np

__all__ = ["DETECTION_WIDTH", "MODELS", "Recognizer", "recognizer", "threads"]

# The detector sees the band at most this wide. A subtitle of 4-7 % of the frame height is
# then 11-19 px high in a 16:9 frame, which PP-OCRv4's detector finds as well as at full
# size, for a quarter of the work at 960 px and a constant cost at any resolution; the
# recogniser still reads the full-resolution line.
DETECTION_WIDTH = 480
# Lines per recogniser call. A batch is padded to its widest line, and on this 2-core CPU
# that padding costs more than the calls it saves: bench/ocr.py's clips took 0.115-0.121 s
# of CPU per second of video one line at a time, 0.127-0.134 in fours, 0.149-0.158 in
# eights. Lines still queue across frames, so a device that gains from batches can use them.
RECOGNITION_BATCH = 1


MODELS = ("ch_PP-OCRv4_det_infer", "ch_PP-OCRv4_rec_infer")  # as the wheel names them


def threads() -> int:
    """onnxruntime threads per model: half the cores this process may use, 1 to 4.

    ffmpeg decodes the clip in its own process at the same time, and a Celery ``cpu``
    worker runs a task per core; on this project's 2-core machine one thread recognised a
    line in 24 ms of CPU time where two threads spent 50 ms (onnxruntime's threads spin
    while they wait), and the wall time was no better under load.
    ``EMOCUE_OCR_THREADS`` overrides it.
    """
    configured = os.environ.get("EMOCUE_OCR_THREADS", "").strip()
    if configured:
        try:
            return max(1, int(configured))
        except ValueError:
            raise ValueError(
                f"EMOCUE_OCR_THREADS must be a whole number, got {configured!r}"
            ) from None
    try:
        available = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        available = os.cpu_count() or 1
    return max(1, min(4, available // 2))


class Recognizer:
    """The detector and recogniser of RapidOCR 1.4 (PP-OCRv4 mobile, ONNX, CPU).

    Example:
        >>> ocr = recognizer()  # doctest: +SKIP
        >>> boxes = ocr.detect(band)  # doctest: +SKIP
        >>> ocr.recognize([band[y0:y1, x0:x1] for x0, y0, x1, y1 in boxes])  # doctest: +SKIP
        [('今天天气真好', 0.99)]
    """

    def __init__(self, *, n_threads: int | None = None):
        from rapidocr_onnxruntime import RapidOCR  # type: ignore[import-untyped]  # heavy: lazy

        n = n_threads or threads()
        self._engine = RapidOCR(
            use_cls=False,
            intra_op_num_threads=n,
            inter_op_num_threads=1,
            # "max" never upscales ("min", the default, would blow a band up to 736 rows)
            det_limit_type="max",
            det_limit_side_len=960,
            rec_batch_num=RECOGNITION_BATCH,
        )

    def detect(
        self, image: np.ndarray, *, max_width: int = DETECTION_WIDTH
    ) -> list[tuple[float, float, float, float]]:
        """Axis-aligned boxes ``(x0, y0, x1, y1)`` of the text in a BGR image, in its pixels.

        The detector sees the image scaled down to ``max_width`` pixels when it is wider.
        """
        scale = min(1.0, max_width / image.shape[1])
        if scale < 1.0:
            size = (round(image.shape[1] * scale), max(1, round(image.shape[0] * scale)))
            image = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
        boxes, _ = self._engine.text_det(image)
        if boxes is None or len(boxes) == 0:
            return []
        return [
            (
                float(quad[:, 0].min()) / scale,
                float(quad[:, 1].min()) / scale,
                float(quad[:, 0].max()) / scale,
                float(quad[:, 1].max()) / scale,
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
