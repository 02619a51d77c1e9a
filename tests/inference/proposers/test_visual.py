"""The visual analysis of the signal proposer: real demo clips through ffmpeg and face mesh,
clips made here with ffmpeg for the face lost mid-clip and other frame rates, and the pure
feature functions on hand-made landmarks."""

from __future__ import annotations

import math
import subprocess
from pathlib import Path

import numpy as np
import pytest

from fixtures.demo import build_demo
from inference.media import probe
from inference.proposers import ClipInput, ProposalError
from inference.proposers.signals.thresholds import VISUAL
from inference.proposers.signals.visual import (
    KEPT,
    _Analysis,
    _Clock,
    _zigzag,
    analyse_visual,
    eye_aspect_ratio,
    face_features,
    mouth_corner_elevation,
)

EXPRESSION_WORDS = ("mouth", "brow", "eye", "head", "gaze", "smile", "frown")


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    return build_demo(tmp_path_factory.mktemp("demo"))


def clip_input(path: Path) -> ClipInput:
    info = probe(path)
    return ClipInput(
        name=path.stem,
        video=path,
        audio=None,
        duration_ms=info.duration_ms,
        fps_num=info.fps_num,
        fps_den=info.fps_den,
    )


def demo_clip(demo, name: str) -> ClipInput:
    return clip_input(next(c.video for c in demo.clips if c.name == name))


def ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", *args], check=True)


@pytest.fixture(scope="module")
def smiling(demo):
    clip = demo_clip(demo, "sample_00000001")
    return clip, analyse_visual(clip)


# ---------------------------------------------------------------------------- demo clips


def test_smiling_face_yields_a_clear_smile_over_a_valid_span(smiling):
    clip, result = smiling
    smiles = [c for c in result.cues if "corners of the mouth turn up" in c.text]
    assert len(smiles) == 1
    smile = smiles[0]
    assert smile.text == "The corners of the mouth turn up (clear smile)."
    assert smile.modality == "visual" and smile.kind == "observation"
    # The smile is constant, so only the population bound can find it, over the whole clip.
    assert smile.start_ms == 0 and smile.end_ms == clip.duration_ms
    assert smile.evidence["criteria"] == ["population bound"]
    assert smile.evidence["value"] >= VISUAL.smile_clear
    assert 0.5 < smile.confidence <= VISUAL.max_confidence
    assert result.summary["face_fraction"] == 1.0
    assert result.summary["smile_fraction"] == 1.0
    assert result.summary["smile_intensity"] >= VISUAL.smile_clear
    assert result.notes == []


def test_still_face_invents_no_movement(smiling):
    # The demo face is a still photo under a slow camera drift: no nods, shakes, blinks.
    _, result = smiling
    texts = {c.text for c in result.cues}
    assert not texts & {
        "The head nods.",
        "The head shakes.",
        "The eyes blink.",
        "Gaze turns away from the camera.",
        "The brows draw together (frown).",
    }
    assert result.summary["nod_count"] == 0 and result.summary["shake_count"] == 0
    assert result.summary["blink_rate_per_min"] == 0.0


@pytest.mark.parametrize("name", ["sample_00000004", "sample_00000007"])
def test_lively_and_silent_face_clips_smile_too(demo, name):
    result = analyse_visual(demo_clip(demo, name))
    assert any(c.text.startswith("The corners of the mouth turn up") for c in result.cues)
    assert result.summary["nod_count"] == 0 and result.summary["shake_count"] == 0


def test_clip_without_a_face_says_so_and_nothing_else(demo):
    clip = demo_clip(demo, "sample_00000008")
    result = analyse_visual(clip)
    assert len(result.cues) == 1
    cue = result.cues[0]
    assert (cue.kind, cue.modality, cue.text) == ("unobservable", "visual", "No face is visible.")
    assert (cue.start_ms, cue.end_ms) == (0, clip.duration_ms)
    assert result.summary["face_fraction"] == 0.0
    assert result.summary["smile_intensity"] is None
    assert result.summary["smile_fraction"] == 0.0


