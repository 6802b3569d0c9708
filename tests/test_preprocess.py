import io
import re
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw
from scipy import ndimage

from conftest import SAMPLES, draw_digit
from digits.preprocess import ImageTooLargeError, NoDigitError, NotAnImageError, read_image, scale_mnist, to_model_input

IMAGES = Path(__file__).parent / "images"


def encoded(image: Image.Image, format: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=format, **options)
    return buffer.getvalue()


@pytest.fixture
def reference():
    """A white-on-black 28×28 digit and its normal form, the reference every variant must match."""
    digit = draw_digit(7)
    return digit, to_model_input(digit)


def test_output_is_mnist_shaped_boxed_and_centred(reference):
    _, normal = reference
    assert normal.shape == (28, 28) and normal.dtype == np.float32
    assert 0.0 <= normal.min() and normal.max() == pytest.approx(1.0, abs=0.02)
    rows, columns = np.nonzero(normal > 0.05)
    assert max(np.ptp(rows), np.ptp(columns)) + 1 <= 21
    centre = ndimage.center_of_mass(normal)
    assert abs(centre[0] - 14) <= 0.5 and abs(centre[1] - 14) <= 0.5


def test_dark_digit_pasted_into_a_large_rgb_canvas_comes_back(reference):
    digit, normal = reference
    big = Image.fromarray(255 - digit).resize((120, 120), Image.Resampling.BICUBIC)
    canvas = Image.new("RGB", (640, 480), (230, 228, 220))
    canvas.paste(Image.merge("RGB", [big] * 3).point(lambda value: value * 0.9), (400, 60))
    recovered = to_model_input(encoded(canvas, "PNG"))
    assert np.abs(recovered - normal).mean() < 0.05
    assert np.corrcoef(recovered.ravel(), normal.ravel())[0, 1] > 0.9


def test_real_mnist_digit_in_a_photo_like_canvas_comes_back(mnist):
    (x_train, _), _ = mnist
    original = x_train[35]
    big = Image.fromarray(255 - original).resize((280, 280), Image.Resampling.BICUBIC)
    canvas = Image.new("L", (900, 700), 225)
    canvas.paste(big, (90, 300))
    recovered = to_model_input(encoded(canvas.convert("RGB"), "JPEG", quality=90))
    assert np.corrcoef(recovered.ravel(), scale_mnist(original).ravel())[0, 1] > 0.9


def test_centre_of_mass_matches_scipy():
    from digits.preprocess import centre_of_mass

    image = np.random.default_rng(4).random((17, 23))
    np.testing.assert_allclose(centre_of_mass(image), ndimage.center_of_mass(image))


def test_both_polarities_of_a_28x28_image_agree(reference):
    digit, normal = reference
    np.testing.assert_allclose(to_model_input(255 - digit), normal, atol=1e-5)


def test_transparent_canvas_with_black_strokes_is_composited_over_white(reference):
    digit, normal = reference
    strokes = Image.new("RGBA", (28, 28), (0, 0, 0, 255))
    strokes.putalpha(Image.fromarray(digit))
    recovered = to_model_input(encoded(strokes, "PNG"))
    np.testing.assert_allclose(recovered, normal, atol=0.02)


@pytest.mark.parametrize("colour", [(255, 255, 255), (255, 230, 40)], ids=["white", "yellow"])
def test_transparent_canvas_with_light_strokes_is_composited_over_black(reference, colour):
    # Over white, light strokes vanished: "no ink: the image is nearly uniform".
    digit, normal = reference
    strokes = Image.new("RGBA", (28, 28), (*colour, 255))
    strokes.putalpha(Image.fromarray(digit))
    recovered = to_model_input(encoded(strokes, "PNG"))
    np.testing.assert_allclose(recovered, normal, atol=0.02)


@pytest.mark.parametrize("format, mode", [
    ("PNG", "L"), ("PNG", "P"), ("PNG", "LA"), ("JPEG", "RGB"), ("BMP", "RGB"), ("GIF", "P"),
    ("WEBP", "RGB"), ("TIFF", "L"), ("TIFF", "I;16"),
])
def test_every_format_and_mode_reads(reference, format, mode):
    digit, normal = reference
    image = Image.fromarray(255 - digit).resize((56, 56), Image.Resampling.BICUBIC).convert(mode)
    recovered = to_model_input(encoded(image, format))
    assert np.corrcoef(recovered.ravel(), normal.ravel())[0, 1] > 0.9


def test_arrays_are_accepted_like_images(reference):
    digit, normal = reference
    np.testing.assert_allclose(to_model_input(digit.astype(np.float32) / 255), normal, atol=0.01)
    np.testing.assert_allclose(to_model_input(np.stack([digit] * 3, axis=-1)), normal, atol=1e-5)
    with pytest.raises(ValueError, match="outside"):
        to_model_input(digit.astype(np.float32))
    with pytest.raises(ValueError, match="shape"):
        to_model_input(np.zeros((2, 28, 28, 5), dtype=np.uint8))


@pytest.mark.parametrize("image", [
    Image.new("RGB", (300, 200), (255, 255, 255)),
    Image.new("RGBA", (280, 280), (0, 0, 0, 0)),
    Image.new("L", (28, 28), 0),
    Image.fromarray(np.random.default_rng(0).normal(200, 4, (240, 320)).clip(0, 255).astype(np.uint8)),
], ids=["white", "transparent", "black", "paper-noise"])
def test_blank_images_have_no_digit(image):
    with pytest.raises(NoDigitError, match="no ink"):
        to_model_input(image)


