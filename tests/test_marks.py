import numpy as np
import pytest
from PIL import Image, ImageDraw

from digits.marks import Mark, place_marks, with_marks
from digits.predict import recognise_numbers

HEIGHT = 60


def written(text: str, digits_of: dict[int, np.ndarray]) -> Image.Image:
    """``text`` written dark on white: MNIST digits, and points, commas, dashes and colons drawn with a pen 9 px wide."""
    page = Image.new("L", (40 + HEIGHT * len(text), 2 * HEIGHT), 255)
    pen = ImageDraw.Draw(page)
    # MNIST's ink fills rows 4-24 of 28: the line of digits runs from ``top`` to ``bottom``.
    top, bottom = HEIGHT // 2 + HEIGHT // 7, HEIGHT // 2 + HEIGHT * 6 // 7
    left = 20
    for character in text:
        if character.isdigit():
            glyph = np.asarray(Image.fromarray(255 - digits_of[int(character)]).resize((HEIGHT, HEIGHT),
                                                                                       Image.Resampling.BICUBIC))
            box = (left, HEIGHT // 2, left + HEIGHT, HEIGHT // 2 + HEIGHT)
            page.paste(Image.fromarray(np.minimum(np.asarray(page.crop(box)), glyph)), box[:2])
            left += int(HEIGHT * 0.8)
            continue
        middle = left + int(HEIGHT * 0.4)
        if character == ".":
            pen.ellipse([middle - 4, bottom - 8, middle + 4, bottom], fill=0)
        elif character == ",":
            pen.line([(middle + 4, bottom - 8), (middle - 4, bottom + 10)], fill=0, width=7)
        elif character == "-":
            pen.line([(middle - 12, (top + bottom) // 2), (middle + 12, (top + bottom) // 2)], fill=0, width=7)
        elif character == ":":
            for row in (top + 12, bottom - 4):
                pen.ellipse([middle - 4, row - 4, middle + 4, row + 4], fill=0)
        left += int(HEIGHT * 0.75)
    return page


@pytest.fixture
def digits_of(mnist):
    _, (x_test, y_test) = mnist
    return {digit: x_test[int(np.flatnonzero(y_test == digit)[5])] for digit in range(10)}


@pytest.mark.parametrize("text", ["12.50", "-15", "10:45", "3,75", "2024-05", "-3.25", "1250"])
def test_points_commas_minus_signs_and_colons_are_read_with_the_digits(digits_of, text):
    # Before, the point and the minus were lost (12.50 -> 1250, -15 -> 15) and a colon's two
    # dots were read as a digit (10:45 -> 10545).
    reading = recognise_numbers([written(text, digits_of)])[0]
    assert reading.number == text
    assert [item["digit"] for item in reading.digits] == [int(character) for character in text if character.isdigit()]


def test_marks_stand_only_where_punctuation_stands():
    # Digit groups (left, right, top, bottom) on a line from row 10 to 50, and mark candidates.
    digits = [[40, 70, 10, 50], [80, 110, 10, 50], [120, 150, 10, 50]]
    areas = np.full(10, 30)
    labels = np.zeros((100, 160), dtype=int)
    labels[10:50, 40:70] = 9                 # the first digit's ink, as a block
    low_point = (73, 77, 44, 49, 1)          # in the first gap, at the line's foot
    high_point = (113, 117, 12, 17, 2)       # in the second gap, at the top: no point alone
    point_far_below = (113, 117, 80, 85, 5)  # in the second gap, a line's height below: a pen's tip, no point
    dash_over_digit = (85, 100, 28, 31, 3)   # across a digit's middle, not in a gap
    leading_dash = (20, 34, 28, 32, 4)
    marks = place_marks([low_point, high_point, dash_over_digit, leading_dash], labels, areas, digits, pen=4)
    assert place_marks([point_far_below], labels, areas, digits, pen=4) == []
    # A point a little below the line's foot still is one.
    point_just_below = (73, 77, 52, 57, 6)
    assert [(mark.character, mark.after) for mark in place_marks([point_just_below], labels, areas, digits,
                                                                  pen=4)] == [(".", 1)]
    assert [(mark.character, mark.after) for mark in marks] == [("-", 0), (".", 1)]
    # A short stroke in a gap that starts below the line is a label's letter, no comma ("9,358" for
    # a counter with "kWh" printed under it).
    comma = (73, 78, 40, 58, 7)
    letter_below = (73, 78, 56, 74, 8)
    assert [(mark.character, mark.after) for mark in place_marks([comma], labels, areas, digits, pen=4)] == [(",", 1)]
    assert place_marks([letter_below], labels, areas, digits, pen=4) == []
    # A spot finer than the pen is no point.
    assert place_marks([low_point], labels, areas, digits, pen=10) == []
    # A piece lying against a digit's ink is a broken stroke, not a point.
    labels[44:49, 70:73] = 9
    assert place_marks([low_point], labels, areas, digits, pen=4) == []


def test_a_bar_at_the_top_of_the_digit_beside_it_is_no_dash():
    # A counter's 5 set low in its window, its flag apart from its body: the flag lies across the
    # line's middle band but at the 5's own top (5012 was read 5-012). A bar across the middle of
    # both neighbours still is a dash.
    digits = [[40, 70, 25, 55], [80, 110, 5, 50], [120, 150, 8, 52]]
    labels = np.zeros((100, 160), dtype=int)
    areas = np.full(10, 30)
    flag_of_the_five = (68, 82, 20, 23, 1)
    dash = (111, 125, 28, 31, 2)
    assert place_marks([flag_of_the_five], labels, areas, digits, pen=4) == []
    assert [(mark.character, mark.after) for mark in place_marks([dash], labels, areas, digits, pen=4)] == [("-", 2)]


def test_marks_go_before_the_first_digit_of_their_group():
    # The second group was read as two touching digits: the point stands before both.
    assert with_marks(["1", "2", "5", "0"], [0, 1, 1, 2], [Mark(".", 1, (7,))]) == "1.250"
    assert with_marks(["1", "5"], [0, 1], [Mark("-", 0, (3,))]) == "-15"
