/*
 * ph-capture-probe: an ext-image-copy-capture client driven line by line on
 * stdin, so tests can script exact request sequences and inspect the bytes
 * the compositor wrote. Every reply is one line on stdout.
 *
 *   output N [cursors]         session on the N-th wl_output (0-based)
 *   toplevel APP_ID [cursors]  session on the first toplevel with this app_id
 *   buffer NAME FORMAT [STRIDE]  new wl_shm buffer sized by the constraints
 *                              (FORMAT: wl_shm enum number, e.g. 1 = XRGB8888)
 *   fill NAME 0xWORD           write a 32-bit word into every pixel
 *   capture NAME [X,Y,W,H ...] frame with this buffer and damage; replies
 *                              "ready damage=X,Y,W,H;..." or "failed REASON"
 *   word NAME X Y              "word 0xWORD" at that pixel
 *   count NAME X Y W H 0xWORD  "count N" pixels of the rectangle equal to WORD
 *   dump NAME PATH             the buffer's rows, tight, to PATH ("dumped WxH")
 *   fill-all NAME 0xWORD       the word into every 32-bit word of the buffer,
 *                              row padding included ("filled")
 *   dump-all NAME PATH         the whole buffer, padding included, to PATH
 *                              ("dumped WxH stride=S")
 *   truncate NAME              shrink the file of the buffer's pool to 0 bytes
 *                              under the compositor ("truncated"); the probe's
 *                              own view of the buffer reads zeros from then on
 *   cursor-session N           pointer cursor session on output N; its image
 *                              capture session becomes the session above
 *   pointer X Y W H            move the pointer (virtual pointer) to X,Y of a
 *                              W x H layout ("moved")
 *   click X Y W H              the same, then a left click there ("clicked")
 *   press | release            the left button of that pointer, where it is
 *                              ("pressed", "released"): drags are pointer,
 *                              press, pointer, release
 *   keyboard                   a virtual keyboard with the default XKB keymap
 *                              that stays until quit ("keyboard"), so that
 *                              clients have a wl_keyboard and see focus change
 *   key CODE                   press and release evdev key CODE on it ("key")
 *   roundtrips N               N wl_display roundtrips one after the other:
 *                              "roundtrips N p50_ms=.. max_ms=.." (how long
 *                              the compositor kept a client waiting)
 *   destroy-session | destroy-cursor-session | destroy-buffer NAME | quit
 * Events print as they come: "constraints WxH formats=F,F,..", "stopped",
 * "cursor enter", "cursor leave", "cursor position X Y", "cursor hotspot X Y".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <wayland-client.h>
#include <xkbcommon/xkbcommon.h>
#include "client-common.h"
#include "virtual-keyboard-client.h"
#include "ext-foreign-toplevel-list-v1-client-protocol.h"
#include "ext-image-capture-source-v1-client-protocol.h"
#include "ext-image-copy-capture-v1-client-protocol.h"
#include "wlr-virtual-pointer-client.h"

#define MAX_OUTPUTS 8
#define MAX_TOPLEVELS 16
#define MAX_BUFFERS 8

struct buffer {
	char name[32];
	struct wl_buffer *wl_buffer;
	uint8_t *data;
	size_t size;
	int width, height, stride;
	int fd; /* the pool's file */
};

struct toplevel {
	struct ext_foreign_toplevel_handle_v1 *handle;
	char app_id[128];
};

static struct {
	struct wl_display *display;
	struct wl_shm *shm;
	struct wl_output *outputs[MAX_OUTPUTS];
	int output_count;
	struct toplevel toplevels[MAX_TOPLEVELS];
	int toplevel_count;
	struct ext_foreign_toplevel_list_v1 *toplevel_list;
	struct ext_image_copy_capture_manager_v1 *copy_manager;
	struct ext_output_image_capture_source_manager_v1 *output_sources;
	struct ext_foreign_toplevel_image_capture_source_manager_v1 *toplevel_sources;

	struct ext_image_copy_capture_session_v1 *session;
	int width, height;
	char formats[128];
	struct buffer buffers[MAX_BUFFERS];

	struct ext_image_copy_capture_frame_v1 *frame;
	char damage[4096];
	bool running;

