/*
 * ph-bench-capture — capture measurements that ph-lockstep does not make.
 *
 * usage: ph-bench-capture --memcpy WxH[,WxH...] [--reps N]
 *        ph-bench-capture --damage SECONDS [--warmup K] [--sentinel-frames M]
 *                         [--rect X,Y,W,H] [--cpu-pid PID]
 *        ph-bench-capture --static ROUNDS [--idle-ms MS] [--rect X,Y,W,H]
 *                         [--cpu-pid PID]
 *
 * --memcpy needs no compositor. For each size it times memcpy of one XRGB8888
 * frame and a pixman SRC composite of one opaque frame (what a pixman
 * compositor does to put a fullscreen opaque client on screen):
 *   memcpy size=WxH bytes=N reps=R memcpy_p50_ms=... memcpy_gbps=...
 *          composite_p50_ms=... floor_ms=... memcpy_shm_p50_ms=...
 *          composite_shm_p50_ms=... floor_shm_ms=...
 * floor_ms = memcpy_p50_ms + composite_p50_ms: one composite plus one copy into
 * the capture buffer, the least a compositor can do per captured full frame.
 * The _shm_ figures are the same between memfd mappings (like wl_shm buffers)
 * instead of heap memory.
 *
 * The other modes map a fullscreen xdg toplevel on the first output, paint it
 * a background colour and capture the output with ext-image-copy-capture-v1
 * into two XRGB8888 shm buffers used in turn. Like a correct client, each
 * capture declares (damage_buffer) what its buffer missed while the other one
 * was filled, taken from the compositor's damage events. Only one rectangle of
 * the window (default 64x64 at the centre) ever changes: every step redraws
 * just that rectangle in a new colour, damages just it and commits.
 *
 * --damage: lock-step on the small rectangle. Each step commits a new colour
 * and captures until the rectangle's centre shows it. After K warm-up steps,
 * runs for SECONDS and reports steps/s, commit→ready latency, the damage the
 * compositor announced per captured frame, and the compositor's CPU time per
 * step (PID given): utime+stime from /proc/PID/stat (clock ticks) and the sum
 * of /proc/PID/task/[*]/schedstat run times (nanoseconds). Then M more steps
 * with the sentinel method: the capture buffer is filled with a sentinel word
 * before each capture, without telling the compositor (what it writes
 * depends only on its own records and the client's damage_buffer, which stay
 * honest), and the words that differ from the sentinel afterwards are
 * counted. Words the compositor rewrote with the sentinel value itself
 * are invisible, so this is a lower bound of what it wrote (a sentinel value
 * no pixel has makes it exact in practice):
 *   damage size=WxH rect=WxH steps=N seconds=S steps_per_s=... p50_ms=...
 *          p90_ms=... captures_per_step=... announced_bytes_per_frame=...
 *          announced_rects_per_frame=... cpu_ms_per_step=... cpu_sched_ms_per_step=...
 *          client_cpu_ms_per_step=... sentinel_frames=M written_bytes_per_frame=...
 *          written_bytes_max=... rect_bytes=...
 *
 * --static: ROUNDS times: ask for a capture with nothing changing and wait
 * MS milliseconds plus i/ROUNDS of a frame (it must not complete), then
 * change the rectangle and time commit→ready of that pending capture (it must
 * complete within one output frame and show the change). The first round is
 * also reported alone. A refresh of 0 (wlroots' headless outputs) counts as
 * 60 Hz, the headless default:
 *   static size=WxH rounds=R idle_ms=MS early=E showed_change=S wake_p50_ms=...
 *          wake_max_ms=... wake_first_ms=... wake_max_later_ms=... frame_ms=...
 *          refresh_mhz=... wake_damage_bytes=... idle_cpu_ms_per_s=...
 *
 * PH_BENCH_VERBOSE in the environment prints one line per static round on
 * stderr.
 *
 * Every wait gives up after 5 s without progress (exit 1).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <pixman.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>
#include <wayland-client.h>
#include "ext-image-capture-source-v1-client-protocol.h"
#include "ext-image-copy-capture-v1-client-protocol.h"
#include "xdg-shell-client-protocol.h"

#define PROGRESS_TIMEOUT_MS 5000.0
#define MAX_SURFACE_BUFFERS 4
#define MAX_RECTS 64
#define SENTINEL 0x13579bdfu
#define BACKGROUND 0x203040u

static bool verbose; /* PH_BENCH_VERBOSE set: per-step lines on stderr */

struct rect {
	int32_t x, y, width, height;
};

struct buffer {
	struct wl_shm_pool *pool;
	struct wl_buffer *wl_buffer;
	uint32_t *data;
	size_t size;
	int width, height, stride;
	bool busy; /* surface buffer: attached and not yet released */
	bool used; /* capture buffer: filled by the compositor before */
	/* Capture buffer: damage announced while the other buffer was filled. */
	struct rect missed[MAX_RECTS];
	int n_missed;
	bool missed_all;
};

struct state {
	struct wl_display *display;
	struct wl_registry *registry;
	struct wl_compositor *compositor;
	struct wl_shm *shm;
	struct xdg_wm_base *wm_base;
	struct wl_output *output;
	int32_t mode_width, mode_height, refresh_mhz, output_scale, output_transform;
	struct ext_image_copy_capture_manager_v1 *copy_manager;
	struct ext_output_image_capture_source_manager_v1 *output_sources;

	struct wl_surface *surface;
	struct xdg_surface *xdg_surface;
	struct xdg_toplevel *xdg_toplevel;
	bool configured;
	uint32_t configure_serial; /* 0 once acked */
	int32_t configure_width, configure_height, pending_width, pending_height;
	struct buffer surface_buffers[MAX_SURFACE_BUFFERS];
	int shown_width, shown_height; /* size of the last committed buffer */

	/* The rectangle that changes; negative width: centred 64x64. */
	struct rect change;

