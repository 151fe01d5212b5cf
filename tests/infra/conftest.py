"""CDK tests: jsii prints a Node 20 end-of-life banner on every start; keep the output readable."""

import os

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
