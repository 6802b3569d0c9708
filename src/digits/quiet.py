"""Import Keras without TensorFlow's C++ start-up notices on stderr.

Every module that needs Keras imports it through ``import_keras_quietly``, so the CLI, the
Python API and a notebook all start the same way: no oneDNN, CPU-feature or absl notices,
but any other line TensorFlow prints while loading (a real problem) still reaches stderr.
"""

from __future__ import annotations

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
    r"could not find cuda drivers|Could not find cuda drivers|cuda_executor|TF-TRT Warning"
)


def without_notices(text: str) -> str:
    """``text`` less the lines that are TensorFlow's start-up notices."""
    return "".join(line for line in text.splitlines(keepends=True) if not NOTICES.search(line))


def import_keras_quietly():
    """Import and return ``keras`` with file descriptor 2 captured meanwhile.

    TensorFlow prints oneDNN and CPU-feature notices from C++ at import, past Python's
    reach (``TF_CPP_MIN_LOG_LEVEL`` does not silence them all). What was captured goes back
    to stderr less those notices; an import that fails raises as usual.
    """
    if "keras" in sys.modules:
        return sys.modules["keras"]
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile(mode="w+b") as captured:
        os.dup2(captured.fileno(), 2)
        try:
            import keras
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            captured.seek(0)
            rest = without_notices(captured.read().decode("utf-8", errors="replace"))
            if rest:
                sys.stderr.write(rest)
                sys.stderr.flush()
    return keras
