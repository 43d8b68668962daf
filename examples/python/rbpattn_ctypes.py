#!/usr/bin/env python3
"""rbpattn from Python through ctypes - no compiled extension, only the C ABI.

Loads librbpattn.so, builds a dataset from Python strings, creates a small model, trains it for
a few steps on a planted-motif task, predicts, and reads one attention map, checking every
status code and printing rbp_last_error() on failure. Run:

    python3 examples/python/rbpattn_ctypes.py build/librbpattn.so

Config structs are filled by the library's own *_init functions inside opaque, generously sized
buffers, and fields are written at their C offsets (declared below), so Python never needs
the struct layout of fields it does not touch.
"""
import ctypes as C
import random
import sys

lib = C.CDLL(sys.argv[1] if len(sys.argv) > 1 else "librbpattn.so.0")

RBP_OK = 0
lib.rbp_last_error.restype = C.c_char_p
lib.rbp_version_string.restype = C.c_char_p
for fn in ("rbp_dataset_options_init", "rbp_model_config_init", "rbp_train_config_init"):
    getattr(lib, fn).argtypes = [C.c_void_p, C.c_uint32]
lib.rbp_dataset_from_strings.argtypes = [C.POINTER(C.c_void_p), C.POINTER(C.c_char_p), C.POINTER(C.c_float),
                                         C.c_void_p, C.c_size_t, C.c_void_p]
lib.rbp_model_create.argtypes = [C.POINTER(C.c_void_p), C.c_void_p]
lib.rbp_trainer_create.argtypes = [C.POINTER(C.c_void_p), C.c_void_p, C.c_void_p]
lib.rbp_trainer_fit.argtypes = [C.c_void_p, C.c_void_p, C.c_void_p]
lib.rbp_session_create.argtypes = [C.POINTER(C.c_void_p), C.c_void_p, C.c_void_p]
lib.rbp_session_predict.argtypes = [C.c_void_p, C.c_void_p, C.c_int32, C.POINTER(C.c_float)]
lib.rbp_metric_roc_auc.argtypes = [C.POINTER(C.c_float), C.POINTER(C.c_float), C.c_size_t, C.POINTER(C.c_double)]
lib.rbp_session_attention.argtypes = [C.c_void_p, C.c_int32, C.POINTER(C.c_float)]
lib.rbp_model_num_params.argtypes = [C.c_void_p]
lib.rbp_model_num_params.restype = C.c_size_t
for fn in ("rbp_dataset_free", "rbp_model_free", "rbp_trainer_free", "rbp_session_free"):
    getattr(lib, fn).argtypes = [C.c_void_p]


def check(status, what):
    if status != RBP_OK:
        raise RuntimeError(f"{what}: {lib.rbp_last_error().decode()} (status {status})")


# Offsets of the fields we set (int32/float after the uint32 version; see the headers).
class ModelConfig(C.Structure):  # rbp_model_config, leading fields
    _fields_ = [("version", C.c_uint32), ("seq_len", C.c_int32), ("d_model", C.c_int32), ("n_heads", C.c_int32),
                ("n_layers", C.c_int32), ("d_ff", C.c_int32), ("head_hidden", C.c_int32), ("dropout", C.c_float),
                ("ln_eps", C.c_float), ("task", C.c_int32), ("norm", C.c_int32), ("activation", C.c_int32),
                ("pooling", C.c_int32), ("_rest", C.c_byte * 512)]


class TrainConfig(C.Structure):  # rbp_train_config, leading fields
    _fields_ = [("version", C.c_uint32), ("epochs", C.c_int32), ("batch_size", C.c_int32), ("optimizer", C.c_int32),
                ("lr", C.c_float), ("lr_scale", C.c_float), ("beta1", C.c_float), ("beta2", C.c_float),
                ("eps", C.c_float), ("weight_decay", C.c_float), ("schedule", C.c_int32),
                ("warmup_steps", C.c_int32), ("_rest", C.c_byte * 512)]


def main():
    L, motif, rng = 24, "UGCAUG", random.Random(1)
    seqs, ys = [], []
    for _ in range(1200):
        s = [rng.choice("ACGU") for _ in range(L)]
        if rng.random() < 0.5:
            p = rng.randrange(L - len(motif) + 1)
            s[p:p + len(motif)] = motif
        s = "".join(s)
        seqs.append(s.encode())
        ys.append(1.0 if motif in s else 0.0)
    n = len(seqs)
    c_seqs = (C.c_char_p * n)(*seqs)
    c_y = (C.c_float * n)(*ys)
    ds = C.c_void_p()
    check(lib.rbp_dataset_from_strings(C.byref(ds), c_seqs, c_y, None, n, None), "dataset")

    mc = ModelConfig()
    check(lib.rbp_model_config_init(C.byref(mc), 1), "model config")
    mc.seq_len, mc.d_model, mc.n_heads, mc.n_layers, mc.d_ff, mc.head_hidden = L, 16, 2, 1, 32, 16
    mc.dropout, mc.pooling = 0.0, 2  # max pooling
    model = C.c_void_p()
    check(lib.rbp_model_create(C.byref(model), C.byref(mc)), "model")

    tc = TrainConfig()
    check(lib.rbp_train_config_init(C.byref(tc), 1), "train config")
    tc.epochs, tc.batch_size, tc.schedule, tc.lr, tc.warmup_steps = 3, 32, 1, 3e-3, 0  # constant 3e-3
    trainer = C.c_void_p()
    check(lib.rbp_trainer_create(C.byref(trainer), model, C.byref(tc)), "trainer")
    check(lib.rbp_trainer_fit(trainer, ds, None), "fit")

    # Inference runs in a session over the (now read-only) model; NULL options = defaults.
    session = C.c_void_p()
    check(lib.rbp_session_create(C.byref(session), model, None), "session")
    pred = (C.c_float * n)()
    check(lib.rbp_session_predict(session, ds, 256, pred), "predict")
    auc = C.c_double()
    check(lib.rbp_metric_roc_auc(pred, c_y, n, C.byref(auc)), "auc")
    att = (C.c_float * (1 * 2 * L * L))()
    check(lib.rbp_session_attention(session, 0, att), "attention")  # example 0 of the last batch
    row_sum = sum(att[0:L])
    # An error comes back as a status and a message, never a crash.
    bad = C.c_void_p()
    status = lib.rbp_model_create(C.byref(bad), None)
    print(f"rbpattn {lib.rbp_version_string().decode()} via ctypes: {lib.rbp_model_num_params(model)} parameters, "
          f"training AUC after 3 epochs {auc.value:.3f}, attention row sum {row_sum:.4f}; "
          f"bad call -> status {status}: {lib.rbp_last_error().decode()}")
    assert status != RBP_OK and abs(row_sum - 1) < 1e-4 and auc.value > 0.6
    lib.rbp_session_free(session)
    lib.rbp_trainer_free(trainer)
    lib.rbp_model_free(model)
    lib.rbp_dataset_free(ds)


if __name__ == "__main__":
    main()
