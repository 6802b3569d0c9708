"""Which pieces of ink along a line of digits make one digit.

Connected components are stacked when they share most of their columns (a stroke
broken by a printed line, a 5's bar), short fragments join the nearest digit, two short
neighbours may be one digit broken in two, and a group wide enough to hold touching
digits is cut at the thinnest columns near where a digit should end. ``digits.number``
reads each grouping and lets the model decide between the readings.
"""

from __future__ import annotations

import numpy as np

# Two components belong to one digit when they share this much of the narrower one's columns;
# two short ones (under FRAGMENT_HEIGHT) one above the other, sharing rows for at most
# FRAGMENT_SIDE_BY_SIDE of the shorter's height, when they share FRAGMENT_OVERLAP (a 5's bar set off to the right).
MERGE_OVERLAP = 0.5
FRAGMENT_OVERLAP = 0.25
FRAGMENT_SIDE_BY_SIDE = 0.25
# Components shorter than this fraction of the line's height are fragments of a stroke;
# they join a digit within FRAGMENT_DISTANCE line heights, or stand alone above LONE_HEIGHT.
FRAGMENT_HEIGHT = 0.55
FRAGMENT_DISTANCE = 0.3
LONE_HEIGHT = 0.4
# Parts stacked into one digit are together at most this many times the line's tallest component.
STACK_HEIGHT = 1.25
# Two neighbouring groups may be one digit broken across (faint ink, a shadow's edge): each
# under BROKEN_HEIGHT of the line's height, together no taller than STACK_HEIGHT of it, within
# FRAGMENT_DISTANCE of each other and together no wider than BROKEN_WIDTH line heights.
BROKEN_HEIGHT = 0.8
BROKEN_WIDTH = 1.0
# A group wider than this many times its height holds touching digits.
TOUCHING_RATIO = 1.5
# A narrower one, but wider than NARROW_PAIR times its height, may be two narrow digits touching
# (two 9s, a 9 and a 7): it is read cut in two as well, and the parts are taken only where the
# whole reads as no sure digit (declined, or under LOW_CONFIDENCE) and every part as a sure one.
NARROW_PAIR = 0.9
# Each such part is at least PAIR_HEIGHT of the whole's height: a 1 written at a slant, cut in
# two, is two pieces about half as tall (two digits side by side are each nearly as tall).
PAIR_HEIGHT = 0.7
# Typical digit width as a fraction of its height, used to guess how many digits touch.
DIGIT_ASPECT = 0.7


def group_components(boxes: list[tuple[int, int, int, int, int]], line_height: int) -> list[list[int]]:
    """Group component boxes (left, right, top, bottom, label) into digits, left to right.

    Components that share most of their columns and lie close above one another, no
    taller together than a digit of the line, are parts of one digit (a stroke broken by a
    printed line, a 5's bar). Stacks at least FRAGMENT_HEIGHT of the line's
    height tall start digits. Shorter ones are fragments of a broken stroke and join the
    nearest digit when it is close (beside it, above or below); a short one far from any
    digit stands alone if it is tall enough and on the digits' line, else it is dropped. Returns groups as
    [left, right, top, bottom, label, label, ...].
    """
    short = FRAGMENT_HEIGHT * line_height

    def overlap_needed(top: int, bottom: int, stack: list[int]) -> float:
        # Two short pieces one above the other (a 5's bar over its body) are one digit with less shared.
        one_above_other = min(bottom, stack[3]) - max(top, stack[2]) <= FRAGMENT_SIDE_BY_SIDE * min(
            bottom - top, stack[3] - stack[2])
        return FRAGMENT_OVERLAP if max(bottom - top, stack[3] - stack[2]) < short and one_above_other else MERGE_OVERLAP

    stacks: list[list[int]] = []
    for left, right, top, bottom, label in sorted(boxes):
        below = [stack for stack in stacks if min(right, stack[1]) - max(left, stack[0])
                 > overlap_needed(top, bottom, stack) * min(right - left, stack[1] - stack[0])
                 and max(top - stack[3], stack[2] - bottom) <= FRAGMENT_DISTANCE * line_height
                 and max(bottom, stack[3]) - min(top, stack[2]) <= STACK_HEIGHT * line_height]
        if below:
            stack = below[-1]
            stack[:4] = [min(left, stack[0]), max(right, stack[1]), min(top, stack[2]), max(bottom, stack[3])]
            stack.append(label)
        else:
            stacks.append([left, right, top, bottom, label])
    groups = [stack for stack in stacks if stack[3] - stack[2] >= FRAGMENT_HEIGHT * line_height]
    # The line the digits stand on (a short piece wholly above or below it is none of them).
    line = (np.median([group[2] for group in groups]), np.median([group[3] for group in groups])) if groups else None
    for left, right, top, bottom, *labels in (stack for stack in stacks
                                              if stack[3] - stack[2] < FRAGMENT_HEIGHT * line_height):
        # Apart across the line or along it: a piece far below the line is no broken stroke of it.
        distances = [max(group[0] - right, left - group[1], group[2] - bottom, top - group[3], 0) for group in groups]
        nearest = int(np.argmin(distances)) if groups else -1
        if groups and distances[nearest] <= FRAGMENT_DISTANCE * line_height:
            group = groups[nearest]
            group[:4] = [min(left, group[0]), max(right, group[1]), min(top, group[2]), max(bottom, group[3])]
            group.extend(labels)
        elif bottom - top >= LONE_HEIGHT * line_height and (line is None or (bottom > line[0] and top < line[1])):
            groups.append([left, right, top, bottom, *labels])
    return sorted(groups)


def broken_pairs(groups: list[list[int]], line_height: int, marked: frozenset[int] = frozenset()) -> list[int]:
    """The places ``i`` where groups ``i`` and ``i + 1`` (left to right) may be one digit broken in two.

    Neither is a whole digit's height, they lie close, together they are no taller or wider
    than one digit, and no mark stands between them (``marked``: the marks' places, as
    ``Mark.after`` counts them): the model then reads them both as one and as two
    (``read_number``). No two pairs share a group.
    """
    pairs = []
    for place, (first, second) in enumerate(zip(groups, groups[1:])):
        if (pairs and pairs[-1] == place - 1) or place + 1 in marked:
            continue
        short = max(first[3] - first[2], second[3] - second[2]) < BROKEN_HEIGHT * line_height
        close = max(second[0] - first[1], first[2] - second[3], second[2] - first[3]) <= FRAGMENT_DISTANCE * line_height
        height = max(first[3], second[3]) - min(first[2], second[2])
        width = max(first[1], second[1]) - min(first[0], second[0])
        if short and close and height <= STACK_HEIGHT * line_height and width <= BROKEN_WIDTH * line_height:
            pairs.append(place)
    return pairs


def split_touching(mask: np.ndarray, line_height: int, least: float = TOUCHING_RATIO) -> list[tuple[int, int]]:
    """Column ranges of the digits in one group's mask (one range unless digits touch: it is wider than
    ``least`` line heights)."""
    width = mask.shape[1]
    if width <= least * line_height:
        return [(0, width)]
    count = max(2, round(width / (DIGIT_ASPECT * line_height)))
    profile = mask.sum(axis=0)
    cuts = [0]
    for index in range(1, count):
        guess = round(index * width / count)
        window = max(1, width // (3 * count))
        low, high = max(cuts[-1] + 1, guess - window), min(width - 1, guess + window)
        cuts.append(low + int(np.argmin(profile[low:high + 1])) if high >= low else guess)
    cuts.append(width)
    return [(start, stop) for start, stop in zip(cuts, cuts[1:]) if stop > start]
