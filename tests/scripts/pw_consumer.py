"""A PipeWire video consumer on libpipewire-0.3 through ctypes, for
portal-screencast.py.

It connects the way OBS's "Screen Capture (PipeWire)" source and browsers'
WebRTC screen capture do: one pw_stream with AUTOCONNECT | MAP_BUFFERS, on
a pw_thread_loop, active from the start and never paused until it
disconnects. (gst-launch's pipewiresrc cannot: on READY->PAUSED it waits for
STREAMING, deactivates the stream, and activates it again on PAUSED->PLAYING,
so the producer sees STREAMING -> PAUSED -> STREAMING during start-up; that is
what xdg-desktop-portal-wlr 0.8.4 cannot survive, see tests/test-portal.c.)

The Debian root has libpipewire-0.3's library but not its headers
(libpipewire-0.3-dev, libspa-0.2-dev), so the few structures and the SPA POD
encoding this needs are declared here, from PipeWire 1.6's headers; all of
them are part of PipeWire's stable 0.3 ABI.
"""
import ctypes
import struct
import threading
import time
import zlib

# spa/utils/type.h
SPA_TYPE_Id = 3
SPA_TYPE_Int = 4
SPA_TYPE_Rectangle = 10
SPA_TYPE_Fraction = 11
SPA_TYPE_Object = 15
SPA_TYPE_Choice = 19
SPA_TYPE_OBJECT_Format = 0x40003
SPA_TYPE_OBJECT_ParamBuffers = 0x40004
SPA_TYPE_OBJECT_ParamMeta = 0x40005
# spa/pod/pod.h
SPA_CHOICE_Range = 1
SPA_CHOICE_Enum = 3
SPA_CHOICE_Flags = 4
# spa/param/param.h
SPA_PARAM_EnumFormat = 3
SPA_PARAM_Format = 4
SPA_PARAM_Buffers = 5
SPA_PARAM_Meta = 6
# spa/param/format.h
SPA_FORMAT_mediaType = 1
SPA_FORMAT_mediaSubtype = 2
SPA_MEDIA_TYPE_video = 2
SPA_MEDIA_SUBTYPE_raw = 1
SPA_FORMAT_VIDEO_format = 0x20001
SPA_FORMAT_VIDEO_size = 0x20003
SPA_FORMAT_VIDEO_framerate = 0x20004
# spa/param/video/raw.h: formats in memory byte order
SPA_VIDEO_FORMAT_RGBx = 7
SPA_VIDEO_FORMAT_BGRx = 8
SPA_VIDEO_FORMAT_RGBA = 11
SPA_VIDEO_FORMAT_BGRA = 12
FORMAT_NAMES = {SPA_VIDEO_FORMAT_RGBx: "RGBx", SPA_VIDEO_FORMAT_BGRx: "BGRx",
                SPA_VIDEO_FORMAT_RGBA: "RGBA", SPA_VIDEO_FORMAT_BGRA: "BGRA"}
# spa/param/buffers.h
SPA_PARAM_BUFFERS_dataType = 6
SPA_PARAM_META_type = 1
SPA_PARAM_META_size = 2
# spa/buffer/buffer.h, spa/buffer/meta.h
SPA_DATA_MemPtr = 1
SPA_DATA_MemFd = 2
SPA_CHUNK_FLAG_CORRUPTED = 1
SPA_META_Header = 1
SPA_META_HEADER_FLAG_CORRUPTED = 2
# pipewire/stream.h
PW_DIRECTION_INPUT = 0
PW_ID_ANY = 0xffffffff
PW_STREAM_FLAG_AUTOCONNECT = 1 << 0
PW_STREAM_FLAG_MAP_BUFFERS = 1 << 2
PW_VERSION_STREAM_EVENTS = 2


class SpaChunk(ctypes.Structure):
    _fields_ = [("offset", ctypes.c_uint32), ("size", ctypes.c_uint32),
                ("stride", ctypes.c_int32), ("flags", ctypes.c_int32)]


