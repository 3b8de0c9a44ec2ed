"""Run a command as if this CPU had AVX2 but no AVX-512 or VNNI: a stand-in for an AVX2-only CPU.

    .venv/bin/python benchmarks/avx2_proxy.py [--python PATH ...] -- COMMAND [ARG ...]

e.g. `benchmarks/avx2_proxy.py --python ~/.cache/mien/fer-venv/bin/python -- .venv/bin/python
benchmarks/compare.py --fer-python ~/.cache/mien/fer-venv/bin/python`.

The libraries that choose their kernels by asking the CPU (ONNX Runtime's MLAS, OpenCV, NumPy,
TF Lite's ruy and XNNPACK, the video codecs OpenCV bundles) are given an answer without AVX-512,
AVX-512 VNNI, AVX-VNNI, bf16 and AMX, so they run the code paths an AVX2-only CPU runs:
- copies of their shared libraries have each `cpuid` and `xgetbv` instruction's first byte
  replaced by int3 (`objdump` finds them); a small preloaded handler (compiled with `gcc` on first
  use) answers the trap with the real answer, those feature bits cleared;
- in a private mount namespace (`unshare`) the copies are bind-mounted over the originals, and a
  /proc/cpuinfo without those flags over the real one, so every process the command starts sees
  them and nothing outside it does;
- PyTorch (oneDNN and ATen) and glibc are limited by their own settings instead.
The code then runs at this CPU's clock and caches, not an AVX2-only CPU's: compare systems measured
in the same run (ratios), not absolute speeds across machines.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import shlex
import struct
import subprocess
import sys
from pathlib import Path

from mien.atomic import atomic_path
from mien.data.cache import cache_dir

CACHE = cache_dir() / "avx2-proxy"
PACKAGES = ("onnxruntime", "cv2", "opencv_python*.libs", "numpy", "numpy.libs", "tensorflow/lite")
HIDDEN_FLAGS = re.compile(r"^(avx512\w*|avx_vnni\w*|avx_ifma|amx\w*|avx10\w*)$")
SETTINGS = {
    "ONEDNN_MAX_CPU_ISA": "AVX2",  # oneDNN inside PyTorch and TensorFlow
    "ATEN_CPU_CAPABILITY": "avx2",  # PyTorch's own kernels
    "GLIBC_TUNABLES": "glibc.cpu.hwcaps=-AVX512F,-AVX512VL,-AVX512BW,-AVX512DQ,-AVX512CD",
    "MIEN_CPU_PROXY": "AVX-512, VNNI, bf16 and AMX hidden by benchmarks/avx2_proxy.py",  # for the output
}


def _bits(*numbers: int) -> int:
    return sum(1 << n for n in numbers)


HIDDEN_BITS = {  # the answers' bits cleared, by cpuid leaf.subleaf and register (and XCR0)
    # AVX-512 F DQ IFMA PF ER CD BW VL
    "leaf7_ebx": _bits(16, 17, 21, 26, 27, 28, 30, 31),
    # AVX-512 VBMI VBMI2 VNNI BITALG VPOPCNTDQ
    "leaf7_ecx": _bits(1, 6, 11, 12, 14),
    # AVX-512 4VNNIW 4FMAPS VP2INTERSECT, AMX-BF16, AVX-512 FP16, AMX-TILE AMX-INT8
    "leaf7_edx": _bits(2, 3, 8, 22, 23, 24, 25),
    # AVX-VNNI, AVX-512 BF16, AVX-IFMA
    "leaf71_eax": _bits(4, 5, 23),
    # AVX-VNNI-INT8, AVX-NE-CONVERT, AVX-VNNI-INT16, AVX10
    "leaf71_edx": _bits(4, 5, 10, 19),
    # XCR0: opmask, ZMM upper halves, ZMM16-31, AMX tile state
    "xcr0": _bits(5, 6, 7, 17, 18),
}

# The trap handler: after int3, the instruction pointer is on the byte after it, 0xA2 for a cpuid
# (0F A2) and 01 D0 for an xgetbv (0F 01 D0).
HANDLER_C_TEMPLATE = r"""
#define _GNU_SOURCE
#include <cpuid.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <ucontext.h>

