"""Analytics: exports for Power BI and Excel (``triggerwatch export``) and the backtest of rules and
models on stored events (``triggerwatch backtest``). Read-only on the real database."""
