"""Read several digits written side by side (a year, a postcode, a meter reading).

The ink is found as for one digit (``digits.ink``), a line written at a slant is set
level, the ink is split into connected components, short fragments of a broken stroke
join the nearest digit, stacked strokes that share most of their columns are merged,
and each digit then goes through the same box-fitting and centring as
``to_model_input``. A group wide enough to hold touching digits is read
both ways, whole and split at the thinnest columns near where a digit should end, and
the model decides: the split is kept only when its parts are together more likely right
than the whole (a wide 0, 2 or 7 stays one digit).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from digits.grouping import NARROW_PAIR, PAIR_HEIGHT, TOUCHING_RATIO, broken_pairs, group_components, split_touching
from digits.ink import (FAINT_INK, INK_THRESHOLD, SPECK_FRACTION, NoDigitError, check_amount, components,
                        principal_axis, stroke_width, turned, working_scale)
from digits.predict import LOW_CONFIDENCE, NOT_A_DIGIT_THRESHOLD
from digits.preprocess import centre_by_mass, fit_box, grey_of, writing_and_ink
from digits.marks import Mark, place_marks, shaped_like_mark, with_marks
from digits.pens import without_pens
from digits.shapes import boxes_of, in_a_row, sharing_rows

# Components this small against the largest are specks, unless shaped like a point (digits.marks).
MARK_SPECK_FRACTION = 0.01
# Ink this strong joins a piece to the stroke it broke off from.
JOINING_INK = 0.5 * INK_THRESHOLD
# A line of digits is set level when its ink is this many times longer than tall and
# slants between these many degrees (beyond MAX_TILT it is more likely a column).
LINE_ELONGATION = 2.0
MIN_TILT, MAX_TILT = 6.0, 35.0
# A part at either end of a reading that the model declines is a label beside the number (a
# counter's unit, "kWh" at 0.4-0.6 of its wheels' digits high, "km" at 0.7) when it is under LABEL_HEIGHT of
# the digits' median height and at least as wide as high (a word, no digit), or under LABEL_SPECK of it
# whatever its shape (a label's letter, a speck), and stands LABEL_GAP of their median width or more apart
# from them (a small written digit that the model declines stands as close as the others).
LABEL_HEIGHT = 0.8
LABEL_SPECK = 0.5
LABEL_GAP = 0.5
# No label is a wheel's digit cut short by its turning: a part standing a pitch of the read digits (within WHEEL_STEP of
# it) from the next, reaching their top or bottom (within WHEEL_EDGE of their height) or beyond. It is kept, and said
# unreadable.
WHEEL_STEP = 0.2
WHEEL_EDGE = 0.15


# A counter's wheels stand evenly: GRID_PARTS parts or more read as digits other than 1 stand a whole number of
# steps apart, each within GRID_FIT of a step of their median spacing. A part read as 1 or declined more than
# GRID_OFF of a step from every place, and taller than EDGE_HEIGHT of their median height, may be a window's edge
# between two wheels (it runs the window's height): declined, it is left out; read as 1, it is doubted (its
# confidence at most EDGE_DOUBT), since a writer's 1 on evenly spaced paper may stand so too.
GRID_PARTS = 4
GRID_FIT = 0.1
GRID_OFF = 0.25
EDGE_HEIGHT = 1.2
EDGE_DOUBT = 0.5
# On such wheels, a digit under SHORT_PART of the read digits' median height is cut short (a wheel turning
# between two digits, the window showing part of each): its confidence is at most its share of that height
# times LOW_CONFIDENCE, and a reading it holds is flagged low.
SHORT_PART = 0.7


# A number's row (``on_the_row``): ROW_MARKS marks or more side by side, heights within ROW_ALIKE of a neighbour's.
ROW_MARKS = 3
ROW_ALIKE = 1.5
ROW_REACH = 0.5


# Column of ``Recogniser.scores`` that says "not a digit".
NOT_A_DIGIT = 10


class UnreadableNumberError(NoDigitError):
    """Some part of the number is not a digit; ``digits`` holds what each part was read as (None: not a digit)."""

    def __init__(self, message: str, digits: list[dict]):
        super().__init__(message)
        self.digits = digits


@dataclass
class Segment:
    """One digit's place and its model input.

    The box is (left, top, width, height) in pixels of the image as read: of the sheet
    when one was cut out of a photo (small writing read in a closer cut keeps the sheet's
    pixels), of the page set level by its printed lines, and of the line set level when it
    slanted.
    """

    box: tuple[int, int, int, int]
    image: np.ndarray
    # The model's scores (ten digits and "not a digit"), once ``read_number`` has run it.
    probabilities: np.ndarray | None = None


@dataclass
class Group:
    """One group of ink: read as one digit, or, when it is wide, perhaps as touching digits (``parts``)."""

    whole: Segment
    parts: list[Segment]
    # Parts cut from a group under TOUCHING_RATIO line heights wide: only where the whole is unsure.
    narrow: bool = False


def cut(ink: np.ndarray, left: int, top: int, scale: float) -> Segment | None:
    """The model input for one digit's ink (rows and columns of ``ink`` at ``left``, ``top``); None if empty."""
    filled = np.flatnonzero((ink > INK_THRESHOLD).any(axis=1))
    if filled.size == 0:
        return None
    box = (round(left * scale), round((top + filled[0]) * scale), round(ink.shape[1] * scale),
           round((filled[-1] - filled[0] + 1) * scale))
    try:
        return Segment(box, centre_by_mass(fit_box(ink[filled[0]:filled[-1] + 1])))
    except NoDigitError:
        return None


