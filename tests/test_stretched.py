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
    dot = Image.new("L", (30, 30), 255)
    ImageDraw.Draw(dot).ellipse([(0, 0), (29, 29)], fill=0)
    prediction = recognise([dot])[0]
    assert prediction.digit is None, prediction.to_dict()


def test_every_surface_takes_the_second_look(mnist, tmp_path):
    # The batch path decodes in workers and runs the model apart; it must answer as `predict` does.
    from digits.batch import recognise_paths
    from digits.predict import load_recogniser

    (x_train, _), _ = mnist
    path = tmp_path / "stretched-one.png"
    stretched_to_a_square(x_train[1252]).save(path)
    rows = list(recognise_paths([str(path)], load_recogniser(), workers=1))
    assert rows[0].to_dict() == recognise([str(path)])[0].to_dict()
    assert rows[0].digit == 1
