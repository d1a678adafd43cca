"""`python -m kis_platform.simulator …`"""

import sys

from kis_platform.simulator.cli import main

sys.exit(main(sys.argv[1:]))
