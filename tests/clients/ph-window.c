/*
 * ph-window: an xdg-shell window in one colour that reports what the
 * compositor tells it, for window-management and xdg-activation tests.
 * usage: ph-window [--app-id A] [--color 0xRRGGBB] [--size WxH] [--maximized]
 * stdout:
 *   wm-capabilities LIST     (maximize, minimize, fullscreen, window_menu)
 *   configure W H STATES     (STATES: comma-separated or '-')
 *   ready WxH                a buffer of that size was committed
 *   keyboard-enter / keyboard-leave / key CODE (pressed keys, evdev codes)
 *   pointer-enter            the pointer entered the window
 *   token STRING             an xdg_activation_token_v1 was done
 * stdin: 'token' (serial of the last keyboard enter or key, and our surface),
 * 'token-pointer' (serial of the last pointer enter, and our surface),
 * 'token-bare' (neither), 'token-commit-twice' (protocol misuse),
 * 'activate TOKEN', 'maximize', 'unmaximize', 'minimize', 'fullscreen',
 * 'unfullscreen', 'dialog' (a second toplevel, child of the first, app id
 * A-dialog, drawn once), 'sync' (a roundtrip; prints 'synced'), 'quit'.
 * The exit code is 3 after a protocol error, printed as
 * 'protocol-error INTERFACE CODE'.
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
#include <unistd.h>
#include <wayland-client.h>
#include "client-common.h"
#include "xdg-activation-v1-client-protocol.h"
#include "xdg-shell-client-protocol.h"

struct app {
	struct wl_display *display;
	struct wl_compositor *compositor;
	struct wl_shm *shm;
	struct wl_seat *seat;
	struct wl_keyboard *keyboard;
	struct wl_pointer *pointer;
	struct xdg_wm_base *wm_base;
	struct xdg_activation_v1 *activation;
	struct wl_surface *surface;
	struct wl_surface *dialog_surface;
	const char *app_id;
	struct xdg_surface *xdg_surface;
	struct xdg_toplevel *toplevel;
	uint32_t color;
	int width, height; /* what we draw when the compositor lets us choose */
	int configure_width, configure_height;
	int drawn_width, drawn_height;
	uint32_t input_serial; /* of the last keyboard enter or key */
	uint32_t pointer_serial; /* of the last pointer enter */
	struct wl_list buffers; /* struct buffer.link: not yet released */
	struct xdg_activation_token_v1 *token; /* waiting for done */
	struct xdg_surface *dialog_xdg_surface;
	struct xdg_toplevel *dialog_toplevel;
	struct wl_registry *registry;
	bool running;
};

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...) {
	va_list args;
	va_start(args, fmt);
	vprintf(fmt, args);
	va_end(args);
	putchar('\n');
	fflush(stdout);
}

struct buffer {
	struct wl_list link;
	struct wl_buffer *wl_buffer;
};

static void buffer_handle_release(void *data, struct wl_buffer *wl_buffer) {
	struct buffer *buffer = data;
	wl_buffer_destroy(wl_buffer);
	wl_list_remove(&buffer->link);
	free(buffer);
}

static const struct wl_buffer_listener buffer_listener = {
	.release = buffer_handle_release,
};

/* A fresh buffer each time: windows here are redrawn only on configures. */
static void draw(struct app *app, int width, int height) {
	size_t stride = (size_t)width * 4, size = stride * (size_t)height;
	int fd = memfd_create("ph-window", MFD_CLOEXEC);
	if (fd < 0 || ftruncate(fd, (off_t)size) < 0) {
		perror("ph-window: memfd");
		exit(1);
	}
	uint32_t *data = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (data == MAP_FAILED) {
		perror("ph-window: mmap");
		exit(1);
	}
	for (size_t i = 0; i < size / 4; i++) {
		data[i] = 0xff000000u | app->color;
	}
	munmap(data, size);
	struct wl_shm_pool *pool = wl_shm_create_pool(app->shm, fd, (int32_t)size);
	struct wl_buffer *buffer = wl_shm_pool_create_buffer(pool, 0, width, height,
		(int32_t)stride, WL_SHM_FORMAT_XRGB8888);
	wl_shm_pool_destroy(pool);
	close(fd);
	struct buffer *entry = calloc(1, sizeof(*entry));
	if (entry == NULL) {
		abort();
	}
	entry->wl_buffer = buffer;
	wl_list_insert(&app->buffers, &entry->link);
	wl_buffer_add_listener(buffer, &buffer_listener, entry);
	wl_surface_attach(app->surface, buffer, 0, 0);
	wl_surface_damage_buffer(app->surface, 0, 0, width, height);
	wl_surface_commit(app->surface);
	if (width != app->drawn_width || height != app->drawn_height) {
		app->drawn_width = width;
		app->drawn_height = height;
		say("ready %dx%d", width, height);
	}
}

