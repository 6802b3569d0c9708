from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont, ImageOps

from digits.cli import main
from digits.grouping import group_components, split_touching
from digits.number import segment
from digits.predict import recognise_numbers
from digits.preprocess import NoDigitError


def printed(size: int) -> ImageFont.FreeTypeFont:
    from digits.printed import families

    return ImageFont.truetype(str(families()[0][0]), size)


def paper_number(digits: list[np.ndarray], gap: int = 10, height: int = 56) -> Image.Image:
    """MNIST digits written dark on light paper, side by side."""
    scaled = [Image.fromarray(255 - digit).resize((height, height), Image.Resampling.BICUBIC) for digit in digits]
    page = Image.new("L", (len(digits) * (height + gap) + 40, height + 40), 255)
    for index, digit in enumerate(scaled):
        page.paste(Image.fromarray(np.minimum(np.asarray(page.crop((20 + index * (height + gap), 20,
                                                                     20 + index * (height + gap) + height,
                                                                     20 + height))), np.asarray(digit))),
                   (20 + index * (height + gap), 20))
    return page.convert("RGB")


def test_a_year_written_with_mnist_test_digits_is_read(mnist):
    _, (x_test, y_test) = mnist
    wanted = [2, 0, 2, 4]
    indices = [int(np.flatnonzero(y_test == digit)[3]) for digit in wanted]
    image = paper_number([x_test[index] for index in indices], gap=-4)
    reading = recognise_numbers([image])[0].to_dict()
    assert reading["number"] == "2024"
    assert [item["digit"] for item in reading["digits"]] == wanted
    lefts = [item["box"][0] for item in reading["digits"]]
    assert lefts == sorted(lefts) and all(len(item["box"]) == 4 for item in reading["digits"])


def test_broken_strokes_are_merged_into_one_digit():
    """A 5 whose top bar is detached, next to a 1: two digits, not three."""
    page = Image.new("L", (220, 120), 255)
    pen = ImageDraw.Draw(page)
    pen.line([(40, 20), (75, 20)], fill=0, width=6)                     # the bar, detached
    pen.line([(38, 30), (36, 55)], fill=0, width=6)
    pen.arc([(30, 48), (80, 100)], start=-100, end=150, fill=0, width=6)
    pen.line([(150, 20), (150, 100)], fill=0, width=6)
    assert len(segment(page)) == 2


def test_touching_digits_are_split():
    mask = np.zeros((40, 70), dtype=bool)
    mask[:, 2:30] = True
    mask[:, 40:68] = True
    mask[18:22, 30:40] = True  # a thin bridge where the two touch
    ranges = split_touching(mask, line_height=40)
    assert len(ranges) == 2 and 30 <= ranges[0][1] <= 40
    assert split_touching(mask[:, :30], line_height=40) == [(0, 30)]


def test_a_wide_digit_is_read_whole_not_split(mnist):
    """A 0 or 2 written wide looks like two touching digits by its shape; the model decides it is one."""
    _, (x_test, y_test) = mnist
    page = Image.new("L", (420, 120), 255)
    for left, digit in ((30, 0), (230, 2)):
        index = int(np.flatnonzero(y_test == digit)[0])
        cropped = Image.fromarray(255 - x_test[index]).crop((4, 4, 24, 24))
        page.paste(Image.fromarray(np.minimum(np.asarray(page.crop((left, 30, left + 160, 90))),
                                              np.asarray(cropped.resize((160, 60), Image.Resampling.BICUBIC)))),
                   (left, 30))
    groups = segment(page)
    assert len(groups) == 2 and all(len(group.parts) >= 2 for group in groups)  # wide enough to be split
    assert recognise_numbers([page])[0].number == "02"


@pytest.mark.parametrize("first, second, gap, number", [(7, 36, -26, "97"), (7, 20, -30, "99")])
def test_two_narrow_digits_written_into_each_other_are_read_as_two(mnist, first, second, gap, number):
    # Two narrow digits touching make a group under TOUCHING_RATIO line heights wide, which was
    # read whole only: "not a digit". Cut in two, each part is a sure digit.
    _, (x_test, _) = mnist
    assert recognise_numbers([paper_number([x_test[first], x_test[second]], gap=gap)])[0].number == number


