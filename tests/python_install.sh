#!/bin/sh
# `pip install ./python` works offline (no index, no build isolation needed with Debian's pip
# and setuptools) and the installed package loads the library named by RBPATTN_LIBRARY.
#   sh tests/python_install.sh PYTHON SOURCE_DIR LIBRARY
# Exit 77 (skipped) when the interpreter has no pip.
set -eu
py=$1 src=$2 lib=$3
"$py" -m pip --version >/dev/null 2>&1 || { echo "no pip for $py: skipped"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# A copy: pip builds in the tree it is given and would leave build/ and *.egg-info in python/.
cp -R "$src/python" "$tmp/src"
rm -rf "$tmp/src/tests"
"$py" -m pip install --no-index --no-deps --disable-pip-version-check --target "$tmp/site" "$tmp/src" \
    > "$tmp/pip.log" 2>&1 || { cat "$tmp/pip.log"; echo "FAIL: pip install ./python"; exit 1; }
cd "$tmp"
PYTHONPATH="$tmp/site" RBPATTN_LIBRARY="$lib" "$py" -c "
import rbpattn, sys
assert rbpattn.__file__.startswith('$tmp/site/'), rbpattn.__file__
m = rbpattn.Model('tiny', seq_len=12)
p = m.predict(['ACGUACGUACGU', 'UGCAUG'])
assert p.shape == (2,) and p.dtype.name == 'float32', p
print('installed rbpattn', rbpattn.__version__, 'from', rbpattn.__file__, 'scores', p)
"