class SpaData(ctypes.Structure):
    _fields_ = [("type", ctypes.c_uint32), ("flags", ctypes.c_uint32),
                ("fd", ctypes.c_int64), ("mapoffset", ctypes.c_uint32),
                ("maxsize", ctypes.c_uint32), ("data", ctypes.c_void_p),
                ("chunk", ctypes.POINTER(SpaChunk))]


class SpaMeta(ctypes.Structure):
    _fields_ = [("type", ctypes.c_uint32), ("size", ctypes.c_uint32),
                ("data", ctypes.c_void_p)]


class SpaMetaHeader(ctypes.Structure):
    _fields_ = [("flags", ctypes.c_uint32), ("offset", ctypes.c_uint32),
                ("pts", ctypes.c_int64), ("dts_offset", ctypes.c_int64),
                ("seq", ctypes.c_uint64)]


class SpaBuffer(ctypes.Structure):
    _fields_ = [("n_metas", ctypes.c_uint32), ("n_datas", ctypes.c_uint32),
                ("metas", ctypes.POINTER(SpaMeta)), ("datas", ctypes.POINTER(SpaData))]


class PwBuffer(ctypes.Structure):
    _fields_ = [("buffer", ctypes.POINTER(SpaBuffer)), ("user_data", ctypes.c_void_p),
                ("size", ctypes.c_uint64), ("requested", ctypes.c_uint64),
                ("time", ctypes.c_uint64)]


STATE_CHANGED = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_int, ctypes.c_int,
                                 ctypes.c_char_p)
PARAM_CHANGED = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_uint32, ctypes.c_void_p)
PROCESS = ctypes.CFUNCTYPE(None, ctypes.c_void_p)


class PwStreamEvents(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("destroy", ctypes.c_void_p),
                ("state_changed", STATE_CHANGED), ("control_info", ctypes.c_void_p),
                ("io_changed", ctypes.c_void_p), ("param_changed", PARAM_CHANGED),
                ("add_buffer", ctypes.c_void_p), ("remove_buffer", ctypes.c_void_p),
                ("process", PROCESS), ("drained", ctypes.c_void_p),
                ("command", ctypes.c_void_p), ("trigger_done", ctypes.c_void_p)]


def _load():
    pw = ctypes.CDLL("libpipewire-0.3.so.0")
    p = ctypes.c_void_p
    for name, res, args in [
            ("pw_init", None, [p, p]),
            ("pw_thread_loop_new", p, [ctypes.c_char_p, p]),
            ("pw_thread_loop_get_loop", p, [p]),
            ("pw_thread_loop_start", ctypes.c_int, [p]),
            ("pw_thread_loop_stop", None, [p]),
            ("pw_thread_loop_lock", None, [p]),
            ("pw_thread_loop_unlock", None, [p]),
            ("pw_thread_loop_destroy", None, [p]),
            ("pw_properties_new_string", p, [ctypes.c_char_p]),
            ("pw_context_new", p, [p, p, ctypes.c_size_t]),
            ("pw_context_destroy", None, [p]),
            ("pw_context_connect_fd", p, [p, ctypes.c_int, p, ctypes.c_size_t]),
            ("pw_core_disconnect", ctypes.c_int, [p]),
            ("pw_stream_new", p, [p, ctypes.c_char_p, p]),
            ("pw_stream_add_listener", None, [p, p, ctypes.POINTER(PwStreamEvents), p]),
            ("pw_stream_connect", ctypes.c_int,
             [p, ctypes.c_int, ctypes.c_uint32, ctypes.c_int, p, ctypes.c_uint32]),
            ("pw_stream_update_params", ctypes.c_int, [p, p, ctypes.c_uint32]),
            ("pw_stream_dequeue_buffer", ctypes.POINTER(PwBuffer), [p]),
            ("pw_stream_queue_buffer", ctypes.c_int, [p, ctypes.POINTER(PwBuffer)]),
            ("pw_stream_disconnect", ctypes.c_int, [p]),
            ("pw_stream_destroy", None, [p]),
            ("pw_stream_state_as_string", ctypes.c_char_p, [ctypes.c_int])]:
        f = getattr(pw, name)
        f.restype = res
        f.argtypes = args
    return pw


