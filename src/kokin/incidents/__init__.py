"""事故・インシデント (別紙3 第15条): incidents the hub detects, their workflow (検知 → 調査中 → 報告済 → 完了),
the mail to the system administrators and auditors, and the draft of the 漏えい等報告.

- :mod:`~kokin.incidents.services` raise, move on, note, save a report version;
- :mod:`~kokin.incidents.detection` what logins and downloads call so the rules can count;
- :mod:`~kokin.incidents.rules` the rules' arithmetic, pure; :mod:`~kokin.incidents.config` their settings;
- :mod:`~kokin.incidents.report` the 漏えい等報告 draft (text, and PDF in :mod:`~kokin.incidents.report_pdf`).

See ``docs/incidents.md``.
"""
