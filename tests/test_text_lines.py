import numpy as np

from digits.text_lines import text_marks, without_text_lines


def page_with_type(rows: int = 4, words: int = 5) -> np.ndarray:
    """A 400×300 page of ``rows`` lines of ``words`` small words (8 pixels high), at the top."""
    ink = np.zeros((400, 300), dtype=np.float32)
    for row in range(rows):
        top = 20 + 14 * row
        for word in range(words):
            left = 20 + 40 * word
            ink[top:top + 8, left:left + 28] = 0.9
            ink[top + 2:top + 6, left + 4:left + 24] = 0.0
    return ink


def with_digit(ink: np.ndarray) -> np.ndarray:
    """``ink`` with a 1 and its flag, 120 pixels high, below the type."""
    ink = ink.copy()
    ink[200:320, 150:156] = 1.0
    ink[200:206, 130:156] = 1.0
    return ink


def test_lines_of_type_beside_a_digit_go_and_the_digit_stays():
    ink = with_digit(page_with_type())
    cleaned = without_text_lines(ink)
    assert cleaned[15:80].max() == 0.0
    assert np.array_equal(cleaned[200:320], ink[200:320])


def test_one_row_of_marks_is_no_text():
    # A number written in one row: one line, no page of type.
    assert text_marks(page_with_type(rows=1) > 0.3) is None
    ink = with_digit(page_with_type(rows=1))
    assert np.array_equal(without_text_lines(ink), ink)


def test_lines_as_tall_as_the_writing_are_no_type():
    # Two rows of digits 100 pixels high beside a 1 of 120: writing, not type.
    ink = np.zeros((400, 600), dtype=np.float32)
    for row in range(2):
        for place in range(4):
            top, left = 20 + 140 * row, 20 + 90 * place
            ink[top:top + 100, left:left + 60] = 1.0
            ink[top + 8:top + 92, left + 8:left + 52] = 0.0
    ink = with_digit(ink)
    assert np.array_equal(without_text_lines(ink), ink)


def test_a_page_of_type_alone_is_left_as_it_is():
    # Nothing else on the page: the model is shown it, and declines it.
    ink = page_with_type()
    assert np.array_equal(without_text_lines(ink), ink)


def test_ink_in_the_images_corners_stays_beside_type():
    # The blocks are closed inside the image: its corners are not filled.
    ink = with_digit(page_with_type())
    ink[392:400, 292:300] = 1.0
    cleaned = without_text_lines(ink)
    assert cleaned[392:400, 292:300].min() == 1.0 and cleaned[15:80].max() == 0.0


def test_type_beside_a_plain_1_goes():
    # A plain 1 is narrow, but it does not run the page's height: it is the writing to measure type by.
    ink = page_with_type()
    ink[200:320, 150:156] = 1.0
    cleaned = without_text_lines(ink)
    assert cleaned[15:80].max() == 0.0 and cleaned[200:320, 150:156].min() == 1.0


def test_captions_whose_letters_ran_together_go_and_a_5s_bar_stays():
    # A form's captions, blurred into one mark each ("Name:", "Signature:"), in a column beside the writing.
    ink = np.zeros((400, 300), dtype=np.float32)
    for row, width in enumerate((20, 38, 42, 34)):
        ink[20 + 30 * row:28 + 30 * row, 20:20 + width] = 0.9
        ink[22 + 30 * row:26 + 30 * row, 24:16 + width] = 0.0
    ink[200:300, 150:156] = 1.0  # a 5's stem and bowl, its bar apart from them, a word's shape
    ink[294:300, 150:200] = 1.0
    ink[186:194, 152:190] = 1.0
    cleaned = without_text_lines(ink)
    assert cleaned[15:130].max() == 0.0
    assert np.array_equal(cleaned[180:310], ink[180:310])


def test_a_row_of_wide_marks_is_no_column_of_captions():
    # A counter's small digits in a row, a wheel's shading bar under each, beside a tall object: no page of type.
    ink = with_digit(np.zeros((400, 300), dtype=np.float32))
    for place in range(5):
        left = 20 + 40 * place
        ink[40:56, left:left + 10] = 1.0
        ink[43:53, left + 3:left + 7] = 0.0
        for column in range(left - 4, left + 14):
            ink[70 + abs(column % 6 - 3), column] = 1.0  # an uneven bar
    assert np.array_equal(without_text_lines(ink), ink)
