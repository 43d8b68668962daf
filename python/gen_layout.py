#!/usr/bin/env python3
"""Generate rbpattn/_layout.py (ctypes structs, enums, prototypes) from the C headers.

The Python package never copies a struct layout or a function signature by hand: this script
reads the public headers that rbpattn/rbpattn.h includes and writes them out as ctypes, so a
field appended to a config struct or a new RBP_API function reaches Python by regenerating.

    python3 python/gen_layout.py include/rbpattn > python/rbpattn/_layout.py
    python3 python/gen_layout.py --check python/rbpattn/_layout.py include/rbpattn   (ctest)
    python3 python/gen_layout.py --c include/rbpattn -o layout_check.c   (offsets as C sees them)

Only the C subset the headers use is understood (fixed-width integers, float, double, char,
pointers, opaque handles, function-pointer typedefs); anything else stops the script with the
declaration it could not read, so a header change cannot be translated silently wrong.
"""
import os
import re
import sys

SCALARS = {
    "uint32_t": "C.c_uint32", "int32_t": "C.c_int32", "uint64_t": "C.c_uint64", "int64_t": "C.c_int64",
    "uint8_t": "C.c_uint8", "size_t": "C.c_size_t", "float": "C.c_float", "double": "C.c_double",
    "char": "C.c_char", "int": "C.c_int",
}
COMMENT = re.compile(r"/\*.*?\*/|//[^\n]*", re.S)


class Header:
    """What one pass over the headers found, in declaration order."""

    def __init__(self):
        self.defines = {}     # RBP_*_VERSION -> int
        self.consts = {}      # every RBP_* integer macro (array sizes)
        self.enums = {}       # enum name (or "" for anonymous) -> [(constant, value)]
        self.structs = {}     # name -> [(field, ctype, enum name or None)]
        self.opaque = set()   # typedef struct x x; without a body
        self.enum_types = set()
        self.callbacks = {}   # typedef name -> (restype, [argtypes])
        self.functions = {}   # name -> (restype, [argtypes])


def header_files(include_dir):
    """The headers rbpattn.h includes (version.h is generated and holds only macros)."""
    umbrella = open(os.path.join(include_dir, "rbpattn.h")).read()
    names = re.findall(r'#include\s+"rbpattn/(\w+\.h)"', umbrella)
    return [os.path.join(include_dir, n) for n in names if os.path.exists(os.path.join(include_dir, n))]


def ctype_of(h, base, depth, where):
    """ctypes expression for `base` with `depth` pointer levels."""
    if base in h.enum_types:
        base = "int32_t"  # the headers' enums are int-sized
    if depth == 0:
        if base in SCALARS:
            return SCALARS[base]
        if base in h.callbacks:
            return base
        if base == "void":
            return "None"
        raise SystemExit(f"gen_layout: cannot translate type '{base}' in {where}")
    if depth == 1:
        if base == "char":
            return "C.c_char_p"
        if base == "void" or base in h.opaque or base == "FILE":
            return "C.c_void_p"
        if base in h.structs:
            return f"C.POINTER({base})"
        if base in SCALARS:
            return f"C.POINTER({SCALARS[base]})"
    if depth == 2:
        if base == "char":
            return "C.POINTER(C.c_char_p)"
        if base in h.opaque:
            return "C.POINTER(C.c_void_p)"
        if base in h.structs:  # an out-parameter for a struct the library allocates
            return f"C.POINTER(C.POINTER({base}))"
    raise SystemExit(f"gen_layout: cannot translate '{base}' {'*' * depth} in {where}")


def split_decl(text, where):
    """'const char *const *name' -> ('char', 2, 'name'); a name-less type gives name None."""
    depth = text.count("*")
    words = [w for w in text.replace("*", " ").split() if w not in ("const", "struct", "enum")]
    if not words:
        raise SystemExit(f"gen_layout: empty declaration in {where}")
    return words, depth


