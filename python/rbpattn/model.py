"""rbpattn.Model: a transformer encoder with training, prediction and explanations."""
import ctypes as C
import math
import sys
import threading
import weakref

import numpy as np

from . import _layout as L
from ._lib import Error, check, cstr, has, init_struct, lib, path as _libpath, set_fields, struct_dict
from .dataset import Dataset, dataset_options

#: The library's presets (rbpattn/preset.h), "default" first: name -> one-line summary.
#: "default" is the RBP-31 benchmark's model, "study" the COMSW 4762 study's transformer.
PRESETS = {lib.rbp_preset_name(i).decode(): lib.rbp_preset_summary(lib.rbp_preset_name(i)).decode()
           for i in range(lib.rbp_preset_count())}


def _preset_members(name):
    n = C.c_int32()
    check(lib.rbp_preset_members(cstr(name), C.byref(n)))
    return n.value


#: How many seeds each preset's model is an ensemble of (rbp_preset_members; 1 = one model).
#: :meth:`Model.fit` trains one model: for "default" (2), fit models with seeds 1 and 2 and
#: combine them with :meth:`Model.ensemble`, as rbpattn-train does.
PRESET_MEMBERS = {name: _preset_members(name) for name in PRESETS}


def _fptr(a):
    return a.ctypes.data_as(C.POINTER(C.c_float))


def _free_model(ptr, sessions):
    # Sessions borrow the model: free them first.
    for s in sessions.values():
        lib.rbp_session_free(s)
    sessions.clear()
    lib.rbp_model_free(ptr)


