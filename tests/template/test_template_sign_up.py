"""The user pool and app client as the web app's sign-up and sign-in need them (web/auth.js): self
sign-up with an emailed code, SRP and silent refresh on a public client, no user existence errors,
revocable refresh tokens, short-lived access tokens, and members who can write only their email and name.
"""

from __future__ import annotations

from local.template import Stack


def _pool(template, **parameters) -> dict:
    return Stack(template, parameters=parameters).resolve(template["Resources"]["UserPool"]["Properties"])


def _client(template) -> dict:
    return template["Resources"]["UserPoolClient"]["Properties"]


def test_anyone_can_sign_up_and_confirms_the_email_with_a_mailed_code(template):
    pool = _pool(template)
    assert pool["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is False
    assert pool["AutoVerifiedAttributes"] == ["email"]
    assert pool["VerificationMessageTemplate"]["DefaultEmailOption"] == "CONFIRM_WITH_CODE"
    assert "{####}" in pool["VerificationMessageTemplate"]["EmailMessage"]
    assert pool["AccountRecoverySetting"]["RecoveryMechanisms"] == [{"Name": "verified_email", "Priority": 1}]
    assert pool["EmailConfiguration"] == {"EmailSendingAccount": "COGNITO_DEFAULT"}


def test_sign_up_can_be_closed_and_its_mail_sent_through_the_stacks_ses_identity(template):
    closed = _pool(template, SelfSignUp="false", SignUpMailVia="SES", MailFromAddress="hello@example.org")
    assert closed["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is True
    mail = closed["EmailConfiguration"]
    assert mail["EmailSendingAccount"] == "DEVELOPER"
    assert mail["From"] == "hello@example.org"
    assert mail["SourceArn"].endswith(":identity/hello@example.org")
    assert template["Resources"]["MailIdentity"]["Properties"]["EmailIdentity"] == {"Ref": "MailFromAddress"}


def test_the_web_client_is_public_signs_in_with_srp_and_refreshes(template):
    client = _client(template)
    assert client["GenerateSecret"] is False  # a page cannot keep a secret
    assert {"ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"} <= set(client["ExplicitAuthFlows"])
    assert "ALLOW_ADMIN_USER_PASSWORD_AUTH" not in client["ExplicitAuthFlows"]
    assert client["PreventUserExistenceErrors"] == "ENABLED"
    assert client["EnableTokenRevocation"] is True
    assert "AllowedOAuthFlows" not in client and "CallbackURLs" not in client  # no hosted UI
    assert set(client["WriteAttributes"]) == {"email", "name"}


def test_tokens_live_an_hour_and_sessions_a_month(template):
    client = _client(template)
    units = client["TokenValidityUnits"]
    assert (client["AccessTokenValidity"], units["AccessToken"]) == (1, "hours")
    assert (client["IdTokenValidity"], units["IdToken"]) == (1, "hours")
    assert (client["RefreshTokenValidity"], units["RefreshToken"]) == (30, "days")
