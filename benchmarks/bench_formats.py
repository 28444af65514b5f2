"""Benchmark: kokin's Zengin debit validator/decoder against the obvious alternatives.

Run by ``make bench`` (``uv run --frozen python benchmarks/bench_formats.py``). It builds a seeded
1,000,000-record Zengin direct-debit request file (120-byte records, CR LF, real bank/branch codes
from the bank master), then times in this process, best of ``--repeat``:

1. kokin validate only      ``zengin_debit.validate(path)`` (streaming, constant memory)
2. kokin validate + decode  ``zengin_debit.parse(path)`` (Arrow tables)
3. a per-line Python parser doing the same checks and collecting the same columns into lists
4. ``pandas.read_fwf`` with the data record's colspecs (no checks at all)
5. a plain memory copy: read the file into bytes and copy it into a bytearray (the physical floor)

Peak memory is measured once per contender in a fresh child process: the child imports everything
and warms the bank master, resets the kernel's peak-RSS mark (``/proc/self/clear_refs``), runs the
contender once and reports VmHWM minus its RSS before the run. RSS (not tracemalloc) because Arrow
allocates outside Python's allocator. Then a ~1 GB file is validated in a child the same way.

Options: ``--records N`` (default 1,000,000), ``--big-gb X`` (default 1.0; 0 skips the streaming
test), ``--repeat R`` (default 3), ``--strict`` (exit 1 when a bar fails).
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc  # noqa: F401 - imported up front: one-time import costs are not the subject

from kokin.formats import zengin_debit
from kokin.formats.bankmaster import master
from kokin.formats.charset import ZENGIN_CHARS, is_zengin_text
from kokin.formats.codec import encode_record
from kokin.formats.kana import NameConversionError, normalise_name

SEED = 20250527
BATCH_RECORDS = 250_000  # the trailer's count has 6 digits: a batch holds at most 999,999 records
RECORD = 120
STRIDE = RECORD + 2  # CR LF
MB = 1_000_000

SURNAMES = ("ﾔﾏﾀﾞ", "ｽｽﾞｷ", "ﾀﾅｶ", "ｻﾄｳ", "ﾀｶﾊｼ", "ﾜﾀﾅﾍﾞ", "ｲﾄｳ", "ﾅｶﾑﾗ", "ｺﾊﾞﾔｼ", "ｶﾄｳ", "ﾖｼﾀﾞ", "ﾔﾏﾓﾄ")
GIVEN = ("ﾀﾛｳ", "ﾊﾅｺ", "ｲﾁﾛｳ", "ﾖｳｺ", "ｹﾝｼﾞ", "ﾐﾕｷ", "ｻﾄｼ", "ﾕｳｺ", "ｼﾞﾕﾝｲﾁ", "ｹｲｺ")
COMPANIES = ("ｶ)ﾔﾏﾀﾞｼﾖｳｼﾞ", "ﾕ)ｽｽﾞｷｺｳｷﾞﾖｳ", "ｲ)ｹﾝｺｳｶｲ", "ﾀﾅｶｼﾖｳﾃﾝ(ｶ", "ｶﾞｸ)ｱｵﾊﾞｶﾞｸｴﾝ", "ABCｻ-ﾋﾞｽ(ｶ")


# -- the file ----------------------------------------------------------------------------------------


def _pad(text: str, width: int) -> bytes:
    raw = text.encode("cp932")
    assert len(raw) <= width, text
    return raw.ljust(width, b" ")


def _put_digits(rows: np.ndarray, start: int, width: int, values: np.ndarray) -> None:
    """Write ``values`` zero-filled into columns ``start:start+width`` (0-based) of every row."""
    v = values.astype(np.int64)
    for j in range(width - 1, -1, -1):
        rows[:, start + j] = 48 + v % 10
        v //= 10


def _branch_pool(rng: np.random.Generator, size: int = 2000) -> np.ndarray:
    """Bytes 2-38 of a data record (bank code and name, branch code and name) for real branches."""
    m = master()
    keys = sorted(m.branches)
    pool = []
    for i in rng.choice(len(keys), size=min(size, len(keys)), replace=False):
        bank, branch = keys[int(i)]
        names = []
        for kana in (m.banks[bank].kana, m.branches[(bank, branch)].kana):
            try:
                names.append(normalise_name(kana, length=15, truncate=True).value)
            except NameConversionError:
                names.append("")  # bank and branch names may be blank
        pool.append(bank.encode() + _pad(names[0], 15) + branch.encode() + _pad(names[1], 15))
    return np.frombuffer(b"".join(pool), dtype=np.uint8).reshape(len(pool), 37)


def _name_pool() -> np.ndarray:
    names = [f"{s} {g}" for s in SURNAMES for g in GIVEN] + list(COMPANIES)
    assert all(is_zengin_text(n) for n in names)
    return np.frombuffer(b"".join(_pad(n, 30) for n in names), dtype=np.uint8).reshape(len(names), 30)


def _data_rows(rng: np.random.Generator, n: int, branches: np.ndarray, names: np.ndarray) -> np.ndarray:
    rows = np.full((n, STRIDE), 32, dtype=np.uint8)
    rows[:, 0] = ord("2")
    rows[:, 1:38] = branches[rng.integers(0, len(branches), n)]
    rows[:, 42] = np.frombuffer(b"1111111239", dtype=np.uint8)[rng.integers(0, 10, n)]
    _put_digits(rows, 43, 7, rng.integers(0, 10_000_000, n))
    rows[:, 50:80] = names[rng.integers(0, len(names), n)]
    amounts = rng.integers(100, 300_000, n)
    _put_digits(rows, 80, 10, amounts)
    rows[:, 90] = np.frombuffer(b"0000000012", dtype=np.uint8)[rng.integers(0, 10, n)]
    rows[:, 91:95] = ord("0")  # customer number: 20 digits, the municipality's key
    _put_digits(rows, 95, 16, rng.integers(0, 10**16, n))
    rows[:, 111] = ord("0")  # result code: 0 in a request
    rows[:, 120] = 13
    rows[:, 121] = 10
    return rows


def build_file(path: Path, records: int) -> None:
    """A valid request file: ``records`` data records in batches of ≤ BATCH_RECORDS, CR LF."""
    rng = np.random.default_rng(SEED)
    layout = zengin_debit.LAYOUT
    header_kind, _, trailer_kind, end_kind = layout.kinds
    branches, names = _branch_pool(rng), _name_pool()
    with open(path, "wb") as f:
        done, batch = 0, 0
        while done < records or batch == 0:
            n = min(BATCH_RECORDS, records - done)
            batch += 1
            header = {
                "type_code": "91",
                "code_division": "0",
                "consignor_code": f"{1234567000 + batch}",
                "consignor_name": f"ﾃﾞﾓｸ ｾﾞｲﾑｶ {batch}",
                "debit_date": "0527",
                "bank_code": "0001",
                "bank_name": "ﾐｽﾞﾎ",
                "branch_code": "001",
                "branch_name": "ﾄｳｷﾖｳ",
                "account_type": "1",
                "account_number": "7777777",
            }
            f.write(encode_record(layout, header_kind, header) + b"\r\n")
            rows = _data_rows(rng, n, branches, names)
            f.write(rows.tobytes())
            amounts = rows[:, 80:90].astype(np.int64) - 48
            total = int((amounts * (10 ** np.arange(9, -1, -1, dtype=np.int64))).sum())
            totals = dict.fromkeys(("transferred_count", "transferred_amount", "failed_count", "failed_amount"), 0)
            trailer = {"total_count": n, "total_amount": total, **totals}
            f.write(encode_record(layout, trailer_kind, trailer) + b"\r\n")
            done += n
        f.write(encode_record(layout, end_kind, {}) + b"\r\n")


# -- the contenders ----------------------------------------------------------------------------------


def kokin_validate(path: str) -> int:
    report = zengin_debit.validate(path)
    assert report.ok, report.errors[:3]
    return int(report.error_count)


def kokin_parse(path: str) -> int:
    parsed = zengin_debit.parse(path)
    assert parsed.report.ok, parsed.report.errors[:3]
    return len(parsed.tables["data"])


_DAYS = (0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
_FOLLOWS = {b"1": (None, b"8"), b"2": (b"1", b"2"), b"8": (b"1", b"2"), b"9": (b"8",)}
_KNOWN: dict[str, Any] = {}


def _known() -> tuple[set[bytes], set[bytes]]:
    """The bank master as sets of byte codes (built once, outside the timing, like kokin's master)."""
    if not _KNOWN:
        m = master()
        _KNOWN["banks"] = {code.encode() for code in m.banks}
        _KNOWN["branches"] = {(bank + branch).encode() for bank, branch in m.branches}
    return _KNOWN["banks"], _KNOWN["branches"]


def per_line_parse(path: str) -> int:
    """What a competent developer writes without numpy: slice each line, check each field, collect lists.

    Same checks as kokin: record length and CR LF, data_kind and record order, digits in N fields,
    allowed values, the Zengin character set in C fields (after cp932 decoding), blank dummies, the
    debit date, bank/branch codes in the master (warnings), trailer totals; amounts become ints.
    """
    chars = ZENGIN_CHARS
    known_banks, known_branches = _known()
    errors: list[tuple[int, str, str]] = []
    warnings: list[tuple[int, str, str]] = []
    headers: list[dict[str, Any]] = []
    trailers: list[dict[str, Any]] = []
    cols: dict[str, list[Any]] = {
        name: []
        for name in (
            "batch",
            "bank_code",
            "bank_name",
            "branch_code",
            "branch_name",
            "account_type",
            "account_number",
            "holder_name",
            "amount",
            "new_code",
            "customer_number",
            "result_code",
            "record_number",
        )
    }
    batch_col, bank_col, bank_name_col = cols["batch"], cols["bank_code"], cols["bank_name"]
    branch_col, branch_name_col, type_col = cols["branch_code"], cols["branch_name"], cols["account_type"]
    account_col, holder_col, amount_col = cols["account_number"], cols["holder_name"], cols["amount"]
    new_col, customer_col, result_col = cols["new_code"], cols["customer_number"], cols["result_code"]
    number_col = cols["record_number"]

    def text(number: int, field: str, raw: bytes) -> str:
        try:
            s = raw.decode("cp932")
        except UnicodeDecodeError:
            errors.append((number, field, "not cp932"))
            return raw.decode("cp932", "replace").rstrip(" ")
        if not chars.issuperset(s):
            errors.append((number, field, "not in the Zengin character set"))
        return s.rstrip(" ")

    def digits(number: int, field: str, raw: bytes, allowed: tuple[bytes, ...] | None = None) -> str:
        if not raw.isdigit():
            errors.append((number, field, "not digits"))
        elif allowed is not None and raw not in allowed:
            errors.append((number, field, "not allowed"))
        return raw.decode("ascii", "replace")

    prev: bytes | None = None
    batch = 0
    count = amount_sum = ok_count = ok_sum = bad_count = bad_sum = 0
    result_marks = 0
    pending: list[tuple[int, dict[str, Any], tuple[int, int, int, int, int, int]]] = []
    number = 0
    with open(path, "rb") as f:
        for number, line in enumerate(f, 1):
            if len(line) != STRIDE or line[RECORD:] != b"\r\n":
                if line != b"\x1a":
                    errors.append((number, "length", f"{len(line)} bytes"))
                continue
            kind = line[0:1]
            follows = _FOLLOWS.get(kind)
            if follows is None:
                errors.append((number, "data_kind", "unknown"))
                prev = None
                continue
            if prev not in follows:
                errors.append((number, "record_order", "out of order"))
            prev = kind
            if kind == b"2":
                bank, branch = line[1:5], line[20:23]
                if not bank.isdigit():
                    errors.append((number, "bank_code", "not digits"))
                elif bank not in known_banks:
                    warnings.append((number, "bank_code", "unknown"))
                elif not branch.isdigit():
                    errors.append((number, "branch_code", "not digits"))
                elif bank + branch not in known_branches:
                    warnings.append((number, "branch_code", "unknown"))
                account_type = line[42:43]
                if account_type not in (b"1", b"2", b"3", b"9"):
                    errors.append((number, "account_type", "not allowed"))
                account = line[43:50]
                if not account.isdigit():
                    errors.append((number, "account_number", "not digits"))
                raw_amount = line[80:90]
                if raw_amount.isdigit():
                    amount = int(raw_amount)
                else:
                    errors.append((number, "amount", "not digits"))
                    amount = 0
                new_code = line[90:91]
                if new_code not in (b"0", b"1", b"2"):
                    errors.append((number, "new_code", "not allowed"))
                customer = line[91:111]
                if not customer.isdigit():
                    errors.append((number, "customer_number", "not digits"))
                result = line[111:112]
                if result not in (b"0", b"1", b"2", b"3", b"4", b"8", b"9"):
                    errors.append((number, "result_code", "not allowed"))
                if line[38:42] != b"    " or line[112:120] != b"        ":
                    warnings.append((number, "dummy", "not blank"))
                bank_name = line[5:20].decode("cp932", "replace")
                branch_name = line[23:38].decode("cp932", "replace")
                holder = line[50:80].decode("cp932", "replace")
                if not (chars.issuperset(bank_name) and chars.issuperset(branch_name) and chars.issuperset(holder)):
                    for field, raw in (
                        ("bank_name", line[5:20]),
                        ("branch_name", line[23:38]),
                        ("holder_name", line[50:80]),
                    ):
                        text(number, field, raw)
                count += 1
                amount_sum += amount
                if result == b"0":
                    ok_count += 1
                    ok_sum += amount
                else:
                    result_marks += 1
                    bad_count += 1
                    bad_sum += amount
                batch_col.append(batch)
                bank_col.append(bank.decode("ascii", "replace"))
                bank_name_col.append(bank_name.rstrip(" "))
                branch_col.append(branch.decode("ascii", "replace"))
                branch_name_col.append(branch_name.rstrip(" "))
                type_col.append(account_type.decode("ascii", "replace"))
                account_col.append(account.decode("ascii", "replace"))
                holder_col.append(holder.rstrip(" "))
                amount_col.append(amount)
                new_col.append(new_code.decode("ascii", "replace"))
                customer_col.append(customer.decode("ascii", "replace"))
                result_col.append(result.decode("ascii", "replace"))
                number_col.append(number)
            elif kind == b"1":
                batch += 1
                count = amount_sum = ok_count = ok_sum = bad_count = bad_sum = 0
                date = line[54:58]
                if date.isdigit():
                    month, day = int(date[:2]), int(date[2:])
                    if not (1 <= month <= 12 and 1 <= day <= _DAYS[month]):
                        errors.append((number, "debit_date", "not a real date"))
                else:
                    errors.append((number, "debit_date", "not digits"))
                bank, branch = line[58:62], line[77:80]
                if bank.isdigit() and bank not in known_banks:
                    warnings.append((number, "bank_code", "unknown"))
                elif bank.isdigit() and branch.isdigit() and bank + branch not in known_branches:
                    warnings.append((number, "branch_code", "unknown"))
                if line[103:120] != b" " * 17:
                    warnings.append((number, "dummy", "not blank"))
                headers.append(
                    {
                        "batch": batch,
                        "type_code": digits(number, "type_code", line[1:3], (b"91",)),
                        "code_division": digits(number, "code_division", line[3:4], (b"0", b"1")),
                        "consignor_code": digits(number, "consignor_code", line[4:14]),
                        "consignor_name": text(number, "consignor_name", line[14:54]),
                        "debit_date": date.decode("ascii", "replace"),
                        "bank_code": digits(number, "bank_code", bank),
                        "bank_name": text(number, "bank_name", line[62:77]),
                        "branch_code": digits(number, "branch_code", branch),
                        "branch_name": text(number, "branch_name", line[80:95]),
                        "account_type": digits(number, "account_type", line[95:96], (b"1", b"2", b"9")),
                        "account_number": digits(number, "account_number", line[96:103]),
                        "record_number": number,
                    }
                )
            elif kind == b"8":
                values = []
                for field, start, end in (
                    ("total_count", 1, 7),
                    ("total_amount", 7, 19),
                    ("transferred_count", 19, 25),
                    ("transferred_amount", 25, 37),
                    ("failed_count", 37, 43),
                    ("failed_amount", 43, 55),
                ):
                    raw = line[start:end]
                    if raw.isdigit():
                        values.append(int(raw))
                    else:
                        errors.append((number, field, "not digits"))
                        values.append(0)
                if line[55:120] != b" " * 65:
                    warnings.append((number, "dummy", "not blank"))
                trailer = {"batch": batch, "record_number": number}
                trailer.update(
                    zip(
                        (
                            "total_count",
                            "total_amount",
                            "transferred_count",
                            "transferred_amount",
                            "failed_count",
                            "failed_amount",
                        ),
                        values,
                        strict=True,
                    )
                )
                trailers.append(trailer)
                pending.append((number, trailer, (count, amount_sum, ok_count, ok_sum, bad_count, bad_sum)))
            elif line[1:120] != b" " * 119:
                warnings.append((number, "dummy", "not blank"))
    if prev != b"9":
        errors.append((number, "record_order", "the file does not end with an end record"))
    result_file = result_marks > 0 or any(
        t[k]
        for _, t, _ in pending
        for k in ("transferred_count", "transferred_amount", "failed_count", "failed_amount")
    )
    for number, trailer, actual in pending:
        expected = (
            trailer["total_count"],
            trailer["total_amount"],
            trailer["transferred_count"],
            trailer["transferred_amount"],
            trailer["failed_count"],
            trailer["failed_amount"],
        )
        check = actual if result_file else (*actual[:2], 0, 0, 0, 0)
        if expected != check:
            errors.append((number, "totals", f"{expected} != {check}"))
    assert not errors, errors[:3]
    return len(amount_col)


_FWF_FIELDS = [f for f in zengin_debit.LAYOUT.kind("data").fields if not f.dummy]


def read_fwf(path: str) -> int:
    frame = pd.read_fwf(
        path,
        colspecs=[(f.start - 1, f.end) for f in _FWF_FIELDS],
        names=[f.name for f in _FWF_FIELDS],
        dtype=str,
        encoding="cp932",
        header=None,
        na_filter=False,
    )
    return len(frame)


def memory_copy(path: str) -> int:
    with open(path, "rb") as f:
        data = f.read()
    copy = bytearray(data)
    return len(copy)


CONTENDERS: dict[str, tuple[str, Callable[[str], int]]] = {
    "validate": ("kokin validate (streaming)", kokin_validate),
    "parse": ("kokin validate + decode → Arrow", kokin_parse),
    "per_line": ("per-line Python parser", per_line_parse),
    "read_fwf": ("pandas.read_fwf (dtype=str)", read_fwf),
    "memcopy": ("memory copy (read + bytearray)", memory_copy),
}


def _warm_up() -> None:
    master()
    _known()


# -- memory: one contender in a fresh child --------------------------------------------------------


def _rss_kb(key: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"{key} not in /proc/self/status")


def child(name: str, path: str) -> None:
    """Run one contender once; print JSON with the peak RSS above the RSS after imports and warm-up."""
    _warm_up()
    gc.collect()
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")  # reset VmHWM (the peak RSS) to the current RSS
        method = "VmHWM after reset"
    except OSError:
        method = "ru_maxrss delta"
    before_kb = _rss_kb("VmRSS")
    before_max_kb = (
        _rss_kb("VmHWM") if method.startswith("VmHWM") else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    )
    t0 = time.perf_counter()
    CONTENDERS[name][1](path)
    seconds = time.perf_counter() - t0
    peak_kb = _rss_kb("VmHWM") if method.startswith("VmHWM") else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    peak_kb = max(peak_kb, before_max_kb)
    result = {"peak_mb": (peak_kb - before_kb) * 1024 / MB, "base_mb": before_kb * 1024 / MB}
    print(json.dumps({**result, "seconds": seconds, "method": method}))


def measure_child(name: str, path: Path) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, os.path.abspath(__file__), "--child", name, str(path)],
        check=True,
        capture_output=True,
        text=True,
    )
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


