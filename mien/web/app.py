"""create_app(predictor) -> the FastAPI app: the page, /healthz and the HTTP API.

Uploads are checked by decoding them, never by their name or type; the server chooses every path
it reads or writes; each model sits behind a lock (mien.web.models), and a request may name any of
the server's models (the one it started with by default). Photos and videos are decoded and
classified within one budget (mien.web.budget): a few requests at once, and a bound on the pixels
they hold, reserved from the image's header or the video's frame size before decoding. A request
waits up to ``busy_wait_seconds`` for room and is otherwise answered 503 with Retry-After. A request
body that stalls is dropped (mien.web.limits).
"""

from __future__ import annotations

import base64
import math
from collections.abc import Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, TypeVar

import cv2
import numpy as np
from fastapi import FastAPI, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import FileResponse, JSONResponse

from mien.errors import MienError
from mien.extras import install_hint, missing_extra
from mien.geometry.mesh import CONTOURS, POINTS
from mien.pipeline import Predictor
from mien.render.heatmap import face_overlay
from mien.render.plots import save_timeline
from mien.types import FaceGeometry, FacePrediction
from mien.video import check_frame_size, frame_size, process_video, summarize_tracks, video_info
from mien.vision.io import decode_image
from mien.web.budget import Busy, PixelBudget, announced_pixels, video_pixels
from mien.web.limits import BodyLimit, StalledBody, check_video, quoted, too_large_message
from mien.web.models import ServedModels
from mien.web.results import RESULT_FILES, VideoResults
from mien.web.schemas import ExplainResult, Health, MeshInfo, ModelInfo, PredictResult, VideoResult
from mien.web.settings import WebSettings

PAGE = Path(__file__).parent / "static"
Upload = Annotated[
    UploadFile, File(description="A photo (any format Pillow reads) or, for /api/video, a video.")
]
T = TypeVar("T")
Landmarks = Annotated[
    bool,
    Form(
        description="Also read each face's mesh, head pose and measures (slower): /api/predict answers "
        "them with each face, /api/video adds them to its CSV, timeline and annotated video."
    ),
]
ModelName = Annotated[
    str | None, Form(description="One of /healthz's models; default: the one the server started with.")
]


