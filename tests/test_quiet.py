"""TensorFlow's start-up notices are dropped wherever `digits` imports Keras; anything else still shows."""

import os
import subprocess
import sys
import textwrap

import pytest

from digits.quiet import notices_dropped, without_notices

NOTICES = """WARNING: All log messages before absl::InitializeLog() is called are written to STDERR
I0000 00:00:1795698887.537383   18158 cpu_feature_guard.cc:227] This TensorFlow binary is optimized to use available CPU instructions in performance-critical operations.
To enable the following instructions: AVX2 FMA, in other operations, rebuild TensorFlow with the appropriate compiler flags.
I0000 00:00:1795698887.1 18158 port.cc:153] oneDNN custom operations are on. You may see slightly different numerical results due to floating-point round-off errors from different computation orders. To turn them off, set the environment variable `TF_ENABLE_ONEDNN_OPTS=0`.
"""


def run_python(code: str, path: str | None = None) -> subprocess.CompletedProcess:
    environment = {key: value for key, value in os.environ.items() if key != "TF_CPP_MIN_LOG_LEVEL"}
    if path:
        environment["PYTHONPATH"] = path + os.pathsep + environment.get("PYTHONPATH", "")
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                          env=environment, timeout=120)


def test_notices_are_dropped_and_other_lines_kept():
    assert without_notices(NOTICES) == ""
    assert without_notices(NOTICES + "E0000 something real failed\n") == "E0000 something real failed\n"


def test_notices_dropped_gives_back_the_other_lines_written_to_descriptor_2(capfd):
    with notices_dropped():
        os.write(2, b"INFO: Created TensorFlow Lite XNNPACK delegate for CPU.\nE0000 a real failure\n")
    assert capfd.readouterr().err == "E0000 a real failure\n"


def test_the_python_api_builds_a_model_without_notices():
    result = run_python("""
        import digits
        digits.build("tutorial")
        print("built")
    """)
    assert result.returncode == 0 and result.stdout == "built\n"
    assert result.stderr == ""


def test_a_line_that_is_not_a_notice_and_a_failed_import_still_show(tmp_path):
    (tmp_path / "keras.py").write_text("import os\nos.write(2, b'oneDNN custom operations are on\\n"
                                       "libcudart.so: a real problem\\n')\nraise ImportError('keras is broken')\n")
    result = run_python("""
        from digits.quiet import import_keras_quietly
        try:
            import_keras_quietly()
        except ImportError as error:
            print("raised:", error)
    """, path=str(tmp_path))
    assert result.stdout == "raised: keras is broken\n"
    assert result.stderr == "libcudart.so: a real problem\n"



def test_hidden_modules_cannot_be_imported_meanwhile_and_can_be_afterwards(tmp_path, monkeypatch):
    from digits.quiet import hidden

    (tmp_path / "hidden_probe.py").write_text("VALUE = 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "hidden_probe", raising=False)
    with hidden(("hidden_probe", "os")):
        with pytest.raises(ImportError):
            import hidden_probe  # noqa: F401
        assert sys.modules["os"] is os  # already imported: left alone
    import hidden_probe

    assert hidden_probe.VALUE == 1


def test_keras_comes_without_scikit_learn_and_matplotlib_which_stay_importable():
    result = run_python("""
        import sys
        from digits.quiet import import_keras_quietly
        import_keras_quietly()
        print(sorted(name for name in ("sklearn", "matplotlib", "IPython") if name in sys.modules))
        import matplotlib.pyplot
        print("importable")
    """)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["[]", "importable"]
