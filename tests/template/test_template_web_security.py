"""The web app's edge: CloudFront's security headers, and the HTTP API's CORS origin defaulting to the
web app's own origin rather than "*"."""

from __future__ import annotations

from local.template import Stack


def _policy(template) -> dict:
    distribution = template["Resources"]["WebDistribution"]["Properties"]["DistributionConfig"]
    ref = distribution["DefaultCacheBehavior"]["ResponseHeadersPolicyId"]
    policy = template["Resources"][ref["Ref"]]
    assert policy["Type"] == "AWS::CloudFront::ResponseHeadersPolicy"
    return policy["Properties"]["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"]


def test_the_page_gets_csp_hsts_nosniff_referrer_policy_and_no_framing(template):
    config = _policy(template)
    csp_text = Stack(template, region="eu-west-1").resolve(
        config["ContentSecurityPolicy"]["ContentSecurityPolicy"]
    )
    csp = dict(d.strip().split(" ", 1) for d in csp_text.split(";"))
    assert csp["default-src"] == "'self'"  # own scripts and styles only: no inline, no CDN
    assert csp["connect-src"] == (
        "'self' https://*.execute-api.eu-west-1.amazonaws.com wss://*.execute-api.eu-west-1.amazonaws.com"
        " https://cognito-idp.eu-west-1.amazonaws.com"  # the page signs in there (web/auth.js)
    )
    assert (csp["frame-ancestors"], csp["object-src"], csp["base-uri"]) == ("'none'", "'none'", "'none'")
    assert config["StrictTransportSecurity"]["AccessControlMaxAgeSec"] >= 31536000
    assert config["ReferrerPolicy"]["ReferrerPolicy"] == "no-referrer"
    assert config["FrameOptions"]["FrameOption"] == "DENY"
    assert "ContentTypeOptions" in config
    assert all(v["Override"] for v in config.values())


def test_cors_allows_the_web_apps_origin_unless_told_otherwise(template):
    assert template["Parameters"]["CorsAllowOrigin"]["Default"] == ""

    def allowed(**parameters) -> list[str]:
        stack = Stack(template, parameters=parameters)
        stack.attributes["WebDistribution"] = {"DomainName": "d111111abcdef8.cloudfront.net"}
        cors = template["Resources"]["HttpApi"]["Properties"]["CorsConfiguration"]
        return stack.resolve(cors["AllowOrigins"])

    assert allowed() == ["https://d111111abcdef8.cloudfront.net"]
    assert allowed(CorsAllowOrigin="https://backchannel.example.org") == ["https://backchannel.example.org"]
