/*
 * ph-paint: an xdg-shell client that shows known pixels so that tests can
 * check what a screen capture sees. See usage() for the options and the
 * stdin commands.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <unistd.h>
#include <wayland-client.h>
#include <xkbcommon/xkbcommon.h>
#include "client-common.h"
#include "cursor-shape-v1-client-protocol.h"
#include "pattern.h"
#include "xdg-shell-client-protocol.h"

/* Enough for the compositor to hold two buffers while we draw a third. */
#define POOL_SIZE 4
#define MAX_DIMENSION 16384
#define MAX_TOKENS 8

struct buffer {
	struct wl_buffer *wl_buffer;
	uint32_t *data;
	size_t size;
	int width, height;
	bool busy;
	int fd; /* the pool's file, for the truncate command */
};

/* A wl_surface with its own buffers; `front` is the last buffer attached. */
struct paint_surface {
	struct wl_surface *surface;
	struct buffer *pool[POOL_SIZE];
	struct buffer *front;
};

struct rect_spec {
	bool set;
	int x, y, width, height;
	uint32_t color;
};

struct options {
	int width, height;
	uint32_t color;
	bool quad;
	bool xy; /* --pattern xy */
	uint32_t shm_format;
	const char *title, *app_id;
	bool fullscreen;
	struct rect_spec popup, subsurface;
	bool popup_slide; /* let the compositor slide the popup onto the screen */
	bool input; /* print the wl_pointer and wl_keyboard events received */
	bool keymap; /* also print the keymap's layout name and the repeat info */
	struct rect_spec cursor; /* x, y: the hotspot */
	bool cursor_hidden; /* --cursor none: no cursor image over our surfaces */
	uint32_t cursor_shape; /* wp_cursor_shape_device_v1 shape, 0: none */
	/* A button press turns the window this colour, drawn on the next frame callback. */
	bool has_click_color;
	uint32_t click_color;
};

enum reply {
	REPLY_READY,
	REPLY_OK,
	REPLY_POPUP_READY,
};

/* A pending frame callback and what to print once it fires. */
struct frame_wait {
	struct wl_list link;
	struct wl_callback *callback;
	struct app *app;
	enum reply reply;
	int width, height;
};

struct app {
	struct options opts;
	struct wl_subcompositor *subcompositor;
	/* Its own, not client.pointer and client.keyboard: they are released when
	 * the seat loses them, and only made when the options ask for input. */
	struct wl_pointer *pointer;
	struct wl_keyboard *keyboard;
	struct paint_surface cursor;
	struct wp_cursor_shape_manager_v1 *cursor_shape_manager;
	struct wp_cursor_shape_device_v1 *cursor_shape_device;
	struct xkb_context *xkb_context;
	struct xkb_keymap *xkb_keymap;
	struct xkb_state *xkb_state;

	struct paint_surface main;
	struct xdg_surface *xdg_surface;
	struct xdg_toplevel *toplevel;
	int configure_width, configure_height;
	int width, height; /* size the main surface should have */
	bool needs_redraw; /* a configure asked for a size not drawn yet */
	bool game_running; /* --click-color */
	bool mapped;
	/* Base fill of the main surface: the pattern, then the last `color`. */
	bool fill_quad;
	bool fill_xy;
	uint32_t fill_color;
	/* The truncate command shrank the shown buffer's pool: nothing is drawn again. */
	bool truncated;

	struct paint_surface popup;
	struct xdg_surface *popup_xdg_surface;
	struct xdg_popup *xdg_popup;
	int popup_width, popup_height;

	struct paint_surface sub;
	struct wl_subsurface *subsurface;

	struct wl_list frame_waits;

	int signal_fd;
	bool stdin_open;
	char input[4096];
	size_t input_len;

	bool running;
	int exit_code;
};

/* File-scope: client-common's seat and registry hooks get no data pointer. */
static struct client client = {.program = "ph-paint", .wm_base_version = 6};
static struct app paint = {.signal_fd = -1, .running = true, .stdin_open = true};

static void usage(FILE *f) {
	fprintf(f,
		"usage: ph-paint [options]\n"
		"  --size WXH                 buffer size (default 200x150)\n"
		"  --color 0xAARRGGBB         solid fill (default 0xFF3366CC)\n"
		"  --pattern quad             red/green/blue/white quadrants\n"
		"  --pattern xy               every pixel different: pattern_xy(x, y, 0)\n"
		"                             (tests/clients/pattern.h), opaque\n"
		"  --format argb|xrgb         wl_shm format (default xrgb)\n"
		"  --title T, --app-id A      (default ph-paint)\n"
		"  --fullscreen               ask to be fullscreen\n"
		"  --popup XxY+WxH:0xAARRGGBB    xdg_popup once mapped\n"
		"  --popup-slide              the popup may slide along both axes to fit\n"
		"  --subsurface XxY+WxH:0xAARRGGBB  wl_subsurface\n"
		"  --cursor HXxHY+WxH:0xAARRGGBB  solid cursor image with hotspot HX,HY\n"
		"  --cursor none              hide the cursor over our surfaces\n"
		"  --cursor-shape N           cursor-shape-v1 shape N (e.g. 9: text)\n"
		"  --click-color 0xAARRGGBB   redraw on every frame callback, like a game; after a\n"
		"                             button press in this colour\n"
		"  --input                    print the pointer and keyboard events received:\n"
		"      'pointer-enter SURFACE X Y', 'pointer-motion X Y' (surface-local,\n"
		"      SURFACE main or other), 'pointer-button CODE pressed|released',\n"
		"      'pointer-leave', 'keyboard-enter SURFACE', 'keyboard-leave',\n"
		"      'key CODE pressed|released KEYSYM' (evdev code, keysym name from\n"
		"      the compositor's keymap), 'modifiers DEPRESSED LATCHED LOCKED GROUP'\n"
		"  --keymap                   --input, and 'keymap LAYOUT-NAME' (the first layout of\n"
		"      each keymap received), 'repeat RATE DELAY'\n"
		"stdout: 'ready WxH' once a buffer of a new size was rendered,\n"
		"'popup-ready' once the popup was rendered.\n"
		"stdin: 'color 0xAARRGGBB', 'rect X Y W H 0xAARRGGBB', 'sub-color\n"
		"0xAARRGGBB' (the subsurface, made desynchronized, repainted and committed\n"
		"alone), 'noise SEED' (16x16 blocks of pseudo-random colours over the whole\n"
		"buffer), 'xy SEED X Y W H' (pattern_xy(x, y, SEED) in the rectangle) (reply\n"
		"'ok' once rendered, 'error ...' if malformed), 'truncate [BYTES]' (shrinks\n"
		"the file of the last committed buffer's pool to BYTES, default 0, under the\n"
		"compositor, replies 'truncated'; nothing is drawn after it), 'quit'.\n");
}