def create_app(
    predictor: Predictor,
    settings: WebSettings | None = None,
    load_model: Callable[[str], Predictor] | None = None,
) -> FastAPI:
    """The web app over a predictor, which answers unless a request names another of the
    catalogue's models; ``load_model`` builds those on first use (by default Predictor.default with
    the predictor's detector). Settings bound what clients may send."""
    settings = settings or WebSettings()
    if load_model is None:

        def load_model(name: str) -> Predictor:
            return Predictor.default(name, detector=predictor.detector_name)

    models = ServedModels(predictor, load_model)
    results = VideoResults(settings.work_dir, settings.results_keep_seconds, settings.results_max_bytes)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        yield
        results.close()  # a clean stop leaves no results folder of this server's behind

    budget = PixelBudget(settings.max_concurrent, settings.max_pixels_in_flight, settings.busy_wait_seconds)
    app = FastAPI(
        title="mien",
        summary="Facial expressions in photos, videos and the camera, with explanations.",
        docs_url=None,  # the interactive docs load scripts from a CDN; mien stays offline
        redoc_url=None,
        lifespan=lifespan,
    )
    app.add_middleware(BodyLimit, max_upload_bytes=settings.max_upload_bytes)
    app.add_middleware(StalledBody, timeout_seconds=settings.body_timeout_seconds)  # outermost
    app.state.settings = settings
    app.state.results = results  # its temporary folder lives as long as the app
    app.state.budget = budget  # what photo and video requests hold now

    def read_upload(file: UploadFile) -> tuple[bytes, str]:
        data = file.file.read(settings.max_upload_bytes + 1)
        if len(data) > settings.max_upload_bytes:
            raise HTTPException(413, too_large_message(settings.max_upload_bytes))
        return data, Path(file.filename or "upload").name[:100]

    def within_budget(pixels: int, work: Callable[[], T]) -> T:
        """work(), holding room for ``pixels`` in the budget; 503 with Retry-After when none frees up."""
        try:
            with budget.reserve(pixels):
                return work()
        except Busy as err:
            retry = str(max(1, math.ceil(settings.busy_wait_seconds)))
            raise HTTPException(503, str(err), headers={"Retry-After": retry}) from None

    def on_photo(file: UploadFile, work: Callable[[np.ndarray], T]) -> T:
        """work(the decoded photo), run within the budget; the photo is dropped before the room is."""

        def decoded_work() -> T:
            data, name = read_upload(file)
            return work(decode_image(data, name, settings.max_pixels))

        return within_budget(announced_pixels(file.file), decoded_work)

    @app.exception_handler(MienError)
    def bad_input(request: Request, err: MienError) -> JSONResponse:
        return JSONResponse(status_code=422, content={"detail": str(err)})

    @app.exception_handler(cv2.error)
    def undetectable(request: Request, err: cv2.error) -> JSONResponse:
        return JSONResponse(status_code=422, content={"detail": f"face detection failed ({err.err})"})

    @app.get("/", include_in_schema=False)
    def page() -> FileResponse:
        return FileResponse(PAGE / "index.html")

    @app.get("/static/{name}", include_in_schema=False)
    def static(name: str) -> FileResponse:
        if name not in STATIC_FILES:
            raise HTTPException(404, "not found")
        return FileResponse(PAGE / name, media_type=STATIC_FILES[name])

    @app.api_route("/healthz", methods=["GET", "HEAD"])  # load balancers and uptime checks send HEAD
    def healthz() -> Health:
        served = [ModelInfo(name=name, classes=models.classes(name), summary=models.summary(name))
                  for name in models.names()]  # fmt: skip
        return Health(status="ok", model=models.default, classes=models.classes(models.default),
                      models=served, methods=_explainers(),
                      max_upload_bytes=settings.max_upload_bytes)  # fmt: skip

    @app.post("/api/predict")
    def predict(file: Upload, model: ModelName = None, landmarks: Landmarks = False) -> PredictResult:
        """Every face in a photo: its box, landmarks and the probability of every expression; with
        ``landmarks``, its mesh, head pose and measures too."""
        name = models.resolve(model)

        def classify(image: np.ndarray) -> PredictResult:
            faces = [_face_result(face) for face in models.get(name).predict(image, landmarks)]
            return PredictResult(model=name, width=image.shape[1], height=image.shape[0], faces=faces)

        return on_photo(file, classify)

    @app.get("/api/mesh")
    def mesh() -> MeshInfo:
        """The face mesh's outlines, as runs of indices into each face's geometry.points: what to draw."""
        return MeshInfo(points=POINTS, contours={name: list(run) for name, run in CONTOURS.items()})

    @app.post("/api/explain")
    def explain(
        file: Upload,
        face: Annotated[int, Form(description="Which face, as numbered in /api/predict's list.")] = 0,
        method: Annotated[str, Form(description="One of /healthz's methods.")] = "saliency",
        target: Annotated[str | None, Form(description="A class to explain instead of the label.")] = None,
        model: ModelName = None,
    ) -> ExplainResult:
        """Where the model looked for one face: a map over the aligned face, as a picture and as numbers."""
        if not _explainers():
            raise HTTPException(503, install_hint("explaining", "torch"))
        name = models.resolve(model)
        # refused before any face is detected
        if method not in _explainers():
            raise MienError(f"unknown explanation method {quoted(method)}; valid: {', '.join(_explainers())}")
        if target and target not in models.classes(name):
            raise MienError(f"unknown class {quoted(target)}; valid: {', '.join(models.classes(name))}")
        if face < 0:
            raise MienError(f"face is a number from 0, as in /api/predict's list, not {face}")
        explainer = models.get(name)
        explanation = on_photo(file, lambda image: explainer.explain(image, method, target or None, face))
        return ExplainResult(
            model=name,
            face=face,
            method=method,
            target=explanation.target,
            score=round(explanation.score, 4),
            image=_png_data_url(face_overlay(explanation.aligned.crop, explanation.heat)),
            map=np.round(explanation.heat, 3).tolist(),
        )

    @app.post("/api/video")
    def video(file: Upload, model: ModelName = None, landmarks: Landmarks = False) -> VideoResult:
        """Track faces through a short video: the annotated video, a timeline plot and a CSV."""
        chosen = models.resolve(model)
        shared = models.get(chosen)
        data, name = read_upload(file)
        job, folder = results.new_job()
        source = folder / "upload"
        source.write_bytes(data)
        del data

        def track_faces() -> tuple:
            info = video_info(source, settings.max_video_seconds)  # counted: files may not say or lie
            check_video(info, settings.max_video_seconds, name)
            rows = process_video(shared, source, settings.video_every, folder / "annotated.webm",
                                 folder / "faces.csv", max_pixels=settings.max_video_frame_pixels,
                                 video_side=settings.video_result_side, landmarks=landmarks)  # fmt: skip
            save_timeline(rows, shared.class_names, folder / "timeline.png")
            return info, rows

        try:
            width, height = frame_size(source)  # from the header: refused or budgeted before decoding
            check_frame_size(width, height, settings.max_video_frame_pixels, name)
            info, rows = within_budget(video_pixels(width, height), track_faces)
        except MienError as err:  # a rejected upload takes no room and removes nothing else
            results.discard(job)
            raise MienError(str(err).replace(str(source), name)) from None
        except BaseException:
            results.discard(job)
            raise
        finally:
            source.unlink(missing_ok=True)
        results.finish(job)
        files = {Path(n).stem: f"/api/videos/{job}/{n}" for n in RESULT_FILES}
        tracks = summarize_tracks(rows, shared.class_names)
        return VideoResult(model=chosen, frames=info.frames, seconds=round(info.seconds, 2), tracks=tracks,
                           files=files)  # fmt: skip

    @app.get("/api/videos/{job}/{name}")
    def video_file(job: str, name: str) -> FileResponse:
        """A result of /api/video, by the URL it returned."""
        path = results.find(job, name)
        if path is None:
            minutes = settings.results_keep_seconds / 60
            raise HTTPException(404, f"no such result (finished results are kept for {minutes:g} minutes)")
        return FileResponse(path, media_type=RESULT_FILES[name])

    return app


STATIC_FILES = {"app.js": "text/javascript", "landmarks.js": "text/javascript", "style.css": "text/css"}


def _explainers() -> list[str]:
    """The explanation methods; none where PyTorch is not installed (predictions need no PyTorch)."""
    try:
        from mien.explain import list_explainers
    except ModuleNotFoundError as err:
        if missing_extra(err) is None:
            raise
        return []
    return list_explainers()


def _face_result(prediction: FacePrediction) -> dict:
    """A face as /api/predict answers it: the mesh as x, y only, which keeps the answer small."""
    face = prediction.to_dict()
    if prediction.geometry is not None:
        face["geometry"] = _geometry_result(prediction.geometry)
    return face


def _geometry_result(geometry: FaceGeometry) -> dict:
    result = geometry.to_dict(points=False)
    if geometry.points is not None:
        # (468, 2), in float64: float32 values rounded to 0.1 print with eight more digits
        result["points"] = np.round(geometry.points[:, :2].astype(np.float64), 1).tolist()
    return result


def _png_data_url(image: np.ndarray) -> str:
    ok, png = cv2.imencode(".png", cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
    return "data:image/png;base64," + base64.b64encode(png.tobytes()).decode()