def line_tilt(ink: np.ndarray) -> float | None:
    """The turn (degrees) that sets a line of digits written at a slant level; None to leave the ink as it is.

    The line's direction is the principal axis of its ink. Turns under MIN_TILT degrees
    are left alone, and so is ink not clearly longer than it is tall (one digit, whose own
    slant is its style).
    """
    stretch, angle = principal_axis(*np.nonzero(ink > INK_THRESHOLD))
    if stretch < LINE_ELONGATION:
        return None
    tilt = (math.degrees(angle) + 90.0) % 180.0 - 90.0
    return tilt if MIN_TILT <= abs(tilt) <= MAX_TILT else None


def segment_number(image) -> tuple[list[Group], list[Mark]]:
    """Find the digits of a number in ``image`` (path, bytes, Pillow image or array), left to right, and its marks.

    Raises:
        NoDigitError: the image holds no ink.
    """
    from scipy import ndimage

    grey, ink, corner = writing_and_ink(grey_of(image))
    # Pixels of the working size to pixels of the image as read (the ink may have been turned).
    scale = 1.0 / working_scale(grey.shape)
    ink = on_the_row(without_pens(ink))
    ink = turned(ink, line_tilt(ink))
    mask = ink > INK_THRESHOLD
    check_amount(mask)
    labels, areas, slices = components(mask)
    largest = areas[1:].max()
    # One pen writes a number: ink far fainter than the strongest is a window's edge or a smudge.
    peaks = np.concatenate([[0.0], ndimage.maximum(ink, labels, np.arange(1, len(areas)))])
    boxes = [(box[1].start, box[1].stop, box[0].start, box[0].stop, label)
             for label, box in enumerate(slices, start=1)
             if box is not None and areas[label] >= MARK_SPECK_FRACTION * largest
             and peaks[label] >= FAINT_INK * peaks[1:].max()]
    sized = areas >= SPECK_FRACTION * largest
    if not any(sized[box[4]] for box in boxes):
        # The largest mark is faint and the strongest a speck: nothing here is writing.
        raise NoDigitError("no ink: nothing digit-like was found")
    line_height = max(bottom - top for _, _, top, bottom, label in boxes if sized[label])
    marks, digit_boxes = marks_among(boxes, ink, labels, areas, line_height)
    boxes_found = group_components(digit_boxes, line_height)
    pairs = broken_pairs(boxes_found, line_height, frozenset(mark.after for mark in marks))
    # Each pair becomes one group: the marks after it stand one place nearer the start.
    marks = [Mark(mark.character, mark.after - sum(place + 1 < mark.after for place in pairs), mark.labels)
             for mark in marks]
    groups = []
    for place, group in enumerate(boxes_found):
        if place - 1 in pairs:
            continue
        if place in pairs:
            # One digit broken in two, or two: the model reads it both ways (``read_number``).
            second = boxes_found[place + 1]
            pieces = [cut(piece_ink(ink, labels, part), part[0], part[2], scale) for part in (group, second)]
            group = [min(group[0], second[0]), max(group[1], second[1]), min(group[2], second[2]),
                     max(group[3], second[3]), *group[4:], *second[4:]]
            whole = cut(piece_ink(ink, labels, group), group[0], group[2], scale)
            if whole is not None:
                groups.append(Group(whole, pieces if None not in pieces else []))
            continue
        left, top = group[0], group[2]
        group_ink = piece_ink(ink, labels, group)
        whole = cut(group_ink, left, top, scale)
        if whole is None:
            continue
        ranges = split_touching(group_ink > 0, line_height, NARROW_PAIR)
        # One range is the whole group again: only a real split is cut and read.
        parts = [] if len(ranges) == 1 else [cut(group_ink[:, start:stop], left + start, top, scale)
                                             for start, stop in ranges]
        parts = [part for part in parts if part is not None]
        groups.append(Group(whole, parts if len(parts) > 1 else [], group_ink.shape[1] <= TOUCHING_RATIO * line_height))
    if not groups:
        raise NoDigitError("no ink: nothing digit-like was found")
    for group in groups:
        for segment in (group.whole, *group.parts):
            left, top, width, height = segment.box
            segment.box = (left + corner[1], top + corner[0], width, height)
    return groups, marks


