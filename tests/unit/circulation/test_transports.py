"""Circulation transports without AWS: the outbound guard, webhook signatures, the Mastodon client and
message building. HTTP goes to a real server on 127.0.0.1 (reached through the allow list); DNS is a
fake ``resolve`` function."""

from __future__ import annotations

import base64
import datetime as dt
import email
import email.policy
import hashlib
import hmac
import json
import re
import socket
import ssl
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from backchannel.circulation.transports import mail, mastodon, outbound, webhooks
from backchannel.circulation.transports.outbound import TransportError, UnsafeUrl, check_url

# --------------------------------------------------------------------------------------------------
# a local HTTP server and fake DNS
# --------------------------------------------------------------------------------------------------


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Reply:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b"{}"
    delay_s: float = 0.0


class _Handler(BaseHTTPRequestHandler):
    def _answer(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        headers = {name.lower(): value for name, value in self.headers.items()}
        self.server.seen.append(Seen(self.command, self.path, headers, body))
        reply: Reply = self.server.reply
        time.sleep(reply.delay_s)
        self.send_response(reply.status)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()
        self.wfile.write(reply.body)

    do_GET = do_POST = do_DELETE = _answer

    def log_message(self, *args) -> None:
        pass


class Server:
    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        if tls:
            self.httpd.socket = tls.wrap_socket(self.httpd.socket, server_side=True)
        self.httpd.seen, self.httpd.reply = [], Reply()
        self.port = self.httpd.server_address[1]
        self.authority = f"127.0.0.1:{self.port}"
        self.url = f"http://{self.authority}"
        self.allow = (self.url,)
        threading.Thread(target=self.httpd.serve_forever, args=(0.02,), daemon=True).start()

    @property
    def seen(self) -> list[Seen]:
        return self.httpd.seen

    def reply(self, **kw) -> None:
        self.httpd.reply = Reply(**kw)

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server():
    s = Server()
    yield s
    s.close()


def dns(table: dict[str, list[str]]):
    """A fake ``socket.getaddrinfo`` answering from ``table``."""

    def resolve(host, port, type=0):
        if host not in table:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [
            (socket.AF_INET6 if ":" in a else socket.AF_INET, type, 6, "", (a, port)) for a in table[host]
        ]

    return resolve


PUBLIC = dns({"hooks.example": ["93.184.215.14"]})


# --------------------------------------------------------------------------------------------------
# check_url
# --------------------------------------------------------------------------------------------------


def test_a_public_https_url_is_checked_into_a_target():
    target = check_url("https://Hooks.Example/in?x=1#frag", resolve=PUBLIC)
    assert target == outbound.Target("https", "hooks.example", 443, "/in?x=1", ("93.184.215.14",))


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://hooks.example/in", "must use https"),
        ("ftp://hooks.example/in", "must use https"),
        ("https://user:pass@hooks.example/in", "user name or password"),
        ("https://user@hooks.example/in", "user name or password"),
        ("https:///in", "must name a host"),
        ("https://hooks.example:99999/", "invalid port"),
        ("https://hooks.example/a b", "control characters"),
        ("https://hooks.example/\r\nX-Evil: 1", "control characters"),
        ("https://nowhere.example/", "could not be resolved"),
    ],
)
def test_malformed_urls_are_refused(url, reason):
    with pytest.raises(UnsafeUrl, match=reason):
        check_url(url, resolve=PUBLIC)


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("10.0.0.5", "private address (10.0.0.5)"),
        ("172.16.3.4", "private"),
        ("192.168.1.1", "private"),
        ("127.0.0.1", "loopback"),
        ("169.254.169.254", "instance metadata"),
        ("169.254.10.1", "link-local"),
        ("100.64.0.1", "shared"),
        ("0.0.0.0", "unspecified"),  # noqa: S104 (an address to refuse, not to bind)
        ("224.0.0.1", "multicast"),
        ("240.0.0.1", "reserved"),
        ("::1", "loopback"),
        ("::ffff:10.0.0.5", "private address (10.0.0.5)"),
        ("::ffff:169.254.169.254", "instance metadata"),
        ("64:ff9b::a00:5", "private address (10.0.0.5)"),
        ("fd12:3456::1", "private"),
        ("fd00:ec2::254", "instance metadata"),
        ("fe80::1", "link-local"),
        ("ff02::1", "multicast"),
    ],
)
def test_hosts_resolving_to_non_global_addresses_are_refused(address, kind):
    with pytest.raises(UnsafeUrl, match=rf"resolves to an? .*{re.escape(kind)}"):
        check_url("https://hooks.example/in", resolve=dns({"hooks.example": [address]}))


