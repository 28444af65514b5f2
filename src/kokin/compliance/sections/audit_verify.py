"""操作ログの検証: ``kokin audit verify`` run when the report is made — the same two checks the command
makes (:func:`kokin.audit.services.check`, the hash chain of every entry; :func:`kokin.audit.anchors.check`,
the log against its signed checkpoints) — and what they found."""

from __future__ import annotations

from kokin.audit import anchors
from kokin.audit.services import check
from kokin.compliance.period import when_label
from kokin.compliance.sections.base import Context, Section, count

#: problems written out (all are counted)
SHOW_PROBLEMS = 10
OK, NG = "正常", "異常"


def build(context: Context) -> Section:
    chain = check(keep=SHOW_PROBLEMS)
    anchored = anchors.check()
    ok = chain.ok and anchored.ok
    if chain.ok:
        chain_text = (
            f"{OK}: {count(chain.count)} 件の記録が連結しており、改ざんはありません "
            f"(最終 連番 {count(chain.head_seq)}、MAC {chain.head_mac})"
        )
    else:
        chain_text = (
            f"{NG}: {count(chain.count)} 件中 {count(chain.break_count)} か所で連結が壊れています (改ざんの疑い)"
        )
    latest = anchored.latest
    if not anchored.ok:
        anchor_text = f"{NG}: 署名付きチェックポイントと {count(len(anchored.problems))} か所で一致しません"
    elif latest is None:
        anchor_text = f"{OK}: チェックポイントはまだありません ({count(anchored.after)} 件がチェックポイントの前)"
    else:
        anchor_text = (
            f"{OK}: チェックポイント {count(anchored.checked)} 件の署名と一致を確認。最新は連番 {count(latest.seq)} "
            f"({when_label(latest.taken)})、その後の記録 {count(anchored.after)} 件"
        )
    rows = [
        ("実行日時", when_label(context.made_at)),
        ("操作ログの連結 (HMAC 連鎖)", chain_text),
        ("チェックポイントとの照合", anchor_text),
        ("結果", f"{OK} (kokin audit verify: OK)" if ok else f"{NG} (kokin audit verify: NG)"),
    ]
    notes = [f"連番 {b.seq}: {b.message_ja}" for b in chain.breaks[:SHOW_PROBLEMS]]
    notes += [p.message_ja for p in anchored.problems[:SHOW_PROBLEMS]]
    more = chain.break_count + len(anchored.problems) - len(notes)
    if more > 0:
        notes.append(f"ほか {count(more)} 件 (kokin audit verify で全件を表示)")
    notes += [f"注意: {w.message_ja}" for w in anchored.warnings]
    notes.append(
        "検証は報告の作成時に kokin audit verify と同じ処理で行いました (この報告の作成の記録より前の記録が対象)。"
    )
    facts = {
        "verify_ok": ok,
        "entries": chain.count,
        "breaks": chain.break_count,
        "checkpoint_problems": len(anchored.problems),
    }
    return Section("操作ログの検証 (作成時)", rows=rows, notes=notes, facts=facts)