	struct ext_image_capture_source_v1 *source;
	struct ext_image_copy_capture_session_v1 *session;
	uint32_t cap_width, cap_height, pending_cap_width, pending_cap_height;
	bool have_xrgb, have_argb, pending_xrgb, pending_argb;
	unsigned constraints_serial, allocated_serial;
	bool stopped;
	struct buffer capture_buffers[2];
	int next_capture;

	struct ext_image_copy_capture_frame_v1 *frame; /* in flight */
	struct buffer *frame_buffer;
	bool frame_finished, frame_failed;
	uint32_t frame_reason;
	double ready_time;
	struct rect damage[MAX_RECTS]; /* announced for the frame in flight */
	int n_damage;
	bool damage_overflow;
	double damage_area; /* pixels */
	int damage_rects;
};

static double now_ms(void) {
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void fail(const char *msg) {
	fprintf(stderr, "ph-bench-capture: %s\n", msg);
	exit(1);
}

static void die_display(struct state *st) {
	int err = wl_display_get_error(st->display);
	if (err == EPROTO) {
		const struct wl_interface *iface = NULL;
		uint32_t id = 0;
		uint32_t code = wl_display_get_protocol_error(st->display, &iface, &id);
		fprintf(stderr, "ph-bench-capture: protocol error: interface=%s code=%u id=%u\n",
			iface != NULL ? iface->name : "unknown", code, id);
	} else {
		fprintf(stderr, "ph-bench-capture: connection error: %s\n", strerror(err));
	}
	exit(1);
}

/* Reads and dispatches whatever arrives before the deadline. Returns false
 * when the deadline passed with nothing to dispatch. */
static bool dispatch_once(struct state *st, double deadline) {
	if (wl_display_prepare_read(st->display) != 0) {
		if (wl_display_dispatch_pending(st->display) < 0) {
			die_display(st);
		}
		return true;
	}
	if (wl_display_flush(st->display) < 0 && errno != EAGAIN) {
		wl_display_cancel_read(st->display);
		die_display(st);
	}
	struct pollfd pfd = {.fd = wl_display_get_fd(st->display), .events = POLLIN};
	double left = deadline - now_ms();
	int ret = left > 0 ? poll(&pfd, 1, (int)left + 1) : 0;
	if (ret <= 0) {
		wl_display_cancel_read(st->display);
		return ret < 0 && errno == EINTR;
	}
	if (wl_display_read_events(st->display) < 0 ||
			wl_display_dispatch_pending(st->display) < 0) {
		die_display(st);
	}
	return true;
}

static void wait_for(struct state *st, const bool *flag, double deadline, const char *what) {
	while (!*flag) {
		if (!dispatch_once(st, deadline) && now_ms() >= deadline) {
			fprintf(stderr, "ph-bench-capture: timeout waiting for %s\n", what);
			exit(1);
		}
	}
}

static void sync_done(void *data, struct wl_callback *callback, uint32_t serial) {
	*(bool *)data = true;
	wl_callback_destroy(callback);
}

static const struct wl_callback_listener sync_listener = {.done = sync_done};

static void roundtrip(struct state *st) {
	bool done = false;
	wl_callback_add_listener(wl_display_sync(st->display), &sync_listener, &done);
	wait_for(st, &done, now_ms() + PROGRESS_TIMEOUT_MS, "the compositor");
}

/* CPU time */

struct cpu_sample {
	double ticks_ms; /* utime + stime from /proc/PID/stat */
	double sched_ms; /* sum of the threads' schedstat run time */
	double self_ms; /* getrusage of this process */
};

static double read_stat_ms(pid_t pid) {
	char path[64], buf[1024];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	FILE *f = fopen(path, "r");
	if (f == NULL) {
		return NAN;
	}
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* Fields after the command name, which may contain spaces: state is field 3. */
	char *p = strrchr(buf, ')');
	unsigned long utime = 0, stime = 0;
	if (p == NULL || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
			&utime, &stime) != 2) {
		return NAN;
	}
	return (double)(utime + stime) * 1000.0 / (double)sysconf(_SC_CLK_TCK);
}

static double read_sched_ms(pid_t pid) {
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	DIR *dir = opendir(path);
	if (dir == NULL) {
		return NAN;
	}
	double total = 0;
	struct dirent *ent;
	while ((ent = readdir(dir)) != NULL) {
		if (ent->d_name[0] == '.') {
			continue;
		}
		char file[300];
		snprintf(file, sizeof(file), "/proc/%d/task/%s/schedstat", (int)pid, ent->d_name);
		FILE *f = fopen(file, "r");
		unsigned long long ns = 0;
		if (f != NULL) {
			if (fscanf(f, "%llu", &ns) == 1) {
				total += (double)ns / 1e6;
			}
			fclose(f);
		}
	}
	closedir(dir);
	return total;
}

static struct cpu_sample cpu_sample(pid_t pid) {
	struct cpu_sample s = {NAN, NAN, 0};
	if (pid > 0) {
		s.ticks_ms = read_stat_ms(pid);
		s.sched_ms = read_sched_ms(pid);
	}
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	s.self_ms = ru.ru_utime.tv_sec * 1e3 + ru.ru_utime.tv_usec / 1e3 +
		ru.ru_stime.tv_sec * 1e3 + ru.ru_stime.tv_usec / 1e3;
	return s;
}

/* Buffers */

static void buffer_release(void *data, struct wl_buffer *wl_buffer) {
	struct buffer *buf = data;
	buf->busy = false;
}

static const struct wl_buffer_listener buffer_listener = {.release = buffer_release};

static void buffer_finish(struct buffer *buf) {
	if (buf->wl_buffer != NULL) {
		wl_buffer_destroy(buf->wl_buffer);
		wl_shm_pool_destroy(buf->pool);
		munmap(buf->data, buf->size);
	}
	*buf = (struct buffer){0};
}

