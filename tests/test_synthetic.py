import numpy as np

from digits.synthetic import NOT_A_DIGIT, generate_chunk, glyph_strokes, non_digit_strokes, redraw


def test_chunks_are_reproducible_model_inputs_with_digits_and_non_digits(mnist):
    (x_train, y_train), _ = mnist
    images, labels = generate_chunk(60, 0, 3, x_train[:1000], y_train[:1000])
    again, again_labels = generate_chunk(60, 0, 3, x_train[:1000], y_train[:1000])
    np.testing.assert_array_equal(images, again)
    np.testing.assert_array_equal(labels, again_labels)
    assert images.shape == (60, 28, 28) and images.dtype == np.uint8
    assert (labels == NOT_A_DIGIT).any() and (labels < NOT_A_DIGIT).any() and labels.max() <= NOT_A_DIGIT
    # Every image went through to_model_input: ink inside the 20-pixel box, centred by mass.
    for image in images:
        rows, columns = np.nonzero(image > 10)
        assert np.ptp(rows) < 22 and np.ptp(columns) < 22
        centre = (image.astype(float) * np.arange(28)[:, None]).sum() / image.sum()
        assert abs(centre - 14) < 2.5


def test_another_chunk_draws_other_images(mnist):
    (x_train, y_train), _ = mnist
    first, _ = generate_chunk(10, 0, 0, x_train[:100], y_train[:100])
    second, _ = generate_chunk(10, 0, 1, x_train[:100], y_train[:100])
    assert not np.array_equal(first, second)


def test_redrawn_mnist_digits_are_small_tight_crops(mnist):
    (x_train, _), _ = mnist
    random = np.random.default_rng(0)
    for digit in x_train[:20]:
        image = redraw(digit, random)
        assert max(image.size) <= 40 and min(image.size) >= 3


def test_letters_come_as_pen_strokes_and_never_as_look_alikes():
    assert all(len(stroke) >= 2 for stroke in glyph_strokes("futural", "A"))
    random = np.random.default_rng(1)
    assert all(len(non_digit_strokes(random)) >= 1 for _ in range(50))


def test_every_kind_of_shape_is_drawn_and_made_into_a_model_input():
    from digits.preprocess import to_model_input
    from digits.synthetic import render, shape

    random = np.random.default_rng(4)
    for _ in range(60):
        strokes = [stroke for stroke in shape(random) if len(stroke) >= 2]
        assert strokes and all(np.isfinite(stroke).all() for stroke in strokes)
        image = to_model_input(render(strokes, random))
        assert image.shape == (28, 28) and image.max() > 0.5


def test_dashes_stay_near_level_so_that_a_leaning_1_is_never_taught_as_a_non_digit():
    from digits.synthetic import scribble

    random = np.random.default_rng(2)
    angles = []
    for _ in range(400):
        strokes = scribble(random)
        if len(strokes) == 1 and len(strokes[0]) == 2:  # a dash: one straight stroke
            (x0, y0), (x1, y1) = strokes[0]
            angles.append(abs(np.degrees(np.arctan2(y1 - y0, x1 - x0))))
    assert len(angles) > 20
    assert max(angles) <= 25.0


def test_every_sign_and_capital_taught_as_a_non_digit_is_drawn_by_its_font():
    from digits.synthetic import CAPITALS, SIGNS

    for table in (SIGNS, CAPITALS):
        for font, keys in table.items():
            assert not set(keys) & set("0123456789")  # a font's digit keys are never taught as non-digits
            for key in keys:
                assert [stroke for stroke in glyph_strokes(font, key) if len(stroke) >= 2], (font, key)


def test_arrows_have_a_head_a_digit_stroke_lacks_and_hearts_are_closed():
    from digits.synthetic import arrow, heart

    random = np.random.default_rng(3)
    for _ in range(40):
        shaft, head, *more = arrow(random)
        tip = head[1]
        assert np.allclose(tip, shaft[-1])
        sides = np.hypot(*(head[[0, 2]] - tip).T)
        # Both sides of the head equally long and at least a fifth of the shaft: an arrow, not a flagged 1.
        assert np.isclose(sides[0], sides[1]) and sides[0] >= 0.2 * np.hypot(*(shaft[-1] - shaft[0]))
        outline = np.concatenate([stroke for stroke in heart(random) if len(stroke) > 3])
        assert np.allclose(outline[0], outline[-1], atol=1e-6)


def test_printed_digits_and_letters_come_from_every_family_and_become_model_inputs():
    from digits.preprocess import to_model_input
    from digits.printed import FONT_PACKAGES, families, printed
    from digits.synthetic import PRINTED_LETTERS

    assert len(families()) == len(FONT_PACKAGES)
    random = np.random.default_rng(5)
    for character in "0123456789" + PRINTED_LETTERS[-10:]:
        drawing = printed(character, random)
        pixels = np.asarray(drawing)
        assert pixels.max() >= 100  # light type on black
        rows, columns = np.nonzero(pixels)
        assert rows.min() > 0 and columns.min() > 0  # nothing cut by the frame
        assert rows.max() < pixels.shape[0] - 1 and columns.max() < pixels.shape[1] - 1
        assert to_model_input(drawing).max() > 0.5


def test_no_training_face_is_one_the_printed_meter_benchmark_uses():
    from digits.printed import families

    names = {path.stem.lower() for family in families() for path in family}
    for benchmark_face in ("dejavu", "cmr", "cmss", "stix", "liberation"):
        assert not any(benchmark_face in name for name in names)


def test_a_missing_font_package_is_named_with_the_command_that_installs_it(monkeypatch):
    import importlib.util

    import pytest

    from digits import printed

    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *rest: None if name == "font_caladea" else real_find_spec(name, *rest))
    printed.families.cache_clear()
    try:
        with pytest.raises(RuntimeError, match="font-caladea: pip install font-caladea"):
            printed.families()
    finally:
        printed.families.cache_clear()


def test_some_drawings_are_printed_digits_and_letters(monkeypatch):
    from digits import synthetic

    drawn = []
    monkeypatch.setattr("digits.printed.printed", lambda character, random: drawn.append(character) or
                        synthetic.render([np.array([[0.0, 0.0], [0.0, 1.0]])], random))
    random = np.random.default_rng(3)
    for label in [3] * 200 + [synthetic.NOT_A_DIGIT] * 200:
        synthetic.draw_one(label, random)
    digits, letters = [c for c in drawn if c.isdigit()], [c for c in drawn if not c.isdigit()]
    assert 10 <= len(digits) <= 60 and set(digits) == {"3"}  # about PRINTED_SHARE of 200
    assert 10 <= len(letters) <= 60 and set(letters) <= set(synthetic.PRINTED_LETTERS)
