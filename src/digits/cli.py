"""The `digits` command: parse flags, call one library function, format its answer.

Library code raises; only this module turns errors into one-line messages and exit codes.
Heavy imports (Keras, TensorFlow) happen inside the commands that need them.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130
# Images read unsure or declined that are looked at for several digits side by side (a hint to use --number).
HINT_CHECKS = 20
NUMBER_HELP = ("read a whole number (several digits side by side, with any point, comma, minus sign or colon "
               "between them) in each image; a part that is no digit leaves no number; each digit's box is "
               "[left, top, width, height] in pixels of the image as read: of the sheet cut out of a photo, set upright")


def command_data(arguments: argparse.Namespace) -> int:
    import contextlib

    from digits.data import summary

    # Whatever a source prints while fetching (Keras's download progress) must not mix with the JSON.
    with contextlib.redirect_stdout(sys.stderr) if arguments.json else contextlib.nullcontext():
        info = summary()
    if arguments.json:
        print(json.dumps(info))
        return 0
    print(f"MNIST at {info['path']}")
    for split in ("train", "test"):
        part = info[split]
        shape = "x".join(str(size) for size in part["shape"])
        print(f"  {split}: {part['images']} images of {shape}, label counts {part['label_counts']}")
    print(f"  sha256 of the arrays: {info['sha256']}")
    return 0


def command_show(arguments: argparse.Namespace) -> int:
    from digits.show import samples, save_figure, terminal_preview

    images, labels, indices, columns = samples(arguments.split, arguments.index, arguments.grid)
    if len(images) == 1:
        print(int(labels[0]))
    else:
        print(f"{arguments.split} samples {indices[0]} to {indices[-1]}:")
        for row in range(0, len(labels), columns):
            print(" ".join(str(int(label)) for label in labels[row:row + columns]))
    if arguments.out:
        path = save_figure(images, labels, indices, columns, arguments.out, f"MNIST {arguments.split} set")
        print(f"saved {path}")
    if not arguments.out or len(images) == 1:
        print(terminal_preview(images[0]) if len(images) == 1 else "(use --out FILE.png to see the grid)")
    return 0


def command_train(arguments: argparse.Namespace) -> int:
    from digits.config import preset

    config = preset(arguments.preset).replace(
        arch=arguments.arch, epochs=arguments.epochs, batch_size=arguments.batch_size,
        learning_rate=arguments.learning_rate, seed=arguments.seed,
        validation_split=arguments.validation_split, out=arguments.out,
        augment=arguments.augment, ink_augment=arguments.ink_augment, elastic=arguments.elastic,
        synthetic=arguments.synthetic, pen_digits=arguments.pen_digits, mnist_repeats=arguments.mnist_repeats,
        init_from=arguments.init_from, folds=arguments.folds, fold=arguments.fold,
        validate_every_epoch=arguments.validate_every_epoch,
    )
    # Checked before Keras is imported: a wrong flag costs no time and touches no file.
    try:
        config.validate()
    except ValueError as error:
        print(f"digits train: error: {first_line(error)}", file=sys.stderr)
        return EXIT_USAGE
    from digits.data import load_mnist_in_background
    from digits.quiet import import_keras_quietly

    mnist = load_mnist_in_background()  # read and verified while TensorFlow imports
    import_keras_quietly()
    from digits.training import train

    try:
        card = train(config, data=mnist.result(), resume=arguments.resume, restart=arguments.restart,
                     verbose=0 if arguments.json else "auto", devices=arguments.devices)
    except KeyboardInterrupt:
        card = None
    if card is None:
        import gc

        # TensorFlow finalises the unfinished input pipeline at exit and logs an error then; not if collected now.
        gc.collect()
        print(f"\ninterrupted: the last finished epoch is kept; continue with "
              f"`digits train --resume --out {config.output_path()}` (or start over with --restart)", file=sys.stderr)
        return EXIT_INTERRUPTED
    if arguments.json:
        print(json.dumps({key: value for key, value in card.items() if key != "history"}))
        return 0
    validation = card["validation"]
    if validation:
        print(f"validation accuracy {100 * validation['accuracy']:.2f}% on {validation['samples']} images")
    test = card["test"]
    print(f"test accuracy {100 * test['accuracy']:.2f}% (loss {test['loss']:.4f}) on {test['samples']} images")
    print(f"saved {config.output_path()} in {card['seconds']:.1f} s")
    return 0


RECIPE_FLAGS = ("epochs", "batch_size", "learning_rate", "augment", "ink_augment", "elastic", "synthetic", "pen_digits",
                "mnist_repeats", "init_from", "validation_split", "validate_every_epoch")


def command_sweep(arguments: argparse.Namespace) -> int:
    from digits.config import preset
    from digits.engines import check_engine, open_engine
    from digits.sweep import Sweep, parse_seeds, pending, run_sweep

    recipe = preset(arguments.preset).replace(**{name: getattr(arguments, name) for name in RECIPE_FLAGS})
    archs = tuple(arguments.arch or [recipe.arch])
    configs = Sweep(recipe, archs, tuple(parse_seeds(arguments.seeds)), arguments.folds or 0, arguments.refit,
                    arguments.out).runs()
    check_engine(arguments.engine, arguments.scheduler, arguments.workers)
    todo = pending(configs)
    print(f"{len(configs)} runs: {len(configs) - len(todo)} done before, {len(todo)} to train", file=sys.stderr)
    failed = 0
    if todo:
        # Training imports TensorFlow, which must not be forked once loaded: fresh processes.
        with open_engine(arguments.engine, arguments.scheduler, arguments.workers, start_method="spawn") as engine:
            print(f"on {engine.describe()}", file=sys.stderr)
            try:
                for finished, outcome in enumerate(run_sweep(configs, engine), start=1):
                    out = outcome.item.output_path()
                    if outcome.error or outcome.lost:
                        failed += 1
                        print(f"[{finished}/{len(todo)}] {out}: failed ({outcome.error or 'its process died'}); "
                              f"run the sweep again to retry it", file=sys.stderr)
                        continue
                    result = outcome.result
                    score = (f"validation {100 * result.validation_accuracy:.2f}%"
                             if result.validation_accuracy is not None else "no validation")
                    print(f"[{finished}/{len(todo)}] {out}: {score}, {result.seconds:.0f} s", file=sys.stderr)
            except KeyboardInterrupt:
                print("\ninterrupted: finished runs are kept and a cut run resumes from its last epoch; run the "
                      "same command again to go on", file=sys.stderr)
                return EXIT_INTERRUPTED
    print(f"{len(configs) - failed} of {len(configs)} runs done in {arguments.out}" +
          (f"; {failed} failed" if failed else ""))
    return EXIT_ERROR if failed else 0


def command_ship(arguments: argparse.Namespace) -> int:
    from digits.quiet import import_keras_quietly

    import_keras_quietly()
    from digits.ensemble import ship

    cards = ship(arguments.runs, arguments.out, as_name=arguments.as_name,
                 max_multiply_adds=arguments.max_multiply_adds, precision=arguments.precision,
                 drawn=arguments.drawn_validation, only=tuple(arguments.only))
    if arguments.json:
        print(json.dumps({name: {key: value for key, value in card.items() if key != "history"}
                          for name, card in cards.items()}))
        return 0
    for name, card in cards.items():
        print(f"{name}: {'+'.join(member['run'] for member in card['members'])}, temperature {card['temperature']}, "
              f"{card['precision']}, held-out accuracy {100 * card['validation']['accuracy']:.2f}%, "
              f"test {100 * card['test']['accuracy']:.2f}%; wrote {Path(arguments.out) / name}.keras, .onnx and card")
    return 0


def command_evaluate(arguments: argparse.Namespace) -> int:
    from digits.evaluation import evaluate

    result = evaluate(arguments.model)
    if arguments.json:
        print(json.dumps(result))
        return 0
    print(f"model {result['model']}")
    print(f"test accuracy {100 * result['accuracy']:.2f}%, loss {result['loss']:.4f}, "
          f"{result['errors']} errors in {result['samples']} images")
    per_class = "  ".join(f"{digit}: {100 * value:.2f}%" for digit, value in result["per_class_accuracy"].items())
    print(f"per class: {per_class}")
    return 0


class Progress:
    """A one-line counter on stderr, redrawn in place; silent unless stderr is a terminal."""

    def __init__(self, enabled: bool):
        import time

        self.enabled = enabled
        self.clock = time.perf_counter
        self.started = self.clock()
        self.count = 0

    def clear(self) -> None:
        if self.enabled and self.count >= 64:
            sys.stderr.write("\r\033[K")

    def advance(self) -> None:
        self.count += 1
        if self.enabled and self.count % 64 == 0:
            rate = self.count / max(self.clock() - self.started, 1e-9)
            sys.stderr.write(f"\r{self.count} images, {rate:.0f}/s")
            sys.stderr.flush()


def command_predict(arguments: argparse.Namespace) -> int:
    from digits.batch import csv_header, expand, recognise_paths
    from digits.recognisers import load_recogniser

    if arguments.json and arguments.format not in (None, "json"):
        print(f"digits predict: error: --json and --format {arguments.format} ask for two formats; give one",
              file=sys.stderr)
        return EXIT_USAGE
    output_format = "json" if arguments.json else arguments.format or "text"
    if arguments.number and arguments.top != 1:
        print("digits predict: error: --top ranks one digit's answers; with --number, --json gives each digit's "
              "confidence", file=sys.stderr)
        return EXIT_USAGE
    if output_format != "text" and arguments.top != 1:
        print(f"digits predict: error: --top ranks answers in text; {output_format.upper()} already holds all ten "
              f"probabilities", file=sys.stderr)
        return EXIT_USAGE
    recogniser = load_recogniser(arguments.model)
    progress = Progress(sys.stderr.isatty())
    if output_format == "csv":
        print(csv_header())
    failed = False
    with tempfile.TemporaryDirectory() as folder:
        # `-` is one image read from standard input, decoded from a file like any other and reported as `-`.
        stdin_path = str(Path(folder) / "stdin")
        if "-" in arguments.images:
            Path(stdin_path).write_bytes(sys.stdin.buffer.read())
        images = [stdin_path if image == "-" else image for image in arguments.images]
        predictions = recognise_paths(expand(images), recogniser, workers=arguments.workers, number=arguments.number)
        unsure = []
        for prediction in predictions:
            if not arguments.number and (prediction.low_confidence
                                         or (prediction.not_a_digit is not None and prediction.digit is None)):
                unsure.append(prediction.path)
            if prediction.path == stdin_path:
                prediction.path = "-"
                prediction.error = prediction.error and prediction.error.replace(stdin_path, "-")
            failed = print_prediction(prediction, arguments, output_format, progress) or failed
        progress.clear()
        hint_number(unsure, stdin_path, recogniser)
    return EXIT_ERROR if failed else 0


def hint_number(paths: list[str], stdin_path: str, recogniser) -> None:
    """Say on standard error which of the images read unsure or as no digit read as numbers of several digits."""
    from digits.number import reads_as_number

    several = ["-" if path == stdin_path else path for path in paths[:HINT_CHECKS]
               if reads_as_number(path, recogniser)]
    if several:
        shown = ", ".join(several[:3]) + (f" and {len(several) - 3} more" if len(several) > 3 else "")
        print(f"hint: {shown} {'holds' if len(several) == 1 else 'hold'} several digits side by side; to read "
              f"{'it' if len(several) == 1 else 'each'} as a whole number, add --number", file=sys.stderr)


def command_batch(arguments: argparse.Namespace) -> int:
    import time

    from digits.archive import Tally, batch_lock, make_plan, run
    from digits.engines import check_engine, open_engine

    check_engine(arguments.engine, arguments.scheduler, arguments.workers)
    with batch_lock(arguments.out):
        plan = make_plan(arguments.inputs, arguments.out, model=arguments.model, number=arguments.number,
                         from_list=arguments.from_list, part_size=arguments.part_size)
        print(f"{plan.total:,} files: {plan.answered_before:,} answered before, {plan.files_left:,} to do in "
              f"{len(plan.parts):,} parts", file=sys.stderr)
        if plan.parts:
            with open_engine(arguments.engine, arguments.scheduler, arguments.workers) as engine:
                print(f"on {engine.describe()}", file=sys.stderr)
                tally = Tally()
                shown, terminal = 0.0, sys.stderr.isatty()
                try:
                    for table in run(plan, engine):
                        tally.add(table)
                        # A line in place on a terminal; otherwise a line every 30 s, for logs.
                        if time.perf_counter() - shown >= (0.5 if terminal else 30) or tally.files == plan.files_left:
                            shown = time.perf_counter()
                            line = tally.progress(plan.files_left)
                            sys.stderr.write(f"\r\033[K{line}" if terminal else f"{line}\n")
                except KeyboardInterrupt:
                    print(f"\ninterrupted: the {tally.files:,} files answered in this run are kept; run the same "
                          f"command again to answer the rest", file=sys.stderr)
                    return EXIT_INTERRUPTED
                if terminal:
                    sys.stderr.write("\n")
    if not plan.parts:
        print(f"nothing to do: all {plan.total:,} files were answered before; answers in {plan.out}")
        return 0
    print(f"{tally.summary()}; answers in {plan.out}")
    return EXIT_ERROR if tally.errors else 0


def print_prediction(prediction, arguments: argparse.Namespace, output_format: str, progress: Progress) -> bool:
    """Print one answer in ``output_format``; true when it is an error row."""
    from digits.batch import csv_line, printable

    failed = prediction.error is not None
    stream = sys.stdout
    if output_format == "json":
        line = json.dumps(prediction.to_dict())
    elif output_format == "csv":
        line = csv_line(prediction)
    else:
        # A newline in a file name must not split one answer into two lines.
        line = printable(prediction.describe(arguments.top))
        stream = sys.stderr if prediction.error is not None else sys.stdout
    progress.clear()
    print(line, file=stream, flush=progress.enabled)
    progress.advance()
    return failed


def command_export(arguments: argparse.Namespace) -> int:
    from digits.exporting import default_out, export
    from digits.recognisers import SHIPPED_MODELS, model_path

    shipped = arguments.model is None or arguments.model in SHIPPED_MODELS
    model = model_path(arguments.model, suffix=".keras")
    # A shipped model is exported into the current folder, never over the package's own copy;
    # an int8 export is NAME.int8.onnx, beside the float32 NAME.onnx rather than over it.
    out = arguments.out or (default_out(model, arguments.format, arguments.precision).name if shipped else None)
    result = export(model, out, arguments.format, precision=arguments.precision)
    if arguments.json:
        print(json.dumps(result))
        return 0
    print(f"wrote {result['out']} ({result['precision']}): largest difference from Keras "
          f"{result['max_abs_difference']:.2e} over {result['images_checked']} test images, "
          f"{len(result['different_digits'])} with a different digit")
    return 0


def command_report(arguments: argparse.Namespace) -> int:
    from digits.report import report

    result = report(arguments.model, arguments.out, arguments.images)
    if arguments.json:
        print(json.dumps({key: result[key] for key in ("out", "figures", "test")}))
        return 0
    print(f"test accuracy {100 * result['test']['accuracy']:.2f}%; wrote {result['out']} and "
          f"{len(result['figures'])} figures")
    return 0


def command_serve(arguments: argparse.Namespace) -> int:
    from digits.server import ServeConfig, serve

    fields = {name: getattr(arguments, name) for name in ServeConfig.__dataclass_fields__}
    serve(ServeConfig(**{**fields, "model": arguments.model or "", "allowed_hosts": tuple(arguments.allowed_hosts),
                         "allowed_origins": tuple(arguments.allowed_origins)}))
    return 0


def command_correct(arguments: argparse.Namespace) -> int:
    from digits.corrections import NOT_A_DIGIT, label_name, make_correction, parse_label
    from digits.recognisers import load_recogniser
    from digits.stores import open_store

    if (arguments.digit is None) == (not arguments.not_a_digit):
        print("digits correct: error: give the right DIGIT (0-9), or --not-a-digit, not both", file=sys.stderr)
        return EXIT_USAGE
    label = NOT_A_DIGIT if arguments.not_a_digit else parse_label(arguments.digit)
    path = Path(arguments.image)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file; give the image the model got wrong")
    correction = make_correction(path.read_bytes(), label, load_recogniser(arguments.model), "cli", arguments.writer)
    store = open_store(arguments.store)
    stored = store.add(correction)
    store.close()
    if arguments.json:
        print(json.dumps(stored.to_dict() | {"store": store.location}))
        return 0
    print(f"stored correction {stored.id} in {store.location}: {path} is {label_name(stored.label)} "
          f"(the model said {label_name(stored.predicted)}, {100 * stored.confidence:.0f}% sure)")
    return 0


def command_corrections(arguments: argparse.Namespace) -> int:
    from digits.corrections import export_corrections
    from digits.stores import open_store

    store = open_store(arguments.store)
    try:
        if arguments.action == "list":
            corrections = store.corrections(writer=arguments.writer)
            for correction in corrections:
                print(json.dumps(correction.to_dict()) if arguments.json else correction.describe())
            if not arguments.json:
                print(f"{len(corrections)} correction(s) in {store.location}", file=sys.stderr)
        elif arguments.action == "export":
            result = export_corrections(store.corrections(writer=arguments.writer), arguments.folder)
            print(json.dumps(result) if arguments.json else
                  f"wrote {result['count']} correction(s) to {result['folder']} (labels.csv, PNGs)")
        else:
            if not arguments.ids and arguments.writer is None:
                print("digits corrections delete: error: give the ids to delete (see `digits corrections list`), "
                      "or --writer NAME", file=sys.stderr)
                return EXIT_USAGE
            count = store.delete(ids=arguments.ids or None, writer=arguments.writer)
            print(json.dumps({"deleted": count}) if arguments.json else f"deleted {count} correction(s)")
    finally:
        store.close()
    return 0


def command_tune(arguments: argparse.Namespace) -> int:
    from digits.stores import open_store
    from digits.tuning import TuneConfig, check_enough

    config = TuneConfig(**{name: getattr(arguments, name) for name in TuneConfig.__dataclass_fields__
                           if getattr(arguments, name, None) is not None})
    try:
        config.validate()
    except ValueError as error:
        print(f"digits tune: error: {first_line(error)}", file=sys.stderr)
        return EXIT_USAGE
    store = open_store(arguments.store)
    corrections = store.corrections(writer=config.writer)
    store.close()
    # Too few corrections is said before TensorFlow takes seconds to import.
    check_enough(corrections, config.writer, config.folds)
    from digits.quiet import import_keras_quietly

    import_keras_quietly()
    from digits.tuning import tune

    card = tune(config, corrections, progress=None if arguments.json else print)
    if arguments.json:
        print(json.dumps({key: card[key] for key in ("model", "writer", "corrections", "chosen", "base", "test")}))
        return 0
    print(f"{card['corrections']['count']} corrections: {card['corrections']['right_before']} read right before, "
          f"{card['corrections']['right_after']} after; MNIST test accuracy {100 * card['test']['accuracy']:.2f}% "
          f"(shipped {100 * card['base']['mnist_test_accuracy']:.2f}%); serve it with "
          f"`digits serve --model {config.out or config.writer}`")
    return 0


def parser() -> argparse.ArgumentParser:
    from digits.config import PRESETS
    from digits.config import ARCHITECTURE_NAMES
    from digits.engines import ENGINES
    from digits.recognisers import SHIPPED_MODELS

    from digits import __version__

    main = argparse.ArgumentParser(prog="digits", description="Handwritten digit recognition on MNIST.")
    main.add_argument("--version", action="version", version=f"digits {__version__}")
    commands = main.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name: str, function, help_text: str) -> argparse.ArgumentParser:
        command = commands.add_parser(name, help=help_text, description=help_text)
        command.set_defaults(function=function)
        return command

    def json_flag(command: argparse.ArgumentParser) -> None:
        command.add_argument("--json", action="store_true", help="print JSON instead of text")

    def model_flag(command: argparse.ArgumentParser) -> None:
        command.add_argument("--model", help="model file (.onnx, .keras or .h5), or a shipped model: "
                                              "default (fast) or accurate (default: default)")

    def recipe_flags(command: argparse.ArgumentParser) -> None:
        """The training recipe's flags, shared by train and sweep (each maps onto a TrainConfig field)."""
        command.add_argument("--epochs", type=int, help="epochs (default: the preset's)")
        command.add_argument("--batch-size", type=int, help="images per step (default: the preset's)")
        command.add_argument("--learning-rate", type=float, help="peak learning rate (default: the preset's)")
        command.add_argument("--augment", type=float,
                             help="strength of random shifts, rotations and zoom, 0 to 1 (default: the preset's)")
        command.add_argument("--ink-augment", type=float,
                             help="chance of thicker strokes, blur and fainter ink, each (default: the preset's)")
        command.add_argument("--elastic", type=float,
                             help="chance of an elastic distortion of the strokes, per image (default: the preset's)")
        command.add_argument("--synthetic", type=int,
                             help="drawn images added to training: other styles, tight small crops and non-digits, "
                                 "which adds a 'not a digit' output (default: the preset's)")
        command.add_argument("--pen-digits", type=int,
                             help="images drawn from UCI pen digits' training writers, added with --synthetic "
                                  "(default: the preset's)")
        command.add_argument("--mnist-repeats", type=int,
                             help="times each MNIST image appears an epoch beside the drawn and pen images "
                                  "(default: the preset's, 1)")
        command.add_argument("--init-from", help="start from this trained model's weights: a .keras path, a "
                                                 "shipped model's name or mnist-only, same --arch (default: the preset's)")
        command.add_argument("--validation-split", type=float,
                             help="fraction of the training set held out for validation (default: 0.1)")
        command.add_argument("--validate-every-epoch", action=argparse.BooleanOptionalAction,
                             help="score the validation split after every epoch, or only after training "
                                  "(default: the preset's; fast: only after)")

    data = add("data", command_data, "fetch MNIST if needed; print where it is, sizes and label counts")
    json_flag(data)

    show = add("show", command_show, "print a sample's label and show it (terminal preview, or a PNG with --out)")
    show.add_argument("--split", choices=["train", "test"], default="train", help="which split (default: train)")
    show.add_argument("--index", type=int, default=None, help="sample index, or first index of a grid (default: 0)")
    show.add_argument("--grid", metavar="ROWSxCOLS", help="show a grid of samples, for example 4x8")
    show.add_argument("--out", help="write the figure to this PNG file")

    train = add("train", command_train, "train a model on MNIST, evaluate it once on the test set, save it")
    train.add_argument("--preset", choices=list(PRESETS), default="tutorial", help="recipe (default: tutorial)")
    train.add_argument("--arch", choices=ARCHITECTURE_NAMES, help="network (default: the preset's)")
    train.add_argument("--seed", type=int, help="random seed (default: 0)")
    recipe_flags(train)
    train.add_argument("--folds", type=int,
                       help="cut the training images into K blocks and hold out block --fold instead of the last "
                            "--validation-split; its answers are kept for choosing ensembles (default: 0, no folds)")
    train.add_argument("--fold", type=int, help="which block --folds holds out, 0 to K-1 (default: 0)")
    train.add_argument("--out", help="model path, .keras or .h5 (default: runs/PRESET.keras)")
    train.add_argument("--devices", type=int, default=1, metavar="N",
                       help="train on N devices at once (GPUs), each step's batch split over them; JAX backend "
                            "(KERAS_BACKEND=jax); 0: all it sees (default: 1, as the backend places it)")
    start = train.add_mutually_exclusive_group()
    start.add_argument("--resume", action="store_true", help="continue the interrupted run saved beside --out")
    start.add_argument("--restart", action="store_true",
                       help="delete the interrupted run saved beside --out and start over")
    json_flag(train)

    sweep = add("sweep", command_sweep, "train many runs (networks, seeds, folds) as resumable jobs; runs with a "
                                        "card are skipped")
    sweep.add_argument("--preset", choices=list(PRESETS), default="tutorial", help="recipe (default: tutorial)")
    sweep.add_argument("--arch", nargs="+", choices=ARCHITECTURE_NAMES,
                       help="networks, each trained for every seed (default: the preset's)")
    sweep.add_argument("--seeds", default="0", help="seeds: 0-7, or 0,3,5-6 (default: 0)")
    sweep.add_argument("--folds", type=int,
                       help="train each member K times, each holding out one block of the training images, and "
                            "keep the held-out answers, for `digits ship` to choose on (default: no folds)")
    sweep.add_argument("--refit", action="store_true",
                       help="also train each member on all 60,000 training images, to be shipped in its place")
    recipe_flags(sweep)
    sweep.add_argument("--out", default="runs", metavar="DIR", help="folder for the runs (default: runs)")
    sweep.add_argument("--engine", choices=list(ENGINES), default="processes",
                       help="processes: on this machine; dask: a local Dask cluster (default: processes)")
    sweep.add_argument("--scheduler", metavar="ADDRESS",
                       help="train on the Dask cluster at this address, tcp://HOST:8786 (default: $DIGITS_SCHEDULER, "
                            "else this machine)")
    sweep.add_argument("--workers", type=int, default=1,
                       help="runs trained at once on this machine; each uses every core (default: 1)")

    ship = add("ship", command_ship, "choose models to ship from trained runs (out of fold when trained in folds, "
                                      "else on the validation split) and write them with their cards")
    ship.add_argument("runs", nargs="+", metavar="RUN", help="trained .keras runs with their cards, or folders of them")
    ship.add_argument("--out", default="shipped", metavar="DIR",
                      help="folder for NAME.keras, NAME.onnx and NAME.card.json (default: shipped)")
    ship.add_argument("--as", dest="as_name", metavar="NAME",
                      help="ship the runs given, averaged, as NAME, without a choice (default: choose default "
                           "and accurate)")
    ship.add_argument("--only", nargs="+", choices=list(SHIPPED_MODELS), default=list(SHIPPED_MODELS),
                      help="choose and write only these models (default: both)")
    ship.add_argument("--max-multiply-adds", type=int, default=12_000_000,
                      help="inference budget per image of the default model (default: 12,000,000)")
    ship.add_argument("--precision", choices=["auto", "int8", "float32"], default="auto",
                      help="the ONNX file's; auto: int8 when it costs no held-out accuracy (default: auto)")
    ship.add_argument("--drawn-validation", type=int, default=0, metavar="N",
                      help="also fit the temperature on N drawn validation images, for models with a 'not a digit' "
                           "output (default: 0)")
    json_flag(ship)

    evaluate = add("evaluate", command_evaluate, "score a model on the 10,000 MNIST test images")
    model_flag(evaluate)
    json_flag(evaluate)

    predict = add("predict", command_predict, "recognise the digit in each image")
    predict.add_argument("images", nargs="+", metavar="IMAGE",
                         help="PNG, JPEG, BMP, GIF, WebP or TIFF files, folders, or globs ('scans/**/*.png'); "
                              "- reads one image from standard input")
    model_flag(predict)
    predict.add_argument("--top", type=ranks, default=1, metavar="K",
                         help="show the K most likely digits, 1 to 10 (default: 1; text only, not with --number)")
    predict.add_argument("--format", choices=["text", "json", "csv"], default=None,
                         help="text lines, JSON Lines, or CSV with a header (default: text)")
    predict.add_argument("--number", action="store_true",
                         help=NUMBER_HELP)
    predict.add_argument("--workers", type=int, default=None,
                         help="processes decoding images (default: one per core; 1 = none)")
    predict.add_argument("--json", action="store_true", help="same as --format json")

    batch = add("batch", command_batch, "recognise an archive of images into Parquet files, resumably, on a "
                                        "local Dask cluster or yours")
    batch.add_argument("inputs", nargs="*", metavar="INPUT",
                       help="image files, folders, globs, or s3:// and gs:// prefixes (with s3fs or gcsfs installed)")
    batch.add_argument("--from-list", metavar="FILE", help="also read the paths or URLs in FILE, one a line")
    batch.add_argument("--out", required=True, metavar="DIR",
                       help="folder for the Parquet part files; run the same command again to resume")
    model_flag(batch)
    batch.add_argument("--number", action="store_true",
                       help=NUMBER_HELP)
    batch.add_argument("--engine", choices=list(ENGINES), default="dask",
                       help="dask: a local Dask cluster (127.0.0.1 only); processes: a plain process pool "
                            "(default: dask)")
    batch.add_argument("--scheduler", metavar="ADDRESS",
                       help="run on the Dask cluster at this address, tcp://HOST:8786 "
                            "(default: $DIGITS_SCHEDULER, else a local cluster)")
    batch.add_argument("--workers", type=int, help="local worker processes (default: one per core)")
    batch.add_argument("--part-size", type=int,
                       help="files per part, the unit of work, of output and of what a lost worker costs "
                            "(default: 1000)")

    export = add("export", command_export, "export a Keras model to ONNX or LiteRT and check it against Keras")
    export.add_argument("--format", choices=["onnx", "litert"], default="onnx",
                        help="onnx, or litert (.tflite, one image per call, for phones) (default: onnx)")
    export.add_argument("--precision", choices=["float32", "int8"], default="float32",
                        help="int8: statically quantised, calibrated on validation images; about twice as fast on CPU")
    export.add_argument("--model", help="Keras model to export, or a shipped model's name (default: default)")
    export.add_argument("--out", help="output path (default: the model's path with .onnx or .tflite; "
                                           "in the current folder for a shipped model)")
    json_flag(export)

    report = add("report", command_report, "write figures and an HTML report about a model")
    report.add_argument("images", nargs="*", metavar="IMAGE", help="your own images to explain (optional)")
    model_flag(report)
    report.add_argument("--out", default="report", help="output folder (default: report)")
    json_flag(report)

    serve = add("serve", command_serve, "serve the HTTP API and the drawing page")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000, help="port (default: 8000)")
    model_flag(serve)
    serve.add_argument("--max-bytes", type=int, default=5 * 1024 * 1024,
                       help="largest request body in bytes, refused from its Content-Length or while it "
                            "arrives (default: 5 MB)")
    serve.add_argument("--max-pixels", type=int, default=16_000_000,
                       help="largest image in pixels, refused before decoding (default: 16 million)")
    serve.add_argument("--workers", type=int, default=2,
                       help="images decoded and recognised at once (default: 2)")
    serve.add_argument("--max-in-flight", type=int, default=64,
                       help="requests admitted at once, uploads still arriving included; more are answered "
                            "503 (default: 64)")
    serve.add_argument("--header-timeout", type=float, default=10.0,
                       help="seconds for a request's line and headers (default: 10)")
    serve.add_argument("--body-timeout", type=float, default=30.0,
                       help="seconds for a request's whole body, answered 408 after (default: 30)")
    serve.add_argument("--idle-timeout", type=float, default=5.0,
                       help="seconds a connection may stay open sending nothing (default: 5)")
    serve.add_argument("--allowed-hosts", nargs="+", default=[], metavar="HOST",
                       help="Host names served besides 127.0.0.1, localhost, [::1] and --host; '*' for any "
                            "(default: none)")
    serve.add_argument("--allowed-origins", nargs="+", default=[], metavar="ORIGIN",
                       help="origins (http://name:port) whose pages may call the API besides its own; '*' for "
                            "any (default: none)")
    serve.add_argument("--max-batch-files", type=int, default=16,
                       help="files one POST /api/batch may hold (default: 16)")
    serve.add_argument("--store", default="",
                       help="where POST /api/corrections and the page's 'that's wrong' keep corrections: a SQLite "
                            "file or a postgresql:// URL (default: ~/.local/share/digits/corrections.db)")
    add_correction_commands(add, json_flag, model_flag)
    return main