def on_the_row(ink: np.ndarray) -> np.ndarray:
    """The ink without marks off the number's row: where ROW_MARKS marks or more (no specks) stand in a row, heights
    within ROW_ALIKE of a neighbour's, the row holding most ink is the number's, and marks sharing no row of pixels
    with it (its marks reaching ROW_REACH of their height further up and down) go, unless they stand in a row of two
    or more as tall as it. A meter's dial below its counter, larger than its wheels' digits, set the line's height
    and slant, and the digits were taken for marks beside it ("0" for 0520). Specks are left to ``marks_among``."""
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import connected_components

    labels, areas, slices = components(ink > INK_THRESHOLD)
    if len(areas) <= ROW_MARKS:
        return ink
    boxes = boxes_of(slices)
    sized = areas[1:] >= SPECK_FRACTION * areas[1:].max()
    alike = in_a_row(boxes, sized, ROW_ALIKE) & sized[:, None]
    count, rows = connected_components(csr_matrix(alike), directed=False)
    members = np.bincount(rows, minlength=count)
    ink_of_rows = np.bincount(rows, weights=areas[1:], minlength=count)
    if members.max() < ROW_MARKS:
        return ink
    chosen = int(np.argmax(np.where(members >= ROW_MARKS, ink_of_rows, -1.0)))
    row = rows == chosen
    heights = boxes[:, 1] - boxes[:, 0]
    # Two marks or more side by side as tall as the row's or taller are another row, and stay (a number of two digits
    # below a heading's letters that a sheet's edge cut short).
    row_heights = np.array([float(np.median(heights[rows == index])) for index in range(count)])
    other_row = (members[rows] >= 2) & (row_heights[rows] >= row_heights[chosen])
    # A wheel turning lifts its digit a little off the row: the row's marks reach ROW_REACH of their height further.
    reach = np.round(ROW_REACH * heights).astype(np.int64)
    grown = boxes + np.stack([-reach, reach, np.zeros_like(reach), np.zeros_like(reach)], axis=1)
    off = (sized & ~row & ~other_row
           & ~(sharing_rows(np.concatenate([boxes, grown[row]]))[:len(boxes), len(boxes):]).any(axis=1))
    return np.where(np.isin(labels, np.flatnonzero(off) + 1), 0.0, ink).astype(ink.dtype) if off.any() else ink


