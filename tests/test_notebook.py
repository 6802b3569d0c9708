"""The tutorial notebook is stored with the outputs of its run, and runs end to end (with a tiny run)."""

import importlib.util
import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "notebooks" / "tutorial.ipynb"
NOTICES = re.compile(r"oneDNN|cpu_feature_guard|absl::InitializeLog|TensorFlow binary is optimized")


def make_notebook():
    spec = importlib.util.spec_from_file_location("make_notebook", ROOT / "scripts" / "make_notebook.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def code_cells(notebook):
    return [cell for cell in notebook.cells if cell.cell_type == "code"]


def outputs_of(notebook) -> list:
    return [output for cell in code_cells(notebook) for output in cell.outputs]


def text_of(notebook) -> str:
    return "".join(output.get("text", "") for output in outputs_of(notebook))


def images_in(notebook) -> list:
    return [output for output in outputs_of(notebook) if "image/png" in output.get("data", {})]


def test_stored_notebook_is_the_scripts_cells_with_the_outputs_of_one_run():
    stored = nbformat.read(NOTEBOOK, as_version=4)
    assert [cell.source for cell in stored.cells] == [cell.source for cell in make_notebook().notebook().cells], \
        "run scripts/make_notebook.py after changing its cells"
    assert [cell.execution_count for cell in code_cells(stored)] == list(range(1, len(code_cells(stored)) + 1))
    assert not [output for output in outputs_of(stored) if output.output_type == "error"]
    assert not NOTICES.search(text_of(stored)), "TensorFlow's start-up notices belong nowhere in the notebook"
    assert "test accuracy" in text_of(stored) and len(images_in(stored)) == 3


def test_notebook_explains_every_layer_of_the_network_it_builds():
    stored = nbformat.read(NOTEBOOK, as_version=4)
    summary = re.sub(r"\x1b\[[0-9;]*m", "", "".join(output["data"]["text/plain"] for output in outputs_of(stored)
                                                   if "Layer (type)" in output.get("data", {}).get("text/plain", "")))
    # Each row of Keras's summary: "│ conv2d (Conv2D) │ (None, 26, 26, 32) │ 320 │".
    rows = re.findall(r"│ \w+ \((\w+)\)\s+│ \(None, ([\d, ]+)\)", summary)
    assert len(rows) == 8
    explanation = next(cell.source for cell in stored.cells if "What each layer does" in cell.source)
    table = [line for line in explanation.splitlines() if line.startswith("| `")]
    assert len(table) == len(rows)
    for line, (layer_type, shape) in zip(table, rows):
        assert line.startswith(f"| `{layer_type}") and f"| {shape.replace(', ', '×')} |" in line, (line, shape)
    # No array built for show and never used.
    assert not [cell for cell in code_cells(stored) if re.search(r"^x\s*=", cell.source, re.MULTILINE)]


def test_notebook_executes_with_a_tiny_run(tmp_path, mnist, monkeypatch):
    from nbclient import NotebookClient

    # The kernel starts as a user's would, without the test suite's TensorFlow log setting.
    monkeypatch.delenv("TF_CPP_MIN_LOG_LEVEL", raising=False)
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    parameters = next(cell for cell in notebook.cells if "parameters" in cell.metadata.get("tags", []))
    parameters.source = f'PRESET = "fast"\nEPOCHS = 1\nTRAIN_IMAGES = 1200\nOUT_DIR = r"{tmp_path}"'
    NotebookClient(notebook, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    outputs = text_of(notebook)
    assert "(60000, 28, 28) (10000, 28, 28) uint8" in outputs
    assert "[5 0 4 1 9 2 1 3 1 4 3 5 3 6 1 7 2 8 6 9 4 0 9 1 1 2 4 3 2 7 3 8 6 9 0 5]" in outputs
    assert "test accuracy" in outputs and "trained here: " in outputs and "shipped: 3 (" in outputs
    assert not NOTICES.search(outputs)
    assert len(images_in(notebook)) == 3  # the sample, the training curves, your image
    assert (tmp_path / "notebook.keras").exists() and (tmp_path / "test_model.h5").exists()
    with pytest.raises(StopIteration):
        next(output for output in outputs_of(notebook) if output.output_type == "error")