def test_a_narrow_groups_parts_are_taken_only_when_the_whole_is_unsure_and_each_part_a_sure_digit_tall_enough():
    from digits.number import Group, Segment, takes_narrow_parts

    def segment_reading(digit: int, sure: float, height: int = 50) -> Segment:
        scores = np.full(11, (1 - sure) / 10)
        scores[digit] = sure
        return Segment((0, 0, 20, height), np.zeros((28, 28), np.float32), scores)

    parts = [segment_reading(9, 0.95), segment_reading(7, 0.9)]
    assert takes_narrow_parts(Group(segment_reading(8, 0.4), parts, narrow=True))
    assert not takes_narrow_parts(Group(segment_reading(8, 0.9), parts, narrow=True))  # the whole is sure
    assert not takes_narrow_parts(Group(segment_reading(8, 0.4), [parts[0], segment_reading(7, 0.5)], narrow=True))
    # A 1 cut in two: a short piece and a long one.
    assert not takes_narrow_parts(Group(segment_reading(8, 0.4), [segment_reading(1, 0.95, 15), parts[1]],
                                        narrow=True))


def test_fragments_join_the_nearest_digit_or_are_dropped():
    boxes = [(0, 30, 0, 50, 1), (40, 70, 0, 50, 2), (72, 80, 0, 8, 3), (200, 206, 0, 6, 4)]
    groups = group_components(boxes, line_height=50)
    assert [group[4:] for group in groups] == [[1], [2, 3]]


def test_pieces_far_below_or_above_the_line_join_no_digit():
    # A pen's tip below the last digit, and one above the line beside the others: neither is
    # part of a digit nor a digit of its own.
    boxes = [(0, 30, 0, 50, 1), (40, 70, 0, 50, 2), (45, 60, 100, 110, 3), (90, 100, -80, -58, 4)]
    assert [group[4:] for group in group_components(boxes, line_height=50)] == [[1], [2]]


def test_two_short_pieces_side_by_side_may_be_one_digit_two_whole_digits_never():
    from digits.grouping import broken_pairs

    assert broken_pairs([[0, 30, 0, 25, 1], [20, 40, 22, 50, 2]], line_height=50) == [0]
    assert broken_pairs([[0, 30, 0, 50, 1], [34, 60, 0, 50, 2]], line_height=50) == []
    # Too far apart, too wide or too tall together for one digit, or a mark between them.
    assert broken_pairs([[0, 20, 0, 25, 1], [40, 55, 22, 50, 2]], line_height=50) == []
    assert broken_pairs([[0, 30, 0, 25, 1], [30, 60, 22, 50, 2]], line_height=50) == []
    assert broken_pairs([[0, 30, 0, 35, 1], [20, 40, 36, 70, 2]], line_height=50) == []
    assert broken_pairs([[0, 30, 0, 25, 1], [20, 40, 22, 50, 2]], line_height=50, marked=frozenset({1})) == []
    # A group pairs with one neighbour at most; a mark ruling one pair out leaves the next free.
    three = [[0, 20, 0, 25, 1], [18, 30, 22, 50, 2], [28, 40, 0, 25, 3]]
    assert broken_pairs(three, line_height=50) == [0]
    assert broken_pairs(three, line_height=50, marked=frozenset({1})) == [1]


@pytest.mark.parametrize("name, number", [
    # A 9 broken below its loop in four pieces, two groups of which neither is a digit's height.
    ("broken-nine-76593.jpg", "76593"),
    # A pen's tip on the sheet a line's height below the 5 and 1: no decimal point.
    ("pen-tip-below-the-line-351.jpg", "351"),
    # A 2 touching the sheet's edge, whose upright back was taken for a pen's straight part.
    ("digit-at-the-sheets-edge-20.jpg", "20"),
    # A pen from the desk across the last 0: taken out, and the 0's strokes joined again.
    ("pen-from-the-desk-across-a-zero-200.jpg", "200"),
    # A pen from the desk whose tip rests on the last 3: its direction was taken from the few
    # pixels by the sheet's edge, no straight part was found, and pen and 3 went together.
    ("pen-from-the-desk-onto-the-last-digit-3133.jpg", "3133"),
    # A shadow over the first digit: its ink, as faint as its paper is dark, was under half of
    # the strongest and dropped as a smudge (1556, 7963). Against its paper's shade it is as strong.
    ("faint-digit-in-a-shadow-91556.jpg", "91556"),
    ("faint-digit-in-a-shadow-67963.jpg", "67963"),
])
def test_desk_photos_with_pens_broken_digits_shadows_and_digits_at_the_edge_are_read(name, number):
    photo = Image.open(Path(__file__).parent / "images" / name)
    assert recognise_numbers([photo])[0].number == number