def small_digits_on_a_page(digits: list[np.ndarray], places: list[tuple[int, int]], size: int = 24) -> np.ndarray:
    page = np.full((900, 900), 240, dtype=np.uint8)
    for digit, (left, top) in zip(digits, places):
        dark = 255 - np.asarray(Image.fromarray(digit).resize((size, size)))
        page[top:top + size, left:left + size] = np.minimum(page[top:top + size, left:left + size], dark)
    return page


def test_a_small_digit_on_a_large_page_is_read_closer(mnist):
    # A clear 24-pixel digit in a 900-pixel scan covers under a thousandth of it, and in the
    # image shrunk to the working size it is 13 pixels tall: "only small marks stand out; crop
    # closer". It is read in the paper around it, cut out at full resolution.
    from digits.predict import recognise_numbers

    (x_train, y_train), _ = mnist
    page = small_digits_on_a_page([x_train[0]], [(400, 400)])
    assert np.corrcoef(to_model_input(page).ravel(), scale_mnist(x_train[0]).ravel())[0, 1] > 0.8
    number = small_digits_on_a_page(list(x_train[:4]), [(400 + 22 * place, 400) for place in range(4)])
    reading = recognise_numbers([number])[0]
    assert reading.number == "".join(map(str, y_train[:4]))
    # Each digit's box is in the page's pixels, where the digit was put (each 24 pixels a side, 22 apart).
    for place, item in enumerate(reading.to_dict()["digits"]):
        left, top, width, height = item["box"]
        assert abs(left + width / 2 - (412 + 22 * place)) <= 6 and abs(top + height / 2 - 412) <= 6, item


def test_a_small_number_on_a_page_whose_light_falls_off_gently_is_read():
    # A scanner's light falling off by 12 grey levels across a 900-pixel page split its border into
    # a lighter and a darker half, as a shadow does; taken for one, the page's polarity was judged by
    # its narrow structures, among which the paper between the small digits outweighed their strokes:
    # "nearly uniform". Each digit's box is in the page's pixels (the 3 was drawn at 176, 399).
    from digits.predict import recognise_numbers

    page = Path(__file__).parent / "images" / "small-number-on-a-page-whose-light-falls-off-305.jpg"
    reading = recognise_numbers([page])[0]
    assert reading.number == "305", reading.to_dict()
    left, top, _, _ = reading.digits[0]["box"]
    assert abs(left - 176) <= 3 and abs(top - 399) <= 3


def test_small_marks_far_apart_on_a_page_say_crop_closer(mnist):
    # Two small digits in opposite corners: no one small place to look at closer. The reason
    # says what to do, not that the image is blank.
    (x_train, _), _ = mnist
    with pytest.raises(NoDigitError, match="crop closer to the digit"):
        to_model_input(small_digits_on_a_page(list(x_train[:2]), [(100, 100), (700, 700)]))
    with pytest.raises(NoDigitError, match="nearly uniform"):
        to_model_input(Image.new("L", (900, 900), 240))


@pytest.mark.parametrize("image", [
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (280, 280), dtype=np.uint8)),
    Image.fromarray(np.random.default_rng(1).integers(0, 256, (200, 300, 3), dtype=np.uint8)),
], ids=["grey", "colour"])
def test_pure_noise_is_said_to_be_noise_not_uniform(image):
    with pytest.raises(NoDigitError, match="nothing stands out from the image's noise"):
        to_model_input(image)


def test_a_speck_is_not_a_digit():
    paper = np.full((400, 400), 240, dtype=np.uint8)
    paper[200:202, 200:202] = 20
    with pytest.raises(NoDigitError, match="no ink"):
        to_model_input(paper)


def test_too_little_ink_reason_names_no_image_size():
    from digits.ink import check_amount

    # Ink is counted on the image shrunk to the working size, or on the sheet cut out of a
    # photo: the reason once gave that size ("in a 248x248 image" for a 640x480 photo).
    mask = np.zeros((384, 512), dtype=bool)
    mask[200:203, 300] = True
    with pytest.raises(NoDigitError, match=r"^no ink: only 3 ink pixels, fewer than a digit needs \(99\)$"):
        check_amount(mask)


def test_unreadable_inputs_give_one_line_errors(tmp_path):
    text = tmp_path / "notes.png"
    text.write_text("not an image")
    truncated = tmp_path / "cut.png"
    truncated.write_bytes(encoded(Image.new("L", (64, 64), 255), "PNG")[:60])
    for path, message in [(text, "not an image"), (truncated, "cannot decode"), (tmp_path, "is a folder")]:
        with pytest.raises(ValueError, match=message) as raised:
            read_image(path)
        assert "\n" not in str(raised.value)
    with pytest.raises(FileNotFoundError, match="no such file"):
        read_image(tmp_path / "missing.png")


def test_bundled_samples_all_read():
    for path in SAMPLES.iterdir():
        if "blank" in path.name:
            with pytest.raises(NoDigitError):
                to_model_input(path)
        else:
            assert to_model_input(path).shape == (28, 28)