static bool parse_color(const char *s, uint32_t *color) {
	char *end;
	errno = 0;
	unsigned long value = strtoul(s, &end, 16);
	if (errno != 0 || end == s || *end != '\0' || value > UINT32_MAX ||
			s[0] == '-') {
		return false;
	}
	*color = (uint32_t)value;
	return true;
}

static bool parse_int(const char *s, int *out) {
	char *end;
	errno = 0;
	long value = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' ||
			value < INT_MIN || value > INT_MAX) {
		return false;
	}
	*out = (int)value;
	return true;
}

static bool valid_size(int width, int height) {
	return width > 0 && height > 0 &&
		width <= MAX_DIMENSION && height <= MAX_DIMENSION;
}

static bool parse_size(const char *s, int *width, int *height) {
	int n = -1;
	if (sscanf(s, "%dx%d%n", width, height, &n) != 2 || n < 0 ||
			s[n] != '\0') {
		return false;
	}
	return valid_size(*width, *height);
}

/* XxY+WxH:0xAARRGGBB */
static bool parse_rect_spec(const char *s, struct rect_spec *spec) {
	int n = -1;
	if (sscanf(s, "%dx%d+%dx%d:%n", &spec->x, &spec->y,
			&spec->width, &spec->height, &n) != 4 || n < 0) {
		return false;
	}
	spec->set = true;
	return valid_size(spec->width, spec->height) &&
		parse_color(s + n, &spec->color);
}

static bool parse_options(struct options *opts, int argc, char *argv[]) {
	enum { OPT_SIZE = 256, OPT_COLOR, OPT_PATTERN, OPT_FORMAT, OPT_TITLE,
		OPT_APP_ID, OPT_FULLSCREEN, OPT_POPUP, OPT_SUBSURFACE, OPT_INPUT, OPT_KEYMAP, OPT_CURSOR,
		OPT_CURSOR_SHAPE, OPT_CLICK_COLOR, OPT_HELP };
	static const struct option long_options[] = {
		{ "size", required_argument, NULL, OPT_SIZE },
		{ "color", required_argument, NULL, OPT_COLOR },
		{ "pattern", required_argument, NULL, OPT_PATTERN },
		{ "format", required_argument, NULL, OPT_FORMAT },
		{ "title", required_argument, NULL, OPT_TITLE },
		{ "app-id", required_argument, NULL, OPT_APP_ID },
		{ "fullscreen", no_argument, NULL, OPT_FULLSCREEN },
		{ "popup", required_argument, NULL, OPT_POPUP },
		{ "popup-slide", no_argument, NULL, 'S' },
		{ "subsurface", required_argument, NULL, OPT_SUBSURFACE },
		{ "input", no_argument, NULL, OPT_INPUT },
		{ "keymap", no_argument, NULL, OPT_KEYMAP },
		{ "cursor", required_argument, NULL, OPT_CURSOR },
		{ "cursor-shape", required_argument, NULL, OPT_CURSOR_SHAPE },
		{ "click-color", required_argument, NULL, OPT_CLICK_COLOR },
		{ "help", no_argument, NULL, OPT_HELP },
		{ 0 },
	};
	*opts = (struct options){
		.width = 200,
		.height = 150,
		.color = 0xFF3366CC,
		.shm_format = WL_SHM_FORMAT_XRGB8888,
		.title = "ph-paint",
		.app_id = "ph-paint",
	};
	int c, index = 0;
	while ((c = getopt_long(argc, argv, "", long_options, &index)) != -1) {
		bool ok = true;
		switch (c) {
		case OPT_SIZE:
			ok = parse_size(optarg, &opts->width, &opts->height);
			break;
		case OPT_COLOR:
			ok = parse_color(optarg, &opts->color);
			break;
		case OPT_PATTERN:
			opts->quad = strcmp(optarg, "quad") == 0;
			opts->xy = strcmp(optarg, "xy") == 0;
			ok = opts->quad || opts->xy;
			break;
		case OPT_FORMAT:
			if (strcmp(optarg, "argb") == 0) {
				opts->shm_format = WL_SHM_FORMAT_ARGB8888;
			} else if (strcmp(optarg, "xrgb") == 0) {
				opts->shm_format = WL_SHM_FORMAT_XRGB8888;
			} else {
				ok = false;
			}
			break;
		case OPT_TITLE:
			opts->title = optarg;
			break;
		case OPT_APP_ID:
			opts->app_id = optarg;
			break;
		case OPT_FULLSCREEN:
			opts->fullscreen = true;
			break;
		case OPT_POPUP:
			ok = parse_rect_spec(optarg, &opts->popup);
			break;
		case 'S': /* --popup-slide */
			opts->popup_slide = true;
			break;
		case OPT_SUBSURFACE:
			ok = parse_rect_spec(optarg, &opts->subsurface);
			break;
		case OPT_CLICK_COLOR:
			if (!parse_color(optarg, &opts->click_color)) {
				fprintf(stderr, "ph-paint: invalid value '%s' for --click-color\n", optarg);
				return false;
			}
			opts->has_click_color = true;
			break;
		case OPT_INPUT:
			opts->input = true;
			break;
		case OPT_KEYMAP:
			opts->input = opts->keymap = true;
			break;
		case OPT_CURSOR:
			opts->cursor_hidden = strcmp(optarg, "none") == 0;
			ok = opts->cursor_hidden || parse_rect_spec(optarg, &opts->cursor);
			break;
		case OPT_CURSOR_SHAPE: {
			int shape = 0;
			ok = parse_int(optarg, &shape) && shape > 0;
			opts->cursor_shape = (uint32_t)shape;
			break;
		}
		case OPT_HELP:
			usage(stdout);
			exit(0);
		default:
			return false;
		}
		if (!ok) {
			fprintf(stderr, "ph-paint: invalid value '%s' for --%s\n",
				optarg, long_options[index].name);
			return false;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "ph-paint: unexpected argument '%s'\n", argv[optind]);
		return false;
	}
	return true;
}

/* Wayland wants premultiplied alpha; XRGB pixels are opaque whatever we say. */
static uint32_t pixel_value(uint32_t color, uint32_t format) {
	if (format == WL_SHM_FORMAT_XRGB8888) {
		return color | 0xFF000000;
	}
	uint32_t a = color >> 24;
	uint32_t pixel = a << 24;
	for (int shift = 0; shift < 24; shift += 8) {
		uint32_t c = (color >> shift) & 0xFF;
		pixel |= ((c * a + 127) / 255) << shift;
	}
	return pixel;
}

