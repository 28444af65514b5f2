"""The whole service with real processes: the demo, a real browser, a killed hub, a full disk."""
