#!/usr/bin/env bash
# Runs `llm4j bench` on every GGUF file in a folder, one invocation per file, and prints the markdown
# rows (header once). Usage: scripts/bench-all.sh DIR [bench flags...]
#   scripts/bench-all.sh /work/bench-models -p 512 -n 128 -r 3 -t 1,2
set -euo pipefail
root=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)
dir=${1:?usage: scripts/bench-all.sh DIR [bench flags...]}
shift
first=1
for f in "$dir"/*.gguf; do
  echo "bench-all: $(basename "$f")" >&2
  out=$("$root/llm4j" bench "$f" "$@")
  if [ $first = 1 ]; then
    printf '%s\n' "$out" | sed -n '1,2p'
    first=0
  fi
  printf '%s\n' "$out" | grep '^| [a-z]' | grep -v '^| model ' || true
done