static void fill_rect(struct buffer *buffer, int x, int y, int width, int height,
		uint32_t pixel) {
	for (int row = y; row < y + height; row++) {
		uint32_t *p = buffer->data + (size_t)row * buffer->width + x;
		for (int col = 0; col < width; col++) {
			p[col] = pixel;
		}
	}
}

static void fill_quad(struct buffer *buffer, uint32_t format) {
	int w = buffer->width, h = buffer->height;
	int hw = w / 2, hh = h / 2;
	fill_rect(buffer, 0, 0, hw, hh, pixel_value(0xFFFF0000, format));
	fill_rect(buffer, hw, 0, w - hw, hh, pixel_value(0xFF00FF00, format));
	fill_rect(buffer, 0, hh, hw, h - hh, pixel_value(0xFF0000FF, format));
	fill_rect(buffer, hw, hh, w - hw, h - hh, pixel_value(0xFFFFFFFF, format));
}

static void fill_xy(struct buffer *buffer, int x, int y, int width, int height,
		uint32_t seed) {
	for (int row = y; row < y + height; row++) {
		uint32_t *p = buffer->data + (size_t)row * buffer->width;
		for (int col = x; col < x + width; col++) {
			p[col] = pattern_xy(col, row, seed);
		}
	}
}

static void buffer_handle_release(void *data, struct wl_buffer *wl_buffer) {
	struct buffer *buffer = data;
	buffer->busy = false;
}

static const struct wl_buffer_listener buffer_listener = {
	.release = buffer_handle_release,
};

static void buffer_destroy(struct buffer *buffer) {
	if (buffer == NULL) {
		return;
	}
	wl_buffer_destroy(buffer->wl_buffer);
	munmap(buffer->data, buffer->size);
	close(buffer->fd);
	free(buffer);
}

static struct buffer *buffer_create(struct app *app, int width, int height) {
	struct buffer *buffer = calloc(1, sizeof(*buffer));
	if (buffer == NULL) {
		return NULL;
	}
	int stride = width * 4;
	buffer->width = width;
	buffer->height = height;
	buffer->size = (size_t)stride * height;

	int fd = client_memfd(&client, NULL, buffer->size);
	buffer->data = mmap(NULL, buffer->size, PROT_READ | PROT_WRITE,
		MAP_SHARED, fd, 0);
	if (buffer->data == MAP_FAILED) {
		perror("ph-paint: mmap");
		goto error;
	}
	struct wl_shm_pool *pool = wl_shm_create_pool(client.shm, fd, buffer->size);
	buffer->wl_buffer = wl_shm_pool_create_buffer(pool, 0, width, height,
		stride, app->opts.shm_format);
	wl_shm_pool_destroy(pool);
	buffer->fd = fd;
	wl_buffer_add_listener(buffer->wl_buffer, &buffer_listener, buffer);
	return buffer;

error:
	close(fd);
	free(buffer);
	return NULL;
}

/*
 * A buffer of the given size that the compositor does not hold, or NULL if
 * all are busy. Idle buffers of another size are dropped on the way.
 */
static struct buffer *surface_acquire(struct app *app, struct paint_surface *ps,
		int width, int height) {
	struct buffer **empty = NULL;
	for (size_t i = 0; i < POOL_SIZE; i++) {
		struct buffer *buffer = ps->pool[i];
		if (buffer != NULL && !buffer->busy &&
				(buffer->width != width || buffer->height != height)) {
			if (ps->front == buffer) {
				ps->front = NULL;
			}
			buffer_destroy(buffer);
			ps->pool[i] = buffer = NULL;
		}
		if (buffer == NULL) {
			if (empty == NULL) {
				empty = &ps->pool[i];
			}
		} else if (!buffer->busy) {
			return buffer;
		}
	}
	if (empty == NULL) {
		return NULL;
	}
	*empty = buffer_create(app, width, height);
	if (*empty == NULL) {
		fprintf(stderr, "ph-paint: failed to allocate a %dx%d buffer\n",
			width, height);
		app->running = false;
		app->exit_code = 1;
	}
	return *empty;
}

static void surface_finish(struct paint_surface *ps) {
	for (size_t i = 0; i < POOL_SIZE; i++) {
		buffer_destroy(ps->pool[i]);
		ps->pool[i] = NULL;
	}
	ps->front = NULL;
	if (ps->surface != NULL) {
		wl_surface_destroy(ps->surface);
		ps->surface = NULL;
	}
}

static void create_popup(struct app *app);
static void game_draw(struct app *app);

static void frame_handle_done(void *data, struct wl_callback *callback,
		uint32_t time) {
	struct frame_wait *wait = data;
	struct app *app = wait->app;
	switch (wait->reply) {
	case REPLY_READY:
		reply("ready %dx%d", wait->width, wait->height);
		if (app->opts.has_click_color && !app->game_running) {
			app->game_running = true;
			game_draw(app);
		}
		if (app->opts.popup.set && app->popup.surface == NULL) {
			create_popup(app);
		}
		break;
	case REPLY_OK:
		reply("ok");
		break;
	case REPLY_POPUP_READY:
		reply("popup-ready");
		break;
	}
	wl_list_remove(&wait->link);
	wl_callback_destroy(callback);
	free(wait);
}

static const struct wl_callback_listener frame_listener = {
	.done = frame_handle_done,
};

/* Attach, damage and commit; `reply` is printed once this was rendered. */
static void surface_present(struct app *app, struct paint_surface *ps,
		struct buffer *buffer, int x, int y, int width, int height,
		int reply_kind) {
	wl_surface_attach(ps->surface, buffer->wl_buffer, 0, 0);
	wl_surface_damage_buffer(ps->surface, x, y, width, height);
	if (reply_kind >= 0) {
		struct frame_wait *wait = calloc(1, sizeof(*wait));
		if (wait == NULL) {
			abort();
		}
		wait->app = app;
		wait->reply = reply_kind;
		wait->width = buffer->width;
		wait->height = buffer->height;
		wait->callback = wl_surface_frame(ps->surface);
		wl_callback_add_listener(wait->callback, &frame_listener, wait);
		wl_list_insert(app->frame_waits.prev, &wait->link);
	}
	buffer->busy = true;
	ps->front = buffer;
	wl_surface_commit(ps->surface);
}

static void present_solid(struct app *app, struct paint_surface *ps,
		const struct rect_spec *spec, int width, int height, int reply_kind) {
	struct buffer *buffer = surface_acquire(app, ps, width, height);
	if (buffer == NULL) {
		return;
	}
	fill_rect(buffer, 0, 0, width, height,
		pixel_value(spec->color, app->opts.shm_format));
	surface_present(app, ps, buffer, 0, 0, width, height, reply_kind);
}

