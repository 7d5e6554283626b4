"""Running planwarden's scheduled jobs with Prefect: deployments, workers, metrics."""
