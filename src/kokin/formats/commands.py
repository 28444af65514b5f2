"""``kokin validate / convert / inspect / sample / debit build``: the format engine's commands, for
operators and scripts, without the hub (no Django: :mod:`kokin.formats` is a library).

Messages for operators are printed in Japanese and English. Exit status: 0 success (warnings
allowed), 1 the file is invalid, 2 the command was used wrongly (``validate`` and ``convert`` without
``--format`` on a file whose header fits not exactly one format, too). Warnings print grouped by field,
code and value; progress bars show on stderr when it is a terminal.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from kokin.formats.errors import ISSUE_LIMIT, FormatError, FormatIssue, Report

#: files from this size on show a progress bar while they are read (on a terminal)
BIG_FILE = 32 * 1024 * 1024
#: rows from this many on show a progress bar while they are drawn or written (on a terminal)
MANY_ROWS = 100_000


FORMAT_HELP = (
    "File format, e.g. zengin-debit; without it, the format the file's header shows for certain (said on stderr)."
)


def _format_module(name: str) -> Any:
    from kokin.formats import FORMATS

    if name not in FORMATS:
        raise click.BadParameter(f"unknown format '{name}' (known: {', '.join(FORMATS)})", param_hint="--format")
    return FORMATS[name]


def _head(path: str) -> bytes:
    with open(path, "rb") as fh:
        return fh.read(4096)


def _candidates(path: str) -> tuple[list[tuple[str, str]], str]:
    """The formats the file looks like, and why it is not one when it is not exactly one."""
    from kokin.formats import candidates

    head = _head(path)
    if not head:
        return [], "空のファイルです / the file is empty"
    found = candidates(head)
    if not found:
        return found, "どの形式のヘッダーとも一致しません / the first record matches no known header"
    if len(found) > 1:
        return found, "ヘッダーが複数の形式に合います / the header fits several formats"
    return found, ""


def _uncertain(found: list[tuple[str, str]], why: str, *, has_format_option: bool = True) -> str:
    """Why the format is not certain and the candidates: those the header fits, or every format."""
    from kokin.formats import FORMATS

    names = ", ".join(name for name, _ in found) if found else ", ".join(FORMATS)
    ja, _, en = why.partition(" / ")
    if not has_format_option:
        return (
            f"形式を確定できません ({ja})。候補: {names} / "
            f"cannot tell the format for certain ({en}); candidates: {names}"
        )
    return (
        f"形式を確定できません ({ja})。--format で次のどれかを指定してください: {names} / "
        f"cannot tell the format for certain ({en}); give --format, one of: {names}"
    )


def _say_detected(name: str, reason: str) -> None:
    ja, _, en = reason.partition(" / ")
    click.echo(f"形式 {name} と判定しました ({ja}) / detected format {name} ({en})", err=True)


def _resolve_format(path: str, fmt: str | None) -> Any:
    """The format module ``--format`` names or, without it, the one the file's header shows for certain
    (said on stderr); :class:`click.UsageError` listing the candidates when it is not certain."""
    if fmt is not None:
        return _format_module(fmt)
    found, why = _candidates(path)
    if why:
        raise click.UsageError(_uncertain(found, why))
    [(name, reason)] = found
    _say_detected(name, reason)
    return _format_module(name)


def _layout(module: Any, profile: str | None) -> Any:
    if profile is None:
        return module.LAYOUT
    from kokin.formats.profile import load_profile

    return load_profile(profile).layout(module.NAME, module.LAYOUT)


def _print_issue(issue: FormatIssue) -> None:
    label = "ERROR" if issue.severity == "error" else "WARNING"
    click.echo(f"{label} {issue}", err=issue.severity == "error")


def _print_report(report: Report, limit: int | None, *, each_warning: bool = False) -> None:
    """Errors one a line; warnings grouped by field, code and value (a count and the first records) or,
    with ``each_warning``, one a line; at most ``limit`` lines, the rest counted."""
    lines: list[tuple[str, bool, int]] = []  # (text, to stderr, issues it stands for)
    for issue in report.sorted_issues():
        if issue.severity == "error" or each_warning:
            lines.append(
                (f"{'ERROR' if issue.severity == 'error' else 'WARNING'} {issue}", issue.severity == "error", 1)
            )
    if not each_warning:
        lines.extend((f"WARNING {group}", False, group.count) for group in report.sorted_groups())
    shown = lines[:limit] if limit else lines
    for text, to_stderr, _ in shown:
        click.echo(text, err=to_stderr)
    hidden = report.error_count + report.warning_count - sum(n for _, _, n in shown)
    if hidden > 0:
        click.echo(f"... ほか {hidden:,} 件 / {hidden:,} more", err=True)


def _on_terminal() -> bool:
    """Progress bars only on a terminal: a pipe, a log or a test reads no bar."""
    return sys.stderr.isatty()


@contextmanager
def _bar(total: int, unit: str, desc: str, enabled: bool = True) -> Iterator[Any]:
    """A tqdm bar on stderr when ``enabled`` and stderr is a terminal; None otherwise (nothing shown)."""
    if not enabled or not _on_terminal():
        yield None
        return
    from tqdm import tqdm

    bar = tqdm(total=total, unit=unit, unit_scale=True, desc=desc, file=sys.stderr, leave=False, dynamic_ncols=True)
    try:
        yield bar
    finally:
        bar.close()


@contextmanager
def _rows_progress(rows: int, desc: str) -> Iterator[Any]:
    """A :data:`kokin.formats.progress.Tick` moving a bar of ``rows`` rows (from :data:`MANY_ROWS` on), or None."""
    with _bar(rows, " rows", desc, rows >= MANY_ROWS) as bar:
        yield None if bar is None else bar.update


@contextmanager
def _progress(path: str, enabled: bool) -> Iterator[Any]:
    """A tracker of the bytes read (the engine's ``progress``) for a file from :data:`BIG_FILE` on, or None."""
    size = os.path.getsize(path)
    if not enabled or size < BIG_FILE or not _on_terminal():
        yield None
        return
    from tqdm import tqdm

    bar = tqdm(total=size, unit="B", unit_scale=True, desc=Path(path).name, file=sys.stderr, leave=False)

    class Tracker:
        done = 0

        def update(self, read: int) -> None:
            bar.update(read - self.done)
            self.done = read

    try:
        yield Tracker()
    finally:
        bar.close()


def _fail(exc: FormatError) -> None:
    for issue in exc.issues:
        _print_issue(issue)
    sys.exit(1)


@click.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--format", "fmt", default=None, help=FORMAT_HELP)
@click.option("--profile", type=click.Path(exists=True, dir_okay=False), help="Bank profile (TOML).")
@click.option(
    "--mode",
    type=click.Choice(["auto", "request", "result"]),
    default="auto",
    show_default=True,
    help="Request or result file (zengin-debit).",
)
@click.option("--no-master", is_flag=True, help="Do not look bank/branch codes up in the master.")
@click.option("--max-errors", type=int, default=None, help="Print at most this many issues.")
@click.option(
    "--issue-limit",
    type=click.IntRange(1),
    default=ISSUE_LIMIT,
    show_default=True,
    help="List at most this many errors (and warnings); the rest are only counted.",
)
@click.option(
    "--each-warning",
    is_flag=True,
    help="List every warning on its own line (up to --issue-limit) instead of one line per field, code and value.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def validate(
    file: str,
    fmt: str | None,
    profile: str | None,
    mode: str,
    no_master: bool,
    max_errors: int | None,
    issue_limit: int,
    each_warning: bool,
    as_json: bool,
) -> None:
    """Check FILE; exit 0 when valid (warnings allowed), 1 when invalid. Beyond --issue-limit errors
    (and as many warnings) the issues are counted, not listed: a file full of faults is checked about as
    fast as a clean one. Warnings of one field, code and value are printed as one line with their count
    and first records (--each-warning lists them one by one; --json has both)."""
    module = _resolve_format(file, fmt)
    try:
        layout = _layout(module, profile)
        with _progress(file, not as_json) as progress:
            report = module.validate(
                file, layout=layout, mode=mode, check_master=not no_master, max_issues=issue_limit, progress=progress
            )
    except FormatError as exc:
        _fail(exc)
        return
    if as_json:
        click.echo(
            json.dumps(
                {
                    "ok": report.ok,
                    "errors": report.error_count,
                    "warnings": report.warning_count,
                    "issues": [i.as_dict() for i in report.sorted_issues()],
                    "omitted": report.omitted,
                    "warning_groups": [g.as_dict() for g in report.sorted_groups()],
                },
                ensure_ascii=False,
            )
        )
    else:
        _print_report(report, max_errors, each_warning=each_warning)
        verdict = "OK" if report.ok else "INVALID"
        click.echo(
            f"{verdict}: {file}: エラー {report.error_count} 件, 警告 {report.warning_count} 件 / "
            f"{report.error_count} errors, {report.warning_count} warnings"
        )
    sys.exit(0 if report.ok else 1)


@click.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--format", "fmt", default=None, help=FORMAT_HELP)
@click.option("--to", "target", type=click.Choice(["json", "csv", "xlsx", "parquet"]), required=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Output file (JSON goes to stdout without).")
@click.option(
    "--encoding",
    type=click.Choice(["utf-8-sig", "cp932"]),
    default="utf-8-sig",
    show_default=True,
    help="CSV encoding: UTF-8 with BOM or cp932 (both open in Excel).",
)
@click.option("--profile", type=click.Path(exists=True, dir_okay=False), help="Bank profile (TOML).")
@click.option("--force", is_flag=True, help="Convert even when the file has errors.")
@click.option(
    "--headers",
    type=click.Choice(["ja", "en"]),
    default="ja",
    show_default=True,
    help="CSV/Excel: Japanese labels with decoded columns (names, meanings, 和暦), or field IDs only.",
)
def convert(
    file: str,
    fmt: str | None,
    target: str,
    output: str | None,
    encoding: str,
    profile: str | None,
    force: bool,
    headers: str,
) -> None:
    """Convert FILE to JSON, CSV, Excel or Parquet."""
    from kokin.formats import convert as conv
    from kokin.formats.files import write_atomic

    module = _resolve_format(file, fmt)
    try:
        layout = _layout(module, profile)
        with _progress(file, True) as progress:
            parsed = module.parse(file, layout=layout, progress=progress)
    except FormatError as exc:
        _fail(exc)
        return
    if not parsed.report.ok and not force:
        _print_report(parsed.report, 20)
        click.echo(
            "エラーのあるファイルは変換しません (--force で変換) / the file has errors; use --force to convert",
            err=True,
        )
        sys.exit(1)
    if target != "json" and output is None:
        raise click.UsageError(f"--to {target} needs -o/--output")
    if target == "json":
        doc = conv.to_json_document(parsed)
        if output is None:
            json.dump(doc, sys.stdout, ensure_ascii=False, indent=1)
            sys.stdout.write("\n")
        else:
            write_atomic(output, json.dumps(doc, ensure_ascii=False, indent=1).encode("utf-8"))
    elif target == "csv":
        with _rows_progress(len(parsed.columns.get("data", ())), "CSV") as tick:
            conv.write_csv(parsed, output, encoding=encoding, headers=headers, progress=tick)  # type: ignore[arg-type]
    elif target == "xlsx":
        with _rows_progress(parsed.records, "Excel") as tick:
            conv.write_xlsx(parsed, output, headers=headers, progress=tick)  # type: ignore[arg-type]
    else:
        conv.write_parquet(parsed, output)  # type: ignore[arg-type]
    if output:
        click.echo(f"{output} を書き出しました / wrote {output}", err=True)


@click.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
def inspect(file: str, as_json: bool) -> None:
    """Detect FILE's format and print a summary (batches, counts, totals, per result code, per bank)."""
    from kokin.formats import FORMATS
    from kokin.formats import convert as conv

    found, why = _candidates(file)
    if why:
        click.echo(_uncertain(found, why, has_format_option=False), err=True)
        sys.exit(1)
    [(name, reason)] = found
    module = FORMATS[name]
    with _progress(file, not as_json) as progress:
        parsed = module.parse(file, progress=progress)
    summary = module.summary(parsed)
    summary["detected_because"] = reason
    if as_json:
        click.echo(json.dumps(summary, ensure_ascii=False, indent=1))
    else:
        click.echo(conv.summary_text(summary, parsed))
    sys.exit(0 if parsed.report.ok else 1)


@click.command()
@click.option("--format", "fmt", required=True, help="File format, e.g. zengin-debit, mpn-receipt.")
@click.option("--records", type=click.IntRange(0), default=1000, show_default=True, help="Data records.")
@click.option("--seed", type=int, default=0, show_default=True, help="Same seed, same bytes.")
@click.option("-o", "--output", type=click.Path(dir_okay=False), required=True)
@click.option("--faults", type=click.IntRange(0), default=0, help="Inject this many documented faults.")
@click.option("--result", is_flag=True, help="zengin-debit: a result file with a realistic mix of result codes.")
@click.option(
    "--date",
    "base_date",
    type=click.DateTime(["%Y-%m-%d"]),
    default=None,
    help="The file's date (debit or payment date); default 2026-05-27.",
)
def sample(fmt: str, records: int, seed: int, output: str, faults: int, result: bool, base_date: Any) -> None:
    """Write a realistic, valid sample file (optionally with injected faults)."""
    from kokin.formats import synth as samples
    from kokin.formats.files import write_atomic

    _format_module(fmt)
    try:
        with _rows_progress(records, Path(output).name) as tick:
            raw, injected = samples.generate(
                fmt,
                records,
                seed=seed,
                faults=faults,
                result=result,
                base_date=base_date.date() if base_date else None,
                progress=tick,
            )
    except ValueError as exc:
        raise click.UsageError(str(exc)) from exc
    write_atomic(output, raw)
    for fault in injected:
        click.echo(f"FAULT record {fault.record}: {fault.field}: {fault.description} ({fault.kind})", err=True)
    click.echo(f"{output}: {fmt} {records:,} 件 / records, seed {seed}, faults {len(injected)}")


@click.group()
def debit() -> None:
    """Direct debit (口座振替) files."""


@debit.command("build")
@click.option(
    "--from",
    "source",
    type=click.Path(exists=True, dir_okay=False),
    required=True,
    help="CSV of payers (columns in docs/formats/zengin-debit.md).",
)
@click.option("-o", "--output", type=click.Path(dir_okay=False), required=True)
@click.option("--consignor-code", required=True, help="委託者コード (10 digits).")
@click.option("--consignor-name", required=True, help="委託者名 (normalised to half-width kana).")
@click.option("--debit-date", required=True, help="引落日 MMDD.")
@click.option("--bank-code", required=True, help="The consignor's bank code (取引金融機関).")
@click.option("--branch-code", required=True, help="The consignor's branch code.")
@click.option("--account-type", default="1", show_default=True, help="The consignor's account type.")
@click.option("--account-number", required=True, help="The consignor's account number (7 digits).")
@click.option("--truncate", is_flag=True, help="Cut over-long names to the field (reported).")
@click.option("--allow-unknown-codes", is_flag=True, help="Accept bank/branch codes missing from the master.")
@click.option("--separator", type=click.Choice(["crlf", "none"]), default="crlf", show_default=True)
@click.option("--ebcdic", is_flag=True, help="Write EBCDIC (code_division 1).")
def debit_build(
    source: str,
    output: str,
    consignor_code: str,
    consignor_name: str,
    debit_date: str,
    bank_code: str,
    branch_code: str,
    account_type: str,
    account_number: str,
    truncate: bool,
    allow_unknown_codes: bool,
    separator: str,
    ebcdic: bool,
) -> None:
    """Build a debit request file from a CSV of payers."""
    from kokin.formats import debit_csv
    from kokin.formats.files import write_atomic
    from kokin.formats.kinds import zengin_debit

    try:
        records, truncations = debit_csv.rows_to_records(
            debit_csv.read_text(source), truncate=truncate, allow_unknown_codes=allow_unknown_codes
        )
        header = debit_csv.consignor_header(
            dict(
                consignor_code=consignor_code,
                consignor_name=consignor_name,
                debit_date=debit_date,
                bank_code=bank_code,
                branch_code=branch_code,
                account_type=account_type,
                account_number=account_number,
            )
        )
        header["code_division"] = "1" if ebcdic else "0"
        raw = zengin_debit.build([{"header": header, "records": records}], separator=separator)
    except FormatError as exc:
        _fail(exc)
        return
    report = zengin_debit.validate(raw, mode="request")
    if not report.ok:
        _print_report(report, 50)
        sys.exit(1)
    for t in truncations:
        click.echo(
            f"WARNING line {t.line} {t.column}: 「{t.original}」を「{t.value}」に切り詰めました / "
            f"truncated to '{t.value}'",
            err=True,
        )
    write_atomic(output, raw)
    total = sum(r["amount"] for r in records)
    click.echo(f"{output}: {len(records)} 件 {total:,} 円 / {len(records)} records, {total:,} yen")