def test_timings_and_decoded_frame_count(smiling):
    # Not a timed assertion: the decode runs at the analysis rate, one frame per 100 ms.
    clip, result = smiling
    assert set(result.timings) == {"decode_s", "landmarks_s", "features_s"}
    assert all(value >= 0 for value in result.timings.values())
    assert result.timings["landmarks_s"] > 0
    assert result.summary["analysis_fps"] == VISUAL.analysis_fps
    assert result.summary["frames"] == round(clip.duration_ms * VISUAL.analysis_fps / 1000)


def test_analysis_rate_never_exceeds_the_real_frame_rate(demo, tmp_path):
    slow = tmp_path / "slow.mp4"
    source = next(c.video for c in demo.clips if c.name == "sample_00000007")
    ffmpeg(
        "-i",
        str(source),
        "-vf",
        "fps=5",
        "-c:v",
        "libx264",
        "-preset",
        "ultrafast",
        "-pix_fmt",
        "yuv420p",
        str(slow),
    )
    clip = clip_input(slow)
    assert clip.fps == 5
    result = analyse_visual(clip)
    assert result.summary["analysis_fps"] == 5
    assert result.summary["frames"] == round(clip.duration_ms * 5 / 1000) == 20


# ---------------------------------------------------------------------------- bad input


def test_face_lost_mid_clip_gets_a_note_and_no_cues_there(demo, tmp_path):
    source = next(c.video for c in demo.clips if c.name == "sample_00000007")  # 4.00 s face
    joined = tmp_path / "face_then_black.mp4"
    ffmpeg(
        "-i",
        str(source),
        "-f",
        "lavfi",
        "-i",
        "color=black:s=640x360:r=25:d=3",
        "-filter_complex",
        "[0:v][1:v]concat=n=2:v=1:a=0,format=yuv420p",
        "-c:v",
        "libx264",
        "-preset",
        "ultrafast",
        str(joined),
    )
    clip = clip_input(joined)
    assert clip.duration_ms == 7000
    result = analyse_visual(clip)
    assert len(result.notes) == 1
    note = result.notes[0]
    assert note.startswith("face not visible from 4.")
    assert note.endswith("to 7.00 s")
    assert 0.5 < result.summary["face_fraction"] < 0.65
    assert result.cues, "the first half still shows the smile"
    assert any(c.text.startswith("The corners of the mouth turn up") for c in result.cues)
    lost_ms = float(note.split()[4]) * 1000
    for cue in result.cues:
        assert cue.kind == "observation"
        assert cue.end_ms <= lost_ms


def test_text_file_named_mp4_raises_a_clear_proposal_error(tmp_path):
    fake = tmp_path / "notes.mp4"
    fake.write_text("these are meeting notes, not a video\n" * 20)
    clip = ClipInput(name="notes", video=fake, audio=None, duration_ms=4000, fps_num=25, fps_den=1)
    with pytest.raises(ProposalError, match="notes: the video cannot be decoded"):
        analyse_visual(clip)


def test_missing_video_raises_proposal_error(tmp_path):
    clip = ClipInput(
        name="gone",
        video=tmp_path / "gone.mp4",
        audio=None,
        duration_ms=4000,
        fps_num=25,
        fps_den=1,
    )
    with pytest.raises(ProposalError, match="gone: the video file is missing"):
        analyse_visual(clip)


# ---------------------------------------------------------------------------- pure features


def test_eye_aspect_ratio_of_hand_made_eyes():
    open_eye = np.array([[0, 0], [1, -0.5], [2, -0.5], [3, 0], [2, 0.5], [1, 0.5]])
    closed_eye = open_eye * np.array([1, 0.1])
    assert eye_aspect_ratio(open_eye) == pytest.approx(1 / 3)
    assert eye_aspect_ratio(closed_eye) == pytest.approx(1 / 30)
    # Invariant to scale and rotation, and vectorised over frames.
    angle = math.radians(25)
    rotation = np.array([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]])
    both = np.stack([open_eye * 7 @ rotation.T + 40, closed_eye])
    assert eye_aspect_ratio(both) == pytest.approx([1 / 3, 1 / 30])
    with pytest.raises(ValueError):
        eye_aspect_ratio(np.zeros((5, 2)))


