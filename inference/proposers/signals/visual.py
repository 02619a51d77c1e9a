"""The visual analysis of the signal proposer: face landmarks over time -> visual cues.

One ffmpeg process decodes the clip to raw RGB at ``analysis_fps`` (never above the real
rate) and at most ``max_height_px`` high, streamed frame by frame through a pipe;
mediapipe's legacy face mesh (which ships its model) finds 478 landmarks per frame, of
which only the few the features need are kept. Features are normalised by the
inter-ocular distance (IOD) after levelling the eyes, so that they do not depend on face
size, position or roll. Cues are segments where a feature departs from the clip's own
robust baseline (median, MAD) or crosses a population bound (a face that smiles the whole
clip still smiles). Every threshold is in :class:`VisualThresholds`.

Example:
    >>> result = analyse_visual(clip)  # doctest: +SKIP
    >>> [cue.text for cue in result.cues][:1]  # doctest: +SKIP
    ['The corners of the mouth turn up (clear smile).']
"""

from __future__ import annotations

import math
import subprocess
import tempfile
import time
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

import numpy as np

from inference.media import MediaError, probe
from inference.proposers.base import ClipInput, ProposalError, ProposedCue
from inference.proposers.signals.common import ModalityResult
from inference.proposers.signals.thresholds import VISUAL, VisualThresholds

__all__ = [
    "analyse_visual",
    "eye_aspect_ratio",
    "face_features",
    "head_pose",
    "mouth_corner_elevation",
]

# --- mediapipe face mesh landmark numbers (478 with refine_landmarks=True)
# Eye contours for the eye aspect ratio, in Soukupova & Cech's order p1..p6:
# outer/inner corner, two upper-lid points, inner/outer corner, two lower-lid points.
RIGHT_EYE = (33, 160, 158, 133, 153, 144)  # the subject's right eye (image left)
LEFT_EYE = (362, 385, 387, 263, 373, 380)
RIGHT_IRIS, LEFT_IRIS = 468, 473  # iris centres (refined landmarks)
MOUTH_RIGHT, MOUTH_LEFT = 61, 291  # mouth corners
LIP_UPPER_INNER, LIP_LOWER_INNER = 13, 14  # middle of the inner lip contour
RIGHT_BROW_INNER, RIGHT_BROW_OUTER, RIGHT_BROW_INNER_LOW = 107, 70, 55
LEFT_BROW_INNER, LEFT_BROW_OUTER, LEFT_BROW_INNER_LOW = 336, 300, 285
NOSE_TIP, CHIN = 1, 152

# Generic 3-D face (mm; x right, y down, z away from the camera, nose tip at the origin) for
# head pose, the six points commonly used with cv2.solvePnP: nose tip, chin, outer eye
# corners, mouth corners.
_POSE_MODEL = np.array(
    [
        (0.0, 0.0, 0.0),
        (0.0, 330.0, 65.0),
        (-225.0, -170.0, 135.0),
        (225.0, -170.0, 135.0),
        (-150.0, 150.0, 125.0),
        (150.0, 150.0, 125.0),
    ]
)
_POSE_POINTS = (NOSE_TIP, CHIN, RIGHT_EYE[0], LEFT_EYE[3], MOUTH_RIGHT, MOUTH_LEFT)

# The landmarks kept per frame (the rest are dropped at once, to stay small on long clips).
KEPT = tuple(
    sorted(
        set(
            RIGHT_EYE
            + LEFT_EYE
            + _POSE_POINTS
            + (
                RIGHT_IRIS,
                LEFT_IRIS,
                LIP_UPPER_INNER,
                LIP_LOWER_INNER,
                RIGHT_BROW_INNER,
                RIGHT_BROW_OUTER,
                RIGHT_BROW_INNER_LOW,
                LEFT_BROW_INNER,
                LEFT_BROW_OUTER,
                LEFT_BROW_INNER_LOW,
            )
        )
    )
)
_COLUMN = {index: column for column, index in enumerate(KEPT)}

MODALITY = "visual"


# ------------------------------------------------------------------------ feature functions


