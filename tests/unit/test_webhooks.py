from medialens.webhooks import SIGNATURE_HEADER, sign, verify_signature


def test_signature_matches_githubs_published_example():
    # docs.github.com "Validating webhook deliveries" test values
    body = b"Hello, World!"
    expected = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
    assert sign(body, "It's a Secret to Everybody") == expected


def test_verify_rejects_a_changed_body_or_secret():
    signature = sign(b'{"a":1}', "s3cret")
    assert verify_signature(b'{"a":1}', "s3cret", signature)
    assert not verify_signature(b'{"a": 1}', "s3cret", signature)
    assert not verify_signature(b'{"a":1}', "other", signature)
    assert not verify_signature(b'{"a":1}', "s3cret", "")
    assert SIGNATURE_HEADER == "X-Webhook-Signature"


# ---- Standard Webhooks --------------------------------------------------------------------

import random  # noqa: E402

import pytest  # noqa: E402

from medialens.webhooks import (  # noqa: E402
    WebhookVerificationError,
    headers_for,
    next_delay,
    standard_signature,
    verify,
)

VECTOR = {"secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "id": "msg_p5jXN8AQM9LWM0D4loKWxJek",
          "timestamp": 1614265330, "body": b'{"test": 2432232314}'}


def test_standard_signature_reproduces_the_specifications_test_vector():
    assert standard_signature(VECTOR["body"], VECTOR["secret"], VECTOR["id"], VECTOR["timestamp"]) == \
        "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_a_plain_secret_signs_with_its_utf8_bytes_in_both_schemes():
    import base64
    import hashlib
    import hmac

    headers = headers_for(b"{}", "plain", "msg_1", 100)
    mac = hmac.new(b"plain", b"msg_1.100.{}", hashlib.sha256).digest()
    assert headers["webhook-signature"] == "v1," + base64.b64encode(mac).decode()
    assert headers["X-Webhook-Signature"] == sign(b"{}", "plain")
    assert headers["webhook-id"] == "msg_1" and headers["webhook-timestamp"] == "100"
    whsec = headers_for(b"{}", VECTOR["secret"], "msg_1", 100)
    assert whsec["X-Webhook-Signature"] == sign(b"{}", VECTOR["secret"])  # the string as given


def test_verify_accepts_either_scheme_and_refuses_replays_and_forgeries():
    body, now = b'{"event":"job.completed"}', 1_700_000_000
    headers = headers_for(body, "s3cret", "msg_job_1", now)
    assert verify(body, headers, "s3cret", now=now + 299) == {"event": "job.completed"}
    with pytest.raises(WebhookVerificationError):
        verify(body, headers, "s3cret", now=now + 301)  # outside the 5-minute tolerance
    with pytest.raises(WebhookVerificationError):
        verify(body + b" ", headers, "s3cret", now=now)
    with pytest.raises(WebhookVerificationError):
        verify(body, headers, "other", now=now)
    legacy = {"X-Webhook-Signature": sign(body, "s3cret")}
    assert verify(body, legacy, "s3cret")["event"] == "job.completed"
    with pytest.raises(WebhookVerificationError):
        verify(body, {}, "s3cret")


def test_retry_waits_are_full_jitter_capped_and_honour_retry_after():
    rng = random.Random(1)
    waits = [next_delay(n, 30, 1800, rng=rng) for n in range(1, 12)]
    assert all(0 <= w <= min(1800, 30 * 2 ** (n - 1)) for n, w in zip(range(1, 12), waits, strict=True))
    assert next_delay(1, 30, 1800, retry_after=120, rng=rng) >= 120
    assert next_delay(1, 30, 1800, retry_after=99999, rng=rng) == 1800  # Retry-After is capped too
