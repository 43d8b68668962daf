"""rbpattn.Dataset: encoded sequences (tokens, mask, targets, ids) owned by librbpattn."""
import ctypes as C
import weakref

import numpy as np

from . import _layout as L
from ._lib import check, cstr, init_struct, lib, set_fields

# One-hot rows per token: A C G U -> unit vectors, N -> uniform 0.25, padding -> zeros.
_ONE_HOT = np.zeros((L.RBP_VOCAB_SIZE, 4), dtype=np.float32)
_ONE_HOT[[L.RBP_TOK_A, L.RBP_TOK_C, L.RBP_TOK_G, L.RBP_TOK_U], range(4)] = 1.0
_ONE_HOT[L.RBP_TOK_N] = 0.25


def dataset_options(base=None, **options):
    """An rbp_dataset_options struct: the library's defaults (rbp_dataset_options_init), or a
    copy of `base`, with `options` (field names of the C struct) set on top.

    Returns (struct, keep): `keep` holds the encoded strings the struct points to; keep it
    alive while the struct is used.
    """
    if base is None:
        opt = init_struct(L.rbp_dataset_options, "rbp_dataset_options_init", L.RBP_DATASET_OPTIONS_VERSION)
    else:
        opt = L.rbp_dataset_options.from_buffer_copy(base)
    keep = []
    set_fields(opt, options, keep)
    return opt, keep


def _array(ptr, shape, dtype):
    """A copy of a borrowed C array (so it outlives the dataset)."""
    n = int(np.prod(shape))
    if n == 0 or not ptr:
        return np.zeros(shape, dtype=dtype)
    return np.ctypeslib.as_array(ptr, shape=(n,)).astype(dtype, copy=True).reshape(shape)


