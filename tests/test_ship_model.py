"""The candidate ensembles scripts/ship_model.py chooses among."""

import importlib.util
from pathlib import Path

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "ship_model.py"


def load_script():
    spec = importlib.util.spec_from_file_location("ship_model", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def card(arch: str, seed: int) -> dict:
    return {"config": {"arch": arch, "seed": seed}}


def test_candidates_cover_singles_per_architecture_and_mixed_averages():
    ship_model = load_script()
    paths = ["runs/best-s0.keras", "runs/best-s1.keras", "runs/compact-s0.keras", "runs/compact-s1.keras",
             "runs/compact-s2.keras"]
    cards = [card("best", 0), card("best", 1), card("compact", 0), card("compact", 1), card("compact", 2)]
    candidates = ship_model.candidates_of(paths, cards)
    assert candidates["best-s1.keras"] == [1]
    assert candidates["average of the first 2 best members"] == [0, 1]
    assert candidates["average of the first 3 compact members"] == [2, 3, 4]
    assert candidates["average of the first 1 best and compact members each"] == [0, 2]
    assert candidates["average of the first 2 best and compact members each"] == [0, 1, 2, 3]
    assert len(candidates) == 5 + 1 + 2 + 2


def test_one_architecture_has_no_mixed_candidates():
    ship_model = load_script()
    candidates = ship_model.candidates_of(["a.keras", "b.keras"], [card("compact", 0), card("compact", 1)])
    assert candidates == {"a.keras": [0], "b.keras": [1], "average of the first 2 compact members": [0, 1]}


def test_twins_share_the_recipe_but_not_the_split_or_path():
    ship_model = load_script()
    held_out = {"config": {"arch": "best", "seed": 1, "validation_split": 0.1, "out": "runs/best-s1.keras"}}
    refit = {"config": {"arch": "best", "seed": 1, "validation_split": 0.0, "out": "runs/best-all-s1.keras"}}
    other_seed = {"config": {"arch": "best", "seed": 2, "validation_split": 0.0, "out": "runs/best-all-s2.keras"}}
    assert ship_model.recipe_key(held_out) == ship_model.recipe_key(refit)
    assert ship_model.recipe_key(held_out) != ship_model.recipe_key(other_seed)
    # A run carded before a setting existed matches one carded with that setting at its default.
    newer = {"config": refit["config"] | {"elastic": 0.0}}
    assert ship_model.recipe_key(held_out) == ship_model.recipe_key(newer)
    assert ship_model.recipe_key(held_out) != ship_model.recipe_key({"config": newer["config"] | {"elastic": 0.5}})
