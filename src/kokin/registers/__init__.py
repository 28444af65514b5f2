"""The written reports the ward's privacy terms require (届出台帳): the operator roster (従事者名簿, 別紙3
第4条3・5) and the equipment register (情報処理機器届出台帳, 第6条1), kept as numbered versions made on
every change, signed off by the system administrator, and exported as PDF and CSV (docs/registers.md)."""