static void xdg_surface_handle_configure(void *data, struct xdg_surface *xdg_surface,
		uint32_t serial) {
	struct app *app = data;
	xdg_surface_ack_configure(xdg_surface, serial);
	int width = app->configure_width > 0 ? app->configure_width : app->width;
	int height = app->configure_height > 0 ? app->configure_height : app->height;
	draw(app, width, height);
}

static const struct xdg_surface_listener xdg_surface_listener = {
	.configure = xdg_surface_handle_configure,
};

static void toplevel_handle_configure(void *data, struct xdg_toplevel *toplevel,
		int32_t width, int32_t height, struct wl_array *states) {
	struct app *app = data;
	static const char *const names[] = {
		[XDG_TOPLEVEL_STATE_MAXIMIZED] = "maximized",
		[XDG_TOPLEVEL_STATE_FULLSCREEN] = "fullscreen",
		[XDG_TOPLEVEL_STATE_RESIZING] = "resizing",
		[XDG_TOPLEVEL_STATE_ACTIVATED] = "activated",
		[XDG_TOPLEVEL_STATE_TILED_LEFT] = "tiled_left",
		[XDG_TOPLEVEL_STATE_TILED_RIGHT] = "tiled_right",
		[XDG_TOPLEVEL_STATE_TILED_TOP] = "tiled_top",
		[XDG_TOPLEVEL_STATE_TILED_BOTTOM] = "tiled_bottom",
		[XDG_TOPLEVEL_STATE_SUSPENDED] = "suspended",
	};
	char list[256] = "";
	uint32_t *state;
	wl_array_for_each(state, states) {
		const char *name = *state < sizeof(names) / sizeof(names[0]) && names[*state] ?
			names[*state] : "?";
		snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s",
			list[0] ? "," : "", name);
	}
	say("configure %d %d %s", width, height, list[0] ? list : "-");
	app->configure_width = width;
	app->configure_height = height;
}

static void toplevel_handle_close(void *data, struct xdg_toplevel *toplevel) {
	struct app *app = data;
	say("close");
	app->running = false;
}

static void toplevel_handle_configure_bounds(void *data, struct xdg_toplevel *toplevel,
	int32_t width, int32_t height) {}

static void toplevel_handle_wm_capabilities(void *data, struct xdg_toplevel *toplevel,
		struct wl_array *capabilities) {
	static const char *const names[] = {
		[XDG_TOPLEVEL_WM_CAPABILITIES_WINDOW_MENU] = "window_menu",
		[XDG_TOPLEVEL_WM_CAPABILITIES_MAXIMIZE] = "maximize",
		[XDG_TOPLEVEL_WM_CAPABILITIES_FULLSCREEN] = "fullscreen",
		[XDG_TOPLEVEL_WM_CAPABILITIES_MINIMIZE] = "minimize",
	};
	char list[128] = "";
	uint32_t *cap;
	wl_array_for_each(cap, capabilities) {
		const char *name = *cap < sizeof(names) / sizeof(names[0]) && names[*cap] ?
			names[*cap] : "?";
		snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s",
			list[0] ? " " : "", name);
	}
	say("wm-capabilities %s", list[0] ? list : "-");
}

static const struct xdg_toplevel_listener toplevel_listener = {
	.configure = toplevel_handle_configure,
	.close = toplevel_handle_close,
	.configure_bounds = toplevel_handle_configure_bounds,
	.wm_capabilities = toplevel_handle_wm_capabilities,
};

static void wm_base_handle_ping(void *data, struct xdg_wm_base *wm_base, uint32_t serial) {
	xdg_wm_base_pong(wm_base, serial);
}

static const struct xdg_wm_base_listener wm_base_listener = {
	.ping = wm_base_handle_ping,
};

static void keyboard_handle_keymap(void *data, struct wl_keyboard *keyboard, uint32_t format,
		int32_t fd, uint32_t size) {
	close(fd);
}

static void keyboard_handle_enter(void *data, struct wl_keyboard *keyboard, uint32_t serial,
		struct wl_surface *surface, struct wl_array *keys) {
	struct app *app = data;
	app->input_serial = serial;
	say("keyboard-enter");
}

static void keyboard_handle_leave(void *data, struct wl_keyboard *keyboard, uint32_t serial,
		struct wl_surface *surface) {
	say("keyboard-leave");
}