	struct wl_seat *seat;
	struct wl_pointer *pointer;
	struct wl_proxy *virtual_pointer_manager;
	struct wl_proxy *virtual_keyboard_manager, *virtual_keyboard;
	struct wl_proxy *virtual_pointer;
	struct ext_image_copy_capture_cursor_session_v1 *cursor_session;
} probe = {.running = true};

/* Globals */

static void toplevel_handle_app_id(void *data, struct ext_foreign_toplevel_handle_v1 *handle,
		const char *app_id) {
	struct toplevel *toplevel = data;
	snprintf(toplevel->app_id, sizeof(toplevel->app_id), "%s", app_id);
}

static void toplevel_handle_closed(void *data, struct ext_foreign_toplevel_handle_v1 *handle) {
	struct toplevel *toplevel = data;
	toplevel->app_id[0] = '\0';
}

static void toplevel_handle_ignore(void *data, struct ext_foreign_toplevel_handle_v1 *handle) {
}

static void toplevel_handle_string(void *data, struct ext_foreign_toplevel_handle_v1 *handle,
		const char *value) {
}

static const struct ext_foreign_toplevel_handle_v1_listener toplevel_listener = {
	.closed = toplevel_handle_closed,
	.done = toplevel_handle_ignore,
	.title = toplevel_handle_string,
	.app_id = toplevel_handle_app_id,
	.identifier = toplevel_handle_string,
};

static void list_handle_toplevel(void *data, struct ext_foreign_toplevel_list_v1 *list,
		struct ext_foreign_toplevel_handle_v1 *handle) {
	if (probe.toplevel_count == MAX_TOPLEVELS) {
		return;
	}
	struct toplevel *toplevel = &probe.toplevels[probe.toplevel_count++];
	toplevel->handle = handle;
	ext_foreign_toplevel_handle_v1_add_listener(handle, &toplevel_listener, toplevel);
}

static void list_handle_finished(void *data, struct ext_foreign_toplevel_list_v1 *list) {
}

static const struct ext_foreign_toplevel_list_v1_listener list_listener = {
	.toplevel = list_handle_toplevel,
	.finished = list_handle_finished,
};

static void registry_handle_global(void *data, struct wl_registry *registry, uint32_t name,
		const char *interface, uint32_t version) {
	if (strcmp(interface, wl_shm_interface.name) == 0) {
		probe.shm = wl_registry_bind(registry, name, &wl_shm_interface, 1);
	} else if (strcmp(interface, wl_output_interface.name) == 0 &&
			probe.output_count < MAX_OUTPUTS) {
		probe.outputs[probe.output_count++] = wl_registry_bind(registry, name,
			&wl_output_interface, 1);
	} else if (strcmp(interface, ext_image_copy_capture_manager_v1_interface.name) == 0) {
		probe.copy_manager = wl_registry_bind(registry, name,
			&ext_image_copy_capture_manager_v1_interface, 1);
	} else if (strcmp(interface, ext_output_image_capture_source_manager_v1_interface.name) == 0) {
		probe.output_sources = wl_registry_bind(registry, name,
			&ext_output_image_capture_source_manager_v1_interface, 1);
	} else if (strcmp(interface,
			ext_foreign_toplevel_image_capture_source_manager_v1_interface.name) == 0) {
		probe.toplevel_sources = wl_registry_bind(registry, name,
			&ext_foreign_toplevel_image_capture_source_manager_v1_interface, 1);
	} else if (strcmp(interface, zwp_virtual_keyboard_manager_v1_interface.name) == 0) {
		probe.virtual_keyboard_manager = wl_registry_bind(registry, name,
			&zwp_virtual_keyboard_manager_v1_interface, 1);
	} else if (strcmp(interface, wl_seat_interface.name) == 0 && probe.seat == NULL) {
		probe.seat = wl_registry_bind(registry, name, &wl_seat_interface, 1);
	} else if (strcmp(interface, zwlr_virtual_pointer_manager_v1_interface.name) == 0) {
		probe.virtual_pointer_manager = wl_registry_bind(registry, name,
			&zwlr_virtual_pointer_manager_v1_interface, 1);
	} else if (strcmp(interface, ext_foreign_toplevel_list_v1_interface.name) == 0) {
		probe.toplevel_list = wl_registry_bind(registry, name,
			&ext_foreign_toplevel_list_v1_interface, 1);
		ext_foreign_toplevel_list_v1_add_listener(probe.toplevel_list, &list_listener, NULL);
	}
}