def photo_of(digit: np.ndarray, size=(480, 360), height=150, position=(260, 120)) -> Image.Image:
    """A phone-photo-like image: tinted paper, a lighting gradient, blue ink, noise, blur, JPEG."""
    ink = np.asarray(Image.fromarray(digit).resize((height, height), Image.Resampling.BICUBIC)) / 255.0
    alpha = np.zeros(size[::-1])
    alpha[position[1]:position[1] + height, position[0]:position[0] + height] = ink
    y, x = np.mgrid[0:size[1], 0:size[0]] / size[0]
    light = 1.0 - 0.4 * x * y
    paper = np.array([0.93, 0.88, 0.75])[None, None] * light[..., None]
    pixels = paper * (1 - alpha[..., None]) + np.array([0.1, 0.15, 0.5]) * alpha[..., None]
    pixels += np.random.default_rng(0).normal(0, 0.02, pixels.shape)
    image = Image.fromarray((np.clip(pixels, 0, 1) * 255).astype(np.uint8))
    from PIL import ImageFilter

    return Image.open(io.BytesIO(encoded(image.filter(ImageFilter.GaussianBlur(1)), "JPEG", quality=70)))


def test_phone_photo_with_uneven_light_is_read(mnist):
    from digits.predict import recognise

    _, (x_test, y_test) = mnist
    photos = [photo_of(x_test[index]) for index in range(10)]
    assert [p.digit for p in recognise(photos)] == y_test[:10].tolist()


def test_ink_in_a_shadow_is_as_strong_as_ink_in_the_light():
    # Two strokes of one pen on paper, the left one deep in a shadow that fades out to the right
    # (its light under half the right one's): a shadow darkens the ink with the paper, and the left
    # stroke, under half as strong as the right one, passed for a smudge. Against its paper's
    # light it is as strong.
    from digits.ink import INK_THRESHOLD, ink_map

    light = np.tile(np.linspace(0.3, 0.95, 320, dtype=np.float32), (240, 1))
    paper = light.copy()
    for column in (40, 270):
        paper[60:180, column:column + 8] *= 0.2
    ink = ink_map(paper)
    left, right = ink[60:180, 30:60], ink[60:180, 260:290]
    assert (left > INK_THRESHOLD).sum() > 0.8 * (right > INK_THRESHOLD).sum()
    assert np.percentile(left, 99) > 0.8 * np.percentile(right, 99)


def test_writing_beside_a_hard_shadow_with_a_lit_wedge_is_dark_ink():
    # Light through a gap (between fingers, past a phone's edge) leaves a narrow lit wedge in a
    # hard shadow, its step deeper than a ballpoint's: over the shadow window it stood out more
    # than the strokes, and the lit paper was read as light ink.
    from PIL import ImageFilter

    from digits.ink import ink_is_dark

    shade = Image.new("L", (512, 384), 0)
    draw = ImageDraw.Draw(shade)
    draw.polygon([(300, 0), (512, 0), (512, 384), (260, 384)], fill=255)
    draw.polygon([(380, 40), (414, 40), (390, 330)], fill=0)
    paper = 0.86 * (1 - 0.6 * np.asarray(shade.filter(ImageFilter.GaussianBlur(1.2)), np.float32) / 255)
    strokes = Image.new("L", (512, 384), 0)
    draw = ImageDraw.Draw(strokes)
    draw.line([(60, 120), (60, 260)], fill=255, width=4)
    draw.ellipse([110, 120, 190, 260], outline=255, width=4)
    draw.line([(210, 125), (270, 125), (225, 260)], fill=255, width=4)
    ink = np.asarray(strokes.filter(ImageFilter.GaussianBlur(0.8)), np.float32) / 255
    noise = np.random.default_rng(0).normal(0, 0.01, paper.shape).astype(np.float32)
    assert ink_is_dark(np.clip(paper - 0.42 * ink + noise, 0, 1))


def test_faint_ink_wholly_in_a_shadow_is_read_and_blank_shaded_paper_is_not():
    # Light pencil in the shaded half of a sheet, nothing written in the lit half: it stands
    # 0.08 below its paper, under the 0.1 contrast that separates ink from blank paper, and
    # the image was "nearly uniform". Against its paper's light it stands 0.16 below.
    from digits.ink import INK_THRESHOLD, ink_map

    light = np.tile(np.concatenate([np.full(160, 0.5), np.linspace(0.5, 0.95, 40), np.full(120, 0.95)]),
                    (240, 1)).astype(np.float32)
    paper = light.copy()
    paper[60:180, 60:68] *= 0.84
    ink = ink_map(paper)
    assert (ink[60:180, 60:68] > INK_THRESHOLD).mean() > 0.9
    assert (ink[:, 100:] > INK_THRESHOLD).sum() == 0
    with pytest.raises(NoDigitError, match="nearly uniform"):
        ink_map(light)


def test_a_shadows_soft_corner_is_no_ink_and_a_stroke_beside_it_is():
    # A stroke of one pen and, away from it, a broad mark with a shadow's soft edge (what the
    # shadow-following background leaves of a shadow's corner): the mark goes, the stroke stays.
    from digits.ink import INK_THRESHOLD, without_soft_marks

    ink = np.zeros((200, 300), dtype=np.float32)
    ink[50:150, 60:66] = 1.0
    rows, columns = np.mgrid[:200, :300]
    ink += 0.8 * np.exp(-((rows - 40) ** 2 + (columns - 230) ** 2) / (2 * 15.0 ** 2))
    kept = without_soft_marks(ink)
    assert (kept[50:150, 60:66] == 1.0).all()
    assert (kept[:, 150:] > INK_THRESHOLD).sum() == 0
    # A soft mark alone is left to the later checks.
    alone = ink.copy()
    alone[50:150, 60:66] = 0.0
    assert np.array_equal(without_soft_marks(alone), alone)