def parse(files):
    h = Header()
    for path in files:
        raw = open(path).read()
        # Comments become placeholders so a ';' inside one cannot split a declaration and a
        # field's trailing comment ("rbp_task (default ...)") can name the enum it holds.
        notes = []

        def keep(m):
            notes.append(m.group(0))
            return f" @{len(notes) - 1}@ "

        text = COMMENT.sub(keep, raw)
        for m in re.finditer(r"^\s*#\s*define\s+(RBP_\w+_VERSION)\s+(\d+)\s", text, re.M):
            h.defines[m.group(1)] = int(m.group(2))
        for m in re.finditer(r"^\s*#\s*define\s+(RBP_\w+)\s+(\d+)\s", text, re.M):
            h.consts[m.group(1)] = int(m.group(2))
        text = re.sub(r"^\s*#.*$", "", text, flags=re.M)  # preprocessor lines
        bare = re.sub(r"@\d+@", " ", text)
        for m in re.finditer(r"typedef\s+enum\s+(\w+)\s*\{(.*?)\}\s*\w+\s*;|(?<!typedef )\benum\s*\{(.*?)\}\s*;",
                             bare, re.S):
            name, body = (m.group(1), m.group(2)) if m.group(1) else ("", m.group(3))
            values, nxt = [], 0
            for item in body.split(","):
                item = item.strip()
                if not item:
                    continue
                k, _, v = item.partition("=")
                nxt = int(v.strip()) if v.strip() else nxt
                values.append((k.strip(), nxt))
                nxt += 1
            h.enums.setdefault(name, []).extend(values)
            if name:
                h.enum_types.add(name)
        for m in re.finditer(r"typedef\s+struct\s+(\w+)\s+(\w+)\s*;", bare):
            h.opaque.add(m.group(2))
        for m in re.finditer(r"typedef\s+struct\s+(\w+)\s*\{(.*?)\}\s*(\w+)\s*;", text, re.S):
            name, body = m.group(3), m.group(2)
            h.opaque.discard(name)
            fields = []
            for f in re.finditer(r"([^;]*);[ \t]*(?:@(\d+)@)?", body):
                decl = re.sub(r"@\d+@", " ", f.group(1)).strip()
                if not decl:
                    continue
                note = notes[int(f.group(2))] if f.group(2) else ""
                first, *more = [p.strip() for p in decl.split(",")]
                words, depth = split_decl(first, f"{name}: {decl}")
                base, names = words[:-1], [(words[-1], depth)]
                base_depth = 0  # '*' binds to each declarator; the headers put it on the first only
                for d in more:
                    names.append((d.replace("*", "").strip(), d.count("*") + base_depth))
                enum = re.match(r"/\*\*?<?\s*(rbp_\w+)", note)  # "/* rbp_x" or Doxygen's "/**< rbp_x"
                enum = enum.group(1) if enum and enum.group(1) in h.enum_types else None
                for fname, fdepth in names:
                    ctype = ctype_of(h, " ".join(base), fdepth, f"{name}.{fname}")
                    arr = re.match(r"(\w+)\[(\w+)\]$", fname)
                    if arr:  # fixed-size array member: char name[RBP_MOTIF_NAME_MAX]
                        n = arr.group(2)
                        n = int(n) if n.isdigit() else h.consts.get(n)
                        if n is None:
                            raise SystemExit(f"gen_layout: unknown array size in {name}.{fname}")
                        fname, ctype = arr.group(1), f"{ctype} * {n}"
                    fields.append((fname, ctype, enum))
            h.structs[name] = fields
        for m in re.finditer(r"typedef\s+([\w\s\*]+?)\s*\(\s*\*\s*(\w+)\s*\)\s*\(([^)]*)\)\s*;", bare):
            h.callbacks[m.group(2)] = function_types(h, m.group(1), m.group(3), m.group(2))
        for m in re.finditer(r"\bRBP_API\s+([^;]*);", bare):
            decl = " ".join(m.group(1).split())
            if "..." in decl:
                continue  # printf-style (rbp_set_error): Python formats its own strings
            fm = re.match(r"(.*?)\b(rbp_\w+)\s*\((.*)\)$", decl)
            if not fm:
                raise SystemExit(f"gen_layout: cannot read declaration '{decl}' in {path}")
            h.functions[fm.group(2)] = function_types(h, fm.group(1), fm.group(3), fm.group(2))
    return h