def piece_ink(ink: np.ndarray, labels: np.ndarray, group: list[int]) -> np.ndarray:
    """The ink of one group (left, right, top, bottom, label, ...) within its box, other ink left out."""
    left, right, top, bottom, *members = group
    return np.where(np.isin(labels[top:bottom, left:right], members), ink[top:bottom, left:right], 0.0)


def segment(image) -> list[Group]:
    """The digits of a number in ``image``, left to right (``segment_number`` without the punctuation)."""
    return segment_number(image)[0]


def reads_as_number(image, recogniser) -> bool:
    """Whether ``read_number`` reads two digits or more in ``image``, every part a digit (a page's heading is none)."""
    try:
        return len(read_number(image, recogniser)["digits"]) >= 2
    except (ValueError, OSError):
        return False


def marks_among(boxes: list[tuple[int, int, int, int, int]], ink: np.ndarray, labels: np.ndarray,
                areas: np.ndarray, line_height: int) -> tuple[list[Mark], list[tuple[int, int, int, int, int]]]:
    """The punctuation marks among component boxes, and the boxes left for the digits.

    Components under SPECK_FRACTION of the largest are specks unless shaped like a mark.
    Marks are placed among the groups the other components make; components shaped like
    marks that stand where none does go back to the digits (a broken stroke, a 5's bar),
    unless they are specks. A component that fainter ink (over JOINING_INK) joins to another
    is a piece of a stroke, never a mark. Where taking the marks out changes how the rest
    groups, none is kept.
    """
    sized = areas >= SPECK_FRACTION * areas[1:].max()
    shape = {box[4]: shaped_like_mark(box, areas[box[4]], line_height) for box in boxes}
    # Points may be smaller than the specks a digit loses; nothing else is.
    boxes = [box for box in boxes if sized[box[4]] or shape[box[4]]]
    faint = components(ink > JOINING_INK)[0]

    def joined(label: int) -> bool:
        reached = np.isin(faint, np.unique(faint[labels == label]))
        return bool(np.isin(labels[reached], (0, label), invert=True).any())

    shaped = [box for box in boxes if shape[box[4]] and not joined(box[4])]
    others = [box for box in boxes if box not in shaped]
    groups = group_components(others, line_height)
    pen = stroke_width(np.isin(labels, [box[4] for box in others]))
    marks = place_marks(shaped, labels, areas, groups, pen)
    taken = {label for mark in marks for label in mark.labels}
    digit_boxes = [box for box in boxes if box[4] not in taken and sized[box[4]]]
    if marks and len(group_components(digit_boxes, line_height)) != len(groups):
        marks = []
        digit_boxes = [box for box in boxes if sized[box[4]]]
    return marks, digit_boxes


def read_number(image, recogniser) -> dict:
    """``{"number": "2024", "digits": [{"digit", "confidence", "box"}], "confidence"}`` for one image."""
    groups, marks = segment_number(image)
    candidates = [group.whole for group in groups] + [part for group in groups for part in group.parts]
    for item, row in zip(candidates, recogniser.scores(np.stack([item.image for item in candidates]))):
        item.probabilities = row
    chosen, groups_of = [], []
    for place, group in enumerate(groups):
        # Split or whole, by how likely each is to be digits (the "not a digit" column left out).
        split = np.prod([part.probabilities[:NOT_A_DIGIT].max() for part in group.parts]) if group.parts else 0.0
        read = group.parts if split > group.whole.probabilities[:NOT_A_DIGIT].max() else [group.whole]
        if group.narrow and read is group.parts and not takes_narrow_parts(group):
            read = [group.whole]
        chosen.extend(read)
        groups_of.extend([place] * len(read))
    digits = [{"digit": None if is_declined(item) else int(item.probabilities[:NOT_A_DIGIT].argmax()),
               "confidence": round(float(item.probabilities[:NOT_A_DIGIT].max()), 6), "box": list(item.box)}
              for item in chosen]
    digits, groups_of = off_the_line_dropped(digits, groups_of)
    # Edges and labels that go are declined parts: the wheels' places are the same before and after.
    places = wheel_places(digits)
    digits, groups_of = without_labels(*without_window_edges(digits, groups_of, places))
    digits = with_short_parts_doubted(digits, places)
    unreadable = [place for place, item in enumerate(digits, start=1) if item["digit"] is None]
    if unreadable:
        raise UnreadableNumberError(unreadable_message(unreadable, len(digits)), digits)
    return {"number": with_marks([str(item["digit"]) for item in digits], groups_of, marks),
            "confidence": min(item["confidence"] for item in digits), "digits": digits}


