import pytest

from medialens.errors import UrlNotAllowedError
from medialens.netguard import check_url


@pytest.mark.parametrize("url", [
    "http://127.0.0.1:8080/hook",
    "http://localhost/hook",
    "http://[::1]/hook",
    "http://10.1.2.3/hook",
    "http://172.16.0.1/hook",
    "http://192.168.1.10/hook",
    "http://169.254.169.254/latest/meta-data/",
    "http://[fd00:ec2::254]/latest/meta-data/",
    "http://100.64.0.1/hook",
    "http://0.0.0.0/hook",
    "http://[::ffff:127.0.0.1]/hook",
    "http://metadata.google.internal/computeMetadata/v1/",
])
def test_refuses_non_public_addresses(url):
    with pytest.raises(UrlNotAllowedError):
        check_url(url)


@pytest.mark.parametrize("url", ["ftp://93.184.215.14/x", "file:///etc/passwd", "http:///nohost",
                                 "http://user:pw@93.184.215.14/", "gopher://93.184.215.14/"])
def test_refuses_other_schemes_and_credentials(url):
    with pytest.raises(UrlNotAllowedError):
        check_url(url)


def test_accepts_a_public_address_and_pins_it():
    checked = check_url("https://93.184.215.14:8443/hooks/x?a=1")
    assert (checked.address, checked.port, checked.path) == ("93.184.215.14", 8443, "/hooks/x?a=1")


def test_private_addresses_allowed_only_when_asked():
    assert check_url("http://127.0.0.1:9/x", allow_private=True).address == "127.0.0.1"