def test_blank_page_has_no_number(capsys):
    page = Image.new("RGB", (300, 100), "white")
    reading = recognise_numbers([page])[0].to_dict()
    assert reading["number"] is None and "no ink" in reading["reason"] and reading["digits"] == []
    with pytest.raises(NoDigitError):
        segment(page)


def test_cli_number_json(capsys, tmp_path, mnist):
    _, (x_test, y_test) = mnist
    path = tmp_path / "number.png"
    paper_number([x_test[0], x_test[1], x_test[2]]).save(path)
    assert main(["predict", "--number", "--json", str(path)]) == 0
    import json

    record = json.loads(capsys.readouterr().out)
    assert record["number"] == "".join(str(label) for label in y_test[:3])
    assert set(record) >= {"path", "number", "confidence", "digits", "low_confidence"}
    # --top ranks one digit's answers: with --number it is refused in one line, not silently ignored.
    assert main(["predict", "--number", "--top", "3", str(path)]) == 2
    assert "--top" in capsys.readouterr().err


def test_a_number_with_a_part_that_is_not_a_digit_says_which(tmp_path):
    import keras

    from digits.predict import recognise_numbers
    from digits.recognisers import load_recogniser

    bias = np.zeros(11, dtype=np.float32)
    bias[10] = 5.0
    model = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Flatten(),
                              keras.layers.Dense(11, activation="softmax", kernel_initializer="zeros",
                                                 bias_initializer=keras.initializers.Constant(bias))])
    model.save(tmp_path / "declines.keras")
    page = Image.new("L", (300, 100), 255)
    draw = ImageDraw.Draw(page)
    draw.line([(50, 20), (50, 80)], fill=0, width=6)
    draw.line([(150, 20), (150, 80)], fill=0, width=6)
    reading = recognise_numbers([page], load_recogniser(tmp_path / "declines.keras"))[0]
    assert reading.number is None
    assert reading.reason == "parts 1 and 2 of 2 do not look like digits"
    assert [part["digit"] for part in reading.digits] == [None, None]


@pytest.mark.parametrize("angle", [-28, 20, 30])
def test_a_number_written_at_a_slant_is_set_level_and_read(mnist, angle):
    # Turned, a long 1 is no taller than the line's fragments, and columns mix digits.
    _, (x_test, y_test) = mnist
    wanted = [7, 0, 2, 1, 4]
    indices = [int(np.flatnonzero(y_test == digit)[2]) for digit in wanted]
    image = paper_number([x_test[index] for index in indices]).rotate(angle, expand=True, fillcolor="white",
                                                                      resample=Image.Resampling.BICUBIC)
    assert recognise_numbers([image])[0].number == "70214"