class Model:
    """A transformer encoder model (an rbp_model), with its inference sessions.

    ``Model()`` is the "default" preset (the RBP-31 benchmark's model, as rbpattn-train);
    ``Model("study")``, ``Model("small")`` or ``Model("tiny")`` another preset (see PRESETS),
    whose training settings :meth:`fit` then uses too; ``Model({...})`` starts from the C
    library's initial values (the study's architecture) instead. Keyword arguments set fields
    of the C ``rbp_model_config`` (``seq_len``, ``d_model``, ``n_heads``, ``n_layers``,
    ``d_ff``, ``head_hidden``, ``dropout``, ``task`` = "classification"/"regression",
    ``norm`` = "post"/"pre", ``activation`` = "relu"/"gelu", ``pooling`` =
    "flatten"/"mean"/"max", ``use_structure``, ``use_viewpoint``, ``seed``, ``conv_kernel``,
    ``stem_filters``, ``stem_pool``).
    :meth:`load` reads a saved model. The C objects are freed by :meth:`close`, at the end
    of a ``with`` block, or when the object is collected. Calls on one Model are serialised
    (it holds one session per thread count); use one Model per thread for parallel work.
    """

    def __init__(self, config=None, **overrides):
        cfg = init_struct(L.rbp_model_config, "rbp_model_config_init", L.RBP_MODEL_CONFIG_VERSION)
        preset = "default" if config is None else config if isinstance(config, str) else None
        if preset is not None:
            if preset not in PRESETS:
                raise ValueError(f"unknown preset {preset!r} (one of {', '.join(PRESETS)})")
            check(lib.rbp_preset_apply(cstr(preset), C.byref(cfg), None, None, None))
        else:
            set_fields(cfg, dict(config))
        set_fields(cfg, overrides)
        ptr = C.c_void_p()
        check(lib.rbp_model_create(C.byref(ptr), C.byref(cfg)))
        self._adopt(ptr.value, preset)

    def _adopt(self, ptr, preset=None):
        self._preset = preset  # whose training settings fit() starts from; None = the library's
        self._ptr = ptr
        self._sessions = {}  # n_threads -> rbp_session*
        self._lock = threading.RLock()
        self._finalizer = weakref.finalize(self, _free_model, ptr, self._sessions)

    @classmethod
    def load(cls, path):
        """Load a model saved by :meth:`save`, rbpattn-train --save or a trainer checkpoint,
        or a bundled model by name (``Model.load("PUM2")``; see :func:`bundled_models`)."""
        path = find_model(path)
        ptr = C.c_void_p()
        check(lib.rbp_model_load(C.byref(ptr), cstr(path)))
        m = cls.__new__(cls)
        m._adopt(ptr.value)
        return m

    @classmethod
    def ensemble(cls, models):
        """A new ensemble Model whose members are those of `models` (Models of one
        architecture, e.g. trained with other seeds; each may itself be an ensemble). It
        predicts the mean of the members' logits; its attention maps and saliency are the
        means of theirs. It carries the first model's metadata plus "ensemble.members"."""
        models = list(models)
        if not models:
            raise ValueError("rbpattn.Model.ensemble: no models")
        arr = (C.c_void_p * len(models))(*[m.ptr for m in models])
        ptr = C.c_void_p()
        check(lib.rbp_model_ensemble(C.byref(ptr), arr, len(models)))
        m = cls.__new__(cls)
        m._adopt(ptr.value)
        return m

    def member(self, i):
        """A new single Model holding a copy of member `i` (0-based) of this ensemble."""
        ptr = C.c_void_p()
        check(lib.rbp_model_member(C.byref(ptr), self.ptr, int(i)))
        m = type(self).__new__(type(self))
        m._adopt(ptr.value)
        return m

    @property
    def num_members(self):
        """Members of an ensemble (1 for a model trained alone)."""
        return int(lib.rbp_model_num_members(self.ptr)) if has("rbp_model_num_members") else 1

    def save(self, path):
        """Write the model (configuration, weights, metadata) to `path` atomically."""
        check(lib.rbp_model_save(self.ptr, cstr(path)))

    @property
    def ptr(self):
        """The rbp_model* (an int) for calls into the C library; ValueError once closed."""
        if not self._finalizer.alive:
            raise ValueError("rbpattn.Model: used after close()")
        return self._ptr

    def close(self):
        """Free the sessions and the C model now (idempotent)."""
        with self._lock:
            self._finalizer()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __repr__(self):
        if not self._finalizer.alive:
            return "<rbpattn.Model closed>"
        c = self.config
        return (f"<rbpattn.Model {c['task']} L={c['seq_len']} d={c['d_model']} heads={c['n_heads']} "
                f"layers={c['n_layers']} params={self.num_params}>")

    # ------------------------------------------------------------ description

    def _config_struct(self):
        cfg = L.rbp_model_config()
        check(lib.rbp_model_get_config(self.ptr, C.byref(cfg)))
        return cfg

    @property
    def config(self):
        """The configuration as a dict (enum fields by name: task "classification", ...)."""
        return struct_dict(self._config_struct())

    @property
    def seq_len(self):
        """Positions per sequence the model reads (longer input is truncated, shorter padded)."""
        return self._config_struct().seq_len

    @property
    def num_params(self):
        """Number of scalars (of all members, for an ensemble)."""
        return int(lib.rbp_model_num_params(self.ptr))

    @property
    def file_format(self):
        """Format version of the file the model was loaded from (1, 2, 3...), 0 for a model
        made in memory; None when the library cannot tell (before metadata support)."""
        if not has("rbp_model_file_format"):
            return None
        return int(lib.rbp_model_file_format(self.ptr))

    @property
    def metadata(self):
        """The model's metadata as a dict {key: str | int | float} (encoding.*, task,
        rbpattn.version, created, train.*, test.* and the user's keys; see rbpattn/metadata.h);
        {} when the loaded librbpattn has no metadata support (before 0.2)."""
        if not has("rbp_model_meta_count"):
            return {}
        p, out = self.ptr, {}
        for i in range(lib.rbp_model_meta_count(p)):
            key = lib.rbp_model_meta_key(p, i)
            t = lib.rbp_model_meta_type(p, key)
            if t == L.RBP_META_STRING:
                v = C.c_char_p()
                check(lib.rbp_model_meta_get_string(p, key, C.byref(v)))
                val = v.value.decode("utf-8", "replace")
            elif t == L.RBP_META_INT:
                v = C.c_int64()
                check(lib.rbp_model_meta_get_int(p, key, C.byref(v)))
                val = v.value
            elif t == L.RBP_META_DOUBLE:
                v = C.c_double()
                check(lib.rbp_model_meta_get_double(p, key, C.byref(v)))
                val = v.value
            else:
                continue
            out[key.decode()] = val
        return out

    def _need_meta(self):
        if not has("rbp_model_meta_set_string"):
            raise Error(f"{_libpath} has no model metadata (rbpattn/metadata.h, librbpattn 0.2)",
                        L.RBP_ERR_STATE)

    def set_metadata(self, key, value):
        """Set a metadata key to a str, int (bool counts as int) or float; saved with the model."""
        self._need_meta()
        with self._lock:
            if isinstance(value, str):
                check(lib.rbp_model_meta_set_string(self.ptr, cstr(key), cstr(value)))
            elif isinstance(value, (bool, int, np.integer)):
                check(lib.rbp_model_meta_set_int(self.ptr, cstr(key), int(value)))
            elif isinstance(value, (float, np.floating)):
                check(lib.rbp_model_meta_set_double(self.ptr, cstr(key), float(value)))
            else:
                raise TypeError(f"metadata {key!r}: a str, int or float, not {type(value).__name__}")

    def remove_metadata(self, key):
        """Remove a metadata key (a missing key is not an error)."""
        self._need_meta()
        with self._lock:
            check(lib.rbp_model_meta_remove(self.ptr, cstr(key)))

    def dataset_options(self, **options):
        """Reader options that encode sequences as this model expects: the model's recorded
        encoding (rbp_dataset_options_from_model) when the library has metadata, else the
        library's defaults with ``length`` = seq_len; unlabelled input allowed; `options`
        on top. Returns (struct, keep) as rbpattn.dataset.dataset_options."""
        base = None
        if has("rbp_dataset_options_from_model"):
            base = L.rbp_dataset_options()
            check(lib.rbp_dataset_options_from_model(C.byref(base), self.ptr))
        opts = {} if base is not None else {"length": self.seq_len}
        opts.update(require_target=False, target_column=None)
        opts.update(options)
        return dataset_options(base, **opts)

    def encode(self, sequences, **options):
        """A Dataset of `sequences` (str or list of str) encoded for this model."""
        if isinstance(sequences, (str, bytes)):
            sequences = [sequences]
        return self._dataset(list(sequences), options)

    def _dataset(self, x, options):
        """(dataset, owned): `x` itself if it is a Dataset, else `x` encoded for the model."""
        if isinstance(x, Dataset):
            if options:
                raise TypeError("encoding options apply to sequences, not to a Dataset")
            return x
        if isinstance(x, (str, bytes)):
            x = [x]
        seqs = [cstr(s) for s in x]
        if not seqs:
            raise ValueError("no sequences")
        opt, keep = self.dataset_options(**options)
        ptr = C.c_void_p()
        check(lib.rbp_dataset_from_strings(C.byref(ptr), (C.c_char_p * len(seqs))(*seqs), None, None, len(seqs),
                                           C.byref(opt)))
        return Dataset(ptr.value)

    # ------------------------------------------------------------ inference

    def _session(self, threads):
        s = self._sessions.get(threads)
        if s is None:
            opt = init_struct(L.rbp_session_options, "rbp_session_options_init", L.RBP_SESSION_OPTIONS_VERSION)
            opt.n_threads = threads
            ptr = C.c_void_p()
            check(lib.rbp_session_create(C.byref(ptr), self.ptr, C.byref(opt)))
            s = self._sessions[threads] = ptr.value
        return s

    def _drop_sessions(self):
        for s in self._sessions.values():
            lib.rbp_session_free(s)
        self._sessions.clear()

    def predict(self, x, logits=False, threads=1, batch_size=256, **options):
        """Scores of `x` (a Dataset, a sequence or a list of sequences) as a float32 array (N,).

        Probabilities for a classification model (raw logits with ``logits=True``),
        predicted values for regression. ``threads`` workers share the batches (results
        are identical for any count). Sequences are encoded as the model expects
        (:meth:`dataset_options`; `options` override fields).
        """
        ds = self._dataset(x, options)
        try:
            out = np.empty(len(ds), dtype=np.float32)
            fn = lib.rbp_session_predict_logits if logits else lib.rbp_session_predict
            with self._lock:
                check(fn(self._session(threads), ds.ptr, batch_size, _fptr(out)))
            return out
        finally:
            if ds is not x:
                ds.close()

    def predict_file(self, path, logits=False, threads=1, batch_size=256, chunk=4096, **options):
        """Stream a file (FASTA, CSV/TSV, lines; plain or gzip) through the library's reader
        and score it chunk by chunk, as rbpattn-predict does: returns (ids, scores) with
        ids a list of str and scores float32 (N,). Memory for the C side stays bounded by
        `chunk` records."""
        opt, keep = self.dataset_options(**options)
        reader = C.c_void_p()
        check(lib.rbp_reader_open(C.byref(reader), cstr(path), C.byref(opt)))
        ids, parts = [], []
        buf = np.empty(chunk, dtype=np.float32)
        fn = lib.rbp_session_predict_logits if logits else lib.rbp_session_predict
        try:
            with self._lock:
                session = self._session(threads)
                ds = C.c_void_p()
                while check(lib.rbp_reader_next(reader, chunk, C.byref(ds))) == 1:
                    n = lib.rbp_dataset_size(ds)
                    check(fn(session, ds, batch_size, _fptr(buf)))
                    parts.append(buf[:n].copy())
                    ids.extend(lib.rbp_dataset_id(ds, i).decode("utf-8", "replace") for i in range(n))
        finally:
            lib.rbp_reader_free(reader)
        return ids, (np.concatenate(parts) if parts else np.zeros(0, dtype=np.float32))

    def attention(self, x, index=0, crop=False, **options):
        """Attention weights of one example: float32 (n_layers, n_heads, L, L), row = query,
        column = key; each real query row sums to 1 and padded keys are 0.

        `x` is a sequence, or a Dataset with `index` choosing the row. ``crop=True`` keeps
        only the real (unpadded) positions.
        """
        if isinstance(x, Dataset):
            one = x.subset([index])
        else:
            if index != 0:
                raise ValueError("index applies to a Dataset")
            one = self._dataset([x], options)
        try:
            cfg = self._config_struct()
            out = np.empty((cfg.n_layers, cfg.n_heads, cfg.seq_len, cfg.seq_len), dtype=np.float32)
            score = np.empty(1, dtype=np.float32)
            with self._lock:
                s = self._session(1)
                check(lib.rbp_session_predict(s, one.ptr, 1, _fptr(score)))
                check(lib.rbp_session_attention(s, 0, _fptr(out)))
            if crop:
                real = np.flatnonzero(one.mask[0])
                out = out[:, :, real][:, :, :, real]
            return out
        finally:
            one.close()

    def saliency(self, x, batch_size=64, **options):
        """Gradient x input saliency: float32 (N, L), per position the sum over model
        dimensions of input embedding x d(logit)/d(embedding); positive values push towards
        binding, padding is 0. `x` as for :meth:`predict`."""
        ds = self._dataset(x, options)
        try:
            n, t = len(ds), ds.length
            out = np.zeros((n, t), dtype=np.float32)
            p = ds.ptr
            base = {k: C.cast(getattr(lib, "rbp_dataset_" + k)(p), C.c_void_p).value
                    for k in ("tokens", "mask", "structure", "viewpoint")}
            targets = C.cast(lib.rbp_dataset_targets(p), C.c_void_p).value
            with self._lock:
                s = self._session(1)
                for start in range(0, n, batch_size):
                    b = L.rbp_batch()
                    b.size, b.length = min(batch_size, n - start), t
                    for k, addr in base.items():
                        if addr:
                            setattr(b, k, C.cast(C.c_void_p(addr + start * t), C.POINTER(C.c_uint8)))
                    b.targets = C.cast(C.c_void_p(targets + start * 4), C.POINTER(C.c_float))
                    check(lib.rbp_session_saliency(s, C.byref(b), _fptr(out[start:])))
            return out
        finally:
            if ds is not x:
                ds.close()

    # ------------------------------------------------------------ training

    def fit(self, train, val=None, epochs=None, callback=None, on_step=None, progress=False, **train_config):
        """Train on `train` (a Dataset of the model's length), validating on `val` if given.

        Keyword options are fields of the C ``rbp_train_config`` over the model's preset's
        training settings (the library's initial values for a model made from a config dict or
        loaded; without `val`, a preset's early stopping is off) (``batch_size``, ``lr``, ``schedule`` = "transformer"/"constant"/"cosine",
        ``warmup_steps``, ``optimizer`` = "adam"/"adamw", ``patience``, ``monitor`` =
        "val_loss"/"val_auc"/"val_r2", ``seed``, ...). ``callback(info)`` is called after each
        epoch with a dict (epoch, epochs, train_loss, val_loss, val_auc, val_r2, seconds,
        seqs_per_sec, lr, improved) and ``on_step(info)`` after each step (epoch, step,
        batch, batches, loss, lr, seqs_per_sec); either may return True to stop training
        early (fit then returns normally). An exception raised in a callback stops training
        and is re-raised. ``progress=True`` prints one line per epoch to stderr (and a live
        bar on a terminal). Each call starts a new optimizer. Returns the list of epoch dicts.
        """
        cfg = init_struct(L.rbp_train_config, "rbp_train_config_init", L.RBP_TRAIN_CONFIG_VERSION)
        if self._preset is not None:
            check(lib.rbp_preset_apply(cstr(self._preset), None, C.byref(cfg), None, None))
            if val is None:  # early stopping needs a validation set
                cfg.patience, cfg.monitor = 0, L.RBP_MONITOR_VAL_LOSS
        if epochs is not None:
            cfg.epochs = epochs
        set_fields(cfg, train_config)
        why = lib.rbp_train_config_check(C.byref(cfg))
        if why:
            raise Error(f"train config: {why.decode()}", L.RBP_ERR_INVALID_ARG)
        history, state = [], {"error": None, "stopped": False}
        live = progress and sys.stderr.isatty()

        def guarded(fn, info):
            try:
                if fn(info):
                    state["stopped"] = True
                    return 1
                return 0
            except BaseException as e:  # noqa: B036 - must not unwind through C
                state["error"] = e
                return 1

        def step_cb(p, _user):
            info = {k: getattr(p.contents, k) for k, _ in L.rbp_step_info._fields_}
            if live:
                done = (info["batch"] + 1) / max(info["batches"], 1)
                sys.stderr.write(f"\repoch {info['epoch'] + 1} [{'#' * int(30 * done):<30}] loss {info['loss']:.4f}")
                sys.stderr.flush()
            return guarded(on_step, info) if on_step else 0

        def epoch_cb(p, _user):
            info = {k: getattr(p.contents, k) for k, _ in L.rbp_epoch_info._fields_}
            info["improved"] = bool(info["improved"])
            history.append(info)
            if progress:
                vals = "".join(f" {k} {info[k]:.4f}" for k in ("train_loss", "val_loss", "val_auc", "val_r2")
                               if not math.isnan(info[k]))
                sys.stderr.write(f"{chr(13) if live else ''}epoch {info['epoch'] + 1}/{info['epochs']}{vals} "
                                 f"{info['seconds']:.1f} s {info['seqs_per_sec']:.0f} seq/s\n")
            return guarded(callback, info) if callback else 0

        c_step = L.rbp_step_fn(step_cb) if (on_step or live) else L.rbp_step_fn()
        c_epoch = L.rbp_epoch_fn(epoch_cb)
        with self._lock:
            self._drop_sessions()  # the trainer is the model's one writer
            trainer = C.c_void_p()
            check(lib.rbp_trainer_create(C.byref(trainer), self.ptr, C.byref(cfg)))
            try:
                check(lib.rbp_trainer_set_callbacks(trainer, c_step, c_epoch, None))
                st = lib.rbp_trainer_fit(trainer, train.ptr, val.ptr if val is not None else None)
            finally:
                lib.rbp_trainer_free(trainer)
        if state["error"] is not None:
            raise state["error"]
        if not (st == L.RBP_ERR_CANCELLED and state["stopped"]):
            check(st)
        if train._options is not None and has("rbp_model_meta_set_encoding"):
            # As rbpattn-train: the model records how its inputs were read (dataset_options).
            check(lib.rbp_model_meta_set_encoding(self.ptr, C.byref(train._options[0])))
        return history