/* The subsurface is synchronized: its commit lands with the parent's. */
static void create_subsurface(struct app *app) {
	const struct rect_spec *spec = &app->opts.subsurface;
	app->sub.surface = wl_compositor_create_surface(client.compositor);
	app->subsurface = wl_subcompositor_get_subsurface(app->subcompositor,
		app->sub.surface, app->main.surface);
	wl_subsurface_set_position(app->subsurface, spec->x, spec->y);
	present_solid(app, &app->sub, spec, spec->width, spec->height, -1);
}

/* Returns false if no buffer is free yet; try again after a release. */
static bool redraw_main(struct app *app) {
	struct buffer *buffer = surface_acquire(app, &app->main,
		app->width, app->height);
	if (buffer == NULL) {
		return false;
	}
	if (app->fill_quad) {
		fill_quad(buffer, app->opts.shm_format);
	} else if (app->fill_xy) {
		fill_xy(buffer, 0, 0, buffer->width, buffer->height, 0);
	} else {
		fill_rect(buffer, 0, 0, buffer->width, buffer->height,
			pixel_value(app->fill_color, app->opts.shm_format));
	}
	surface_present(app, &app->main, buffer, 0, 0,
		buffer->width, buffer->height, REPLY_READY);
	app->needs_redraw = false;
	return true;
}

static void xdg_surface_handle_configure(void *data,
		struct xdg_surface *xdg_surface, uint32_t serial) {
	struct app *app = data;
	xdg_surface_ack_configure(xdg_surface, serial);
	/* A zero dimension leaves the choice to us: keep what we have. */
	int width = app->configure_width > 0 ? app->configure_width : app->width;
	int height = app->configure_height > 0 ? app->configure_height : app->height;
	if (!valid_size(width, height)) {
		fprintf(stderr, "ph-paint: ignoring configure size %dx%d\n",
			width, height);
		width = app->width;
		height = app->height;
	}
	if (!app->mapped || width != app->width || height != app->height) {
		app->width = width;
		app->height = height;
		app->needs_redraw = true;
		return; /* the redraw commits the ack */
	}
	wl_surface_commit(app->main.surface);
}

static const struct xdg_surface_listener xdg_surface_listener = {
	.configure = xdg_surface_handle_configure,
};

static void toplevel_handle_configure(void *data, struct xdg_toplevel *toplevel,
		int32_t width, int32_t height, struct wl_array *states) {
	struct app *app = data;
	app->configure_width = width;
	app->configure_height = height;
}

static void toplevel_handle_close(void *data, struct xdg_toplevel *toplevel) {
	struct app *app = data;
	app->running = false;
}

static const struct xdg_toplevel_listener toplevel_listener = {
	.configure = toplevel_handle_configure,
	.close = toplevel_handle_close,
	/* Not needed: we draw the size we were told or asked for. */
	.configure_bounds = client_noop_toplevel_configure_bounds,
	.wm_capabilities = client_noop_toplevel_wm_capabilities,
};

static void popup_xdg_surface_handle_configure(void *data,
		struct xdg_surface *xdg_surface, uint32_t serial) {
	struct app *app = data;
	xdg_surface_ack_configure(xdg_surface, serial);
	struct buffer *front = app->popup.front;
	if (front != NULL && front->width == app->popup_width &&
			front->height == app->popup_height) {
		wl_surface_commit(app->popup.surface);
		return;
	}
	/* Only the first buffer announces the popup. */
	present_solid(app, &app->popup, &app->opts.popup, app->popup_width,
		app->popup_height, front == NULL ? REPLY_POPUP_READY : -1);
}

static const struct xdg_surface_listener popup_xdg_surface_listener = {
	.configure = popup_xdg_surface_handle_configure,
};

static void popup_handle_configure(void *data, struct xdg_popup *xdg_popup,
		int32_t x, int32_t y, int32_t width, int32_t height) {
	struct app *app = data;
	if (valid_size(width, height)) {
		app->popup_width = width;
		app->popup_height = height;
	}
}

static void popup_handle_done(void *data, struct xdg_popup *xdg_popup) {
	/* Dismissed by the compositor; keep the surface so we don't recreate it. */
	struct app *app = data;
	fprintf(stderr, "ph-paint: popup dismissed\n");
	xdg_popup_destroy(app->xdg_popup);
	app->xdg_popup = NULL;
}

static void popup_handle_repositioned(void *data, struct xdg_popup *xdg_popup,
		uint32_t token) {
	/* We never reposition. */
}

static const struct xdg_popup_listener popup_listener = {
	.configure = popup_handle_configure,
	.popup_done = popup_handle_done,
	.repositioned = popup_handle_repositioned,
};

static void create_popup(struct app *app) {
	const struct rect_spec *spec = &app->opts.popup;
	app->popup_width = spec->width;
	app->popup_height = spec->height;

	struct xdg_positioner *positioner =
		xdg_wm_base_create_positioner(client.wm_base);
	xdg_positioner_set_size(positioner, spec->width, spec->height);
	xdg_positioner_set_anchor_rect(positioner, spec->x, spec->y, 1, 1);
	xdg_positioner_set_anchor(positioner, XDG_POSITIONER_ANCHOR_TOP_LEFT);
	xdg_positioner_set_gravity(positioner, XDG_POSITIONER_GRAVITY_BOTTOM_RIGHT);
	if (app->opts.popup_slide) {
		xdg_positioner_set_constraint_adjustment(positioner,
			XDG_POSITIONER_CONSTRAINT_ADJUSTMENT_SLIDE_X |
			XDG_POSITIONER_CONSTRAINT_ADJUSTMENT_SLIDE_Y);
	}

	app->popup.surface = wl_compositor_create_surface(client.compositor);
	app->popup_xdg_surface = xdg_wm_base_get_xdg_surface(client.wm_base,
		app->popup.surface);
	xdg_surface_add_listener(app->popup_xdg_surface,
		&popup_xdg_surface_listener, app);
	app->xdg_popup = xdg_surface_get_popup(app->popup_xdg_surface,
		app->xdg_surface, positioner);
	xdg_popup_add_listener(app->xdg_popup, &popup_listener, app);
	xdg_positioner_destroy(positioner);
	wl_surface_commit(app->popup.surface);
}

/*
 * --input: what the seat delivers, printed for the test to compare.
 * --cursor / --cursor-shape: the pointer over our surfaces shows a known
 * image and hotspot, or a shape from the compositor's cursor theme.
 */

static const char *surface_name(struct app *app, struct wl_surface *surface) {
	return surface != NULL && surface == app->main.surface ? "main" : "other";
}

