#!/usr/bin/env bash
# Installs credence from the build folder into a scratch prefix, then builds examples/ on its
# own against it with find_package(credence): the path an application takes.
set -euo pipefail
build="$1"; source="$2"
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
cmake --install "$build" --prefix "$scratch/prefix" > "$scratch/install.log"
cmake -S "$source/examples" -B "$scratch/consumer" -DCMAKE_PREFIX_PATH="$scratch/prefix" -DCMAKE_BUILD_TYPE=Release > "$scratch/configure.log"
cmake --build "$scratch/consumer" -j 2 > "$scratch/build.log" || { cat "$scratch/build.log"; exit 1; }
test -x "$scratch/consumer/predict_one"
test -f "$scratch/prefix/include/credence/nn/bayes_linear.h"
test -f "$scratch/prefix/lib/cmake/credence/credenceConfig.cmake" || test -f "$scratch/prefix/lib/x86_64-linux-gnu/cmake/credence/credenceConfig.cmake"
{ "$scratch/consumer/predict_one" || true; } 2>&1 | grep -q usage
echo "installed package builds and links an application"