static void keyboard_handle_key(void *data, struct wl_keyboard *keyboard, uint32_t serial,
		uint32_t time, uint32_t key, uint32_t state) {
	struct app *app = data;
	app->input_serial = serial;
	if (state == WL_KEYBOARD_KEY_STATE_PRESSED) {
		say("key %u", key);
	}
}

static void keyboard_handle_modifiers(void *data, struct wl_keyboard *keyboard,
	uint32_t serial, uint32_t depressed, uint32_t latched, uint32_t locked, uint32_t group) {}
static void keyboard_handle_repeat_info(void *data, struct wl_keyboard *keyboard,
	int32_t rate, int32_t delay) {}

static const struct wl_keyboard_listener keyboard_listener = {
	.keymap = keyboard_handle_keymap,
	.enter = keyboard_handle_enter,
	.leave = keyboard_handle_leave,
	.key = keyboard_handle_key,
	.modifiers = keyboard_handle_modifiers,
	.repeat_info = keyboard_handle_repeat_info,
};

static void pointer_handle_enter(void *data, struct wl_pointer *pointer, uint32_t serial,
		struct wl_surface *surface, wl_fixed_t x, wl_fixed_t y) {
	struct app *app = data;
	app->pointer_serial = serial;
	say("pointer-enter");
}

static void pointer_handle_leave(void *data, struct wl_pointer *pointer, uint32_t serial,
	struct wl_surface *surface) {}
static void pointer_handle_motion(void *data, struct wl_pointer *pointer, uint32_t time,
	wl_fixed_t x, wl_fixed_t y) {}
static void pointer_handle_button(void *data, struct wl_pointer *pointer, uint32_t serial,
	uint32_t time, uint32_t button, uint32_t state) {}
static void pointer_handle_axis(void *data, struct wl_pointer *pointer, uint32_t time,
	uint32_t axis, wl_fixed_t value) {}
static void pointer_handle_frame(void *data, struct wl_pointer *pointer) {}
static void pointer_handle_axis_source(void *data, struct wl_pointer *pointer,
	uint32_t source) {}
static void pointer_handle_axis_stop(void *data, struct wl_pointer *pointer, uint32_t time,
	uint32_t axis) {}
static void pointer_handle_axis_discrete(void *data, struct wl_pointer *pointer,
	uint32_t axis, int32_t discrete) {}

static const struct wl_pointer_listener pointer_listener = {
	.enter = pointer_handle_enter,
	.leave = pointer_handle_leave,
	.motion = pointer_handle_motion,
	.button = pointer_handle_button,
	.axis = pointer_handle_axis,
	.frame = pointer_handle_frame,
	.axis_source = pointer_handle_axis_source,
	.axis_stop = pointer_handle_axis_stop,
	.axis_discrete = pointer_handle_axis_discrete,
};

static void seat_handle_capabilities(void *data, struct wl_seat *seat, uint32_t caps) {
	struct app *app = data;
	if ((caps & WL_SEAT_CAPABILITY_POINTER) && app->pointer == NULL) {
		app->pointer = wl_seat_get_pointer(seat);
		wl_pointer_add_listener(app->pointer, &pointer_listener, app);
	}
	if ((caps & WL_SEAT_CAPABILITY_KEYBOARD) && app->keyboard == NULL) {
		app->keyboard = wl_seat_get_keyboard(seat);
		wl_keyboard_add_listener(app->keyboard, &keyboard_listener, app);
	}
}

static void seat_handle_name(void *data, struct wl_seat *seat, const char *name) {}

static const struct wl_seat_listener seat_listener = {
	.capabilities = seat_handle_capabilities,
	.name = seat_handle_name,
};

static void registry_global(void *data, struct wl_registry *registry, uint32_t name,
		const char *interface, uint32_t version) {
	struct app *app = data;
	if (strcmp(interface, wl_compositor_interface.name) == 0) {
		app->compositor = wl_registry_bind(registry, name, &wl_compositor_interface, 4);
	} else if (strcmp(interface, wl_shm_interface.name) == 0) {
		app->shm = wl_registry_bind(registry, name, &wl_shm_interface, 1);
	} else if (strcmp(interface, wl_seat_interface.name) == 0 && app->seat == NULL) {
		app->seat = wl_registry_bind(registry, name, &wl_seat_interface, 5);
		wl_seat_add_listener(app->seat, &seat_listener, app);
	} else if (strcmp(interface, xdg_wm_base_interface.name) == 0) {
		app->wm_base = wl_registry_bind(registry, name, &xdg_wm_base_interface,
			version < 6 ? version : 6);
		xdg_wm_base_add_listener(app->wm_base, &wm_base_listener, app);
	} else if (strcmp(interface, xdg_activation_v1_interface.name) == 0) {
		app->activation = wl_registry_bind(registry, name, &xdg_activation_v1_interface, 1);
	}
}

