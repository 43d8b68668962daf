"""Finding and loading librbpattn, binding its functions, turning statuses into exceptions."""
import ctypes as C
import ctypes.util
import os
import subprocess

from . import _layout as L

SONAME = "librbpattn.so.0"


class Error(Exception):
    """A failing librbpattn call: ``str(e)`` is the library's message (rbp_last_error).

    Attributes: ``status`` (the negative rbp_status code, e.g. -3) and ``status_name``
    ("I/O error", from rbp_status_str). Python-side misuse (a wrong type, arrays of
    different lengths) raises TypeError/ValueError instead.
    """

    def __init__(self, message, status=L.RBP_ERR_INVALID_ARG):
        super().__init__(message)
        self.status = int(status)
        self.status_name = _status_name(self.status)


def _candidates():
    """Where to look, in order: $RBPATTN_LIBRARY, this package's directory, pkg-config, the loader."""
    env = os.environ.get("RBPATTN_LIBRARY")
    if env:
        # An explicit choice is not second-guessed: if it does not load, that is the error.
        return [os.path.join(env, SONAME) if os.path.isdir(env) else env], True
    out = []
    here = os.path.dirname(os.path.abspath(__file__))
    for name in (SONAME, "librbpattn.so"):
        if os.path.exists(os.path.join(here, name)):
            out.append(os.path.join(here, name))
    try:
        libdir = subprocess.run(["pkg-config", "--variable=libdir", "rbpattn"], capture_output=True, text=True,
                                timeout=10).stdout.strip()
        if libdir:
            out.append(os.path.join(libdir, SONAME))
    except (OSError, subprocess.SubprocessError):
        pass
    out.append(ctypes.util.find_library("rbpattn") or SONAME)
    return out, False


def _load():
    tried, explicit = _candidates()
    errors = []
    for path in tried:
        try:
            return C.CDLL(path), path
        except OSError as e:
            errors.append(f"{path}: {e}")
            if explicit:
                break
    raise ImportError("rbpattn: cannot load librbpattn (set RBPATTN_LIBRARY to its path, e.g. "
                      "build/librbpattn.so). Tried:\n  " + "\n  ".join(errors))


lib, path = _load()
missing = set()
# Functions the loaded library lacks (an older librbpattn than the headers) are left unbound:
# has() tells callers, who then degrade (Model.metadata is {} without rbpattn/metadata.h).
for _name, (_res, _args) in L.PROTOTYPES.items():
    try:
        _f = getattr(lib, _name)
    except AttributeError:
        missing.add(_name)
        continue
    _f.restype, _f.argtypes = _res, _args


def has(name):
    """True if the loaded library exports `name` (with a known prototype)."""
    return name in L.PROTOTYPES and name not in missing


def _status_name(status):
    return lib.rbp_status_str(status).decode()


def last_error():
    """The library's last error message on this thread ("" if none)."""
    return lib.rbp_last_error().decode("utf-8", "replace")


def check(status, context=None):
    """Raise Error for a negative status, with the library's message (and `context` before it)."""
    if status < 0:
        msg = last_error() or _status_name(status)
        raise Error(f"{context}: {msg}" if context else msg, status)
    return status


def cstr(s):
    """str (or os.PathLike) -> bytes for a char* argument; None stays NULL."""
    if s is None:
        return None
    if isinstance(s, bytes):
        return s
    return os.fsencode(s) if isinstance(s, os.PathLike) else str(s).encode()


def enum_value(struct, field, value):
    """An enum field's value from its name ("max" for pooling), an int, or an rbp constant name.

    The names are the constants' suffixes as the header spells them (RBP_POOL_MAX -> "max").
    """
    enum = L.FIELD_ENUMS.get((struct, field))
    if enum is None or not isinstance(value, str):
        return value
    consts = L.ENUMS[enum]
    prefix = os.path.commonprefix(list(consts))
    prefix = prefix[:prefix.rfind("_") + 1]
    for k, v in consts.items():
        if value.upper() in (k, k[len(prefix):]):
            return v
    raise ValueError(f"{field}: unknown value {value!r} (one of {', '.join(enum_names(struct, field))})")


def enum_names(struct, field):
    """The names enum_value accepts for a field, lower case, in value order."""
    consts = L.ENUMS[L.FIELD_ENUMS[(struct, field)]]
    prefix = os.path.commonprefix(list(consts))
    prefix = prefix[:prefix.rfind("_") + 1]
    return [k[len(prefix):].lower() for k in consts]


def enum_name(struct, field, value):
    """Inverse of enum_value for reading a struct back ("max"); unknown values stay ints."""
    if (struct, field) not in L.FIELD_ENUMS:
        return value
    names = enum_names(struct, field)
    values = list(L.ENUMS[L.FIELD_ENUMS[(struct, field)]].values())
    return names[values.index(value)] if value in values else value


def init_struct(cls, init_fn, version):
    """A config struct filled by the library's own *_init (defaults and version field)."""
    s = cls()
    check(getattr(lib, init_fn)(C.byref(s), version), init_fn)
    return s


def set_fields(struct, values, keep=None):
    """Set struct fields from a dict; unknown names raise TypeError (a typo must not pass).

    String values of char* fields are encoded and kept alive in `keep` (a list) for as long
    as the struct is used.
    """
    names = {f[0]: f[1] for f in type(struct)._fields_}
    for k, v in values.items():
        if k == "version" or k not in names:
            raise TypeError(f"unknown option {k!r} for {type(struct).__name__} "
                            f"(known: {', '.join(n for n in names if n != 'version')})")
        v = enum_value(type(struct).__name__, k, v)
        if names[k] is C.c_char_p:
            v = cstr(v)
            if keep is not None:
                keep.append(v)
        elif names[k] is C.c_char:
            v = cstr(v) if v else b"\0"
        elif isinstance(v, bool):
            v = int(v)
        setattr(struct, k, v)
    return struct


def struct_dict(struct):
    """A struct as a dict (enums by name, strings decoded), without its version field."""
    out = {}
    for k, _ in type(struct)._fields_:
        if k == "version":
            continue
        v = getattr(struct, k)
        if isinstance(v, bytes):
            v = v.decode().rstrip("\0")  # a char field (delimiter) reads back b"\0" for "none"
        out[k] = enum_name(type(struct).__name__, k, v)
    return out