static const struct wl_registry_listener registry_listener = {
	.global = registry_handle_global,
	.global_remove = client_noop_global_remove,
};

/* Session */

static void session_handle_buffer_size(void *data,
		struct ext_image_copy_capture_session_v1 *session, uint32_t width, uint32_t height) {
	probe.width = (int)width;
	probe.height = (int)height;
	probe.formats[0] = '\0';
}

static void session_handle_shm_format(void *data,
		struct ext_image_copy_capture_session_v1 *session, uint32_t format) {
	size_t len = strlen(probe.formats);
	snprintf(probe.formats + len, sizeof(probe.formats) - len, "%s%u", len ? "," : "", format);
}

static void session_handle_dmabuf_device(void *data,
		struct ext_image_copy_capture_session_v1 *session, struct wl_array *device) {
	reply("dmabuf-device %zu", device->size);
}

static void session_handle_dmabuf_format(void *data,
		struct ext_image_copy_capture_session_v1 *session, uint32_t format,
		struct wl_array *modifiers) {
	reply("dmabuf-format 0x%08x modifiers=%zu", format, modifiers->size / 8);
}

static void session_handle_done(void *data, struct ext_image_copy_capture_session_v1 *session) {
	reply("constraints %dx%d formats=%s", probe.width, probe.height, probe.formats);
}

static void session_handle_stopped(void *data, struct ext_image_copy_capture_session_v1 *session) {
	reply("stopped");
}

static const struct ext_image_copy_capture_session_v1_listener session_listener = {
	.buffer_size = session_handle_buffer_size,
	.shm_format = session_handle_shm_format,
	.dmabuf_device = session_handle_dmabuf_device,
	.dmabuf_format = session_handle_dmabuf_format,
	.done = session_handle_done,
	.stopped = session_handle_stopped,
};

/* Frames */

static void frame_handle_transform(void *data, struct ext_image_copy_capture_frame_v1 *frame,
		uint32_t transform) {
}

static void frame_handle_damage(void *data, struct ext_image_copy_capture_frame_v1 *frame,
		int32_t x, int32_t y, int32_t width, int32_t height) {
	size_t len = strlen(probe.damage);
	snprintf(probe.damage + len, sizeof(probe.damage) - len, "%s%d,%d,%d,%d", len ? ";" : "",
		x, y, width, height);
}

static void frame_handle_presentation_time(void *data,
		struct ext_image_copy_capture_frame_v1 *frame, uint32_t sec_hi, uint32_t sec_lo,
		uint32_t nsec) {
}

static void frame_done(void) {
	ext_image_copy_capture_frame_v1_destroy(probe.frame);
	probe.frame = NULL;
}

static void frame_handle_ready(void *data, struct ext_image_copy_capture_frame_v1 *frame) {
	reply("ready damage=%s", probe.damage);
	frame_done();
}

static void frame_handle_failed(void *data, struct ext_image_copy_capture_frame_v1 *frame,
		uint32_t reason) {
	reply("failed %u", reason);
	frame_done();
}

static const struct ext_image_copy_capture_frame_v1_listener frame_listener = {
	.transform = frame_handle_transform,
	.damage = frame_handle_damage,
	.presentation_time = frame_handle_presentation_time,
	.ready = frame_handle_ready,
	.failed = frame_handle_failed,
};

static struct buffer *find_buffer(const char *name);

/* Cursor sessions */

static void cursor_handle_enter(void *data,
		struct ext_image_copy_capture_cursor_session_v1 *cursor_session) {
	reply("cursor enter");
}

static void cursor_handle_leave(void *data,
		struct ext_image_copy_capture_cursor_session_v1 *cursor_session) {
	reply("cursor leave");
}

