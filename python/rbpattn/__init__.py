"""rbpattn: transformer encoders for RNA-binding-protein site prediction, from Python.

A thin layer over the C library librbpattn through ctypes (no compiled extension), with numpy
arrays in and out::

    import rbpattn
    model = rbpattn.Model.load("pum2.rbp")
    scores = model.predict(["ACGUACGUUGUAUAUA", "GGGCCCAAAUUU"])      # float32 (2,)
    attn = model.attention("ACGUACGUUGUAUAUA")                      # (layers, heads, L, L)
    ds = rbpattn.Dataset.from_fasta("data/pum2/test.fa.gz")
    print(rbpattn.roc_auc(model.predict(ds), ds.targets))

The library is found through $RBPATTN_LIBRARY (a path to librbpattn.so, e.g. the build
tree's), then next to this package, then pkg-config's libdir for rbpattn, then the system
loader. Failing library calls raise rbpattn.Error with the library's message.
"""
from . import _lib
from ._lib import Error
from .dataset import Dataset
from .metrics import (accuracy, average_precision, log_loss, mse, pearson, pr_curve, r2, roc_auc, roc_curve,
                      spearman)
from .model import PRESET_MEMBERS, PRESETS, Model, attention_rollout, bundled_models, find_model

__version__ = "0.1.0"  # the project's version (CMakeLists.txt); a test keeps the two equal

#: Path of the librbpattn that was loaded.
library_path = _lib.path

__all__ = ["Error", "Dataset", "Model", "PRESETS", "PRESET_MEMBERS", "attention_rollout", "bundled_models", "find_model",
           "accuracy", "average_precision",
           "log_loss", "mse", "pearson", "pr_curve", "r2", "roc_auc", "roc_curve", "spearman", "version",
           "set_num_threads", "get_num_threads", "gemm_backend", "has_metadata", "library_path"]


def version():
    """Version string of the loaded librbpattn, e.g. "0.1.0"."""
    return _lib.lib.rbp_version_string().decode()


def set_num_threads(n):
    """Set the BLAS back-end's thread count for the whole process (1..1024). Prediction
    threads are separate: Model.predict(threads=...)."""
    _lib.check(_lib.lib.rbp_set_num_threads(n))


def get_num_threads():
    """The BLAS thread count last set by set_num_threads (1 by default)."""
    return int(_lib.lib.rbp_get_num_threads())


def gemm_backend():
    """The matrix-product back-end in use: "BLAS", "built-in AVX-512" or "built-in AVX2"."""
    return _lib.lib.rbp_gemm_backend().decode()


def has_metadata():
    """True if the loaded librbpattn supports model metadata (Model.metadata is then read
    from the model; otherwise it is always {} and setting it raises Error)."""
    return _lib.has("rbp_model_meta_count")
