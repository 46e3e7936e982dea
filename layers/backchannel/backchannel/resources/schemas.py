"""Response schemas of the resources API (for the OpenAPI document)."""

from __future__ import annotations

from backchannel.core.validation import Enum, F, Int, Obj, Str

RESOURCE = Obj(
    "Resource",
    {
        "id": F(Str(), required=True, description="a hash of the normalised URL"),
        "url": F(Str(), required=True, description="the normalised URL (papers: https://doi.org/<doi>)"),
        "kind": F(Enum(("link", "paper")), required=True),
        "doi": F(Str(), required=True, nullable=True, description="the DOI of a paper, lower case"),
        "shares": F(Int(minimum=1), required=True, description="distinct members who shared it"),
    },
)