static void buffer_init(struct state *st, struct buffer *buf, int width, int height,
		uint32_t format) {
	buffer_finish(buf);
	int stride = width * 4;
	size_t size = (size_t)stride * height;
	int fd = memfd_create("ph-bench-capture", MFD_CLOEXEC);
	if (fd < 0 || size == 0 || size > INT32_MAX || ftruncate(fd, (off_t)size) < 0) {
		fail("cannot allocate a shm buffer");
	}
	buf->data = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (buf->data == MAP_FAILED) {
		fail("mmap failed");
	}
	buf->pool = wl_shm_create_pool(st->shm, fd, (int32_t)size);
	buf->wl_buffer = wl_shm_pool_create_buffer(buf->pool, 0, width, height, stride, format);
	wl_buffer_add_listener(buf->wl_buffer, &buffer_listener, buf);
	close(fd);
	buf->size = size;
	buf->width = width;
	buf->height = height;
	buf->stride = stride;
}

static void fill(struct buffer *buf, struct rect r, uint32_t pixel) {
	for (int y = r.y; y < r.y + r.height; y++) {
		uint32_t *row = buf->data + (size_t)y * (buf->stride / 4);
		for (int x = r.x; x < r.x + r.width; x++) {
			row[x] = pixel;
		}
	}
}

/* Registry and output */

static void output_geometry(void *data, struct wl_output *wl_output, int32_t x, int32_t y,
		int32_t pw, int32_t ph, int32_t subpixel, const char *make, const char *model,
		int32_t transform) {
	struct state *st = data;
	st->output_transform = transform;
}

static void output_mode(void *data, struct wl_output *wl_output, uint32_t flags,
		int32_t width, int32_t height, int32_t refresh) {
	struct state *st = data;
	if (flags & WL_OUTPUT_MODE_CURRENT) {
		st->mode_width = width;
		st->mode_height = height;
		st->refresh_mhz = refresh;
	}
}

static void output_done(void *data, struct wl_output *wl_output) {
}

static void output_scale(void *data, struct wl_output *wl_output, int32_t factor) {
	struct state *st = data;
	st->output_scale = factor;
}

static const struct wl_output_listener output_listener = {
	.geometry = output_geometry,
	.mode = output_mode,
	.done = output_done,
	.scale = output_scale,
};

static void wm_base_ping(void *data, struct xdg_wm_base *wm_base, uint32_t serial) {
	xdg_wm_base_pong(wm_base, serial);
}

static const struct xdg_wm_base_listener wm_base_listener = {.ping = wm_base_ping};

static void registry_global(void *data, struct wl_registry *registry, uint32_t name,
		const char *interface, uint32_t version) {
	struct state *st = data;
	if (strcmp(interface, wl_compositor_interface.name) == 0 && version >= 4) {
		st->compositor = wl_registry_bind(registry, name, &wl_compositor_interface, 4);
	} else if (strcmp(interface, wl_shm_interface.name) == 0) {
		st->shm = wl_registry_bind(registry, name, &wl_shm_interface, 1);
	} else if (strcmp(interface, xdg_wm_base_interface.name) == 0) {
		st->wm_base = wl_registry_bind(registry, name, &xdg_wm_base_interface, 1);
		xdg_wm_base_add_listener(st->wm_base, &wm_base_listener, st);
	} else if (strcmp(interface, wl_output_interface.name) == 0 && st->output == NULL) {
		st->output = wl_registry_bind(registry, name, &wl_output_interface,
			version < 2 ? version : 2);
		wl_output_add_listener(st->output, &output_listener, st);
	} else if (strcmp(interface, ext_image_copy_capture_manager_v1_interface.name) == 0) {
		st->copy_manager = wl_registry_bind(registry, name,
			&ext_image_copy_capture_manager_v1_interface, 1);
	} else if (strcmp(interface, ext_output_image_capture_source_manager_v1_interface.name) == 0) {
		st->output_sources = wl_registry_bind(registry, name,
			&ext_output_image_capture_source_manager_v1_interface, 1);
	}
}

static void registry_global_remove(void *data, struct wl_registry *registry, uint32_t name) {
}

static const struct wl_registry_listener registry_listener = {
	.global = registry_global,
	.global_remove = registry_global_remove,
};

/* The window */

static void xdg_surface_configure(void *data, struct xdg_surface *xdg_surface,
		uint32_t serial) {
	struct state *st = data;
	/* Acked with the next buffer, so that ack and size agree. */
	st->configure_serial = serial;
	st->configure_width = st->pending_width;
	st->configure_height = st->pending_height;
	st->configured = true;
}

static const struct xdg_surface_listener xdg_surface_listener = {
	.configure = xdg_surface_configure,
};

static void toplevel_configure(void *data, struct xdg_toplevel *toplevel, int32_t width,
		int32_t height, struct wl_array *states) {
	struct state *st = data;
	st->pending_width = width;
	st->pending_height = height;
}

static void toplevel_close(void *data, struct xdg_toplevel *toplevel) {
	fail("toplevel closed by the compositor");
}

static const struct xdg_toplevel_listener toplevel_listener = {
	.configure = toplevel_configure,
	.close = toplevel_close,
};

static void surface_size(const struct state *st, int *width, int *height) {
	int scale = st->output_scale > 0 ? st->output_scale : 1;
	if (st->configure_width > 0 && st->configure_height > 0) {
		*width = st->configure_width * scale;
		*height = st->configure_height * scale;
	} else if (st->output_transform & 1) {
		*width = st->mode_height;
		*height = st->mode_width;
	} else {
		*width = st->mode_width;
		*height = st->mode_height;
	}
}