def hand_made_face(
    *,
    corner_lift: float = 0.0,
    mouth_gap: float = 0.0,
    brow: float = 0.3,
    roll_deg: float = 0.0,
    scale: float = 60.0,
) -> np.ndarray:
    """478 landmarks (pixels, y down) of a schematic frontal face; geometry in IOD units."""
    points = np.zeros((478, 2))
    eye = np.array(
        [[-0.25, 0], [-0.08, -0.05], [0.08, -0.05], [0.25, 0], [0.08, 0.05], [-0.08, 0.05]]
    )  # EAR 0.2
    for indices, centre in (
        ((33, 160, 158, 133, 153, 144), -0.5),
        ((263, 387, 385, 362, 380, 373), 0.5),
    ):
        points[list(indices)] = eye + [centre, 0]
    points[[468, 473]] = [[-0.5, 0], [0.5, 0]]
    points[13], points[14] = [0, 1.0 - mouth_gap / 2], [0, 1.0 + mouth_gap / 2]
    points[61], points[291] = [-0.45, 1.0 - corner_lift], [0.45, 1.0 - corner_lift]
    points[[107, 70, 55]] = [[-0.2, -brow], [-0.8, -brow], [-0.2, -brow + 0.05]]
    points[[336, 300, 285]] = [[0.2, -brow], [0.8, -brow], [0.2, -brow + 0.05]]
    points[1], points[152] = [0, 0.6], [0, 1.5]
    angle = math.radians(roll_deg)
    rotation = np.array([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]])
    return points @ rotation.T * scale + [320, 180]


def test_mouth_corner_elevation_measures_smiles_in_iod_units():
    assert mouth_corner_elevation(hand_made_face())[0] == pytest.approx(0.0, abs=1e-9)
    assert mouth_corner_elevation(hand_made_face(corner_lift=0.12))[0] == pytest.approx(0.12)
    assert mouth_corner_elevation(hand_made_face(corner_lift=-0.07))[0] == pytest.approx(-0.07)
    # Independent of roll and face size; an opening jaw alone (corners mid-opening) is no smile.
    tilted = hand_made_face(corner_lift=0.12, roll_deg=-20, scale=140)
    assert mouth_corner_elevation(tilted)[0] == pytest.approx(0.12)
    assert mouth_corner_elevation(hand_made_face(mouth_gap=0.3))[0] == pytest.approx(0.0, abs=1e-9)


def test_face_features_of_a_hand_made_face():
    faces = np.stack([hand_made_face(), hand_made_face(mouth_gap=0.2, brow=0.4, roll_deg=10)])
    features = face_features(faces)
    assert features["ear"] == pytest.approx([0.2, 0.2])
    assert features["mouth_open"] == pytest.approx([0.0, 0.2], abs=1e-9)
    assert features["brow_height"] == pytest.approx([0.3, 0.4])
    assert features["brow_distance"] == pytest.approx([0.4, 0.4])
    assert features["iod"] == pytest.approx([60.0, 60.0])
    assert features["roll"] == pytest.approx([0.0, 10.0])
    assert features["iris_offset"] == pytest.approx([0.0, 0.0], abs=1e-9)
    # The kept subset gives the same features as all 478 landmarks; NaN rows stay NaN.
    kept = faces[:, list(KEPT)]
    assert face_features(kept)["smile"] == pytest.approx(features["smile"])
    missing = np.full((1, 478, 2), np.nan)
    assert np.isnan(face_features(missing)["smile"]).all()


# ---------------------------------------------------------------------------- time series


