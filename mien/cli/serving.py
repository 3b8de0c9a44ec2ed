"""The command that starts the web app: serve."""

from __future__ import annotations

import ipaddress

import click

from mien.cli.app import cli, load_predictor, predictor_options


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on; only this machine can connect by default.")  # fmt: skip
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535))
@click.option("--max-upload-mb", default=20.0, show_default=True, type=click.FloatRange(min=0.001),
              help="Larger uploads are refused (413).")  # fmt: skip
@click.option("--max-video-seconds", default=120.0, show_default=True, type=click.FloatRange(min=1),
              help="Longer uploaded videos are refused.")  # fmt: skip
@click.option("--max-video-megapixels", default=33.1776, show_default=True, type=click.FloatRange(min=0.001),
              help="Videos with larger frames (7680x4320 by default) are refused.")  # fmt: skip
@click.option("--max-concurrent", default=2, show_default=True, type=click.IntRange(min=1),
              help="Photo and video requests decoded and classified at once; others wait, "
                   "then get 503.")  # fmt: skip
@click.option("--max-megapixels-in-flight", default=50.0, show_default=True,
              type=click.FloatRange(min=0.001),
              help="Pixels those requests may hold between them (about 10 MB per megapixel; a video "
                   "counts 1.5 times its frame).")  # fmt: skip
@click.option("--body-timeout", default=30.0, show_default=True, type=click.FloatRange(min=0.1),
              help="Seconds a request body may stall before it is answered 408 and dropped.")  # fmt: skip
@predictor_options
def serve(
    host, port, max_upload_mb, max_video_seconds, max_video_megapixels, max_concurrent,
    max_megapixels_in_flight, body_timeout, **options,
) -> None:  # fmt: skip
    """Start the web app: photos, videos and the live camera in the browser (API at /openapi.json).
    The page offers every shipped model; the one chosen here answers by default."""
    import uvicorn

    from mien.pipeline import Predictor
    from mien.web import WebSettings, create_app

    if not _is_loopback(host):
        click.echo(f"warning: listening on {host}: other machines can reach this server", err=True)
    settings = WebSettings(
        max_upload_bytes=int(max_upload_mb * 1024 * 1024),
        max_video_seconds=max_video_seconds,
        max_video_frame_pixels=round(max_video_megapixels * 1_000_000),
        max_concurrent=max_concurrent,
        max_pixels_in_flight=int(max_megapixels_in_flight * 1_000_000),
        body_timeout_seconds=body_timeout,
    )
    shared = {key: options[key] for key in ("backend", "tta", "precision", "detector")}
    app = create_app(load_predictor(**options), settings, lambda name: Predictor.default(name, **shared))
    uvicorn.run(app, host=host, port=port, log_level="info")


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"
