"""`python -m partnerhub.cli`."""

import sys

from partnerhub.cli import main

sys.exit(main())
