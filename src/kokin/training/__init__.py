"""研修と取扱規程の確認 (別紙3 第9条): the training the provider gives its operators, their acknowledgement
of the handling rules (取扱規程), the gate that asks for it, and the 研修実施報告 for the ward.

- :mod:`~kokin.training.lapse` when an acknowledgement lapses, pure;
- :mod:`~kokin.training.selectors` who stands where (:func:`~kokin.training.selectors.status`,
  :func:`~kokin.training.selectors.records_between` for the monthly compliance report);
- :mod:`~kokin.training.services` acknowledge, record training;
- :mod:`~kokin.training.gate` the middleware that sends a lapsed operator to the acknowledgement page;
- :mod:`~kokin.training.report` the 研修実施報告 (PDF in :mod:`~kokin.training.report_pdf`, CSV).

See ``docs/training.md``.
"""