static struct rect change_rect(const struct state *st, int width, int height) {
	struct rect r = st->change;
	if (r.width <= 0) {
		r = (struct rect){width / 2 - 32, height / 2 - 32, 64, 64};
	}
	if (r.x < 0 || r.y < 0 || r.x + r.width > width || r.y + r.height > height) {
		fail("the changing rectangle is outside the window");
	}
	return r;
}

/* Returns a buffer the compositor does not hold, showing the background and
 * the rectangle (in some earlier colour). */
static struct buffer *free_surface_buffer(struct state *st, int width, int height) {
	double deadline = now_ms() + PROGRESS_TIMEOUT_MS;
	for (;;) {
		for (int i = 0; i < MAX_SURFACE_BUFFERS; i++) {
			struct buffer *buf = &st->surface_buffers[i];
			if (buf->busy) {
				continue;
			}
			if (buf->wl_buffer == NULL || buf->width != width || buf->height != height) {
				buffer_init(st, buf, width, height, WL_SHM_FORMAT_XRGB8888);
				fill(buf, (struct rect){0, 0, width, height}, 0xff000000u | BACKGROUND);
			}
			return buf;
		}
		if (!dispatch_once(st, deadline) && now_ms() >= deadline) {
			fail("timeout waiting for a wl_buffer.release");
		}
	}
}

/* Paints the rectangle in a new colour, damages only it and commits.
 * Returns the commit time. */
static double commit_change(struct state *st, uint32_t colour) {
	if (st->configure_serial != 0) {
		xdg_surface_ack_configure(st->xdg_surface, st->configure_serial);
		st->configure_serial = 0;
	}
	int width, height;
	surface_size(st, &width, &height);
	if (width <= 0 || height <= 0) {
		fail("no surface size: neither configure nor output mode gave one");
	}
	struct buffer *buf = free_surface_buffer(st, width, height);
	struct rect r = change_rect(st, width, height);
	fill(buf, r, 0xff000000u | colour);
	int scale = st->output_scale > 0 ? st->output_scale : 1;
	wl_surface_set_buffer_scale(st->surface, scale);
	wl_surface_attach(st->surface, buf->wl_buffer, 0, 0);
	if (st->shown_width != width || st->shown_height != height) {
		wl_surface_damage_buffer(st->surface, 0, 0, width, height);
		st->shown_width = width;
		st->shown_height = height;
	} else {
		wl_surface_damage_buffer(st->surface, r.x, r.y, r.width, r.height);
	}
	buf->busy = true;
	double t = now_ms();
	wl_surface_commit(st->surface);
	wl_display_flush(st->display);
	return t;
}

/* Capture */

static void session_buffer_size(void *data, struct ext_image_copy_capture_session_v1 *session,
		uint32_t width, uint32_t height) {
	struct state *st = data;
	st->pending_cap_width = width;
	st->pending_cap_height = height;
}

static void session_shm_format(void *data, struct ext_image_copy_capture_session_v1 *session,
		uint32_t format) {
	struct state *st = data;
	st->pending_xrgb |= format == WL_SHM_FORMAT_XRGB8888;
	st->pending_argb |= format == WL_SHM_FORMAT_ARGB8888;
}

static void session_dmabuf_device(void *data,
		struct ext_image_copy_capture_session_v1 *session, struct wl_array *device) {
}

static void session_dmabuf_format(void *data,
		struct ext_image_copy_capture_session_v1 *session, uint32_t format,
		struct wl_array *modifiers) {
}

static void session_done(void *data, struct ext_image_copy_capture_session_v1 *session) {
	struct state *st = data;
	st->cap_width = st->pending_cap_width;
	st->cap_height = st->pending_cap_height;
	st->have_xrgb = st->pending_xrgb;
	st->have_argb = st->pending_argb;
	st->pending_xrgb = st->pending_argb = false;
	st->constraints_serial++;
}

static void session_stopped(void *data, struct ext_image_copy_capture_session_v1 *session) {
	struct state *st = data;
	st->stopped = true;
}

static const struct ext_image_copy_capture_session_v1_listener session_listener = {
	.buffer_size = session_buffer_size,
	.shm_format = session_shm_format,
	.dmabuf_device = session_dmabuf_device,
	.dmabuf_format = session_dmabuf_format,
	.done = session_done,
	.stopped = session_stopped,
};

static void frame_transform(void *data, struct ext_image_copy_capture_frame_v1 *frame,
		uint32_t transform) {
}

static void frame_damage(void *data, struct ext_image_copy_capture_frame_v1 *frame,
		int32_t x, int32_t y, int32_t width, int32_t height) {
	struct state *st = data;
	st->damage_area += (double)width * height;
	st->damage_rects++;
	if (st->n_damage < MAX_RECTS) {
		st->damage[st->n_damage++] = (struct rect){x, y, width, height};
	} else {
		st->damage_overflow = true;
	}
}

static void frame_presentation_time(void *data, struct ext_image_copy_capture_frame_v1 *frame,
		uint32_t tv_sec_hi, uint32_t tv_sec_lo, uint32_t tv_nsec) {
}

static void frame_ready(void *data, struct ext_image_copy_capture_frame_v1 *frame) {
	struct state *st = data;
	st->ready_time = now_ms();
	st->frame_finished = true;
}

static void frame_failed(void *data, struct ext_image_copy_capture_frame_v1 *frame,
		uint32_t reason) {
	struct state *st = data;
	st->frame_finished = true;
	st->frame_failed = true;
	st->frame_reason = reason;
}

static const struct ext_image_copy_capture_frame_v1_listener frame_listener = {
	.transform = frame_transform,
	.damage = frame_damage,
	.presentation_time = frame_presentation_time,
	.ready = frame_ready,
	.failed = frame_failed,
};

