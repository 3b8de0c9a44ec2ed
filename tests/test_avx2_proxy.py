"""benchmarks/avx2_proxy.py: a library's cpuid and xgetbv, trapped, answer without AVX-512 and VNNI."""

from __future__ import annotations

import importlib.util
import os
import platform
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

PROXY_FILE = Path(__file__).resolve().parents[1] / "benchmarks" / "avx2_proxy.py"
_spec = importlib.util.spec_from_file_location("benchmark_avx2_proxy", PROXY_FILE)
proxy = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(proxy)

TOOLS = shutil.which("gcc") and shutil.which("objdump")
pytestmark = pytest.mark.skipif(
    platform.machine() != "x86_64" or sys.platform != "linux" or not TOOLS,
    reason="needs Linux on x86-64 with gcc and objdump",
)

PROBE_C = r"""
#include <cpuid.h>
#include <stdint.h>
unsigned leaf7(int which) {
    unsigned a, b, c, d;
    __cpuid_count(7, 0, a, b, c, d);
    return which == 1 ? b : which == 2 ? c : d;
}
unsigned long long xcr0(void) {
    unsigned low, high;
    __asm__ volatile("xgetbv" : "=a"(low), "=d"(high) : "c"(0));
    return (unsigned long long)high << 32 | low;
}
"""
READ_PROBE = """
import ctypes, sys
probe = ctypes.CDLL(sys.argv[1])
probe.leaf7.restype, probe.xcr0.restype = ctypes.c_uint, ctypes.c_ulonglong
print(probe.leaf7(1), probe.leaf7(2), probe.leaf7(3), probe.xcr0())
"""
AVX512F, AVX512_VNNI, ZMM_STATE = 1 << 16, 1 << 11, 0xE0  # leaf 7 EBX bit, leaf 7 ECX bit, XCR0 bits


def read_probe(library: Path, preload: Path | None = None) -> list[int]:
    environment = {**os.environ, "LD_PRELOAD": str(preload)} if preload else dict(os.environ)
    run = subprocess.run([sys.executable, "-c", READ_PROBE, str(library)],
                         env=environment, capture_output=True, text=True, check=True)  # fmt: skip
    return [int(value) for value in run.stdout.split()]


def compile_library(source: Path, library: Path) -> None:
    subprocess.run(["gcc", "-O1", "-shared", "-fPIC", "-o", str(library), str(source)], check=True)


@pytest.fixture
def probe(tmp_path, monkeypatch) -> Path:
    monkeypatch.setattr(proxy, "CACHE", tmp_path / "cache")
    (tmp_path / "probe.c").write_text(PROBE_C)
    library = tmp_path / "libprobe.so"
    compile_library(tmp_path / "probe.c", library)
    return library


def test_a_trapped_library_sees_no_avx512_and_everything_else_unchanged(probe):
    ebx, ecx, edx, xcr0 = read_probe(probe)
    copy = proxy.trapped_copy(probe)
    assert copy is not None and copy.read_bytes().count(b"\xcc\xa2") == 1  # the one cpuid, trapped
    trapped = read_probe(copy, preload=proxy.handler_library())
    hidden = proxy.HIDDEN_BITS
    assert trapped[0] & AVX512F == 0 and trapped[1] & AVX512_VNNI == 0 and trapped[3] & ZMM_STATE == 0
    assert trapped == [ebx & ~hidden["leaf7_ebx"], ecx & ~hidden["leaf7_ecx"], edx & ~hidden["leaf7_edx"],
                       xcr0 & ~hidden["xcr0"]]  # fmt: skip
    assert trapped[0] & (1 << 5) == ebx & (1 << 5)  # AVX2 is left as the CPU has it


def test_the_original_library_is_left_alone(probe):
    before = probe.read_bytes()
    proxy.trapped_copy(probe)
    assert probe.read_bytes() == before
    assert read_probe(probe, preload=proxy.handler_library()) == read_probe(probe)


def test_a_library_without_cpuid_gets_no_copy(tmp_path, monkeypatch):
    monkeypatch.setattr(proxy, "CACHE", tmp_path / "cache")
    (tmp_path / "plain.c").write_text("int twice(int x) { return 2 * x; }\n")
    library = tmp_path / "libplain.so"
    compile_library(tmp_path / "plain.c", library)
    assert proxy.trapped_copy(library) is None
    assert proxy.trapped_copy(library) is None  # remembered, not disassembled again


def test_cpuinfo_loses_the_hidden_flags_only(tmp_path, monkeypatch):
    monkeypatch.setattr(proxy, "CACHE", tmp_path / "cache")
    kept = [f for f in Path("/proc/cpuinfo").read_text().split() if f in ("avx2", "fma", "sse4_2")]
    text = proxy.masked_cpuinfo().read_text()
    assert "avx512" not in text and "avx_vnni" not in text and "amx_" not in text
    assert all(flag in text.split() for flag in kept)