def eye_aspect_ratio(eye: np.ndarray) -> np.ndarray:
    """Eye aspect ratio (Soukupova & Cech 2016) of six eye points p1..p6.

    Args:
        eye: array (..., 6, 2): corner, two upper-lid points, corner, two lower-lid points.
    Returns:
        (|p2-p6| + |p3-p5|) / (2 |p1-p4|), shape (...): about 0.25-0.35 open, near 0 closed.
    Example:
        >>> eye_aspect_ratio(np.array([[0, 0], [1, -0.5], [2, -0.5], [3, 0], [2, 0.5], [1, 0.5]]))
        array(0.33333333)
    """
    eye = np.asarray(eye, dtype=float)
    if eye.shape[-2:] != (6, 2):
        raise ValueError(f"eye points must have shape (..., 6, 2), not {eye.shape}")
    vertical = np.linalg.norm(eye[..., 1, :] - eye[..., 5, :], axis=-1) + np.linalg.norm(
        eye[..., 2, :] - eye[..., 4, :], axis=-1
    )
    horizontal = np.linalg.norm(eye[..., 0, :] - eye[..., 3, :], axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return vertical / (2.0 * horizontal)


def _levelled(points: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rotate and scale landmarks (T, N, 2) so that the eyes are level, 1 IOD apart, centred.

    Returns the levelled points, the IOD in pixels and the roll angle (degrees) per frame.
    """
    right = points[:, [_COLUMN[RIGHT_EYE[0]], _COLUMN[RIGHT_EYE[3]]]].mean(axis=1)
    left = points[:, [_COLUMN[LEFT_EYE[0]], _COLUMN[LEFT_EYE[3]]]].mean(axis=1)
    axis = left - right
    iod = np.linalg.norm(axis, axis=-1)
    angle = np.arctan2(axis[:, 1], axis[:, 0])
    cos, sin = np.cos(-angle), np.sin(-angle)
    centred = points - ((right + left) / 2)[:, None, :]
    x = centred[..., 0] * cos[:, None] - centred[..., 1] * sin[:, None]
    y = centred[..., 0] * sin[:, None] + centred[..., 1] * cos[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        levelled = np.stack([x, y], axis=-1) / iod[:, None, None]
    return levelled, iod, np.degrees(angle)


def _full_to_kept(landmarks: np.ndarray) -> np.ndarray:
    landmarks = np.asarray(landmarks, dtype=float)
    if landmarks.ndim == 2:
        landmarks = landmarks[None]
    if landmarks.shape[-2] == len(KEPT):
        return landmarks[..., :2]
    if landmarks.shape[-2] < 478:
        raise ValueError(
            f"expected 478 face-mesh landmarks (or the {len(KEPT)} kept ones), "
            f"not {landmarks.shape[-2]}"
        )
    return landmarks[:, list(KEPT), :2]


def mouth_corner_elevation(landmarks: np.ndarray) -> np.ndarray:
    """How far the mouth corners sit above the lip centre line, in IOD (smile > 0).

    The lip centre line is the midpoint of the inner lips (landmarks 13 and 14), so that an
    opening jaw alone (corners halfway down the opening) reads about 0.

    Args:
        landmarks: (478, 2|3) or (T, 478, 2|3) face-mesh landmarks in pixels (y down).
    Returns:
        Elevation per frame, shape (T,).
    """
    levelled, _, _ = _levelled(_full_to_kept(landmarks))
    centre_y = (
        levelled[:, _COLUMN[LIP_UPPER_INNER], 1] + levelled[:, _COLUMN[LIP_LOWER_INNER], 1]
    ) / 2
    corners_y = (levelled[:, _COLUMN[MOUTH_RIGHT], 1] + levelled[:, _COLUMN[MOUTH_LEFT], 1]) / 2
    return centre_y - corners_y


def face_features(landmarks: np.ndarray) -> dict[str, np.ndarray]:
    """Per-frame geometric features of face-mesh landmarks, normalised by the IOD.

    Args:
        landmarks: (T, 478, 2|3) or (T, len(KEPT), 2) landmarks in pixels (y down); rows of
            NaN for frames without a face give NaN features.
    Returns:
        Arrays of shape (T,): ``smile`` (mouth-corner elevation), ``mouth_open`` (inner-lip
        gap), ``brow_height`` (brows above the eye corners, mean of inner and outer points),
        ``brow_distance`` (between the inner brow ends), ``ear`` (mean eye aspect ratio),
        ``iris_offset`` (iris centre from the eye's middle, share of eye width, + = image
        right), ``iod`` (pixels) and ``roll`` (degrees).
    """
    points = _full_to_kept(landmarks)
    q, iod, roll = _levelled(points)

    def y(index: int) -> np.ndarray:
        return q[:, _COLUMN[index], 1]

    def x(index: int) -> np.ndarray:
        return q[:, _COLUMN[index], 0]

    inner = ((y(RIGHT_EYE[3]) - y(RIGHT_BROW_INNER)) + (y(LEFT_EYE[0]) - y(LEFT_BROW_INNER))) / 2
    outer = ((y(RIGHT_EYE[0]) - y(RIGHT_BROW_OUTER)) + (y(LEFT_EYE[3]) - y(LEFT_BROW_OUTER))) / 2
    iris = []
    for eye, centre in ((RIGHT_EYE, RIGHT_IRIS), (LEFT_EYE, LEFT_IRIS)):
        width = np.abs(x(eye[3]) - x(eye[0]))
        with np.errstate(divide="ignore", invalid="ignore"):
            iris.append((x(centre) - (x(eye[0]) + x(eye[3])) / 2) / width)
    ears = [eye_aspect_ratio(points[:, [_COLUMN[i] for i in eye]]) for eye in (RIGHT_EYE, LEFT_EYE)]
    return {
        "smile": mouth_corner_elevation(points),
        "mouth_open": y(LIP_LOWER_INNER) - y(LIP_UPPER_INNER),
        "brow_height": (inner + outer) / 2,
        "brow_distance": np.abs(x(LEFT_BROW_INNER_LOW) - x(RIGHT_BROW_INNER_LOW)),
        "ear": (ears[0] + ears[1]) / 2,
        "iris_offset": (iris[0] + iris[1]) / 2,
        "iod": iod,
        "roll": roll,
    }


def head_pose(landmarks: np.ndarray, *, width: int, height: int) -> np.ndarray:
    """Head pitch, yaw and roll (degrees) per frame from six landmarks and a generic face.

    cv2.solvePnP with a pinhole camera whose focal length is the frame width. Absolute
    pitch carries a bias from the generic model (see ``pitch_frontal_deg``); changes over
    time are what nods and shakes use.

    Returns:
        (T, 3) array of pitch, yaw, roll; NaN rows where the landmarks are NaN.
    """
    import cv2  # ships with mediapipe; imported here so feature tests need no OpenCV

    points = _full_to_kept(landmarks)
    camera = np.array([[width, 0, width / 2], [0, width, height / 2], [0, 0, 1]], dtype=float)
    pose = np.full((len(points), 3), np.nan)
    columns = [_COLUMN[i] for i in _POSE_POINTS]
    for t, frame in enumerate(points):
        image_points = np.ascontiguousarray(frame[columns], dtype=float)
        if not np.isfinite(image_points).all():
            continue
        ok, rotation, _ = cv2.solvePnP(
            _POSE_MODEL, image_points, camera, None, flags=cv2.SOLVEPNP_ITERATIVE
        )
        if not ok:
            continue
        matrix, _ = cv2.Rodrigues(rotation)
        pitch = math.degrees(math.atan2(matrix[2, 1], matrix[2, 2]))
        yaw = math.degrees(math.atan2(-matrix[2, 0], math.hypot(matrix[0, 0], matrix[1, 0])))
        roll = math.degrees(math.atan2(matrix[1, 0], matrix[0, 0]))
        pose[t] = (pitch, yaw, roll)
    return pose


# ------------------------------------------------------------------------------- decoding


@dataclass
class _Track:
    """What the decode pass keeps: kept landmarks per analysis frame, NaN without a face."""

    points: np.ndarray  # (T, len(KEPT), 2) pixels
    fps: float
    width: int
    height: int
    decode_s: float
    landmarks_s: float


def _analysis_size(width: int, height: int, max_height: int) -> tuple[int, int]:
    out_h = min(height, max_height)
    out_h -= out_h % 2
    out_w = max(2, round(width * out_h / height / 2) * 2)
    return out_w, max(out_h, 2)


def _decode_and_track(clip: ClipInput, thresholds: VisualThresholds) -> _Track:
    if not clip.video or not clip.video.exists():
        raise ProposalError(f"{clip.name}: the video file is missing ({clip.video}).")
    try:
        info = probe(clip.video, display_name=clip.name)
    except MediaError as exc:
        raise ProposalError(f"{clip.name}: the video cannot be decoded: {exc.message}") from None
    fps = min(thresholds.analysis_fps, info.fps)
    width, height = _analysis_size(info.width, info.height, thresholds.max_height_px)
    frame_bytes = width * height * 3
    command = [
        "ffmpeg",
        "-hide_banner",
        "-nostdin",
        "-loglevel",
        "error",
        "-threads",
        "1",
        "-i",
        str(clip.video),
        "-map",
        "0:v:0",
        "-an",
        "-sn",
        "-vf",
        f"fps={fps:.6g},scale={width}:{height}:flags=area",
        "-f",
        "rawvideo",
        "-pix_fmt",
        "rgb24",
        "pipe:1",
    ]
    import mediapipe as mp  # heavy; only the analysis needs it

    rows: list[np.ndarray] = []
    missing = np.full((len(KEPT), 2), np.nan)
    decode_s = landmarks_s = 0.0
    scale = np.array([width, height], dtype=float)
    with (
        tempfile.TemporaryFile() as stderr,
        mp.solutions.face_mesh.FaceMesh(
            static_image_mode=False,
            refine_landmarks=True,
            max_num_faces=1,
            min_detection_confidence=0.5,
            min_tracking_confidence=0.5,
        ) as mesh,
    ):
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=stderr)
        assert process.stdout is not None
        try:
            while True:
                started = time.perf_counter()
                buffer = process.stdout.read(frame_bytes)
                decode_s += time.perf_counter() - started
                if len(buffer) < frame_bytes:
                    break
                started = time.perf_counter()
                frame = np.frombuffer(buffer, dtype=np.uint8).reshape(height, width, 3)
                found = mesh.process(frame).multi_face_landmarks
                if found:
                    marks = found[0].landmark
                    rows.append(np.array([(marks[i].x, marks[i].y) for i in KEPT]) * scale)
                else:
                    rows.append(missing)
                landmarks_s += time.perf_counter() - started
        finally:
            process.stdout.close()
            returncode = process.wait()
        stderr.seek(0)
        errors = stderr.read().decode("utf-8", "replace").strip()
    if returncode != 0 or not rows:
        detail = errors.splitlines()[-1] if errors else "no frames decoded"
        raise ProposalError(f"{clip.name}: ffmpeg could not decode the video ({detail}).")
    return _Track(
        points=np.stack(rows),
        fps=fps,
        width=width,
        height=height,
        decode_s=decode_s,
        landmarks_s=landmarks_s,
    )


# ------------------------------------------------------------------------------ segments


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """[start, stop) index runs where ``mask`` is true."""
    padded = np.concatenate([[False], np.asarray(mask, dtype=bool), [False]])
    edges = np.flatnonzero(np.diff(padded.astype(np.int8)))
    return list(zip(edges[::2].tolist(), edges[1::2].tolist(), strict=True))


def _segments(
    mask: np.ndarray, face: np.ndarray, *, min_frames: int, merge_frames: int
) -> list[tuple[int, int]]:
    """Runs of ``mask``, merged across short gaps with the face visible, at least min_frames."""
    merged: list[list[int]] = []
    for start, stop in _runs(mask & face):
        if merged and start - merged[-1][1] <= merge_frames and face[merged[-1][1] : start].all():
            merged[-1][1] = stop
        else:
            merged.append([start, stop])
    return [(a, b) for a, b in merged if b - a >= min_frames]


def _robust_baseline(values: np.ndarray) -> tuple[float, float]:
    """Median and 1.4826 * MAD (a robust SD) of the finite values."""
    finite = values[np.isfinite(values)]
    median = float(np.median(finite))
    return median, 1.4826 * float(np.median(np.abs(finite - median)))


def _zigzag(values: np.ndarray, amplitude: float) -> list[int]:
    """Indices of alternating extremes, each at least ``amplitude`` from the previous one."""
    pivots: list[int] = []
    low = high = extreme = 0
    direction = 0
    for i in range(1, len(values)):
        value = values[i]
        if direction == 0:
            low = i if value < values[low] else low
            high = i if value > values[high] else high
            if values[high] - values[low] >= amplitude:
                first, extreme = (low, high) if high > low else (high, low)
                pivots.append(first)
                direction = 1 if high > low else -1
        elif direction * (value - values[extreme]) > 0:
            extreme = i
        elif direction * (values[extreme] - value) >= amplitude:
            pivots.append(extreme)
            direction, extreme = -direction, i
    if direction:
        pivots.append(extreme)
    return pivots


class _Clock:
    def __init__(self, fps: float, duration_ms: int, count: int):
        self.fps, self.duration_ms, self.count = fps, duration_ms, count

    def ms(self, index: int) -> int:
        """Media time of analysis frame ``index`` (its end for index == count)."""
        time_ms = round(index * 1000 / self.fps)
        if index >= self.count:
            time_ms = max(time_ms, self.duration_ms)
        return min(time_ms, self.duration_ms) if self.duration_ms > 0 else time_ms


def _confidence(ratio: float, thresholds: VisualThresholds) -> float:
    """0.5 at the threshold (ratio 1), rising with effect size toward max_confidence."""
    value = 0.5 + (thresholds.max_confidence - 0.5) * math.tanh(max(ratio - 1.0, 0.0))
    return round(min(max(value, 0.0), thresholds.max_confidence), 3)


def _stat(values: np.ndarray) -> float:
    return round(float(np.nanmedian(values)), 4)


# ------------------------------------------------------------------------------ analysis


def analyse_visual(clip: ClipInput, *, thresholds: VisualThresholds = VISUAL) -> ModalityResult:
    """Visual cues of one clip from face landmarks over time.

    Args:
        clip: the clip; ``clip.video`` is decoded, ``duration_ms`` bounds the spans.
        thresholds: every number the analysis compares against.
    Returns:
        A :class:`ModalityResult` whose cues have modality "visual": "observation" cues with
        the span where an expression or movement holds, or one "unobservable" cue "No face
        is visible." over the whole clip. ``notes`` names stretches where the face was lost.
        ``summary`` (fractions are of analysis frames with a face visible; geometry in IOD):

        - ``face_fraction``: share of analysis frames where a face was found.
        - ``frames``: analysis frames decoded; ``analysis_fps``: their rate.
        - ``smile_fraction``: frames meeting the smile criterion (corners at or above
          ``smile_slight``, or ``smile_rise`` over the clip's own median).
        - ``smile_intensity``: median mouth-corner elevation (None without a face);
          >= ``smile_slight`` slight, >= ``smile_clear`` clear.
        - ``mouth_open_fraction``: frames with lips parted by at least ``mouth_open``.
        - ``brow_raise_fraction``: frames with brows high (``brow_high``) or raised over
          the clip median (``brow_rise``).
        - ``brow_furrow_fraction``: frames with the inner brows drawn together
          (``brow_close``, or ``brow_close_drop`` under the clip median).
        - ``eye_widen_fraction``: frames with the eyes wide (``eye_wide``, or
          ``eye_widen_rise`` over the clip median).
        - ``blink_rate_per_min``: blinks per minute of face-visible time (10 fps sees most
          but not all blinks; people blink about 15-25 times a minute in conversation).
        - ``nod_count``, ``shake_count``: head nods (pitch down-up) and shakes (yaw
          side-to-side), each counted as one back-and-forth of two swings.
        - ``gaze_away_fraction``: frames with head or eyes turned away from the camera.
        - ``thresholds``: the VisualThresholds values used (for stamping proposals).
        ``timings``: ``decode_s`` (waiting on ffmpeg), ``landmarks_s`` (face mesh) and
        ``features_s`` (features, pose, segments, cues).
    Raises:
        ProposalError: the video is missing or cannot be decoded.
    Example:
        >>> result = analyse_visual(clip)  # doctest: +SKIP
        >>> result.summary["smile_fraction"]  # doctest: +SKIP
        1.0
    """
    track = _decode_and_track(clip, thresholds)
    started = time.perf_counter()
    result = _analyse_track(track, clip, thresholds)
    result.timings = {
        "decode_s": round(track.decode_s, 4),
        "landmarks_s": round(track.landmarks_s, 4),
        "features_s": round(time.perf_counter() - started, 4),
    }
    return result


def _analyse_track(track: _Track, clip: ClipInput, th: VisualThresholds) -> ModalityResult:
    count = len(track.points)
    duration_ms = clip.duration_ms if clip.duration_ms > 0 else round(count * 1000 / track.fps)
    clock = _Clock(track.fps, duration_ms, count)
    face = np.isfinite(track.points).all(axis=(1, 2))
    face_fraction = float(face.mean())
    summary: dict[str, Any] = {
        "face_fraction": round(face_fraction, 3),
        "frames": count,
        "analysis_fps": round(track.fps, 3),
        "smile_fraction": 0.0,
        "smile_intensity": None,
        "mouth_open_fraction": 0.0,
        "brow_raise_fraction": 0.0,
        "brow_furrow_fraction": 0.0,
        "eye_widen_fraction": 0.0,
        "blink_rate_per_min": 0.0,
        "nod_count": 0,
        "shake_count": 0,
        "gaze_away_fraction": 0.0,
        "thresholds": {k: getattr(th, k) for k in th.__dataclass_fields__},
    }
    if face_fraction < th.min_face_fraction:
        cue = ProposedCue(
            modality=MODALITY,
            kind="unobservable",
            text="No face is visible.",
            start_ms=0,
            end_ms=duration_ms,
            confidence=round(1.0 - face_fraction, 3),
            evidence={
                "feature": "face_fraction",
                "value": round(face_fraction, 3),
                "threshold": th.min_face_fraction,
                "frames": count,
            },
        )
        return ModalityResult(cues=[cue], summary=summary)

    notes = []
    gap_frames = max(1, math.ceil(th.face_gap_min_s * track.fps))
    for start, stop in _runs(~face):
        if stop - start >= gap_frames:
            notes.append(
                f"face not visible from {clock.ms(start) / 1000:.2f} s "
                f"to {clock.ms(stop) / 1000:.2f} s"
            )

    features = face_features(track.points)
    pose = head_pose(track.points, width=track.width, height=track.height)
    analysis = _Analysis(features=features, pose=pose, face=face, clock=clock, th=th)
    cues = analysis.expressions() + analysis.blinks() + analysis.movements() + analysis.gaze()
    cues.sort(key=lambda cue: (cue.start_ms, cue.end_ms, cue.text))

    visible = max(int(face.sum()), 1)

    def share(mask: np.ndarray) -> float:
        return round(float((mask & face).sum()) / visible, 3)

    summary.update(
        {
            "smile_fraction": share(analysis.masks["smile"]),
            "smile_intensity": _stat(features["smile"][face]),
            "mouth_open_fraction": share(features["mouth_open"] >= th.mouth_open),
            "brow_raise_fraction": share(analysis.masks["brow_raise"]),
            "brow_furrow_fraction": share(analysis.masks["brow_furrow"]),
            "eye_widen_fraction": share(analysis.masks["eye_widen"]),
            "blink_rate_per_min": round(analysis.blink_count / (visible / track.fps / 60), 2),
            "nod_count": analysis.nod_count,
            "shake_count": analysis.shake_count,
            "gaze_away_fraction": share(analysis.masks["gaze_away"]),
        }
    )
    return ModalityResult(cues=cues, notes=notes, summary=summary)


class _Analysis:
    """Turns per-frame features of one clip into cues; keeps the masks for the summary."""

    def __init__(
        self,
        *,
        features: dict[str, np.ndarray],
        pose: np.ndarray,
        face: np.ndarray,
        clock: _Clock,
        th: VisualThresholds,
    ):
        self.f, self.pose, self.face, self.clock, self.th = features, pose, face, clock, th
        self.fps = clock.fps
        self.min_frames = max(1, math.ceil(th.min_segment_s * self.fps - 1e-9))
        self.merge_frames = max(0, int(th.merge_gap_s * self.fps + 1e-9))
        self.masks: dict[str, np.ndarray] = {}
        self.blink_count = self.nod_count = self.shake_count = 0

    # -- generic departures

    def _departure(
        self, feature: str, *, sign: int, rise: float, bound: float | None
    ) -> tuple[np.ndarray, np.ndarray, dict[str, float]]:
        """Frames departing from the clip baseline (relative) and beyond a bound (absolute)."""
        values = self.f[feature]
        median, sd = _robust_baseline(values[self.face])
        needed = max(rise, self.th.baseline_z * sd)
        with np.errstate(invalid="ignore"):
            relative = sign * (values - median) >= needed
            absolute = (
                (sign * values >= sign * bound) if bound is not None else np.zeros_like(relative)
            )
        baseline = {
            "median": round(median, 4),
            "robust_sd": round(sd, 4),
            "relative_threshold": round(needed, 4),
        }
        return relative & self.face, absolute & self.face, baseline

    def _cue(
        self, text: str, start: int, stop: int, confidence: float, evidence: dict[str, Any]
    ) -> ProposedCue:
        evidence = {**evidence, "frames": stop - start, "analysis_fps": round(self.fps, 3)}
        return ProposedCue(
            modality=MODALITY,
            kind="observation",
            text=text,
            start_ms=self.clock.ms(start),
            end_ms=self.clock.ms(stop),
            confidence=confidence,
            evidence=evidence,
        )

    def _segment_cues(
        self,
        feature: str,
        mask: np.ndarray,
        relative: np.ndarray,
        absolute: np.ndarray,
        baseline: dict[str, float],
        *,
        sign: int,
        bound: float | None,
        neutral: float | None,
        text,
    ) -> list[ProposedCue]:
        """One cue per segment of ``mask``; confidence from the larger effect size."""
        cues = []
        values = self.f[feature]
        for start, stop in _segments(
            mask, self.face, min_frames=self.min_frames, merge_frames=self.merge_frames
        ):
            part = values[start:stop][self.face[start:stop]]
            value = float(np.median(part))
            ratios = [
                abs(value - baseline["median"]) / baseline["relative_threshold"]
                if relative[start:stop].any()
                else 0.0
            ]
            criteria = ["clip baseline"] if relative[start:stop].any() else []
            if bound is not None and absolute[start:stop].any():
                criteria.append("population bound")
                if neutral is not None:  # distance from a neutral face, as a share of the bound's
                    ratios.append(abs(value - neutral) / max(abs(bound - neutral), 1e-9))
                else:  # how far past the bound, as a ratio (below it for sign -1)
                    ratios.append((value / bound) ** sign if value > 0 and bound > 0 else 1.0)
            cues.append(
                self._cue(
                    text(value),
                    start,
                    stop,
                    _confidence(max(ratios), self.th),
                    {
                        "feature": feature,
                        "value": round(value, 4),
                        "range": [round(float(part.min()), 4), round(float(part.max()), 4)],
                        "baseline": baseline,
                        "bound": bound,
                        "criteria": criteria,
                    },
                )
            )
        return cues

    def expressions(self) -> list[ProposedCue]:
        th = self.th
        cues: list[ProposedCue] = []

        # Smile: above the population bound, or risen over the clip's own baseline.
        rel, ab, base = self._departure("smile", sign=+1, rise=th.smile_rise, bound=th.smile_slight)
        smile = rel | ab
        self.masks["smile"] = smile

        def smile_text(value: float) -> str:
            if value >= th.smile_clear:
                return "The corners of the mouth turn up (clear smile)."
            return "The corners of the mouth turn up slightly (slight smile)."

        cues += self._segment_cues(
            "smile",
            smile,
            rel,
            ab,
            base,
            sign=+1,
            bound=th.smile_slight,
            neutral=0.0,
            text=smile_text,
        )

        # Corners down: needs both a drop under the clip baseline and a clear downturn.
        rel, ab, base = self._departure("smile", sign=-1, rise=th.smile_rise, bound=th.corners_down)
        cues += self._segment_cues(
            "smile",
            rel & ab,
            rel,
            ab,
            base,
            sign=-1,
            bound=th.corners_down,
            neutral=0.0,
            text=lambda v: "The corners of the mouth turn down.",
        )

        rel, ab, base = self._departure(
            "mouth_open", sign=+1, rise=th.mouth_open_rise, bound=th.mouth_open_wide
        )
        cues += self._segment_cues(
            "mouth_open",
            rel | ab,
            rel,
            ab,
            base,
            sign=+1,
            bound=th.mouth_open_wide,
            neutral=0.0,
            text=lambda v: (
                "The mouth opens wide." if v >= th.mouth_open_wide else "The mouth opens."
            ),
        )

        rel, ab, base = self._departure(
            "brow_height", sign=+1, rise=th.brow_rise, bound=th.brow_high
        )
        self.masks["brow_raise"] = rel | ab
        cues += self._segment_cues(
            "brow_height",
            rel | ab,
            rel,
            ab,
            base,
            sign=+1,
            bound=th.brow_high,
            neutral=None,
            text=lambda v: "The eyebrows are raised.",
        )

        rel, ab, base = self._departure(
            "brow_distance", sign=-1, rise=th.brow_close_drop, bound=th.brow_close
        )
        self.masks["brow_furrow"] = rel | ab
        cues += self._segment_cues(
            "brow_distance",
            rel | ab,
            rel,
            ab,
            base,
            sign=-1,
            bound=th.brow_close,
            neutral=None,
            text=lambda v: "The brows draw together (frown).",
        )

        rel, ab, base = self._departure("ear", sign=+1, rise=th.eye_widen_rise, bound=th.eye_wide)
        self.masks["eye_widen"] = rel | ab
        cues += self._segment_cues(
            "ear",
            rel | ab,
            rel,
            ab,
            base,
            sign=+1,
            bound=th.eye_wide,
            neutral=None,
            text=lambda v: "The eyes widen.",
        )

        # Squint: narrowed for a while, but not closed (closures are blinks).
        rel, _, base = self._departure("ear", sign=-1, rise=th.squint_drop, bound=None)
        with np.errstate(invalid="ignore"):
            squint = rel & (self.f["ear"] >= self._blink_level(base["median"]))
        cues += self._segment_cues(
            "ear",
            squint,
            squint,
            np.zeros_like(squint),
            base,
            sign=-1,
            bound=None,
            neutral=None,
            text=lambda v: "The eyes narrow (squint).",
        )
        return cues

    # -- blinks and closures

    def _blink_level(self, median_ear: float) -> float:
        return min(self.th.blink_ear, self.th.blink_ratio * median_ear)

    def blinks(self) -> list[ProposedCue]:
        ear = self.f["ear"]
        median, _ = _robust_baseline(ear[self.face])
        level = self._blink_level(median)
        with np.errstate(invalid="ignore"):
            closed = (ear < level) & self.face
        longest = max(1, int(self.th.blink_max_s * self.fps + 1e-9))
        cues = []
        for start, stop in _runs(closed):
            value = float(np.min(ear[start:stop]))
            evidence = {
                "feature": "ear",
                "value": round(value, 4),
                "baseline": {"median": round(median, 4)},
                "threshold": round(level, 4),
            }
            depth = (median - value) / max(median - level, 1e-9)
            if stop - start <= longest:
                self.blink_count += 1
                cues.append(
                    self._cue("The eyes blink.", start, stop, _confidence(depth, self.th), evidence)
                )
            else:
                cues.append(
                    self._cue("The eyes close.", start, stop, _confidence(depth, self.th), evidence)
                )
        return cues

    # -- head movements

    def _swings(self, series: np.ndarray, amplitude: float) -> list[tuple[int, int, float]]:
        """Alternating swings (start, end, size) of at least ``amplitude``, fast enough,
        within face-visible runs (a zigzag with hysteresis)."""
        longest = self.th.swing_max_s * self.fps
        swings: list[tuple[int, int, float]] = []
        for run_start, run_stop in _runs(self.face & np.isfinite(series)):
            values = series[run_start:run_stop]
            pivots = _zigzag(values, amplitude)
            for a, b in pairwise(pivots):
                size = abs(values[b] - values[a])
                if size >= amplitude and b - a <= longest:
                    swings.append((run_start + a, run_start + b, float(size)))
        return swings

    def _oscillations(
        self, axis: int, amplitude: float, feature: str, text: str
    ) -> tuple[list[ProposedCue], int]:
        swings = self._swings(self.pose[:, axis], amplitude)
        groups: list[list[tuple[int, int, float]]] = []
        for swing in swings:
            if groups and swing[0] == groups[-1][-1][1]:
                groups[-1].append(swing)
            else:
                groups.append([swing])
        cues, count = [], 0
        for group in groups:
            if len(group) < 2:  # one swing is a turn, not a nod or a shake
                continue
            count += len(group) // 2
            sizes = [size for _, _, size in group]
            cues.append(
                self._cue(
                    text,
                    group[0][0],
                    group[-1][1] + 1,
                    _confidence(float(np.median(sizes)) / amplitude, self.th),
                    {
                        "feature": feature,
                        "swings": len(group),
                        "swing_deg": [round(s, 1) for s in sizes],
                        "threshold": amplitude,
                    },
                )
            )
        return cues, count

    def movements(self) -> list[ProposedCue]:
        nods, self.nod_count = self._oscillations(
            0, self.th.nod_swing_deg, "head_pitch", "The head nods."
        )
        shakes, self.shake_count = self._oscillations(
            1, self.th.shake_swing_deg, "head_yaw", "The head shakes."
        )
        return nods + shakes

    # -- gaze

    def gaze(self) -> list[ProposedCue]:
        th = self.th
        pitch, yaw = self.pose[:, 0], self.pose[:, 1]
        valid = self.face & np.isfinite(pitch)
        if not valid.any():
            self.masks["gaze_away"] = np.zeros_like(self.face)
            return []
        pitch_median, yaw_median = float(np.median(pitch[valid])), float(np.median(yaw[valid]))
        with np.errstate(invalid="ignore"):
            turned = (
                (np.abs(yaw) >= th.gaze_yaw_deg)
                | (np.abs(pitch - th.pitch_frontal_deg) >= th.gaze_pitch_deg)
                | (np.abs(self.f["iris_offset"]) >= th.gaze_iris_offset)
            )
            moved = (np.abs(yaw - yaw_median) >= th.gaze_turn_deg) | (
                np.abs(pitch - pitch_median) >= th.gaze_turn_deg
            )
        away = (turned | moved) & valid
        self.masks["gaze_away"] = away
        cues = []
        for start, stop in _segments(
            away, valid, min_frames=self.min_frames, merge_frames=self.merge_frames
        ):
            yaw_part, pitch_part = yaw[start:stop], pitch[start:stop]
            iris_part = self.f["iris_offset"][start:stop]
            ratio = max(
                float(np.nanmedian(np.abs(yaw_part))) / th.gaze_yaw_deg,
                float(np.nanmedian(np.abs(pitch_part - th.pitch_frontal_deg))) / th.gaze_pitch_deg,
                float(np.nanmedian(np.abs(iris_part))) / th.gaze_iris_offset,
                float(np.nanmedian(np.abs(yaw_part - yaw_median))) / th.gaze_turn_deg,
                float(np.nanmedian(np.abs(pitch_part - pitch_median))) / th.gaze_turn_deg,
            )
            cues.append(
                self._cue(
                    "Gaze turns away from the camera.",
                    start,
                    stop,
                    _confidence(ratio, th),
                    {
                        "feature": "head_pose_and_iris",
                        "yaw_deg": _stat(yaw_part),
                        "pitch_deg": _stat(pitch_part),
                        "iris_offset": _stat(iris_part),
                        "baseline": {
                            "yaw_deg": round(yaw_median, 2),
                            "pitch_deg": round(pitch_median, 2),
                        },
                        "thresholds": {
                            "yaw_deg": th.gaze_yaw_deg,
                            "pitch_deg": th.gaze_pitch_deg,
                            "pitch_frontal_deg": th.pitch_frontal_deg,
                            "iris_offset": th.gaze_iris_offset,
                            "turn_deg": th.gaze_turn_deg,
                        },
                    },
                )
            )
        return cues
