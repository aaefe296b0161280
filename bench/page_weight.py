"""Benchmark 5: the bytes a browser downloads for the Registries list, all assets, gzip.

Production setup: DEBUG off, `collectstatic` into a temporary STATIC_ROOT with whitenoise's
CompressedManifestStaticFilesStorage (bench/settings.py, BENCH_STATIC_ROOT). The list page
is fetched through Django's test client with `Accept-Encoding: gzip, deflate, br`, and so
is every stylesheet and script it references, through the WhiteNoise middleware: the
bytes counted are the response bodies exactly as served. The HTML is gzipped by Django's
GZipMiddleware (P5); the total as it was before P5 (HTML uncompressed, same assets) is
printed beside it, and --without-gzip-middleware serves the page that way. As a
cross-check the stylesheets and scripts are also gzipped directly from the collected files.

    .venv/bin/python bench/page_weight.py [--without-gzip-middleware]
"""

from __future__ import annotations

import argparse
import gzip
import re

import _common

ACCEPT = "gzip, deflate, br"
TARGET_BYTES = 100_000  # "100 KB", read strictly


def n(value: int) -> str:
    return f"{value:,}".replace(",", " ")


def body_of(response) -> bytes:
    if getattr(response, "streaming", False):
        data = b"".join(response.streaming_content)
        response.close()
        return data
    return response.content


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--without-gzip-middleware", action="store_true",
                        help="serve the HTML as before P5: no GZipMiddleware (bench settings only)")
    args = parser.parse_args()
    static_root = _common.scratch_dir("harborreg-static-") / "staticfiles"
    _common.setup_django(static_root=static_root,
                         **({"BENCH_NO_GZIP_MIDDLEWARE": "1"} if args.without_gzip_middleware else {}))
    flag = " --without-gzip-middleware" if args.without_gzip_middleware else ""
    _common.header("Page weight of the Registries list (first visit, empty cache)",
                   "python bench/page_weight.py" + flag)
    from django.conf import settings
    from django.core.management import call_command

    call_command("collectstatic", interactive=False, verbosity=0)
    print(f"- static storage: {settings.STORAGES['staticfiles']['BACKEND']}, DEBUG={settings.DEBUG}, "
          f"GZipMiddleware: {'django.middleware.gzip.GZipMiddleware' in settings.MIDDLEWARE}")

    import list_page

    client = _common.logged_in_client(_common.staff_user())
    rows = []
    totals = {}
    list_page.build_fleet(120)
    for label, url in [("page 1 (15 rows)", "/registries/"), ("per_page=100", "/registries/?per_page=100")]:
        response = client.get(url, HTTP_ACCEPT_ENCODING=ACCEPT)
        assert response.status_code == 200
        served_html = body_of(response)
        encoding = response.get("Content-Encoding", "identity")
        html = gzip.decompress(served_html) if encoding == "gzip" else served_html
        html_gzip = len(served_html) if encoding == "gzip" else len(gzip.compress(html, compresslevel=6))
        assets = re.findall(rb'<link rel="stylesheet" href="([^"]+)"', html)
        assets += re.findall(rb'<script src="([^"]+)"', html)
        served_total, gzip_total = len(served_html), html_gzip
        asset_rows = []
        for asset in assets:
            path = asset.decode()
            asset_response = client.get(path, HTTP_ACCEPT_ENCODING=ACCEPT)
            assert asset_response.status_code == 200, (path, asset_response.status_code)
            served = len(body_of(asset_response))
            asset_encoding = asset_response.get("Content-Encoding", "identity")
            raw = (static_root / path.removeprefix(settings.STATIC_URL if settings.STATIC_URL.startswith("/")
                                                   else "/" + settings.STATIC_URL)).read_bytes()
            direct = len(gzip.compress(raw, compresslevel=9))
            served_total += served
            gzip_total += served if asset_encoding != "identity" else direct
            asset_rows.append([f"  {path.rsplit('/', 1)[-1]}", n(len(raw)), f"{n(served)} ({asset_encoding})",
                               n(direct), asset_response.get("Cache-Control", "")])
        rows.append([f"HTML {label}", n(len(html)), f"{n(len(served_html))} ({encoding})", n(html_gzip),
                     response.get("Cache-Control", "—")])
        rows.extend(asset_rows)
        rows.append([f"**total, {label}**", "", f"**{n(served_total)}**", f"**{n(gzip_total)}**",
                     f"as served: {'yes' if served_total <= TARGET_BYTES else '**no**'}; "
                     f"all gzip: {'yes' if gzip_total <= TARGET_BYTES else '**no**'}"])
        # Before P5 the HTML went out as rendered; the assets are served the same either way.
        totals[label] = (served_total, gzip_total, served_total - len(served_html) + len(html))

    _common.print_table(
        ["resource", "bytes on disk / rendered", "bytes served (encoding)", "gzip bytes",
         "Cache-Control / ≤ 100 KB?"],
        rows,
        title=f"Bytes per resource, Accept-Encoding: {ACCEPT}",
    )
    for label, (served, gz, identity_html) in totals.items():
        verdict = "met" if served <= TARGET_BYTES else "NOT met"
        print(f"- {label}: {served / 1000:.1f} KB as served; {gz / 1000:.1f} KB with every response gzipped; "
              f"{identity_html / 1000:.1f} KB with the HTML uncompressed (before P5) "
              f"(target ≤ {TARGET_BYTES / 1000:.0f} KB as served: {verdict})")
    print("- a repeat visit downloads only the HTML: hashed static names are cached for a year (immutable)")


if __name__ == "__main__":
    main()