/* MASKS */

static struct sigaction previous;

static void on_trap(int signal_number, siginfo_t *info, void *context) {
    greg_t *r = ((ucontext_t *)context)->uc_mcontext.gregs;
    const unsigned char *next = (const unsigned char *)r[REG_RIP];
    if (next[0] == 0xA2) {
        uint32_t leaf = (uint32_t)r[REG_RAX], sub = (uint32_t)r[REG_RCX], a, b, c, d;
        __cpuid_count(leaf, sub, a, b, c, d);
        if (leaf == 7 && sub == 0) { b &= ~leaf7_ebx; c &= ~leaf7_ecx; d &= ~leaf7_edx; }
        if (leaf == 7 && sub == 1) { a &= ~leaf71_eax; d &= ~leaf71_edx; }
        r[REG_RAX] = a; r[REG_RBX] = b; r[REG_RCX] = c; r[REG_RDX] = d;
        r[REG_RIP] += 1;
    } else if (next[0] == 0x01 && next[1] == 0xD0) {
        uint32_t low, high, which = (uint32_t)r[REG_RCX];
        __asm__ volatile("xgetbv" : "=a"(low), "=d"(high) : "c"(which));
        uint64_t value = ((uint64_t)high << 32 | low) & (which == 0 ? ~xcr0 : ~0ull);
        r[REG_RAX] = (uint32_t)value; r[REG_RDX] = (uint32_t)(value >> 32);
        r[REG_RIP] += 2;
    } else {  /* not one of ours: as if this handler were not there */
        sigaction(SIGTRAP, &previous, NULL);
        raise(SIGTRAP);
    }
}

__attribute__((constructor)) static void install(void) {
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_sigaction = on_trap;
    action.sa_flags = SA_SIGINFO | SA_NODEFER;
    sigemptyset(&action.sa_mask);
    sigaction(SIGTRAP, &action, &previous);
}
"""


def handler_source() -> str:
    masks = [f"static const uint64_t {name} = {value:#x}ull;" for name, value in HIDDEN_BITS.items()]
    return HANDLER_C_TEMPLATE.replace("/* MASKS */", "\n".join(masks))


def handler_library() -> Path:
    """The trap handler, compiled once into the cache."""
    source = handler_source().encode()
    library = CACHE / f"cpuid-trap-{hashlib.sha256(source).hexdigest()[:12]}.so"
    if not library.exists():
        c_file = library.with_suffix(".c")
        with atomic_path(c_file) as tmp:
            tmp.write_bytes(source)
        with atomic_path(library) as tmp:
            subprocess.run(["gcc", "-O2", "-shared", "-fPIC", "-o", str(tmp), str(c_file)], check=True)
    return library


def load_segments(elf: bytes) -> list[tuple[int, int, int]]:
    """(virtual address, file offset, size in the file) of each loaded segment of an ELF64 file."""
    if elf[:4] != b"\x7fELF" or elf[4] != 2:
        raise ValueError("not a 64-bit ELF file")
    table, entry_size, count = struct.unpack_from("<Q", elf, 0x20)[0], *struct.unpack_from("<HH", elf, 0x36)
    segments = []
    for index in range(count):
        header = table + index * entry_size
        kind, _, offset, address, _, file_size = struct.unpack_from("<IIQQQQ", elf, header)
        if kind == 1:  # PT_LOAD
            segments.append((address, offset, file_size))
    return segments


def trapped_copy(original: Path) -> Path | None:
    """A copy of a shared library with every cpuid and xgetbv turned into a trap; None when it has none."""
    stat = original.stat()
    key = hashlib.sha256(f"{original.resolve()}:{stat.st_size}:{stat.st_mtime_ns}".encode()).hexdigest()[:16]
    copy, none_marker = CACHE / "libraries" / key / original.name, CACHE / "libraries" / f"{key}.none"
    if copy.exists():
        return copy
    if none_marker.exists():
        return None
    listing = subprocess.run(["objdump", "-d", "--no-show-raw-insn", str(original)],
                             capture_output=True, text=True, check=True).stdout  # fmt: skip
    found = re.findall(r"^\s*([0-9a-f]+):\s+(cpuid|xgetbv)\s*$", listing, re.MULTILINE)
    none_marker.parent.mkdir(parents=True, exist_ok=True)
    if not found:
        none_marker.touch()
        return None
    elf = bytearray(original.read_bytes())
    segments = load_segments(elf)
    for address_text, instruction in found:
        address = int(address_text, 16)
        offset = next(o + address - a for a, o, size in segments if a <= address < a + size)
        expected = b"\x0f\xa2" if instruction == "cpuid" else b"\x0f\x01\xd0"
        if elf[offset : offset + len(expected)] != expected:
            raise ValueError(f"{original}: no {instruction} at {address:#x}")
        elf[offset] = 0xCC  # int3
    with atomic_path(copy) as tmp:
        tmp.write_bytes(elf)
        tmp.chmod(stat.st_mode)
    return copy


def libraries(python: str) -> list[Path]:
    """The shared libraries of PACKAGES in a Python's site-packages (those it has)."""
    paths = subprocess.run([python, "-c", "import site; print('\\n'.join(site.getsitepackages()))"],
                           capture_output=True, text=True, check=True).stdout.split()  # fmt: skip
    found = []
    for site_packages in map(Path, paths):
        for pattern in PACKAGES:
            for package in site_packages.glob(pattern):
                found += [p for p in package.rglob("*.so*") if p.is_file() and not p.is_symlink()]
    return sorted(set(found))


