import math
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from digits.preprocess import grey_of, scale_mnist, to_model_input
from digits.plates import find_plate
from digits.scene import find_sheet, sheet_angle, sheet_mask


def desk_with_sheet(digit: np.ndarray, angle: float = 0.0, desk: float = 0.25, pen: bool = False) -> Image.Image:
    """A light sheet turned by ``angle`` on a dark desk, a real digit written in its middle, a pen if asked."""
    desk_image = Image.new("L", (640, 480), int(desk * 255))
    sheet = Image.new("L", (300, 340), 235)
    ink = Image.fromarray(255 - digit).resize((150, 150), Image.Resampling.BICUBIC)
    sheet.paste(ink, (75, 95))
    mask = Image.new("L", sheet.size, 255)
    turned, turned_mask = sheet.rotate(angle, expand=True, fillcolor=0), mask.rotate(angle, expand=True)
    desk_image.paste(turned, ((640 - turned.width) // 2, (480 - turned.height) // 2), turned_mask)
    if pen:
        ImageDraw.Draw(desk_image).line([(120, 30), (300, 200)], fill=20, width=14)
    return desk_image


def corner_canvas(digit: np.ndarray) -> Image.Image:
    from PIL import ImageFilter

    page = Image.new("L", (380, 380), 255)
    heavy = Image.fromarray(255 - digit).resize((200, 200)).filter(ImageFilter.MinFilter(9))
    page.paste(heavy, (0, 0))
    return page


@pytest.fixture
def five(mnist):
    (x_train, _), _ = mnist
    return x_train[35]


def correlation(first: np.ndarray, second: np.ndarray) -> float:
    return float(np.corrcoef(first.ravel(), second.ravel())[0, 1])


def test_a_sheet_on_a_dark_desk_is_cut_out_and_the_digit_comes_back(five):
    photo = desk_with_sheet(five)
    sheet = find_sheet(grey_of(photo))
    # Only paper and ink are left: the frame's edge is paper-light, no desk.
    edge = np.concatenate([sheet[0], sheet[-1], sheet[:, 0], sheet[:, -1]])
    assert edge.min() > 0.8
    assert correlation(to_model_input(photo), scale_mnist(five)) > 0.85


@pytest.mark.parametrize("angle", [-18, -9, 12, 20])
def test_a_turned_sheet_is_measured_and_set_upright(five, angle):
    photo = desk_with_sheet(five, angle=angle)
    from digits.ink import shrink
    from digits.shapes import hull_points

    mask = sheet_mask(shrink(grey_of(photo)))
    assert mask is not None
    # Pillow turns counter-clockwise on screen; in image rows and columns (y down) that is -angle.
    assert sheet_angle(hull_points(mask)) == pytest.approx(-angle, abs=2.5)
    assert correlation(to_model_input(photo), scale_mnist(five)) > 0.8


def test_a_pen_lying_across_the_sheet_is_not_read_as_ink(five):
    photo = desk_with_sheet(five, pen=True)
    assert correlation(to_model_input(photo), scale_mnist(five)) > 0.85


@pytest.mark.parametrize("make", [
    lambda digit: Image.fromarray(255 - digit).resize((300, 300)),          # a page filling the frame
    lambda digit: Image.fromarray(digit).resize((300, 300)),                # light ink on black
    lambda digit: Image.fromarray(255 - digit),                             # too small to hold a scene
    # A canvas export: a heavy digit in the corner of a white page (a closing once ate the
    # page's border, and the page was taken for a sheet on a desk).
    lambda digit: corner_canvas(digit),
])
def test_images_without_a_separate_sheet_pass_unchanged(five, make):
    grey = grey_of(make(five))
    assert find_sheet(grey) is grey


def test_sheet_angle_of_a_turned_rectangle():
    corners = np.array([[-2, -1], [2, -1], [2, 1], [-2, 1]], dtype=float)
    turn = math.radians(14)
    rotation = np.array([[math.cos(turn), -math.sin(turn)], [math.sin(turn), math.cos(turn)]])
    assert sheet_angle(corners @ rotation.T) == pytest.approx(14, abs=0.01)


def test_marks_reaching_in_from_the_sheets_edge_are_not_read_as_ink(five):
    # A curved cable looping in over the top edge and a short stub of a pen at the bottom
    # right corner: neither is long and straight, and neither touches the writing.
    photo = desk_with_sheet(five)
    draw = ImageDraw.Draw(photo)
    draw.arc([(200, 20), (300, 120)], 0, 180, fill=20, width=10)
    draw.line([(430, 440), (455, 395)], fill=20, width=12)
    assert correlation(to_model_input(photo), scale_mnist(five)) > 0.85


def shadowed_desk(digits: list[np.ndarray], shade: float = 0.5, edge: float = 8.0) -> Image.Image:
    """A sheet on a mid-grey desk, digits written across it, a shadow over its left part as dark as the desk, its
    edge ``edge`` pixels soft."""
    random = np.random.default_rng(0)
    desk = np.clip(0.45 + random.normal(0, 0.02, (480, 640)), 0, 1)
    desk[80:400, 140:500] = 0.92
    for place, digit in enumerate(digits):
        ink = np.asarray(Image.fromarray(digit).resize((110, 110), Image.Resampling.BICUBIC), dtype=np.float64) / 255
        left = 170 + place * 110
        region = desk[180:290, left:left + 110]
        region[:] = region * (1 - ink) + 0.05 * ink
    columns = np.arange(640, dtype=np.float64)
    light = 1 - (1 - shade) / (1 + np.exp((columns - 300) / edge))
    return Image.fromarray((np.clip(desk * light, 0, 1) * 255).astype(np.uint8))


def test_paper_in_a_shadow_as_dark_as_the_desk_stays_part_of_the_sheet(five):
    # The shadow's soft edge is crossed, the sheet's sharp edge is not: the digit in the
    # shadow is kept, and the sheet is not cut along the shadow's edge.
    photo = shadowed_desk([five])
    sheet = find_sheet(grey_of(photo))
    # The sheet is 360 pixels wide, 200 of them lit; the working size is 0.8 of the photo.
    assert sheet.shape[1] > 0.8 * 300
    assert correlation(to_model_input(photo), scale_mnist(five)) > 0.75


@pytest.mark.parametrize("shade", [0.55, 0.7])
def test_paper_beyond_a_shadows_hard_edge_stays_part_of_the_sheet(five, shade):
    # A shadow in direct sunlight: its edge is as sharp as the sheet's, and the lit part alone was
    # cut out ("no ink: the image is nearly uniform"). The paper beyond it is a shadow's factor
    # darker, lighter than the desk in the same shadow, and makes the sheet whole with the lit part.
    photo = shadowed_desk([five], shade=shade, edge=0.5)
    sheet = find_sheet(grey_of(photo))
    assert sheet.shape[1] > 0.8 * 300
    assert correlation(to_model_input(photo), scale_mnist(five)) > 0.75


def test_the_lit_desk_beside_a_sheet_is_no_paper_in_shadow(five):
    # The shadow's edge crosses sheet and desk: the lit desk beside the lit paper is as level as paper in
    # shadow, and with it makes a rectangle, but it runs out of the picture. The sheet stays the sheet.
    pixels = np.asarray(shadowed_desk([five], shade=0.4, edge=0.5).transpose(Image.Transpose.ROTATE_90))
    mask = sheet_mask(grey_of(Image.fromarray(pixels)))
    assert mask is not None
    assert mask.mean() < 0.45


def test_a_digit_running_up_to_the_sheets_edge_beside_others_is_writing(mnist):
    # Three digits side by side, the last one touching the sheet's right edge: as dark as
    # the others and beside them, it is not taken for a pen reaching in from the desk.
    from digits.number import segment

    (x_train, _), _ = mnist
    photo = shadowed_desk([x_train[index] for index in (13, 3, 2)], shade=1.0)
    pixels = np.asarray(photo).copy()
    pixels[:, 485:] = 115  # the desk starts where the third digit ends
    assert len(segment(Image.fromarray(pixels))) == 3


def ruled_sheet_on_desk(digits: list[np.ndarray], turn: float) -> Image.Image:
    """A ruled sheet turned on a dark desk, its lines running to the sheet's edges, a number written by its left edge."""
    photo = Image.new("L", (640, 480), 60)
    sheet = Image.new("L", (440, 330), 235)
    draw = ImageDraw.Draw(sheet)
    for row in range(12, 330, 24):
        draw.line([(0, row), (440, row)], fill=180, width=2)
    for place, digit in enumerate(digits):
        ink = Image.fromarray(digit).resize((90, 90), Image.Resampling.BICUBIC)
        sheet.paste(Image.new("L", ink.size, 20), (12 + place * 85, 110), ink)
    mask = Image.new("L", sheet.size, 255)
    photo.paste(sheet.rotate(turn, expand=True, fillcolor=0), (100, 60), mask.rotate(turn, expand=True))
    return photo


@pytest.mark.parametrize("turn", [0, 6])
def test_writing_that_crosses_printed_lines_running_to_the_edge_is_kept(mnist, turn):
    # The lines reach the sheet's edge and the digits cross them: the lines join no object,
    # so no digit is painted out (or cut) as something reaching in from the desk.
    from digits.number import segment

    (x_train, _), _ = mnist
    photo = ruled_sheet_on_desk([x_train[index] for index in (3, 5, 15, 1)], turn)
    assert len(segment(photo)) == 4


def test_a_one_running_up_to_the_sheets_edge_beside_others_is_writing(mnist):
    # A 1 is a straight bar, as a pen's end is; but it is no longer than the writing is
    # tall and it stays on the writing's line, so it is kept as writing.
    from digits.number import segment

    (x_train, y_train), _ = mnist
    assert y_train[3] == 1
    photo = shadowed_desk([x_train[index] for index in (13, 2, 3)], shade=1.0)
    pixels = np.asarray(photo).copy()
    ink_columns = np.flatnonzero((pixels[180:290, 390:500] < 100).any(axis=0)) + 390
    pixels[:, ink_columns[-1] - 2:] = 115  # the desk starts where the 1 ends
    assert len(segment(Image.fromarray(pixels))) == 3


def test_a_cable_reaching_in_from_below_the_writing_is_not_read_as_a_digit(mnist):
    # A curved cable across the sheet's bottom edge, as dark as the writing and coming up
    # close beside the number, but reaching far below its line: it is painted out, not read.
    from digits.number import segment

    (x_train, _), _ = mnist
    photo = shadowed_desk([x_train[index] for index in (13, 2)], shade=1.0)
    ImageDraw.Draw(photo).arc([(110, 300), (200, 500)], 180, 360, fill=60, width=10)
    assert len(segment(photo)) == 2


def test_a_pen_reaching_in_onto_a_digit_takes_only_the_pen_away(mnist):
    # A pen lies from the desk across the sheet's top edge onto the middle digit: the pen
    # and the digit are one dark object reaching in, but the pen's long straight part goes
    # and the digit stays.
    from digits.number import segment

    (x_train, _), _ = mnist
    photo = shadowed_desk([x_train[index] for index in (13, 2, 3)], shade=1.0)
    ImageDraw.Draw(photo).line([(345, 10), (300, 240)], fill=50, width=9)
    assert len(segment(photo)) == 3


@pytest.mark.parametrize("index", [46, 57, 66])  # an 8, a 9 and a 6 of MNIST's training set
def test_a_digit_drawn_light_with_a_broad_brush_on_a_plain_canvas_is_no_sheet(mnist, index):
    # Its strokes are solid enough to pass for a sheet, with the loops' holes (the canvas's
    # own black) for the writing: read so, the 8 and 9 came out as 1 and the 6 as "a dot".
    from PIL import ImageFilter

    from digits.predict import recognise
    from digits.recognisers import load_recogniser

    (x_train, y_train), _ = mnist
    canvas = Image.fromarray(x_train[index]).resize((280, 280), Image.Resampling.BICUBIC).filter(
        ImageFilter.MaxFilter(13))
    grey = grey_of(canvas)
    assert find_sheet(grey) is grey
    assert recognise([canvas], load_recogniser("default"))[0].digit == y_train[index]


@pytest.mark.parametrize("width", [24, 40])
def test_a_1_drawn_light_with_a_broad_brush_on_a_plain_canvas_is_no_sheet(width):
    # A light rectangle on a flat ground, with nothing written on it: taken for a sheet,
    # it left nothing to read ("no ink: the image is nearly uniform").
    from digits.predict import recognise
    from digits.recognisers import load_recogniser

    canvas = Image.new("L", (280, 280), 0)
    ImageDraw.Draw(canvas).line([(140, 40), (140, 240)], fill=255, width=width)
    grey = grey_of(canvas)
    assert find_sheet(grey) is grey
    assert recognise([canvas], load_recogniser("default"))[0].digit == 1


def grained_desk_with_light_pen(digit: np.ndarray) -> Image.Image:
    """A sheet on a wooden desk whose light grain runs into the sheet's edges, a light grey pen against its corner."""
    rows, columns = np.mgrid[0:480, 0:640].astype(np.float64)
    desk = 0.3 + 0.2 * np.sin(2 * math.pi * (rows + 12 * np.sin(columns / 45)) / 34)
    desk[90:390, 170:470] = 0.92
    ink = np.asarray(Image.fromarray(digit).resize((150, 150), Image.Resampling.BICUBIC), dtype=np.float64) / 255
    region = desk[165:315, 245:395]
    region[:] = region * (1 - ink) + 0.05 * ink
    photo = Image.fromarray((np.clip(desk, 0, 1) * 255).astype(np.uint8))
    ImageDraw.Draw(photo).line([(40, 20), (180, 100)], fill=175, width=12)
    return photo


def test_a_wooden_desks_grain_and_a_light_pen_touching_the_sheet_are_no_paper(five):
    # Both are light enough to count as paper and join the sheet: once, the sheet was then too
    # ragged to be one, and the whole photo went to the ink stage ("no ink: nearly uniform").
    photo = grained_desk_with_light_pen(five)
    sheet = find_sheet(grey_of(photo))
    edge = np.concatenate([sheet[0], sheet[-1], sheet[:, 0], sheet[:, -1]])
    assert edge.min() > 0.8
    assert correlation(to_model_input(photo), scale_mnist(five)) > 0.85


IMAGES = Path(__file__).parent / "images"


@pytest.mark.parametrize("name, number", [
    # A sticky note a fifth of the photo wide, a shadow's edge across it, the writing thin and
    # light: cut out, the note is small and in two tones (lit and shaded), and was taken for a
    # crop, the shaded paper for ink ("part 1 of 1 does not look like a digit").
    ("sticky-note-shadow-83054.jpg", "83054"),
    # A pink note on a desk whose lighter bands, at the lower paper level, join the note into
    # a ragged region that is no sheet: the note is found at Otsu's split instead.
    ("sticky-note-banded-desk-376.jpg", "376"),
])
def test_a_small_sticky_note_on_a_desk_is_cut_out_and_read(name, number):
    from digits.ink import is_crop
    from digits.predict import recognise_numbers

    photo = Image.open(IMAGES / name)
    sheet = find_sheet(grey_of(photo))
    assert sheet.shape != grey_of(photo).shape and not is_crop(sheet)
    assert recognise_numbers([photo])[0].number == number


@pytest.mark.parametrize("name, number", [
    # A light laminate lit from one side: its lit half is as light as the sheet, so the light
    # region was sheet and desk together, with no edge of its own, and the pen on the desk was
    # read ("does not look like a digit").
    ("sheet-on-a-light-desk-lit-unevenly-4.jpg", "4"),
    # Checked cloth whose light squares join the note at every level ("no ink").
    ("number-on-a-note-on-checked-cloth-27.jpg", "27"),
])
def test_a_sheet_no_lighter_than_the_whole_desk_is_found_as_level_paper(name, number):
    from digits.predict import recognise_numbers

    photo = Image.open(IMAGES / name)
    sheet = find_sheet(grey_of(photo))
    # Cut out, the sheet is paper and writing: no desk and no pen.
    assert (sheet < 0.5).mean() < 0.03
    assert recognise_numbers([photo])[0].number == number


def test_a_level_region_is_a_sheet_only_when_lighter_than_its_ring_and_rectangular():
    from digits.scene import level_sheet

    rows, columns = np.mgrid[:300, :400]
    # A photo's paper and desk always vary a little (a grain far gentler than an edge).
    grain = (0.004 * np.sin(rows / 3.0) * np.cos(columns / 4.0)).astype(np.float32)
    desk = (0.6 + 0.3 * columns / 400).astype(np.float32) + grain
    card = (np.abs(rows - 150) < 60) & (np.abs(columns - 200) < 80)
    found = level_sheet(np.where(card, 0.85 + grain, desk))
    # The step at its edge is no level ground: a pixel or two of its rim is left out.
    assert found is not None and found[card].mean() > 0.95 and found[~card].mean() < 0.01
    # Perfectly flat, as the white between a drawn or scanned digit's strokes is: no photographed sheet.
    assert level_sheet(np.where(card, np.float32(0.85), desk)) is None
    # As dark as the desk beside it: no sheet. A light disk: no rectangle, no sheet.
    assert level_sheet(np.where(card, 0.62 + grain, desk)) is None
    disk = np.hypot(rows - 150, columns - 200) < 70
    assert level_sheet(np.where(disk, 0.95 + grain, desk)) is None
    # A counter's light window: level too, but its digit takes a fifth of it or more.
    window = np.where(card, 0.85 + grain, desk)
    window[100:200, 180:220] = 0.1
    assert level_sheet(window) is None


def test_a_light_sheet_holding_a_patterned_desk_beside_a_level_sheet_gives_way_to_it():
    from digits.scene import holds_desk

    rows, columns = np.mgrid[:300, :400]
    card = (np.abs(rows - 150) < 80) & (np.abs(columns - 150) < 90)
    beside = (np.abs(rows - 150) < 80) & (columns >= 240) & (columns < 330)
    light = card | beside
    # Checked cloth beside the card, as light as the paper in its light squares: desk.
    checks = np.where(((rows // 6) + (columns // 6)) % 2 == 0, 0.85, 0.55).astype(np.float32)
    smooth = np.where(card, np.float32(0.85), np.where(beside, checks, np.float32(0.3)))
    assert holds_desk(smooth, light, card)
    # The card's own paper in a soft shadow beside it: level, no desk.
    shade = (0.85 - 0.3 * (columns - 240) / 90).astype(np.float32)
    assert not holds_desk(np.where(beside, shade, smooth), light, card)
    # A level sheet nearly as large as the light one: nothing to trim.
    assert not holds_desk(smooth, light, light)


def test_a_digit_at_the_sheets_edge_on_the_lit_side_of_a_shadow_is_writing():
    # The 7 touches the sheet's edge in full light; the 3, 1 and 9 lie under a shadow, so the
    # 7 stands out from its paper by more grey levels than they do from theirs. Its darkness
    # is compared with theirs relative to the paper's shade, as a shadow scales both: once,
    # the 7 was taken for something reaching onto the sheet and painted over ("319").
    from digits.predict import recognise_numbers

    assert recognise_numbers([Image.open(IMAGES / "shadowed-sheet-edge-7319.jpg")])[0].number == "7319"


def test_a_pen_across_the_sheets_edge_does_not_join_the_desk_to_the_sheet():
    # A pen lies across the sheet's left edge and the 3. Where it crosses the edge, its blurred
    # corners soften the step, and the level ground ran through that gap from the paper into
    # the desk on the left, which was cut out as shaded paper and read ("no number"). Shaded
    # paper meets the lit paper across a soft edge; that desk met it across the sheet's edge.
    from digits.predict import recognise_numbers

    photo = Image.open(IMAGES / "pen-across-sheet-edge-30.jpg")
    sheet = find_sheet(grey_of(photo))
    # The pen and the writing are dark; the desk, once a quarter of the cut-out, is not in it.
    assert (sheet < 0.5).mean() < 0.1
    assert recognise_numbers([photo])[0].number == "30"


def test_a_pen_from_the_desk_onto_a_digit_takes_only_its_own_straight_part():
    # A pen lies on the desk, over the sheet's edge, its tip on the first 8's foot: pen and 8
    # are one object reaching in. Its straight part on the sheet is about as long as the
    # digits are tall; the whole object was painted over, and the 8 with it ("874").
    from digits.predict import recognise_numbers

    assert recognise_numbers([Image.open(IMAGES / "pen-from-the-desk-onto-a-digit-8874.jpg")])[0].number == "8874"


@pytest.mark.parametrize("size", [200, 230])
def test_a_small_photo_of_a_sheet_on_a_desk_is_no_crop(mnist, size):
    # Under 256 pixels a side and in two clean tones (desk, paper; the ink as dark as the
    # desk), the photo passes for a crop; the desk around the sheet on all sides says it is not
    # one (a clear 8 on a 230-pixel photo was "this does not look like a digit").
    (x_train, y_train), _ = mnist
    digit = x_train[int(np.flatnonzero(y_train == 8)[3])]
    photo = np.full((size, size), 0.22)
    top, bottom = size // 4, 3 * size // 4
    photo[top - 10:bottom + 10, top:bottom] = 0.9
    ink = np.asarray(Image.fromarray(digit).resize((bottom - top,) * 2, Image.Resampling.BICUBIC)) / 255
    region = photo[top:bottom, top:bottom]
    region[:] = region * (1 - ink) + 0.08 * ink
    image = Image.fromarray((photo * 255).astype(np.uint8))
    from digits.predict import recognise

    assert find_sheet(grey_of(image)).shape != (size, size)
    assert recognise([image])[0].digit == 8


@pytest.mark.parametrize("index", [2, 2548])
def test_a_light_digit_filling_a_black_canvas_is_not_enlarged_as_a_photo(mnist, index):
    # A white MNIST digit scaled to fill a flat black 280-pixel canvas passes for a light
    # sheet; what is cut out of a flat background is a drawing, not a photo, and is not
    # enlarged for the ink stage (once, this 1 was "no ink" and this 9 read as 4).
    from digits.predict import recognise

    _, (x_test, y_test) = mnist
    canvas = Image.new("L", (280, 280), 0)
    canvas.paste(Image.fromarray(x_test[index]).resize((280, 280), Image.Resampling.BICUBIC))
    assert recognise([canvas])[0].digit == y_test[index]


@pytest.mark.parametrize("name, digit", [("faint-digit-on-a-shaded-sheet-4.jpg", 4),
                                         ("faint-digit-on-a-shaded-sheet-9.jpg", 9)])
def test_a_faint_digit_on_the_shaded_part_of_a_sheet_is_read(name, digit):
    # A shadow's edge across a small squared sheet, the light pencil digit in the shade: it
    # stands under 0.1 below its paper, and the photo was "nearly uniform".
    from digits.predict import recognise

    assert recognise([Image.open(IMAGES / name)])[0].digit == digit


@pytest.mark.parametrize("name, number", [
    # Light falling off to the right across a page that fills the frame: its lit left part, cut
    # off where the light fades, was taken for the sheet and the 6 painted over ("31").
    ("page-whose-light-falls-off-to-one-side-316.jpg", "316"),
    # A shadow's soft edge across the top of a page filling the frame, the pencil number in the
    # shade: the lit corner was taken for the sheet, and nothing was written on it ("nearly uniform").
    ("pencil-under-a-shadow-over-most-of-the-page-586.jpg", "586"),
])
def test_a_page_filling_the_frame_in_uneven_light_is_no_sheet_on_a_desk(name, number):
    from digits.predict import recognise_numbers

    image = Image.open(IMAGES / name)
    assert sheet_mask(grey_of(image)) is None
    assert recognise_numbers([image])[0].number == number


def test_lit_paper_with_an_edge_of_its_own_is_a_sheet_and_a_soft_lit_patch_is_none():
    # The same light on both: paper lit on the left, falling off softly to the right. A sheet
    # lying on a dark desk has sharp edges; the lit part of a page filling the frame has none.
    from digits.scene import has_sharp_edge

    height, width = 240, 320
    columns = np.linspace(0.0, 1.0, width)[None, :].repeat(height, axis=0)
    light = np.clip(0.95 - 0.6 * columns, 0.3, 1.0).astype(np.float32)
    patch = light > 0.62
    assert not has_sharp_edge(light, patch)
    desk = np.full((height, width), 0.15, dtype=np.float32)
    sheet = np.zeros((height, width), dtype=bool)
    sheet[40:200, 30:200] = True
    photo = np.where(sheet, light, desk).astype(np.float32)
    assert has_sharp_edge(photo, sheet & patch)


def test_a_wide_dark_pen_reaching_in_is_no_shadow():
    # A pen close to the camera is as wide as a shadow's body, but far darker than any shadow:
    # it was left on the sheet as a shadow for the ink stage, and read as a 1 before a number.
    from digits.crossing import without_crossing_objects

    paper = Image.new("L", (160, 200), 215)
    draw = ImageDraw.Draw(paper)
    for left in (30, 90):  # faint pencil rings
        draw.arc([left, 110, left + 40, 150], 0, 360, fill=150, width=3)
    draw.polygon([(74, 0), (94, 0), (92, 95), (83, 100), (76, 95)], fill=35)
    image = np.asarray(paper, dtype=np.float32) / 255
    inner = np.zeros(image.shape, dtype=bool)
    inner[8:] = True
    cleaned = without_crossing_objects(image, inner)
    assert not (cleaned[20:90, 70:100] < 0.4).any()
    assert np.array_equal(cleaned[110:151, 30:131] < 0.7, image[110:151, 30:131] < 0.7)


def test_a_meter_on_a_dark_plate_is_cut_out_as_a_sheet_on_the_negative():
    # A black plate on a grey wall holding a counter, its unit and labels: no light sheet, so the
    # counter's windows were a small share of the whole photo and the wall's light took part in
    # reading it. The plate is a sheet on the negative: cut out, set upright, turned back.
    from digits.predict import recognise_numbers

    photo = Image.open(IMAGES / "meter-with-its-unit-on-a-dark-plate-0032.jpg")
    grey = grey_of(photo)
    assert find_sheet(grey) is grey
    plate = find_plate(grey)
    assert plate is not None and plate.size < 0.5 * grey.size
    assert float(np.median(plate)) < float(np.median(grey)) - 0.1
    assert recognise_numbers([photo])[0].number == "0032"


def test_a_phone_lying_on_a_desk_is_no_plate():
    # Dark, solid and rectangular, as a meter's plate is, but nothing on it: the photo is read whole.
    rng = np.random.default_rng(5)
    desk = Image.new("F", (400, 360), 0.7)
    desk.paste(Image.new("F", (140, 220), 0.12).rotate(12, expand=True, fillcolor=0.7), (120, 50))
    photo = np.clip(np.asarray(desk) + rng.normal(0, 0.02, (360, 400)), 0, 1).astype(np.float32)
    assert find_plate(photo) is None


def test_a_bold_digit_drawn_on_a_canvas_is_no_plate():
    # Dark, solid and nearly rectangular, holding its loops, but on a drawing's flat background: it was
    # cut out as a plate and read as 6.
    from digits.predict import recognise

    drawing = Image.open(IMAGES / "bold-8-drawn-on-a-canvas.png")
    assert find_plate(grey_of(drawing)) is None
    assert recognise([drawing])[0].digit == 8


def test_a_round_meter_face_is_not_turned():
    # A water meter's round white face: its smallest rectangle's turn is any (here 45 degrees), and
    # the face was turned by it, its row of wheels read as a diagonal.
    from digits.predict import recognise_numbers

    photo = Image.open(IMAGES / "meter-with-a-round-face-02197.jpg")
    assert recognise_numbers([photo])[0].number == "02197"


def test_only_a_disc_or_a_mild_ellipse_is_round():
    from digits.scene import is_round
    from digits.shapes import hull_points

    rows, columns = np.mgrid[:200, :200]
    assert is_round(hull_points(np.hypot(rows - 100, columns - 100) < 80))
    assert is_round(hull_points(((rows - 100) / 60) ** 2 + ((columns - 100) / 80) ** 2 < 1))
    square = np.zeros((200, 200), dtype=bool)
    square[30:170, 30:170] = True
    assert not is_round(hull_points(square))
    # A sheet a shadow cuts at a corner is still no dial, nor is a card with rounded corners, turned.
    square[120:, 120:] = False
    assert not is_round(hull_points(square))
    card = Image.new("L", (300, 300), 0)
    ImageDraw.Draw(card).rounded_rectangle([50, 50, 250, 250], radius=50, fill=255)
    assert not is_round(hull_points(np.asarray(card.rotate(30)) > 127))



@pytest.mark.parametrize("name, digit", [
    # The shadow's edge runs across the sheet and the desk; the digit is in the shaded half.
    ("digit-below-a-hard-shadows-edge-across-the-sheet-1.jpg", 1),
    # Only a wedge of the sheet is lit; the cut-out sheet was that wedge, turned upright.
    ("digit-in-the-shade-of-a-hard-shadow-5.jpg", 5),
    # The frame cuts the sheet's shaded part: it reaches the frame along a twentieth of its edge.
    ("digit-in-a-hard-shadow-on-a-sheet-the-frame-cuts-0.jpg", 0),
])
def test_a_digit_beyond_a_shadows_hard_edge_on_a_desk_is_read(name, digit):
    from digits.predict import recognise

    prediction = recognise([Image.open(IMAGES / name)])[0]
    assert prediction.digit == digit and not prediction.low_confidence, prediction.to_dict()