def off_the_line_dropped(digits: list[dict], groups_of: list[int]) -> tuple[list[dict], list[int]]:
    """The parts read (and the groups they came from) without those the model declines that lie wholly above or
    below every part it reads as a digit (none of their rows shared): off the number's line. Two read digits at
    least are needed to draw the line."""
    read = [item["box"] for item in digits if item["digit"] is not None]
    if len(read) < 2:
        return digits, groups_of
    top, bottom = min(box[1] for box in read), max(box[1] + box[3] for box in read)
    return kept_parts(digits, groups_of, [item["digit"] is not None or (item["box"][1] < bottom
                                                                        and item["box"][1] + item["box"][3] > top)
                                          for item in digits])


def kept_parts(digits: list[dict], groups_of: list[int], keep: list[bool]) -> tuple[list[dict], list[int]]:
    """The parts read, and the groups they came from, where ``keep`` says so."""
    return ([item for item, kept in zip(digits, keep) if kept],
            [group for group, kept in zip(groups_of, keep) if kept])


def with_short_parts_doubted(digits: list[dict], places: tuple[float, float, float] | None) -> list[dict]:
    """The parts read, on a counter's evenly spaced wheels (``places``, as ``wheel_places`` gives them), those cut
    short (under SHORT_PART of the read digits' median height) with their confidence at most their share of that
    height times LOW_CONFIDENCE. Handwriting's digits vary in height, and are left as read."""
    heights = [item["box"][3] for item in digits if item["digit"] is not None]
    if len(heights) < 3 or places is None:
        return digits
    median = float(np.median(heights))
    return [dict(item, confidence=round(min(item["confidence"], LOW_CONFIDENCE * item["box"][3] / median), 6))
            if item["digit"] is not None and item["box"][3] < SHORT_PART * median else item for item in digits]


def wheel_places(digits: list[dict]) -> tuple[float, float, float] | None:
    """(the first place's centre, the step between places, the wheels' digits' median height) when GRID_PARTS parts
    or more read as digits other than 1 stand a whole number of steps apart (see GRID_PARTS); None otherwise."""
    sure = [item["box"] for item in digits if item["digit"] not in (None, 1)]
    if len(sure) < GRID_PARTS:
        return None
    centres = np.array([box[0] + box[2] / 2 for box in sure])
    spacing = np.diff(centres)
    # The nearest two stand a step apart; the step is then measured over them all (a wheel read as 1 between two
    # others leaves two steps).
    if spacing.min() <= 0:
        return None
    step = float(spacing.sum() / np.round(spacing / spacing.min()).sum())
    steps = spacing / step
    if np.any(np.abs(steps - np.round(steps)) > GRID_FIT) or np.any(np.round(steps) < 1):
        return None
    return float(centres[0]), step, float(np.median([box[3] for box in sure]))


def without_window_edges(digits: list[dict], groups_of: list[int],
                         places: tuple[float, float, float] | None) -> tuple[list[dict], list[int]]:
    """The parts read (and the groups they came from) on a counter's evenly spaced wheels (``places``, as
    ``wheel_places`` gives them), those standing between two places and taller than the wheels' digits taken for a
    window's edge: left out when the model declines them, doubted (confidence at most EDGE_DOUBT) when it reads a
    1, which a writer's tall 1 may be."""
    if places is None:
        return digits, groups_of
    first, step, height = places

    def is_edge(item: dict) -> bool:
        offset = (item["box"][0] + item["box"][2] / 2 - first) / step
        return (item["digit"] in (None, 1) and abs(offset - round(offset)) > GRID_OFF
                and item["box"][3] > EDGE_HEIGHT * height)

    edges = [is_edge(item) for item in digits]
    doubted = [dict(item, confidence=min(item["confidence"], EDGE_DOUBT)) if edge else item
               for item, edge in zip(digits, edges)]
    return kept_parts(doubted, groups_of, [not (edge and item["digit"] is None) for item, edge in zip(digits, edges)])


