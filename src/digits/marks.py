"""Punctuation in a number: a decimal point or comma, a minus sign or dash, a colon.

A price (12.50), a reading (-15), a time (10:45) holds small marks between its digits.
Left to the digit reader they were lost (a point too small to be a digit) or misread (a
colon's two dots stacked into one part and read as a 5). Marks are told by their shape and
their place on the line of digits alone, never by the model:

- a point: a small, compact blob, standing in a gap between two digits, its centre in the
  lower part of the line (not far below it);
- a comma: a short stroke, taller than wide, in a gap, from the lower part of the line to
  below it (a stroke that starts below the line is a label's letter or a pen's tip);
- a minus sign or dash: a short bar at least twice as wide as tall, across the middle of
  the line and of the digits beside it, before the first digit or in a gap between two;
- a colon: two points one above the other in a gap, within the line.

Every mark stands clear of all other ink (a piece broken off a digit's stroke lies against
it); points and commas are drawn with the digits' pen: at least PEN_SHARE of their stroke
width across (a speck of dust or a stray spot is finer). Sizes are fractions of the line's height (the median digit's, top to bottom). Boxes are
(left, right, top, bottom, label) in pixels of the ink map, as ``grouping.group_components`` takes them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# A point is at most this many line heights on its longer side, at least POINT_SMALLEST,
# no more than POINT_ASPECT times longer than wide, and fills POINT_FILL of its box.
POINT_SIZE = 0.3
POINT_SMALLEST = 0.06
POINT_ASPECT = 2.0
POINT_FILL = 0.45
# A point's centre lies between these shares of the line's height from its top: in the
# line's lower part, down to a little below its foot (further down is no point of this line).
POINT_LOW = (0.65, 1.25)
# A comma is at most COMMA_SIZE line heights tall and COMMA_WIDTH wide; it starts below
# the line's middle, above its bottom, and reaches more than COMMA_DROP line heights below it.
COMMA_SIZE = 0.6
COMMA_WIDTH = 0.4
COMMA_DROP = 0.1
# A dash is at least DASH_ASPECT times wider than tall, DASH_WIDTH line heights wide, at most
# DASH_HEIGHT tall, with its centre within DASH_BAND of the line's height from the line's top.
DASH_ASPECT = 2.0
DASH_WIDTH = (0.25, 1.2)
DASH_HEIGHT = 0.25
DASH_BAND = (0.25, 0.75)
# A leading minus stands at most this many line heights before the first digit.
LEADING_REACH = 1.5
# A mark "in a gap" may reach this many line heights into the digits on either side.
GAP_SLACK = 0.1
# No other ink lies within this many line heights of a mark.
CLEARANCE = 0.06
# A point's or comma's narrower side is at least this share of the digits' stroke width.
PEN_SHARE = 0.7
# A colon's points stand this many line heights or more apart, one above the other.
COLON_APART = 0.25


@dataclass
class Mark:
    """One punctuation mark and where it stands: after ``after`` digit groups (0: before the first)."""

    character: str
    after: int
    labels: tuple[int, ...]


def shaped_like_mark(box: tuple[int, int, int, int, int], area: int, line_height: float) -> bool:
    """Whether a component could be a point, a comma or a dash by its shape and size alone."""
    left, right, top, bottom, _ = box
    width, height = right - left, bottom - top
    return (is_point_shaped(width, height, area, line_height) or is_dash_shaped(width, height, line_height)
            or is_comma_shaped(width, height, line_height))


def is_point_shaped(width: int, height: int, area: int, line_height: float) -> bool:
    longer, shorter = max(width, height), max(1, min(width, height))
    return (max(2.0, POINT_SMALLEST * line_height) <= longer <= POINT_SIZE * line_height
            and longer <= POINT_ASPECT * shorter and area >= POINT_FILL * width * height)


def is_comma_shaped(width: int, height: int, line_height: float) -> bool:
    return width <= height <= COMMA_SIZE * line_height and width <= COMMA_WIDTH * line_height


def is_dash_shaped(width: int, height: int, line_height: float) -> bool:
    return (width >= DASH_ASPECT * max(height, 1) and height <= DASH_HEIGHT * line_height
            and DASH_WIDTH[0] * line_height <= width <= DASH_WIDTH[1] * line_height)


def place_marks(candidates: list[tuple[int, int, int, int, int]], labels: np.ndarray, areas: np.ndarray,
                digits: list[list[int]], pen: float) -> list[Mark]:
    """The candidates that stand where punctuation stands among the digit groups (left, right, top, bottom, ...).

    ``digits`` are the groups the other components make, left to right; ``labels`` the
    components' label image, ``areas`` their pixel counts by label, ``pen`` the digits'
    stroke width in pixels. Candidates that fit no rule are left out (they are a digit's
    broken stroke or a speck, for the digit reader to judge).
    """
    if not digits:
        return []
    line_top = float(np.median([group[2] for group in digits]))
    line_bottom = float(np.median([group[3] for group in digits]))
    height = max(line_bottom - line_top, 1.0)
    points, marks = [], []
    for box in candidates:
        left, right, top, bottom, label = box
        reach = max(1, round(CLEARANCE * height))
        around = labels[max(0, top - reach):bottom + reach, max(0, left - reach):right + reach]
        if np.isin(around, (0, label), invert=True).any():
            continue
        fine = min(right - left, bottom - top) < PEN_SHARE * pen
        middle_column, middle_row = (left + right) / 2, (top + bottom) / 2
        after = sum((group[0] + group[1]) / 2 < middle_column for group in digits)
        in_gap = 0 < after < len(digits) and (digits[after - 1][1] - GAP_SLACK * height <= middle_column
                                              <= digits[after][0] + GAP_SLACK * height)
        leading = after == 0 and digits[0][0] - LEADING_REACH * height <= left and right <= digits[0][0]
        across = (middle_row - line_top) / height
        if is_dash_shaped(right - left, bottom - top, height) and DASH_BAND[0] <= across <= DASH_BAND[1]:
            # Across the middle of the digits beside it too: a bar at one's top is its own (a 5's flag set apart).
            beside = digits[max(after - 1, 0):after + 1]
            if (in_gap or leading) and all(
                    DASH_BAND[0] <= (middle_row - group[2]) / max(group[3] - group[2], 1) <= DASH_BAND[1]
                    for group in beside):
                marks.append(Mark("-", after, (label,)))
        elif fine or not in_gap:
            continue
        elif is_point_shaped(right - left, bottom - top, int(areas[label]), height):
            points.append((box, after, across))
        elif (is_comma_shaped(right - left, bottom - top, height)
              and line_top + 0.5 * height <= top <= line_bottom and bottom > line_bottom + COMMA_DROP * height):
            marks.append(Mark(",", after, (label,)))
    # One mark to a gap: more are specks or scribbles, not punctuation.
    places = [mark.after for mark in marks] + [item[1] for item in points]
    marks = [mark for mark in marks if places.count(mark.after) == 1] + colons_and_points(points)
    return sorted(marks, key=lambda mark: mark.after)


def colons_and_points(points: list[tuple]) -> list[Mark]:
    """Two points in one gap, one above the other, within the line, are a colon; a low point alone is a point;
    more, or two side by side, are no mark.

    ``points`` are (box, after, height of the centre as a share of the line's from its top).
    """
    marks = []
    for after in sorted({item[1] for item in points}):
        here = sorted((item for item in points if item[1] == after), key=lambda item: item[2])
        if len(here) == 2:
            (upper, _, high), (lower, _, low) = here
            stacked = min(upper[1], lower[1]) > max(upper[0], lower[0])
            if stacked and low - high >= COLON_APART and high >= 0.0 and low <= 1.0:
                marks.append(Mark(":", after, (upper[4], lower[4])))
        elif len(here) == 1 and POINT_LOW[0] <= here[0][2] <= POINT_LOW[1]:
            marks.append(Mark(".", after, (here[0][0][4],)))
    return marks


def with_marks(digits: list[str], groups_of: list[int], marks: list[Mark]) -> str:
    """The number as text: each digit's character (``groups_of``: the group each came from) and the marks between."""
    text = []
    for place, (character, group) in enumerate(zip(digits, groups_of)):
        first_of_group = place == 0 or groups_of[place - 1] != group
        if first_of_group:
            text.extend(mark.character for mark in marks if mark.after == group)
        text.append(character)
    return "".join(text)
