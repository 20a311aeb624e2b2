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
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wayland-client.h>
#include "client-common.h"
#include "xdg-activation-v1-client-protocol.h"
#include "xdg-shell-client-protocol.h"

struct app {
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
	struct xdg_activation_token_v1 *token; /* waiting for done */
	struct xdg_surface *dialog_xdg_surface;
	struct xdg_toplevel *dialog_toplevel;
};

/* File-scope: the seat's listeners and bind_global get no data pointer. */
static struct client client = {.program = "ph-window", .wm_base_version = 6};
static struct app app = {.color = 0x3366cc, .width = 160, .height = 120};

/* A fresh buffer each time: windows here are redrawn only on configures. */
static void draw(int width, int height) {
	wl_surface_attach(app.surface, client_solid_buffer(&client, width, height,
		WL_SHM_FORMAT_XRGB8888, 0xff000000u | app.color), 0, 0);
	wl_surface_damage_buffer(app.surface, 0, 0, width, height);
	wl_surface_commit(app.surface);
	if (width != app.drawn_width || height != app.drawn_height) {
		app.drawn_width = width;
		app.drawn_height = height;
		reply("ready %dx%d", width, height);
	}
}

static void xdg_surface_handle_configure(void *data, struct xdg_surface *xdg_surface,
		uint32_t serial) {
	xdg_surface_ack_configure(xdg_surface, serial);
	int width = app.configure_width > 0 ? app.configure_width : app.width;
	int height = app.configure_height > 0 ? app.configure_height : app.height;
	draw(width, height);
}

static const struct xdg_surface_listener xdg_surface_listener = {
	.configure = xdg_surface_handle_configure,
};

static void toplevel_handle_configure(void *data, struct xdg_toplevel *toplevel,
		int32_t width, int32_t height, struct wl_array *states) {
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
	reply("configure %d %d %s", width, height, list[0] ? list : "-");
	app.configure_width = width;
	app.configure_height = height;
}

static void toplevel_handle_close(void *data, struct xdg_toplevel *toplevel) {
	reply("close");
	client.running = false;
}

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
	reply("wm-capabilities %s", list[0] ? list : "-");
}

static const struct xdg_toplevel_listener toplevel_listener = {
	.configure = toplevel_handle_configure,
	.close = toplevel_handle_close,
	.configure_bounds = client_noop_toplevel_configure_bounds,
	.wm_capabilities = toplevel_handle_wm_capabilities,
};

static void keyboard_handle_enter(void *data, struct wl_keyboard *keyboard, uint32_t serial,
		struct wl_surface *surface, struct wl_array *keys) {
	app.input_serial = serial;
	reply("keyboard-enter");
}

static void keyboard_handle_leave(void *data, struct wl_keyboard *keyboard, uint32_t serial,
		struct wl_surface *surface) {
	reply("keyboard-leave");
}

static void keyboard_handle_key(void *data, struct wl_keyboard *keyboard, uint32_t serial,
		uint32_t time, uint32_t key, uint32_t state) {
	app.input_serial = serial;
	if (state == WL_KEYBOARD_KEY_STATE_PRESSED) {
		reply("key %u", key);
	}
}

static const struct wl_keyboard_listener keyboard_listener = {
	.keymap = client_noop_keyboard_keymap,
	.enter = keyboard_handle_enter,
	.leave = keyboard_handle_leave,
	.key = keyboard_handle_key,
	.modifiers = client_noop_keyboard_modifiers,
	.repeat_info = client_noop_keyboard_repeat_info,
};

static void pointer_handle_enter(void *data, struct wl_pointer *pointer, uint32_t serial,
		struct wl_surface *surface, wl_fixed_t x, wl_fixed_t y) {
	app.pointer_serial = serial;
	reply("pointer-enter");
}

static const struct wl_pointer_listener pointer_listener = {
	.enter = pointer_handle_enter,
	.leave = client_noop_pointer_leave,
	.motion = client_noop_pointer_motion,
	.button = client_noop_pointer_button,
	.axis = client_noop_pointer_axis,
	.frame = client_noop_pointer_frame,
	.axis_source = client_noop_pointer_axis_source,
	.axis_stop = client_noop_pointer_axis_stop,
	.axis_discrete = client_noop_pointer_axis_discrete,
};

static void bind_global(struct wl_registry *registry, uint32_t name, const char *interface,
		uint32_t version) {
	if (strcmp(interface, xdg_activation_v1_interface.name) == 0) {
		app.activation = wl_registry_bind(registry, name, &xdg_activation_v1_interface, 1);
	}
}

static void token_handle_done(void *data, struct xdg_activation_token_v1 *token,
		const char *string) {
	reply("token %s", string);
	xdg_activation_token_v1_destroy(token);
	app.token = NULL;
}

static const struct xdg_activation_token_v1_listener token_listener = {
	.done = token_handle_done,
};

static void dialog_handle_configure(void *data, struct xdg_surface *xdg_surface,
		uint32_t serial) {
	xdg_surface_ack_configure(xdg_surface, serial);
	/* Drawn with the main window's code on the dialog's surface. */
	struct wl_surface *main_surface = app.surface;
	int drawn_width = app.drawn_width, drawn_height = app.drawn_height;
	app.surface = app.dialog_surface;
	draw(80, 60);
	app.surface = main_surface;
	app.drawn_width = drawn_width;
	app.drawn_height = drawn_height;
}

static const struct xdg_surface_listener dialog_surface_listener = {
	.configure = dialog_handle_configure,
};

