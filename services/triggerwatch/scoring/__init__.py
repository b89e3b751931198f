"""Customer segmentation, decision-tree lookalike scoring and target groups (issue 6)."""
