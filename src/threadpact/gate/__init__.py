"""The gate: one module per step, a runner that composes them, and the reports."""
