"""What ``threadpact init`` writes into a repository: configuration, workflow, pre-commit."""
