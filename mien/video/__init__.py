"""Video and camera streams: frame sources, the face tracker, the stream loop and its sinks."""

from mien.video.sinks import CsvSink, Sink, VideoSink
from mien.video.sources import Frame, VideoInfo, check_frame_size, frame_size, read_frames, video_info
from mien.video.stream import FrameResult, process_video, recognise_stream, summarize_tracks
from mien.video.tracking import FaceTracker, TrackedFace, iou
from mien.video.window import WindowSink

__all__ = [
    "CsvSink",
    "FaceTracker",
    "Frame",
    "FrameResult",
    "Sink",
    "TrackedFace",
    "VideoInfo",
    "VideoSink",
    "WindowSink",
    "check_frame_size",
    "frame_size",
    "iou",
    "process_video",
    "read_frames",
    "recognise_stream",
    "summarize_tracks",
    "video_info",
]
