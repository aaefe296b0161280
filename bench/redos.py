"""Benchmark 7: every regular expression a user or a remote feeds, on adversarial inputs (S22).

Each pattern is reached through the function that runs it, with the worst input known for
it (spaces before a stray character, slashes then a letter, an unclosed `<`, a run that
never completes), at three sizes that double (default 16, 32 and 64 KiB, the field caps).
Reported: the median ms per call at each size, the growth per doubling of the input
(linear ≈ 2×, quadratic ≈ 4×, cubic ≈ 8×) and, at the largest size, the time against a
baseline measured in the same rounds on the same text: one `str.find` pass over it.

A regular expression holds the GIL and cannot be interrupted, so each case first climbs a
ladder of small sizes (128 characters, doubling) and is not run at a size where it is
predicted to take longer than --budget seconds: the cell then shows the prediction. Two
rows replay the patterns S22 removed from endpoints/validation.py, for comparison.

    .venv/bin/python bench/redos.py            # 16, 32, 64 KiB; 5 rounds
    .venv/bin/python bench/redos.py --quick    # 4, 8, 16 KiB; 3 rounds
"""

from __future__ import annotations

import argparse
import math
import re
from collections.abc import Callable
from dataclasses import dataclass

import _common

KIB = 1024
LADDER_START = 128
# The patterns S22 replaced (endpoints/validation.py), kept here only to show the difference.
REMOVED_PEM_CERT_RE = re.compile(
    r"-----BEGIN CERTIFICATE-----\s+([A-Za-z0-9+/=\s]+?)-----END CERTIFICATE-----"
)
REMOVED_TRAILING_SLASHES_RE = re.compile(r"/+$")


@dataclass(frozen=True)
class Case:
    function: str  # what is called, and the pattern(s) it runs
    source: str  # who supplies the input
    worst: str  # the adversarial input, in words
    make: Callable[[int], str]  # that input, n characters long
    call: Callable[[str], object]


