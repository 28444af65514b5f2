"""Malware scanning (ウイルス対策, 別紙3 第6条3) with ClamAV's daemon: :mod:`kokin.scanning.clamd`."""