def function_types(h, ret, params, where):
    words, depth = split_decl(ret, where)
    restype = ctype_of(h, " ".join(words), depth, where)
    args = []
    if params.strip() not in ("", "void"):
        for p in params.split(","):
            words, depth = split_decl(p, f"{where}({p.strip()})")
            args.append(ctype_of(h, " ".join(words[:-1]) if len(words) > 1 else words[0], depth, where))
    return restype, args


def python_source(h):
    out = ['"""ctypes view of the rbpattn C headers: GENERATED by python/gen_layout.py - do not edit.',
           "",
           "Regenerate after changing a public header:",
           "    python3 python/gen_layout.py include/rbpattn > python/rbpattn/_layout.py",
           '"""', "import ctypes as C", ""]
    for k, v in sorted(h.defines.items()):
        out.append(f"{k} = {v}")
    out.append("")
    out.append("ENUMS = {")
    for name, values in h.enums.items():
        out.append(f"    {name!r}: {{" + ", ".join(f"{k!r}: {v}" for k, v in values) + "},")
    out.append("}")
    for values in h.enums.values():
        for k, v in values:
            out.append(f"{k} = {v}")
    out.append("")
    for name, fields in h.structs.items():
        out.append(f"\nclass {name}(C.Structure):")
        out.append("    _fields_ = [")
        for fname, ctype, _ in fields:
            out.append(f"        ({fname!r}, {ctype}),")
        out.append("    ]\n")
    out.append("# struct field -> the enum whose constants it holds (from the field's comment)")
    out.append("FIELD_ENUMS = {")
    for name, fields in h.structs.items():
        for fname, _, enum in fields:
            if enum:
                out.append(f"    ({name!r}, {fname!r}): {enum!r},")
    out.append("}\n")
    for name, (res, args) in h.callbacks.items():
        out.append(f"{name} = C.CFUNCTYPE({res}, {', '.join(args)})")
    out.append("\n# name -> (restype, argtypes) of every RBP_API function (printf-style ones left out)")
    out.append("PROTOTYPES = {")
    for name, (res, args) in h.functions.items():
        out.append(f"    {name!r}: ({res}, [{', '.join(args)}]),")
    out.append("}")
    return "\n".join(out) + "\n"


def c_source(h):
    """A program printing sizeof/offsetof of every struct and every enum value, as C sees them."""
    out = ["/* Generated by python/gen_layout.py --c: the layout C sees, for the Python test. */",
           "#include <stddef.h>", "#include <stdio.h>", "#include <rbpattn/rbpattn.h>", "", "int main(void)", "{"]
    for name, fields in h.structs.items():
        out.append(f'    printf("{name} %zu\\n", sizeof({name}));')
        for fname, _, _ in fields:
            out.append(f'    printf("{name}.{fname} %zu\\n", offsetof({name}, {fname}));')
    for values in h.enums.values():
        for k, _ in values:
            out.append(f'    printf("{k} %ld\\n", (long){k});')
    for k in sorted(h.defines):
        out.append(f'    printf("{k} %ld\\n", (long){k});')
    out += ["    return 0;", "}"]
    return "\n".join(out) + "\n"


def main(argv):
    if len(argv) >= 2 and argv[-2] == "-o":  # write to a file instead of stdout (for CMake)
        with open(argv[-1], "w") as f:
            sys.stdout = f
            return main(argv[:-2])
    if len(argv) == 3 and argv[0] == "--check":
        want = python_source(parse(header_files(argv[2])))
        if open(argv[1]).read() != want:
            sys.stderr.write(f"{argv[1]} is out of date with the headers in {argv[2]}: regenerate it with\n"
                             f"    python3 python/gen_layout.py {argv[2]} > {argv[1]}\n")
            return 1
        return 0
    if len(argv) == 2 and argv[0] == "--c":
        sys.stdout.write(c_source(parse(header_files(argv[1]))))
        return 0
    if len(argv) == 1:
        sys.stdout.write(python_source(parse(header_files(argv[0]))))
        return 0
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
