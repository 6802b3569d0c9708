from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from digits.predict import recognise_numbers
from digits.preprocess import grey_of
from digits.windows import within_dark_windows, within_windows

IMAGES = Path(__file__).parent / "images"


def printed_face(size: int) -> ImageFont.FreeTypeFont:
    from digits.printed import families

    return ImageFont.truetype(str(families()[0][0]), size)


def counter(text: str, body: int, window: int = 25, ink: int = 235, turn: float = 0.0) -> Image.Image:
    """Light digits on dark wheels, each behind a window in a face of grey ``body``."""
    width, height, gap, pad = 44, 66, 10, 14
    image = Image.new("L", (2 * pad + len(text) * width + (len(text) - 1) * gap, height + 2 * pad), body)
    draw, font = ImageDraw.Draw(image), printed_face(48)
    for index, character in enumerate(text):
        left = pad + index * (width + gap)
        draw.rectangle([left, pad, left + width - 1, pad + height - 1], fill=window)
        box = font.getbbox(character)
        draw.text((left + (width - (box[2] - box[0])) / 2 - box[0], pad + (height - (box[3] - box[1])) / 2 - box[1]),
                  character, font=font, fill=ink)
    return image.rotate(turn, resample=Image.Resampling.BILINEAR, expand=True, fillcolor=body) if turn else image


@pytest.mark.parametrize("body, turn", [(120, 0.0), (200, 0.0), (240, 3.0), (90, -3.0)])
def test_a_counter_with_dark_windows_in_a_light_face_is_read(body, turn):
    reading = recognise_numbers([counter("73228", body, turn=turn)])[0]
    assert reading.number == "73228", reading.to_dict()


@pytest.mark.parametrize("body, window, ink, turn", [(30, 235, 20, 0.0), (75, 205, 40, 3.0)])
def test_a_counter_with_light_windows_in_a_dark_face_is_read(body, window, ink, turn):
    # Black digits on white wheels in a dark housing, as on many water meters: each lit window
    # with its digit is the negative of a dark window with a light digit ("part 1 of 5 does
    # not look like a digit" while the windows were taken for ink).
    reading = recognise_numbers([counter("58206", body, window=window, ink=ink, turn=turn)])[0]
    assert reading.number == "58206", reading.to_dict()


@pytest.mark.parametrize("cut", [12, 16])
def test_windows_the_frame_cuts_at_a_turned_counters_ends_are_read(cut):
    # A counter turned by 4 degrees and framed close: the first windows touch the picture's top
    # edge, the last its bottom. Windows at the edge were left out with the face and their
    # digits dropped without a word ("938" for 0093815).
    image = counter("0093815", 210, turn=-4.0)
    image = image.crop((0, cut, image.width, image.height - cut))
    reading = recognise_numbers([image])[0]
    assert reading.number == "0093815", reading.to_dict()


def test_chalk_on_a_board_is_no_window():
    board = Image.new("L", (300, 160), 30)
    draw = ImageDraw.Draw(board)
    draw.ellipse([30, 20, 120, 140], outline=230, width=22)
    draw.text((180, 30), "7", font=printed_face(90), fill=230)
    grey = grey_of(board)
    assert within_windows(grey) is grey


def test_the_windows_are_kept_and_the_face_painted_their_shade():
    grey = grey_of(counter("405", 220))
    kept = within_dark_windows(grey)
    assert kept is not grey
    assert abs(float(np.median(kept[:5])) - 25 / 255) < 0.02  # the face's top rows: the windows' shade now
    assert kept.max() > 0.85  # the digits stay light


def test_dark_writing_on_paper_is_no_window():
    page = Image.new("L", (300, 160), 235)
    draw = ImageDraw.Draw(page)
    draw.ellipse([30, 20, 120, 140], outline=20, width=22)  # a heavy 0: one wide light blob inside
    draw.rectangle([180, 30, 200, 140], fill=20)  # a heavy 1: nothing light inside
    draw.text((220, 40), "7", font=printed_face(90), fill=20)
    grey = grey_of(page)
    assert within_dark_windows(grey) is grey
    assert within_windows(grey) is grey  # nor on the negative, nor one pane


