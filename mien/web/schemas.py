"""The shapes of the API's answers, which FastAPI turns into the OpenAPI schema at /openapi.json."""

from __future__ import annotations

from pydantic import BaseModel, Field


class ModelInfo(BaseModel):
    name: str
    classes: list[str] = Field(description="Class names in the model's order.")
    summary: str


class Health(BaseModel):
    status: str = Field(examples=["ok"])
    model: str = Field(description="The model that answers when a request names none.")
    classes: list[str] = Field(description="That model's class names, in its order.")
    models: list[ModelInfo] = Field(description="Every model a request may name (the `model` field).")
    methods: list[str] = Field(description="Explanation methods /api/explain accepts.")
    max_upload_bytes: int


class HeadPoseResult(BaseModel):
    yaw: float = Field(description="Degrees; > 0 turned towards the image's right.")
    pitch: float = Field(description="Degrees; > 0 tilted up.")
    roll: float = Field(description="Degrees; > 0 leaning counter-clockwise as the image shows it.")


class GeometryResult(BaseModel):
    mesh_score: float = Field(description="The mesh model's face score, 0 to 1.")
    refused: str | None = Field(description="Why the face has no mesh (cut off by the edge, no clear face).")
    pose: HeadPoseResult | None = Field(description="Where the face points; null when refused.")
    pose_warning: str | None = Field(description="Set when the face is turned too far for a sure expression.")
    measures: dict[str, float] = Field(
        description="Named measures of the face, in inter-ocular distances; empty when refused."
    )
    points: list[list[float]] | None = Field(
        description="The mesh's 468 points, [x, y] in pixels of the upright image to 0.1 px; null when "
        "refused. /api/mesh names the outlines through them."
    )


class MeshInfo(BaseModel):
    points: int = Field(description="Points in each face's mesh.", examples=[468])
    contours: dict[str, list[int]] = Field(
        description="Outlines to draw (face oval, lips, eyes, brows; sides are the subject's): each a run "
        "of indices into a face's geometry.points."
    )


class FaceResult(BaseModel):
    box: list[float] = Field(description="[x, y, w, h] in pixels of the upright image.")
    score: float = Field(description="The face detector's confidence.")
    landmarks: dict[str, list[float]] | None = Field(
        description="Eyes, nose and mouth corners, named from the subject's side."
    )
    label: str = Field(description="The most probable expression.")
    compound: list[str] | None = Field(description="Two expressions shown about equally, when so.")
    scores: dict[str, float] = Field(description="Probability of every class of the model, in its order.")
    geometry: GeometryResult | None = Field(
        default=None, description="With landmarks=true: the face's mesh, head pose and measures; else null."
    )


class PredictResult(BaseModel):
    model: str = Field(description="The model that answered.")
    width: int
    height: int
    faces: list[FaceResult] = Field(description="Every face found, in detection order.")


class ExplainResult(BaseModel):
    model: str = Field(description="The model explained.")
    face: int = Field(description="Index of the face explained, as in /api/predict's list.")
    method: str
    target: str = Field(description="The class explained (the face's label unless one was asked for).")
    score: float = Field(description="The model's probability for that class.")
    image: str = Field(description="PNG data URL: the map over the aligned face.")
    map: list[list[float]] = Field(description="The map itself on the aligned face, values in [0, 1].")


class Track(BaseModel):
    track: int
    frames: int
    start: float = Field(description="Seconds from the start of the video.")
    end: float
    dominant: str = Field(description="The label the track showed most often.")
    mean_scores: dict[str, float]


class VideoResult(BaseModel):
    model: str = Field(description="The model that answered.")
    frames: int = Field(description="Frames read from the upload.")
    seconds: float
    tracks: list[Track]
    files: dict[str, str] = Field(description="URLs of the annotated video, the timeline plot and the CSV.")