def ranks(text: str) -> int:
    """``--top``'s value: how many digits to rank, 1 to 10."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is no whole number; give 1 to 10") from None
    if not 1 <= value <= 10:
        raise argparse.ArgumentTypeError(f"{value} digits cannot be ranked; give 1 to 10")
    return value


def add_correction_commands(add, json_flag, model_flag) -> None:
    """`correct`, `corrections` and `tune`: a person's corrections, and a model tuned on them."""
    from digits.tuning import TuneConfig

    def store_flag(command: argparse.ArgumentParser) -> None:
        command.add_argument("--store", help="corrections store: a SQLite file, or postgresql://user@host/database "
                                             "(default: $XDG_DATA_HOME/digits/corrections.db, "
                                             "~/.local/share/digits/corrections.db)")

    correct = add("correct", command_correct, "store a correction: what an image really shows")
    correct.add_argument("image", metavar="IMAGE", help="the image the model got wrong")
    correct.add_argument("digit", metavar="DIGIT", nargs="?", help="what it really is, 0-9")
    correct.add_argument("--not-a-digit", action="store_true", help="it is not a digit at all")
    correct.add_argument("--writer", help="whose handwriting it is, for `digits tune --writer` (default: none)")
    store_flag(correct)
    model_flag(correct)
    json_flag(correct)

    corrections = add("corrections", command_corrections, "list, export or delete stored corrections")
    actions = corrections.add_subparsers(dest="action", required=True, metavar="ACTION")
    listing = actions.add_parser("list", help="one line per correction: id, label, the model's answer, writer, "
                                              "source, time")
    export = actions.add_parser("export", help="write them as a data set: 28x28 PNGs, originals and labels.csv")
    export.add_argument("folder", metavar="FOLDER", help="a new (or empty) folder to write")
    delete = actions.add_parser("delete", help="delete by id, or all of a writer's")
    delete.add_argument("ids", nargs="*", type=int, metavar="ID", help="the ids to delete")
    for action in (listing, export, delete):
        action.add_argument("--writer", help="only this writer's corrections" if action is not delete else
                            "delete all of this writer's corrections (with ids: only those of theirs)")
        store_flag(action)
        json_flag(action)

    defaults = TuneConfig()
    tune = add("tune", command_tune, "a personal model: the shipped model tuned on a writer's corrections")
    tune.add_argument("--writer", required=True, help="whose corrections to learn")
    store_flag(tune)
    tune.add_argument("--out", help="the personal model, .onnx (default: runs/WRITER.onnx; serve it with "
                                    "--model WRITER)")
    tune.add_argument("--base", help=f"shipped model (or .keras file) to start from (default: {defaults.base})")
    tune.add_argument("--epochs", type=int, nargs="+", help=f"epoch counts cross-validation chooses among "
                                                             f"(default: {' '.join(map(str, defaults.epochs))})")
    tune.add_argument("--learning-rates", type=float, nargs="+",
                      help=f"learning rates it chooses among (default: "
                           f"{' '.join(f'{value:g}' for value in defaults.learning_rates)})")
    tune.add_argument("--folds", type=int, help=f"cross-validation folds (default: {defaults.folds})")
    tune.add_argument("--mnist-images", type=int,
                      help=f"MNIST training images mixed in per epoch (default: {defaults.mnist_images})")
    tune.add_argument("--correction-share", type=float,
                      help=f"the corrections' share of each epoch, repeated as needed "
                           f"(default: {defaults.correction_share})")
    tune.add_argument("--batch-size", type=int, help=f"images per step (default: {defaults.batch_size})")
    tune.add_argument("--max-mnist-drop", type=float,
                      help=f"largest fall in MNIST accuracy allowed, a fraction (default: {defaults.max_mnist_drop}, "
                           f"0.1 points)")
    tune.add_argument("--seed", type=int, help=f"random seed (default: {defaults.seed})")
    json_flag(tune)


