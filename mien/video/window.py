"""A window on the screen as a stream's sink (Tk): annotated frames shown as they come."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mien.render.annotate import annotate

if TYPE_CHECKING:
    from mien.video.stream import FrameResult


class WindowSink:
    """Show annotated frames in a Tk window; closing the window (or Esc) ends the stream."""

    def __init__(self, title: str = "mien"):
        import tkinter

        from PIL import ImageTk

        self._image_tk = ImageTk
        self._root = tkinter.Tk()
        self._root.title(title)
        self._label = tkinter.Label(self._root)
        self._label.pack()
        self.open = True
        self._root.protocol("WM_DELETE_WINDOW", self.close)
        self._root.bind("<Escape>", lambda event: self.close())

    def __call__(self, result: FrameResult) -> None:
        from PIL import Image

        faces = result.faces
        image = annotate(result.frame.image, [f.prediction for f in faces], [f.track for f in faces])
        photo = self._image_tk.PhotoImage(Image.fromarray(image))
        self._label.configure(image=photo)
        self._label.image = photo  # Tk keeps no reference of its own
        self._root.update()
        if not self.open:
            raise KeyboardInterrupt

    def close(self, failed: bool = False) -> None:
        """Close the window (a window keeps nothing, so a failed stream changes nothing here)."""
        if self.open:
            self.open = False
            self._root.destroy()
