"""Webhook URLs: checked in full when the matrix is validated, and again at send time when they
come from the environment (`url_env`), so one bad address is one clear error, never a crash."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from escalate_cli.core.cases.document import OpenRequest, new_case
from escalate_cli.core.matrix.loader import load_matrix_text
from escalate_cli.core.matrix.matrix_channels import url_problem
from escalate_cli.core.matrix.model import Matrix
from escalate_cli.core.notify import delivery, outbox
from tests.core.matrix_helpers import problems, with_base
from tests.notify_servers import matrix_yaml

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
BAD = {
    "http://[::1": "an IPv6 address goes in brackets, as in http://[::1]:8080/",
    "http://]": "an IPv6 address goes in brackets, as in http://[::1]:8080/",
    "http://[zz]/": "an IPv6 address goes in brackets, as in http://[::1]:8080/",
    "http://[::1]x/": "an IPv6 address goes in brackets, as in http://[::1]:8080/",
    "http://::1/": "an IPv6 address goes in brackets, as in http://[::1]:8080/",
    "http://x:99999/": "port 99999: use 1 to 65535",
    "http://x:0/": "port 0: use 1 to 65535",
    "http://h:abc/": "port abc: use 1 to 65535",
    "http://h:-1/": "port -1: use 1 to 65535",
    "http:///path": "no host",
    "http://user@/": "no host",
    "http://a b/": "no spaces or control characters",
    "http://x\n/": "no spaces or control characters",
    "ftp://hooks.example": "use http:// or https://",
    "hooks.example/x": "use http:// or https://",
    "": "empty",
}
GOOD = [
    "https://hooks.example/T1",
    "http://127.0.0.1:8080/hook?token=x",
    "http://[::1]:8080/x",
    "http://[fe80::1%25eth0]/",
    "HTTPS://Hooks.Example:443/",
    "http://x:65535/",
    "http://x:/",
    "https://user:pw@hooks.example/",
    "http://bücher.example/",
]


@pytest.mark.parametrize(("url", "why"), BAD.items())
def test_a_bad_url_is_named_with_why(url: str, why: str) -> None:
    assert url_problem(url) == why


@pytest.mark.parametrize("url", GOOD)
def test_a_good_url_passes(url: str) -> None:
    assert url_problem(url) is None


@pytest.mark.parametrize("url", [url for url in BAD if url])
def test_matrix_validation_reports_a_bad_url_with_its_line_and_key(url: str) -> None:
    quoted = url.replace("\n", "\\n")
    text = with_base(f'channels:\n  chat:\n    kind: webhook\n    url: "{quoted}"\n')
    shown = json.dumps(url, ensure_ascii=False)  # a control character is shown, not printed
    assert problems(text) == [f"m.yaml:15: channels.chat.url: bad url {shown} ({BAD[url]})"]


def chat_from_env() -> tuple[Matrix, dict[str, Any]]:
    text = matrix_yaml(
        "notify_via: [chat]\nchannels:\n  chat: {kind: webhook, url_env: CHAT_URL, timeout: 2s}\n"
    )
    matrix = load_matrix_text(text, "m.yaml")
    case = new_case(matrix, 1, OpenRequest("Down"), NOW)
    return matrix, outbox.entries_for(matrix, case, [1], NOW)[0]


@pytest.mark.parametrize("url", ["http://[::1", "http://x:99999/", "http://h:abc/", " "])
def test_a_bad_url_from_the_environment_fails_its_entry_with_a_clear_error(url: str) -> None:
    matrix, entry = chat_from_env()
    with pytest.raises(delivery.DeliveryError) as caught:
        delivery.send(matrix, entry, NOW, {"CHAT_URL": url})
    assert str(caught.value) == f"the webhook URL in CHAT_URL is not usable ({url_problem(url)})"


def test_an_empty_url_from_the_environment_is_not_set() -> None:
    matrix, entry = chat_from_env()
    with pytest.raises(delivery.DeliveryError, match=r"CHAT_URL \(the webhook URL\) is not set"):
        delivery.send(matrix, entry, NOW, {"CHAT_URL": ""})