static void cursor_handle_position(void *data,
		struct ext_image_copy_capture_cursor_session_v1 *cursor_session, int32_t x, int32_t y) {
	reply("cursor position %d %d", x, y);
}

static void cursor_handle_hotspot(void *data,
		struct ext_image_copy_capture_cursor_session_v1 *cursor_session, int32_t x, int32_t y) {
	reply("cursor hotspot %d %d", x, y);
}

static const struct ext_image_copy_capture_cursor_session_v1_listener cursor_listener = {
	.enter = cursor_handle_enter,
	.leave = cursor_handle_leave,
	.position = cursor_handle_position,
	.hotspot = cursor_handle_hotspot,
};

static void cmd_cursor_session(int index) {
	if (index < 0 || index >= probe.output_count || probe.seat == NULL ||
			probe.session != NULL) {
		reply("error no output %d, no seat or a session already", index);
		return;
	}
	if (probe.pointer == NULL) {
		probe.pointer = wl_seat_get_pointer(probe.seat);
	}
	struct ext_image_capture_source_v1 *source =
		ext_output_image_capture_source_manager_v1_create_source(probe.output_sources,
			probe.outputs[index]);
	probe.cursor_session = ext_image_copy_capture_manager_v1_create_pointer_cursor_session(
		probe.copy_manager, source, probe.pointer);
	ext_image_copy_capture_cursor_session_v1_add_listener(probe.cursor_session,
		&cursor_listener, NULL);
	ext_image_capture_source_v1_destroy(source);
	probe.session = ext_image_copy_capture_cursor_session_v1_get_capture_session(
		probe.cursor_session);
	ext_image_copy_capture_session_v1_add_listener(probe.session, &session_listener, NULL);
}

static void cmd_pointer(int x, int y, int width, int height) {
	if (probe.virtual_pointer_manager == NULL || x < 0 || y < 0 || width <= 0 ||
			height <= 0) {
		reply("error no virtual pointer manager or bad position");
		return;
	}
	if (probe.virtual_pointer == NULL) {
		probe.virtual_pointer = zwlr_virtual_pointer_create(probe.virtual_pointer_manager,
			probe.seat);
	}
	zwlr_virtual_pointer_move_to(probe.virtual_pointer, 0, (uint32_t)x, (uint32_t)y,
		(uint32_t)width, (uint32_t)height);
	wl_display_roundtrip(probe.display);
	reply("moved");
}

static void cmd_click(int x, int y, int width, int height) {
	cmd_pointer(x, y, width, height);
	if (probe.virtual_pointer == NULL) {
		return;
	}
	/* BTN_LEFT from linux/input-event-codes.h, pressed then released. */
	zwlr_virtual_pointer_press(probe.virtual_pointer, 0, 0x110u, true);
	zwlr_virtual_pointer_press(probe.virtual_pointer, 0, 0x110u, false);
	wl_display_roundtrip(probe.display);
	reply("clicked");
}

static void cmd_button(bool pressed) {
	if (probe.virtual_pointer == NULL) {
		reply("error no virtual pointer yet: move it first");
		return;
	}
	zwlr_virtual_pointer_press(probe.virtual_pointer, 0, 0x110u, pressed);
	wl_display_roundtrip(probe.display);
	reply(pressed ? "pressed" : "released");
}

static void cmd_keyboard(void) {
	if (probe.virtual_keyboard_manager == NULL || probe.seat == NULL ||
			probe.virtual_keyboard != NULL) {
		reply("error no virtual keyboard manager, or a keyboard already");
		return;
	}
	/* The keymap pinhole itself would use (XKB_DEFAULT_* from the environment). */
	struct xkb_context *context = xkb_context_new(XKB_CONTEXT_NO_FLAGS);
	struct xkb_keymap *keymap = context != NULL ?
		xkb_keymap_new_from_names(context, NULL, XKB_KEYMAP_COMPILE_NO_FLAGS) : NULL;
	char *text = keymap != NULL ? xkb_keymap_get_as_string(keymap, XKB_KEYMAP_FORMAT_TEXT_V1) :
		NULL;
	xkb_keymap_unref(keymap);
	xkb_context_unref(context);
	if (text == NULL) {
		reply("error no keymap");
		return;
	}
	size_t size = strlen(text) + 1;
	int fd = memfd_create("ph-capture-probe-keymap", MFD_CLOEXEC);
	if (fd < 0 || write(fd, text, size) != (ssize_t)size) {
		free(text);
		reply("error keymap memfd: %s", strerror(errno));
		exit(1);
	}
	free(text);
	probe.virtual_keyboard = zwp_virtual_keyboard_create(probe.virtual_keyboard_manager,
		probe.seat, fd, (uint32_t)size);
	close(fd);
	wl_display_roundtrip(probe.display);
	reply("keyboard");
}

