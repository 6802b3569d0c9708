"""Accuracy on the digits people actually have, built from the MNIST *test* set.

Categories: photos of a digit on paper (uneven light, tinted paper, coloured ink, blur,
small rotations, JPEG noise, the digit from a tenth to most of the frame), scans, canvas
exports (transparent, black strokes, thick brush, small in a corner), 28×28 images in
either polarity, low-resolution digits (8 to 32 pixels), tight crops touching the frame,
sheets and sticky notes lying on a desk (``scenes.py``), numbers on paper and on a desk,
meter strips, real handwriting by other writers (``writers.py``: UCI pen digits' test writers, and
scikit-learn's 8×8 ``load_digits``), non-digits and blanks that must get no digit, and meter
strips of printed digits (TrueType faces matplotlib ships, which no training set draws; their
own random stream, so they leave the other categories' images as they were).

Test images 0-4999 with seed 0 were used while tuning the preprocessing; test images
5000-9999 with seed 1 (the default) were not: the "held-out" figures are the report.
`--part validation` builds the same images from the validation split (as
``digits.training.split`` holds it out: the last 6,000 training images, seed 2): the
place to compare models or recipes, since model choices never look at the test set.

Run: .venv/bin/python bench/real_world.py [--count 500] [--part held-out|tuning|validation] [--model PATH]
     [--only desk,tight,...]
"""

from __future__ import annotations

import argparse
import io
import time
from collections.abc import Callable

import numpy as np
from PIL import Image, ImageFilter

import scenes
import writers
from digits.card import today
from digits.data import load_mnist
from digits.predict import recognise, recognise_numbers
from digits.recognisers import load_recogniser

# part: (split, first image, end, seed); None: the whole validation split
PARTS = {"tuning": ("test", 0, 5000, 0), "held-out": ("test", 5000, 10000, 1),
         "validation": ("train", None, None, 2)}


def validation_range(train_count: int) -> tuple[int, int]:
    """Where the validation split lies in the training set, as training holds it out."""
    from digits.config import TrainConfig
    from digits.data import split

    kept, _ = split(np.arange(train_count), np.arange(train_count), TrainConfig().validation_split)
    return len(kept[0]), train_count


def jpeg(image: Image.Image, quality: int) -> Image.Image:
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, format="JPEG", quality=quality)
    return Image.open(io.BytesIO(buffer.getvalue()))


def ink_layer(digit: np.ndarray, height: int, angle: float) -> Image.Image:
    """The digit as an alpha mask ``height`` pixels tall, rotated by ``angle`` degrees."""
    crop_rows = np.flatnonzero(digit.max(axis=1) > 0)
    crop_columns = np.flatnonzero(digit.max(axis=0) > 0)
    digit = digit[crop_rows[0]:crop_rows[-1] + 1, crop_columns[0]:crop_columns[-1] + 1]
    scale = height / digit.shape[0]
    size = (max(1, round(digit.shape[1] * scale)), max(1, height))
    mask = Image.fromarray(digit).resize(size, Image.Resampling.BICUBIC)
    return mask.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True)


def photo(digit: np.ndarray, random: np.random.Generator) -> Image.Image:
    width, height = int(random.integers(240, 640)), int(random.integers(240, 640))
    digit_height = int(random.uniform(0.1, 0.8) * min(width, height))
    mask = ink_layer(digit, max(digit_height, 12), random.uniform(-10, 10))
    mask = mask.resize((min(mask.width, width - 4), min(mask.height, height - 4)))
    paper_colour = np.array([random.uniform(0.75, 1.0), random.uniform(0.72, 1.0), random.uniform(0.65, 0.98)])
    y, x = np.mgrid[0:height, 0:width] / max(width, height)
    light = 1.0 - random.uniform(0, 0.45) * (random.uniform(-1, 1) * x + random.uniform(-1, 1) * y + 1) / 2
    paper = paper_colour[None, None, :] * light[..., None]
    ink_colour = random.choice([[0.05, 0.05, 0.08], [0.1, 0.15, 0.55], [0.5, 0.08, 0.1], [0.2, 0.2, 0.2]])
    left = int(random.integers(0, width - mask.width + 1))
    top = int(random.integers(0, height - mask.height + 1))
    alpha = np.zeros((height, width))
    alpha[top:top + mask.height, left:left + mask.width] = np.asarray(mask) / 255.0
    alpha *= random.uniform(0.7, 1.0)
    pixels = paper * (1 - alpha[..., None]) + np.array(ink_colour) * light[..., None] * alpha[..., None]
    pixels += random.normal(0, random.uniform(0.005, 0.03), pixels.shape)
    image = Image.fromarray((np.clip(pixels, 0, 1) * 255).astype(np.uint8))
    image = image.filter(ImageFilter.GaussianBlur(random.uniform(0, 1.5)))
    return jpeg(image, int(random.integers(40, 92)))


