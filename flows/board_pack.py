"""Entry point: ``flows/board_pack.py:board_pack`` (see flows/__init__.py)."""

from planwarden.orchestration.flows.board_pack import board_pack

__all__ = ["board_pack"]