static void pointer_handle_enter(void *data, struct wl_pointer *pointer, uint32_t serial,
		struct wl_surface *surface, wl_fixed_t x, wl_fixed_t y) {
	struct app *app = data;
	if (app->cursor_shape_device != NULL) {
		wp_cursor_shape_device_v1_set_shape(app->cursor_shape_device, serial,
			app->opts.cursor_shape);
	} else if (app->opts.cursor_hidden) {
		wl_pointer_set_cursor(pointer, serial, NULL, 0, 0);
	} else if (app->opts.cursor.set) {
		const struct rect_spec *spec = &app->opts.cursor;
		if (app->cursor.surface == NULL) {
			app->cursor.surface = wl_compositor_create_surface(client.compositor);
			present_solid(app, &app->cursor, spec, spec->width, spec->height, -1);
		}
		wl_pointer_set_cursor(pointer, serial, app->cursor.surface, spec->x, spec->y);
	}
	/* The cursor is set by the time the test reads the enter. */
	wl_display_flush(client.display);
	if (app->opts.input) {
		reply("pointer-enter %s %.2f %.2f", surface_name(app, surface),
			wl_fixed_to_double(x), wl_fixed_to_double(y));
	}
}

static void pointer_handle_leave(void *data, struct wl_pointer *pointer, uint32_t serial,
		struct wl_surface *surface) {
	struct app *app = data;
	if (app->opts.input) {
		reply("pointer-leave");
	}
}

static void pointer_handle_motion(void *data, struct wl_pointer *pointer, uint32_t time,
		wl_fixed_t x, wl_fixed_t y) {
	struct app *app = data;
	if (app->opts.input) {
		reply("pointer-motion %.2f %.2f", wl_fixed_to_double(x), wl_fixed_to_double(y));
	}
}

/*
 * --click-color: a game's loop. Every frame callback draws the current state
 * and asks for the next one; a button press only changes the state, which
 * the next frame shows. On pinhole's stepped clock an input sent before a
 * step is therefore in that step's frame.
 */
static void game_frame_done(void *data, struct wl_callback *callback, uint32_t time) {
	wl_callback_destroy(callback);
	game_draw(data);
}

static const struct wl_callback_listener game_frame_listener = {
	.done = game_frame_done,
};

static void game_draw(struct app *app) {
	struct buffer *buffer = surface_acquire(app, &app->main, app->width, app->height);
	if (buffer != NULL) {
		fill_rect(buffer, 0, 0, buffer->width, buffer->height,
			pixel_value(app->fill_color, app->opts.shm_format));
		wl_surface_attach(app->main.surface, buffer->wl_buffer, 0, 0);
		wl_surface_damage_buffer(app->main.surface, 0, 0, buffer->width, buffer->height);
		buffer->busy = true;
		app->main.front = buffer;
	}
	struct wl_callback *callback = wl_surface_frame(app->main.surface);
	wl_callback_add_listener(callback, &game_frame_listener, app);
	wl_surface_commit(app->main.surface);
}

static void pointer_handle_button(void *data, struct wl_pointer *pointer, uint32_t serial,
		uint32_t time, uint32_t button, uint32_t state) {
	struct app *app = data;
	if (app->opts.has_click_color && state == WL_POINTER_BUTTON_STATE_PRESSED) {
		/* The state every redraw shows (a configure's too), not only the game's. */
		app->fill_color = app->opts.click_color;
		app->fill_quad = app->fill_xy = false;
	}
	if (app->opts.input) {
		reply("pointer-button %u %s", button,
			state == WL_POINTER_BUTTON_STATE_PRESSED ? "pressed" : "released");
	}
}

static void pointer_handle_axis(void *data, struct wl_pointer *pointer, uint32_t time,
		uint32_t axis, wl_fixed_t value) {
	struct app *app = data;
	if (app->opts.input) {
		reply("pointer-axis %u %.2f", axis, wl_fixed_to_double(value));
	}
}

static const struct wl_pointer_listener pointer_listener = {
	.enter = pointer_handle_enter,
	.leave = pointer_handle_leave,
	.motion = pointer_handle_motion,
	.button = pointer_handle_button,
	.axis = pointer_handle_axis,
	.frame = client_noop_pointer_frame,
	.axis_source = client_noop_pointer_axis_source,
	.axis_stop = client_noop_pointer_axis_stop,
	.axis_discrete = client_noop_pointer_axis_discrete,
};

static void keyboard_handle_keymap(void *data, struct wl_keyboard *keyboard, uint32_t format,
		int32_t fd, uint32_t size) {
	struct app *app = data;
	if (format != WL_KEYBOARD_KEYMAP_FORMAT_XKB_V1) {
		close(fd);
		reply("keymap-unsupported %u", format);
		return;
	}
	char *text = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (text == MAP_FAILED) {
		reply("keymap-error mmap");
		return;
	}
	struct xkb_keymap *keymap = xkb_keymap_new_from_string(app->xkb_context, text,
		XKB_KEYMAP_FORMAT_TEXT_V1, XKB_KEYMAP_COMPILE_NO_FLAGS);
	munmap(text, size);
	if (keymap == NULL) {
		reply("keymap-error compile");
		return;
	}
	xkb_state_unref(app->xkb_state);
	xkb_keymap_unref(app->xkb_keymap);
	app->xkb_keymap = keymap;
	app->xkb_state = xkb_state_new(keymap);
	if (app->opts.keymap) {
		const char *name = xkb_keymap_layout_get_name(keymap, 0);
		reply("keymap %s", name != NULL ? name : "(unnamed)");
	}
}

static void keyboard_handle_enter(void *data, struct wl_keyboard *keyboard, uint32_t serial,
		struct wl_surface *surface, struct wl_array *keys) {
	reply("keyboard-enter %s", surface_name(data, surface));
}

static void keyboard_handle_leave(void *data, struct wl_keyboard *keyboard, uint32_t serial,
		struct wl_surface *surface) {
	reply("keyboard-leave");
}

static void keyboard_handle_key(void *data, struct wl_keyboard *keyboard, uint32_t serial,
		uint32_t time, uint32_t key, uint32_t state) {
	struct app *app = data;
	char name[64] = "unknown";
	if (app->xkb_state != NULL) {
		/* evdev code + 8 = XKB keycode */
		xkb_keysym_t sym = xkb_state_key_get_one_sym(app->xkb_state, key + 8);
		xkb_keysym_get_name(sym, name, sizeof(name));
	}
	reply("key %u %s %s", key, state == WL_KEYBOARD_KEY_STATE_PRESSED ? "pressed" :
		"released", name);
}

static void keyboard_handle_modifiers(void *data, struct wl_keyboard *keyboard,
		uint32_t serial, uint32_t depressed, uint32_t latched, uint32_t locked,
		uint32_t group) {
	struct app *app = data;
	if (app->xkb_state != NULL) {
		xkb_state_update_mask(app->xkb_state, depressed, latched, locked, 0, 0, group);
	}
	reply("modifiers %u %u %u %u", depressed, latched, locked, group);
}

