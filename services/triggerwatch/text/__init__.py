"""Text understanding: company-name normalisation, Finnish-aware company linking, trigger classification."""
