"""Jobs run after a transfer (HULFT's 集信後ジョブ / 配信後ジョブ), chosen by direction, outcome and transfer ID.

A command is an argument vector, never a shell string, so that file names from the hub cannot inject
shell syntax; placeholders (``{path}`` …) are filled in each argument separately.
"""

from __future__ import annotations

import fnmatch
import logging
import os
import subprocess
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from kokin.bank.config import JOB_PLACEHOLDERS, JobConfig

log = logging.getLogger("kokin.bank.agent")


@dataclass(frozen=True)
class JobResult:
    job: JobConfig
    argv: tuple[str, ...]
    returncode: int | None  # None: it did not start or was stopped at its timeout
    output: str


def matching(jobs: Iterable[JobConfig], when: str, outcome: str, transfer_id: str) -> list[JobConfig]:
    """The jobs for a transfer, in configuration order; ``transfer_id`` is an fnmatch pattern (case-sensitive)."""
    return [
        job
        for job in jobs
        if job.when == when and job.outcome == outcome and fnmatch.fnmatchcase(transfer_id, job.transfer_id)
    ]


def expand(command: Iterable[str], values: Mapping[str, object]) -> tuple[str, ...]:
    """Fill the placeholders of each argument; a missing value is an empty string."""
    filled = {name: "" if values.get(name) is None else str(values.get(name)) for name in JOB_PLACEHOLDERS}
    return tuple(part.format_map(filled) for part in command)


def run_jobs(
    jobs: Iterable[JobConfig],
    when: str,
    outcome: str,
    transfer_id: str,
    values: Mapping[str, object],
    *,
    cwd: str | None = None,
) -> list[JobResult]:
    """Run the matching jobs one after another; a failing job is logged and does not stop the agent."""
    results = []
    for job in matching(jobs, when, outcome, transfer_id):
        argv = expand(job.command, values)
        env = dict(os.environ)
        # the same values as environment variables, for scripts that prefer them to arguments
        env.update({f"KOKIN_{name.upper()}": "" if values.get(name) is None else str(values[name]) for name in values})
        log.info(
            "ジョブ開始 / job started: job[%d] %s %s %s: %s",
            job.index,
            when,
            outcome,
            transfer_id,
            " ".join(argv),
        )
        try:
            done = subprocess.run(
                argv,
                cwd=cwd,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                timeout=job.timeout_seconds,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            output = exc.output.decode("utf-8", "replace") if isinstance(exc.output, bytes) else ""
            log.warning(
                "ジョブが時間切れで停止されました / job timed out and was stopped: job[%d] after %ss",
                job.index,
                job.timeout_seconds,
            )
            results.append(JobResult(job, argv, None, output))
            continue
        except OSError as exc:
            log.warning("ジョブを起動できません / job could not start: job[%d]: %s", job.index, exc)
            results.append(JobResult(job, argv, None, str(exc)))
            continue
        output = done.stdout.decode("utf-8", "replace")
        for line in output.splitlines()[-20:]:
            log.info("ジョブ出力 / job output: job[%d] %s", job.index, line)
        if done.returncode == 0:
            log.info("ジョブ正常終了 / job finished: job[%d]", job.index)
        else:
            log.warning("ジョブ異常終了 / job failed: job[%d] exit %d", job.index, done.returncode)
        results.append(JobResult(job, argv, done.returncode, output))
    return results
