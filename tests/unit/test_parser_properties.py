"""Property tests (hypothesis) for everything that parses what callers send: whatever the
input, each parser answers with a value or its own MedialensError (a 4xx), never anything
else (which would be a 5xx) and never a hang."""

from __future__ import annotations

import base64
import io
import json
import time

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from medialens import webhooks
from medialens.analysis.decode import decode_base64, decode_image
from medialens.api import parse_max_processing_time, parse_priority
from medialens.errors import InvalidImageError, InvalidRequestError, MedialensError, UrlNotAllowedError
from medialens.netguard import check_url
from medialens.video.sniff import container_of

FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(st.one_of(st.none(), st.text(max_size=30)))
@example("0012")
@example(" 7 ")
@example("-1")
@example("１２")  # full-width digits are digits to str.isdigit but not to HTTP
@example("²")  # found by hypothesis: isdigit() but int() raises
def test_max_processing_time_is_seconds_or_a_400(value):
    try:
        seconds = parse_max_processing_time(value)
    except InvalidRequestError as err:
        assert err.code == "invalid_max_processing_time" and err.http_status == 400
        return
    assert isinstance(seconds, int) and seconds >= 0
    if value and value.strip():
        assert seconds == int(value.strip())


@FAST
@given(st.one_of(st.none(), st.text(max_size=12), st.sampled_from(["low", "HIGH", " critical ", "4", "0", "5"])))
def test_priority_header_is_a_level_or_a_400(value):
    try:
        level = parse_priority(value)
    except InvalidRequestError as err:
        assert err.code == "invalid_priority"
        return
    assert level in (0, 1, 2, 3, 4)
    assert (level == 0) == (value is None or not value.strip())


@FAST
@given(st.binary(min_size=1, max_size=600))
def test_base64_round_trips(data):
    assert decode_base64(base64.b64encode(data).decode()) == data


@FAST
@given(st.text(max_size=200))
@example("data:image/png;base64,iVBORw0KGgo=")
@example("aGVsbG8")  # missing padding
@example("aGVs\nbG8=")
def test_base64_text_decodes_or_fails_with_a_code(text):
    try:
        decoded = decode_base64(text)
    except InvalidImageError as err:
        assert err.code and err.message
        return
    assert isinstance(decoded, bytes)


def _png(width: int, height: int) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 10, 10)).save(out, "PNG")
    return out.getvalue()


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=2048), st.integers(min_value=0, max_value=400))
def test_decoding_bytes_gives_pixels_or_an_invalid_image(data, cut):
    """Random bytes, and real images cut short or with bytes flipped."""
    for candidate in (data, _png(37, 23)[:cut], _png(37, 23)[:cut] + data):
        started = time.monotonic()
        try:
            image = decode_image(candidate, max_pixels=40_000_000)
        except InvalidImageError as err:
            assert err.code
        else:
            assert image.width > 0 and image.height > 0
        assert time.monotonic() - started < 2


@FAST
@given(st.text(max_size=120))
@example("http://169.254.169.254/latest/meta-data/")
@example("http://[::ffff:127.0.0.1]/")
@example("http://0x7f.1/")
@example("file:///etc/passwd")
@example("http://user@10.0.0.1:80@example.com/")
@example("http://[/")
@example("http://example.com:99999/")
@example("http://example.com:port/")
def test_url_checks_refuse_or_allow_but_never_crash(url):
    try:
        checked = check_url(url)
    except UrlNotAllowedError as err:
        assert err.http_status == 400
        return
    assert checked.url.startswith(("http://", "https://"))


@settings(max_examples=100, deadline=None)
@given(st.text(min_size=1, max_size=40))
def test_url_checks_never_resolve_to_a_private_address(host):
    assume("/" not in host and "@" not in host)
    try:
        checked = check_url(f"http://{host}/")
    except UrlNotAllowedError:
        return
    import ipaddress

    assert ipaddress.ip_address(checked.address).is_global


@FAST
@given(st.binary(max_size=64))
def test_video_sniffing_never_raises(head):
    assert container_of(head) in (None, *{container_of(head)})


@FAST
@given(body=st.dictionaries(st.text(max_size=8), st.integers(), max_size=5),
       secret=st.one_of(st.text(min_size=1, max_size=40),
                        st.binary(min_size=8, max_size=32).map(lambda b: "whsec_" + base64.b64encode(b).decode())),
       flip=st.integers(min_value=0, max_value=10_000))
def test_a_signed_delivery_verifies_and_a_changed_one_does_not(body, secret, flip):
    raw = json.dumps(body).encode()
    now = int(time.time())
    headers = webhooks.headers_for(raw, secret, "msg_job", now)
    assert webhooks.verify(raw, headers, secret, now=now) == body
    tampered = bytearray(raw)
    tampered[flip % len(tampered)] ^= 0x01
    with pytest.raises(webhooks.WebhookVerificationError):
        webhooks.verify(bytes(tampered), headers, secret, now=now)
    with pytest.raises(webhooks.WebhookVerificationError):
        webhooks.verify(raw, headers, secret, now=now + 3600)  # a replay an hour later


def test_every_parser_error_is_a_client_error():
    for error in (InvalidRequestError("x"), InvalidImageError("x"), UrlNotAllowedError("x")):
        assert isinstance(error, MedialensError) and 400 <= error.http_status < 500