# SPA PODs (spa/pod/pod.h): a 32-bit size and type, the body, padding to 8 bytes.
def _pod(kind, body):
    return struct.pack("<II", len(body), kind) + body + b"\0" * (-len(body) % 8)


def _pod_id(value):
    return _pod(SPA_TYPE_Id, struct.pack("<I", value))


def _pod_int(value):
    return _pod(SPA_TYPE_Int, struct.pack("<i", value))


def _choice(choice, child_type, values):
    """values: each already packed, all the same size."""
    return _pod(SPA_TYPE_Choice, struct.pack("<IIII", choice, 0, len(values[0]), child_type) +
                b"".join(values))


def _object(object_type, param_id, props):
    return _pod(SPA_TYPE_Object, struct.pack("<II", object_type, param_id) +
                b"".join(struct.pack("<II", key, 0) + value for key, value in props))


def _parse_object(data):
    """Property key -> (type, value bytes) of an object POD; a choice gives its first value."""
    size, kind = struct.unpack_from("<II", data, 0)
    props = {}
    if kind != SPA_TYPE_Object:
        return props
    off, end = 16, 8 + size
    while off + 16 <= end:
        key, _flags, vsize, vtype = struct.unpack_from("<IIII", data, off)
        value = data[off + 16:off + 16 + vsize]
        if vtype == SPA_TYPE_Choice and len(value) >= 16:
            _choice_type, _cflags, csize, ctype = struct.unpack_from("<IIII", value, 0)
            vtype, value = ctype, value[16:16 + csize]
        props[key] = (vtype, value)
        off += 16 + vsize + (-vsize % 8)
    return props


def write_png(path, width, height, stride, video_format, pixels):
    """Writes 8-bit RGB, every pixel as it came (the X or A byte dropped)."""
    red, blue = (2, 0) if video_format in (SPA_VIDEO_FORMAT_BGRx, SPA_VIDEO_FORMAT_BGRA) else (0, 2)
    rows = []
    for y in range(height):
        row = pixels[y * stride:y * stride + width * 4]
        rgb = bytearray(width * 3)
        rgb[0::3] = row[red::4]
        rgb[1::3] = row[1::4]
        rgb[2::3] = row[blue::4]
        rows.append(b"\0" + bytes(rgb))

    def chunk(tag, body):
        return (struct.pack(">I", len(body)) + tag + body +
                struct.pack(">I", zlib.crc32(tag + body) & 0xffffffff))

    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" +
                chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)) +
                chunk(b"IDAT", zlib.compress(b"".join(rows), 1)) + chunk(b"IEND", b""))


class Frame:
    def __init__(self, width, height, stride, video_format, pixels):
        self.width, self.height, self.stride = width, height, stride
        self.video_format, self.pixels = video_format, pixels