static void ensure_capture_buffers(struct state *st) {
	if (st->allocated_serial == st->constraints_serial) {
		return;
	}
	uint32_t format;
	if (st->have_xrgb) {
		format = WL_SHM_FORMAT_XRGB8888;
	} else if (st->have_argb) {
		format = WL_SHM_FORMAT_ARGB8888;
	} else {
		fail("the capture session offers neither XRGB8888 nor ARGB8888");
	}
	for (int i = 0; i < 2; i++) {
		buffer_init(st, &st->capture_buffers[i], (int)st->cap_width, (int)st->cap_height,
			format);
	}
	st->allocated_serial = st->constraints_serial;
}

static void start_capture(struct state *st, bool sentinel) {
	ensure_capture_buffers(st);
	struct buffer *buf = &st->capture_buffers[st->next_capture];
	st->next_capture ^= 1;
	if (sentinel) {
		size_t n = buf->size / 4;
		for (size_t i = 0; i < n; i++) {
			buf->data[i] = SENTINEL;
		}
	}
	st->frame_buffer = buf;
	st->frame_finished = st->frame_failed = false;
	st->n_damage = 0;
	st->damage_overflow = false;
	st->frame = ext_image_copy_capture_session_v1_create_frame(st->session);
	ext_image_copy_capture_frame_v1_add_listener(st->frame, &frame_listener, st);
	ext_image_copy_capture_frame_v1_attach_buffer(st->frame, buf->wl_buffer);
	if (!buf->used || buf->missed_all) {
		ext_image_copy_capture_frame_v1_damage_buffer(st->frame, 0, 0, buf->width,
			buf->height);
	} else {
		for (int i = 0; i < buf->n_missed; i++) {
			const struct rect *r = &buf->missed[i];
			ext_image_copy_capture_frame_v1_damage_buffer(st->frame, r->x, r->y,
				r->width, r->height);
		}
	}
	buf->used = true;
	buf->missed_all = false;
	buf->n_missed = 0;
	ext_image_copy_capture_frame_v1_capture(st->frame);
	wl_display_flush(st->display);
}

/* Handles a finished frame: true when it is ready, false after a change of
 * constraints (the caller captures again). */
static bool finish_capture(struct state *st) {
	ext_image_copy_capture_frame_v1_destroy(st->frame);
	st->frame = NULL;
	if (st->frame_failed) {
		if (st->stopped || st->frame_reason !=
				EXT_IMAGE_COPY_CAPTURE_FRAME_V1_FAILURE_REASON_BUFFER_CONSTRAINTS) {
			fprintf(stderr, "ph-bench-capture: capture failed reason=%u\n",
				st->frame_reason);
			exit(1);
		}
		roundtrip(st);
		return false;
	}
	/* The other buffer missed what this frame changed. */
	for (int i = 0; i < 2; i++) {
		struct buffer *other = &st->capture_buffers[i];
		if (other == st->frame_buffer || !other->used) {
			continue;
		}
		if (st->damage_overflow || other->n_missed + st->n_damage > MAX_RECTS) {
			other->missed_all = true;
			continue;
		}
		memcpy(&other->missed[other->n_missed], st->damage,
			(size_t)st->n_damage * sizeof(struct rect));
		other->n_missed += st->n_damage;
	}
	return true;
}

static uint32_t captured_pixel(const struct state *st, int x, int y) {
	const struct buffer *buf = st->frame_buffer;
	return buf->data[(size_t)y * (buf->stride / 4) + x] & 0xffffff;
}

static long count_written(const struct state *st) {
	const struct buffer *buf = st->frame_buffer;
	size_t n = buf->size / 4;
	long written = 0;
	for (size_t i = 0; i < n; i++) {
		written += buf->data[i] != SENTINEL;
	}
	return written;
}

/* Opaque, distinct for every step below 2^24 and never the background. */
static uint32_t colour_for(uint32_t step) {
	uint32_t c = ((step + 1) * 0x9e3779u ^ 0x5a5a5au) & 0xffffff;
	return c == BACKGROUND ? c ^ 1 : c;
}

struct step_result {
	double latency;
	int captures;
	double damage_area;
	int damage_rects;
	long written; /* words, sentinel mode */
	long written_max;
};

/* Commits a colour and captures until the rectangle's centre shows it. */
static void step(struct state *st, uint32_t colour, bool sentinel, struct step_result *res) {
	double committed = commit_change(st, colour);
	double deadline = now_ms() + PROGRESS_TIMEOUT_MS;
	*res = (struct step_result){0};
	int width, height;
	surface_size(st, &width, &height);
	struct rect r = change_rect(st, width, height);
	for (;;) {
		st->damage_area = 0;
		st->damage_rects = 0;
		start_capture(st, sentinel);
		wait_for(st, &st->frame_finished, deadline, "the change to be captured");
		if (!finish_capture(st)) {
			continue;
		}
		res->captures++;
		res->damage_area += st->damage_area;
		res->damage_rects += st->damage_rects;
		if (sentinel) {
			long w = count_written(st);
			res->written += w;
			res->written_max = w > res->written_max ? w : res->written_max;
		}
		if (captured_pixel(st, r.x + r.width / 2, r.y + r.height / 2) == colour) {
			res->latency = st->ready_time - committed;
			return;
		}
	}
}

