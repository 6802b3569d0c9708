from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from digits.boxes import without_boxes
from digits.ink import INK_THRESHOLD
from digits.predict import recognise, recognise_numbers


def boxed(digits: list[np.ndarray], cell: int = 90, line: int = 2, size: int = 64, comb: bool = False,
          turn: float = 0.0, offset: tuple[int, int] = (0, 0)) -> Image.Image:
    """MNIST digits written in a form's printed boxes: one box each, or a comb (one box, a bar between places)."""
    gap = 0 if comb else 14
    width = 20 + len(digits) * cell + (len(digits) - 1) * gap + 20
    form = Image.new("L", (width, cell + 40), 245)
    draw = ImageDraw.Draw(form)
    for place, digit in enumerate(digits):
        left = 20 + place * (cell + gap)
        if not comb:
            draw.rectangle([left, 20, left + cell, 20 + cell], outline=70, width=line)
        elif place:
            draw.line([left, 20, left, 20 + cell], fill=70, width=line)
        written = Image.fromarray(255 - digit).resize((size, size), Image.Resampling.BICUBIC)
        corner = (left + (cell - size) // 2 + offset[0], 20 + (cell - size) // 2 + offset[1])
        form.paste(Image.fromarray(np.minimum(np.asarray(form.crop((*corner, corner[0] + size, corner[1] + size))),
                                              np.asarray(written))), corner)
    if comb:
        draw.rectangle([20, 20, width - 20, 20 + cell], outline=70, width=line)
    return form.rotate(turn, resample=Image.Resampling.BILINEAR, fillcolor=245) if turn else form


def first_of_each(mnist, digits: str) -> list[np.ndarray]:
    (x_train, y_train), _ = mnist
    return [x_train[int(np.flatnonzero(y_train == int(digit))[1])] for digit in digits]


@pytest.mark.parametrize("line, turn", [(2, 0.0), (3, 1.5), (1, -1.0)])
def test_a_digit_in_a_printed_box_is_read(mnist, line, turn):
    # With its box, the digit was "this does not look like a digit".
    for digit in "3708":
        reading = recognise([boxed(first_of_each(mnist, digit), line=line, turn=turn)])[0]
        assert reading.digit == int(digit), reading.to_dict()


def test_a_digit_touching_its_box_keeps_its_stroke(mnist):
    # The 7 is written large and low: its foot runs into the box's bottom line.
    reading = recognise([boxed(first_of_each(mnist, "7"), size=84, offset=(0, 6))])[0]
    assert reading.digit == 7, reading.to_dict()


@pytest.mark.parametrize("digit", ["3", "2"])
def test_a_digit_written_over_its_boxs_top_is_read(mnist, digit):
    # The digit stands out above the box: the box's topmost pixels in those columns are the
    # digit's, and the top was taken for no straight side ("this does not look like a digit").
    reading = recognise([boxed(first_of_each(mnist, digit), size=104, offset=(0, -14))])[0]
    assert reading.digit == int(digit), reading.to_dict()


@pytest.mark.parametrize("comb", [False, True])
def test_a_number_in_a_forms_boxes_is_read(mnist, comb):
    reading = recognise_numbers([boxed(first_of_each(mnist, "40213"), comb=comb, turn=0.8)])[0]
    assert reading.number == "40213", reading.to_dict()


def test_a_tall_1_touching_its_boxs_top_and_bottom_is_no_bar(mnist):
    # Its stroke covers the rows between the box's lines as a comb's bar does; cut out as one,
    # it left two strokes ("4112" for 412).
    digits = first_of_each(mnist, "412")
    form = boxed(digits)
    tall = boxed(digits[1:2], size=120)
    form.paste(tall.crop((20, 0, 110, tall.height)), (124, 0))
    from digits.preprocess import grey_of, writing_and_ink
    from scipy import ndimage

    ink = writing_and_ink(grey_of(form)).ink
    middle = ink[:, ink.shape[1] // 3:2 * ink.shape[1] // 3] > INK_THRESHOLD
    assert ndimage.label(middle)[1] == 1


def test_shapes_with_nothing_inside_and_thick_digital_digits_are_no_boxes():
    ink = np.zeros((120, 260), dtype=np.float32)
    ink[20:100, 20:90] = 1.0
    ink[22:98, 22:88] = 0.0  # a square 0 with sides as thin as a form's: nothing inside it
    ink[20:100, 150:210] = 1.0
    ink[34:52, 164:196] = 0.0  # a digital 8: its bars a fifth of its width
    ink[68:86, 164:196] = 0.0
    assert np.array_equal(without_boxes(ink), ink)


def test_the_box_goes_and_the_writing_stays(mnist):
    from digits.preprocess import grey_of, writing_and_ink

    ink = writing_and_ink(grey_of(boxed(first_of_each(mnist, "5")))).ink
    mask = ink > INK_THRESHOLD
    rows, columns = np.nonzero(mask)
    # What is left is the digit, well inside where the box was.
    height, width = mask.shape
    assert rows.min() > 0.2 * height and rows.max() < 0.8 * height
    assert columns.min() > 0.2 * width and columns.max() < 0.8 * width


def test_a_thick_frame_around_writing_is_taken_out_and_a_ring_is_not():
    # A window's rim in a photo is thick and soft, not a printed box's thin straight line.
    from digits.boxes import framed_places

    frame = np.zeros((90, 70), dtype=bool)
    frame[:9], frame[-9:], frame[:, :9], frame[:, -9:] = True, True, True, True
    writing = np.zeros_like(frame)
    writing[20:70, 30:38] = True
    assert framed_places(frame, frame | writing, int(frame.sum())) == 1
    # Nothing inside (a square 0), or only a speck: no frame.
    speck = np.zeros_like(frame)
    speck[44:47, 33:36] = True
    assert not framed_places(frame, frame, int(frame.sum()))
    assert not framed_places(frame, frame | speck, int(frame.sum()))
    # A circle around a digit is no rectangle.
    rows, columns = np.mgrid[:90, :90]
    distance = np.hypot(rows - 44.5, columns - 44.5)
    ring = (distance <= 44) & (distance >= 36)
    inside = np.zeros_like(ring)
    inside[25:65, 40:48] = True
    assert not framed_places(ring, ring | inside, int(ring.sum()))
    # Alone, a frame around one place is left (a glyph drawn as a box around a stroke); two go.
    from digits.boxes import without_boxes

    page = np.zeros((120, 220), dtype=np.float32)
    page[15:105, 15:85] = frame | writing
    assert np.array_equal(without_boxes(page), page)
    page[15:105, 125:195] = frame | writing
    kept = without_boxes(page) > INK_THRESHOLD
    assert not kept[15:24, :].any() and kept[35:85, 45:53].all() and kept[35:85, 155:163].all()


def test_a_counter_whose_windows_have_rims_is_read():
    # Dark digits on light wheels, each wheel in a dark rim: each rim was one piece with the
    # digit inside ("does not look like a digit").
    photo = Image.open(Path(__file__).parent / "images" / "counter-with-rimmed-windows-40719.jpg")
    assert recognise_numbers([photo])[0].number == "40719"


def test_a_thick_frame_around_a_row_of_glyphs_goes():
    # A counter's wheels behind one pane in a light bezel: one hole holding the whole row. Its
    # glyphs count as places, so the bezel goes and each glyph stays.
    from digits.boxes import framed_places

    page = np.zeros((100, 260), dtype=np.float32)
    page[10:90, 10:250] = 1.0
    page[19:81, 19:241] = 0.0
    for left in (40, 100, 160, 210):
        page[30:70, left:left + 8] = 1.0
    piece = page[10:90, 10:250] > INK_THRESHOLD
    frame = piece.copy()
    frame[9:-9, 9:-9] = False
    assert framed_places(frame, piece, int(frame.sum())) == 4
    kept = without_boxes(page) > INK_THRESHOLD
    assert not kept[10:18, :].any() and not kept[:, 10:18].any()
    assert all(kept[32:68, left + 2:left + 6].all() for left in (40, 100, 160, 210))


def cut_tight(digit: np.ndarray, side: str | None) -> Image.Image:
    """An MNIST digit written 64 pixels high, cut to its ink (touching the frame all round), a form box's side 2
    pixels thick along ``side`` of the frame if given, as a field's segmentation gives it."""
    written = np.asarray(Image.fromarray(255 - digit).resize((64, 64), Image.Resampling.BICUBIC))
    rows, columns = np.flatnonzero((written < 128).any(axis=1)), np.flatnonzero((written < 128).any(axis=0))
    crop = Image.fromarray(written[rows[0]:rows[-1] + 1, columns[0]:columns[-1] + 1].copy())
    width, height = crop.size
    if side is not None:
        line = {"left": [0, 0, 1, height], "right": [width - 2, 0, width, height], "top": [0, 0, width, 1],
                "bottom": [0, height - 2, width, height]}[side]
        ImageDraw.Draw(crop).rectangle(line, fill=60)
    return crop


@pytest.mark.parametrize("side", [None, "left", "right", "top", "bottom"])
def test_a_boxs_side_at_a_tight_crops_edge_goes(mnist, side):
    # With the line, 20 tight crops were read 12-18 right (the line joins the digit: "10" for 0,
    # "not a digit" for 6); without it, 20, and a bar at the crop's top (a 7's, a 5's) stays.
    _, (x_test, y_test) = mnist
    readings = recognise([cut_tight(x_test[index], side) for index in range(20)])
    right = sum(reading.digit == y_test[index] for index, reading in enumerate(readings))
    assert right >= (20 if side is None else 19)


def test_only_a_thin_crisp_line_at_an_edge_is_a_boxs_side():
    from digits.boxes import edge_lines

    # A ring 5 pixels wide (a bold 0) cut tight, with a line 2 pixels thick along each side in turn: the line goes.
    ring = np.zeros((60, 40), dtype=bool)
    rows, columns = np.mgrid[0:60, 0:40]
    distance = np.hypot((rows - 29.5) / 29.5, (columns - 19.5) / 19.5)
    ring[(distance <= 1.0) & (distance >= 0.8)] = True
    for side in range(4):
        marked = np.rot90(ring, side).copy()
        marked[:2] = True
        marked = np.rot90(marked, -side)
        found = edge_lines(marked)
        assert np.rot90(found, side)[:2].all() and not np.rot90(found, side)[2:].any()
    # A 7 whose bar runs along the top with the pen of its stem, and one drawn with a 1-pixel pen: no line.
    seven = np.zeros((60, 40), dtype=bool)
    seven[:5] = True
    for row in range(60):
        seven[row, max(0, 35 - row // 2):40 - row // 2] = True
    assert not edge_lines(seven).any()
    thin = np.zeros((60, 40), dtype=bool)
    thin[0] = True
    thin[np.arange(60), 39 - np.arange(60) // 2] = True
    assert not edge_lines(thin).any()
    # A 1 filling a narrow crop is no line along its side.
    assert not edge_lines(np.ones((60, 4), dtype=bool)).any()


def test_a_line_as_thick_as_the_pen_goes_only_clear_of_the_writing():
    from digits.boxes import edge_lines

    # A ring 5 pixels wide and a line 4 pixels thick along the left edge, 6 pixels apart: the line goes.
    ring = np.zeros((60, 50), dtype=bool)
    rows, columns = np.mgrid[0:60, 0:50]
    distance = np.hypot((rows - 29.5) / 29.5, (columns - 29.5) / 19.5)
    ring[(distance <= 1.0) & (distance >= 0.8)] = True
    apart = ring.copy()
    apart[:, :4] = True
    found = edge_lines(apart)
    assert found[:, :4].all() and not found[:, 4:].any()
    # The same line touching the ring (a stroke of the digit, as a 1's or 4's would be): it stays.
    touching = apart.copy()
    touching[28:32, 4:12] = True
    assert not edge_lines(touching).any()
    # A 5's bar across the top, written apart from its stem but closer than a pen's width: it stays.
    five = np.zeros((60, 50), dtype=bool)
    five[:4] = True  # the bar, 4 rows thick: no thicker than the pen
    five[8:35, 2:7] = True  # the stem, 4 rows below it
    five[(distance <= 1.0) & (distance >= 0.8) & (rows > 30)] = True  # the belly
    assert not edge_lines(five).any()


def test_pieces_of_a_broken_thin_box_go_and_the_pens_strokes_stay():
    # A box's hairlines broke apart in a photo; the digit is written with a felt pen 6 pixels wide.
    from digits.boxes import without_hairlines

    ink = np.zeros((200, 200), dtype=np.float32)
    ink[40:42, 30:90] = 1.0  # the box's top, broken
    ink[40:42, 110:170] = 1.0
    ink[60:150, 30:32] = 1.0  # its left side
    ink[60:140, 60:110] = 1.0  # a 0 written with a felt pen 6 pixels wide
    ink[66:134, 66:104] = 0.0
    ink[150:156, 90:120] = 1.0  # a stroke of the same pen, apart
    cleaned = without_hairlines(ink)
    assert cleaned[40:42].max() == 0.0 and cleaned[60:150, 30:32].max() == 0.0
    assert np.array_equal(cleaned[60:160, 60:130], ink[60:160, 60:130])


def test_hairlines_stay_when_the_pen_is_thin_itself():
    from digits.boxes import without_hairlines

    ink = np.zeros((200, 200), dtype=np.float32)
    ink[40:42, 30:170] = 1.0
    ink[60:140, 60:110] = 1.0  # a 0 written with a fine pen, 2 pixels wide
    ink[62:138, 62:108] = 0.0
    assert np.array_equal(without_hairlines(ink), ink)


def test_a_thin_digit_beside_thick_clutter_is_no_hairline():
    # A cloth's checks, drawn thick, and a 3-like curve written with a fine pen: the curve is no box's line.
    from digits.boxes import without_hairlines

    ink = np.zeros((300, 300), dtype=np.float32)
    for top in (20, 80, 140):
        ink[top:top + 40, 240:290] = 1.0
        ink[top + 10:top + 30, 250:280] = 0.0
    rows, columns = np.mgrid[0:300, 0:300]
    ring = np.abs(np.hypot(rows - 150, columns - 100) - 40) <= 1.0
    ink[ring & (columns >= 100)] = 1.0  # the right half of a ring, 2 pixels wide
    assert np.array_equal(without_hairlines(ink), ink)
