/*
 * ph-layer: a wlr-layer-shell client with known pixels, for the layer shell
 * tests. One solid surface with the layer, anchors, size, margins, exclusive
 * zone and keyboard interactivity given on the command line, optionally an
 * xdg_popup of it (get_popup). Prints what the compositor tells it, one line
 * each:
 *   configure W H            a layer_surface.configure
 *   mapped W H               the first buffer is committed and the compositor
 *                            has seen it (a roundtrip later)
 *   popup X Y W H            the popup's configure, relative to the surface
 *   closed                   layer_surface.closed (the client stays)
 *   keyboard-enter | keyboard-leave | key CODE pressed|released
 *   pointer-enter X Y | button CODE pressed|released
 *   ti-enter | ti-leave | ti-commit TEXT | ti-done SERIAL
 *                            with --text-input: a zwp_text_input_v3 like a
 *                            launcher's search field, enabled on every enter
 *                            with a cursor rectangle of 10,20 5x15
 * Runs until killed or the connection ends.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wayland-client.h>
#include "client-common.h"
#include "text-input-unstable-v3-client-protocol.h"
#include "wlr-layer-shell-unstable-v1-client-protocol.h"
#include "xdg-shell-client-protocol.h"

static struct client client = {.program = "ph-layer"};

static struct {
	struct zwlr_layer_shell_v1 *layer_shell;
	/* Its own, not client.keyboard: it goes when the seat loses its keyboard,
	 * and a new one comes with the next. */
	struct wl_keyboard *keyboard;
	struct zwp_text_input_manager_v3 *text_input_manager;
	struct zwp_text_input_v3 *text_input;

	struct wl_surface *surface;
	struct zwlr_layer_surface_v1 *layer_surface;
	bool mapped;

	struct wl_surface *popup_surface;
	struct xdg_surface *popup_xdg_surface;
	struct xdg_popup *popup;

	/* Options */
	uint32_t layer, anchor, keyboard_interactivity, exclusive_edge;
	int width, height, exclusive_zone, output_index;
	int margin_top, margin_right, margin_bottom, margin_left;
	uint32_t color;
	const char *namespace;
	bool with_popup, with_text_input;
	int popup_x, popup_y, popup_width, popup_height;
	uint32_t popup_color;
} app = {
	.layer = ZWLR_LAYER_SHELL_V1_LAYER_TOP,
	.width = 100,
	.height = 50,
	.output_index = -1,
	.color = 0xff808080,
	.namespace = "ph-layer",
};

static void attach_solid(struct wl_surface *surface, int width, int height, uint32_t color) {
	wl_surface_attach(surface, client_solid_buffer(&client, width, height,
		WL_SHM_FORMAT_ARGB8888, color), 0, 0);
	wl_surface_damage_buffer(surface, 0, 0, width, height);
	wl_surface_commit(surface);
}

/* Popup */

static void popup_surface_handle_configure(void *data, struct xdg_surface *xdg_surface,
		uint32_t serial) {
	xdg_surface_ack_configure(xdg_surface, serial);
	attach_solid(app.popup_surface, app.popup_width, app.popup_height,
		app.popup_color);
}

static const struct xdg_surface_listener popup_surface_listener = {
	.configure = popup_surface_handle_configure,
};

static void popup_handle_configure(void *data, struct xdg_popup *popup, int32_t x, int32_t y,
		int32_t width, int32_t height) {
	printf("popup %d %d %d %d\n", x, y, width, height);
}

static void popup_handle_done(void *data, struct xdg_popup *popup) {
	printf("popup-done\n");
}

static void popup_handle_repositioned(void *data, struct xdg_popup *popup, uint32_t token) {
}

static const struct xdg_popup_listener popup_listener = {
	.configure = popup_handle_configure,
	.popup_done = popup_handle_done,
	.repositioned = popup_handle_repositioned,
};

/*
 * Below the point (popup_x, popup_y) of the surface, growing right and down;
 * the compositor may flip it up and slide it sideways to keep it on screen.
 */
