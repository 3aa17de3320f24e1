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