@pytest.mark.parametrize("name, digit", [
    # Single digits beside a polygon's shadow with a soft edge: the shadow's corners, too sharp for the
    # shadow-following window, stayed as broad marks in the box with the digit ("not a digit").
    ("digit-beside-the-corner-of-a-shadow-6.jpg", 6),
    ("digit-below-the-corner-of-a-shadow-2.jpg", 2),
])
def test_a_digit_beside_a_shadows_corner_is_read(name, digit):
    from digits.predict import recognise

    assert recognise([Image.open(IMAGES / name)])[0].digit == digit


def test_a_small_faint_pencil_digit_is_read_and_a_blank_page_is_not():
    # A pencil 1 a tenth of the photo's height, 0.2 below its paper, covers under a thousandth of
    # the image: the thousandth left out of the ink's strongest level held all of it ("nearly uniform").
    from digits.predict import recognise

    photo = Image.open(IMAGES / "small-faint-pencil-digit-on-a-vignetted-page-1.jpg")
    assert recognise([photo])[0].digit == 1
    # The same page without its pencil mark (painted over with the paper beside it) stays blank.
    blank = np.asarray(photo.convert("L"), dtype=np.float32) / 255
    rows, columns = np.nonzero(ndimage.median_filter(ndimage.grey_closing(blank, size=15) - blank, size=3) > 0.05)
    blank[rows.min() - 4:rows.max() + 5, columns.min() - 4:columns.max() + 5] = ndimage.grey_closing(
        blank, size=41)[rows.min() - 4:rows.max() + 5, columns.min() - 4:columns.max() + 5]
    with pytest.raises(NoDigitError):
        to_model_input(blank)


def test_small_digit_in_a_large_photo_is_found(mnist):
    _, (x_test, _) = mnist
    small = to_model_input(photo_of(x_test[0], size=(640, 480), height=50, position=(30, 400)))
    assert np.corrcoef(small.ravel(), to_model_input(x_test[0]).ravel())[0, 1] > 0.8


def test_thin_brush_strokes_are_thickened():
    from digits.ink import INK_THRESHOLD, stroke_width

    canvas = Image.new("RGBA", (400, 400), (0, 0, 0, 0))
    ImageDraw.Draw(canvas).line([(100, 60), (300, 60), (170, 350)], fill=(0, 0, 0, 255), width=3)
    normal = to_model_input(encoded(canvas, "PNG"))
    assert stroke_width(normal > INK_THRESHOLD) >= 1.8


def test_low_resolution_digits_are_read(mnist):
    from digits.predict import recognise

    _, (x_test, y_test) = mnist
    small = [Image.fromarray(x_test[index]).resize((10, 10), Image.Resampling.BOX) for index in range(10)]
    answers = [p.digit for p in recognise(small)]
    assert sum(answer == label for answer, label in zip(answers, y_test[:10])) >= 9


@pytest.mark.parametrize("index", [53, 83, 204, 274])
def test_a_9_pixel_digit_is_enlarged_before_its_ink_is_found(mnist, index):
    # Training digits shrunk to 9×9 that were declined as no digit when their ink was found at 9 pixels.
    from digits.predict import recognise

    (x_train, y_train), _ = mnist
    prediction = recognise([Image.fromarray(x_train[index]).resize((9, 9), Image.Resampling.BOX)])[0]
    assert prediction.digit == y_train[index], prediction.to_dict()


def test_other_writers_8x8_digits_are_read():
    from sklearn.datasets import load_digits

    from digits.predict import recognise

    other = load_digits()
    images = [Image.fromarray((image * 255 / 16).astype(np.uint8)) for image in other.images[:50]]
    answers = [p.digit for p in recognise(images)]
    assert np.mean(np.array(answers) == other.target[:50]) >= 0.9


def test_a_solid_blob_is_not_a_digit():
    page = Image.new("L", (300, 300), 255)
    ImageDraw.Draw(page).rectangle([100, 100, 200, 190], fill=0)
    with pytest.raises(NoDigitError, match="blob"):
        to_model_input(page)


# A minimal Encapsulated PostScript file: Pillow would hand it to Ghostscript.
EPS = (b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 28 28\n"
       b"newpath 4 4 moveto 24 24 lineto 4 setlinewidth stroke showpage\n%%EOF\n")


@pytest.mark.parametrize("data", [EPS, encoded(Image.new("F", (28, 28)), "SPIDER"),
                                  encoded(Image.new("L", (28, 28)), "ICO"), encoded(Image.new("RGB", (28, 28)), "PPM")],
                         ids=["eps", "spider", "ico", "ppm"])
def test_only_the_six_promised_formats_are_opened(tmp_path, data, monkeypatch):
    import subprocess

    def no_ghostscript(*args, **kwargs):
        raise AssertionError("Ghostscript was started")

    monkeypatch.setattr(subprocess, "Popen", no_ghostscript)
    monkeypatch.setattr(subprocess, "check_call", no_ghostscript)
    path = tmp_path / "innocent.png"
    path.write_bytes(data)
    for source in (path, data):
        with pytest.raises(NotAnImageError, match="not an image"):
            read_image(source)