static void cmd_key(int code) {
	if (probe.virtual_keyboard == NULL || code <= 0) {
		reply("error no virtual keyboard yet, or a bad key code");
		return;
	}
	zwp_virtual_keyboard_key(probe.virtual_keyboard, 0, (uint32_t)code, true);
	zwp_virtual_keyboard_key(probe.virtual_keyboard, 0, (uint32_t)code, false);
	wl_display_roundtrip(probe.display);
	reply("key");
}

static int compare_doubles(const void *a, const void *b) {
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static void cmd_roundtrips(int count) {
	if (count <= 0 || count > 100000) {
		reply("error bad count");
		return;
	}
	double *ms = calloc((size_t)count, sizeof(*ms));
	if (ms == NULL) {
		reply("error out of memory");
		return;
	}
	for (int i = 0; i < count; i++) {
		struct timespec a, b;
		clock_gettime(CLOCK_MONOTONIC, &a);
		wl_display_roundtrip(probe.display);
		clock_gettime(CLOCK_MONOTONIC, &b);
		ms[i] = (double)(b.tv_sec - a.tv_sec) * 1e3 + (double)(b.tv_nsec - a.tv_nsec) / 1e6;
	}
	qsort(ms, (size_t)count, sizeof(*ms), compare_doubles);
	reply("roundtrips %d p50_ms=%.3f max_ms=%.3f", count, ms[count / 2], ms[count - 1]);
	free(ms);
}

static void cmd_dump(const char *name, const char *path) {
	struct buffer *buffer = find_buffer(name);
	FILE *f = buffer != NULL ? fopen(path, "wb") : NULL;
	if (f == NULL) {
		reply("error cannot dump %s to %s", name, path);
		return;
	}
	for (int j = 0; j < buffer->height; j++) {
		fwrite(buffer->data + (size_t)j * buffer->stride, 4, (size_t)buffer->width, f);
	}
	fclose(f);
	reply("dumped %dx%d", buffer->width, buffer->height);
}

static void cmd_dump_all(const char *name, const char *path) {
	struct buffer *buffer = find_buffer(name);
	FILE *f = buffer != NULL ? fopen(path, "wb") : NULL;
	if (f == NULL) {
		reply("error cannot dump %s to %s", name, path);
		return;
	}
	fwrite(buffer->data, 1, (size_t)buffer->stride * buffer->height, f);
	fclose(f);
	reply("dumped %dx%d stride=%d", buffer->width, buffer->height, buffer->stride);
}

/* Commands */

static struct buffer *find_buffer(const char *name) {
	for (int i = 0; i < MAX_BUFFERS; i++) {
		if (probe.buffers[i].wl_buffer != NULL && strcmp(probe.buffers[i].name, name) == 0) {
			return &probe.buffers[i];
		}
	}
	return NULL;
}

static void start_session(struct ext_image_capture_source_v1 *source, bool cursors) {
	probe.session = ext_image_copy_capture_manager_v1_create_session(probe.copy_manager, source,
		cursors ? EXT_IMAGE_COPY_CAPTURE_MANAGER_V1_OPTIONS_PAINT_CURSORS : 0);
	ext_image_copy_capture_session_v1_add_listener(probe.session, &session_listener, NULL);
	ext_image_capture_source_v1_destroy(source);
}

static void cmd_buffer(const char *name, uint32_t format, int stride) {
	struct buffer *buffer = NULL;
	for (int i = 0; i < MAX_BUFFERS && buffer == NULL; i++) {
		if (probe.buffers[i].wl_buffer == NULL) {
			buffer = &probe.buffers[i];
		}
	}
	if (buffer == NULL || probe.width == 0) {
		reply("error no buffer slot or no constraints yet");
		return;
	}
	snprintf(buffer->name, sizeof(buffer->name), "%s", name);
	buffer->width = probe.width;
	buffer->height = probe.height;
	buffer->stride = stride > 0 ? stride : probe.width * 4;
	buffer->size = (size_t)buffer->stride * buffer->height;
	int fd = memfd_create("ph-capture-probe", MFD_CLOEXEC);
	if (fd < 0 || ftruncate(fd, (off_t)buffer->size) != 0) {
		reply("error memfd: %s", strerror(errno));
		exit(1);
	}
	buffer->data = mmap(NULL, buffer->size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	struct wl_shm_pool *pool = wl_shm_create_pool(probe.shm, fd, (int32_t)buffer->size);
	buffer->wl_buffer = wl_shm_pool_create_buffer(pool, 0, buffer->width, buffer->height,
		buffer->stride, format);
	wl_shm_pool_destroy(pool);
	buffer->fd = fd;
	reply("buffer %s %dx%d stride %d", name, buffer->width, buffer->height, buffer->stride);
}

static void cmd_capture(char *args) {
	char *name = strtok(args, " ");
	struct buffer *buffer = name != NULL ? find_buffer(name) : NULL;
	if (buffer == NULL || probe.session == NULL || probe.frame != NULL) {
		reply("error capture needs a session, a buffer and no frame in flight");
		return;
	}
	probe.damage[0] = '\0';
	probe.frame = ext_image_copy_capture_session_v1_create_frame(probe.session);
	ext_image_copy_capture_frame_v1_add_listener(probe.frame, &frame_listener, NULL);
	ext_image_copy_capture_frame_v1_attach_buffer(probe.frame, buffer->wl_buffer);
	for (char *rect = strtok(NULL, " "); rect != NULL; rect = strtok(NULL, " ")) {
		int x, y, w, h;
		if (sscanf(rect, "%d,%d,%d,%d", &x, &y, &w, &h) == 4) {
			ext_image_copy_capture_frame_v1_damage_buffer(probe.frame, x, y, w, h);
		}
	}
	ext_image_copy_capture_frame_v1_capture(probe.frame);
}

/*
 * A client that shrinks its pool under the compositor: a copy into it would
 * fault (SIGBUS) in the compositor. Our own mapping becomes anonymous zeros
 * first, so that the probe's later commands cannot fault.
 */
static void cmd_truncate(const char *name) {
	struct buffer *buffer = find_buffer(name);
	if (buffer == NULL) {
		reply("error no buffer %s", name);
		return;
	}
	if (mmap(buffer->data, buffer->size, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == MAP_FAILED ||
			ftruncate(buffer->fd, 0) != 0) {
		reply("error truncate %s: %s", name, strerror(errno));
		exit(1);
	}
	reply("truncated");
}

static uint32_t *pixel(struct buffer *buffer, int x, int y) {
	return (uint32_t *)(buffer->data + (size_t)y * buffer->stride) + x;
}

static void handle_command(void *data, char *line) {
	char cmd[32] = "", a[128] = "";
	int x = 0, y = 0, w = 0, h = 0;
	unsigned int word = 0;
	sscanf(line, "%31s %127s", cmd, a);
	if (strcmp(cmd, "output") == 0) {
		int index = atoi(a);
		if (index >= probe.output_count) {
			reply("error no output %d", index);
			return;
		}
		start_session(ext_output_image_capture_source_manager_v1_create_source(
			probe.output_sources, probe.outputs[index]), strstr(line, "cursors") != NULL);
	} else if (strcmp(cmd, "toplevel") == 0) {
		wl_display_roundtrip(probe.display);
		for (int i = 0; i < probe.toplevel_count; i++) {
			if (strcmp(probe.toplevels[i].app_id, a) == 0) {
				start_session(ext_foreign_toplevel_image_capture_source_manager_v1_create_source(
					probe.toplevel_sources, probe.toplevels[i].handle),
					strstr(line, "cursors") != NULL);
				return;
			}
		}
		reply("error no toplevel with app_id %s", a);
	} else if (strcmp(cmd, "buffer") == 0) {
		int stride = 0;
		sscanf(line, "%*s %*s %i %d", (int *)&word, &stride);
		cmd_buffer(a, word, stride);
	} else if (strcmp(cmd, "fill") == 0 && sscanf(line, "%*s %*s %x", &word) == 1) {
		struct buffer *buffer = find_buffer(a);
		for (int j = 0; buffer != NULL && j < buffer->height; j++) {
			for (int i = 0; i < buffer->width; i++) {
				*pixel(buffer, i, j) = word;
			}
		}
		reply(buffer != NULL ? "filled" : "error no buffer %s", a);
	} else if (strcmp(cmd, "fill-all") == 0 && sscanf(line, "%*s %*s %x", &word) == 1) {
		struct buffer *buffer = find_buffer(a);
		size_t words = buffer != NULL ? (size_t)buffer->stride * buffer->height / 4 : 0;
		for (size_t i = 0; i < words; i++) {
			((uint32_t *)buffer->data)[i] = word;
		}
		reply(buffer != NULL ? "filled" : "error no buffer %s", a);
	} else if (strcmp(cmd, "capture") == 0) {
		cmd_capture(line + strlen("capture "));
	} else if (strcmp(cmd, "word") == 0 && sscanf(line, "%*s %*s %d %d", &x, &y) == 2) {
		struct buffer *buffer = find_buffer(a);
		if (buffer == NULL || x < 0 || y < 0 || x >= buffer->width || y >= buffer->height) {
			reply("error bad buffer or pixel");
			return;
		}
		reply("word 0x%08x", *pixel(buffer, x, y));
	} else if (strcmp(cmd, "count") == 0 &&
			sscanf(line, "%*s %*s %d %d %d %d %x", &x, &y, &w, &h, &word) == 5) {
		struct buffer *buffer = find_buffer(a);
		long count = 0;
		for (int j = y; buffer != NULL && j < y + h && j < buffer->height; j++) {
			for (int i = x; i < x + w && i < buffer->width; i++) {
				count += *pixel(buffer, i, j) == word;
			}
		}
		reply("count %ld", count);
	} else if (strcmp(cmd, "cursor-session") == 0) {
		cmd_cursor_session(atoi(a));
	} else if (strcmp(cmd, "pointer") == 0 &&
			sscanf(line, "%*s %d %d %d %d", &x, &y, &w, &h) == 4) {
		cmd_pointer(x, y, w, h);
	} else if (strcmp(cmd, "click") == 0 &&
			sscanf(line, "%*s %d %d %d %d", &x, &y, &w, &h) == 4) {
		cmd_click(x, y, w, h);
	} else if (strcmp(cmd, "press") == 0 || strcmp(cmd, "release") == 0) {
		cmd_button(strcmp(cmd, "press") == 0);
	} else if (strcmp(cmd, "keyboard") == 0) {
		cmd_keyboard();
	} else if (strcmp(cmd, "key") == 0 && sscanf(line, "%*s %d", &x) == 1) {
		cmd_key(x);
	} else if (strcmp(cmd, "roundtrips") == 0) {
		cmd_roundtrips(atoi(a));
	} else if (strcmp(cmd, "dump") == 0) {
		char path[512] = "";
		sscanf(line, "%*s %*s %511s", path);
		cmd_dump(a, path);
	} else if (strcmp(cmd, "dump-all") == 0) {
		char path[512] = "";
		sscanf(line, "%*s %*s %511s", path);
		cmd_dump_all(a, path);
	} else if (strcmp(cmd, "truncate") == 0) {
		cmd_truncate(a);
	} else if (strcmp(cmd, "destroy-cursor-session") == 0) {
		if (probe.cursor_session != NULL) {
			ext_image_copy_capture_cursor_session_v1_destroy(probe.cursor_session);
		}
		probe.cursor_session = NULL;
		reply("destroyed");
	} else if (strcmp(cmd, "destroy-session") == 0) {
		if (probe.session != NULL) {
			ext_image_copy_capture_session_v1_destroy(probe.session);
		}
		probe.session = NULL;
		reply("destroyed");
	} else if (strcmp(cmd, "destroy-buffer") == 0) {
		struct buffer *buffer = find_buffer(a);
		if (buffer != NULL) {
			wl_buffer_destroy(buffer->wl_buffer);
			munmap(buffer->data, buffer->size);
			close(buffer->fd);
			buffer->wl_buffer = NULL;
		}
		reply("destroyed");
	} else if (strcmp(cmd, "quit") == 0) {
		probe.running = false;
	} else if (cmd[0] != '\0') {
		reply("error unknown command '%s'", line);
	}
}

/* Every proxy destroyed before disconnecting, so leak checkers stay quiet. */
static void cleanup(struct wl_registry *registry) {
	if (probe.frame != NULL) {
		ext_image_copy_capture_frame_v1_destroy(probe.frame);
	}
	if (probe.session != NULL) {
		ext_image_copy_capture_session_v1_destroy(probe.session);
	}
	if (probe.cursor_session != NULL) {
		ext_image_copy_capture_cursor_session_v1_destroy(probe.cursor_session);
	}
	if (probe.virtual_pointer != NULL) {
		zwlr_virtual_pointer_destroy(probe.virtual_pointer);
	}
	if (probe.virtual_pointer_manager != NULL) {
		wl_proxy_destroy(probe.virtual_pointer_manager);
	}
	if (probe.virtual_keyboard != NULL) {
		zwp_virtual_keyboard_destroy(probe.virtual_keyboard);
	}
	if (probe.virtual_keyboard_manager != NULL) {
		wl_proxy_destroy(probe.virtual_keyboard_manager);
	}
	if (probe.pointer != NULL) {
		wl_pointer_destroy(probe.pointer);
	}
	if (probe.seat != NULL) {
		wl_seat_destroy(probe.seat);
	}
	for (int i = 0; i < MAX_BUFFERS; i++) {
		if (probe.buffers[i].wl_buffer != NULL) {
			wl_buffer_destroy(probe.buffers[i].wl_buffer);
			munmap(probe.buffers[i].data, probe.buffers[i].size);
			close(probe.buffers[i].fd);
		}
	}
	for (int i = 0; i < probe.toplevel_count; i++) {
		ext_foreign_toplevel_handle_v1_destroy(probe.toplevels[i].handle);
	}
	for (int i = 0; i < probe.output_count; i++) {
		wl_output_destroy(probe.outputs[i]);
	}
	if (probe.toplevel_list != NULL) {
		ext_foreign_toplevel_list_v1_destroy(probe.toplevel_list);
	}
	if (probe.toplevel_sources != NULL) {
		ext_foreign_toplevel_image_capture_source_manager_v1_destroy(probe.toplevel_sources);
	}
	if (probe.output_sources != NULL) {
		ext_output_image_capture_source_manager_v1_destroy(probe.output_sources);
	}
	if (probe.copy_manager != NULL) {
		ext_image_copy_capture_manager_v1_destroy(probe.copy_manager);
	}
	if (probe.shm != NULL) {
		wl_shm_destroy(probe.shm);
	}
	wl_registry_destroy(registry);
	wl_display_disconnect(probe.display);
}

int main(void) {
	probe.display = wl_display_connect(NULL);
	if (probe.display == NULL) {
		fprintf(stderr, "ph-capture-probe: cannot connect to the compositor\n");
		return 1;
	}
	struct wl_registry *registry = wl_display_get_registry(probe.display);
	wl_registry_add_listener(registry, &registry_listener, NULL);
	wl_display_roundtrip(probe.display);
	wl_display_roundtrip(probe.display);
	if (probe.shm == NULL || probe.copy_manager == NULL || probe.output_sources == NULL) {
		fprintf(stderr, "ph-capture-probe: the compositor lacks ext-image-copy-capture\n");
		return 1;
	}
	reply("hello outputs=%d", probe.output_count);

	int status = client_main_loop(probe.display, &probe.running, handle_command, NULL);
	if (status != 0) {
		return status;
	}
	cleanup(registry);
	return 0;
}