static void registry_global_remove(void *data, struct wl_registry *registry, uint32_t name) {}

static const struct wl_registry_listener registry_listener = {
	.global = registry_global,
	.global_remove = registry_global_remove,
};

static void token_handle_done(void *data, struct xdg_activation_token_v1 *token,
		const char *string) {
	struct app *app = data;
	say("token %s", string);
	xdg_activation_token_v1_destroy(token);
	app->token = NULL;
}

static const struct xdg_activation_token_v1_listener token_listener = {
	.done = token_handle_done,
};

static void dialog_handle_configure(void *data, struct xdg_surface *xdg_surface,
		uint32_t serial) {
	struct app *app = data;
	xdg_surface_ack_configure(xdg_surface, serial);
	/* Drawn with the main window's code on the dialog's surface. */
	struct wl_surface *main_surface = app->surface;
	int drawn_width = app->drawn_width, drawn_height = app->drawn_height;
	app->surface = app->dialog_surface;
	draw(app, 80, 60);
	app->surface = main_surface;
	app->drawn_width = drawn_width;
	app->drawn_height = drawn_height;
}

static const struct xdg_surface_listener dialog_surface_listener = {
	.configure = dialog_handle_configure,
};

static void open_dialog(struct app *app) {
	if (app->dialog_surface != NULL) {
		return;
	}
	app->dialog_surface = wl_compositor_create_surface(app->compositor);
	struct xdg_surface *xdg_surface =
		xdg_wm_base_get_xdg_surface(app->wm_base, app->dialog_surface);
	xdg_surface_add_listener(xdg_surface, &dialog_surface_listener, app);
	struct xdg_toplevel *toplevel = xdg_surface_get_toplevel(xdg_surface);
	app->dialog_xdg_surface = xdg_surface;
	app->dialog_toplevel = toplevel;
	char app_id[300];
	snprintf(app_id, sizeof(app_id), "%s-dialog", app->app_id);
	xdg_toplevel_set_app_id(toplevel, app_id);
	xdg_toplevel_set_parent(toplevel, app->toplevel);
	wl_surface_commit(app->dialog_surface);
}

static void run_command(void *data, char *line) {
	struct app *app = data;
	char cmd[32], arg[256] = "";
	if (sscanf(line, "%31s %255s", cmd, arg) < 1) {
		return;
	}
	if (strcmp(cmd, "quit") == 0) {
		app->running = false;
	} else if (strcmp(cmd, "sync") == 0) {
		wl_display_roundtrip(app->display);
		say("synced");
	} else if (strcmp(cmd, "token") == 0 || strcmp(cmd, "token-bare") == 0 ||
			strcmp(cmd, "token-pointer") == 0 || strcmp(cmd, "token-commit-twice") == 0) {
		struct xdg_activation_token_v1 *token =
			xdg_activation_v1_get_activation_token(app->activation);
		if (strcmp(cmd, "token") == 0) {
			xdg_activation_token_v1_set_serial(token, app->input_serial, app->seat);
			xdg_activation_token_v1_set_surface(token, app->surface);
		} else if (strcmp(cmd, "token-pointer") == 0) {
			xdg_activation_token_v1_set_serial(token, app->pointer_serial, app->seat);
			xdg_activation_token_v1_set_surface(token, app->surface);
		}
		xdg_activation_token_v1_add_listener(token, &token_listener, app);
		app->token = token;
		xdg_activation_token_v1_commit(token);
		if (strcmp(cmd, "token-commit-twice") == 0) {
			xdg_activation_token_v1_commit(token);
		}
	} else if (strcmp(cmd, "activate") == 0) {
		xdg_activation_v1_activate(app->activation, arg, app->surface);
	} else if (strcmp(cmd, "dialog") == 0) {
		open_dialog(app);
	} else if (strcmp(cmd, "maximize") == 0) {
		xdg_toplevel_set_maximized(app->toplevel);
	} else if (strcmp(cmd, "unmaximize") == 0) {
		xdg_toplevel_unset_maximized(app->toplevel);
	} else if (strcmp(cmd, "minimize") == 0) {
		xdg_toplevel_set_minimized(app->toplevel);
	} else if (strcmp(cmd, "fullscreen") == 0) {
		xdg_toplevel_set_fullscreen(app->toplevel, NULL);
	} else if (strcmp(cmd, "unfullscreen") == 0) {
		xdg_toplevel_unset_fullscreen(app->toplevel);
	} else {
		say("error unknown command '%s'", line);
	}
	wl_display_flush(app->display);
}

