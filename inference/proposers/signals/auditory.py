"""Auditory cues from the clip's 16 kHz mono WAV: loudness, pitch, contours, rate, pauses,
voice quality, each compared with the speaker's own clip and with population norms.

Features come from praat-parselmouth (pitch, intensity, jitter, shimmer, HNR) and opensmile's
eGeMAPSv02 low-level descriptors (loudness, H1-H2, alpha ratio). Speech segments are
stretches of speech-loud, voiced frames separated by pauses of at least
``min_pause_s``; in cue texts they are called sentences ("the second sentence").

Summary keys (read by the fusion step; ``None`` where not observable):
    has_audio, has_speech, clipping (bools); speech_fraction (speech time / clip time);
    level_dbfs (active speech level, RMS over speech); loudness_z_vs_norm ((level - -26
    dBov) / 6 dB); loudness_mean (eGeMAPS loudness, sone-like, over speech);
    f0_mean_hz, f0_mean_st (semitones re 27.5 Hz, as eGeMAPS); f0_range_st (10th-90th
    percentile); speech_rate_syl_s, articulation_rate_syl_s; pause_fraction (pauses /
    speech span); jitter, shimmer (fractions), hnr_db; h1h2_db, alpha_ratio_db;
    final_rises, final_falls (counts of segment contours); segments ([start_ms, end_ms]);
    arousal (in [-1, 1]: tanh of weighted z-scores of level, pitch, rate and range vs
    norms).

Example:
    >>> result = analyse_auditory(clip)  # doctest: +SKIP
    >>> [cue.text for cue in result.cues][:2]  # doctest: +SKIP
    ['The voice is loud.', 'The pitch is high.']
"""

from __future__ import annotations

import functools
import math
import time
from pathlib import Path
from typing import Any

import numpy as np

from inference.proposers.base import ClipInput, ProposedCue

from .common import ModalityResult
from .thresholds import AUDITORY, AuditoryThresholds

__all__ = ["AudioReadError", "analyse_auditory", "read_wav"]

FRAME_S = 0.01  # 10 ms analysis frames (parselmouth and eGeMAPS LLDs both use this hop)
PITCH_FLOOR_HZ, PITCH_CEILING_HZ = 75.0, 600.0  # Praat's defaults for speech
_ORDINALS = (
    "first",
    "second",
    "third",
    "fourth",
    "fifth",
    "sixth",
    "seventh",
    "eighth",
    "ninth",
    "tenth",
)


class AudioReadError(ValueError):
    """The WAV file cannot be read; the message names it."""


def read_wav(path: Path) -> tuple[np.ndarray, int]:
    """Samples of a WAV file as float64 mono in [-1, 1], and its sample rate.

    Raises:
        AudioReadError: missing, empty or undecodable file.
    """
    from scipy.io import wavfile

    path = Path(path)
    if not path.is_file():
        raise AudioReadError(f"the audio file {path} is missing")
    if path.stat().st_size <= 44:
        raise AudioReadError(f"the audio file {path.name} is empty")
    try:
        rate, data = wavfile.read(str(path))
    except (
        Exception
    ) as exc:  # scipy fails on junk with ValueError, EOFError, even UnboundLocalError
        raise AudioReadError(f"the audio file {path.name} is not a readable WAV ({exc})") from None
    if data.dtype.kind == "i":
        samples = data.astype(np.float64) / float(np.iinfo(data.dtype).max + 1)
    elif data.dtype.kind == "u":  # 8-bit WAV is unsigned
        samples = (data.astype(np.float64) - 128.0) / 128.0
    else:
        samples = data.astype(np.float64)
    if samples.ndim == 2:
        samples = samples.mean(axis=1)
    if rate <= 0:
        raise AudioReadError(f"the audio file {path.name} has no sample rate")
    return samples, int(rate)


@functools.lru_cache(maxsize=1)
def _smile():
    import opensmile

    return opensmile.Smile(
        feature_set=opensmile.FeatureSet.eGeMAPSv02,
        feature_level=opensmile.FeatureLevel.LowLevelDescriptors,
    )


def _db(power: float) -> float:
    return 10.0 * math.log10(max(power, 1e-20))


def _r(x: float | None, nd: int = 2) -> float | None:
    return None if x is None or not math.isfinite(x) else round(float(x), nd)


