"""Import Keras without TensorFlow's C++ start-up notices on stderr."""

from __future__ import annotations

import os
import sys


def import_keras_quietly():
    """Import and return ``keras`` with file descriptor 2 pointed at /dev/null meanwhile.

    TensorFlow prints oneDNN and CPU-feature notices from C++ at import, past Python's
    reach (``TF_CPP_MIN_LOG_LEVEL`` does not silence them all). Errors still raise.
    """
    if "keras" in sys.modules:
        return sys.modules["keras"]
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    sys.stderr.flush()
    saved = os.dup(2)
    quiet = os.open(os.devnull, os.O_WRONLY)
    os.dup2(quiet, 2)
    try:
        import keras
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(quiet)
    return keras
