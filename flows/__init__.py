"""Prefect entry points for deployments made from a checkout (deploy/prefect.yaml).

The flows themselves live in ``planwarden.orchestration.flows``; these files only name them
at paths Prefect's ``entrypoint: flows/<file>.py:<flow>`` can load. Not installed with the package.
"""
