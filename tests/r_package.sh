#!/bin/sh
# The R package (r-package/): install the built library into a scratch prefix, build the
# package against it with R CMD INSTALL (pkg-config), run its testthat tests with Rscript.
#   sh tests/r_package.sh BUILD_DIR SOURCE_DIR [RBPATTN_PREDICT]
# Exit 77 (skipped) without R or testthat (Debian: r-base-dev r-cran-testthat).
set -eu
build=$1 src=$2
command -v R >/dev/null 2>&1 && command -v Rscript >/dev/null 2>&1 || { echo "no R: skipped"; exit 77; }
Rscript -e 'quit(status = !requireNamespace("testthat", quietly = TRUE))' || { echo "no testthat: skipped"; exit 77; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cmake --install "$build" --prefix "$work/prefix" >/dev/null
libdir=$(ls -d "$work"/prefix/lib* | head -n 1)
export PKG_CONFIG_PATH="$libdir/pkgconfig"
mkdir "$work/lib"
cp -R "$src/r-package" "$work/pkg" # R CMD INSTALL builds in the tree it is given
rm -f "$work"/pkg/src/*.o "$work"/pkg/src/*.so # objects of an install run in the source tree
R CMD INSTALL --no-test-load -l "$work/lib" "$work/pkg" >"$work/install.log" 2>&1 || { cat "$work/install.log"; exit 1; }
cd "$work/pkg/tests"
R_LIBS="$work/lib" RBPATTN_SOURCE_DIR="$src" RBPATTN_PREDICT="${3:-}" OPENBLAS_NUM_THREADS=1 Rscript testthat.R
