#!/usr/bin/env bash
# Instruction mix of the hottest loops C2 made for one kernel method, without hsdis: runs KQuantThroughput with
# -XX:CompileCommand=print, decodes the C2 method's [MachCode] hex with objdump, and prints, per backward jump
# with many vector instructions, the loop's size, its vector instructions and its stack (rsp) accesses; vector
# operands on the stack are spills and reloads (docs/kernels-kquants.md, "Session 12"). The hot loop is usually the
# first one listed; the out-of-line slow paths C2 jumps back from show up as later "loops" full of stack accesses.
#   scripts/loop-mix.sh llm4j.quant.format.Q6_KMantissaVector::dot2 Q6_K [JVM flags, e.g. -XX:UseAVX=2 -Dllm4j.vector.bits=256]
# Needs the quant test classes: mvn -o -q test-compile -pl quant -am
set -euo pipefail
root=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)
method=${1:?usage: scripts/loop-mix.sh CLASS::METHOD TYPE [JVM flags...]}
type=${2:?usage: scripts/loop-mix.sh CLASS::METHOD TYPE [JVM flags...]}
shift 2
source "$root/scripts/jdk.sh"
llm4j_find_jdk
out=$(mktemp)
trap 'rm -f "$out" "$out.bin"' EXIT
"$JAVA_HOME/bin/java" --add-modules jdk.incubator.vector -XX:CompileCommand=quiet \
  '-XX:CompileCommand=inline,llm4j.quant.Vectors::sum*' '-XX:CompileCommand=dontinline,llm4j.quant.*::dot2' \
  -XX:+UnlockDiagnosticVMOptions "-XX:CompileCommand=print,$method" -Drows=256 -Dcols=2048 "$@" \
  -cp "$root/quant/target/classes:$root/quant/target/test-classes" llm4j.quant.format.KQuantThroughput "$type" > "$out" 2>&1
grep 'Gweights' "$out" || true
python3 - "$out" <<'PY'
import re, subprocess, sys
lines = open(sys.argv[1]).read().split('\n')
start = next(i for i, l in enumerate(lines) if 'Compiled method (c2)' in l)
code, base, inside = bytearray(), None, False
for l in lines[start:]:
    if l.startswith('[MachCode]'):
        inside = True
        continue
    if inside and (l.startswith('[/MachCode]') or l.startswith('[Stub Code]')):
        break
    m = re.match(r'\s+(0x[0-9a-f]+):\s+([0-9a-f| ]+)$', l) if inside else None
    if m:
        base = int(m.group(1), 16) if base is None else base
        code += bytes.fromhex(m.group(2).replace('|', '').replace(' ', ''))
open(sys.argv[1] + '.bin', 'wb').write(code)
dis = subprocess.run(['objdump', '-D', '-b', 'binary', '-mi386:x86-64', '-M', 'intel', '--adjust-vma=%d' % base,
                      sys.argv[1] + '.bin'], capture_output=True, text=True).stdout
ins = []
for l in dis.split('\n'):
    m = re.match(r'\s+([0-9a-f]+):\s+(?:[0-9a-f]{2} )+\s*(\S.*)$', l)
    if m:
        ins.append((int(m.group(1), 16), m.group(2)))
vector = lambda r: 'zmm' in r or 'ymm' in r or 'xmm' in r
for a, r in ins:
    m = re.match(r'(j\w+)\s+0x([0-9a-f]+)', r)
    if m and base <= int(m.group(2), 16) < a:
        loop = [i for i in ins if int(m.group(2), 16) <= i[0] <= a]
        vec = sum(1 for _, i in loop if vector(i))
        if vec > 40 and len(loop) < 800:
            stack = [i for _, i in loop if 'rsp' in i]
            print('loop %x..%x: %d instructions, %d vector, %d stack accesses, %d of them vector'
                  % (int(m.group(2), 16), a, len(loop), vec, len(stack), sum(1 for i in stack if vector(i))))
PY
