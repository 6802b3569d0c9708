import numpy as np

from digits.stray_marks import without_stray_marks


def digit(ink: np.ndarray, top: int, left: int, height: int = 80) -> None:
    """A 0 ``height`` pixels high, its top-left corner at (top, left)."""
    ink[top:top + height, left:left + height // 2] = 1.0
    ink[top + 4:top + height - 4, left + 4:left + height // 2 - 4] = 0.0


def test_a_notebooks_holes_far_from_the_digit_go():
    ink = np.zeros((400, 500), dtype=np.float32)
    digit(ink, 160, 300)
    for top in (50, 190, 330):
        ink[top:top + 12, 20:32] = 1.0  # punched holes down the left side
    cleaned = without_stray_marks(ink)
    assert cleaned[:, :40].max() == 0.0
    assert np.array_equal(cleaned[150:250, 290:350], ink[150:250, 290:350])


def test_a_numbers_point_and_a_small_digit_nearby_stay():
    ink = np.zeros((300, 500), dtype=np.float32)
    digit(ink, 100, 100)
    ink[170:178, 155:163] = 1.0  # a decimal point
    digit(ink, 100, 180)
    digit(ink, 140, 240, height=36)  # a small digit beside the others
    assert np.array_equal(without_stray_marks(ink), ink)


def test_a_long_thin_line_is_no_measure_of_the_writing():
    # A sheet's edge 400 pixels long: the digit far from it is not small beside it.
    ink = np.zeros((420, 500), dtype=np.float32)
    ink[10:410, 20:23] = 1.0
    digit(ink, 170, 350)
    assert np.array_equal(without_stray_marks(ink), ink)


def test_a_blob_apart_from_the_digit_goes_and_a_bold_digit_stays():
    # The desk beyond the sheet's edge, a solid patch at the bottom of the picture, below the digit.
    ink = np.zeros((400, 400), dtype=np.float32)
    digit(ink, 150, 150)
    ink[360:390, 140:210] = 1.0
    cleaned = without_stray_marks(ink)
    assert cleaned[355:395].max() == 0.0
    assert np.array_equal(cleaned[140:240], ink[140:240])
    # A bold 0 in marker fills half its box: beside small strokes it is the writing, and stays.
    bold = np.zeros((400, 400), dtype=np.float32)
    bold[100:180, 150:200] = 1.0
    bold[125:155, 165:185] = 0.0
    bold[300:320, 40:52] = 1.0
    bold[301:319, 41:51] = 0.0  # a thin ring, small beside the 0
    assert bold[100:180, 150:200].mean() >= 0.5
    assert np.array_equal(without_stray_marks(bold)[90:190], bold[90:190])
    # So does a bold 0 twice a caption's size, written well inside the sheet below it.
    captioned = np.zeros((500, 500), dtype=np.float32)
    digit(captioned, 40, 180, height=72)
    captioned[215:358, 200:306] = 1.0
    captioned[245:328, 230:276] = 0.0
    assert np.array_equal(without_stray_marks(captioned), captioned)


def test_a_counters_bold_digits_beside_a_small_label_are_no_blobs():
    # Printed digits 24 pixels high, each filling half its box, below a label's small stroke: no clear writing
    # to measure blobs by.
    ink = np.zeros((300, 400), dtype=np.float32)
    for left in (100, 150, 200):
        ink[170:194, left:left + 14] = 1.0
        ink[176:188, left + 4:left + 10] = 0.0
    ink[60:79, 40:54] = 0.0
    rows, columns = np.mgrid[0:300, 0:400]
    ink[(np.abs(np.hypot(rows - 69, columns - 47) - 8) <= 0.7)] = 1.0  # a small ring, a label's letter
    assert np.array_equal(without_stray_marks(ink)[160:200], ink[160:200])


def test_bold_marks_standing_in_a_turned_row_are_no_blobs():
    # Below a clear 0, a counter's bold digits in a row turned in the photo: each shares a few rows with the next.
    ink = np.zeros((400, 400), dtype=np.float32)
    digit(ink, 20, 150)
    for place, left in enumerate((100, 160, 220)):
        top = 200 + 36 * place
        ink[top:top + 44, left:left + 18] = 1.0
        ink[top + 8:top + 36, left + 6:left + 12] = 0.0
    assert np.array_equal(without_stray_marks(ink)[190:320], ink[190:320])


def test_a_point_between_digits_spaced_wide_stays():
    # 7 . 2 written with the point more than a digit's height from each digit, a little below their line.
    ink = np.zeros((300, 600), dtype=np.float32)
    digit(ink, 100, 100)
    ink[186:194, 250:258] = 1.0
    digit(ink, 100, 400)
    assert np.array_equal(without_stray_marks(ink), ink)


def test_a_counters_bold_digits_far_from_a_larger_dial_stay():
    # A meter's face: a row of bold printed digits (each filling half its box, so no measure of the writing), and below
    # to the right a dial twice their height. Measured against the dial alone, the digits farther from it than its
    # size went ("97" for 0597); a row of bold print is writing, and stays.
    ink = np.zeros((400, 600), dtype=np.float32)
    for left in (40, 80, 120, 160):
        ink[100:140, left:left + 24] = 1.0
        ink[106:134, left + 6:left + 18] = 0.0
    rows, columns = np.mgrid[0:400, 0:600]
    ink[np.abs(np.hypot(rows - 280, columns - 480) - 45) <= 1.5] = 1.0  # the dial's ring
    assert np.array_equal(without_stray_marks(ink), ink)
    # A row of small solid squares (a cloth's checks) is no print: far from a clear digit, they still go.
    checks = np.zeros((400, 600), dtype=np.float32)
    digit(checks, 200, 280, height=120)
    for left in (40, 120, 200, 280, 360):
        checks[4:16, left:left + 12] = 1.0
    assert without_stray_marks(checks)[:40].max() == 0.0