@pytest.mark.parametrize("host", ["127.0.0.1", "[::1]", "169.254.169.254", "[fd00:ec2::254]", "10.1.2.3"])
def test_literal_addresses_are_checked_the_same_way(host):
    with pytest.raises(UnsafeUrl, match="resolves to"):
        check_url(f"https://{host}/latest/meta-data/", resolve=dns({}))


def test_one_private_address_among_public_ones_is_enough_to_refuse():
    mixed = dns({"hooks.example": ["93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c", "10.0.0.5"]})
    with pytest.raises(UnsafeUrl, match=r"10\.0\.0\.5"):
        check_url("https://hooks.example/in", resolve=mixed)


def test_the_allow_list_admits_exactly_its_scheme_host_and_port():
    local = dns({"receiver": ["127.0.0.1"]})
    allow = ("http://receiver:9000",)
    target = check_url("http://receiver:9000/in", allow=allow, resolve=local)
    assert (target.scheme, target.port, target.addresses) == ("http", 9000, ("127.0.0.1",))
    with pytest.raises(UnsafeUrl, match="https"):
        check_url("http://receiver:9001/in", allow=allow, resolve=local)
    with pytest.raises(UnsafeUrl, match="loopback"):  # same host and port, another scheme
        check_url("https://receiver:9000/in", allow=allow, resolve=local)
    with pytest.raises(UnsafeUrl, match="loopback"):
        check_url("https://receiver/in", allow=allow, resolve=local)


def test_the_local_runtimes_allow_list_refuses_loopback_elsewhere():
    """``make run`` allows its webhook receiver's origin: not port 443, not moto's port 5000."""
    allow = ("http://127.0.0.1:3002",)
    assert check_url("http://127.0.0.1:3002/_local/webhooks/a", allow=allow).port == 3002
    for url in ("https://127.0.0.1/hook", "http://127.0.0.1:5000/", "https://localhost:3002/"):
        with pytest.raises(UnsafeUrl, match=r"must use https|loopback"):
            check_url(url, allow=allow, resolve=dns({"localhost": ["127.0.0.1"]}))


@pytest.mark.parametrize(
    "entry", ["127.0.0.1", "localhost", "127.0.0.1:3002", "http://127.0.0.1", "ftp://h:1"]
)
def test_an_allow_list_entry_must_name_scheme_host_and_port(entry):
    with pytest.raises(ValueError, match="scheme://host:port"):
        check_url("https://hooks.example/", allow=(entry,), resolve=PUBLIC)


@pytest.mark.parametrize(
    ("address", "inner"),
    [
        ("2002:7f00:1::", "loopback address (127.0.0.1)"),  # 6to4 of loopback
        ("2002:a9fe:a9fe::", "instance metadata address (169.254.169.254)"),
        ("2002:a00:5::1", "private address (10.0.0.5)"),
        ("2001:0:4136:e378:8000:63bf:3fff:fdd2", "address (192.0.2.45)"),  # Teredo client 192.0.2.45
        ("2001:0:a00:5:8000:63bf:3fff:fdd2", "private address (10.0.0.5)"),  # Teredo server 10.0.0.5
        ("::7f00:1", "loopback address (127.0.0.1)"),  # IPv4-compatible
        ("64:ff9b:1::a00:1", "address (64:ff9b:1::a00:1)"),  # local-use NAT64: never global
    ],
)
def test_ipv6_addresses_that_embed_a_non_global_ipv4_are_refused(address, inner):
    with pytest.raises(UnsafeUrl, match=re.escape(inner)):
        check_url(f"https://[{address}]/", resolve=dns({}))
    with pytest.raises(UnsafeUrl, match=re.escape(inner)):
        check_url("https://hooks.example/", resolve=dns({"hooks.example": [address]}))


def test_6to4_of_a_global_address_is_allowed():
    assert check_url("https://[2002:808:808::1]/", resolve=dns({})).addresses == ("2002:808:808::1",)


# --------------------------------------------------------------------------------------------------
# send
# --------------------------------------------------------------------------------------------------


