import numpy as np
import pytest
from PIL import Image, ImageDraw

from digits.ink import ink_map
from digits.pens import without_pen_beside
from digits.predict import recognise
from digits.recognisers import load_recogniser
from digits.preprocess import grey_of


def sheet_with_pen(digit: np.ndarray, pen: tuple) -> Image.Image:
    """An MNIST digit written 120 pixels tall on a light sheet, a dark pen drawn along ``pen`` (x0, y0, x1, y1)."""
    page = Image.new("L", (400, 320), 235)
    page.paste(Image.fromarray(255 - digit).resize((120, 120), Image.Resampling.BICUBIC), (140, 60))
    ImageDraw.Draw(page).line(pen, fill=30, width=11)
    return page


@pytest.mark.parametrize("pen", [(40, 250, 360, 250), (60, 40, 340, 20), (60, 290, 330, 215)],
                         ids=["below", "above", "slanting below"])
def test_a_pen_lying_beside_one_digit_is_taken_away(mnist, pen):
    # Left in, the pen was the longest stroke in the box: a 3 came back as 1, or as no digit.
    (x_train, y_train), _ = mnist
    index = 7  # a 3
    prediction = recognise([sheet_with_pen(x_train[index], pen)], load_recogniser("default"))[0]
    assert prediction.digit == y_train[index]


def drawn(*strokes: tuple) -> np.ndarray:
    page = Image.new("L", (200, 200), 255)
    pen = ImageDraw.Draw(page)
    for stroke in strokes:
        pen.line(stroke, fill=0, width=8)
    return ink_map(grey_of(page))


@pytest.mark.parametrize("strokes", [
    [(100, 30, 100, 110), (100, 122, 100, 170)],               # a 1 broken in two
    [(100, 30, 100, 170), (72, 50, 90, 30)],                   # a 1 whose flag stands apart
    [(120, 30, 120, 170), (80, 40, 60, 110), (60, 110, 112, 110)],  # a 4 in two strokes
    [(60, 40, 140, 40), (138, 52, 90, 170)],                   # a 7 whose bar stands apart
    [(100, 30, 100, 170), (60, 160, 64, 164)],                 # a 1 beside a speck
], ids=["broken 1", "1 and flag", "4 in two strokes", "7 and bar", "1 and speck"])
def test_a_digits_own_straight_strokes_are_no_pen(strokes):
    ink = drawn(*strokes)
    assert np.array_equal(without_pen_beside(ink), ink)


def test_strokes_a_removed_pen_crossed_are_joined_again_and_none_is_drawn_beside_it():
    from scipy import ndimage

    from digits.ink import bridged

    ink = np.zeros((60, 80), dtype=np.float32)
    ink[28:34, 5:75] = 1.0           # a stroke across the pen's band
    ink[5:20, 46:52] = 1.0           # a stroke running along it, a pixel clear, crossing nothing
    band = np.zeros_like(ink, dtype=bool)
    band[:, 37:45] = True            # where the pen lay, taken out
    joined = bridged(np.where(band, 0.0, ink), band)
    # The crossing stroke is one piece again; beside the other stroke, the band stays empty.
    assert ndimage.label(joined[20:] > 0.3)[1] == 1
    assert (joined[:22, 37:45] == 0.0).all() and (joined[40:, 37:45] == 0.0).all()
    np.testing.assert_array_equal(joined[:, :37], ink[:, :37])


def test_a_band_wider_than_any_pen_is_not_bridged():
    # A block of ink taken for a bar (a counter's frame): a closing with a disc as wide as the
    # band took two minutes and joined nothing.
    from digits.ink import bridged

    ink = np.zeros((341, 512), dtype=np.float32)
    ink[:, 100:104] = 1.0
    band = np.zeros(ink.shape, dtype=bool)
    band[80:260, :] = True
    kept = np.where(band, 0.0, ink)
    assert bridged(kept, band) is kept