def _confidence(excess: float, scale: float, *, base: float = 0.55, top: float = 0.9) -> float:
    """Grows from ``base`` at the threshold towards ``top`` as the excess over it grows."""
    return round(base + (top - base) * (1.0 - math.exp(-max(excess, 0.0) / max(scale, 1e-9))), 2)


def _ordinal(index: int, count: int) -> str:
    if count == 1:
        return "the sentence"
    word = _ORDINALS[index] if index < len(_ORDINALS) else f"{index + 1}th"
    return f"the {word} sentence"


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """[start, end) index runs where mask is True."""
    padded = np.concatenate(([False], mask, [False])).astype(np.int8)
    edges = np.flatnonzero(np.diff(padded))
    return [(int(a), int(b)) for a, b in zip(edges[::2], edges[1::2], strict=True)]


def _empty_summary(*, has_audio: bool) -> dict[str, Any]:
    keys = (
        "level_dbfs",
        "loudness_z_vs_norm",
        "loudness_mean",
        "f0_mean_hz",
        "f0_mean_st",
        "f0_range_st",
        "speech_rate_syl_s",
        "articulation_rate_syl_s",
        "pause_fraction",
        "jitter",
        "shimmer",
        "hnr_db",
        "h1h2_db",
        "alpha_ratio_db",
        "arousal",
    )
    summary: dict[str, Any] = dict.fromkeys(keys)
    summary.update(
        has_audio=has_audio,
        has_speech=False,
        clipping=False,
        speech_fraction=0.0,
        final_rises=0,
        final_falls=0,
        segments=[],
    )
    return summary