@pytest.mark.parametrize("format", ["PNG", "JPEG", "BMP", "GIF", "WEBP", "TIFF"])
def test_every_promised_format_is_read(format):
    assert read_image(encoded(Image.new("RGB", (30, 20), (200, 10, 10)), format)).size == (30, 20)


def test_a_small_file_declaring_huge_dimensions_is_refused_before_decoding():
    data = encoded(Image.new("1", (12000, 12000)), "PNG")
    assert len(data) < 40_000
    with pytest.raises(ImageTooLargeError, match="12000x12000 is over the limit of 40,000,000 pixels") as raised:
        read_image(data)
    assert "\n" not in str(raised.value)
    assert read_image(encoded(Image.new("L", (300, 200)), "PNG"), max_pixels=None).size == (300, 200)


def test_an_empty_file_is_called_empty(tmp_path):
    (tmp_path / "blank.png").write_bytes(b"")
    for source, name in ((tmp_path / "blank.png", str(tmp_path / "blank.png")), (b"", "image data")):
        with pytest.raises(NotAnImageError, match=f"^{re.escape(name)}: empty \\(0 bytes\\); give an image file$"):
            read_image(source)


def test_dimensions_pillow_itself_refuses_get_the_same_one_line_error():
    import struct
    import zlib

    data = bytearray(encoded(Image.new("L", (1, 1)), "PNG"))
    header = b"IHDR" + struct.pack(">II", 100_000, 100_000) + bytes(data[24:29])
    data[12:33] = header + struct.pack(">I", zlib.crc32(header))
    with pytest.raises(ImageTooLargeError, match=r"image data: more than [\d,]+ pixels, over the limit of "
                                                 r"40,000,000 pixels; send a smaller image$"):
        read_image(bytes(data))


def test_a_large_jpeg_is_decoded_at_reduced_size():
    from digits.preprocess import JPEG_DRAFT_PIXELS

    image = read_image(encoded(Image.new("L", (8000, 6000), 200), "JPEG"))
    assert image.width * image.height >= JPEG_DRAFT_PIXELS and image.size == (4000, 3000)


@pytest.mark.parametrize("error", [TypeError("bad tile"), AttributeError("no attribute"), IndexError("out of range"),
                                   MemoryError(), KeyError(7)])
def test_any_decoder_failure_is_a_one_line_value_error(monkeypatch, error):
    from PIL import ImageFile

    def broken_load(self):
        raise error

    monkeypatch.setattr(ImageFile.ImageFile, "load", broken_load)
    with pytest.raises(ValueError, match="cannot decode image") as raised:
        read_image(encoded(Image.new("L", (28, 28)), "TIFF"))
    assert "\n" not in str(raised.value)


def test_pipes_and_devices_are_refused_without_being_opened(tmp_path):
    import os

    fifo = tmp_path / "waiting.png"
    os.mkfifo(fifo)
    # Opening the FIFO would block this test for ever; it must be refused from its stat.
    for path in (fifo, "/dev/zero"):
        with pytest.raises(ValueError, match="not a regular file"):
            read_image(path)