def synthetic_analysis(features: dict[str, np.ndarray], pose: np.ndarray | None = None):
    count = len(pose) if pose is not None else len(next(iter(features.values())))
    face = np.ones(count, dtype=bool)
    base = {
        "smile": 0.0,
        "mouth_open": 0.0,
        "brow_height": 0.28,
        "brow_distance": 0.42,
        "ear": 0.3,
        "iris_offset": 0.0,
    }
    rng = np.random.default_rng(7)
    full = {
        k: features.get(k, np.full(count, v) + rng.normal(0, 0.002, count)) for k, v in base.items()
    }
    if pose is None:
        pose = np.column_stack([np.full(count, 12.0), np.zeros(count), np.zeros(count)])
    return _Analysis(
        features=full, pose=pose, face=face, clock=_Clock(10.0, count * 100, count), th=VISUAL
    )


def test_brow_raise_against_the_clips_own_baseline_has_the_right_span():
    brow = np.full(60, 0.28) + np.random.default_rng(1).normal(0, 0.002, 60)
    brow[20:35] += 0.06  # 1.5 s raise, still under the population bound of 0.36
    analysis = synthetic_analysis({"brow_height": brow})
    cues = [c for c in analysis.expressions() if c.text == "The eyebrows are raised."]
    assert [(c.start_ms, c.end_ms) for c in cues] == [(2000, 3500)]
    assert cues[0].evidence["criteria"] == ["clip baseline"]
    assert cues[0].evidence["baseline"]["median"] == pytest.approx(0.28, abs=0.003)
    assert analysis.masks["brow_raise"].sum() == 15


def test_blinks_are_short_ear_dips_and_longer_closures_are_not_blinks():
    ear = np.full(100, 0.3)
    ear[[10, 40, 41]] = 0.08  # two blinks (100 ms, 200 ms)
    ear[70:80] = 0.05  # a 1 s closure
    analysis = synthetic_analysis({"ear": ear})
    cues = analysis.blinks()
    assert [(c.text, c.start_ms, c.end_ms) for c in cues] == [
        ("The eyes blink.", 1000, 1100),
        ("The eyes blink.", 4000, 4200),
        ("The eyes close.", 7000, 8000),
    ]
    assert analysis.blink_count == 2


def test_nods_from_pitch_oscillation_and_no_shake_without_yaw_movement():
    times = np.arange(50) / 10
    pitch = 12 + np.where((times >= 1) & (times < 3), 8 * np.sin(2 * np.pi * 1.0 * (times - 1)), 0)
    pose = np.column_stack([pitch, np.zeros(50), np.zeros(50)])
    analysis = synthetic_analysis({}, pose)
    cues = analysis.movements()
    assert [c.text for c in cues] == ["The head nods."]
    assert 900 <= cues[0].start_ms <= 1500 and 2500 <= cues[0].end_ms <= 3200
    assert analysis.nod_count == 2 and analysis.shake_count == 0


def test_zigzag_keeps_only_swings_of_the_amplitude():
    values = np.array([0, 1, 0, 7, 3, 9, -1, 0, -2, 5])
    assert _zigzag(values, 6.0) == [0, 5, 8, 9]
    assert _zigzag(np.zeros(10), 6.0) == []


def test_frown_below_the_population_bound_and_the_baseline():
    distance = np.full(50, 0.42) + np.random.default_rng(3).normal(0, 0.002, 50)
    distance[10:20] = 0.30  # inner brows drawn together for 1 s
    analysis = synthetic_analysis({"brow_distance": distance})
    cues = [c for c in analysis.expressions() if "frown" in c.text]
    assert [(c.text, c.start_ms, c.end_ms) for c in cues] == [
        ("The brows draw together (frown).", 1000, 2000)
    ]
    assert cues[0].evidence["criteria"] == ["clip baseline", "population bound"]
    assert cues[0].confidence > 0.9  # a drop of 0.12 against a 0.03 threshold
    assert not [c for c in analysis.expressions() if "smile" in c.text or "raised" in c.text]
