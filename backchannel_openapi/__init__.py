"""The OpenAPI 3.1 document of Backchannel's HTTP API, generated from the code and the template.

Not part of the layer and never deployed: it imports the functions' resolvers to read the metadata
that :func:`backchannel.core.routes.operation` attaches to each route, and ``template.yaml`` for the routes
themselves and which of them API Gateway's JWT authorizer guards. ``python -m backchannel_openapi``
prints the document; ``make openapi`` writes it to ``openapi.json``.
"""

from backchannel_openapi.document import build_document, render
from backchannel_openapi.routes import (
    ApiRoute,
    ResolverRoute,
    api_routes,
    functions,
    load_app,
    resolver_routes,
)

__all__ = [
    "ApiRoute",
    "ResolverRoute",
    "api_routes",
    "build_document",
    "functions",
    "load_app",
    "render",
    "resolver_routes",
]