class Consumer:
    """One stream from FD (OpenPipeWireRemote) to NODE; keeps the first MAX_FRAMES frames."""

    def __init__(self, fd, node, max_frames):
        self.pw = _load()
        self.pw.pw_init(None, None)
        self.node, self.max_frames = node, max_frames
        self.cond = threading.Condition()
        self.frames = []       # good frames, in arrival order
        self.corrupted = 0     # buffers flagged CORRUPTED (not frames)
        self.short = 0         # buffers without a full picture in them
        self.states = []       # the stream's own states, in order
        self.error = None
        self.width = self.height = self.video_format = None
        # The callbacks must outlive the stream: kept on self.
        self.events = PwStreamEvents(version=PW_VERSION_STREAM_EVENTS,
                                     state_changed=STATE_CHANGED(self._on_state_changed),
                                     param_changed=PARAM_CHANGED(self._on_param_changed),
                                     process=PROCESS(self._on_process))
        self.hook = ctypes.create_string_buffer(64)  # struct spa_hook: 6 pointers
        self.loop = self.pw.pw_thread_loop_new(b"pinhole-consumer", None)
        self.context = self.pw.pw_context_new(self.pw.pw_thread_loop_get_loop(self.loop), None, 0)
        if not self.loop or not self.context:
            raise RuntimeError("pw_thread_loop_new/pw_context_new failed")
        self.pw.pw_thread_loop_start(self.loop)
        self.pw.pw_thread_loop_lock(self.loop)
        try:
            self.core = self.pw.pw_context_connect_fd(self.context, fd, None, 0)
            if not self.core:
                raise RuntimeError("pw_context_connect_fd failed")
            props = self.pw.pw_properties_new_string(
                b"media.type=Video media.category=Capture media.role=Screen")
            self.stream = self.pw.pw_stream_new(self.core, b"pinhole-test-consumer", props)
            self.pw.pw_stream_add_listener(self.stream, self.hook, ctypes.byref(self.events), None)
            rect = struct.Struct("<II")
            enum_format = _object(SPA_TYPE_OBJECT_Format, SPA_PARAM_EnumFormat, [
                (SPA_FORMAT_mediaType, _pod_id(SPA_MEDIA_TYPE_video)),
                (SPA_FORMAT_mediaSubtype, _pod_id(SPA_MEDIA_SUBTYPE_raw)),
                (SPA_FORMAT_VIDEO_format, _choice(SPA_CHOICE_Enum, SPA_TYPE_Id, [
                    struct.pack("<I", f) for f in (SPA_VIDEO_FORMAT_BGRx, SPA_VIDEO_FORMAT_BGRx,
                                                   SPA_VIDEO_FORMAT_BGRA, SPA_VIDEO_FORMAT_RGBx,
                                                   SPA_VIDEO_FORMAT_RGBA)])),
                (SPA_FORMAT_VIDEO_size, _choice(SPA_CHOICE_Range, SPA_TYPE_Rectangle, [
                    rect.pack(1920, 1080), rect.pack(1, 1), rect.pack(16384, 16384)])),
                # xdpw offers a variable rate (0/1) with a maximum.
                (SPA_FORMAT_VIDEO_framerate, _choice(SPA_CHOICE_Range, SPA_TYPE_Fraction, [
                    rect.pack(0, 1), rect.pack(0, 1), rect.pack(1000, 1)]))])
            self._update(self.pw.pw_stream_connect, PW_DIRECTION_INPUT, node,
                         PW_STREAM_FLAG_AUTOCONNECT | PW_STREAM_FLAG_MAP_BUFFERS, [enum_format])
        finally:
            self.pw.pw_thread_loop_unlock(self.loop)

    def _update(self, call, *args):
        """Calls pw_stream_connect (with its leading arguments) or pw_stream_update_params."""
        pods = args[-1]
        buffers = [ctypes.create_string_buffer(p, len(p)) for p in pods]
        array = (ctypes.c_void_p * len(buffers))(*[ctypes.addressof(b) for b in buffers])
        res = call(self.stream, *args[:-1], array, len(buffers))
        if res < 0:
            raise RuntimeError("%s: %d" % (call.__name__, res))

    def _on_state_changed(self, _data, _old, state, error):
        name = self.pw.pw_stream_state_as_string(state).decode()
        with self.cond:
            self.states.append(name)
            if state < 0:
                self.error = "stream error: %s" % (error.decode() if error else "?")
            self.cond.notify_all()

    def _on_param_changed(self, _data, param_id, param):
        if param_id != SPA_PARAM_Format or not param:
            return
        size = struct.unpack("<I", ctypes.string_at(param, 4))[0]
        props = _parse_object(ctypes.string_at(param, 8 + size))
        try:
            self.video_format = struct.unpack("<I", props[SPA_FORMAT_VIDEO_format][1][:4])[0]
            self.width, self.height = struct.unpack("<II", props[SPA_FORMAT_VIDEO_size][1][:8])
        except (KeyError, struct.error):
            with self.cond:
                self.error = "format without video format or size"
                self.cond.notify_all()
            return
        # Mappable memory only, and the header whose flags say CORRUPTED.
        try:
            self._params_for_format()
        except RuntimeError as e:
            with self.cond:
                self.error = str(e)
                self.cond.notify_all()

    def _params_for_format(self):
        self._update(self.pw.pw_stream_update_params, [
            _object(SPA_TYPE_OBJECT_ParamBuffers, SPA_PARAM_Buffers, [
                (SPA_PARAM_BUFFERS_dataType, _choice(SPA_CHOICE_Flags, SPA_TYPE_Int, [
                    struct.pack("<i", (1 << SPA_DATA_MemPtr) | (1 << SPA_DATA_MemFd))]))]),
            _object(SPA_TYPE_OBJECT_ParamMeta, SPA_PARAM_Meta, [
                (SPA_PARAM_META_type, _pod_id(SPA_META_Header)),
                (SPA_PARAM_META_size, _pod_int(ctypes.sizeof(SpaMetaHeader)))])])

    def _on_process(self, _data):
        while True:
            pw_buffer = self.pw.pw_stream_dequeue_buffer(self.stream)
            if not pw_buffer:
                return
            buffer = pw_buffer.contents.buffer.contents
            corrupted = False
            for i in range(buffer.n_metas):
                meta = buffer.metas[i]
                if meta.type == SPA_META_Header and meta.size >= ctypes.sizeof(SpaMetaHeader):
                    header = ctypes.cast(meta.data, ctypes.POINTER(SpaMetaHeader)).contents
                    corrupted |= bool(header.flags & SPA_META_HEADER_FLAG_CORRUPTED)
            frame = None
            if buffer.n_datas >= 1 and self.width is not None:
                data = buffer.datas[0]
                chunk = data.chunk.contents
                corrupted |= bool(chunk.flags & SPA_CHUNK_FLAG_CORRUPTED)
                stride = chunk.stride or self.width * 4
                need = stride * (self.height - 1) + self.width * 4
                if not corrupted and data.data and data.maxsize > 0 and chunk.size >= need and \
                        chunk.offset % data.maxsize + need <= data.maxsize:
                    frame = Frame(self.width, self.height, stride, self.video_format,
                                  ctypes.string_at(data.data + chunk.offset % data.maxsize, need))
            self.pw.pw_stream_queue_buffer(self.stream, pw_buffer)
            with self.cond:
                if corrupted:
                    self.corrupted += 1
                elif frame is None:
                    self.short += 1
                elif len(self.frames) < self.max_frames:
                    self.frames.append(frame)
                self.cond.notify_all()

    def frames_since(self, index, timeout):
        """Frames from INDEX on, waiting up to TIMEOUT seconds for one; raises on a stream error."""
        with self.cond:
            if len(self.frames) <= index and self.error is None:
                self.cond.wait(timeout)
            if self.error is not None:
                raise RuntimeError(self.error)
            return self.frames[index:]

    def close(self):
        self.pw.pw_thread_loop_lock(self.loop)
        self.pw.pw_stream_disconnect(self.stream)
        self.pw.pw_stream_destroy(self.stream)
        self.pw.pw_core_disconnect(self.core)
        self.pw.pw_thread_loop_unlock(self.loop)
        self.pw.pw_thread_loop_stop(self.loop)
        self.pw.pw_context_destroy(self.context)
        self.pw.pw_thread_loop_destroy(self.loop)
