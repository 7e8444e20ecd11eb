"""Safe decoding of untrusted media: format allow-list, size, pixel and duration limits."""

from rempart.media.detect import MediaInfo, detect
from rempart.media.errors import CorruptMedia, MediaError, Polyglot, TooLarge, UnsupportedMedia
from rempart.media.images import LoadedImage, load_image, open_image
from rempart.media.video import VideoInfo, iter_frames, iter_indexed_frames, probe_video

__all__ = [
    "CorruptMedia",
    "LoadedImage",
    "MediaError",
    "MediaInfo",
    "Polyglot",
    "TooLarge",
    "UnsupportedMedia",
    "VideoInfo",
    "detect",
    "iter_frames",
    "iter_indexed_frames",
    "load_image",
    "open_image",
    "probe_video",
]
