"""Import Keras without TensorFlow's C++ start-up notices on stderr.

Every module that needs Keras imports it through ``import_keras_quietly``, so the CLI, the
Python API and a notebook all start the same way: no oneDNN, CPU-feature or absl notices,
but any other line TensorFlow prints while loading (a real problem) still reaches stderr.
``notices_dropped`` does the same around any other call that prints them (LiteRT's interpreter).
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
import tempfile

# The notices TensorFlow prints from C++ on every start on a CPU-only machine; nothing a user can act on.
NOTICES = re.compile(
    r"oneDNN custom operations are on|TF_ENABLE_ONEDNN_OPTS|"
    r"All log messages before absl::InitializeLog\(\) is called|"
    r"cpu_feature_guard|This TensorFlow binary is optimized|To enable the following instructions|"
    r"rebuild TensorFlow with the appropriate compiler flags|"
    r"Unable to register cu(DNN|FFT|BLAS) factory|computation placer already registered|"
    r"could not find cuda drivers|Could not find cuda drivers|cuda_executor|TF-TRT Warning|"
    r"Created TensorFlow Lite XNNPACK delegate for CPU"
)


def without_notices(text: str) -> str:
    """``text`` less the lines that are TensorFlow's start-up notices."""
    return "".join(line for line in text.splitlines(keepends=True) if not NOTICES.search(line))


@contextlib.contextmanager
def notices_dropped():
    """Capture file descriptor 2 meanwhile; then write what was captured to stderr, less the notices.

    The notices come from C++, past Python's reach (``TF_CPP_MIN_LOG_LEVEL`` does not silence
    them all). An exception inside still raises, after the captured lines are given back.
    """
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile(mode="w+b") as captured:
        os.dup2(captured.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            captured.seek(0)
            rest = without_notices(captured.read().decode("utf-8", errors="replace"))
            if rest:
                sys.stderr.write(rest)
                sys.stderr.flush()


# Keras imports these at start-up, when installed, for its scikit-learn wrappers, its image
# gallery plot and its notebook file editor, none of which digits uses: about a fifth of the
# import time (scikit-learn brings SciPy's statistics with it). They stay importable afterwards.
UNUSED_BY_KERAS = ("sklearn", "matplotlib", "IPython")


@contextlib.contextmanager
def hidden(names: tuple[str, ...]):
    """Make ``import NAME`` raise ImportError meanwhile, for each of ``names`` not imported yet."""
    hiding = [name for name in names if name not in sys.modules]
    sys.modules.update(dict.fromkeys(hiding))
    try:
        yield
    finally:
        for name in hiding:
            if sys.modules.get(name, "") is None:
                del sys.modules[name]


def import_keras_quietly():
    """Import and return ``keras`` without TensorFlow's start-up notices; other lines still show."""
    if "keras" in sys.modules:
        return sys.modules["keras"]
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    with notices_dropped(), hidden(UNUSED_BY_KERAS):
        import keras
    return keras