/* Everything goes, so that LeakSanitizer sees no proxy left. */
static void destroy_all(struct app *app) {
	struct buffer *buffer, *tmp;
	wl_list_for_each_safe(buffer, tmp, &app->buffers, link) {
		wl_buffer_destroy(buffer->wl_buffer);
		wl_list_remove(&buffer->link);
		free(buffer);
	}
	if (app->token != NULL) {
		xdg_activation_token_v1_destroy(app->token);
	}
	if (app->dialog_toplevel != NULL) {
		xdg_toplevel_destroy(app->dialog_toplevel);
		xdg_surface_destroy(app->dialog_xdg_surface);
		wl_surface_destroy(app->dialog_surface);
	}
	if (app->toplevel != NULL) {
		xdg_toplevel_destroy(app->toplevel);
		xdg_surface_destroy(app->xdg_surface);
		wl_surface_destroy(app->surface);
	}
	if (app->pointer != NULL) {
		wl_pointer_destroy(app->pointer);
	}
	if (app->keyboard != NULL) {
		wl_keyboard_destroy(app->keyboard);
	}
	if (app->activation != NULL) {
		xdg_activation_v1_destroy(app->activation);
	}
	if (app->wm_base != NULL) {
		xdg_wm_base_destroy(app->wm_base);
	}
	if (app->seat != NULL) {
		wl_seat_destroy(app->seat);
	}
	if (app->shm != NULL) {
		wl_shm_destroy(app->shm);
	}
	if (app->compositor != NULL) {
		wl_compositor_destroy(app->compositor);
	}
	wl_registry_destroy(app->registry);
}

int main(int argc, char *argv[]) {
	struct app app = {.color = 0x3366cc, .width = 160, .height = 120, .running = true};
	app.app_id = "ph-window";
	bool maximized = false;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--app-id") == 0 && i + 1 < argc) {
			app.app_id = argv[++i];
		} else if (strcmp(argv[i], "--color") == 0 && i + 1 < argc) {
			app.color = (uint32_t)strtoul(argv[++i], NULL, 16) & 0xffffff;
		} else if (strcmp(argv[i], "--size") == 0 && i + 1 < argc &&
				sscanf(argv[i + 1], "%dx%d", &app.width, &app.height) == 2) {
			i++;
		} else if (strcmp(argv[i], "--maximized") == 0) {
			maximized = true;
		} else {
			fprintf(stderr, "usage: ph-window [--app-id A] [--color 0xRRGGBB] [--size WxH] "
				"[--maximized]\n");
			return 1;
		}
	}
	app.display = wl_display_connect(NULL);
	if (app.display == NULL) {
		fprintf(stderr, "ph-window: cannot connect\n");
		return 1;
	}
	wl_list_init(&app.buffers);
	app.registry = wl_display_get_registry(app.display);
	wl_registry_add_listener(app.registry, &registry_listener, &app);
	wl_display_roundtrip(app.display);
	if (app.compositor == NULL || app.shm == NULL || app.wm_base == NULL ||
			app.seat == NULL || app.activation == NULL) {
		fprintf(stderr, "ph-window: missing globals (xdg-activation-v1?)\n");
		return 2;
	}
	app.surface = wl_compositor_create_surface(app.compositor);
	app.xdg_surface = xdg_wm_base_get_xdg_surface(app.wm_base, app.surface);
	xdg_surface_add_listener(app.xdg_surface, &xdg_surface_listener, &app);
	app.toplevel = xdg_surface_get_toplevel(app.xdg_surface);
	xdg_toplevel_add_listener(app.toplevel, &toplevel_listener, &app);
	xdg_toplevel_set_app_id(app.toplevel, app.app_id);
	xdg_toplevel_set_title(app.toplevel, app.app_id);
	if (maximized) {
		xdg_toplevel_set_maximized(app.toplevel);
	}
	wl_surface_commit(app.surface);

	/* It goes on when its stdin closes. */
	if (client_run(app.display, &app.running, run_command, &app) == CLIENT_RUN_STDIN_CLOSED) {
		client_run(app.display, &app.running, NULL, NULL);
	}
	int code = 0;
	if (wl_display_get_error(app.display) != 0) {
		const struct wl_interface *interface = NULL;
		uint32_t protocol_code = wl_display_get_protocol_error(app.display, &interface, NULL);
		say("protocol-error %s %u", interface != NULL ? interface->name : "?", protocol_code);
		code = 3;
	}
	destroy_all(&app);
	wl_display_disconnect(app.display);
	return code;
}
