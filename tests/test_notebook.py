"""The tutorial notebook runs end to end (with a tiny run) and is stored without outputs."""

from pathlib import Path

import nbformat
import pytest

NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "tutorial.ipynb"


def test_notebook_is_stored_without_outputs():
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    code_cells = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert code_cells and all(not cell.outputs and cell.execution_count is None for cell in code_cells)


def test_notebook_executes_with_a_tiny_run(tmp_path, mnist):
    from nbclient import NotebookClient

    notebook = nbformat.read(NOTEBOOK, as_version=4)
    parameters = next(cell for cell in notebook.cells if "parameters" in cell.metadata.get("tags", []))
    parameters.source = f'PRESET = "fast"\nEPOCHS = 1\nTRAIN_IMAGES = 1200\nOUT_DIR = r"{tmp_path}"'
    NotebookClient(notebook, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    outputs = "".join(output.get("text", "") for cell in notebook.cells if cell.cell_type == "code"
                      for output in cell.outputs)
    assert "(60000, 28, 28) (10000, 28, 28) uint8" in outputs
    assert "[5 0 4 1 9 2 1 3 1 4 3 5 3 6 1 7 2 8 6 9 4 0 9 1 1 2 4 3 2 7 3 8 6 9 0 5]" in outputs
    assert "test accuracy" in outputs
    images = [output for cell in notebook.cells if cell.cell_type == "code" for output in cell.outputs
              if "image/png" in output.get("data", {})]
    assert len(images) == 2
    assert (tmp_path / "notebook.keras").exists() and (tmp_path / "test_model.h5").exists()
    with pytest.raises(StopIteration):
        next(output for cell in notebook.cells for output in cell.get("outputs", []) if output.output_type == "error")