def tight_grey_levels(digit: np.ndarray, levels: int = 7) -> np.ndarray:
    """A digit cut out touching the frame on every side, at 15×16 with a few grey levels (as old feature sets keep them)."""
    rows, columns = np.flatnonzero(digit.max(axis=1) > 0), np.flatnonzero(digit.max(axis=0) > 0)
    crop = Image.fromarray(digit[rows[0]:rows[-1] + 1, columns[0]:columns[-1] + 1]).resize((15, 16), Image.Resampling.BOX)
    return (np.round(np.asarray(crop) / 255 * (levels - 1)) * (255 // (levels - 1))).astype(np.uint8)


@pytest.mark.parametrize("index", [0, 1, 2, 3, 4, 7])
def test_a_digit_touching_the_frame_is_read_in_either_polarity(mnist, index):
    (x_train, _), _ = mnist
    light_on_dark = tight_grey_levels(x_train[index])
    dark_on_light = 255 - light_on_dark
    reference = scale_mnist(x_train[index])
    for image in (light_on_dark, dark_on_light):
        assert np.corrcoef(to_model_input(image).ravel(), reference.ravel())[0, 1] > 0.65
    np.testing.assert_allclose(to_model_input(light_on_dark), to_model_input(dark_on_light), atol=1e-5)


@pytest.mark.parametrize("index", [47, 2028])
def test_a_five_whose_bar_stands_apart_is_read_in_either_polarity_when_cut_out_tight(mnist, index):
    # Its strokes are two pieces and the paper around them one: the paper, covering most of
    # the crop and its border, is still taken for the background.
    from digits import ink

    (x_train, y_train), _ = mnist
    rows, columns = np.flatnonzero(x_train[index].max(axis=1) > 0), np.flatnonzero(x_train[index].max(axis=0) > 0)
    light_on_dark = x_train[index][rows[0]:rows[-1] + 1, columns[0]:columns[-1] + 1]
    grey = light_on_dark / 255
    level = ink.split_level(grey)
    assert y_train[index] == 5 and (ink.pieces(grey > level), ink.pieces(grey <= level)) == (2, 1)
    reference = scale_mnist(x_train[index])
    for image in (light_on_dark, 255 - light_on_dark):
        assert np.corrcoef(to_model_input(image).ravel(), reference.ravel())[0, 1] > 0.9


def heavy_tight_crop(digit: np.ndarray, height: int = 120) -> np.ndarray:
    """A bold digit cut out touching the frame, larger than a small crop (a form field scanned at 300 dpi)."""
    from PIL import ImageFilter

    rows, columns = np.flatnonzero(digit.max(axis=1) > 0), np.flatnonzero(digit.max(axis=0) > 0)
    crop = Image.fromarray(digit[rows[0]:rows[-1] + 1, columns[0]:columns[-1] + 1])
    large = crop.resize((round(crop.width * height / crop.height), height), Image.Resampling.BILINEAR)
    heavy = np.asarray(large.filter(ImageFilter.MaxFilter(9)))
    rows, columns = np.flatnonzero(heavy.max(axis=1) > 127), np.flatnonzero(heavy.max(axis=0) > 127)
    return np.where(heavy[rows[0]:rows[-1] + 1, columns[0]:columns[-1] + 1] > 127, 255, 0).astype(np.uint8)


@pytest.mark.parametrize("index", [0, 1, 2, 3, 5, 7, 310, 556, 678])
def test_a_large_bold_digit_cut_out_tight_is_read_in_either_polarity(mnist, index):
    # Over 64 pixels, touching the frame all round: two clean tones say it is a crop, not a
    # photo with shadows, and the frame cuts the background into pieces the strokes are not.
    # (310, 556 and 678 are bold 1s, whose single piece covers most of the narrow crop.)
    (x_train, _), _ = mnist
    light_on_dark = heavy_tight_crop(x_train[index])
    assert max(light_on_dark.shape) > 64
    reference = scale_mnist(x_train[index])
    for image in (light_on_dark, 255 - light_on_dark):
        assert np.corrcoef(to_model_input(image).ravel(), reference.ravel())[0, 1] > 0.6


@pytest.mark.parametrize("index", [678, 1238, 1394, 2366, 2594])
def test_a_bold_one_cut_to_its_own_width_is_ink_not_noise(mnist, index):
    # Five pixels wide: the border is mostly the stroke's soft edges, which are no noise.
    (x_train, y_train), _ = mnist
    digit = x_train[index]
    rows, columns = np.flatnonzero(digit.max(axis=1) > 0), np.flatnonzero(digit.max(axis=0) > 0)
    crop = Image.fromarray(digit[rows[0]:rows[-1] + 1, columns[0]:columns[-1] + 1])
    narrow = crop.resize((round(crop.width * 26 / crop.height), 26), Image.Resampling.BILINEAR)
    assert y_train[index] == 1 and narrow.width <= 6
    model_input = to_model_input(255 - np.asarray(narrow))
    assert np.corrcoef(model_input.ravel(), scale_mnist(digit).ravel())[0, 1] > 0.6


def test_the_fine_noise_measure_reads_independent_noise_at_its_level():
    from digits import ink

    random = np.random.default_rng(5)
    for spread in (0.05, 0.1, 0.2):
        grey = np.clip(0.6 + random.normal(0, spread, (26, 26)), 0, 1).astype(np.float32)
        assert abs(ink.fine_noise(grey) - spread) < 0.25 * spread


def test_real_8x8_digits_by_other_writers_are_read():
    from sklearn.datasets import load_digits

    from digits.predict import recognise
    from digits.recognisers import load_recogniser

    other = load_digits()
    images = [(image * 255 / 16).astype(np.uint8) for image in other.images[:300]]
    predictions = recognise(images, load_recogniser())
    right = np.mean([prediction.digit == label for prediction, label in zip(predictions, other.target[:300])])
    assert right > 0.9


@pytest.mark.parametrize("shape", [(28, 600), (600, 28), (2, 600), (64, 1500)])
def test_long_thin_strips_are_read_not_refused(shape):
    strip = np.full(shape, 255, dtype=np.uint8)
    strip[:, shape[1] // 3: shape[1] // 3 + max(2, shape[1] // 150)] = 0
    assert to_model_input(strip).shape == (28, 28)


@pytest.mark.parametrize("diameter", [12, 30, 90])
def test_a_dot_or_a_tap_is_not_a_digit(diameter):
    page = Image.new("L", (280, 280), 255)
    ImageDraw.Draw(page).ellipse([120, 120, 120 + diameter, 120 + diameter], fill=0)
    with pytest.raises(NoDigitError, match="a dot"):
        to_model_input(page)


def test_a_heavy_zero_keeps_its_hole_and_is_no_dot():
    page = Image.new("L", (280, 280), 255)
    ImageDraw.Draw(page).ellipse([90, 60, 190, 220], outline=0, width=30)
    assert to_model_input(page).shape == (28, 28)


def ruled_page(digit: np.ndarray | None, turn: float, squared: bool = False) -> Image.Image:
    """A digit written on ruled (or squared) paper with crisp printed lines, the page turned by ``turn`` degrees."""
    page = Image.new("L", (420, 300), 245)
    draw = ImageDraw.Draw(page)
    for row in range(10, 300, 28):
        draw.line([(0, row), (420, row)], fill=140, width=1)
    for column in range(10, 420, 28) if squared else ():
        draw.line([(column, 0), (column, 300)], fill=140, width=1)
    if digit is not None:
        ink = Image.fromarray(255 - digit).resize((90, 90), Image.Resampling.BICUBIC)
        spot = np.asarray(page.crop((160, 100, 250, 190)))
        page.paste(Image.fromarray(np.minimum(spot, np.asarray(ink))), (160, 100))
    return page.rotate(turn, resample=Image.Resampling.BICUBIC, fillcolor=245)


@pytest.mark.parametrize("turn, squared", [(0, False), (5, False), (-8, False), (0, True), (4, True)])
def test_printed_lines_of_ruled_and_squared_paper_are_not_ink(mnist, turn, squared):
    (x_train, _), _ = mnist
    for index in (0, 1, 2):
        reference = scale_mnist(x_train[index])
        read = to_model_input(ruled_page(x_train[index], turn, squared))
        assert np.corrcoef(read.ravel(), reference.ravel())[0, 1] > 0.8
    with pytest.raises(NoDigitError):
        to_model_input(ruled_page(None, turn, squared))


def test_dashes_along_the_frames_edge_are_not_part_of_the_digit():
    # A printed line or a sheet's rim cut by the frame leaves dashes in the outermost row:
    # dropped, so the digit is not shrunk into a corner of a box stretched to hold them.
    from digits.ink import without_frame_slivers

    ink = np.zeros((200, 300), dtype=np.float32)
    for start in range(0, 300, 36):
        ink[0, start:start + 30] = 0.9
    ink[80:140, 150:156] = 1.0  # a 1
    cleaned = without_frame_slivers(ink)
    assert cleaned[0].max() == 0.0 and cleaned[80:140, 150:156].min() == 1.0


def test_a_digits_box_on_a_turned_ruled_page_is_as_tall_as_on_a_level_one(mnist):
    # Set level, the ink of a turned ruled page lies on a larger canvas than the page; the box is
    # still in the page's pixels.
    from digits.predict import recognise_numbers

    (x_train, _), _ = mnist
    level, turned = recognise_numbers([ruled_page(x_train[0], 0), ruled_page(x_train[0], 8)])
    heights = [reading.digits[0]["box"][3] for reading in (level, turned)]
    assert abs(heights[0] - heights[1]) <= 0.03 * heights[0], heights


@pytest.mark.parametrize("name, digit", [
    # A pencil beside a faint digit was read as 1; a coin beside one was boxed with it ("a dot").
    ("pencil-beside-a-faint-digit-7.jpg", 7),
    ("coin-beside-a-faint-digit-5.jpg", 5),
    # An envelope's stamp beside the digit was read with it: "this does not look like a digit (98% sure)".
    ("envelope-with-a-stamp-3.jpg", 3),
])
def test_objects_lying_on_the_sheet_are_no_ink(name, digit):
    from digits.predict import recognise

    assert recognise([Image.open(IMAGES / name)])[0].digit == digit


def test_an_object_is_told_from_writing_by_its_width():
    from digits.objects import lying_objects

    ink = np.zeros((300, 300), dtype=np.float32)
    ink[40:260, 200:216] = 1.0  # a pen, 16 pixels wide
    ink[100:180, 60:63] = 1.0  # thin writing beside it
    ink[100:103, 60:110] = 1.0
    objects = lying_objects(ink)
    assert objects is not None and objects[40:260, 200:216].all() and not objects[100:180, 60:110].any()
    # Writing as wide as the bar: no object. A bar alone: no object.
    wide = ink.copy()
    wide[100:180, 60:76] = 1.0
    assert lying_objects(wide) is None
    alone = np.zeros_like(ink)
    alone[40:260, 200:216] = 1.0
    assert lying_objects(alone) is None
    # A coin beside writing goes; the same disks within a drawn ring (a smiley's eyes) stay.
    rows, columns = np.mgrid[:300, :300]
    coin = (np.hypot(rows - 60, columns - 240) <= 14).astype(np.float32)
    beside = lying_objects(np.maximum(np.where(columns < 190, ink, 0.0), coin))
    assert beside is not None and beside[60, 240] and not beside[100:180, 60:110].any()
    distance = np.hypot(rows - 150, columns - 150)
    face = ((distance >= 100) & (distance <= 106)).astype(np.float32)
    face[(np.hypot(rows - 120, columns - 115) <= 10) | (np.hypot(rows - 120, columns - 185) <= 10)] = 1.0
    assert lying_objects(face) is None


def test_a_filled_rectangle_beside_writing_is_an_object():
    from digits.objects import lying_objects

    ink = np.zeros((300, 300), dtype=np.float32)
    ink[30:90, 200:240] = 1.0  # a stamp, 40 pixels wide
    ink[100:180, 60:63] = 1.0  # thin writing
    ink[100:103, 60:110] = 1.0
    objects = lying_objects(ink)
    assert objects is not None and objects[30:90, 200:240].all() and not objects[100:180, 60:110].any()
    # A bold 1 beside the writing is as wide as a stroke of its own: no object.
    ink[30:90, 200:240] = 0.0
    ink[40:200, 200:208] = 1.0
    assert lying_objects(ink) is None


def test_a_bold_1_beside_faint_specks_stays():
    # The specks are thinner than the 1, but nothing else stands out: the 1 is the writing.
    from digits.ink import INK_THRESHOLD, ink_map

    page = np.full((400, 400), 0.9, dtype=np.float32)
    page[80:320, 190:212] = 0.1
    page[50:52, 50:52] = 0.6
    page[350:352, 300:302] = 0.6
    ink = ink_map(page)
    assert (ink[80:320, 192:210] > INK_THRESHOLD).all()


@pytest.mark.parametrize("name, digit", [
    # Lines of print beside the digit were read with it: "this does not look like a digit (91% sure)".
    ("digit-beside-a-column-of-print-4.jpg", 4),
    ("digit-between-columns-of-print-4.jpg", 4),
    # The one mark on the sheet, as thick and straight as a pen, went as an object: "no ink: only 0 ink pixels".
    ("bold-marker-1-on-a-white-sheet.jpg", 1),
    # A form's box line at the crop's edge made three dark pieces, and the paper was taken for the ink.
    ("crop-of-a-5-with-its-box-line-at-the-edge.jpg", 5),
    # A box line as thick as the pen, clear of the digit, was read with it as "19".
    ("crop-of-a-9-beside-its-box-line.jpg", 9),
    # The paper that the 1's stem and base fence off was cut out as a sheet.
    ("crop-of-a-1-with-a-base.png", 1),
    # The 7 runs to the sheet's edge; its crossbar, apart, was the writing, and the 7 went as an object from the desk.
    ("seven-running-to-the-sheets-edge-7.jpg", 7),
])
def test_digits_among_print_lines_and_form_lines_are_read(name, digit):
    from digits.predict import recognise

    assert recognise([Image.open(IMAGES / name)])[0].digit == digit


@pytest.mark.parametrize("name, digit", [
    # A form's captions, each one mark once blurred, and its box's broken hairlines were read with the digit:
    # "this does not look like a digit (96% sure)".
    ("form-with-captions-and-a-broken-box-3.jpg", 3),
    ("blurred-form-with-captions-8.jpg", 8),
    # A notebook's punched holes, far from the digit, stretched the model's box: declined, or a 0 read 6.
    ("notebook-page-with-punched-holes-7.jpg", 7),
    ("ruled-page-with-punched-holes-0.jpg", 0),
    # A piece of the sheet's edge far below the 7: read 3.
    ("seven-with-a-piece-of-the-sheets-edge-below-7.jpg", 7),
    # The desk below the sheet, or a cloth's checks above it, stood in the model's box with the digit: declined,
    # or read unsure (27 %).
    ("form-with-the-desk-below-the-sheet-6.jpg", 6),
    ("ruled-sheet-with-the-cloth-above-it-6.jpg", 6),
])
def test_digits_beside_captions_holes_and_far_marks_are_read(name, digit):
    from digits.predict import recognise

    reading = recognise([Image.open(IMAGES / name)])[0]
    assert reading.digit == digit and not reading.low_confidence, reading.to_dict()


def test_a_margin_line_running_the_pages_height_goes_and_writing_stays():
    # A notebook's margin, left once the ruling went, was read as a 1 at 99 % on a blank page.
    from digits.ink import without_margin_lines

    ink = np.zeros((300, 400), dtype=np.float32)
    rows = np.arange(300)
    ink[rows, 40 + rows // 30] = 1.0  # a slanted line, 1 pixel wide, from top to bottom
    ink[149, :] = 0.0  # broken in one place, as a faint stretch breaks it
    ink[100:180, 200:204] = 1.0  # a 1 written on the page
    cleaned = without_margin_lines(ink)
    assert cleaned[:, :100].max() == 0.0 and np.array_equal(cleaned[:, 100:], ink[:, 100:])
    # A crop's 1 may run its whole height: under CROP_SIZE, nothing goes.
    crop = np.zeros((200, 60), dtype=np.float32)
    crop[:, 28:31] = 1.0
    assert np.array_equal(without_margin_lines(crop), crop)
    # A line that writing touches is one mark with it: it stays.
    touched = ink.copy()
    touched[120:122, 44:200] = 1.0
    assert np.array_equal(without_margin_lines(touched), touched)
    # A plain 1 running the height of a photo or scan stands in its middle, not by its side: it stays.
    one = np.zeros((400, 300), dtype=np.float32)
    one[6:394, 145:150] = 1.0
    assert np.array_equal(without_margin_lines(one), one)


@pytest.mark.parametrize("shape", [(300, 120), (400, 300)])
def test_a_plain_1_running_the_images_height_is_read(shape):
    page = np.full(shape, 255, dtype=np.uint8)
    page[4:shape[0] - 4, shape[1] // 2 - 5:shape[1] // 2 + 5] = 0
    assert to_model_input(page).shape == (28, 28)


def test_paper_covering_nearly_all_of_a_crop_is_its_background_whatever_the_pieces():
    # A form's box line along the edge and a 5 in two pieces are three dark pieces beside the paper's one:
    # the class in fewer pieces had been taken for the digit, and the paper read as the ink.
    from digits.ink import framed_background_is_light

    crop = np.full((100, 100), 0.85, dtype=np.float32)
    crop[:, :3] = 0.1  # the box line
    crop[0:12, 45:75] = 0.1  # the 5's bar, from the top edge, apart from the rest
    crop[20:60, 45:51] = 0.1  # its stem
    crop[55:61, 45:80] = 0.1  # its belly
    crop[55:90, 74:80] = 0.1
    crop[84:90, 40:80] = 0.1  # its foot
    assert framed_background_is_light(crop) is True
