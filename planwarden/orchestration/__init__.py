"""Operations: the Prefect flows and tasks, the service that schedules them, runs, status, the demo."""
