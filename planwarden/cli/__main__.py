"""python -m planwarden.cli"""

from planwarden.cli import run

run()
