"""inference/calibration.py: the reliability diagram and ECE on known data, and calibrators that
never reverse the proposer's order, fit the same whatever the order of the decisions, and need
enough decisions."""

import numpy as np
import pytest
from sklearn.isotonic import IsotonicRegression

from inference.calibration import (
    ISOTONIC_FROM,
    MIN_DECISIONS,
    Calibrator,
    calibration_ready,
    calibrator_fit,
    fit_data_sha256,
    reliability,
)


def test_ece_and_bins_on_known_data():
    # bin 0: 0.05, not kept (gap 0.05); bin 1: 0.15 twice, one kept (gap 0.35 each);
    # bin 9: 0.95, kept (gap 0.05). ECE = (0.05 + 0.7 + 0.05) / 4 = 0.2.
    diagram = reliability(confidences=[0.05, 0.15, 0.15, 0.95], kept=[0, 1, 0, 1])
    assert diagram["ece"] == pytest.approx(0.2)
    assert (diagram["n"], diagram["kept"]) == (4, 2)
    bins = diagram["bins"]
    assert len(bins) == 10 and bins[1]["n"] == 2 and bins[1]["kept_share"] == 0.5
    assert bins[1]["confidence"] == pytest.approx(0.15) and bins[5]["n"] == 0
    assert bins[5]["confidence"] is None and bins[5]["kept_share"] is None
    assert reliability(confidences=[0.8] * 4, kept=[1, 0, 1, 0])["ece"] == pytest.approx(0.3)
    edges = reliability(confidences=[0.0, 1.0], kept=[0, 1], n_bins=4)["bins"]
    assert edges[0]["n"] == 1 and edges[3]["n"] == 1  # 1.0 falls in the last bin
    assert reliability(confidences=[], kept=[])["ece"] is None


def test_bad_input_is_refused_with_the_reason():
    with pytest.raises(ValueError, match=r"confidences must lie in \[0, 1\], got 1.5"):
        reliability(confidences=[0.2, 1.5], kept=[0, 1])
    with pytest.raises(ValueError, match="kept must be 0/1"):
        reliability(confidences=[0.2], kept=[2])
    with pytest.raises(ValueError, match="2 confidences but 1 outcomes"):
        reliability(confidences=[0.2, 0.3], kept=[1])


def _miscalibrated(n, seed=0):
    """A proposer that claims c where annotators keep its cues with probability c squared."""
    rng = np.random.default_rng(seed)
    confidence = rng.uniform(size=n)
    kept = (rng.uniform(size=n) < confidence**2).astype(int)
    return confidence, kept


@pytest.mark.parametrize("n", [300, 3000])
def test_a_calibrator_is_monotone_and_lowers_the_cross_validated_ece(n):
    confidence, kept = _miscalibrated(n)
    fit = calibrator_fit(confidences=confidence, kept=kept)
    assert fit.method == ("isotonic" if n >= ISOTONIC_FROM else "platt")
    grid = np.linspace(0, 1, 501)
    calibrated = fit.predict(grid)
    assert np.all(np.diff(calibrated) >= -1e-12)
    assert calibrated.min() >= 0 and calibrated.max() <= 1
    assert fit.ece_after < fit.ece_before
    assert fit.ece_before == pytest.approx(reliability(confidences=confidence, kept=kept)["ece"])
    assert (fit.n, fit.n_kept) == (n, int(kept.sum()))
    assert fit.library.startswith("scikit-learn ")


def test_confidence_that_ranks_backwards_is_held_flat_not_reversed():
    rng = np.random.default_rng(1)
    confidence = rng.uniform(size=400)
    kept = (rng.uniform(size=400) < 1 - confidence).astype(int)
    for method in ("platt", "isotonic"):
        fit = calibrator_fit(confidences=confidence, kept=kept, method=method)
        calibrated = fit.predict(np.linspace(0, 1, 101))
        assert np.all(np.diff(calibrated) >= -1e-12), method
    platt = calibrator_fit(confidences=confidence, kept=kept, method="platt")
    assert platt.params["slope"] == 0.0
    assert platt.predict([0.1])[0] == pytest.approx(kept.mean())


def test_the_fit_is_the_same_whatever_the_order_and_the_stored_form_predicts_alike():
    confidence, kept = _miscalibrated(1500, seed=2)
    order = np.random.default_rng(5).permutation(1500)
    one = calibrator_fit(confidences=confidence, kept=kept)
    two = calibrator_fit(confidences=confidence[order], kept=kept[order])
    assert one == two
    assert one.fit_sha256 == fit_data_sha256(confidences=confidence[order], kept=kept[order])
    stored = Calibrator.from_dict(one.to_dict())
    grid = np.linspace(-0.2, 1.2, 141)
    assert np.array_equal(stored.predict(grid), one.predict(grid))
    # The stored breakpoints predict what scikit-learn's own isotonic regression predicts.
    reference = IsotonicRegression(y_min=0, y_max=1, out_of_bounds="clip")
    sorted_ = np.lexsort((kept, confidence))
    reference.fit(confidence[sorted_], kept[sorted_])
    assert np.allclose(stored.predict(grid), reference.predict(grid), atol=1e-12)
    with pytest.raises(ValueError, match="unknown calibration method"):
        Calibrator.from_dict(one.to_dict() | {"method": "magic"})


def test_enough_decisions_means_fifty_with_five_of_each_outcome():
    assert calibration_ready(n=MIN_DECISIONS, n_kept=25) == ""
    assert "needs at least 50" in calibration_ready(n=49, n_kept=25)
    assert "at least 5 of each" in calibration_ready(n=80, n_kept=77)
    with pytest.raises(ValueError, match="needs at least 50"):
        calibrator_fit(confidences=[0.5] * 10, kept=[1, 0] * 5)
    with pytest.raises(ValueError, match="method must be one of"):
        calibrator_fit(confidences=[0.5] * 60, kept=[1, 0] * 30, method="beta")