def analyse_auditory(
    clip: ClipInput, *, thresholds: AuditoryThresholds = AUDITORY
) -> ModalityResult:
    """Auditory cues of one clip from its WAV.

    Args:
        clip: the clip; ``clip.audio`` is a 16 kHz mono WAV or None (no audio track).
        thresholds: the values that decide when a feature becomes a cue.
    Returns:
        A :class:`ModalityResult` with auditory cues, notes, the summary described in the
        module docstring, and timings (read, praat, opensmile, cues).
    Raises:
        AudioReadError: the WAV cannot be read.
    Example:
        >>> analyse_auditory(clip_without_audio).cues[0].text  # doctest: +SKIP
        'No audio track.'
    """
    t = thresholds
    result = ModalityResult()
    if clip.audio is None:
        result.cues.append(
            ProposedCue(
                "auditory",
                "No audio track.",
                0,
                max(clip.duration_ms, 0),
                1.0,
                {"feature": "audio_stream", "value": None},
                kind="unobservable",
            )
        )
        result.notes.append("The clip has no audio track: nothing auditory was observed.")
        result.summary = _empty_summary(has_audio=False)
        return result

    started = time.perf_counter()
    samples, rate = read_wav(clip.audio)
    audio_ms = int(round(len(samples) * 1000 / rate))
    clip_end = max(clip.duration_ms, 0) or audio_ms
    summary = _empty_summary(has_audio=True)
    result.summary = summary
    result.timings["read"] = time.perf_counter() - started

    # Clipping: runs of >= 3 full-scale samples (single peaks at full scale are legal).
    full = np.abs(samples) >= t.clip_level
    clipped = 0
    if full.any():
        for a, b in _runs(full):
            if b - a >= 3:
                clipped += b - a
    clip_share = clipped / max(len(samples), 1)
    if clip_share >= t.clip_fraction:
        summary["clipping"] = True
        result.notes.append(
            f"The audio clips: {clip_share:.1%} of samples sit at full scale, so loudness and "
            "voice quality are unreliable for this clip."
        )
        result.cues.append(
            ProposedCue(
                "auditory",
                "The recording is distorted by clipping, so loudness and voice quality "
                "cannot be judged reliably.",
                0,
                clip_end,
                0.9,
                {
                    "feature": "clipped_sample_fraction",
                    "value": round(clip_share, 4),
                    "threshold": t.clip_fraction,
                    "level": t.clip_level,
                },
                kind="unobservable",
            )
        )

    frame = int(rate * FRAME_S)
    n_frames = len(samples) // frame if frame else 0
    frame_power = (
        np.square(samples[: n_frames * frame]).reshape(n_frames, frame).mean(axis=1)
        if n_frames
        else np.zeros(0)
    )
    peak_dbfs = _db(float(frame_power.max())) + 3.01 if n_frames else -200.0  # re full-scale sine
    if n_frames < 10 or peak_dbfs < t.silence_dbfs:
        result.cues.append(
            ProposedCue(
                "auditory",
                "No speech is heard: the audio track is silent.",
                0,
                clip_end,
                0.95,
                {
                    "feature": "peak_frame_level_dbfs",
                    "value": _r(peak_dbfs, 1),
                    "threshold": t.silence_dbfs,
                },
                kind="unobservable",
            )
        )
        result.notes.append("The audio track is silent: no speech to analyse.")
        return result

    import parselmouth
    from parselmouth.praat import call

    started = time.perf_counter()
    sound = parselmouth.Sound(samples, sampling_frequency=float(rate))
    pitch = sound.to_pitch(
        time_step=FRAME_S, pitch_floor=PITCH_FLOOR_HZ, pitch_ceiling=PITCH_CEILING_HZ
    )
    intensity = sound.to_intensity(minimum_pitch=PITCH_FLOOR_HZ, time_step=FRAME_S)
    point_process = call(sound, "To PointProcess (periodic, cc)", PITCH_FLOOR_HZ, PITCH_CEILING_HZ)
    harmonicity = sound.to_harmonicity_cc(time_step=FRAME_S, minimum_pitch=PITCH_FLOOR_HZ)
    result.timings["praat"] = time.perf_counter() - started

    # Everything on one 10 ms grid: frame i covers [i*10, i*10+10) ms.
    grid = (np.arange(n_frames) + 0.5) * FRAME_S
    f0 = np.interp(grid, pitch.xs(), pitch.selected_array["frequency"], left=0.0, right=0.0)
    # Interpolation blurs voiced/unvoiced edges; take voicing from the nearest pitch frame.
    nearest = np.clip(np.searchsorted(pitch.xs(), grid), 0, len(pitch.xs()) - 1)
    voiced = pitch.selected_array["frequency"][nearest] > 0
    f0 = np.where(voiced, np.maximum(f0, PITCH_FLOOR_HZ), 0.0)
    inten_db = np.interp(grid, intensity.xs(), intensity.values[0], left=-300.0, right=-300.0)
    level_db = np.array([_db(p) for p in frame_power])  # dBFS-ish per frame (re full-scale square)

    started = time.perf_counter()
    segments = _speech_segments(level_db, voiced, t)
    if not segments:
        result.cues.append(
            ProposedCue(
                "auditory",
                "No speech is heard: there is sound but no voiced speech.",
                0,
                clip_end,
                0.8,
                {
                    "feature": "voiced_speech_frames",
                    "value": 0,
                    "peak_frame_level_dbfs": _r(peak_dbfs, 1),
                },
                kind="unobservable",
            )
        )
        result.notes.append("The audio has sound but no voiced speech.")
        result.timings["cues"] = time.perf_counter() - started
        return result

    summary["has_speech"] = True
    summary["segments"] = [[int(a * 10), int(b * 10)] for a, b in segments]
    speech = np.zeros(n_frames, dtype=bool)
    for a, b in segments:
        speech[a:b] = True
    speech_voiced = speech & voiced
    span_s = (segments[-1][1] - segments[0][0]) * FRAME_S
    phonation_s = speech.sum() * FRAME_S
    summary["speech_fraction"] = _r(phonation_s / (clip_end / 1000.0), 3)
    summary["pause_fraction"] = _r(1.0 - phonation_s / span_s if span_s > 0 else 0.0, 3)

    # Active speech level: RMS over speech frames, in dB re a full-scale sine (dBov-like).
    level = _db(float(frame_power[speech].mean())) + 3.01
    summary["level_dbfs"] = _r(level, 1)
    summary["loudness_z_vs_norm"] = _r((level - t.norm_level_dbfs) / t.norm_level_sd_db)

    f0_speech = f0[speech_voiced]
    st_speech = 12.0 * np.log2(f0_speech / 27.5) if f0_speech.size else np.zeros(0)
    if f0_speech.size >= 5:
        summary["f0_mean_hz"] = _r(float(np.median(f0_speech)), 1)
        summary["f0_mean_st"] = _r(float(np.median(st_speech)))
        summary["f0_range_st"] = _r(
            float(np.percentile(st_speech, 90) - np.percentile(st_speech, 10))
        )

    nuclei = _syllable_nuclei(inten_db, voiced, speech, t)
    summary["speech_rate_syl_s"] = _r(len(nuclei) / span_s if span_s > 0 else None)
    summary["articulation_rate_syl_s"] = _r(len(nuclei) / phonation_s if phonation_s > 0 else None)

    jitter = call(point_process, "Get jitter (local)", 0, 0, 0.0001, 0.02, 1.3)
    shimmer = call([sound, point_process], "Get shimmer (local)", 0, 0, 0.0001, 0.02, 1.3, 1.6)
    hnr_values = harmonicity.values[0]
    hnr_values = hnr_values[hnr_values > -199]
    summary["jitter"] = _r(jitter, 4)
    summary["shimmer"] = _r(shimmer, 4)
    summary["hnr_db"] = _r(float(hnr_values.mean()) if hnr_values.size else None, 1)
    result.timings["cues"] = time.perf_counter() - started

    started = time.perf_counter()
    lld = _smile().process_signal(samples.astype(np.float32), rate)
    n_lld = min(len(lld), n_frames)
    loud = lld["Loudness_sma3"].to_numpy()[:n_lld]
    h1h2 = lld["logRelF0-H1-H2_sma3nz"].to_numpy()[:n_lld]
    alpha = lld["alphaRatio_sma3"].to_numpy()[:n_lld]
    lld_speech = speech[:n_lld]
    lld_voiced = speech_voiced[:n_lld] & (lld["F0semitoneFrom27.5Hz_sma3nz"].to_numpy()[:n_lld] > 0)
    if lld_speech.any():
        summary["loudness_mean"] = _r(float(loud[lld_speech].mean()), 3)
    if lld_voiced.any():
        summary["h1h2_db"] = _r(float(h1h2[lld_voiced].mean()), 1)
        summary["alpha_ratio_db"] = _r(float(alpha[lld_voiced].mean()), 1)
    result.timings["opensmile"] = time.perf_counter() - started

    started = time.perf_counter()
    speech_span = (segments[0][0] * 10, min(segments[-1][1] * 10, clip_end))
    result.cues.extend(_clip_cues(summary, speech_span, t))
    result.cues.extend(
        _segment_cues(segments, level_db, frame_power, f0, voiced, summary, t, clip_end)
    )
    summary["arousal"] = _arousal(summary, t)
    arousal = summary["arousal"]
    if arousal is not None and (arousal >= t.energetic_arousal or arousal <= t.subdued_arousal):
        high = arousal >= t.energetic_arousal
        result.cues.append(
            ProposedCue(
                "auditory",
                "The voice sounds energetic." if high else "The voice sounds subdued.",
                *speech_span,
                _confidence(
                    abs(arousal) - abs(t.energetic_arousal if high else t.subdued_arousal),
                    0.2,
                    top=0.85,
                ),
                {
                    "feature": "vocal_arousal",
                    "value": arousal,
                    "threshold": t.energetic_arousal if high else t.subdued_arousal,
                    "from": {
                        k: summary[k]
                        for k in ("level_dbfs", "f0_mean_hz", "speech_rate_syl_s", "f0_range_st")
                    },
                },
            )
        )
    result.timings["cues"] += time.perf_counter() - started
    result.cues.sort(key=lambda cue: (cue.start_ms if cue.start_ms is not None else -1, cue.text))
    return result


