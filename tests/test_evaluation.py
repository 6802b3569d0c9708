import numpy as np
import pytest

from digits.evaluation import best_temperature, metrics, rescale


def test_metrics_by_hand():
    probabilities = np.array([[0.9, 0.1] + [0] * 8, [0.2, 0.8] + [0] * 8, [0.6, 0.4] + [0] * 8])
    result = metrics(probabilities, np.array([0, 1, 1]))
    assert result["accuracy"] == pytest.approx(2 / 3, abs=1e-6) and result["errors"] == 1
    assert result["loss"] == pytest.approx(-(np.log(0.9) + np.log(0.8) + np.log(0.4)) / 3, abs=1e-6)
    assert result["per_class_accuracy"]["0"] == 1.0 and result["per_class_accuracy"]["1"] == 0.5
    assert result["per_class_accuracy"]["2"] is None
    with pytest.raises(ValueError, match="same, non-zero count"):
        metrics(probabilities, np.array([0, 1]))


def test_temperature_recovers_a_known_softening():
    """Labels drawn from sharp probabilities, shown softened by T=2: the fit finds about 0.5."""
    generator = np.random.default_rng(0)
    logits = generator.normal(0, 3, size=(20000, 10))
    sharp = rescale(np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True), 1.0)
    labels = np.array([generator.choice(10, p=row) for row in sharp])
    softened = rescale(sharp, 2.0)
    assert best_temperature(softened, labels) == pytest.approx(0.5, abs=0.05)
    assert (rescale(softened, 0.5).argmax(axis=1) == softened.argmax(axis=1)).all()


def test_temperature_layer_matches_numpy():
    import keras

    from digits.model import Temperature

    probabilities = rescale(np.random.default_rng(1).random((4, 10)), 1.0).astype(np.float32)
    layer_output = np.asarray(Temperature(0.5)(keras.ops.convert_to_tensor(probabilities)))
    np.testing.assert_allclose(layer_output, rescale(probabilities, 0.5), atol=1e-5)
