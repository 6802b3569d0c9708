"""Accuracy on the digits people actually have, built from the MNIST *test* set.

Categories: photos of a digit on paper (uneven light, tinted paper, coloured ink, blur,
small rotations, JPEG noise, the digit from a tenth to most of the frame), scans, canvas
exports (transparent, black strokes, thick brush, small in a corner), 28×28 images in
either polarity, low-resolution digits (8 to 32 pixels), numbers of 2 to 6 digits, real
handwriting by other writers (scikit-learn's 8×8 `load_digits`, from the UCI optdigits
set), and blank images that must get no digit.

Test images 0-4999 with seed 0 were used while tuning the preprocessing; test images
5000-9999 with seed 1 (the default) were not: the "held-out" figures are the report.
`--part validation` builds the same images from the validation split (as
``digits.training.split`` holds it out: the last 6,000 training images, seed 2): the
place to compare models or recipes, since model choices never look at the test set.

Run: .venv/bin/python bench/real_world.py [--count 500] [--part held-out|tuning|validation] [--model PATH]
"""

from __future__ import annotations

import argparse
import io
import time
from collections.abc import Callable

import numpy as np
from PIL import Image, ImageFilter

from digits.card import today
from digits.data import load_mnist
from digits.predict import load_recogniser, recognise, recognise_numbers

# part: (split, first image, end, seed); None: the whole validation split
PARTS = {"tuning": ("test", 0, 5000, 0), "held-out": ("test", 5000, 10000, 1),
         "validation": ("train", None, None, 2)}


def validation_range(train_count: int) -> tuple[int, int]:
    """Where the validation split lies in the training set, as training holds it out."""
    from digits.config import TrainConfig
    from digits.training import split

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


def accuracy(images: list, labels: list[int], recogniser) -> float:
    predictions = recognise(images, recogniser)
    return float(np.mean([prediction.digit == label for prediction, label in zip(predictions, labels)]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=500, help="images per category (default: 500)")
    parser.add_argument("--part", choices=list(PARTS), default="held-out", help="which test images and seed")
    parser.add_argument("--model", help="model file (default: the shipped model)")
    arguments = parser.parse_args()
    split_name, start, stop, seed = PARTS[arguments.part]
    random = np.random.default_rng(seed)
    recogniser = load_recogniser(arguments.model)
    train_arrays, test_arrays = load_mnist()
    x_part, y_part = test_arrays if split_name == "test" else train_arrays
    if start is None:
        start, stop = validation_range(len(x_part))
    indices = random.choice(np.arange(start, stop), size=min(arguments.count, stop - start), replace=False)
    labels = [int(y_part[index]) for index in indices]

    results: dict[str, float] = {}
    generators: dict[str, Callable] = {"photo of a digit on paper": photo, "scan": scan, "canvas export": canvas,
                                       "28x28, either polarity": polarity, "low resolution (8-32 px)": low_resolution}
    for name, make in generators.items():
        started = time.perf_counter()
        results[name] = accuracy([make(x_part[index], random) for index in indices], labels, recogniser)
        print(f"{name}: {100 * results[name]:.2f}% ({time.perf_counter() - started:.1f} s)", flush=True)

    numbers, truths = [], []
    for _ in range(arguments.count):
        length = int(random.integers(2, 7))
        chosen = random.choice(np.arange(start, stop), size=length)
        numbers.append(number_image([x_part[index] for index in chosen], random))
        truths.append("".join(str(y_part[index]) for index in chosen))
    readings = recognise_numbers(numbers, recogniser)
    results["numbers of 2-6 digits, entirely right"] = float(np.mean(
        [reading.number == truth for reading, truth in zip(readings, truths)]))
    print(f"numbers: {100 * results['numbers of 2-6 digits, entirely right']:.2f}%", flush=True)

    from sklearn.datasets import load_digits

    other = load_digits()
    images = [Image.fromarray((image * 255 / 16).astype(np.uint8)) for image in other.images]
    results["other writers (load_digits 8x8, all 1797)"] = accuracy(images, other.target.tolist(), recogniser)

    blanks = [blank(index, random) for index in range(200)]
    given = sum(prediction.digit is not None for prediction in recognise(blanks, recogniser))
    results["blank images given a digit (of 200)"] = given

    print(f"\n# real-world accuracy, {today()}, part {arguments.part} (MNIST {split_name} images {start}-{stop - 1}, "
          f"seed {seed}), {arguments.count} per category, model {recogniser.path.name}")
    print("| category | result |")
    print("|---|---|")
    for name, value in results.items():
        shown = f"{value}" if name.startswith("blank") else f"{100 * value:.2f}%"
        print(f"| {name} | {shown} |")


if __name__ == "__main__":
    main()