def scan(digit: np.ndarray, random: np.random.Generator) -> Image.Image:
    mask = ink_layer(digit, int(random.integers(60, 200)), random.uniform(-3, 3))
    page = Image.new("L", (mask.width + int(random.integers(40, 300)), mask.height + int(random.integers(40, 300))),
                     int(random.integers(235, 256)))
    ink = Image.new("L", mask.size, int(random.integers(0, 90)))
    page.paste(ink, (int(random.integers(10, page.width - mask.width - 9)),
                     int(random.integers(10, page.height - mask.height - 9))), mask)
    return page if random.random() < 0.5 else jpeg(page, 90)


def canvas(digit: np.ndarray, random: np.random.Generator) -> Image.Image:
    size = int(random.integers(200, 500))
    small = random.random() < 0.3
    height = int(size * (random.uniform(0.15, 0.3) if small else random.uniform(0.4, 0.85)))
    mask = ink_layer(digit, height, 0)
    thickness = int(random.integers(0, 4)) * 2 + 1
    if thickness > 1:
        mask = mask.filter(ImageFilter.MaxFilter(thickness))
    mask = mask.point(lambda value: 255 if value > 60 else 0)
    mask.thumbnail((size - 8, size - 8))
    board = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    strokes = Image.new("RGBA", mask.size, (0, 0, 0, 255))
    strokes.putalpha(mask)
    left = 4 if small else int(random.integers(0, size - mask.width + 1))
    top = 4 if small else int(random.integers(0, size - mask.height + 1))
    board.paste(strokes, (left, top))
    return board


def polarity(digit: np.ndarray, random: np.random.Generator) -> Image.Image:
    return Image.fromarray(digit if random.random() < 0.5 else 255 - digit)


def low_resolution(digit: np.ndarray, random: np.random.Generator) -> Image.Image:
    side = int(random.integers(8, 33))
    image = Image.fromarray(digit).resize((side, side), Image.Resampling.BOX)
    return image if random.random() < 0.5 else Image.fromarray(255 - np.asarray(image))


