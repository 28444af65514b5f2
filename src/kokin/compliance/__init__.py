"""The compliance report for the ward (遵守状況の報告, 別紙3 第16条): a PDF per month or period, made from
the exchange, the incidents and the operation log, kept encrypted in the vault (docs/compliance-report.md)."""