static void keyboard_handle_repeat_info(void *data, struct wl_keyboard *keyboard,
		int32_t rate, int32_t delay) {
	struct app *app = data;
	if (app->opts.keymap) {
		reply("repeat %d %d", rate, delay);
	}
}

static const struct wl_keyboard_listener keyboard_listener = {
	.keymap = keyboard_handle_keymap,
	.enter = keyboard_handle_enter,
	.leave = keyboard_handle_leave,
	.key = keyboard_handle_key,
	.modifiers = keyboard_handle_modifiers,
	.repeat_info = keyboard_handle_repeat_info,
};

static bool needs_seat(const struct options *opts) {
	return opts->input || opts->cursor.set || opts->cursor_hidden || opts->cursor_shape != 0 ||
		opts->has_click_color;
}

static void handle_seat_capabilities(uint32_t caps) {
	struct app *app = &paint;
	if (!needs_seat(&app->opts)) {
		return;
	}
	struct wl_seat *seat = client.seat;
	bool has_pointer = caps & WL_SEAT_CAPABILITY_POINTER;
	bool has_keyboard = caps & WL_SEAT_CAPABILITY_KEYBOARD;
	if (has_pointer && app->pointer == NULL) {
		app->pointer = wl_seat_get_pointer(seat);
		wl_pointer_add_listener(app->pointer, &pointer_listener, app);
		if (app->cursor_shape_manager != NULL) {
			app->cursor_shape_device = wp_cursor_shape_manager_v1_get_pointer(
				app->cursor_shape_manager, app->pointer);
		}
	} else if (!has_pointer && app->pointer != NULL) {
		if (app->cursor_shape_device != NULL) {
			wp_cursor_shape_device_v1_destroy(app->cursor_shape_device);
			app->cursor_shape_device = NULL;
		}
		wl_pointer_release(app->pointer);
		app->pointer = NULL;
	}
	if (!app->opts.input) {
		return;
	}
	if (has_keyboard && app->keyboard == NULL) {
		app->keyboard = wl_seat_get_keyboard(seat);
		wl_keyboard_add_listener(app->keyboard, &keyboard_listener, app);
	} else if (!has_keyboard && app->keyboard != NULL) {
		wl_keyboard_release(app->keyboard);
		app->keyboard = NULL;
	}
	reply("seat%s%s", has_pointer ? " pointer" : "", has_keyboard ? " keyboard" : "");
}

static void bind_global(struct wl_registry *registry, uint32_t name, const char *interface,
		uint32_t version) {
	struct app *app = &paint;
	if (strcmp(interface, wl_subcompositor_interface.name) == 0) {
		app->subcompositor = wl_registry_bind(registry, name,
			&wl_subcompositor_interface, 1);
	} else if (strcmp(interface, wp_cursor_shape_manager_v1_interface.name) == 0 &&
			app->opts.cursor_shape != 0) {
		app->cursor_shape_manager = wl_registry_bind(registry, name,
			&wp_cursor_shape_manager_v1_interface, 1);
	}
}

static bool require_global(const void *global, const char *name) {
	if (global == NULL) {
		fprintf(stderr, "ph-paint: compositor lacks %s\n", name);
	}
	return global != NULL;
}

static bool has_globals(struct app *app) {
	if (wl_display_get_error(client.display) != 0) {
		return false;
	}
	bool ok = require_global(client.compositor, "wl_compositor v4");
	ok = require_global(client.shm, "wl_shm") && ok;
	ok = require_global(client.wm_base, "xdg_wm_base") && ok;
	if (app->opts.subsurface.set) {
		ok = require_global(app->subcompositor, "wl_subcompositor") && ok;
	}
	if (app->opts.cursor_shape != 0) {
		ok = require_global(app->cursor_shape_manager, "wp_cursor_shape_manager_v1") && ok;
	}
	if (app->opts.input || app->opts.cursor.set || app->opts.cursor_hidden ||
			app->opts.cursor_shape != 0) {
		ok = require_global(client.seat, "wl_seat v5") && ok;
	}
	return ok;
}

static void create_toplevel(struct app *app) {
	app->main.surface = wl_compositor_create_surface(client.compositor);
	app->xdg_surface = xdg_wm_base_get_xdg_surface(client.wm_base,
		app->main.surface);
	xdg_surface_add_listener(app->xdg_surface, &xdg_surface_listener, app);
	app->toplevel = xdg_surface_get_toplevel(app->xdg_surface);
	xdg_toplevel_add_listener(app->toplevel, &toplevel_listener, app);
	xdg_toplevel_set_title(app->toplevel, app->opts.title);
	xdg_toplevel_set_app_id(app->toplevel, app->opts.app_id);
	if (app->opts.fullscreen) {
		xdg_toplevel_set_fullscreen(app->toplevel, NULL);
	}
	wl_surface_commit(app->main.surface);
}

static int split_tokens(char *line, char *tokens[]) {
	int n = 0;
	for (char *tok = strtok(line, " \t\r"); tok != NULL;
			tok = strtok(NULL, " \t\r")) {
		if (n == MAX_TOKENS) {
			return -1;
		}
		tokens[n++] = tok;
	}
	return n;
}

static void command_color(struct app *app, char *tokens[], int n) {
	uint32_t color;
	if (n != 2 || !parse_color(tokens[1], &color)) {
		reply("error usage: color 0xAARRGGBB");
		return;
	}
	struct buffer *buffer = surface_acquire(app, &app->main,
		app->width, app->height);
	if (buffer == NULL) {
		return;
	}
	app->fill_quad = app->fill_xy = false;
	app->fill_color = color;
	fill_rect(buffer, 0, 0, buffer->width, buffer->height,
		pixel_value(color, app->opts.shm_format));
	surface_present(app, &app->main, buffer, 0, 0,
		buffer->width, buffer->height, REPLY_OK);
}