class Dataset:
    """Sequences encoded by librbpattn: ``len(ds)`` records of ``ds.length`` positions.

    Build one with :meth:`from_fasta`, :meth:`from_file`, :meth:`from_pair` or
    :meth:`from_sequences`; keyword options are the fields of the C ``rbp_dataset_options``
    (``length``, ``truncate`` = "right"/"left"/"center"/"error", ``case_viewpoint``,
    ``require_target``, ``label_key``, ``sequence_column``, ``target_column``,
    ``structure_column``, ``id_column``, ``fasta_full_header``, ``max_record_length``, ...),
    starting from the library's defaults. Arrays come out as numpy copies. The C dataset is
    freed by :meth:`close`, at the end of a ``with`` block, or when the object is collected.
    """

    def __init__(self, _ptr, _options=None):
        # Internal: wrap an rbp_dataset* (use the from_* constructors). `_options` (struct, keep)
        # remembers how it was encoded, for the model's metadata after fit.
        self._ptr = _ptr
        self._options = _options
        self._finalizer = weakref.finalize(self, lib.rbp_dataset_free, _ptr)

    # ------------------------------------------------------------ construction

    @classmethod
    def from_file(cls, path, format="auto", **options):
        """Load a labelled file: FASTA ("class:N" or a last-word label), CSV/TSV with a header,
        plain "SEQUENCE TARGET" lines, RNAcompete (``affinity_path=``); plain or gzip.

        ``format`` is "auto" (from the extension, else the content), "fasta", "csv", "tsv",
        "lines" or "rnacompete". Raises rbpattn.Error naming file and line on bad input.
        """
        opt, keep = dataset_options(format=format, **options)
        ptr = C.c_void_p()
        check(lib.rbp_dataset_load(C.byref(ptr), cstr(path), C.byref(opt)))
        return cls(ptr.value, _options=(opt, keep))

    @classmethod
    def from_fasta(cls, path, **options):
        """Load a FASTA file (plain or .gz); labels from "class:N" in the headers, or give
        ``require_target=False`` for unlabelled sequences (targets are then 0)."""
        return cls.from_file(path, format="fasta", **options)

    @classmethod
    def from_pair(cls, positives, negatives, **options):
        """GraphProt style: two FASTA files, label 1 for `positives`, 0 for `negatives`
        (lowercase = context, uppercase = viewpoint)."""
        opt, keep = dataset_options(**options)
        ptr = C.c_void_p()
        check(lib.rbp_dataset_load_pair(C.byref(ptr), cstr(positives), cstr(negatives), C.byref(opt)))
        return cls(ptr.value, _options=(opt, keep))

    @classmethod
    def from_sequences(cls, sequences, targets=None, ids=None, **options):
        """Encode in-memory sequences (str of ACGTUN..., any case).

        ``targets``: one number per sequence, or None (all 0). ``ids``: one str per
        sequence, or None ("seq1", "seq2", ...). ``length`` (default 0: the longest) sets
        the padded width.
        """
        if isinstance(sequences, (str, bytes)):
            raise TypeError("sequences: a list of strings, not one string")
        seqs = [cstr(s) for s in sequences]
        n = len(seqs)
        if n == 0:
            raise ValueError("sequences: empty")
        c_seqs = (C.c_char_p * n)(*seqs)
        c_y = None
        if targets is not None:
            y = np.ascontiguousarray(targets, dtype=np.float32).reshape(-1)
            if y.shape[0] != n:
                raise ValueError(f"targets: {y.shape[0]} values for {n} sequences")
            c_y = y.ctypes.data_as(C.POINTER(C.c_float))
        c_ids = None
        if ids is not None:
            ids = [cstr(i) for i in ids]
            if len(ids) != n:
                raise ValueError(f"ids: {len(ids)} ids for {n} sequences")
            c_ids = (C.c_char_p * n)(*ids)
        opt, keep = dataset_options(**options)
        ptr = C.c_void_p()
        check(lib.rbp_dataset_from_strings(C.byref(ptr), c_seqs, c_y, c_ids, n, C.byref(opt)))
        return cls(ptr.value, _options=(opt, keep))

    # ------------------------------------------------------------ lifetime

    @property
    def ptr(self):
        """The rbp_dataset* (an int) for calls into the C library; ValueError once closed."""
        if not self._finalizer.alive:
            raise ValueError("rbpattn.Dataset: used after close()")
        return self._ptr

    def close(self):
        """Free the C dataset now (idempotent); later use raises ValueError."""
        self._finalizer()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # ------------------------------------------------------------ contents

    def __len__(self):
        return int(lib.rbp_dataset_size(self.ptr))

    @property
    def length(self):
        """Positions per record (T): the padded width every array has."""
        return int(lib.rbp_dataset_length(self.ptr))

    @property
    def has_structure(self):
        """True if the records carry a structure channel (CSV/TSV ``structure_column``)."""
        return bool(lib.rbp_dataset_has_structure(self.ptr))

    @property
    def tokens(self):
        """(N, T) uint8 tokens: 0..3 = A C G U(T), 4 = N, 5 = padding."""
        return _array(lib.rbp_dataset_tokens(self.ptr), (len(self), self.length), np.uint8)

    @property
    def mask(self):
        """(N, T) uint8, 1 for a real position and 0 for padding."""
        return _array(lib.rbp_dataset_mask(self.ptr), (len(self), self.length), np.uint8)

    @property
    def structure(self):
        """(N, T) uint8 structure tokens (0 '.', 1 '(', 2 ')', 3 padding), or None."""
        if not self.has_structure:
            return None
        return _array(lib.rbp_dataset_structure(self.ptr), (len(self), self.length), np.uint8)

    @property
    def viewpoint(self):
        """(N, T) uint8 viewpoint flags (1 = uppercase part of a mixed-case record)."""
        return _array(lib.rbp_dataset_viewpoint(self.ptr), (len(self), self.length), np.uint8)

    @property
    def targets(self):
        """(N,) float32 labels or values (0 for unlabelled records)."""
        return _array(lib.rbp_dataset_targets(self.ptr), (len(self),), np.float32)

    @property
    def ids(self):
        """Record ids, a list of str (FASTA: the header's first word)."""
        p = self.ptr
        return [lib.rbp_dataset_id(p, i).decode("utf-8", "replace") for i in range(len(self))]

    def one_hot(self, dtype=np.float32):
        """(N, T, 4) one-hot over A C G U; N is 0.25 in each channel, padding all 0."""
        return _ONE_HOT.astype(dtype, copy=False)[self.tokens]

    def count_positive(self):
        """Number of records with target > 0.5."""
        return int(lib.rbp_dataset_count_positive(self.ptr))

    def subset(self, indices):
        """A new Dataset of the given rows (copied, in that order, repeats allowed)."""
        idx = np.ascontiguousarray(indices, dtype=np.uintp).reshape(-1)
        ptr = C.c_void_p()
        check(lib.rbp_dataset_subset(C.byref(ptr), self.ptr, idx.ctypes.data_as(C.POINTER(C.c_size_t)), idx.size))
        return Dataset(ptr.value, _options=self._options)

    def split(self, train=0.66, val=0.0, seed=1, stratify=True):
        """Seeded (train, val, test) split by fractions; a part with fraction 0 is None.

        As rbp_dataset_split: stratified keeps the positive fraction in every part.
        """
        parts = [C.c_void_p(), C.c_void_p(), C.c_void_p()]
        want = [train > 0, val > 0, train + val < 1 - 1e-12]
        refs = [C.byref(p) if w else None for p, w in zip(parts, want)]
        check(lib.rbp_dataset_split(self.ptr, train, val, seed, int(bool(stratify)), *refs))
        return tuple(Dataset(p.value, _options=self._options) if w else None for p, w in zip(parts, want))

    def __repr__(self):
        if not self._finalizer.alive:
            return "<rbpattn.Dataset closed>"
        return f"<rbpattn.Dataset {len(self)} records x {self.length} positions>"