static void create_popup(void) {
	struct xdg_positioner *positioner = xdg_wm_base_create_positioner(client.wm_base);
	xdg_positioner_set_size(positioner, app.popup_width, app.popup_height);
	xdg_positioner_set_anchor_rect(positioner, app.popup_x, app.popup_y, 1, 1);
	xdg_positioner_set_anchor(positioner, XDG_POSITIONER_ANCHOR_TOP_LEFT);
	xdg_positioner_set_gravity(positioner, XDG_POSITIONER_GRAVITY_BOTTOM_RIGHT);
	xdg_positioner_set_constraint_adjustment(positioner,
		XDG_POSITIONER_CONSTRAINT_ADJUSTMENT_SLIDE_X |
		XDG_POSITIONER_CONSTRAINT_ADJUSTMENT_FLIP_Y);
	app.popup_surface = wl_compositor_create_surface(client.compositor);
	app.popup_xdg_surface = xdg_wm_base_get_xdg_surface(client.wm_base, app.popup_surface);
	xdg_surface_add_listener(app.popup_xdg_surface, &popup_surface_listener, NULL);
	app.popup = xdg_surface_get_popup(app.popup_xdg_surface, NULL, positioner);
	xdg_popup_add_listener(app.popup, &popup_listener, NULL);
	zwlr_layer_surface_v1_get_popup(app.layer_surface, app.popup);
	xdg_positioner_destroy(positioner);
	wl_surface_commit(app.popup_surface);
}

/* Layer surface */

static void layer_surface_handle_configure(void *data, struct zwlr_layer_surface_v1 *surface,
		uint32_t serial, uint32_t width, uint32_t height) {
	printf("configure %u %u\n", width, height);
	zwlr_layer_surface_v1_ack_configure(surface, serial);
	int w = width > 0 ? (int)width : app.width, h = height > 0 ? (int)height : app.height;
	attach_solid(app.surface, w, h, app.color);
	if (!app.mapped) {
		app.mapped = true;
		wl_display_roundtrip(client.display);
		printf("mapped %d %d\n", w, h);
		if (app.with_popup) {
			create_popup();
		}
	}
}

static void layer_surface_handle_closed(void *data, struct zwlr_layer_surface_v1 *surface) {
	printf("closed\n");
}

static const struct zwlr_layer_surface_v1_listener layer_surface_listener = {
	.configure = layer_surface_handle_configure,
	.closed = layer_surface_handle_closed,
};

/* Input */

static void keyboard_handle_enter(void *data, struct wl_keyboard *keyboard, uint32_t serial,
		struct wl_surface *surface, struct wl_array *keys) {
	printf("keyboard-enter\n");
}

static void keyboard_handle_leave(void *data, struct wl_keyboard *keyboard, uint32_t serial,
		struct wl_surface *surface) {
	printf("keyboard-leave\n");
}

static void keyboard_handle_key(void *data, struct wl_keyboard *keyboard, uint32_t serial,
		uint32_t time, uint32_t key, uint32_t state) {
	printf("key %u %s\n", key, state == WL_KEYBOARD_KEY_STATE_PRESSED ? "pressed" : "released");
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
	printf("pointer-enter %s %d %d\n", surface == app.surface ? "surface" : "popup",
		wl_fixed_to_int(x), wl_fixed_to_int(y));
}

static void pointer_handle_button(void *data, struct wl_pointer *pointer, uint32_t serial,
		uint32_t time, uint32_t button, uint32_t state) {
	printf("button %u %s\n", button,
		state == WL_POINTER_BUTTON_STATE_PRESSED ? "pressed" : "released");
}

static const struct wl_pointer_listener pointer_listener = {
	.enter = pointer_handle_enter,
	.leave = client_noop_pointer_leave,
	.motion = client_noop_pointer_motion,
	.button = pointer_handle_button,
	.axis = client_noop_pointer_axis,
	.frame = client_noop_pointer_frame,
	.axis_source = client_noop_pointer_axis_source,
	.axis_stop = client_noop_pointer_axis_stop,
	.axis_discrete = client_noop_pointer_axis_discrete,
};

/* text-input-v3 */

static void text_input_handle_enter(void *data, struct zwp_text_input_v3 *text_input,
		struct wl_surface *surface) {
	printf("ti-enter\n");
	zwp_text_input_v3_enable(text_input);
	zwp_text_input_v3_set_cursor_rectangle(text_input, 10, 20, 5, 15);
	zwp_text_input_v3_commit(text_input);
}

static void text_input_handle_leave(void *data, struct zwp_text_input_v3 *text_input,
		struct wl_surface *surface) {
	printf("ti-leave\n");
	zwp_text_input_v3_disable(text_input);
	zwp_text_input_v3_commit(text_input);
}

static void text_input_handle_preedit_string(void *data, struct zwp_text_input_v3 *text_input,
		const char *text, int32_t begin, int32_t end) {
}

static void text_input_handle_commit_string(void *data, struct zwp_text_input_v3 *text_input,
		const char *text) {
	printf("ti-commit %s\n", text != NULL ? text : "(null)");
}

static void text_input_handle_delete_surrounding_text(void *data,
		struct zwp_text_input_v3 *text_input, uint32_t before, uint32_t after) {
}