static void command_rect(struct app *app, char *tokens[], int n) {
	int x, y, w, h;
	uint32_t color;
	if (n != 6 || !parse_int(tokens[1], &x) || !parse_int(tokens[2], &y) ||
			!parse_int(tokens[3], &w) || !parse_int(tokens[4], &h) ||
			!parse_color(tokens[5], &color)) {
		reply("error usage: rect X Y W H 0xAARRGGBB");
		return;
	}
	/* Clip in 64 bits so that huge values cannot overflow. */
	int64_t x0 = x > 0 ? x : 0, y0 = y > 0 ? y : 0;
	int64_t x1 = (int64_t)x + w, y1 = (int64_t)y + h;
	x1 = x1 < app->width ? x1 : app->width;
	y1 = y1 < app->height ? y1 : app->height;
	if (w <= 0 || h <= 0 || x1 <= x0 || y1 <= y0) {
		/* Nothing would be rendered, so no frame callback would come. */
		reply("error rect is empty or outside the %dx%d buffer",
			app->width, app->height);
		return;
	}
	struct buffer *buffer = surface_acquire(app, &app->main,
		app->width, app->height);
	if (buffer == NULL) {
		return;
	}
	/* Start from what is shown so that rects accumulate. */
	if (app->main.front != NULL && app->main.front != buffer) {
		memcpy(buffer->data, app->main.front->data, buffer->size);
	}
	int rx = (int)x0, ry = (int)y0, rw = (int)(x1 - x0), rh = (int)(y1 - y0);
	fill_rect(buffer, rx, ry, rw, rh, pixel_value(color, app->opts.shm_format));
	surface_present(app, &app->main, buffer, rx, ry, rw, rh, REPLY_OK);
}

/* The rectangle in pattern_xy of SEED, over what is shown. */
static void command_xy(struct app *app, char *tokens[], int n) {
	int seed, x, y, w, h;
	if (n != 6 || !parse_int(tokens[1], &seed) || !parse_int(tokens[2], &x) ||
			!parse_int(tokens[3], &y) || !parse_int(tokens[4], &w) ||
			!parse_int(tokens[5], &h)) {
		reply("error usage: xy SEED X Y W H");
		return;
	}
	if (x < 0 || y < 0 || w <= 0 || h <= 0 || x > app->width - w || y > app->height - h) {
		reply("error rect is empty or outside the %dx%d buffer", app->width, app->height);
		return;
	}
	struct buffer *buffer = surface_acquire(app, &app->main, app->width, app->height);
	if (buffer == NULL) {
		return;
	}
	if (app->main.front != NULL && app->main.front != buffer) {
		memcpy(buffer->data, app->main.front->data, buffer->size);
	}
	fill_xy(buffer, x, y, w, h, (uint32_t)seed);
	surface_present(app, &app->main, buffer, x, y, w, h, REPLY_OK);
}

/*
 * A client that shrinks its pool under the compositor after committing: the
 * compositor's next read of the buffer faults (SIGBUS) unless it is ready
 * for it. Our own mapping goes first, so that we cannot fault ourselves.
 */
static void command_truncate(struct app *app, char *tokens[], int n) {
	struct buffer *buffer = app->main.front;
	int bytes = 0;
	if (n > 2 || (n == 2 && (!parse_int(tokens[1], &bytes) || bytes < 0))) {
		reply("error usage: truncate [BYTES]");
		return;
	}
	if (buffer == NULL || (size_t)bytes >= buffer->size) {
		reply("error nothing committed yet, or not smaller than the buffer");
		return;
	}
	munmap(buffer->data, buffer->size);
	buffer->data = mmap(NULL, buffer->size, PROT_READ | PROT_WRITE,
		MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buffer->data == MAP_FAILED || ftruncate(buffer->fd, bytes) != 0) {
		perror("ph-paint: truncate");
		app->running = false;
		app->exit_code = 1;
		return;
	}
	app->truncated = true;
	reply("truncated");
}

/* A busy picture that changes everywhere: benchmarks' worst case. */
static void command_noise(struct app *app, char *tokens[], int n) {
	int seed;
	if (n != 2 || !parse_int(tokens[1], &seed)) {
		reply("error usage: noise SEED");
		return;
	}
	struct buffer *buffer = surface_acquire(app, &app->main, app->width, app->height);
	if (buffer == NULL) {
		return;
	}
	app->fill_quad = app->fill_xy = false;
	uint32_t state = (uint32_t)seed * 2654435761u + 1;
	for (int y = 0; y < buffer->height; y += 16) {
		for (int x = 0; x < buffer->width; x += 16) {
			state ^= state << 13;
			state ^= state >> 17;
			state ^= state << 5;
			int w = buffer->width - x < 16 ? buffer->width - x : 16;
			int h = buffer->height - y < 16 ? buffer->height - y : 16;
			fill_rect(buffer, x, y, w, h,
				pixel_value(0xff000000u | (state & 0xffffff), app->opts.shm_format));
		}
	}
	surface_present(app, &app->main, buffer, 0, 0, buffer->width, buffer->height, REPLY_OK);
}

/* A desynchronized subsurface commits on its own, as video players' do. */
static void command_sub_color(struct app *app, char *tokens[], int n) {
	uint32_t color;
	if (n != 2 || !parse_color(tokens[1], &color)) {
		reply("error usage: sub-color 0xAARRGGBB");
		return;
	}
	if (app->sub.surface == NULL) {
		reply("error no subsurface (--subsurface)");
		return;
	}
	wl_subsurface_set_desync(app->subsurface);
	struct rect_spec spec = app->opts.subsurface;
	spec.color = color;
	present_solid(app, &app->sub, &spec, spec.width, spec.height, REPLY_OK);
}

static void handle_command(struct app *app, char *line) {
	char *tokens[MAX_TOKENS];
	int n = split_tokens(line, tokens);
	if (n == 0) {
		return;
	} else if (n < 0) {
		reply("error too many arguments");
	} else if (app->truncated && strcmp(tokens[0], "quit") != 0) {
		reply("error the pool was truncated: nothing more is drawn");
	} else if (strcmp(tokens[0], "color") == 0) {
		command_color(app, tokens, n);
	} else if (strcmp(tokens[0], "rect") == 0) {
		command_rect(app, tokens, n);
	} else if (strcmp(tokens[0], "sub-color") == 0) {
		command_sub_color(app, tokens, n);
	} else if (strcmp(tokens[0], "noise") == 0) {
		command_noise(app, tokens, n);
	} else if (strcmp(tokens[0], "xy") == 0) {
		command_xy(app, tokens, n);
	} else if (strcmp(tokens[0], "truncate") == 0) {
		command_truncate(app, tokens, n);
	} else if (strcmp(tokens[0], "quit") == 0) {
		app->running = false;
	} else {
		reply("error unknown command '%s'", tokens[0]);
	}
}

static bool has_free_main_buffer(struct app *app) {
	for (size_t i = 0; i < POOL_SIZE; i++) {
		struct buffer *buffer = app->main.pool[i];
		if (buffer == NULL || !buffer->busy) {
			return true;
		}
	}
	return false;
}

/*
 * Draw what configures asked for, then run queued commands. Both wait while
 * every buffer is held by the compositor; a release brings us back here.
 */