# -- the run ---------------------------------------------------------------------------------------


def best_of(fn: Callable[[str], int], path: str, repeat: int) -> tuple[float, int]:
    best = math.inf
    value = 0
    for _ in range(repeat):
        gc.collect()
        t0 = time.perf_counter()
        value = fn(path)
        best = min(best, time.perf_counter() - t0)
    return best, value


def machine() -> str:
    cpu = platform.processor() or "?"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return (
        f"machine: {cpu}; cpu_count {os.cpu_count()} (usable {usable}); {platform.system()} {platform.release()}\n"
        f"python {platform.python_version()}; numpy {np.__version__}; pyarrow {pa.__version__}; pandas {pd.__version__}"
    )


def streaming(workdir: Path, small: Path, gb: float) -> tuple[str, bool | None]:
    free = shutil.disk_usage(workdir).free
    need = gb * 1e9 + 2e9
    if free < max(3e9, need):
        return (
            f"streaming test skipped: {free / 1e9:.1f} GB free in {workdir} (needs ≥ {max(3e9, need) / 1e9:.0f} GB)",
            None,
        )
    content = small.read_bytes()
    body, end = content[:-STRIDE], content[-STRIDE:]
    assert end[:1] == b"9"
    reps = max(1, math.ceil(gb * 1e9 / len(body)))
    big = workdir / "big.dat"
    try:
        with open(big, "wb") as f:
            for _ in range(reps):
                f.write(body)
            f.write(end)
        del content, body
        size = big.stat().st_size
        records = size // STRIDE
        m = measure_child("validate", big)
        ok = m["peak_mb"] < 200
        line = (
            f"streaming validation of {size / 1e9:.2f} GB ({records:,} records, {reps} copies of the file's batches, "
            f"one end record): {m['seconds']:.2f} s, {records / m['seconds']:,.0f} records/s, "
            f"peak RSS +{m['peak_mb']:.1f} MB over the child's {m['base_mb']:.0f} MB after imports ({m['method']})"
        )
        return line, ok
    finally:
        big.unlink(missing_ok=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--records", type=int, default=1_000_000)
    ap.add_argument("--big-gb", type=float, default=1.0)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--strict", action="store_true", help="exit 1 when a bar fails")
    ap.add_argument("--child", nargs=2, metavar=("CONTENDER", "PATH"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(*args.child)
        return 0

    print(machine())
    _warm_up()
    with tempfile.TemporaryDirectory(prefix="kokin-bench-") as tmp:
        workdir = Path(tmp)
        path = workdir / "request.dat"
        t0 = time.perf_counter()
        build_file(path, args.records)
        build_s = time.perf_counter() - t0
        size = path.stat().st_size
        records = size // STRIDE
        t0 = time.perf_counter()
        report = zengin_debit.validate(path)
        assert report.error_count == 0 and report.warning_count == 0, (report.errors[:3], report.warnings[:3])
        print(
            f"file: {args.records:,} data records, {records:,} records in all, {size / MB:.1f} MB "
            f"(built in {build_s:.1f} s, seeded; zengin_debit.validate: 0 errors, 0 warnings)"
        )
        print(f"timing: best of {args.repeat} in this process; records/s counts all {records:,} records")
        print(
            "peak MB: one run in a fresh child process; peak RSS (VmHWM, reset via /proc/self/clear_refs after "
            "imports and bank-master warm-up) minus RSS before the run; MB = 10^6 bytes"
        )
        print()

        results: dict[str, dict[str, Any]] = {}
        for key, (_, fn) in CONTENDERS.items():
            seconds, value = best_of(fn, str(path), args.repeat)
            mem = measure_child(key, path)
            results[key] = {"seconds": seconds, "rate": records / seconds, "peak_mb": mem["peak_mb"], "value": value}
        assert results["parse"]["value"] == results["per_line"]["value"] == args.records
        assert results["read_fwf"]["value"] == records

        base = {k: results[k]["rate"] for k in ("per_line", "read_fwf", "memcopy")}
        print("| contender | seconds | records/s | peak MB | × per-line | × read_fwf | × memory copy |")
        print("|---|---:|---:|---:|---:|---:|---:|")
        for key, (label, _) in CONTENDERS.items():
            r = results[key]
            ratios = " | ".join(f"{r['rate'] / base[b]:.2f}" for b in ("per_line", "read_fwf", "memcopy"))
            print(f"| {label} | {r['seconds']:.3f} | {r['rate']:,.0f} | {r['peak_mb']:.1f} | {ratios} |")
        print()

        bars: list[tuple[str, bool]] = []
        for key in ("parse", "validate"):
            label = CONTENDERS[key][0]
            rate = results[key]["rate"]
            for b, need in (("per_line", 20.0), ("read_fwf", 40.0), ("memcopy", 0.3)):
                got = rate / base[b]
                bars.append((f"{label} ≥ {need:g}× {CONTENDERS[b][0]}: {got:.2f}×", got >= need))
        print("## bars")
        for text, ok in bars:
            print(f"- {'PASS' if ok else 'FAIL'}  {text}")
        if args.big_gb > 0:
            line, ok_big = streaming(workdir, path, args.big_gb)
            if ok_big is None:
                print(f"- SKIP  {line}")
            else:
                print(f"- {'PASS' if ok_big else 'FAIL'}  {line} < 200 MB")
                bars.append((line, ok_big))
        else:
            print("- SKIP  streaming test (--big-gb 0)")
    failed = [text for text, ok in bars if not ok]
    return 1 if (failed and args.strict) else 0


if __name__ == "__main__":
    sys.exit(main())