static void text_input_handle_done(void *data, struct zwp_text_input_v3 *text_input,
		uint32_t serial) {
	printf("ti-done %u\n", serial);
}

static const struct zwp_text_input_v3_listener text_input_listener = {
	.enter = text_input_handle_enter,
	.leave = text_input_handle_leave,
	.preedit_string = text_input_handle_preedit_string,
	.commit_string = text_input_handle_commit_string,
	.delete_surrounding_text = text_input_handle_delete_surrounding_text,
	.done = text_input_handle_done,
};

static void handle_seat_capabilities(uint32_t caps) {
	if ((caps & WL_SEAT_CAPABILITY_KEYBOARD) && app.keyboard == NULL) {
		app.keyboard = wl_seat_get_keyboard(client.seat);
		wl_keyboard_add_listener(app.keyboard, &keyboard_listener, NULL);
	} else if (!(caps & WL_SEAT_CAPABILITY_KEYBOARD) && app.keyboard != NULL) {
		wl_keyboard_destroy(app.keyboard);
		app.keyboard = NULL;
	}
}

static void bind_global(struct wl_registry *registry, uint32_t name, const char *interface,
		uint32_t version) {
	if (strcmp(interface, zwlr_layer_shell_v1_interface.name) == 0) {
		app.layer_shell = wl_registry_bind(registry, name, &zwlr_layer_shell_v1_interface,
			version < 5 ? version : 5);
		printf("layer-shell version %u\n", version);
	} else if (strcmp(interface, zwp_text_input_manager_v3_interface.name) == 0) {
		app.text_input_manager = wl_registry_bind(registry, name,
			&zwp_text_input_manager_v3_interface, 1);
	}
}

static uint32_t parse_anchor(const char *text) {
	uint32_t anchor = 0;
	for (const char *c = text; *c != '\0'; c++) {
		switch (*c) {
		case 't':
			anchor |= ZWLR_LAYER_SURFACE_V1_ANCHOR_TOP;
			break;
		case 'b':
			anchor |= ZWLR_LAYER_SURFACE_V1_ANCHOR_BOTTOM;
			break;
		case 'l':
			anchor |= ZWLR_LAYER_SURFACE_V1_ANCHOR_LEFT;
			break;
		case 'r':
			anchor |= ZWLR_LAYER_SURFACE_V1_ANCHOR_RIGHT;
			break;
		default:
			break;
		}
	}
	return anchor;
}

static void usage(FILE *f) {
	fprintf(f,
		"usage: ph-layer [options]\n"
		"  --layer background|bottom|top|overlay   (default top)\n"
		"  --anchor [tblr]*          edges to anchor to (default none: centred)\n"
		"  --size WxH                0 for a side anchored on both edges (default 100x50)\n"
		"  --margin T,R,B,L\n"
		"  --exclusive N             exclusive zone (default 0)\n"
		"  --exclusive-edge [tblr]   set_exclusive_edge (version 5)\n"
		"  --keyboard none|exclusive|on_demand   (default none)\n"
		"  --output N                the N-th wl_output (default: none, the compositor picks)\n"
		"  --color 0xAARRGGBB        (default 0xff808080)\n"
		"  --namespace NAME          (default ph-layer)\n"
		"  --popup X,Y+WxH:0xAARRGGBB  a popup under the surface point X,Y once mapped\n"
		"  --text-input              a text field (zwp_text_input_v3) enabled on enter\n");
}