def needs_keras(arguments: argparse.Namespace) -> bool:
    model = getattr(arguments, "model", None) or ""
    # `train` imports Keras itself, once its settings are checked.
    keras_model = model.endswith((".keras", ".h5", ".hdf5"))
    return arguments.command == "export" or (arguments.command != "train" and keras_model)


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    arguments = parser().parse_args(argv)
    if needs_keras(arguments):
        from digits.quiet import import_keras_quietly

        import_keras_quietly()
    code = run_command(arguments)
    if argv is None and arguments.command == "train":
        # The process's own command line: a finished run has written and closed its files, and
        # TensorFlow's teardown at interpreter exit (a second or two on two cores) does nothing for it.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    return code


def run_command(arguments: argparse.Namespace) -> int:
    """Call the command's function; turn the errors a user can act on into a message and an exit code."""
    try:
        return arguments.function(arguments)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader went away (`digits predict … | head`): nothing to tell it. Later writes,
        # Python's own flush at exit included, go nowhere instead of failing again.
        try:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        except (OSError, ValueError):
            pass
        return EXIT_ERROR
    except (ValueError, OSError, RuntimeError) as error:
        from digits.data import DataUnavailableError

        # The data error lists every source tried, one per line; everything else is one line.
        message = str(error) if isinstance(error, DataUnavailableError) else first_line(error)
        print(f"digits: error: {message}", file=sys.stderr)
        return EXIT_ERROR


def first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


if __name__ == "__main__":
    sys.exit(main())