def _speech_segments(
    level_db: np.ndarray, voiced: np.ndarray, t: AuditoryThresholds
) -> list[tuple[int, int]]:
    """Frame-index spans [a, b) of speech: loud enough, holes under min_pause_s closed,
    too-short or unvoiced stretches dropped."""
    top = float(np.percentile(level_db, 99))
    loud = level_db > max(top - t.speech_floor_db, t.silence_dbfs)
    runs = _runs(loud)
    min_gap = int(round(t.min_pause_s / FRAME_S))
    merged: list[list[int]] = []
    for a, b in runs:
        if merged and a - merged[-1][1] < min_gap:
            merged[-1][1] = b
        else:
            merged.append([a, b])
    min_len = int(round(t.min_segment_s / FRAME_S))
    return [(a, b) for a, b in merged if b - a >= min_len and voiced[a:b].sum() >= 5]


def _syllable_nuclei(
    inten_db: np.ndarray, voiced: np.ndarray, speech: np.ndarray, t: AuditoryThresholds
) -> np.ndarray:
    """de Jong & Wempe (2009): intensity peaks that stand ``nucleus_prominence_db`` above
    the surrounding dips, lie in speech and are voiced. Frame indices."""
    from scipy.signal import find_peaks

    contour = np.where(speech, inten_db, np.nan)
    floor = np.nanmin(contour) if np.isfinite(contour).any() else -300.0
    contour = np.nan_to_num(contour, nan=floor)
    peaks, _ = find_peaks(contour, prominence=t.nucleus_prominence_db)
    return peaks[speech[peaks] & voiced[peaks]]


