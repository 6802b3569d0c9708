import numpy as np
import pytest
from PIL import Image, ImageDraw

from digits.predict import recognise
from digits.stretched import narrowed


def stretched_to_a_square(digit: np.ndarray, side: int = 40) -> Image.Image:
    """A form field's cut-out: the digit cut to its ink and scaled to fill a square, dark on light."""
    rows = np.flatnonzero(digit.max(axis=1) > 0)
    columns = np.flatnonzero(digit.max(axis=0) > 0)
    crop = digit[rows[0]:rows[-1] + 1, columns[0]:columns[-1] + 1]
    return Image.fromarray(255 - np.asarray(Image.fromarray(crop).resize((side, side), Image.Resampling.BILINEAR)))


# Training 1s that, stretched to a square, were declined (a dot, a solid blob, "not a digit") or read as
# another digit.
@pytest.mark.parametrize("index", [134, 382, 1252, 1354, 1710, 2307])
def test_a_one_stretched_to_fill_its_field_is_read(mnist, index):
    (x_train, y_train), _ = mnist
    assert y_train[index] == 1
    prediction = recognise([stretched_to_a_square(x_train[index])])[0]
    assert prediction.digit == 1, prediction.to_dict()


def test_a_band_filling_the_image_is_narrowed_and_other_shapes_are_not():
    image = Image.new("L", (40, 40), 0)
    ImageDraw.Draw(image).polygon([(18, 0), (39, 0), (21, 39), (0, 39)], fill=255)  # a slanted band
    ink = np.asarray(image, dtype=np.float32) / 255
    band = narrowed(ink)
    # Its rows' runs, about half its width, become a stroke's (0.15 of the height): 40 × 40 to 40 × 11.
    assert band.shape == (40, 11)
    disk = Image.new("L", (40, 40), 0)
    ImageDraw.Draw(disk).ellipse([(0, 0), (39, 39)], fill=255)  # a dot cut to its ink
    ring = Image.new("L", (40, 40), 0)
    ImageDraw.Draw(ring).ellipse([(0, 0), (39, 39)], outline=255, width=8)  # a 0 stretched to a square
    dash = Image.new("L", (90, 40), 255)  # a dash cut to its ink
    for shape in (disk, ring, dash):
        assert narrowed(np.asarray(shape, dtype=np.float32) / 255) is None


def test_a_dot_cut_to_its_ink_is_still_no_digit():
    # The whole path, not only ``narrowed``: no answer of the band may make a dot a digit.
    dot = Image.new("L", (30, 30), 255)
    ImageDraw.Draw(dot).ellipse([(0, 0), (29, 29)], fill=0)
    prediction = recognise([dot])[0]
    assert prediction.digit is None, prediction.to_dict()


def test_every_surface_takes_the_second_look(mnist, tmp_path):
    # The batch path decodes in worker processes and runs the model apart; a correction records what
    # was answered; the API's preview shows the input the answer came from.
    from digits.batch import recognise_paths
    from digits.corrections import make_correction
    from digits.engines import ProcessEngine
    from digits.predict import answers_for, prepare
    from digits.recognisers import load_recogniser

    (x_train, _), _ = mnist
    paths = []
    for index in (1252, 134, 0):  # two stretched 1s and a digit as it is
        paths.append(tmp_path / f"{index}.png")
        stretched_to_a_square(x_train[index]).save(paths[-1])
    recogniser = load_recogniser()
    engine = ProcessEngine(workers=2)
    try:
        rows = list(recognise_paths([str(path) for path in paths], recogniser, engine=engine))
    finally:
        engine.close()
    assert [row.to_dict() for row in rows] == [answer.to_dict() for answer in recognise([str(path) for path in paths])]
    assert [row.digit for row in rows[:2]] == [1, 1]
    # What the API's preview and `digits explain` show: the narrowed band, whose answer was given.
    prepared = prepare(str(paths[0]))
    answer, model_input = answers_for([""], [prepared], recogniser)[0]
    assert answer.digit == 1 and np.array_equal(model_input, prepared.narrowed)
    correction = make_correction(paths[0].read_bytes(), 1, recogniser, "cli")
    assert correction.predicted == 1 and np.array_equal(correction.model_input, model_input)


def scores(digit: int | None, confidence: float, not_a_digit: float = 0.0) -> np.ndarray:
    """One row of ``Recogniser.scores``: ``confidence`` on ``digit`` (the rest spread), and "not a digit"."""
    row = np.full(11, (1 - confidence - not_a_digit) / 9)
    row[digit if digit is not None else 0] = confidence
    row[10] = not_a_digit
    return row


class FixedRecogniser:
    """Scores each input by its first pixel: an index into ``rows``."""

    def __init__(self, rows):
        self.rows = rows

    def scores(self, images):
        return np.stack([self.rows[int(image[0, 0])] for image in images])


def model_input(row: int) -> np.ndarray:
    image = np.zeros((28, 28), dtype=np.float32)
    image[0, 0] = row
    return image


@pytest.mark.parametrize("first, second, taken", [
    (scores(4, 0.9), scores(1, 0.95), True),     # the band is surer
    (scores(4, 0.97), scores(1, 0.95), False),   # the image as it is is surer
    (scores(4, 0.5), scores(1, 0.7), True),      # the image reads unsure
    (scores(4, 0.5), scores(1, 0.55), False),    # the band reads unsure too
    (scores(4, 0.1, 0.8), scores(1, 0.9), True),  # the image reads "not a digit"
    (scores(4, 0.2), scores(1, 0.15, 0.8), False),  # the band reads "not a digit"
])
def test_the_band_is_taken_where_it_is_sure_and_surer(first, second, taken):
    from digits.predict import Prepared, answers_for

    answer, used = answers_for(["x"], [Prepared(model_input(0), None, None, model_input(1))],
                               FixedRecogniser([first, second]))[0]
    assert (answer.digit == 1) == taken and (used[0, 0] == 1) == taken


def test_answers_keep_their_order_with_some_bands_and_some_errors():
    from digits.predict import Prepared, answers_for

    rows = [scores(d, 0.99) for d in range(6)]
    prepared = [Prepared(model_input(0), None, None, None), Prepared(None, "a dot", None, model_input(1)),
                Prepared(None, None, "not an image", None), Prepared(model_input(2), None, None, model_input(3)),
                (model_input(4), None, None), Prepared(None, "no ink", None)]
    answers = [answer for answer, _ in answers_for(list("abcdef"), prepared, FixedRecogniser(rows))]
    assert [answer.digit for answer in answers] == [0, 1, None, 2, 4, None]
    assert answers[2].error == "not an image" and answers[5].reason == "no ink"