def run_of(prefix: str, unit: str, suffix: str = "") -> Callable[[int], str]:
    """prefix + unit repeated + suffix, n characters (give or take one unit)."""
    return lambda n: prefix + unit * max(1, (n - len(prefix) - len(suffix)) // len(unit)) + suffix


def quietly(fn: Callable[[str], object]) -> Callable[[str], object]:
    """Call fn; a refusal (ValidationError) is an answer too."""
    from django.core.exceptions import ValidationError

    def call(text: str) -> object:
        try:
            return fn(text)
        except ValidationError as exc:
            return exc.messages

    return call


def cases() -> list[Case]:
    import logging

    from django.http import HttpResponse
    from django.test import RequestFactory

    from endpoints.probe import policy
    from endpoints.probe.flows import parse_challenge
    from endpoints.probe.http import Response
    from endpoints.providers import get_provider
    from endpoints.providers.ali_acr_api import parse_service
    from endpoints.providers.aws_ecr import url_error
    from endpoints.providers.ecr_token import error_of
    from endpoints.providers.harbor import API_VERSION_RE
    from endpoints.secrets import KEY_ID_RE
    from endpoints.validation import describe_certificates, normalize_endpoint_url, validate_ca_certificate
    from harborreg.middleware import RequestCharsetMiddleware

    begin = "-----BEGIN CERTIFICATE-----"
    swr, ecr, acr = get_provider("huawei-SWR"), get_provider("aws-ecr"), get_provider("ali-acr")

    def excerpt_with_secret(text: str) -> str:
        return Response(200, {}, b"<html>denied</html>", "https://r.example/v2/", sensitive=(text,)).excerpt()

    def excerpt_of_body(text: str) -> str:
        return Response(200, {}, text.encode(), "https://r.example/v2/").excerpt()

    charset_guard = RequestCharsetMiddleware(lambda request: HttpResponse())
    logging.getLogger("harborreg.middleware").setLevel(logging.ERROR)  # one warning per call

    def post_with_charset(text: str) -> HttpResponse:
        request = RequestFactory().generic("POST", "/", b"x", content_type=f"text/plain; charset={text}")
        return charset_guard(request)

    def aws_error(text: str) -> tuple[str, str]:
        return error_of(Response(400, {}, text.encode(), "https://api.ecr.us-east-1.amazonaws.com/"), None)

    return [
        Case("validate_ca_certificate (PEM scan)", "user: page, admin, CLI --ca-file",
             "BEGIN CERTIFICATE, spaces, “!”", run_of(begin, " ", "!"), quietly(validate_ca_certificate)),
        Case("validate_ca_certificate (PEM scan)", "user", "BEGIN CERTIFICATE lines, repeated",
             run_of("", begin + "\n"), quietly(validate_ca_certificate)),
        Case("describe_certificates (form re-render)", "user, unvalidated",
             "BEGIN CERTIFICATE, spaces, “!”", run_of(begin, " ", "!"), describe_certificates),
        Case("(removed) PEM_CERT_RE.findall", "—", "BEGIN CERTIFICATE, spaces, “!”",
             run_of(begin, " ", "!"), REMOVED_PEM_CERT_RE.findall),
        Case("normalize_endpoint_url (path.rstrip)", "user: page (≤ 512), CLI --url",
             "slashes, then “x”", run_of("https://r.example", "/", "x"), quietly(normalize_endpoint_url)),
        Case("(removed) re.sub(r\"/+$\") on the path", "—", "slashes, then “x”",
             run_of("", "/", "x"), lambda text: REMOVED_TRAILING_SLASHES_RE.sub("", text)),
        Case("normalize_endpoint_url (HOST_RE)", "user", "host letters, then “!”",
             run_of("https://", "a", "!"), quietly(normalize_endpoint_url)),
        Case("Response.excerpt → _printable(secret) `<[^>]*>`", "user secret (≤ 64 KiB), remote token",
             "unclosed “<”", run_of("", "<"), excerpt_with_secret),
        Case("Response.excerpt of a body `<[^>]*>`", "remote body (≤ 64 KiB)", "unclosed “<”",
             run_of("", "<"), excerpt_of_body),
        Case("parse_challenge (CHALLENGE_ITEM_RE or its successor)", "remote WWW-Authenticate",
             "“Bearer”, spaces, “!”", run_of("Bearer", " ", "!"), parse_challenge),
        Case("parse_challenge", "remote WWW-Authenticate", "an unclosed quoted realm",
             run_of('Bearer realm="', "a"), parse_challenge),
        Case("literal_address (NUMERIC_IPV4_RE)", "user URL, remote Location / realm",
             "digits, then “!”", run_of("", "1", "!"), policy.literal_address),
        Case("literal_address (NUMERIC_IPV4_RE)", "user URL, remote Location / realm",
             "“0x” and hex digits, dots, then “!”", run_of("0x", "f", ".1.1.1!"), policy.literal_address),
        Case("CONNECT_TO_RE.match", "operator (ENDPOINT_CONNECT_TO)", "an unclosed “[”",
             run_of("", "["), policy.CONNECT_TO_RE.match),
        Case("CONNECT_TO_RE.match", "operator", "letters, then “!”", run_of("", "a", "!"),
             policy.CONNECT_TO_RE.match),
        Case("huawei_swr clean (LOGIN_USER_RE)", "user Access ID (≤ 255 on the page)",
             "“cn” then “-a” runs, no “-<digits>”", run_of("cn", "-a", "@AK"),
             lambda text: swr.clean("https://swr.cn-north-4.myhuaweicloud.com", text, "", False)),
        Case("huawei_swr clean (SWR_HOST_RE)", "user URL", "“swr.” letters, wrong suffix",
             run_of("https://swr.", "a", ".myhuaweicloud.org"),
             lambda text: swr.clean(text, "cn-north-4@AK", "", False)),
        Case("aws_ecr url_error (ECR_HOST_RE, REGION_IN_HOST_RE)", "user URL",
             "“ab” then “-a” runs, no “-<digits>”", run_of("https://ab", "-a", ".example.com"), url_error),
        Case("aws_ecr clean (ACCESS_KEY_ID_RE)", "user Access ID", "“AKIA” then letters",
             run_of("AKIA", "A"),
             lambda text: ecr.clean("https://api.ecr.us-east-1.amazonaws.com", text, "", False)),
        Case("ali_acr clean (OPENAPI_HOST_RE)", "user URL", "“cr.” letters, wrong suffix",
             run_of("https://cr.", "a", ".aliyuncs.co"), lambda text: acr.clean(text, "", "", False)),
        Case("ali_acr_api parse_service (REGION_RE)", "remote challenge service",
             "“cn” then “-a” runs, then “!”", run_of("registry.aliyuncs.com:cn", "-a", "!"), parse_service),
        Case("ecr_token error_of (XML_FIELD_RE)", "remote body (≤ 64 KiB)", "“<Code>” never closed",
             run_of("<Code>", "a"), aws_error),
        Case("ecr_token error_of (XML_FIELD_RE)", "remote body", "“<Code>” repeated",
             run_of("", "<Code>"), aws_error),
        Case("ecr_token error_of (control-character clean-up)", "remote body",
             "a message of control characters", run_of("<Message>", "\x01 ", "</Message>"), aws_error),
        Case("harbor API_VERSION_RE.fullmatch", "remote /api/version", "“v1” then “.1” runs",
             run_of("v1", ".1"), API_VERSION_RE.fullmatch),
        Case("RequestCharsetMiddleware (Django's header parsing, `[^\\w.:+-]`)",
             "anyone: a request's Content-Type", "a charset of “!”", run_of("", "!"), post_with_charset),
        Case("secrets KEY_ID_RE.match", "operator (REGISTRY_SECRET_KEYS)", "letters, then “!”",
             run_of("", "a", "!"), KEY_ID_RE.match),
    ]


@dataclass
class Outcome:
    stats: dict[int, _common.Stats]  # size → the case's time
    baselines: dict[int, _common.Stats]  # size → str.find on the same text
    skipped: dict[int, float]  # size → predicted seconds for one call
    ladder: list[tuple[int, float]]  # (size, seconds) of single calls


def predict(ladder: list[tuple[int, float]], size: int) -> float:
    """One call at `size`, extrapolated from the last two ladder steps (never below linear)."""
    (n1, t1), (n2, t2) = ladder[-2], ladder[-1]
    exponent = max(1.0, math.log(max(t2, 1e-7) / max(t1, 1e-7)) / math.log(n2 / n1))
    return t2 * (size / n2) ** exponent


def run_case(case: Case, sizes: list[int], repeat: int, budget: float) -> Outcome:
    ladder: list[tuple[int, float]] = []
    n = LADDER_START
    while n < sizes[0] and (len(ladder) < 2 or predict(ladder, n) <= budget):
        ladder.append((n, _common.timed(lambda n=n: case.call(case.make(n)))))
        n *= 2
    outcome = Outcome({}, {}, {}, ladder)
    for size in sizes:
        expected = predict(ladder, size)
        if expected > budget:
            outcome.skipped[size] = expected
            continue
        text = case.make(size)
        rounds = repeat if expected * repeat <= budget else 1
        measured = _common.measure_interleaved(
            {"case": lambda text=text: case.call(text), "find": lambda text=text: text.find("\x00")},
            rounds, warmup=1,
        )
        outcome.stats[size], outcome.baselines[size] = measured["case"], measured["find"]
        ladder.append((size, measured["case"].median))
    return outcome


def growth(outcome: Outcome) -> float:
    """Time ratio per doubling of the input, over the sizes measured (else the ladder)."""
    points = sorted(outcome.stats.items())
    if len(points) >= 2:
        (n1, s1), (n2, s2) = points[0], points[-1]
        t1, t2 = s1.median, s2.median
    else:
        (n1, t1), (n2, t2) = outcome.ladder[-2], outcome.ladder[-1]
    return (max(t2, 1e-7) / max(t1, 1e-7)) ** (1 / math.log2(n2 / n1))


def verdict(ratio: float) -> str:
    if ratio < 2.8:
        return "linear"
    return "**quadratic**" if ratio < 5.6 else "**cubic or worse**"


def cell(outcome: Outcome, size: int) -> str:
    if size in outcome.skipped:
        return f"not run (≈ {outcome.skipped[size]:,.0f} s)"
    return f"{outcome.stats[size].median * 1000:.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="4, 8, 16 KiB; 3 rounds")
    parser.add_argument("--repeat", type=int, default=None, help="rounds per size (default 5)")
    parser.add_argument("--budget", type=float, default=5.0,
                        help="seconds one call may take before a size is skipped (default 5)")
    args = parser.parse_args()
    sizes = [4 * KIB, 8 * KIB, 16 * KIB] if args.quick else [16 * KIB, 32 * KIB, 64 * KIB]
    repeat = args.repeat or (3 if args.quick else 5)

    _common.setup_django()
    _common.header("Regular expressions on adversarial input (S22)",
                   "python bench/redos.py" + (" --quick" if args.quick else ""))
    rows = []
    for case in cases():
        outcome = run_case(case, sizes, repeat, args.budget)
        largest = max(outcome.stats, default=None)
        against = _common.ratio(outcome.stats[largest], outcome.baselines[largest]) if largest else "—"
        ratio = growth(outcome)
        rows.append([case.function, case.worst, case.source, *(cell(outcome, s) for s in sizes),
                     f"{ratio:.1f}×", against, verdict(ratio)])
        print(f"- measured: {case.function} — {case.worst}", flush=True)
    kib = [f"ms @ {s // KIB} KiB" for s in sizes]
    _common.print_table(
        ["function (pattern)", "adversarial input", "input from", *kib, "growth per doubling",
         "× str.find (largest size run)", "verdict"],
        rows,
        title=f"median of {repeat} rounds per size, interleaved with the str.find baseline; "
              f"budget {args.budget:g} s per call",
    )


if __name__ == "__main__":
    main()
