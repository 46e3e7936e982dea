"""Signing up and in from the page, in a real headless Chromium, against the local user pool: the
account page (web/account.html, which is web/auth.js's ``renderAuth``), codes read from the local
mailbox as a member would read their mail, and the signed-in page fixtures other journeys use.
"""

from __future__ import annotations

import json
import re
import uuid

import pytest

from local.chromium import wait_until
from tests.support.runtime import http

pytestmark = pytest.mark.browser

PHONE = {"width": 360, "height": 800}


def _code_mail(base_url: str, address: str, count: int, timeout: float = 10.0) -> str:
    """The six-digit code of the ``count``-th mail to ``address`` (waiting for it)."""
    items: list = []

    def arrived() -> bool:
        items[:] = http("GET", f"{base_url}/_local/mail?to={address}").json["items"]
        return len(items) >= count

    wait_until(arrived, timeout)
    assert len(items) >= count, f"no code mail to {address} within {timeout} s"
    return re.search(r"\b(\d{6})\b", items[count - 1]["text"]).group(1)


def _api_status(page, base_url: str) -> int:
    """GET /me from the page with auth.js's accessToken(): the API's answer to the page's token."""
    return page.evaluate(
        """async (api) => {
             const auth = await import("/web/auth.js");
             const token = await auth.accessToken();
             if (!token) return 0;
             const reply = await fetch(`${api}/me`, { headers: { Authorization: `Bearer ${token}` } });
             return reply.status;
           }""",
        base_url,
    )


def _refresh(runtime, refresh_token: str) -> int:
    """The local pool's answer to REFRESH_TOKEN_AUTH with that token (200, or 400 once revoked)."""
    return http(
        "POST",
        runtime.outputs["CognitoEndpoint"],
        body=json.dumps(
            {
                "ClientId": runtime.outputs["UserPoolClientId"],
                "AuthFlow": "REFRESH_TOKEN_AUTH",
                "AuthParameters": {"REFRESH_TOKEN": refresh_token},
            }
        ),
        headers={"X-Amz-Target": "AWSCognitoIdentityProviderService.InitiateAuth"},
    ).status


def test_sign_up_confirm_sign_in_reload_sign_out_and_reset_the_password(stack, browser):
    runtime, base_url = stack
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    name = f"web_{uuid.uuid4().hex[:6]}"
    address = f"{name}@example.org"
    try:
        page.goto(f"{base_url}/web/account.html")
        auth = page.locator("#auth")
        page.get_by_role("heading", name="Sign in").wait_for()
        # Errors next to the fields, and focus on the first one.
        page.get_by_role("button", name="Sign in").click()
        assert page.get_by_label("Username").get_attribute("aria-invalid") == "true"
        assert auth.locator('[data-error-for="username"]').inner_text() == "Enter your username."
        assert page.evaluate("document.activeElement.name") == "username"

        page.get_by_role("button", name="Create an account").click()
        assert page.evaluate("document.activeElement.textContent") == "Create an account"
        page.get_by_label("Username").fill(name)
        page.get_by_label("Email").fill(address)
        page.get_by_label("Password").fill("Web-pass-1234")
        page.get_by_role("button", name="Create account").click()
        page.get_by_role("heading", name="Confirm your email").wait_for()
        assert "We mailed a code to" in auth.locator(".auth-notice").inner_text()
        code = _code_mail(base_url, address, 1)

        page.get_by_label("Code from the email").fill(f"{(int(code) + 1) % 1_000_000:06d}")
        page.get_by_role("button", name="Confirm").click()
        error = auth.locator('[data-error-for="code"]')
        wait_until(lambda: error.inner_text() != "")
        assert "not right" in error.inner_text()
        page.get_by_label("Code from the email").fill(code)
        page.get_by_role("button", name="Confirm").click()
        page.get_by_role("heading", name="You are signed in").wait_for()
        assert f"Signed in as {name} ({address})" in auth.inner_text()
        assert _api_status(page, base_url) == 200

        page.reload()
        page.get_by_role("heading", name="You are signed in").wait_for()
        user = page.evaluate("async () => (await import('/web/auth.js')).currentUser()")
        assert (user["username"], user["email"], user["organiser"]) == (name, address, False)
        assert _api_status(page, base_url) == 200  # a fresh access token from the refresh token
        assert page.evaluate("() => Object.values(localStorage).join(' ')").count(".") < 2, "no JWT at rest"

        refresh_token = page.evaluate("JSON.parse(localStorage.getItem('backchannel.auth')).refreshToken")
        assert _refresh(runtime, refresh_token) == 200
        page.get_by_role("button", name="Sign out").click()
        page.get_by_role("heading", name="Sign in").wait_for()
        assert page.evaluate("async () => (await import('/web/auth.js')).currentUser()") is None
        assert _api_status(page, base_url) == 0
        wait_until(lambda: _refresh(runtime, refresh_token) == 400)
        assert _refresh(runtime, refresh_token) == 400, "signing out revokes the refresh token"

        page.get_by_label("Username").fill(name)
        page.get_by_label("Password").fill("Not-my-pass-1")
        page.get_by_role("button", name="Sign in").click()
        alert = auth.locator(".auth-form-error")
        wait_until(lambda: alert.inner_text() != "")
        assert alert.inner_text() == "Incorrect username or password."

        page.get_by_role("button", name="Forgot your password?").click()
        page.get_by_label("Username").fill(name)
        page.get_by_role("button", name="Send a reset code").click()
        page.get_by_role("heading", name="Choose a new password").wait_for()
        reset = _code_mail(base_url, address, 2)
        page.get_by_label("Code from the email").fill(reset)
        page.get_by_label("New password", exact=True).fill("Web-pass-5678")
        page.get_by_role("button", name="Set the new password").click()
        page.get_by_role("heading", name="You are signed in").wait_for()
        assert _api_status(page, base_url) == 200
        assert errors == []
    finally:
        context.close()


def test_the_fixtures_give_pages_signed_in_as_a_member_and_as_an_organiser(
    stack, member_page, organiser_page
):
    _, base_url = stack
    for page, organiser in ((member_page, False), (organiser_page, True)):
        user = page.evaluate("async () => (await import('/web/auth.js')).currentUser()")
        assert user["username"] == page.member["username"]
        assert user["organiser"] is organiser
        assert _api_status(page, base_url) == 200
        assert page.errors == []
    # Separate profiles: each page keeps its own member.
    assert member_page.member["username"] != organiser_page.member["username"]


def test_signing_out_in_one_tab_signs_out_the_others(stack, member_page):
    _, base_url = stack
    other = member_page.context.new_page()
    other.goto(f"{base_url}/web/account.html")
    other.get_by_role("heading", name="You are signed in").wait_for()
    other.evaluate(
        """async () => {
             const auth = await import("/web/auth.js");
             window.__changes = [];
             auth.onAuthChange((user) => window.__changes.push(user));
           }"""
    )
    member_page.evaluate("async () => (await import('/web/auth.js')).signOut()")
    wait_until(lambda: other.evaluate("window.__changes.length") > 0)
    assert other.evaluate("window.__changes") == [None]
    other.get_by_role("heading", name="Sign in").wait_for()  # the other tab's form follows
    assert other.evaluate("async () => (await import('/web/auth.js')).accessToken()") is None
    other.close()