def without_labels(digits: list[dict], groups_of: list[int]) -> tuple[list[dict], list[int]]:
    """The parts read (and the groups they came from) without those at either end that the model declines, that
    stand under LABEL_HEIGHT of the read digits' median height and are at least as wide as high (or under
    LABEL_SPECK of it), and apart from the next part by LABEL_GAP of their median width: a unit beside a counter
    ("kWh", "m³"), no digit of it. Two parts at least are kept."""
    sizes = [item["box"] for item in digits if item["digit"] is not None]
    if len(digits) < 3 or not sizes:
        return digits, groups_of
    height = float(np.median([box[3] for box in sizes]))
    gap = LABEL_GAP * float(np.median([box[2] for box in sizes]))
    digits, groups_of = list(digits), list(groups_of)

    centres = [box[0] + box[2] / 2 for box in sizes]
    pitch = float(np.median(np.diff(centres))) if len(centres) >= 2 else None
    top, bottom = float(np.median([box[1] for box in sizes])), float(np.median([box[1] + box[3] for box in sizes]))

    def is_label(part: dict, beside: dict, after: bool) -> bool:
        left, right = (beside, part) if after else (part, beside)
        apart = right["box"][0] - (left["box"][0] + left["box"][2])
        width_of, height_of = part["box"][2], part["box"][3]
        shaped = (height_of < LABEL_HEIGHT * height and width_of >= height_of) or height_of < LABEL_SPECK * height
        return part["digit"] is None and shaped and apart >= gap and not next_wheel(part, beside)

    def next_wheel(part: dict, beside: dict) -> bool:
        # A wheel turning shows part of a digit at its window's top or bottom, a pitch from the wheel beside it.
        if pitch is None or beside["digit"] is None:
            return False
        step = abs((part["box"][0] + part["box"][2] / 2) - (beside["box"][0] + beside["box"][2] / 2))
        at_an_edge = (part["box"][1] <= top + WHEEL_EDGE * height
                      or part["box"][1] + part["box"][3] >= bottom - WHEEL_EDGE * height)
        return abs(step - pitch) <= WHEEL_STEP * pitch and at_an_edge

    while len(digits) > 2 and is_label(digits[-1], digits[-2], after=True):
        digits.pop()
        groups_of.pop()
    while len(digits) > 2 and is_label(digits[0], digits[1], after=False):
        digits.pop(0)
        groups_of.pop(0)
    return digits, groups_of


def takes_narrow_parts(group: Group) -> bool:
    """Whether a narrow group's parts are read rather than its whole: the whole is no sure digit, and every
    part is a sure digit (at least LOW_CONFIDENCE) nearly as tall as the whole (PAIR_HEIGHT of it)."""
    height = group.whole.box[3]
    return is_unsure(group.whole) and all(not is_unsure(part) and part.box[3] >= PAIR_HEIGHT * height
                                          for part in group.parts)


def is_declined(segment: Segment) -> bool:
    """Whether the model reads ``segment`` as "not a digit"."""
    return bool(segment.probabilities[NOT_A_DIGIT] >= NOT_A_DIGIT_THRESHOLD)


def is_unsure(segment: Segment) -> bool:
    """Whether the model reads ``segment`` as no sure digit: declined, or under LOW_CONFIDENCE."""
    return is_declined(segment) or bool(segment.probabilities[:NOT_A_DIGIT].max() < LOW_CONFIDENCE)


def unreadable_message(places: list[int], count: int) -> str:
    """"part 2 of 3 does not look like a digit", or "parts 1 and 3 of 3 do not look like digits"."""
    if len(places) == 1:
        return f"part {places[0]} of {count} does not look like a digit"
    listed = ", ".join(str(place) for place in places[:-1]) + f" and {places[-1]}"
    return f"parts {listed} of {count} do not look like digits"
