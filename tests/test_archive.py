"""`digits batch`: Parquet parts that match `digits predict --json`, resume without repeats, survive dead workers."""

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import SAMPLES
from test_batch import kill_on
from digits import archive
from digits.cli import main
from digits.engines import ProcessEngine


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    """Samples (digits, a blank canvas), a broken PNG and a text file that is not an image."""
    root = tmp_path_factory.mktemp("archive")
    for index in range(12):
        sample = ["five-28x28.png", "seven-canvas.png", "three-on-paper.jpg", "blank-canvas.png"][index % 4]
        shutil.copy(SAMPLES / sample, root / f"{index:03d}-{sample}")
    (root / "100-broken.png").write_bytes(b"\x89PNG\r\n\x1a\nbroken")
    (root / "notes.txt").write_text("not an image")
    return root


def predict_json(capsys, *arguments) -> list[dict]:
    main(["predict", "--json", "--workers", "1", *arguments])
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


def batch_rows(out) -> list[dict]:
    table = archive.read_answers(out)
    return [archive.prediction_of(row).to_dict() for row in table.to_pylist()]


def test_rows_equal_predict_json_and_the_summary_counts_them(folder, tmp_path, capsys):
    inputs = [str(folder), str(folder / "notes.txt"), str(tmp_path / "missing.png")]
    expected = predict_json(capsys, *inputs)
    code = main(["batch", *inputs, "--out", str(tmp_path / "out"), "--engine", "processes", "--workers", "2",
                 "--part-size", "4"])
    captured = capsys.readouterr()
    assert code == 1  # error rows, as `digits predict` says
    rows = batch_rows(tmp_path / "out")
    assert sorted(rows, key=lambda row: row["path"]) == sorted(expected, key=lambda row: row["path"])
    assert len(list((tmp_path / "out").glob("part-*.parquet"))) == 4
    # Any Parquet reader given the folder reads every row (the folder's other files are passed by).
    import pyarrow.parquet as pq

    assert pq.read_table(tmp_path / "out").num_rows == 15
    assert "9 answered, 3 declined (no digit), 3 errors; 15 files" in captured.out
    assert "15 files: 0 answered before, 15 to do in 4 parts" in captured.err


def test_number_mode_rows_equal_predict_json(folder, tmp_path, capsys):
    inputs = [str(folder / "000-five-28x28.png"), str(folder / "003-blank-canvas.png"), str(folder / "notes.txt")]
    expected = predict_json(capsys, "--number", *inputs)
    main(["batch", *inputs, "--number", "--out", str(tmp_path / "out"), "--engine", "processes", "--workers", "1"])
    assert batch_rows(tmp_path / "out") == expected
    assert archive.read_answers(tmp_path / "out").column_names[:3] == ["path", "number", "digits"]


class Stop(Exception):
    pass


def test_an_interrupted_run_resumes_with_no_file_answered_twice(folder, tmp_path):
    out = tmp_path / "out"
    plan = archive.make_plan([str(folder)], out, part_size=3)
    assert (plan.total, plan.answered_before, len(plan.parts)) == (13, 0, 5)
    with ProcessEngine(workers=2) as engine:
        finished = 0
        for _ in archive.run(plan, engine):
            finished += 1
            if finished == 2:
                break  # as a kill would: two parts written, the rest not
        again = archive.make_plan([str(folder)], out, part_size=3)
        assert again.answered_before == 6 and again.files_left == 7 and again.run == 2
        list(archive.run(again, engine))
    paths = archive.read_answers(out).column("path").to_pylist()
    assert sorted(paths) == sorted(str(path) for path in folder.iterdir() if path.suffix != ".txt")
    assert archive.make_plan([str(folder)], out, part_size=3).parts == []


def long_batch(tmp_path):
    """(images folder, out folder, command): a `digits batch` of 600 parts of 5 files, so that a run
    cannot finish between its second part and a signal sent then."""
    images = tmp_path / "images"
    images.mkdir()
    for index in range(3000):
        shutil.copy(SAMPLES / "five-28x28.png", images / f"{index:04d}.png")
    out = tmp_path / "out"
    return images, out, [sys.executable, "-m", "digits.cli", "batch", str(images), "--out", str(out),
                         "--engine", "processes", "--workers", "1", "--part-size", "5"]


def test_a_killed_command_resumes_with_no_file_answered_twice_or_missed(tmp_path):
    images, out, command = long_batch(tmp_path)
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 60
    while len(archive.part_files(out)) < 2 and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.05)
    os.killpg(process.pid, signal.SIGKILL)  # the command and its worker processes, as a kill -9 of the job
    process.wait()
    written = len(archive.part_files(out))
    assert 2 <= written < 600
    finished = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert finished.returncode == 0, finished.stderr
    assert f"{written * 5} answered before" in finished.stderr
    paths = archive.read_answers(out).column("path").to_pylist()
    assert sorted(paths) == sorted(str(path) for path in images.iterdir())




@pytest.fixture
def fives(tmp_path):
    paths = []
    for index in range(12):
        path = tmp_path / "in" / f"{index:03d}-five.png"
        path.parent.mkdir(exist_ok=True)
        shutil.copy(SAMPLES / "five-28x28.png", path)
        paths.append(str(path))
    return paths