def find_model(name):
    """The path of a model: `name` itself when it is an existing file or a path, else the
    bundled model of that name (case-insensitive; rbp_model_find's search path: the
    directories of $RBPATTN_MODEL_PATH, then share/rbpattn/models of the installation and the
    source tree). Raises rbpattn.Error when there is none."""
    import os

    name = os.fspath(name)
    if os.path.exists(name):
        return name
    # the library decides what is a name; a path that is none is left for the loader
    buf = C.create_string_buffer(4096)
    st = lib.rbp_model_find(cstr(name), buf, len(buf))
    if st == L.RBP_ERR_INVALID_ARG:
        return name
    check(st)
    return buf.value.decode()


def bundled_models():
    """The bundled models as a dict: name -> path, in search-path order (the first of a name
    wins, as in :func:`find_model`)."""
    import os

    out, buf, i = {}, C.create_string_buffer(4096), 0
    while lib.rbp_model_bundled(i, buf, len(buf)) == L.RBP_OK:
        p = buf.value.decode()
        out.setdefault(os.path.basename(p)[:-4], p)
        i += 1
    return out


def attention_rollout(attn, mask=None, residual=0.5):
    """Attention rollout (Abnar & Zuidema 2020) of one example's maps.

    `attn` float (n_layers, n_heads, L, L) as from Model.attention; `mask` (L,) with 1 for
    real positions (None: all real). Returns (rollout (L, L), importance (L,)) as float32;
    importance sums to 1 over real positions.
    """
    a = np.ascontiguousarray(attn, dtype=np.float32)
    if a.ndim != 4 or a.shape[2] != a.shape[3]:
        raise ValueError(f"attn: shape (n_layers, n_heads, L, L), not {a.shape}")
    nl, nh, n, _ = a.shape
    m = None
    if mask is not None:
        mask = np.ascontiguousarray(mask, dtype=np.uint8).reshape(-1)
        if mask.size != n:
            raise ValueError(f"mask: {mask.size} values for L = {n}")
        m = mask.ctypes.data_as(C.POINTER(C.c_uint8))
    roll = np.empty((n, n), dtype=np.float32)
    imp = np.empty(n, dtype=np.float32)
    check(lib.rbp_attention_rollout(_fptr(a), nl, nh, n, m, residual, _fptr(roll), _fptr(imp), None))
    return roll, imp