static void do_work(struct app *app) {
	if (app->needs_redraw) {
		if (app->opts.subsurface.set && app->sub.surface == NULL) {
			create_subsurface(app);
		}
		if (!redraw_main(app)) {
			return;
		}
		app->mapped = true;
	}
	while (app->running && app->mapped && has_free_main_buffer(app)) {
		char *newline = memchr(app->input, '\n', app->input_len);
		if (newline == NULL) {
			return;
		}
		*newline = '\0';
		handle_command(app, app->input);
		size_t used = newline + 1 - app->input;
		app->input_len -= used;
		memmove(app->input, newline + 1, app->input_len);
	}
}

static bool has_queued_command(struct app *app) {
	return memchr(app->input, '\n', app->input_len) != NULL;
}

static void read_stdin(struct app *app) {
	if (app->input_len == sizeof(app->input)) {
		reply("error line too long");
		app->input_len = 0;
	}
	ssize_t n = read(STDIN_FILENO, app->input + app->input_len,
		sizeof(app->input) - app->input_len);
	if (n < 0 && (errno == EINTR || errno == EAGAIN)) {
		return;
	}
	if (n <= 0) {
		/* Tests may close stdin or give /dev/null: just stop reading. */
		app->stdin_open = false;
		if (app->input_len > 0 && !has_queued_command(app) &&
				app->input_len < sizeof(app->input)) {
			/* A last line without newline still counts. */
			app->input[app->input_len++] = '\n';
		}
		return;
	}
	app->input_len += n;
}

static int report_display_error(struct app *app) {
	int err = wl_display_get_error(client.display);
	if (err == EPROTO) {
		const struct wl_interface *interface = NULL;
		uint32_t id = 0;
		uint32_t code = wl_display_get_protocol_error(client.display,
			&interface, &id);
		fprintf(stderr, "ph-paint: protocol error %u on %s#%u\n", code,
			interface != NULL ? interface->name : "?", id);
	} else {
		fprintf(stderr, "ph-paint: connection to the compositor lost: %s\n",
			strerror(err != 0 ? err : EPIPE));
	}
	return 1;
}

static int setup_signals(void) {
	sigset_t mask;
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0) {
		return -1;
	}
	/* A test that stops reading our stdout must not kill us mid-write. */
	signal(SIGPIPE, SIG_IGN);
	return signalfd(-1, &mask, SFD_CLOEXEC);
}

static int run(struct app *app) {
	struct pollfd fds[3] = {
		{ .fd = wl_display_get_fd(client.display) },
		{ .fd = -1, .events = POLLIN },
		{ .fd = app->signal_fd, .events = POLLIN },
	};
	while (app->running) {
		if (wl_display_dispatch_pending(client.display) < 0) {
			return report_display_error(app);
		}
		do_work(app);
		if (!app->running) {
			break;
		}
		if (wl_display_prepare_read(client.display) != 0) {
			continue; /* events got queued meanwhile */
		}
		int flushed = wl_display_flush(client.display);
		if (flushed < 0 && errno != EAGAIN) {
			wl_display_cancel_read(client.display);
			return report_display_error(app);
		}
		fds[0].events = POLLIN | (flushed < 0 ? POLLOUT : 0);
		/* Queued commands wait for a buffer; don't read more meanwhile. */
		fds[1].fd = app->stdin_open && !has_queued_command(app) ?
			STDIN_FILENO : -1;
		if (poll(fds, 3, -1) < 0) {
			wl_display_cancel_read(client.display);
			if (errno == EINTR) {
				continue;
			}
			perror("ph-paint: poll");
			return 1;
		}
		if (fds[0].revents != 0) {
			if (wl_display_read_events(client.display) < 0) {
				return report_display_error(app);
			}
		} else {
			wl_display_cancel_read(client.display);
		}
		if (fds[1].revents & POLLNVAL) {
			app->stdin_open = false;
		} else if (fds[1].revents != 0) {
			read_stdin(app);
		}
		if (fds[2].revents != 0) {
			app->running = false; /* SIGTERM/SIGINT: a normal way to stop */
		}
	}
	return app->exit_code;
}

static void app_finish(struct app *app) {
	struct frame_wait *wait, *tmp;
	wl_list_for_each_safe(wait, tmp, &app->frame_waits, link) {
		wl_callback_destroy(wait->callback);
		wl_list_remove(&wait->link);
		free(wait);
	}
	if (app->subsurface != NULL) {
		wl_subsurface_destroy(app->subsurface);
	}
	surface_finish(&app->sub);
	if (app->xdg_popup != NULL) {
		xdg_popup_destroy(app->xdg_popup);
	}
	if (app->popup_xdg_surface != NULL) {
		xdg_surface_destroy(app->popup_xdg_surface);
	}
	surface_finish(&app->popup);
	if (app->toplevel != NULL) {
		xdg_toplevel_destroy(app->toplevel);
	}
	if (app->xdg_surface != NULL) {
		xdg_surface_destroy(app->xdg_surface);
	}
	surface_finish(&app->main);
	surface_finish(&app->cursor);
	if (app->cursor_shape_device != NULL) {
		wp_cursor_shape_device_v1_destroy(app->cursor_shape_device);
	}
	if (app->cursor_shape_manager != NULL) {
		wp_cursor_shape_manager_v1_destroy(app->cursor_shape_manager);
	}
	if (app->pointer != NULL) {
		wl_pointer_release(app->pointer);
	}
	if (app->keyboard != NULL) {
		wl_keyboard_release(app->keyboard);
	}
	xkb_state_unref(app->xkb_state);
	xkb_keymap_unref(app->xkb_keymap);
	xkb_context_unref(app->xkb_context);
	if (app->subcompositor != NULL) {
		wl_subcompositor_destroy(app->subcompositor);
	}
	client_disconnect(&client);
	if (app->signal_fd >= 0) {
		close(app->signal_fd);
	}
}

int main(int argc, char *argv[]) {
	struct app *app = &paint;
	if (!parse_options(&app->opts, argc, argv)) {
		usage(stderr);
		return 2;
	}
	app->width = app->opts.width;
	app->height = app->opts.height;
	app->fill_quad = app->opts.quad;
	app->fill_xy = app->opts.xy;
	app->fill_color = app->opts.color;
	wl_list_init(&app->frame_waits);
	app->xkb_context = xkb_context_new(XKB_CONTEXT_NO_FLAGS);
	setvbuf(stdout, NULL, _IOLBF, 0);

	app->signal_fd = setup_signals();
	if (app->signal_fd < 0) {
		perror("ph-paint: signalfd");
		return 1;
	}
	client.bind_global = bind_global;
	client.handle_seat_capabilities = handle_seat_capabilities;
	client_connect(&client);
	int ret = 1;
	if (has_globals(app)) {
		create_toplevel(app);
		ret = run(app);
	} else if (wl_display_get_error(client.display) != 0) {
		ret = report_display_error(app);
	}
	app_finish(app);
	return ret;
}