static bool parse_options(int argc, char *argv[]) {
	static const struct option options[] = {
		{"layer", required_argument, NULL, 'L'},
		{"anchor", required_argument, NULL, 'a'},
		{"size", required_argument, NULL, 's'},
		{"margin", required_argument, NULL, 'm'},
		{"exclusive", required_argument, NULL, 'e'},
		{"exclusive-edge", required_argument, NULL, 'E'},
		{"keyboard", required_argument, NULL, 'k'},
		{"output", required_argument, NULL, 'o'},
		{"color", required_argument, NULL, 'c'},
		{"namespace", required_argument, NULL, 'n'},
		{"popup", required_argument, NULL, 'p'},
		{"text-input", no_argument, NULL, 't'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	static const char *const layers[] = {"background", "bottom", "top", "overlay"};
	static const char *const interactivities[] = {"none", "exclusive", "on_demand"};
	int opt;
	while ((opt = getopt_long(argc, argv, "", options, NULL)) != -1) {
		bool ok = true;
		switch (opt) {
		case 'L':
			ok = false;
			for (uint32_t i = 0; i < 4; i++) {
				if (strcmp(optarg, layers[i]) == 0) {
					app.layer = i;
					ok = true;
				}
			}
			break;
		case 'a':
			app.anchor = parse_anchor(optarg);
			break;
		case 't':
			app.with_text_input = true;
			break;
		case 's':
			ok = sscanf(optarg, "%dx%d", &app.width, &app.height) == 2;
			break;
		case 'm':
			ok = sscanf(optarg, "%d,%d,%d,%d", &app.margin_top, &app.margin_right,
				&app.margin_bottom, &app.margin_left) == 4;
			break;
		case 'e':
			app.exclusive_zone = atoi(optarg);
			break;
		case 'E':
			app.exclusive_edge = parse_anchor(optarg);
			break;
		case 'k':
			ok = false;
			for (uint32_t i = 0; i < 3; i++) {
				if (strcmp(optarg, interactivities[i]) == 0) {
					app.keyboard_interactivity = i;
					ok = true;
				}
			}
			break;
		case 'o':
			app.output_index = atoi(optarg);
			break;
		case 'c':
			app.color = (uint32_t)strtoul(optarg, NULL, 0);
			break;
		case 'n':
			app.namespace = optarg;
			break;
		case 'p':
			app.with_popup = sscanf(optarg, "%d,%d+%dx%d:%x", &app.popup_x, &app.popup_y,
				&app.popup_width, &app.popup_height, &app.popup_color) == 5;
			ok = app.with_popup;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			ok = false;
		}
		if (!ok) {
			usage(stderr);
			return false;
		}
	}
	return true;
}

int main(int argc, char *argv[]) {
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!parse_options(argc, argv)) {
		return 2;
	}
	client.bind_global = bind_global;
	client.pointer_listener = &pointer_listener;
	client.handle_seat_capabilities = handle_seat_capabilities;
	/* What the compositor takes back stays bound on purpose: the compositor
	 * must close the surface, not the client. */
	client_connect(&client);
	if (client.compositor == NULL || client.shm == NULL || app.layer_shell == NULL ||
			client.wm_base == NULL) {
		fprintf(stderr, "ph-layer: the compositor lacks wl_compositor, wl_shm, xdg_wm_base "
			"or zwlr_layer_shell_v1\n");
		return 1;
	}
	if (app.output_index >= client.output_count) {
		fprintf(stderr, "ph-layer: no output %d\n", app.output_index);
		return 1;
	}
	wl_display_roundtrip(client.display); /* the seat's capabilities */
	if (app.with_text_input) {
		if (app.text_input_manager == NULL || client.seat == NULL) {
			fprintf(stderr, "ph-layer: the compositor lacks zwp_text_input_manager_v3\n");
			return 1;
		}
		app.text_input = zwp_text_input_manager_v3_get_text_input(app.text_input_manager,
			client.seat);
		zwp_text_input_v3_add_listener(app.text_input, &text_input_listener, NULL);
	}

	app.surface = wl_compositor_create_surface(client.compositor);
	app.layer_surface = zwlr_layer_shell_v1_get_layer_surface(app.layer_shell, app.surface,
		app.output_index >= 0 ? client.outputs[app.output_index] : NULL, app.layer,
		app.namespace);
	zwlr_layer_surface_v1_add_listener(app.layer_surface, &layer_surface_listener, NULL);
	zwlr_layer_surface_v1_set_size(app.layer_surface, (uint32_t)app.width,
		(uint32_t)app.height);
	zwlr_layer_surface_v1_set_anchor(app.layer_surface, app.anchor);
	zwlr_layer_surface_v1_set_margin(app.layer_surface, app.margin_top, app.margin_right,
		app.margin_bottom, app.margin_left);
	zwlr_layer_surface_v1_set_exclusive_zone(app.layer_surface, app.exclusive_zone);
	zwlr_layer_surface_v1_set_keyboard_interactivity(app.layer_surface,
		app.keyboard_interactivity);
	if (app.exclusive_edge != 0) {
		zwlr_layer_surface_v1_set_exclusive_edge(app.layer_surface, app.exclusive_edge);
	}
	wl_surface_commit(app.surface);

	while (wl_display_dispatch(client.display) != -1) {
	}
	int error = wl_display_get_error(client.display);
	uint32_t id;
	const struct wl_interface *interface = NULL;
	uint32_t code = wl_display_get_protocol_error(client.display, &interface, &id);
	if (error == EPROTO) {
		printf("protocol-error %s %u\n", interface != NULL ? interface->name : "?", code);
	} else {
		printf("disconnected: %s\n", strerror(error));
	}
	return 1;
}