def counter_strip(digits: list[np.ndarray], light_windows: bool) -> Image.Image:
    """A counter's strip: each digit in its own window on a body of another shade, slightly turned."""
    body, window, ink = (150, 240, 20) if light_windows else (60, 25, 240)
    strip = Image.new("L", (len(digits) * 70 + 20, 110), body)
    for place, digit in enumerate(digits):
        left = 20 + place * 70
        strip.paste(window, (left, 15, left + 56, 95))
        glyph = Image.fromarray(digit).resize((56, 56), Image.Resampling.BICUBIC)
        strip.paste(Image.new("L", glyph.size, ink), (left, 27), glyph)
    return strip.rotate(3, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=body // 2)


@pytest.mark.parametrize("light_windows", [True, False])
def test_a_counter_strip_is_read_in_either_shading(mnist, light_windows):
    # Dark digits in light windows on a light grey body: three tones, the border is the body,
    # neither paper nor ink; the windows' edges are far fainter than the digits.
    _, (x_test, y_test) = mnist
    wanted = [0, 4, 1, 2, 7]
    indices = [int(np.flatnonzero(y_test == digit)[5]) for digit in wanted]
    strip = counter_strip([x_test[index] for index in indices], light_windows)
    assert recognise_numbers([strip])[0].number == "04127"


def test_a_stroke_broken_in_two_stacked_pieces_is_a_digit_of_its_own():
    # A 1 cut in two by a printed line, beside an 8: its pieces, each shorter than a digit,
    # are stacked parts of one digit, not fragments of the 8. Pieces far apart above one
    # another (marks at a sheet's corner) are not stacked into a digit.
    eight, top, bottom = (0, 40, 0, 80, 1), (55, 65, 0, 38, 2), (56, 64, 44, 80, 3)
    assert [group[4:] for group in group_components([eight, top, bottom], line_height=80)] == [[1], [2, 3]]
    corner = [(100, 110, 0, 20, 4), (100, 110, 150, 170, 5)]
    assert [group[4:] for group in group_components([eight, *corner], line_height=80)] == [[1]]


def test_a_fives_bar_set_off_to_the_right_of_its_body_is_one_digit():
    # Measured on a photographed "8570": the 5's bar shares under half of the body's columns.
    # Two short pieces one above the other are one digit.
    eight, bar, body, seven = (25, 44, 106, 144, 1), (70, 100, 105, 121, 2), (53, 83, 124, 143, 3), (115, 143, 103, 141, 4)
    groups = group_components([eight, bar, body, seven], line_height=38)
    assert [sorted(group[4:]) for group in groups] == [[1], [2, 3], [4]]
    # Two full-height digits sharing as few columns stay two (a slanted 1 leaning over a 7).
    one, seven_below = (50, 70, 104, 142, 2), (62, 90, 106, 143, 3)
    assert len(group_components([eight, one, seven_below], line_height=38)) == 3
    # The photo it was measured on (a sticky note on a desk): read whole, not "part 3 of 5".
    photo = Image.open(Path(__file__).parent / "images" / "sticky-note-8570.jpg")
    assert recognise_numbers([photo])[0].number == "8570"


def test_a_pen_lying_across_the_number_is_not_read_as_ink(mnist):
    # A straight bar far longer than the digits are tall, across three of them: taken out,
    # the digits it crosses are read (less what it covered), and no extra digit appears.
    _, (x_test, y_test) = mnist
    wanted = [3, 5, 8, 2]
    image = paper_number([x_test[int(np.flatnonzero(y_test == digit)[1])] for digit in wanted], gap=14)
    ImageDraw.Draw(image).line([(40, 92), (230, 4)], fill=(40, 40, 40), width=6)
    assert recognise_numbers([image])[0].number == "3582"


@pytest.mark.parametrize("name, number", [
    # A pen on a sheet across the 2, a little longer than the digits are tall.
    ("pen-across-a-digit-128.jpg", "128"),
    # A light pen whose tip rests on the 2: pen and 2 were one mark, and no digit.
    ("pen-onto-a-digit-029.jpg", "029"),
    # A light pen in a shadow onto the 2: faint where the shadow lies, it must not be lifted with
    # the shadowed digits into a mark of its own (with all ink near marks lifted, pen and 2 were one
    # mark, "part 1 of 3"), and more ink lies along three other directions than along it.
    ("pen-in-a-shadow-onto-the-last-digit-0632.jpg", "0632"),
])
def test_a_pen_lying_onto_a_digit_is_taken_out_though_short(name, number):
    photo = Image.open(Path(__file__).parent / "images" / name)
    assert recognise_numbers([photo])[0].number == number


def test_a_straight_one_taller_than_the_other_digits_is_kept(mnist):
    # As straight as a pen and rising a fifth above the other digits, but touching none: a 1.
    _, (x_test, y_test) = mnist
    image = paper_number([x_test[int(np.flatnonzero(y_test == digit)[1])] for digit in (5, 3, 8)], gap=54)
    ImageDraw.Draw(image).line([(95, 14), (92, 70)], fill=(20, 20, 20), width=6)
    assert recognise_numbers([image])[0].number == "5138"


def with_a_tall_one(mnist, taller: float) -> Image.Image:
    """4, 1, 2 written 60 pixels tall, the 1 ``taller`` times that, its foot on their line (at row 120)."""
    (x_train, y_train), _ = mnist
    four, one, two = (x_train[int(np.flatnonzero(y_train == digit)[0])] for digit in (4, 1, 2))
    page = ImageOps.expand(paper_number([four, np.zeros_like(one), two], gap=30, height=60), (0, 40, 60, 60),
                           fill=(255, 255, 255))
    tall = round(60 * taller)
    glyph = np.asarray(Image.fromarray(255 - one).resize((tall, tall), Image.Resampling.BICUBIC).convert("RGB"))
    region = (140 - tall // 2, 120 - tall, 140 - tall // 2 + tall, 120)
    page.paste(Image.fromarray(np.minimum(np.asarray(page.crop(region)), glyph)), region[:2])
    return page


@pytest.mark.parametrize("taller", [1.4, 1.5])
def test_a_handwritten_one_far_taller_than_its_neighbours_is_kept(mnist, taller):
    # Straight for over PEN_LENGTH times the writing's size and reaching far above the others, as a
    # pen lying alone does, but upright and standing on their line: a 1 ("42" for 412, silently).
    assert recognise_numbers([with_a_tall_one(mnist, taller)])[0].number == "412"


def test_a_bar_beside_the_number_reaching_below_its_line_is_no_tall_one(mnist):
    # Upright and alone, and with the tall 1 raising the writing's size, no longer than twice it; but it
    # reaches far below the line the digits stand on: a pen or a rule, not a 1 ("part 1 of 2").
    page = with_a_tall_one(mnist, 1.5)
    ImageDraw.Draw(page).line([(300, 50), (300, 145)], fill=(20, 20, 20), width=5)
    assert recognise_numbers([page])[0].number == "412"


def test_a_lone_one_beside_dashes_at_the_frames_edge_is_not_taken_for_a_pen():
    # Dashes along the frame's edge are no writing: they neither shrink the writing's size
    # nor stand for its line, so a lone 1 is not taken for a pen lying off that line.
    from digits.ink import without_frame_slivers
    from digits.pens import without_pens

    ink = np.zeros((200, 300), dtype=np.float32)
    for start in range(0, 300, 36):
        ink[0, start:start + 30] = 0.9
    ink[80:140, 150:156] = 1.0  # a 1
    kept = without_pens(without_frame_slivers(ink))
    assert kept[0].max() == 0.0 and kept[80:140, 150:156].min() == 1.0


def test_a_unit_beside_a_number_is_no_digit_of_it():
    # "kWh" printed beside the digits, under half as tall: the model declines it, and the whole reading
    # was declined with it ("part 5 of 5 does not look like a digit").
    face = Image.new("L", (420, 120), 225)
    draw = ImageDraw.Draw(face)
    draw.text((20, 20), "0032", font=printed(64), fill=20)
    draw.text((200, 60), "kWh", font=printed(30), fill=20)
    assert recognise_numbers([face])[0].number == "0032"


def test_only_a_short_declined_part_apart_at_an_end_is_taken_for_a_label():
    from digits.number import without_labels

    def part(digit, left, height, width=20):
        return {"digit": digit, "confidence": 0.99, "box": [left, 0, width, height]}

    reading = [part(None, 0, 12), part(4, 40, 30), part(1, 70, 29), part(7, 100, 31), part(None, 140, 14),
               part(None, 170, 11)]
    kept, groups = without_labels(reading, [0, 1, 2, 3, 4, 5])
    assert [item["digit"] for item in kept] == [4, 1, 7] and groups == [1, 2, 3]
    # A declined part as tall as the digits, one as close to them as they stand to each other, or one
    # between them, stays: the number is not read.
    tall = [part(4, 0, 30), part(1, 30, 29), part(None, 70, 28)]
    assert without_labels(tall, [0, 1, 2])[0] == tall
    close = [part(4, 0, 30), part(1, 30, 29), part(None, 52, 18)]
    assert without_labels(close, [0, 1, 2])[0] == close
    inner = [part(4, 0, 30), part(None, 40, 10), part(7, 80, 31)]
    assert without_labels(inner, [0, 1, 2])[0] == inner
    # Nor one taller than wide, as a small digit is: a label is a word.
    narrow = [part(4, 0, 30), part(1, 30, 29), part(None, 70, 20, width=12)]
    assert without_labels(narrow, [0, 1, 2])[0] == narrow


def test_a_wheel_turning_at_a_counters_end_is_no_label():
    from digits.number import without_labels

    def part(digit, left, top, height, width=20):
        return {"digit": digit, "confidence": 0.99, "box": [left, top, width, height]}

    # The last wheel between two digits shows the foot of one at its window's top: short, declined, a pitch from the
    # wheel beside it and reaching above the digits' top. Taken for a label, it went without a word ("384" for 3844).
    turning = [part(3, 0, 10, 30), part(8, 40, 10, 30), part(4, 80, 11, 30), part(None, 118, 6, 12, width=24)]
    assert without_labels(turning, [0, 1, 2, 3])[0] == turning
    # A unit's word as far away, across the digits' middle, is a label.
    unit = [part(3, 0, 10, 30), part(8, 40, 10, 30), part(4, 80, 11, 30), part(None, 118, 20, 12, width=24)]
    assert len(without_labels(unit, [0, 1, 2, 3])[0]) == 3


@pytest.mark.parametrize("name, number", [
    # A dial below a meter's counter, twice its digits' height: it set the line's height and slant, the digits were
    # taken for marks beside it, and the dial was read as 0.
    ("meter-face-with-a-dial-below-the-counter-03426.jpg", "03426"),
    # A stamp and a postmark above the number, off its row: "part 5 of 5 does not look like a digit".
    ("number-on-an-envelope-beside-its-stamp-2585.jpg", "2585"),
    ("slanted-number-on-an-envelope-7069239.jpg", "7069239"),
])
def test_marks_off_the_numbers_row_are_no_part_of_it(name, number):
    reading = recognise_numbers([Image.open(Path(__file__).parent / "images" / name)])[0]
    assert reading.number == number, reading.to_dict()


def test_digits_standing_on_a_forms_line_are_read():
    # Written on a form's printed line, the digits made one part with it ("part 1 of 1 does not look like a digit");
    # the line, level and three times the writing's size long, below its middle, goes as a pen does, all along it.
    photo = Image.open(Path(__file__).parent / "images" / "number-standing-on-a-forms-line-80.jpg")
    reading = recognise_numbers([photo])[0]
    assert reading.number == "80", reading.to_dict()


def test_a_line_over_or_through_the_writing_is_no_underline():
    from digits.pens import is_underline

    mask = np.zeros((200, 400), dtype=bool)
    mask[100, 20:380] = True
    writing_rows = np.arange(60, 120)
    assert is_underline(mask, 0.0, 150, np.full(360, 100), writing_rows)
    # Its middle above the writing's, or turned more than 10 degrees, or shorter than the length asked: no underline.
    assert not is_underline(mask, 0.0, 150, np.full(360, 80), writing_rows)
    assert not is_underline(mask, np.radians(15.0), 150, np.full(360, 100), writing_rows)
    assert not is_underline(mask, 0.0, 370, np.full(360, 100), writing_rows)


def test_only_marks_sharing_no_row_with_the_longest_row_go():
    from digits.number import on_the_row

    ink = np.zeros((300, 500), dtype=np.float32)
    for left in (40, 100, 160):
        ink[60:100, left:left + 20] = 1.0  # three marks of one height in a row
    ink[92:112, 220:240] = 1.0  # lower, but sharing rows with the row (a digit written a little low)
    ink[180:280, 300:400] = 1.0  # a large mark below the row
    kept = on_the_row(ink)
    assert kept[180:280, 300:400].max() == 0.0
    assert np.array_equal(kept[:150], ink[:150])
    # Two marks are no row: nothing goes.
    two = ink.copy()
    two[60:100, 160:180] = 0.0
    two[92:112, 220:240] = 0.0
    assert np.array_equal(on_the_row(two), two)


def test_a_declined_part_below_the_numbers_line_is_dropped_and_one_on_it_stays():
    from digits.number import off_the_line_dropped

    def part(digit, left, top, height=30):
        return {"digit": digit, "confidence": 0.99, "box": [left, top, 20, height]}

    # A sheet's edge far below the digits, read as a part between them.
    reading = [part(7, 0, 100), part(None, 10, 300, 20), part(8, 30, 98), part(5, 60, 95)]
    kept, groups = off_the_line_dropped(reading, [0, 1, 2, 3])
    assert [item["digit"] for item in kept] == [7, 8, 5] and groups == [0, 2, 3]
    # A declined part sharing rows with the digits is on the line: the number stays unread.
    on_the_line = [part(7, 0, 100), part(None, 30, 120, 30), part(5, 60, 95)]
    assert off_the_line_dropped(on_the_line, [0, 1, 2])[0] == on_the_line
    # With one digit read there is no line to measure by.
    alone = [part(7, 0, 100), part(None, 30, 300)]
    assert off_the_line_dropped(alone, [0, 1])[0] == alone


def test_a_units_letters_at_the_end_and_a_speck_beside_them_are_labels():
    from digits.number import without_labels

    def part(digit, left, height, width=20):
        return {"digit": digit, "confidence": 0.99, "box": [left, 0, width, height]}

    # "km" three quarters of the wheels' digits high, wider than high, apart from the last wheel.
    km = [part(3, 0, 17), part(6, 30, 17), part(7, 60, 17), part(None, 100, 13, width=24)]
    assert [item["digit"] for item in without_labels(km, [0, 1, 2, 3])[0]] == [3, 6, 7]
    # A speck under half the digits' height, whatever its shape.
    speck = [part(3, 0, 16), part(6, 30, 16), part(7, 60, 16), part(None, 90, 7, width=5)]
    assert [item["digit"] for item in without_labels(speck, [0, 1, 2, 3])[0]] == [3, 6, 7]


def test_a_window_edge_between_evenly_spaced_wheels_is_dropped_or_doubted_and_a_wheels_1_stays():
    from digits.number import wheel_places, without_window_edges

    def part(digit, left, width=9, height=15):
        return {"digit": digit, "confidence": 0.99, "box": [left, 0, width, height]}

    # Wheels every 32 pixels; edges, running the windows' height, a third of the way between two of them: the
    # declined one goes, the one read as 1 is doubted (a writer's tall 1 on evenly spaced paper stands so too).
    reading = [part(3, 157), part(8, 189), part(5, 221), part(0, 253), part(None, 264, 7, 27), part(6, 285),
               part(5, 317), part(1, 341, 4, 19), part(3, 349)]
    kept, groups = without_window_edges(reading, list(range(9)), wheel_places(reading))
    assert [item["digit"] for item in kept] == [3, 8, 5, 0, 6, 5, 1, 3] and groups == [0, 1, 2, 3, 5, 6, 7, 8]
    assert kept[6]["confidence"] < 0.6 and all(item["confidence"] == 0.99 for item in kept[:6] + kept[7:])
    # A wheel showing 1 stands in its place.
    wheel = [part(3, 157), part(8, 189), part(1, 223, 5), part(0, 253), part(6, 285)]
    assert without_window_edges(wheel, list(range(5)), wheel_places(wheel))[0] == wheel
    # Handwriting spaced unevenly has no places to stand between.
    written = [part(3, 0), part(8, 40), part(1, 58, 4, 20), part(5, 95), part(0, 120)]
    assert without_window_edges(written, list(range(5)), wheel_places(written))[0] == written
    # Nor does evenly spaced handwriting's 1, no taller than its digits (680112: the second 1 stood between places).
    even = [part(6, 749, 29, 61), part(8, 799, 40, 74), part(0, 857, 40, 68), part(1, 914, 22, 74),
            part(1, 950, 22, 74), part(2, 972, 38, 70)]
    assert without_window_edges(even, list(range(6)), wheel_places(even))[0] == even


def test_a_digit_cut_short_on_evenly_spaced_wheels_is_doubted_and_handwriting_is_not():
    from digits.number import wheel_places, with_short_parts_doubted

    def part(digit, left, height):
        return {"digit": digit, "confidence": 0.99, "box": [left, 0, 10, height]}

    # The last wheel turning: the window shows 10 of its 16 rows.
    turning = [part(2, 0, 16), part(7, 26, 15), part(5, 52, 16), part(3, 78, 16), part(0, 104, 10)]
    doubted = with_short_parts_doubted(turning, wheel_places(turning))
    assert [item["confidence"] for item in doubted[:4]] == [0.99] * 4 and doubted[4]["confidence"] < 0.6
    # Digits of about one height are left as read, and so is handwriting, whose digits vary in height and spacing.
    alike = [part(2, 0, 16), part(7, 26, 14), part(5, 52, 16), part(3, 78, 16), part(0, 104, 13)]
    assert with_short_parts_doubted(alike, wheel_places(alike)) == alike
    written = [part(3, 0, 50), part(8, 37, 52), part(6, 80, 49), part(0, 111, 36)]
    assert with_short_parts_doubted(written, wheel_places(written)) == written