def test_bold_zeros_and_eights_on_paper_are_no_windows():
    page = Image.new("L", (420, 200), 235)
    draw = ImageDraw.Draw(page)
    font = printed_face(150)
    draw.text((20, 10), "808", font=font, fill=20, stroke_width=7, stroke_fill=20)
    grey = grey_of(page)
    assert within_dark_windows(grey) is grey
    assert within_windows(grey) is grey


def test_a_thin_rule_under_a_counter_neither_breaks_it_nor_is_read():
    strip = counter("40517283", 220)
    small = strip.resize((strip.width // 3, strip.height // 3), Image.Resampling.BOX)
    face = Image.new("L", (small.width + 10, small.height + 12), 220)
    face.paste(small, (0, 0))
    ImageDraw.Draw(face).line([(3, small.height + 6), (small.width + 5, small.height + 6)], fill=20, width=1)
    assert recognise_numbers([face])[0].number == "40517283"


def test_a_single_dark_label_on_a_sheet_is_no_counter():
    page = Image.new("L", (300, 200), 235)
    draw = ImageDraw.Draw(page)
    draw.rectangle([40, 60, 110, 150], fill=25)
    draw.text((55, 75), "7", font=printed_face(60), fill=235)
    grey = grey_of(page)
    assert within_dark_windows(grey) is grey
    assert within_windows(grey) is grey  # nor one pane: it holds one digit


def pane_counter(text: str, face: int, pane: int = 25, ink: int = 235, wheels: int = 0, margin: int = 6) -> Image.Image:
    """Light digits (or, with ``wheels``, light wheels of that grey holding dark digits) behind one dark pane in a
    face of grey ``face``, small in the picture, the pane ``margin`` pixels wider than the wheels all round."""
    width, height = 40, 64
    image = Image.new("L", (600, 400), face)
    draw, font = ImageDraw.Draw(image), printed_face(44)
    left, top = 200, 170
    draw.rectangle([left - margin, top - margin, left + len(text) * width + margin - 1, top + height + margin - 1],
                   fill=pane)
    for index, character in enumerate(text):
        place = left + index * width
        if wheels:
            draw.rectangle([place + 7, top, place + width - 8, top + height - 1], fill=wheels)
        box = font.getbbox(character)
        draw.text((place + (width - (box[2] - box[0])) / 2 - box[0], top + (height - (box[3] - box[1])) / 2 - box[1]),
                  character, font=font, fill=pane if wheels else ink)
    return image


def test_a_counter_behind_one_pane_is_read():
    # All the wheels behind one dark pane, the pane 2-3 % of the picture: no row of windows,
    # so the pane was taken for ink ("part 1 of 2 does not look like a digit").
    reading = recognise_numbers([pane_counter("30582", 225)])[0]
    assert reading.number == "30582", reading.to_dict()
    grey = grey_of(pane_counter("30582", 225))
    assert within_dark_windows(grey) is grey  # no row of windows
    assert within_dark_windows(grey, one_pane=True) is not grey


def test_a_pane_whose_digits_stand_a_third_of_its_height_is_read():
    # Digits 32 pixels high in a pane 104 high: at 0.4 of the pane's height the marks were too
    # short for a row of digits, and the pane was taken for ink.
    reading = recognise_numbers([pane_counter("30582", 225, margin=20)])[0]
    assert reading.number == "30582", reading.to_dict()


def test_light_wheels_in_a_dark_pane_are_no_pane_of_light_digits():
    # Light wheels holding dark digits cover most of their pane: the pane's light is the wheels,
    # not digits, and painting the face its shade would leave wheels for ink.
    grey = grey_of(pane_counter("30582", 225, wheels=230))
    assert within_dark_windows(grey, one_pane=True) is grey


def test_a_counter_behind_one_pane_in_a_photo_is_read():
    photo = Image.open(IMAGES / "meter-with-one-pane-on-a-light-plate-30582.jpg")
    assert recognise_numbers([photo])[0].number == "30582"


def test_light_wheels_in_a_black_frame_in_a_photo_are_read():
    # White wheels holding black digits, shaded as cylinders, in a black frame on a light plate:
    # the frame and the wheels' shaded ends were read as ink ("parts 1 and 7 of 7 do not look like
    # digits"). On the negative the wheels are dark windows in a face as light as the frame.
    photo = Image.open(IMAGES / "meter-with-light-wheels-in-a-black-frame-47193.jpg")
    assert recognise_numbers([photo])[0].number == "47193"


def test_a_counter_far_away_in_a_photo_is_read():
    # Light wheels in a blue plate on a wall, the windows covering 1-2 % of the photo: too little
    # for a counter before, so the wheels were read as ink ("parts 1, 2, 3, 4 and 7 of 7 do not
    # look like digits"). Each window holds a digit over half its height.
    photo = Image.open(IMAGES / "meter-far-away-on-a-wall-3423902.jpg")
    assert recognise_numbers([photo])[0].number == "3423902"


def test_a_small_row_of_keys_is_no_counter():
    # Dark keys in a row covering 3 % of a light picture, each holding a bold letter a third of its height.
    picture = Image.new("L", (900, 700), 225)
    draw = ImageDraw.Draw(picture)
    for index, letter in enumerate("QWERTY"):
        left = 200 + index * 70
        draw.rectangle([left, 320, left + 59, 379], fill=30)
        draw.text((left + 18, 336), letter, font=printed_face(26), fill=230, stroke_width=1, stroke_fill=230)
    grey = grey_of(picture)
    assert within_dark_windows(grey) is grey
    # The same row holding digits as tall as a wheel's is a counter.
    for index, character in enumerate("904512"):
        left = 200 + index * 70
        draw.rectangle([left, 320, left + 59, 379], fill=30)
        draw.text((left + 15, 322), character, font=printed_face(48), fill=230)
    digits = grey_of(picture)
    assert within_dark_windows(digits) is not digits



@pytest.mark.parametrize("name, number", [
    # A shadow cast across the face joined the pane at half the way to the face's grey: no rectangle, no pane.
    ("meter-whose-pane-a-shadow-joins-954169.jpg", "954169"),
    # Found nearer the pane's darkness, its digits in the shadow are dimmer: the 1 went as a smudge (5994).
    ("meter-with-a-shadow-across-its-pane-15994.jpg", "15994"),
])
def test_a_pane_that_a_shadow_crosses_is_read(name, number):
    assert recognise_numbers([Image.open(IMAGES / name)])[0].number == number


def test_a_panes_dim_columns_are_brought_to_the_brightest():
    from digits.windows import MAX_GAIN, evened

    pane = np.full((20, 60), 0.1, dtype=np.float32)
    pane[5:15, 5:8] = 0.9  # a bright digit
    pane[5:15, 45:48] = 0.4  # a dim one, in a shadow
    pane[5:15, 25:28] = 0.15  # a faint smudge: brightened at most MAX_GAIN times
    result = evened(pane, 0.1, 10)
    assert result[10, 46] == pytest.approx(0.9, abs=1e-5) and result[10, 6] == pytest.approx(0.9, abs=1e-5)
    # The smudge rises 0.05 over the ground, under 1/MAX_GAIN of the digits' 0.8: left as it is.
    assert 0.05 < 0.8 / MAX_GAIN and result[10, 26] == pytest.approx(0.15, abs=1e-5)
    assert result[0, 0] == pytest.approx(0.1) and result.max() <= 1.0


def coloured_counter(text: str, face: tuple, wheel: tuple, ink: tuple, odd: dict[int, tuple[tuple, tuple]],
                     turn: float = 0.0) -> Image.Image:
    """``counter`` in colour: wheels of ``wheel`` holding digits of ``ink`` in a ``face``; the wheels at the indices of
    ``odd`` of their own (wheel, ink) colours, as a meter's red tenths."""
    width, height, gap, pad = 44, 66, 8, 14
    image = Image.new("RGB", (2 * pad + len(text) * width + (len(text) - 1) * gap, height + 2 * pad), face)
    draw, font = ImageDraw.Draw(image), printed_face(48)
    for index, character in enumerate(text):
        left = pad + index * (width + gap)
        wheel_colour, ink_colour = odd.get(index, (wheel, ink))
        draw.rectangle([left, pad, left + width - 1, pad + height - 1], fill=wheel_colour)
        box = font.getbbox(character)
        draw.text((left + (width - (box[2] - box[0])) / 2 - box[0], pad + (height - (box[3] - box[1])) / 2 - box[1]),
                  character, font=font, fill=ink_colour)
    return image.rotate(turn, resample=Image.Resampling.BILINEAR, expand=True, fillcolor=face) if turn else image


RED, WHITE, BLACK = (190, 25, 25), (245, 245, 240), (15, 15, 15)


@pytest.mark.parametrize("text, odd, turn", [
    ("245226", {4: (RED, WHITE), 5: (RED, WHITE)}, 0.0),
    ("0540573", {6: (RED, WHITE)}, -3.0),
    ("97861", {0: (RED, WHITE)}, 2.0),
])
def test_red_wheels_beside_light_ones_are_read(text, odd, turn):
    # White wheels holding black digits in a black housing, the last wheels (the tenths) red with white digits:
    # the window test, made on the white wheels' shade, painted the red ones over with the face ("2452").
    image = coloured_counter(text, BLACK, WHITE, BLACK, odd, turn)
    reading = recognise_numbers([image])[0]
    assert reading.number == text, reading.to_dict()


def test_a_row_of_light_wheels_ends_where_the_housing_does():
    # Beyond the last window, the housing holds a printed unit: no wheel of another shade, nothing painted in.
    image = coloured_counter("3817", BLACK, WHITE, BLACK, {})
    wider = Image.new("RGB", (image.width + 120, image.height), BLACK)
    wider.paste(image, (0, 0))
    ImageDraw.Draw(wider).text((image.width + 10, 30), "m3", font=printed_face(24), fill=(200, 200, 200))
    reading = recognise_numbers([wider])[0]
    assert reading.number == "3817", reading.to_dict()


def test_light_windows_in_a_grey_face_are_read():
    # Dark handwritten digits on light windows in a face of middle grey, the digits touching their windows' edges: the
    # window holding the 1 was taken for a sheet of paper ("1" for 0154), and on the negative the face is no housing
    # as light as the lightest grey (the digits' negative). Its grey is the picture's border's.
    photo = Image.open(IMAGES / "meter-with-light-windows-in-a-grey-face-0154.png")
    reading = recognise_numbers([photo])[0]
    assert reading.number == "0154", reading.to_dict()


def test_a_red_last_wheel_in_a_meters_face_is_read():
    # A counter of light wheels in a black frame on a meter's light face, its last wheel red with a white digit.
    photo = Image.open(IMAGES / "meter-face-with-a-red-last-wheel-2281.jpg")
    reading = recognise_numbers([photo])[0]
    assert reading.number == "2281", reading.to_dict()


@pytest.mark.parametrize("name, number", [
    ("counter-with-its-unit-printed-after-the-last-wheel-81828.jpg", "81828"),
    ("counter-with-its-unit-beside-the-wheels-43659.jpg", "43659"),
])
def test_a_unit_printed_after_the_wheels_is_no_wheel_of_another_shade(name, number):
    # The slot after the last window holds the unit on the face: of the face's own grey, it is no wheel, and is painted
    # over with the face as before (taken for a red wheel, it was read as a part: "part 6 of 6 does not look like a
    # digit").
    reading = recognise_numbers([Image.open(IMAGES / name)])[0]
    assert reading.number == number, reading.to_dict()
