"""Operations: the Prefect flows and tasks, deployments, workers and the service that schedules them; runs, status, metrics, the demo."""