static void open_dialog(void) {
	if (app.dialog_surface != NULL) {
		return;
	}
	app.dialog_surface = wl_compositor_create_surface(client.compositor);
	struct xdg_surface *xdg_surface =
		xdg_wm_base_get_xdg_surface(client.wm_base, app.dialog_surface);
	xdg_surface_add_listener(xdg_surface, &dialog_surface_listener, NULL);
	struct xdg_toplevel *toplevel = xdg_surface_get_toplevel(xdg_surface);
	app.dialog_xdg_surface = xdg_surface;
	app.dialog_toplevel = toplevel;
	char app_id[300];
	snprintf(app_id, sizeof(app_id), "%s-dialog", app.app_id);
	xdg_toplevel_set_app_id(toplevel, app_id);
	xdg_toplevel_set_parent(toplevel, app.toplevel);
	wl_surface_commit(app.dialog_surface);
}

static void run_command(void *data, char *line) {
	char cmd[32], arg[256] = "";
	if (sscanf(line, "%31s %255s", cmd, arg) < 1) {
		return;
	}
	if (strcmp(cmd, "quit") == 0) {
		client.running = false;
	} else if (strcmp(cmd, "sync") == 0) {
		wl_display_roundtrip(client.display);
		reply("synced");
	} else if (strcmp(cmd, "token") == 0 || strcmp(cmd, "token-bare") == 0 ||
			strcmp(cmd, "token-pointer") == 0 || strcmp(cmd, "token-commit-twice") == 0) {
		struct xdg_activation_token_v1 *token =
			xdg_activation_v1_get_activation_token(app.activation);
		if (strcmp(cmd, "token") == 0) {
			xdg_activation_token_v1_set_serial(token, app.input_serial, client.seat);
			xdg_activation_token_v1_set_surface(token, app.surface);
		} else if (strcmp(cmd, "token-pointer") == 0) {
			xdg_activation_token_v1_set_serial(token, app.pointer_serial, client.seat);
			xdg_activation_token_v1_set_surface(token, app.surface);
		}
		xdg_activation_token_v1_add_listener(token, &token_listener, NULL);
		app.token = token;
		xdg_activation_token_v1_commit(token);
		if (strcmp(cmd, "token-commit-twice") == 0) {
			xdg_activation_token_v1_commit(token);
		}
	} else if (strcmp(cmd, "activate") == 0) {
		xdg_activation_v1_activate(app.activation, arg, app.surface);
	} else if (strcmp(cmd, "dialog") == 0) {
		open_dialog();
	} else if (strcmp(cmd, "maximize") == 0) {
		xdg_toplevel_set_maximized(app.toplevel);
	} else if (strcmp(cmd, "unmaximize") == 0) {
		xdg_toplevel_unset_maximized(app.toplevel);
	} else if (strcmp(cmd, "minimize") == 0) {
		xdg_toplevel_set_minimized(app.toplevel);
	} else if (strcmp(cmd, "fullscreen") == 0) {
		xdg_toplevel_set_fullscreen(app.toplevel, NULL);
	} else if (strcmp(cmd, "unfullscreen") == 0) {
		xdg_toplevel_unset_fullscreen(app.toplevel);
	} else {
		reply("error unknown command '%s'", line);
	}
	wl_display_flush(client.display);
}

/* Everything goes, so that LeakSanitizer sees no proxy left. */
static void destroy_all(void) {
	if (app.token != NULL) {
		xdg_activation_token_v1_destroy(app.token);
	}
	if (app.dialog_toplevel != NULL) {
		xdg_toplevel_destroy(app.dialog_toplevel);
		xdg_surface_destroy(app.dialog_xdg_surface);
		wl_surface_destroy(app.dialog_surface);
	}
	if (app.toplevel != NULL) {
		xdg_toplevel_destroy(app.toplevel);
		xdg_surface_destroy(app.xdg_surface);
		wl_surface_destroy(app.surface);
	}
	if (app.activation != NULL) {
		xdg_activation_v1_destroy(app.activation);
	}
	client_disconnect(&client);
}

int main(int argc, char *argv[]) {
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
	client.bind_global = bind_global;
	client.pointer_listener = &pointer_listener;
	client.keyboard_listener = &keyboard_listener;
	client_connect(&client);
	if (client.compositor == NULL || client.shm == NULL || client.wm_base == NULL ||
			client.seat == NULL || app.activation == NULL) {
		fprintf(stderr, "ph-window: missing globals (xdg-activation-v1?)\n");
		return 2;
	}
	app.surface = wl_compositor_create_surface(client.compositor);
	app.xdg_surface = xdg_wm_base_get_xdg_surface(client.wm_base, app.surface);
	xdg_surface_add_listener(app.xdg_surface, &xdg_surface_listener, NULL);
	app.toplevel = xdg_surface_get_toplevel(app.xdg_surface);
	xdg_toplevel_add_listener(app.toplevel, &toplevel_listener, NULL);
	xdg_toplevel_set_app_id(app.toplevel, app.app_id);
	xdg_toplevel_set_title(app.toplevel, app.app_id);
	if (maximized) {
		xdg_toplevel_set_maximized(app.toplevel);
	}
	wl_surface_commit(app.surface);

	/* It goes on when its stdin closes. */
	if (client_run(client.display, &client.running, run_command, NULL) ==
			CLIENT_RUN_STDIN_CLOSED) {
		client_run(client.display, &client.running, NULL, NULL);
	}
	int code = 0;
	if (wl_display_get_error(client.display) != 0) {
		client_report_protocol_error(client.display);
		code = 3;
	}
	destroy_all();
	return code;
}
