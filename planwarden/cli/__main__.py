"""python -m planwarden.cli"""

import sys

from planwarden.cli import main

sys.exit(main())