def _clip_cues(
    s: dict[str, Any], span: tuple[int, int], t: AuditoryThresholds
) -> list[ProposedCue]:
    """Clip-level cues against population norms, spanning the speech."""
    cues: list[ProposedCue] = []
    start, end = span

    def add(text: str, confidence: float, evidence: dict[str, Any]) -> None:
        cues.append(ProposedCue("auditory", text, start, end, confidence, evidence))

    level = s["level_dbfs"]
    if level is not None and not s["clipping"]:
        # Absolute level also depends on recording gain: confidence stays modest.
        if level >= t.loud_dbfs:
            add(
                "The voice is loud.",
                _confidence(level - t.loud_dbfs, 6.0, top=0.8),
                {
                    "feature": "active_speech_level_dbfs",
                    "value": level,
                    "norm": t.norm_level_dbfs,
                    "threshold": t.loud_dbfs,
                    "source": "ITU-T P.56 nominal level",
                },
            )
        elif level <= t.quiet_dbfs:
            add(
                "The voice is quiet.",
                _confidence(t.quiet_dbfs - level, 6.0, top=0.75),
                {
                    "feature": "active_speech_level_dbfs",
                    "value": level,
                    "norm": t.norm_level_dbfs,
                    "threshold": t.quiet_dbfs,
                    "source": "ITU-T P.56 nominal level",
                },
            )
    f0 = s["f0_mean_hz"]
    if f0 is not None:
        if f0 >= t.high_f0_hz:
            add(
                "The pitch is high.",
                _confidence(12 * math.log2(f0 / t.high_f0_hz), 2.0),
                {
                    "feature": "median_f0_hz",
                    "value": f0,
                    "norm": t.norm_f0_hz,
                    "threshold": t.high_f0_hz,
                    "source": "adult speaking F0 (Titze 1994)",
                },
            )
        elif f0 <= t.low_f0_hz:
            add(
                "The pitch is very low.",
                _confidence(12 * math.log2(t.low_f0_hz / f0), 2.0),
                {
                    "feature": "median_f0_hz",
                    "value": f0,
                    "norm": t.norm_f0_hz,
                    "threshold": t.low_f0_hz,
                    "source": "adult speaking F0 (Titze 1994)",
                },
            )
    spread = s["f0_range_st"]
    if spread is not None:
        if spread <= t.monotone_range_st:
            add(
                "The intonation is flat and monotonous.",
                _confidence(t.monotone_range_st - spread, 1.0),
                {
                    "feature": "f0_range_st_p10_p90",
                    "value": spread,
                    "norm": t.norm_f0_range_st,
                    "threshold": t.monotone_range_st,
                },
            )
        elif spread >= t.wide_range_st:
            add(
                "The intonation varies widely.",
                _confidence(spread - t.wide_range_st, 3.0),
                {
                    "feature": "f0_range_st_p10_p90",
                    "value": spread,
                    "norm": t.norm_f0_range_st,
                    "threshold": t.wide_range_st,
                },
            )
    rate = s["speech_rate_syl_s"]
    if rate is not None:
        if rate >= t.fast_rate_syl_s:
            add(
                "The speech is fast.",
                _confidence(rate - t.fast_rate_syl_s, 1.0, top=0.8),
                {
                    "feature": "speech_rate_syl_s",
                    "value": rate,
                    "norm": t.norm_rate_syl_s,
                    "threshold": t.fast_rate_syl_s,
                    "source": "Jacewicz et al. 2009",
                },
            )
        elif rate <= t.slow_rate_syl_s:
            add(
                "The speech is slow.",
                _confidence(t.slow_rate_syl_s - rate, 1.0, top=0.8),
                {
                    "feature": "speech_rate_syl_s",
                    "value": rate,
                    "norm": t.norm_rate_syl_s,
                    "threshold": t.slow_rate_syl_s,
                    "source": "Jacewicz et al. 2009",
                },
            )
    if not s["clipping"]:
        jitter, hnr, h1h2 = s["jitter"], s["hnr_db"], s["h1h2_db"]
        if jitter is not None and math.isfinite(jitter) and jitter >= t.rough_jitter:
            add(
                "The voice sounds rough and unsteady.",
                _confidence((jitter - t.rough_jitter) * 100, 1.0, top=0.7),
                {
                    "feature": "jitter_local",
                    "value": jitter,
                    "norm": 0.0104,
                    "threshold": t.rough_jitter,
                    "source": "MDVP/Praat jitter threshold 1.04 %",
                },
            )
        if (
            hnr is not None
            and hnr <= t.breathy_hnr_db
            and h1h2 is not None
            and h1h2 >= t.breathy_h1h2_db
        ):
            add(
                "The voice is breathy.",
                _confidence(t.breathy_hnr_db - hnr, 3.0, top=0.7),
                {
                    "feature": "hnr_db",
                    "value": hnr,
                    "threshold": t.breathy_hnr_db,
                    "h1h2_db": h1h2,
                    "h1h2_threshold": t.breathy_h1h2_db,
                    "norm": "HNR about 20 dB in healthy sustained vowels (Praat/MDVP)",
                },
            )
        if (
            h1h2 is not None
            and h1h2 <= t.tense_h1h2_db
            and level is not None
            and level >= t.loud_dbfs
        ):
            add(
                "The voice sounds tense and pressed.",
                _confidence(t.tense_h1h2_db - h1h2, 3.0, top=0.65),
                {
                    "feature": "h1h2_db",
                    "value": h1h2,
                    "threshold": t.tense_h1h2_db,
                    "active_speech_level_dbfs": level,
                    "level_threshold": t.loud_dbfs,
                },
            )
    return cues


