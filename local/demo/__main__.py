"""`python -m local.demo [--without-sla-timers]`, which `make demo` runs."""

import sys

from local.demo.run import main

sys.exit(main())