static int compare_double(const void *a, const void *b) {
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double percentile(double *values, int n, double p) {
	if (n == 0) {
		return NAN;
	}
	qsort(values, n, sizeof(double), compare_double);
	int rank = (int)ceil(p / 100.0 * n);
	return values[(rank < 1 ? 1 : rank > n ? n : rank) - 1];
}

static void run_damage(struct state *st, double seconds, int warmup, int sentinel_frames,
		pid_t cpu_pid) {
	uint32_t k = 1;
	struct step_result res;
	for (int i = 0; i < warmup; i++) {
		step(st, colour_for(k++), false, &res);
	}
	size_t cap = 4096, n = 0;
	double *latencies = malloc(cap * sizeof(double));
	if (latencies == NULL) {
		fail("out of memory");
	}
	long captures = 0, rects = 0;
	double area = 0;
	struct cpu_sample c0 = cpu_sample(cpu_pid);
	double start = now_ms(), end = start + seconds * 1000;
	while (now_ms() < end) {
		step(st, colour_for(k++), false, &res);
		if (n == cap) {
			cap *= 2;
			latencies = realloc(latencies, cap * sizeof(double));
			if (latencies == NULL) {
				fail("out of memory");
			}
		}
		latencies[n++] = res.latency;
		captures += res.captures;
		area += res.damage_area;
		rects += res.damage_rects;
	}
	double elapsed = now_ms() - start;
	struct cpu_sample c1 = cpu_sample(cpu_pid);

	long written = 0, written_max = 0, sentinel_captures = 0;
	for (int i = 0; i < sentinel_frames; i++) {
		step(st, colour_for(k++), true, &res);
		written += res.written;
		written_max = res.written_max > written_max ? res.written_max : written_max;
		sentinel_captures += res.captures;
	}

	int width, height;
	surface_size(st, &width, &height);
	struct rect r = change_rect(st, width, height);
	double steps = (double)n;
	printf("damage size=%ux%u rect=%dx%d steps=%zu seconds=%.2f steps_per_s=%.2f "
		"p50_ms=%.3f p90_ms=%.3f captures_per_step=%.2f "
		"announced_bytes_per_frame=%.0f announced_rects_per_frame=%.2f "
		"cpu_ms_per_step=%.4f cpu_sched_ms_per_step=%.4f client_cpu_ms_per_step=%.4f "
		"sentinel_frames=%ld written_bytes_per_frame=%.0f written_bytes_max=%ld "
		"rect_bytes=%d\n",
		st->cap_width, st->cap_height, r.width, r.height, n, elapsed / 1000,
		steps * 1000 / elapsed, percentile(latencies, (int)n, 50),
		percentile(latencies, (int)n, 90), captures / steps,
		area * 4 / (double)captures, (double)rects / (double)captures,
		(c1.ticks_ms - c0.ticks_ms) / steps, (c1.sched_ms - c0.sched_ms) / steps,
		(c1.self_ms - c0.self_ms) / steps,
		sentinel_captures, sentinel_captures ? written * 4.0 / (double)sentinel_captures : NAN,
		written_max * 4, r.width * r.height * 4);
	free(latencies);
}

static void run_static(struct state *st, int rounds, double idle_ms, pid_t cpu_pid) {
	double *wakes = calloc((size_t)rounds, sizeof(double));
	if (wakes == NULL) {
		fail("out of memory");
	}
	int width, height;
	surface_size(st, &width, &height);
	struct rect r = change_rect(st, width, height);
	/* Headless outputs of wlroots report refresh 0 and tick at 60 Hz. */
	double frame_ms = st->refresh_mhz <= 0 ? 1000.0 / 60 : 1e6 / st->refresh_mhz;
	int early = 0, showed = 0;
	double wake_damage = 0, idle_cpu = 0, idle_time = 0;
	uint32_t k = 1000;
	for (int i = 0; i < rounds; i++) {
		st->damage_area = 0;
		st->damage_rects = 0;
		start_capture(st, false);
		struct cpu_sample c0 = cpu_sample(cpu_pid);
		/* Spread the changes over the output's frame cycle, so that the
		 * wake latencies sample every phase of a refresh timer. */
		double t0 = now_ms(), deadline = t0 + idle_ms + frame_ms * i / rounds;
		while (!st->frame_finished && now_ms() < deadline) {
			dispatch_once(st, deadline);
		}
		struct cpu_sample c1 = cpu_sample(cpu_pid);
		idle_cpu += c1.sched_ms - c0.sched_ms;
		idle_time += now_ms() - t0;
		bool was_early = st->frame_finished;
		if (was_early) {
			/* Completed with nothing changed: the target is missed. */
			early++;
			finish_capture(st);
			st->damage_area = 0;
			st->damage_rects = 0;
			start_capture(st, false);
		}
		uint32_t colour = colour_for(k++);
		double committed = commit_change(st, colour);
		double wait_deadline = now_ms() + PROGRESS_TIMEOUT_MS;
		wait_for(st, &st->frame_finished, wait_deadline, "the change to be captured");
		bool ok = finish_capture(st);
		wakes[i] = st->ready_time - committed;
		wake_damage += st->damage_area * 4;
		if (verbose) {
			fprintf(stderr, "round %d idle_ms=%.1f early=%d wake_ms=%.3f damage_bytes=%.0f\n",
				i, idle_ms + frame_ms * i / rounds, was_early, wakes[i], st->damage_area * 4);
		}
		if (ok && captured_pixel(st, r.x + r.width / 2, r.y + r.height / 2) == colour) {
			showed++;
		} else {
			/* Resynchronise: the next round starts from the change shown. */
			struct step_result res;
			step(st, colour_for(k++), false, &res);
		}
	}
	/* The first round is reported apart: it is the first time a capture
	 * waits on this output, and a compositor may pay a one-off cost there. */
	double max = 0, later_max = 0, first = wakes[0];
	for (int i = 0; i < rounds; i++) {
		max = wakes[i] > max ? wakes[i] : max;
		later_max = i > 0 && wakes[i] > later_max ? wakes[i] : later_max;
	}
	printf("static size=%ux%u rounds=%d idle_ms=%.0f early=%d showed_change=%d "
		"wake_p50_ms=%.3f wake_max_ms=%.3f wake_first_ms=%.3f wake_max_later_ms=%.3f "
		"frame_ms=%.3f refresh_mhz=%d wake_damage_bytes=%.0f idle_cpu_ms_per_s=%.3f\n",
		st->cap_width, st->cap_height, rounds, idle_ms, early, showed,
		percentile(wakes, rounds, 50), max, first, rounds > 1 ? later_max : NAN, frame_ms,
		st->refresh_mhz, wake_damage / rounds,
		idle_time > 0 ? idle_cpu * 1000 / idle_time : NAN);
	free(wakes);
}

/* memcpy floor */

static uint32_t *frame_alloc(size_t bytes, bool shared) {
	if (!shared) {
		uint32_t *p = aligned_alloc(64, bytes);
		if (p == NULL) {
			fail("out of memory");
		}
		return p;
	}
	int fd = memfd_create("ph-bench-floor", MFD_CLOEXEC);
	if (fd < 0 || ftruncate(fd, (off_t)bytes) < 0) {
		fail("cannot allocate a memfd");
	}
	void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (p == MAP_FAILED) {
		fail("mmap failed");
	}
	return p;
}

static void frame_free(uint32_t *p, size_t bytes, bool shared) {
	if (shared) {
		munmap(p, bytes);
	} else {
		free(p);
	}
}

/* Medians of a memcpy and of a pixman SRC composite of one frame. */
static void time_copies(int width, int height, int reps_arg, bool shared, int *reps_out,
		double *memcpy_ms, double *composite_ms) {
	size_t bytes = (size_t)width * height * 4;
	uint32_t *src = frame_alloc(bytes, shared), *dst = frame_alloc(bytes, shared);
	memset(src, 0x37, bytes);
	memset(dst, 0, bytes);
	double t = now_ms();
	memcpy(dst, src, bytes);
	double one = now_ms() - t;
	/* Enough repetitions for a stable median, about 0.15 s per measurement. */
	int reps = reps_arg > 0 ? reps_arg : (int)fmin(200, fmax(15, 150 / fmax(one, 0.01)));
	double *times = calloc((size_t)reps, sizeof(double));
	double *comp = calloc((size_t)reps, sizeof(double));
	if (times == NULL || comp == NULL) {
		fail("out of memory");
	}
	for (int i = 0; i < reps; i++) {
		src[i] = (uint32_t)i; /* a different frame each time */
		t = now_ms();
		memcpy(dst, src, bytes);
		__asm__ volatile("" : : "r"(dst) : "memory");
		times[i] = now_ms() - t;
	}
	pixman_image_t *s = pixman_image_create_bits_no_clear(PIXMAN_x8r8g8b8, width, height,
		src, width * 4);
	pixman_image_t *d = pixman_image_create_bits_no_clear(PIXMAN_x8r8g8b8, width, height,
		dst, width * 4);
	for (int i = 0; i < reps; i++) {
		src[i] = (uint32_t)i;
		t = now_ms();
		pixman_image_composite32(PIXMAN_OP_SRC, s, NULL, d, 0, 0, 0, 0, 0, 0, width, height);
		__asm__ volatile("" : : "r"(dst) : "memory");
		comp[i] = now_ms() - t;
	}
	pixman_image_unref(s);
	pixman_image_unref(d);
	*reps_out = reps;
	*memcpy_ms = percentile(times, reps, 50);
	*composite_ms = percentile(comp, reps, 50);
	free(times);
	free(comp);
	frame_free(src, bytes, shared);
	frame_free(dst, bytes, shared);
}

static void run_memcpy(const char *sizes, int reps_arg) {
	char *list = strdup(sizes);
	if (list == NULL) {
		fail("out of memory");
	}
	for (char *tok = strtok(list, ","); tok != NULL; tok = strtok(NULL, ",")) {
		int width, height;
		if (sscanf(tok, "%dx%d", &width, &height) != 2 || width <= 0 || height <= 0 ||
				width > 16384 || height > 16384) {
			fprintf(stderr, "ph-bench-capture: bad size %s\n", tok);
			exit(2);
		}
		size_t bytes = (size_t)width * height * 4;
		int reps, shm_reps;
		double mp50, cp50, shm_mp50, shm_cp50;
		time_copies(width, height, reps_arg, false, &reps, &mp50, &cp50);
		/* The same between memfd mappings, the kind of memory wl_shm
		 * buffers and wlroots' shm swapchain live in (no huge pages). */
		time_copies(width, height, reps_arg, true, &shm_reps, &shm_mp50, &shm_cp50);
		printf("memcpy size=%dx%d bytes=%zu reps=%d memcpy_p50_ms=%.3f memcpy_gbps=%.2f "
			"composite_p50_ms=%.3f floor_ms=%.3f memcpy_shm_p50_ms=%.3f "
			"composite_shm_p50_ms=%.3f floor_shm_ms=%.3f\n",
			width, height, bytes, reps, mp50, bytes / (mp50 * 1e6), cp50, mp50 + cp50,
			shm_mp50, shm_cp50, shm_mp50 + shm_cp50);
		fflush(stdout);
	}
	free(list);
}

/* Setup */

static void setup_globals(struct state *st) {
	st->display = wl_display_connect(NULL);
	if (st->display == NULL) {
		fail("cannot connect to the Wayland display");
	}
	st->registry = wl_display_get_registry(st->display);
	wl_registry_add_listener(st->registry, &registry_listener, st);
	roundtrip(st);
	roundtrip(st); /* output mode and scale */
	if (st->compositor == NULL || st->shm == NULL || st->wm_base == NULL ||
			st->output == NULL || st->copy_manager == NULL || st->output_sources == NULL) {
		fail("missing wl_compositor v4, wl_shm, xdg_wm_base, wl_output or "
			"ext-image-copy-capture-v1 with output sources");
	}
}

/* Maps the fullscreen window and waits until a capture shows it. */
static void setup_window(struct state *st) {
	st->surface = wl_compositor_create_surface(st->compositor);
	st->xdg_surface = xdg_wm_base_get_xdg_surface(st->wm_base, st->surface);
	xdg_surface_add_listener(st->xdg_surface, &xdg_surface_listener, st);
	st->xdg_toplevel = xdg_surface_get_toplevel(st->xdg_surface);
	xdg_toplevel_add_listener(st->xdg_toplevel, &toplevel_listener, st);
	xdg_toplevel_set_title(st->xdg_toplevel, "ph-bench-capture");
	xdg_toplevel_set_app_id(st->xdg_toplevel, "ph-bench-capture");
	xdg_toplevel_set_fullscreen(st->xdg_toplevel, st->output);
	wl_surface_commit(st->surface);
	wait_for(st, &st->configured, now_ms() + PROGRESS_TIMEOUT_MS, "configure");

	st->source = ext_output_image_capture_source_manager_v1_create_source(
		st->output_sources, st->output);
	st->session = ext_image_copy_capture_manager_v1_create_session(st->copy_manager,
		st->source, 0);
	ext_image_copy_capture_session_v1_add_listener(st->session, &session_listener, st);
	double deadline = now_ms() + PROGRESS_TIMEOUT_MS;
	while (st->constraints_serial == 0) {
		if (st->stopped) {
			fail("capture session stopped");
		}
		if (!dispatch_once(st, deadline) && now_ms() >= deadline) {
			fail("timeout waiting for capture constraints");
		}
	}
	struct step_result res;
	step(st, colour_for(0), false, &res);
	/* Both capture buffers filled once, so later frames are steady state. */
	step(st, colour_for(1 << 20), false, &res);
}

static void cleanup(struct state *st) {
	if (st->frame != NULL) {
		ext_image_copy_capture_frame_v1_destroy(st->frame);
	}
	for (int i = 0; i < 2; i++) {
		buffer_finish(&st->capture_buffers[i]);
	}
	for (int i = 0; i < MAX_SURFACE_BUFFERS; i++) {
		buffer_finish(&st->surface_buffers[i]);
	}
	ext_image_copy_capture_session_v1_destroy(st->session);
	ext_image_capture_source_v1_destroy(st->source);
	xdg_toplevel_destroy(st->xdg_toplevel);
	xdg_surface_destroy(st->xdg_surface);
	wl_surface_destroy(st->surface);
	ext_output_image_capture_source_manager_v1_destroy(st->output_sources);
	ext_image_copy_capture_manager_v1_destroy(st->copy_manager);
	wl_output_destroy(st->output);
	xdg_wm_base_destroy(st->wm_base);
	wl_shm_destroy(st->shm);
	wl_compositor_destroy(st->compositor);
	wl_registry_destroy(st->registry);
	wl_display_disconnect(st->display);
}

static double parse_number(const char *arg, double min, double max) {
	char *end;
	errno = 0;
	double value = strtod(arg, &end);
	if (errno != 0 || end == arg || *end != '\0' || !(value >= min && value <= max)) {
		fprintf(stderr, "ph-bench-capture: invalid number: %s\n", arg);
		exit(2);
	}
	return value;
}

static void usage(void) {
	fprintf(stderr,
		"usage: ph-bench-capture --memcpy WxH[,WxH...] [--reps N]\n"
		"       ph-bench-capture --damage SECONDS [--warmup K] [--sentinel-frames M]\n"
		"                        [--rect X,Y,W,H] [--cpu-pid PID]\n"
		"       ph-bench-capture --static ROUNDS [--idle-ms MS] [--rect X,Y,W,H]\n"
		"                        [--cpu-pid PID]\n");
	exit(2);
}

int main(int argc, char *argv[]) {
	static const struct option long_opts[] = {
		{"memcpy", required_argument, NULL, 'm'},
		{"reps", required_argument, NULL, 'r'},
		{"damage", required_argument, NULL, 'd'},
		{"warmup", required_argument, NULL, 'w'},
		{"sentinel-frames", required_argument, NULL, 'S'},
		{"rect", required_argument, NULL, 'R'},
		{"cpu-pid", required_argument, NULL, 'p'},
		{"static", required_argument, NULL, 's'},
		{"idle-ms", required_argument, NULL, 'i'},
		{0},
	};
	const char *memcpy_sizes = NULL;
	int reps = 0, warmup = 20, sentinel_frames = 30, rounds = 0;
	double damage_seconds = 0, idle_ms = 500;
	pid_t cpu_pid = 0;
	struct rect change = {0, 0, -1, -1};
	int c;
	while ((c = getopt_long(argc, argv, "", long_opts, NULL)) != -1) {
		switch (c) {
		case 'm': memcpy_sizes = optarg; break;
		case 'r': reps = (int)parse_number(optarg, 1, 100000); break;
		case 'd': damage_seconds = parse_number(optarg, 0.01, 3600); break;
		case 'w': warmup = (int)parse_number(optarg, 0, 1000000); break;
		case 'S': sentinel_frames = (int)parse_number(optarg, 0, 1000000); break;
		case 'p': cpu_pid = (pid_t)parse_number(optarg, 1, 1 << 30); break;
		case 's': rounds = (int)parse_number(optarg, 1, 100000); break;
		case 'i': idle_ms = parse_number(optarg, 1, 600000); break;
		case 'R':
			if (sscanf(optarg, "%d,%d,%d,%d", &change.x, &change.y, &change.width,
					&change.height) != 4 || change.width <= 0 || change.height <= 0) {
				usage();
			}
			break;
		default: usage();
		}
	}
	if (optind != argc || (memcpy_sizes != NULL) + (damage_seconds > 0) + (rounds > 0) != 1) {
		usage();
	}
	verbose = getenv("PH_BENCH_VERBOSE") != NULL;
	if (memcpy_sizes != NULL) {
		run_memcpy(memcpy_sizes, reps);
		return 0;
	}

	struct state st = {.change = change};
	setup_globals(&st);
	setup_window(&st);
	if (damage_seconds > 0) {
		run_damage(&st, damage_seconds, warmup, sentinel_frames, cpu_pid);
	} else {
		run_static(&st, rounds, idle_ms, cpu_pid);
	}
	cleanup(&st);
	return 0;
}