def test_send_posts_to_the_checked_address_with_the_original_host(server):
    # "hooks.example" exists only in the fake DNS: the connection must go to the address it checked
    resolve = dns({"hooks.example": ["127.0.0.1"]})
    allow = (f"http://hooks.example:{server.port}",)
    server.reply(status=202, headers={"X-Answer": "yes"}, body=b"ok")
    answer = outbound.send(
        "POST",
        f"http://hooks.example:{server.port}/in?x=1",
        headers={"Content-Type": "application/json"},
        body=b'{"a":1}',
        allow=allow,
        resolve=resolve,
    )
    assert (answer.status, answer.body, answer.headers["x-answer"]) == (202, b"ok", "yes")
    [seen] = server.seen
    assert (seen.method, seen.path, seen.body) == ("POST", "/in?x=1", b'{"a":1}')
    assert seen.headers["host"] == f"hooks.example:{server.port}"


def test_send_refuses_a_private_address_before_connecting(server):
    with pytest.raises(UnsafeUrl, match="loopback"):
        outbound.send("GET", f"https://{server.authority}/", headers={})
    assert server.seen == []


def test_send_does_not_follow_redirects(server):
    server.reply(status=302, headers={"Location": f"{server.url}/elsewhere"}, body=b"")
    answer = outbound.send("GET", f"{server.url}/in", headers={}, allow=server.allow)
    assert (answer.status, answer.headers["location"]) == (302, f"{server.url}/elsewhere")
    assert [s.path for s in server.seen] == ["/in"]


def test_send_caps_the_body(server):
    server.reply(body=b"x" * 100_000)
    answer = outbound.send("GET", f"{server.url}/", headers={}, allow=server.allow, max_body=1000)
    assert answer.body == b"x" * 1000


def test_a_slow_server_times_out_quickly_without_naming_headers(server):
    server.reply(delay_s=1.5)
    started = time.monotonic()
    with pytest.raises(TransportError, match="timed out") as raised:
        outbound.send(
            "POST",
            f"{server.url}/",
            headers={"Authorization": "Bearer s3cret"},
            timeout_s=0.2,
            allow=server.allow,
        )
    assert time.monotonic() - started < 1.0
    assert "s3cret" not in str(raised.value)


def test_a_refused_connection_is_a_transport_error():
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(TransportError, match="failed"):
        outbound.send("GET", f"http://127.0.0.1:{port}/", headers={}, allow=(f"http://127.0.0.1:{port}",))


def test_a_header_with_a_line_break_is_refused_without_showing_it(server):
    with pytest.raises(ValueError, match="Authorization") as raised:
        outbound.send(
            "GET", f"{server.url}/", headers={"Authorization": "x\r\nX: s3cret"}, allow=server.allow
        )
    assert "s3cret" not in str(raised.value)
    assert server.seen == []


def _self_signed(tmp_path, host: str) -> ssl.SSLContext:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(host)]), critical=False)
        .sign(key, hashes.SHA256())
    )
    (tmp_path / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tmp_path / "cert.pem", tmp_path / "key.pem")
    return context


def test_https_sends_the_real_host_name_and_verifies_its_certificate(tmp_path):
    tls = _self_signed(tmp_path, "hooks.example")
    names: list[str | None] = []
    tls.sni_callback = lambda _sock, name, _ctx: names.append(name)
    server = Server(tls)
    try:
        with pytest.raises(TransportError, match="CERTIFICATE_VERIFY_FAILED"):
            outbound.send(
                "GET",
                f"https://hooks.example:{server.port}/",
                headers={},
                allow=(f"https://hooks.example:{server.port}",),
                resolve=dns({"hooks.example": ["127.0.0.1"]}),
            )
    finally:
        server.close()
    assert names == ["hooks.example"]  # SNI for the host, though the connection went to 127.0.0.1


# --------------------------------------------------------------------------------------------------
# webhooks
# --------------------------------------------------------------------------------------------------