def masked_cpuinfo() -> Path:
    """/proc/cpuinfo with the hidden instruction sets left out of its flags."""
    lines = []
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("flags"):
            name, flags = line.split(":", 1)
            line = f"{name}: " + " ".join(f for f in flags.split() if not HIDDEN_FLAGS.match(f))
        lines.append(line)
    path = CACHE / "cpuinfo"
    with atomic_path(path) as tmp:
        tmp.write_text("\n".join(lines) + "\n")
    return path


def mounts_script(pairs: list[tuple[Path, Path]], command: list[str]) -> str:
    """A shell script for the private namespace: bind the copies over the originals, run the command."""
    mounts = [shlex.join(["mount", "--bind", str(copy), str(original)]) for copy, original in pairs]
    return "\n".join(["set -e", *mounts, "exec " + shlex.join(command)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--python", action="append", default=[], help="another Python whose libraries to limit (repeatable)"
    )
    parser.add_argument("command", nargs=argparse.REMAINDER, help="after --: the command to run")
    args = parser.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("give the command to run after --")
    pairs = [(masked_cpuinfo(), Path("/proc/cpuinfo"))]
    originals = sorted({lib for python in [sys.executable, *args.python] for lib in libraries(python)})
    for original in originals:
        copy = trapped_copy(original)
        if copy is not None:
            pairs.append((copy, original))
    print(f"avx2 proxy: {len(pairs) - 1} of {len(originals)} libraries trapped", file=sys.stderr)
    preload = " ".join(filter(None, [str(handler_library()), os.environ.get("LD_PRELOAD")]))
    environment = {**os.environ, **SETTINGS, "LD_PRELOAD": preload}
    namespace = ["unshare", "--mount", "--propagation", "private"]
    if os.geteuid() != 0:
        namespace.append("--map-root-user")  # a user namespace lets an ordinary user mount in it
    os.execvpe(namespace[0], [*namespace, "sh", "-c", mounts_script(pairs, command)], environment)


if __name__ == "__main__":
    main()
