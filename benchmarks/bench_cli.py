"""Benchmark: the ``kokin`` command as an operator runs it — start time, and ``kokin validate`` of a file
whose every record warns against a clean one.

Run with ``uv run --frozen python benchmarks/bench_cli.py`` (not part of the test suite; about a minute
for the default 1,000,000 records, most of it drawing the sample). It writes, in a temporary folder
(``--keep DIR`` to keep them and reuse them on the next run):

1. clean  a valid Zengin debit request of ``--records`` records (``kokin sample``);
2. warn   the same bytes with every data record's branch code set to 999, which no bank of the sample
          has in the master: every record warns (a warning, so the file stays valid).

Each command runs as a real process (``kokin`` of this environment), ``--repeat`` times; the best wall
time and the best CPU time (user + system of the child) are printed, and the ratio warn/clean. The
start time is ``kokin --help`` and ``kokin validate --help`` (the Python start, click and every part's
command module, nothing else) and ``kokin validate`` of a 10-record file without ``--format`` (adds
numpy, the format layouts and the bank master: what every validation pays once). CPU times hold
better than wall times on a shared, loaded machine; the load average is printed with the figures.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

KOKIN = str(Path(sys.executable).with_name("kokin"))
RECORD = 122  # 120 bytes and CR LF
BRANCH = slice(20, 23)  # the data record's branch code (bytes 21-23)


def timed(args: list[str], repeat: int) -> tuple[float, float, str]:
    """Best wall and CPU seconds of ``kokin ARGS`` over ``repeat`` runs, and the last run's stdout."""
    walls, cpus, out = [], [], ""
    for _ in range(repeat):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        done = subprocess.run([KOKIN, *args], capture_output=True, text=True, check=False)
        walls.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
        if done.returncode not in (0, 1):
            raise SystemExit(f"kokin {' '.join(args)} failed:\n{done.stderr}")
        out = done.stdout
    return min(walls), min(cpus), out


def files(folder: Path, records: int) -> tuple[Path, Path]:
    clean, warn = folder / f"clean-{records}.dat", folder / f"warn-{records}.dat"
    if not clean.exists():
        subprocess.run(
            [KOKIN, "sample", "--format", "zengin-debit", "--records", str(records), "-o", str(clean)], check=True
        )
    if not warn.exists():
        rows = np.fromfile(clean, dtype=np.uint8).reshape(-1, RECORD)
        data = rows[:, 0] == ord("2")
        rows[data, BRANCH] = np.frombuffer(b"999", dtype=np.uint8)
        rows.tofile(warn)
    return clean, warn


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep", type=Path, default=None, help="keep (and reuse) the sample files here")
    args = parser.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="kokin-bench-cli-"))
    folder.mkdir(parents=True, exist_ok=True)
    try:
        clean, warn = files(folder, args.records)
        load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
        print(f"Python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPUs, load {load}")
        print(f"{'command':<46} {'wall s':>7} {'CPU s':>7}")
        small = folder / "small.dat"
        if not small.exists():
            subprocess.run(
                [KOKIN, "sample", "--format", "zengin-debit", "--records", "10", "-o", str(small)], check=True
            )
        for label, command in (
            ("kokin --help", ["--help"]),
            ("kokin validate --help", ["validate", "--help"]),
            ("kokin validate (10 records, format detected)", ["validate", str(small)]),
        ):
            wall, cpu, _ = timed(command, max(args.repeat, 5))
            print(f"{label:<46} {wall:>7.3f} {cpu:>7.3f}")
        results = {}
        for name, path in (("clean", clean), ("warn", warn)):
            wall, cpu, out = timed(["validate", str(path), "--format", "zengin-debit"], args.repeat)
            results[name] = (wall, cpu)
            lines = out.count("\n")
            print(f"{f'kokin validate {name} ({args.records:,} records)':<46} {wall:>7.3f} {cpu:>7.3f}  {lines} lines")
        (wall_c, cpu_c), (wall_w, cpu_w) = results["clean"], results["warn"]
        print(f"{'ratio warn / clean':<46} {wall_w / wall_c:>7.2f} {cpu_w / cpu_c:>7.2f}")
    finally:
        if args.keep is None:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