@pytest.mark.parametrize("when", ["once", "always"])
def test_a_dying_worker_costs_at_most_its_part_which_is_retried(fives, tmp_path, when):
    killer = fives[5].replace("five.png", f"kill-{when}.png")
    shutil.move(fives[5], killer)
    plan = archive.make_plan([str(Path(killer).parent)], tmp_path / "out", part_size=4)
    plan.parts = [archive.Part(part.index, part.paths, part.model, prepare=kill_on) for part in plan.parts]
    with ProcessEngine(workers=2, retries=1) as engine:
        list(archive.run(plan, engine))
    rows = {row["path"]: row for row in archive.read_answers(tmp_path / "out").to_pylist()}
    assert len(rows) == 12 and archive.read_answers(tmp_path / "out").num_rows == 12
    assert all(row["digit"] == 5 for path, row in rows.items() if path != killer)
    if when == "once":
        assert rows[killer]["digit"] == 5
    else:
        assert rows[killer]["error"] == f"{killer}: {archive.WORKER_DIED}"


def test_dask_rows_equal_the_process_pool_and_a_killed_worker_is_retried(fives, tmp_path, dask_engine):
    killer = fives[5].replace("five.png", "kill-once.png")
    shutil.move(fives[5], killer)
    inputs = [str(Path(killer).parent)]
    plan = archive.make_plan(inputs, tmp_path / "dask", part_size=4)
    plan.parts = [archive.Part(part.index, part.paths, part.model, prepare=kill_on) for part in plan.parts]
    list(archive.run(plan, dask_engine))
    local = archive.make_plan(inputs, tmp_path / "local", part_size=4)
    with ProcessEngine(workers=1) as engine:
        list(archive.run(local, engine))
    dask_rows = sorted(archive.read_answers(tmp_path / "dask").to_pylist(), key=lambda row: row["path"])
    assert dask_rows == sorted(archive.read_answers(tmp_path / "local").to_pylist(), key=lambda row: row["path"])
    assert len(dask_rows) == 12 and all(row["digit"] == 5 for row in dask_rows)


def test_a_folder_of_another_model_or_mode_is_refused(folder, tmp_path):
    archive.make_plan([str(folder)], tmp_path, part_size=3)
    with pytest.raises(ValueError, match="use the same --model and --number"):
        archive.make_plan([str(folder)], tmp_path, number=True)


def test_bad_settings_are_one_line_errors(tmp_path, capsys):
    assert main(["batch", "x.png", "--out", str(tmp_path), "--scheduler", "localhost"]) == 1
    assert main(["batch", "--out", str(tmp_path)]) == 1
    assert main(["batch", "x.png", "--out", str(tmp_path), "--part-size", "0"]) == 1
    assert main(["batch", "--from-list", str(tmp_path / "none.txt"), "--out", str(tmp_path)]) == 1
    errors = capsys.readouterr().err.splitlines()
    assert errors == [
        "digits: error: scheduler 'localhost': expected an address such as tcp://HOST:8786",
        "digits: error: no inputs: give folders, files, globs or URLs, or --from-list FILE",
        "digits: error: part size 0: expected a whole number of files, at least 1",
        f"digits: error: --from-list {tmp_path / 'none.txt'}: no such file",
    ]


def test_a_list_file_names_files_and_folders(folder, tmp_path):
    listing = tmp_path / "list.txt"
    listing.write_text(f"# scans\n{folder / '000-five-28x28.png'}\n\n{folder}\n")
    plan = archive.make_plan([], tmp_path / "out", from_list=listing)
    # The file named on its own is not answered again as part of its folder.
    assert plan.total == 13


def default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


def sigint_reaches_a_child() -> bool:
    """Whether a plain Python child started as the test starts the command dies of a SIGINT sent to its group.

    Some ways of starting the test run (a non-interactive shell's background job, some
    runners) leave SIGINT undeliverable to children; there Ctrl-C cannot be imitated at all.
    """
    child = subprocess.Popen([sys.executable, "-c", "import time; print('ready', flush=True); time.sleep(30)"],
                             stdout=subprocess.PIPE, text=True, start_new_session=True, preexec_fn=default_sigint)
    child.stdout.readline()
    os.killpg(child.pid, signal.SIGINT)
    try:
        return child.wait(timeout=10) != 0
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait()
        return False


def test_ctrl_c_keeps_the_parts_written_and_says_how_to_go_on(tmp_path):
    if not sigint_reaches_a_child():
        pytest.skip("SIGINT sent to a child's process group does not reach it in this environment")
    images, out, command = long_batch(tmp_path)
    # The test run may have SIGINT ignored or blocked, which children inherit: give the command
    # SIGINT as a terminal's Ctrl-C finds it.
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                               start_new_session=True, preexec_fn=default_sigint)
    deadline = time.monotonic() + 60
    while len(archive.part_files(out)) < 2 and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.05)
    os.killpg(process.pid, signal.SIGINT)  # as Ctrl-C does: the command and its workers
    _, errors = process.communicate(timeout=60)
    assert process.returncode == 130
    assert "Traceback" not in errors
    assert errors.splitlines()[-1].startswith("interrupted: the ") and "run the same command again" in errors
    kept = archive.read_answers(out).column("path").to_pylist()
    assert len(kept) == len(set(kept)) >= 10
