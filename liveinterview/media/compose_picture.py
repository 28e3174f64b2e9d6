"""Drawing one review-file picture: the screen share, the camera tiles and the names.

Pure Python on PyAV frames, without numpy: each source frame is scaled by swscale
(`reformat`) and copied row by row into the output planes (slice assignment is a memcpy).
"""

from __future__ import annotations

from av.video.frame import VideoFrame

from liveinterview.media.bitmap_font import Label, render_label
from liveinterview.media.compose_layout import Layout, Rect, fit, layout
from liveinterview.media.compose_sources import VideoSource

WIDTH, HEIGHT = 1280, 720
BACKGROUND, EMPTY_TILE, NEUTRAL = 16, 40, 128  # Y (video range) and chroma levels


class Compositor:
    """Draws one output picture: background, screen share, camera tiles, name labels."""

    def __init__(
        self,
        videos: list[VideoSource],
        presence: dict[str, list[tuple[float, float]]],
        names: dict[str, str],
    ) -> None:
        self._videos = videos
        self._presence = presence
        self._order = sorted(presence, key=lambda p: min(s for s, _ in presence[p]))
        self._names = names
        self._labels: dict[tuple[str, int, int], Label] = {}
        self._layouts: dict[tuple[tuple[str, ...], str | None], Layout] = {}
        self._scaled: dict[int, tuple[VideoFrame, int, int, VideoFrame]] = {}
        template = VideoFrame(WIDTH, HEIGHT, "yuv420p")
        self._strides = [plane.line_size for plane in template.planes]
        self._background = [
            bytes([BACKGROUND if index == 0 else NEUTRAL]) * plane.buffer_size
            for index, plane in enumerate(template.planes)
        ]

    def draw(self, unix: float) -> VideoFrame:
        picture = VideoFrame(WIDTH, HEIGHT, "yuv420p")
        planes = [memoryview(plane) for plane in picture.planes]
        for plane, background in zip(planes, self._background, strict=True):
            plane[:] = background
        present = tuple(p for p in self._order if any(s <= unix <= e for s, e in self._presence[p]))
        screen: VideoSource | None = None
        for video in self._videos:  # the latest share wins if two overlap
            sharing = video.source == "screen" and video.frame(unix) is not None
            if sharing and (screen is None or video.start > screen.start):
                screen = video
        owner = screen.participant if screen is not None else None
        key = (present, owner)
        if key not in self._layouts:
            self._layouts[key] = layout(present, owner, WIDTH, HEIGHT)
        arrangement = self._layouts[key]
        if arrangement.screen is not None and screen is not None:
            frame = screen.frame(unix)
            if frame is not None:
                area = fit(frame.width, frame.height, arrangement.screen)
                self._blit(planes, screen, frame, area)
                self._label(planes, f"{self._name(screen.participant)} (screen)", area)
        for participant, cell in arrangement.cameras.items():
            camera = self._camera(participant, unix)
            frame = camera.frame(unix) if camera is not None else None
            if camera is not None and frame is not None:
                area = fit(frame.width, frame.height, cell)
                self._blit(planes, camera, frame, area)
            else:
                area = Rect(cell.x + 2, cell.y + 2, cell.width - 4, cell.height - 4)
                self._fill(planes, area, EMPTY_TILE)
            self._label(planes, self._name(participant), area)
        return picture

    def _name(self, participant: str) -> str:
        return self._names.get(participant, participant)

    def _camera(self, participant: str, unix: float) -> VideoSource | None:
        for video in self._videos:
            if (
                video.participant == participant
                and video.source == "camera"
                and video.frame(unix) is not None
            ):
                return video
        return None

    def _blit(
        self, planes: list[memoryview], video: VideoSource, frame: VideoFrame, area: Rect
    ) -> None:
        cached = self._scaled.get(id(video))
        if cached is not None and cached[0] is frame and cached[1:3] == (area.width, area.height):
            scaled = cached[3]
        else:
            scaled = frame.reformat(width=area.width, height=area.height, format="yuv420p")
            self._scaled[id(video)] = (frame, area.width, area.height, scaled)
        for index, plane in enumerate(scaled.planes):
            shift = 0 if index == 0 else 1
            source = memoryview(plane)
            source_stride, stride = plane.line_size, self._strides[index]
            width, left = area.width >> shift, area.x >> shift
            target = planes[index]
            top = area.y >> shift
            for row in range(area.height >> shift):
                at = (top + row) * stride + left
                start = row * source_stride
                target[at : at + width] = source[start : start + width]

    def _fill(self, planes: list[memoryview], area: Rect, luma: int) -> None:
        for index, level in enumerate((luma, NEUTRAL, NEUTRAL)):
            shift = 0 if index == 0 else 1
            width, left, top = area.width >> shift, area.x >> shift, area.y >> shift
            row_bytes = bytes([level]) * width
            stride = self._strides[index]
            for row in range(area.height >> shift):
                at = (top + row) * stride + left
                planes[index][at : at + width] = row_bytes

    def _label(self, planes: list[memoryview], text: str, area: Rect) -> None:
        scale = 2 if area.width >= 200 else 1
        key = (text, scale, area.width)
        label = self._labels.get(key)
        if label is None:
            label = render_label(text, scale=scale, max_width=area.width - 8)
            self._labels[key] = label
        margin = 4 * scale
        left = (area.x + margin) // 2 * 2
        top = (area.y + area.height - label.height - margin) // 2 * 2
        if top < 0 or left + label.width > WIDTH:
            return
        stride = self._strides[0]
        for row in range(label.height):
            at = (top + row) * stride + left
            planes[0][at : at + label.width] = label.row(row)
        neutral = bytes([NEUTRAL]) * (label.width // 2)
        for index in (1, 2):
            stride = self._strides[index]
            for row in range(label.height // 2):
                at = (top // 2 + row) * stride + left // 2
                planes[index][at : at + label.width // 2] = neutral
