"""Benchmark: checking a file full of faults against checking a clean file of the same size.

Run with ``uv run --frozen python benchmarks/bench_faulty.py`` (not part of the test suite). It builds,
in memory, three Zengin debit files of ``--records`` records (default 150,000: about 18 MB):

1. clean        a valid request from :func:`kokin.formats.synth.generate`;
2. 0xFF         its header, then every record 120 bytes of 0xFF (an unknown 区分 each), its trailer and end;
3. all fields   as 2, but each record starts with ``2`` (a data record) so every field of it is wrong.

Each is validated (``zengin_debit.validate``, the engine of ``kokin validate`` and of the hub's upload
check) twice: with the issue limit (``--limit``, default :data:`kokin.formats.errors.ISSUE_LIMIT`) and
without any (``max_issues=None``: what the engine did before the limit, every issue worded). For each
the best CPU time of ``--repeat`` runs, the issues listed and counted, and the size of the report as the
hub writes it (the validation report CSV, :func:`kokin.exchange.reports.write_csv`) and as ``kokin
validate --json`` prints it. Ratios are against the clean file measured in the same run.
"""

from __future__ import annotations

import argparse
import io
import json
import platform
import time
from collections.abc import Callable

from kokin.exchange.reports import write_csv
from kokin.formats import synth as sample
from kokin.formats.bankmaster import master
from kokin.formats.errors import ISSUE_LIMIT, Report
from kokin.formats.kinds import zengin_debit

RECORD = 122  # 120 bytes and CR LF


def files(records: int) -> dict[str, bytes]:
    clean, _ = sample.generate("zengin-debit", records, seed=1)
    n = records  # the sample has one header, ``records`` data records, a trailer and an end record
    head, tail = clean[:RECORD], clean[RECORD + n * RECORD :]
    return {
        "clean": clean,
        "0xFF": head + (b"\xff" * 120 + b"\r\n") * n + tail,
        "all fields": head + (b"2" + b"\xff" * 119 + b"\r\n") * n + tail,
    }


def best(run: Callable[[], Report], repeat: int) -> tuple[float, Report]:
    times = []
    report = Report()
    for _ in range(repeat):
        start = time.process_time()
        report = run()
        times.append(time.process_time() - start)
    return min(times), report


def sizes(report: Report) -> tuple[int, int]:
    out = io.BytesIO()
    write_csv(out, report.sorted_issues(), more=report.omitted)
    document = {
        "ok": report.ok,
        "errors": report.error_count,
        "warnings": report.warning_count,
        "issues": [i.as_dict() for i in report.sorted_issues()],
        "omitted": report.omitted,
    }
    return len(out.getvalue()), len(json.dumps(document, ensure_ascii=False).encode())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, default=150_000)
    parser.add_argument("--limit", type=int, default=ISSUE_LIMIT)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    master()  # loaded once, before any timing
    made = files(args.records)
    print(f"Python {platform.python_version()} on {platform.machine()}; {args.records:,} records per file")
    print(
        f"{'file':<11} {'limit':>7} {'MB':>6} {'CPU s':>7} {'× clean':>8} {'listed':>9} {'counted':>10} "
        f"{'CSV MB':>7} {'JSON MB':>8}"
    )
    baseline: dict[str, float] = {}
    for limit in (args.limit, None):
        for name, data in made.items():
            seconds, report = best(
                lambda data=data, limit=limit: zengin_debit.validate(data, max_issues=limit),
                args.repeat if limit is not None else 1,
            )
            key = str(limit)
            if name == "clean":
                baseline[key] = seconds
            csv_size, json_size = sizes(report)
            listed = len(report.errors) + len(report.warnings)
            print(
                f"{name:<11} {limit if limit is not None else 'none':>7} {len(data) / 1e6:>6.1f} {seconds:>7.3f} "
                f"{seconds / baseline[key]:>8.1f} {listed:>9,} {report.error_count + report.warning_count:>10,} "
                f"{csv_size / 1e6:>7.2f} {json_size / 1e6:>8.2f}"
            )


if __name__ == "__main__":
    main()