def number_image(digits: list[np.ndarray], random: np.random.Generator) -> Image.Image:
    height = int(random.integers(40, 120))
    masks = [ink_layer(digit, height, random.uniform(-5, 5)) for digit in digits]
    gaps = [int(random.uniform(0.08, 0.5) * height) for _ in masks]
    width = sum(mask.width for mask in masks) + sum(gaps) + 2 * height
    page = Image.new("L", (width, 2 * height), int(random.integers(215, 256)))
    left = height
    for mask, gap in zip(masks, gaps):
        page.paste(int(random.integers(0, 70)), (left, height // 2 + int(random.integers(-height // 8, height // 8 + 1))),
                   mask)
        left += mask.width + gap
    return jpeg(page.filter(ImageFilter.GaussianBlur(random.uniform(0, 1.0))), int(random.integers(60, 95)))


def blank(index: int, random: np.random.Generator) -> Image.Image:
    kind = index % 4
    if kind == 0:
        return Image.new("RGBA", (280, 280), (0, 0, 0, 0))
    if kind == 1:
        return Image.new("RGB", (300, 300), (255, 255, 255))
    noise = random.normal(random.uniform(180, 240), random.uniform(1, 6), (300, 400))
    y, x = np.mgrid[0:300, 0:400] / 400
    image = Image.fromarray(np.clip(noise * (1 - 0.3 * x * (kind == 3)), 0, 255).astype(np.uint8))
    return jpeg(image, 70)


def answers(images: list, labels: list[int], recogniser) -> tuple[float, float]:
    """(accuracy, share given a digit at all): an image declined counts as wrong."""
    predictions = recognise(images, recogniser)
    right = [prediction.digit == label for prediction, label in zip(predictions, labels)]
    read = [prediction.digit is not None for prediction in predictions]
    return float(np.mean(right)), float(np.mean(read))


def number_answers(images: list, truths: list[str], recogniser) -> float:
    readings = recognise_numbers(images, recogniser)
    return float(np.mean([reading.number == truth for reading, truth in zip(readings, truths)]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=500, help="images per category (default: 500)")
    parser.add_argument("--part", choices=list(PARTS), default="held-out", help="which test images and seed")
    parser.add_argument("--model", help="model file or shipped name (default: the shipped default model)")
    parser.add_argument("--only", help="comma-separated category keys to run (default: all): "
                                       + ", ".join(CATEGORY_KEYS))
    arguments = parser.parse_args()
    split_name, start, stop, seed = PARTS[arguments.part]
    random = np.random.default_rng(seed)
    recogniser = load_recogniser(arguments.model)
    train_arrays, test_arrays = load_mnist()
    x_part, y_part = test_arrays if split_name == "test" else train_arrays
    if start is None:
        start, stop = validation_range(len(x_part))
    chosen = set(arguments.only.split(",")) if arguments.only else set(CATEGORY_KEYS)
    count = arguments.count
    indices = random.choice(np.arange(start, stop), size=min(count, stop - start), replace=False)
    labels = [int(y_part[index]) for index in indices]
    digits_of = lambda length: random.choice(np.arange(start, stop), size=length)  # noqa: E731

    results: dict[str, str] = {}
    read_shares: list[float] = []

    def report(name: str, value: float, seconds: float, read: float | None = None) -> None:
        results[name] = f"{100 * value:.2f}%"
        if read is not None:
            read_shares.append(read)
        print(f"{name}: {100 * value:.2f}% ({seconds:.1f} s)", flush=True)

    generators: dict[str, tuple[str, Callable]] = {
        "photo": ("photo of a digit on paper, filling the frame", photo), "scan": ("scan", scan),
        "canvas": ("canvas export", canvas), "polarity": ("28x28, either polarity", polarity),
        "low": ("low resolution (8-32 px)", low_resolution),
        "tight": ("tight crops, touching the frame (form fields)", scenes.tight_crop)}
    for key, (name, make) in generators.items():
        if key in chosen:
            started = time.perf_counter()
            value, read = answers([make(x_part[index], random) for index in indices], labels, recogniser)
            report(name, value, time.perf_counter() - started, read)

    if "desk" in chosen:
        started = time.perf_counter()
        kinds = [(scenes.DESKS[index % 4], scenes.PAPERS[(index // 4) % 4]) for index in range(count)]
        photos = [scenes.desk_photo([x_part[index]], random, desk, paper) for index, (desk, paper) in zip(indices, kinds)]
        predictions = recognise(photos, recogniser)
        right = np.array([prediction.digit == label for prediction, label in zip(predictions, labels)])
        read_shares.append(float(np.mean([prediction.digit is not None for prediction in predictions])))
        report("photos of paper on a desk (all kinds)", float(right.mean()), time.perf_counter() - started)
        held_out = np.array([desk in scenes.HELD_OUT_KINDS or paper in scenes.HELD_OUT_KINDS for desk, paper in kinds])
        results["... of which kinds kept out of tuning (cloth desk, squared paper, sticky notes)"] = (
            f"{100 * right[held_out].mean():.2f}%")

    number_kinds = {
        "numbers": ("numbers of 2-6 digits on plain paper, entirely right", number_image, count, (2, 7)),
        "desk-numbers": ("numbers photographed on paper on a desk, entirely right",
                         lambda digits, random: scenes.desk_photo(digits, random), count // 2, (2, 6)),
        "meters": ("meter strips, entirely right", scenes.meter, count // 2, (4, 8))}
    for key, (name, make, how_many, lengths) in number_kinds.items():
        if key not in chosen:
            continue
        images, truths = [], []
        for _ in range(how_many):
            chosen_digits = digits_of(int(random.integers(*lengths)))
            images.append(make([x_part[index] for index in chosen_digits], random))
            truths.append("".join(str(y_part[index]) for index in chosen_digits))
        started = time.perf_counter()
        report(name, number_answers(images, truths, recogniser), time.perf_counter() - started)

    if "writers" in chosen:
        started = time.perf_counter()
        images, truths = writers.load_digits_images()
        value, read = answers(images, truths, recogniser)
        report("other writers: load_digits 8x8 (all 1,797)", value, time.perf_counter() - started, read)
        started = time.perf_counter()
        images, truths = writers.pendigits(None, np.random.default_rng(seed))
        value, read = answers(images, truths, recogniser)
        report("other writers: UCI pen digits, 14 test writers (all 3,498)", value, time.perf_counter() - started, read)

    if "non-digits" in chosen:
        started = time.perf_counter()
        drawn, kinds = map(list, zip(*[scenes.non_digit(index, random) for index in range(count)]))
        drawn += [blank(index, random) for index in range(count // 5)]
        declined = np.array([prediction.digit is None for prediction in recognise(drawn, recogniser)])
        report(f"non-digits and blanks declined (of {len(drawn)})", float(declined.mean()), time.perf_counter() - started)
        hearts_and_arrows = np.array([kind in ("heart", "arrow") for kind in kinds])
        results["... of which hearts and arrows (kinds no drawn set held before v6)"] = (
            f"{100 * declined[:len(kinds)][hearts_and_arrows].mean():.2f}%")
        started = time.perf_counter()
        untaught = [scenes.non_digit(index, random, scenes.UNTRAINED_NON_DIGIT_KINDS)[0] for index in range(count // 5)]
        declined = np.array([prediction.digit is None for prediction in recognise(untaught, recogniser)])
        report(f"non-digit kinds no drawn set holds ({', '.join(scenes.UNTRAINED_NON_DIGIT_KINDS)}), declined "
               f"(of {len(untaught)})", float(declined.mean()), time.perf_counter() - started)
    if "printed-meters" in chosen:
        # A stream of its own: the categories above draw the same with and without this one.
        printing = np.random.default_rng(seed + 100)
        images, truths = [], []
        for _ in range(count // 2):
            truth = "".join(str(digit) for digit in printing.integers(0, 10, int(printing.integers(4, 8))))
            images.append(scenes.meter([scenes.printed_digit(int(digit), printing) for digit in truth], printing))
            truths.append(truth)
        started = time.perf_counter()
        report("meter strips of printed digits (TrueType faces no training set draws), entirely right",
               number_answers(images, truths, recogniser), time.perf_counter() - started)
    if "light-face-meters" in chosen:
        # A stream of its own, as above: half handwritten (MNIST test digits), half printed.
        facing = np.random.default_rng(seed + 200)
        images, truths = [], []
        for _ in range(count // 2):
            truth = [int(digit) for digit in facing.integers(0, 10, int(facing.integers(4, 8)))]
            if facing.random() < 0.5:
                glyphs = [scenes.printed_digit(digit, facing) for digit in truth]
            else:
                glyphs = [x_part[start + int(facing.choice(np.flatnonzero(y_part[start:stop] == digit)))]
                          for digit in truth]
            images.append(scenes.meter(glyphs, facing, light_face=True))
            truths.append("".join(map(str, truth)))
        started = time.perf_counter()
        report("meter strips with dark windows in a light face, entirely right",
               number_answers(images, truths, recogniser), time.perf_counter() - started)
    if read_shares:
        results["real digits given a digit (mean over the categories above)"] = f"{100 * np.mean(read_shares):.2f}%"

    print(f"\n# real-world accuracy, {today()}, part {arguments.part} (MNIST {split_name} images {start}-{stop - 1}, "
          f"seed {seed}), {count} per category, model {recogniser.path.name}")
    print("| category | result |")
    print("|---|---|")
    for name, value in results.items():
        print(f"| {name} | {value} |")


CATEGORY_KEYS = ("photo", "scan", "canvas", "polarity", "low", "tight", "desk", "numbers", "desk-numbers", "meters",
                 "writers", "non-digits", "printed-meters", "light-face-meters")


if __name__ == "__main__":
    main()