def _segment_cues(
    segments: list[tuple[int, int]],
    level_db: np.ndarray,
    frame_power: np.ndarray,
    f0: np.ndarray,
    voiced: np.ndarray,
    s: dict[str, Any],
    t: AuditoryThresholds,
    clip_end: int,
) -> list[ProposedCue]:
    """Cues where a segment departs from the clip's own baseline; contours; long pauses."""
    cues: list[ProposedCue] = []
    count = len(segments)
    all_speech = np.zeros(len(level_db), dtype=bool)
    for a, b in segments:
        all_speech[a:b] = True
    base_level = _db(float(frame_power[all_speech].mean()))
    base_st = None
    speech_voiced = all_speech & voiced
    if speech_voiced.sum() >= 5:
        base_st = float(np.median(12 * np.log2(f0[speech_voiced] / 27.5)))

    def ms(frame_index: int) -> int:
        return min(frame_index * 10, clip_end)

    for i, (a, b) in enumerate(segments):
        where = _ordinal(i, count)
        start, end = ms(a), ms(b)
        if count >= 2:
            seg_level = _db(float(frame_power[a:b].mean()))
            diff = seg_level - base_level
            if abs(diff) >= t.segment_loudness_db and not s["clipping"]:
                if diff > 0:
                    text = (
                        f"The voice grows louder in {where}."
                        if i > 0
                        else f"The voice is louder in {where}."
                    )
                else:
                    text = (
                        f"The voice becomes quieter in {where}."
                        if i > 0
                        else f"The voice is quieter in {where}."
                    )
                cues.append(
                    ProposedCue(
                        "auditory",
                        text,
                        start,
                        end,
                        _confidence(abs(diff) - t.segment_loudness_db, 3.0),
                        {
                            "feature": "segment_level_db",
                            "value": _r(seg_level, 1),
                            "baseline": _r(base_level, 1),
                            "threshold": t.segment_loudness_db,
                            "baseline_of": "all speech in this clip",
                        },
                    )
                )
        seg_voiced = voiced[a:b]
        if seg_voiced.sum() < 8 or base_st is None:
            continue
        seg_st = 12 * np.log2(f0[a:b][seg_voiced] / 27.5)
        seg_median = float(np.median(seg_st))
        # Octave jumps of the tracker would fake contours: keep one octave around the median.
        seg_st = np.clip(seg_st, seg_median - 12, seg_median + 12)
        if count >= 2:
            diff = seg_median - base_st
            if abs(diff) >= t.segment_pitch_st:
                text = f"The pitch is {'higher' if diff > 0 else 'lower'} in {where}."
                cues.append(
                    ProposedCue(
                        "auditory",
                        text,
                        start,
                        end,
                        _confidence(abs(diff) - t.segment_pitch_st, 2.0),
                        {
                            "feature": "segment_median_f0_st",
                            "value": _r(seg_median),
                            "baseline": _r(base_st),
                            "threshold": t.segment_pitch_st,
                            "baseline_of": "all voiced speech in this clip",
                        },
                    )
                )
        # Final contour: the last voiced frames against the segment median.
        tail_n = max(3, int(round(len(seg_st) * 0.1)))
        tail_from = int(len(seg_st) * (1 - t.contour_fraction))
        end_st = float(np.median(seg_st[-tail_n:]))
        move = end_st - float(
            np.median(seg_st[tail_from:-tail_n] if len(seg_st) - tail_from > tail_n else seg_st)
        )
        voiced_idx = np.flatnonzero(seg_voiced) + a
        contour_start = ms(int(voiced_idx[tail_from]))
        contour_end = ms(int(voiced_idx[-1]) + 1)
        evidence = {
            "feature": "final_f0_movement_st",
            "value": _r(move),
            "baseline": _r(seg_median),
            "end_f0_st": _r(end_st),
        }
        if move >= t.final_rise_st:
            s["final_rises"] += 1
            cues.append(
                ProposedCue(
                    "auditory",
                    f"Pitch rises at the end of {where}.",
                    contour_start,
                    contour_end,
                    _confidence(move - t.final_rise_st, 2.0),
                    {**evidence, "threshold": t.final_rise_st},
                )
            )
        elif move <= -t.final_fall_st:
            s["final_falls"] += 1
            cues.append(
                ProposedCue(
                    "auditory",
                    f"Pitch falls at the end of {where}.",
                    contour_start,
                    contour_end,
                    _confidence(-move - t.final_fall_st, 2.0),
                    {**evidence, "threshold": -t.final_fall_st},
                )
            )
    for i in range(1, count):
        gap_s = (segments[i][0] - segments[i - 1][1]) * FRAME_S
        if gap_s >= t.long_pause_s:
            where = _ordinal(i, count)
            cues.append(
                ProposedCue(
                    "auditory",
                    f"A long pause ({gap_s:.1f} s) comes before {where}.",
                    ms(segments[i - 1][1]),
                    ms(segments[i][0]),
                    _confidence(gap_s - t.long_pause_s, 0.5),
                    {"feature": "pause_s", "value": _r(gap_s), "threshold": t.long_pause_s},
                )
            )
    return cues


def _arousal(s: dict[str, Any], t: AuditoryThresholds) -> float | None:
    """tanh(gain * weighted mean z-score) over the features that were measured."""
    z: dict[str, float] = {}
    if s["level_dbfs"] is not None and not s["clipping"]:
        z["loudness"] = (s["level_dbfs"] - t.norm_level_dbfs) / t.norm_level_sd_db
    if s["f0_mean_hz"] is not None:
        z["pitch"] = 12 * math.log2(s["f0_mean_hz"] / t.norm_f0_hz) / t.norm_f0_sd_st
    if s["speech_rate_syl_s"] is not None:
        z["rate"] = (s["speech_rate_syl_s"] - t.norm_rate_syl_s) / t.norm_rate_sd
    if s["f0_range_st"] is not None:
        z["range"] = (s["f0_range_st"] - t.norm_f0_range_st) / (t.norm_f0_range_st / 2)
    weights = {name: w for name, w in t.arousal_weights if name in z}
    if not weights:
        return None
    mean = sum(w * max(min(z[name], 3.0), -3.0) for name, w in weights.items()) / sum(
        weights.values()
    )
    return round(math.tanh(t.arousal_gain * mean), 3)
