"""One Logger and one Metrics for the whole package (Powertools reads its POWERTOOLS_* settings).

No Powertools Tracer: it loads the X-Ray SDK at cold start, which measured ~85-100 ms (over half of a
function's init; see benchmarks/). Functions still run with ``Tracing: Active``, so Lambda records
each invocation's segment; per-call subsegments are the part we give up.
"""

from aws_lambda_powertools import Logger, Metrics

logger = Logger()
metrics = Metrics()