VECTOR_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
VECTOR = ("msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, b'{"test": 2432232314}')


def test_signatures_match_the_published_standard_webhooks_vector():
    assert webhooks.sign(VECTOR_SECRET, *VECTOR) == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_signatures_are_hmac_sha256_of_id_timestamp_and_body():
    secret = webhooks.new_secret()
    key = base64.b64decode(secret.removeprefix("whsec_"))
    assert secret.startswith("whsec_") and len(key) == 24
    mac = hmac.new(key, b"msg_1.1700000000.{}", hashlib.sha256).digest()
    assert webhooks.sign(secret, "msg_1", 1700000000, b"{}") == "v1," + base64.b64encode(mac).decode()


def test_headers_round_trip_through_verify_whatever_the_header_case():
    secret, body = webhooks.new_secret(), b'{"type":"pack.published"}'
    sent = webhooks.headers(secret, "msg_1", 1700000000, body)
    assert sent["content-type"] == "application/json"
    assert sent["user-agent"] == "Backchannel-Webhooks/1"
    received = {name.title(): value for name, value in sent.items()}
    assert webhooks.verify(secret, received, body, now=1700000100)


def test_verify_accepts_any_of_several_signatures():
    headers = {
        "webhook-id": VECTOR[0],
        "webhook-timestamp": str(VECTOR[1]),
        "webhook-signature": "v1,bm9wZQ== v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
    }
    assert webhooks.verify(VECTOR_SECRET, headers, VECTOR[2], now=VECTOR[1])


@pytest.mark.parametrize(
    ("secret", "change", "now"),
    [
        ("other", {}, 1700000000),
        ("same", {"body": b'{"type":"pack.retracted"}'}, 1700000000),
        ("same", {"webhook-id": "msg_2"}, 1700000000),
        ("same", {}, 1700000301),
        ("same", {}, 1699999699),
        ("same", {"webhook-timestamp": "1700000000.0"}, 1700000000),
        ("same", {"webhook-signature": ""}, 1700000000),
    ],
)
def test_verify_refuses_tampered_expired_or_foreign_deliveries(secret, change, now):
    mine, body = webhooks.new_secret(), b'{"type":"pack.published"}'
    headers = webhooks.headers(mine, "msg_1", 1700000000, body)
    body = change.pop("body", body)
    headers.update(change)
    assert not webhooks.verify(mine if secret == "same" else webhooks.new_secret(), headers, body, now=now)


# --------------------------------------------------------------------------------------------------
# mastodon
# --------------------------------------------------------------------------------------------------


def test_post_status_sends_the_status_with_the_token_and_idempotency_key(server):
    server.reply(body=json.dumps({"id": "109372843234", "content": "<p>hi</p>"}).encode())
    status_id = mastodon.post_status(
        server.url,
        "tok-123",
        "Hello #LAWW",
        idempotency_key="delivery-1",
        visibility="unlisted",
        allow=server.allow,
    )
    assert status_id == "109372843234"
    [seen] = server.seen
    assert (seen.method, seen.path) == ("POST", "/api/v1/statuses")
    assert seen.headers["authorization"] == "Bearer tok-123"
    assert seen.headers["idempotency-key"] == "delivery-1"
    assert seen.headers["content-type"] == "application/json"
    assert json.loads(seen.body) == {"status": "Hello #LAWW", "visibility": "unlisted"}


@pytest.mark.parametrize(
    ("status", "retryable", "message"),
    [
        (429, True, "rate limiting"),
        (503, True, "HTTP 503"),
        (401, False, "write:statuses"),
        (422, False, "422"),
    ],
)
def test_post_status_failures_say_whether_to_retry(server, status, retryable, message):
    server.reply(status=status, body=b'{"error":"nope"}')
    with pytest.raises(mastodon.MastodonError, match=message) as raised:
        mastodon.post_status(server.url, "tok", "hi", idempotency_key="k", allow=server.allow)
    assert (raised.value.status, raised.value.retryable) == (status, retryable)


def test_post_status_without_an_id_in_the_answer_is_retryable(server):
    server.reply(body=b"<html>maintenance</html>")
    with pytest.raises(mastodon.MastodonError) as raised:
        mastodon.post_status(server.url, "tok", "hi", idempotency_key="k", allow=server.allow)
    assert raised.value.retryable


def test_mastodon_transport_and_url_failures_are_mastodon_errors(server):
    server.reply(delay_s=1.0)
    with pytest.raises(mastodon.MastodonError, match="timed out") as raised:
        mastodon.post_status(server.url, "tok", "hi", idempotency_key="k", allow=server.allow, timeout_s=0.2)
    assert raised.value.retryable
    with pytest.raises(mastodon.MastodonError, match="loopback") as raised:
        mastodon.post_status(f"https://{server.authority}", "tok", "hi", idempotency_key="k")
    assert not raised.value.retryable


@pytest.mark.parametrize("status", [200, 404])
def test_delete_status_counts_gone_as_done(server, status):
    server.reply(status=status)
    mastodon.delete_status(server.url, "tok", "109372843234", allow=server.allow)
    [seen] = server.seen
    assert (seen.method, seen.path, seen.headers["authorization"]) == (
        "DELETE",
        "/api/v1/statuses/109372843234",
        "Bearer tok",
    )


def test_delete_status_refused_token_is_not_retryable(server):
    server.reply(status=403)
    with pytest.raises(mastodon.MastodonError, match="refused the token") as raised:
        mastodon.delete_status(server.url, "tok", "1", allow=server.allow)
    assert not raised.value.retryable


def test_delete_status_refuses_an_id_that_is_not_one(server):
    with pytest.raises(ValueError, match="status id"):
        mastodon.delete_status(server.url, "tok", "../accounts/1", allow=server.allow)


@pytest.mark.parametrize(
    ("url", "normal"),
    [
        ("https://Mastodon.Social/", "https://mastodon.social"),
        ("mastodon.social", "https://mastodon.social"),
        ("https://m.example:443", "https://m.example"),
        ("https://m.example:8443", "https://m.example:8443"),
    ],
)
def test_instance_urls_are_normalised(url, normal):
    assert mastodon.normalise_instance(url) == normal


@pytest.mark.parametrize(
    "url",
    ["http://m.example", "https://m.example/@me", "https://u:p@m.example", "https://m.example?x", "ftp://m"],
)
def test_instance_urls_with_more_than_a_host_are_refused(url):
    with pytest.raises(ValueError, match="instance URL"):
        mastodon.normalise_instance(url)


# --------------------------------------------------------------------------------------------------
# mail
# --------------------------------------------------------------------------------------------------


def _message(**overrides) -> bytes:
    fields = {
        "sender": "Backchannel <news@backchannel.example>",
        "to": "alice@example.org",
        "subject": "Your pack: Learning at Work Week ✨",
        "text": "Hello Alice, here is your pack. ✨",
        "html": "<p>Hello Alice, here is your pack. ✨</p>",
        "unsubscribe_url": "https://api.example/unsubscribe/tok",
        "message_id_key": "delivery-1",
    }
    return mail.build_message(**{**fields, **overrides})


def test_messages_are_multipart_alternative_with_text_then_html():
    raw = _message()
    assert b"\r\n" in raw and raw.isascii()
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert parsed.get_content_type() == "multipart/alternative"
    text, html = parsed.iter_parts()
    assert (text.get_content_type(), html.get_content_type()) == ("text/plain", "text/html")
    assert text.get_content().strip() == "Hello Alice, here is your pack. ✨"
    assert html.get_content().strip() == "<p>Hello Alice, here is your pack. ✨</p>"
    assert parsed["Subject"] == "Your pack: Learning at Work Week ✨"
    assert parsed["From"].addresses[0].addr_spec == "news@backchannel.example"
    assert parsed["To"] == "alice@example.org"
    assert parsed["Date"].datetime.tzinfo is not None


def test_messages_carry_one_click_unsubscribe_and_a_stable_message_id():
    parsed = email.message_from_bytes(_message(), policy=email.policy.default)
    assert parsed["List-Unsubscribe"] == "<https://api.example/unsubscribe/tok>"
    assert parsed["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    digest = hashlib.sha256(b"delivery-1").hexdigest()[:32]
    assert parsed["Message-ID"] == f"<{digest}@backchannel>"
    assert (
        email.message_from_bytes(_message(), policy=email.policy.default)["Message-ID"]
        == parsed["Message-ID"]
    )


def test_messages_without_an_unsubscribe_url_have_no_list_headers():
    parsed = email.message_from_bytes(_message(unsubscribe_url=None), policy=email.policy.default)
    assert "List-Unsubscribe" not in parsed and "List-Unsubscribe-Post" not in parsed


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("subject", "Hi\r\nBcc: victim@example.org"),
        ("to", "alice@example.org\nBcc: victim@example.org"),
        ("sender", "news@backchannel.example\r"),
        ("unsubscribe_url", "https://api.example/u\r\nBcc: victim@example.org"),
    ],
)
def test_header_injection_is_refused(name, value):
    with pytest.raises(ValueError, match="line break"):
        _message(**{name: value})
