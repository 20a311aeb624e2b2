/*
 * ph-device-client: a window that prints, one line each, what real input
 * devices deliver to it through the seat, pointer-gestures-v1 and tablet-v2
 * (the VM tier drives uinput devices and compares these lines with what
 * they sent). Keys are printed with the keysym the client's own xkbcommon
 * state gives them, from the keymap and modifiers the compositor sent.
 *
 * Options: --size WxH (default 400x300).
 * Commands (stdin): "roundtrip" answers "roundtrip-done" after a roundtrip.
 * Lines: "ready", "pointer-enter X Y", "pointer-leave", "pointer-motion X Y"
 * (surface coordinates, two decimals), "pointer-button B S", "pointer-axis A V",
 * "keyboard-enter", "key K S SYM", "modifiers D L G", "swipe-begin F",
 * "swipe-update DX DY", "swipe-end C", "pinch-begin F",
 * "pinch-update DX DY SCALE ROTATION", "pinch-end C", "hold-begin F",
 * "hold-end C", "tablet-added", "tablet-name NAME", "tool-added",
 * "tool-type T", "tool-proximity-in", "tool-proximity-out", "tool-down",
 * "tool-up", "tool-motion X Y", "tool-pressure P", "tool-button B S",
 * "tool-frame", "pad-added", "pad-enter", "pad-leave", "pad-button B S".
 */
#define _GNU_SOURCE
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <wayland-client.h>
#include <xkbcommon/xkbcommon.h>
#include "client-common.h"
#include "pointer-gestures-unstable-v1-client-protocol.h"
#include "tablet-v2-client-protocol.h"
#include "xdg-shell-client-protocol.h"

static struct client client = {.program = "ph-device-client"};

static struct {
	struct zwp_pointer_gestures_v1 *gestures;
	uint32_t gestures_version;
	struct zwp_tablet_manager_v2 *tablet_manager;

	struct client_window window;

	struct xkb_context *xkb_context;
	struct xkb_keymap *keymap;
	struct xkb_state *xkb_state;
} app = {.window = {.width = 400, .height = 300, .format = WL_SHM_FORMAT_XRGB8888,
	.color = 0xff4080c0}};

/* wl_pointer */

static void pointer_handle_enter(void *data, struct wl_pointer *pointer, uint32_t serial,
		struct wl_surface *surface, wl_fixed_t x, wl_fixed_t y) {
	reply("pointer-enter %.2f %.2f", wl_fixed_to_double(x), wl_fixed_to_double(y));
}

static void pointer_handle_leave(void *data, struct wl_pointer *pointer, uint32_t serial,
		struct wl_surface *surface) {
	reply("pointer-leave");
}

static void pointer_handle_motion(void *data, struct wl_pointer *pointer, uint32_t time,
		wl_fixed_t x, wl_fixed_t y) {
	reply("pointer-motion %.2f %.2f", wl_fixed_to_double(x), wl_fixed_to_double(y));
}

static void pointer_handle_button(void *data, struct wl_pointer *pointer, uint32_t serial,
		uint32_t time, uint32_t button, uint32_t state) {
	reply("pointer-button %u %u", button, state);
}

static void pointer_handle_axis(void *data, struct wl_pointer *pointer, uint32_t time,
		uint32_t axis, wl_fixed_t value) {
	reply("pointer-axis %u %.2f", axis, wl_fixed_to_double(value));
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

/* wl_keyboard */

static void keyboard_handle_keymap(void *data, struct wl_keyboard *keyboard, uint32_t format,
		int32_t fd, uint32_t size) {
	char *map = format == WL_KEYBOARD_KEYMAP_FORMAT_XKB_V1 ?
		mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0) : MAP_FAILED;
	close(fd);
	if (map == MAP_FAILED) {
		return;
	}
	struct xkb_keymap *keymap = xkb_keymap_new_from_string(app.xkb_context, map,
		XKB_KEYMAP_FORMAT_TEXT_V1, XKB_KEYMAP_COMPILE_NO_FLAGS);
	munmap(map, size);
	if (keymap == NULL) {
		reply("keymap-invalid");
		return;
	}
	xkb_state_unref(app.xkb_state);
	xkb_keymap_unref(app.keymap);
	app.keymap = keymap;
	app.xkb_state = xkb_state_new(keymap);
}

static void keyboard_handle_enter(void *data, struct wl_keyboard *keyboard, uint32_t serial,
		struct wl_surface *surface, struct wl_array *keys) {
	reply("keyboard-enter");
}

static void keyboard_handle_leave(void *data, struct wl_keyboard *keyboard, uint32_t serial,
		struct wl_surface *surface) {
	reply("keyboard-leave");
}

static void keyboard_handle_key(void *data, struct wl_keyboard *keyboard, uint32_t serial,
		uint32_t time, uint32_t key, uint32_t state) {
	char name[64] = "none";
	if (app.xkb_state != NULL) {
		xkb_keysym_get_name(xkb_state_key_get_one_sym(app.xkb_state, key + 8), name,
			sizeof(name));
	}
	reply("key %u %u %s", key, state, name);
}

static void keyboard_handle_modifiers(void *data, struct wl_keyboard *keyboard,
		uint32_t serial, uint32_t depressed, uint32_t latched, uint32_t locked,
		uint32_t group) {
	if (app.xkb_state != NULL) {
		xkb_state_update_mask(app.xkb_state, depressed, latched, locked, 0, 0, group);
	}
	reply("modifiers %u %u %u", depressed, locked, group);
}

static const struct wl_keyboard_listener keyboard_listener = {
	.keymap = keyboard_handle_keymap,
	.enter = keyboard_handle_enter,
	.leave = keyboard_handle_leave,
	.key = keyboard_handle_key,
	.modifiers = keyboard_handle_modifiers,
	.repeat_info = client_noop_keyboard_repeat_info,
};

/* pointer-gestures-v1 */

static void swipe_handle_begin(void *data, struct zwp_pointer_gesture_swipe_v1 *swipe,
		uint32_t serial, uint32_t time, struct wl_surface *surface, uint32_t fingers) {
	reply("swipe-begin %u", fingers);
}

static void swipe_handle_update(void *data, struct zwp_pointer_gesture_swipe_v1 *swipe,
		uint32_t time, wl_fixed_t dx, wl_fixed_t dy) {
	reply("swipe-update %.2f %.2f", wl_fixed_to_double(dx), wl_fixed_to_double(dy));
}

static void swipe_handle_end(void *data, struct zwp_pointer_gesture_swipe_v1 *swipe,
		uint32_t serial, uint32_t time, int32_t cancelled) {
	reply("swipe-end %d", cancelled);
}

static const struct zwp_pointer_gesture_swipe_v1_listener swipe_listener = {
	.begin = swipe_handle_begin,
	.update = swipe_handle_update,
	.end = swipe_handle_end,
};

static void pinch_handle_begin(void *data, struct zwp_pointer_gesture_pinch_v1 *pinch,
		uint32_t serial, uint32_t time, struct wl_surface *surface, uint32_t fingers) {
	reply("pinch-begin %u", fingers);
}

static void pinch_handle_update(void *data, struct zwp_pointer_gesture_pinch_v1 *pinch,
		uint32_t time, wl_fixed_t dx, wl_fixed_t dy, wl_fixed_t scale, wl_fixed_t rotation) {
	reply("pinch-update %.2f %.2f %.4f %.2f", wl_fixed_to_double(dx), wl_fixed_to_double(dy),
		wl_fixed_to_double(scale), wl_fixed_to_double(rotation));
}

static void pinch_handle_end(void *data, struct zwp_pointer_gesture_pinch_v1 *pinch,
		uint32_t serial, uint32_t time, int32_t cancelled) {
	reply("pinch-end %d", cancelled);
}

static const struct zwp_pointer_gesture_pinch_v1_listener pinch_listener = {
	.begin = pinch_handle_begin,
	.update = pinch_handle_update,
	.end = pinch_handle_end,
};

static void hold_handle_begin(void *data, struct zwp_pointer_gesture_hold_v1 *hold,
		uint32_t serial, uint32_t time, struct wl_surface *surface, uint32_t fingers) {
	reply("hold-begin %u", fingers);
}

static void hold_handle_end(void *data, struct zwp_pointer_gesture_hold_v1 *hold,
		uint32_t serial, uint32_t time, int32_t cancelled) {
	reply("hold-end %d", cancelled);
}

static const struct zwp_pointer_gesture_hold_v1_listener hold_listener = {
	.begin = hold_handle_begin,
	.end = hold_handle_end,
};

/* tablet-v2 (version 1) */

static void tablet_handle_name(void *data, struct zwp_tablet_v2 *tablet, const char *name) {
	reply("tablet-name %s", name);
}

static void tablet_handle_id(void *data, struct zwp_tablet_v2 *tablet, uint32_t vid,
		uint32_t pid) {
}

static void tablet_handle_path(void *data, struct zwp_tablet_v2 *tablet, const char *path) {
}

static void tablet_handle_done(void *data, struct zwp_tablet_v2 *tablet) {
}

static void tablet_handle_removed(void *data, struct zwp_tablet_v2 *tablet) {
	reply("tablet-removed");
	zwp_tablet_v2_destroy(tablet);
}

static const struct zwp_tablet_v2_listener tablet_listener = {
	.name = tablet_handle_name,
	.id = tablet_handle_id,
	.path = tablet_handle_path,
	.done = tablet_handle_done,
	.removed = tablet_handle_removed,
};

static void tool_handle_type(void *data, struct zwp_tablet_tool_v2 *tool, uint32_t type) {
	reply("tool-type %u", type);
}

static void tool_handle_hardware_serial(void *data, struct zwp_tablet_tool_v2 *tool,
		uint32_t hi, uint32_t lo) {
}

static void tool_handle_hardware_id_wacom(void *data, struct zwp_tablet_tool_v2 *tool,
		uint32_t hi, uint32_t lo) {
}

static void tool_handle_capability(void *data, struct zwp_tablet_tool_v2 *tool,
		uint32_t capability) {
}

static void tool_handle_done(void *data, struct zwp_tablet_tool_v2 *tool) {
}

static void tool_handle_removed(void *data, struct zwp_tablet_tool_v2 *tool) {
	reply("tool-removed");
	zwp_tablet_tool_v2_destroy(tool);
}

static void tool_handle_proximity_in(void *data, struct zwp_tablet_tool_v2 *tool,
		uint32_t serial, struct zwp_tablet_v2 *tablet, struct wl_surface *surface) {
	reply("tool-proximity-in%s", surface == app.window.surface ? "" : " other-surface");
}

static void tool_handle_proximity_out(void *data, struct zwp_tablet_tool_v2 *tool) {
	reply("tool-proximity-out");
}

static void tool_handle_down(void *data, struct zwp_tablet_tool_v2 *tool, uint32_t serial) {
	reply("tool-down");
}

static void tool_handle_up(void *data, struct zwp_tablet_tool_v2 *tool) {
	reply("tool-up");
}

static void tool_handle_motion(void *data, struct zwp_tablet_tool_v2 *tool, wl_fixed_t x,
		wl_fixed_t y) {
	reply("tool-motion %.2f %.2f", wl_fixed_to_double(x), wl_fixed_to_double(y));
}

static void tool_handle_pressure(void *data, struct zwp_tablet_tool_v2 *tool,
		uint32_t pressure) {
	reply("tool-pressure %u", pressure);
}

static void tool_handle_distance(void *data, struct zwp_tablet_tool_v2 *tool,
		uint32_t distance) {
}

static void tool_handle_tilt(void *data, struct zwp_tablet_tool_v2 *tool, wl_fixed_t x,
		wl_fixed_t y) {
}

static void tool_handle_rotation(void *data, struct zwp_tablet_tool_v2 *tool,
		wl_fixed_t degrees) {
}

static void tool_handle_slider(void *data, struct zwp_tablet_tool_v2 *tool,
		int32_t position) {
}

static void tool_handle_wheel(void *data, struct zwp_tablet_tool_v2 *tool, wl_fixed_t degrees,
		int32_t clicks) {
}

static void tool_handle_button(void *data, struct zwp_tablet_tool_v2 *tool, uint32_t serial,
		uint32_t button, uint32_t state) {
	reply("tool-button %u %u", button, state);
}

static void tool_handle_frame(void *data, struct zwp_tablet_tool_v2 *tool, uint32_t time) {
	reply("tool-frame");
}

static const struct zwp_tablet_tool_v2_listener tool_listener = {
	.type = tool_handle_type,
	.hardware_serial = tool_handle_hardware_serial,
	.hardware_id_wacom = tool_handle_hardware_id_wacom,
	.capability = tool_handle_capability,
	.done = tool_handle_done,
	.removed = tool_handle_removed,
	.proximity_in = tool_handle_proximity_in,
	.proximity_out = tool_handle_proximity_out,
	.down = tool_handle_down,
	.up = tool_handle_up,
	.motion = tool_handle_motion,
	.pressure = tool_handle_pressure,
	.distance = tool_handle_distance,
	.tilt = tool_handle_tilt,
	.rotation = tool_handle_rotation,
	.slider = tool_handle_slider,
	.wheel = tool_handle_wheel,
	.button = tool_handle_button,
	.frame = tool_handle_frame,
};

/* The pad's groups, rings and strips get no listener: their events are dropped. */
static void pad_handle_group(void *data, struct zwp_tablet_pad_v2 *pad,
		struct zwp_tablet_pad_group_v2 *group) {
}

static void pad_handle_path(void *data, struct zwp_tablet_pad_v2 *pad, const char *path) {
}

static void pad_handle_buttons(void *data, struct zwp_tablet_pad_v2 *pad, uint32_t buttons) {
	reply("pad-buttons %u", buttons);
}

static void pad_handle_done(void *data, struct zwp_tablet_pad_v2 *pad) {
}

static void pad_handle_button(void *data, struct zwp_tablet_pad_v2 *pad, uint32_t time,
		uint32_t button, uint32_t state) {
	reply("pad-button %u %u", button, state);
}

static void pad_handle_enter(void *data, struct zwp_tablet_pad_v2 *pad, uint32_t serial,
		struct zwp_tablet_v2 *tablet, struct wl_surface *surface) {
	reply("pad-enter%s", surface == app.window.surface ? "" : " other-surface");
}

static void pad_handle_leave(void *data, struct zwp_tablet_pad_v2 *pad, uint32_t serial,
		struct wl_surface *surface) {
	reply("pad-leave");
}

static void pad_handle_removed(void *data, struct zwp_tablet_pad_v2 *pad) {
	reply("pad-removed");
	zwp_tablet_pad_v2_destroy(pad);
}

static const struct zwp_tablet_pad_v2_listener pad_listener = {
	.group = pad_handle_group,
	.path = pad_handle_path,
	.buttons = pad_handle_buttons,
	.done = pad_handle_done,
	.button = pad_handle_button,
	.enter = pad_handle_enter,
	.leave = pad_handle_leave,
	.removed = pad_handle_removed,
};

static void tablet_seat_handle_tablet_added(void *data, struct zwp_tablet_seat_v2 *seat,
		struct zwp_tablet_v2 *tablet) {
	reply("tablet-added");
	zwp_tablet_v2_add_listener(tablet, &tablet_listener, NULL);
}

static void tablet_seat_handle_tool_added(void *data, struct zwp_tablet_seat_v2 *seat,
		struct zwp_tablet_tool_v2 *tool) {
	reply("tool-added");
	zwp_tablet_tool_v2_add_listener(tool, &tool_listener, NULL);
}

static void tablet_seat_handle_pad_added(void *data, struct zwp_tablet_seat_v2 *seat,
		struct zwp_tablet_pad_v2 *pad) {
	reply("pad-added");
	zwp_tablet_pad_v2_add_listener(pad, &pad_listener, NULL);
}

static const struct zwp_tablet_seat_v2_listener tablet_seat_listener = {
	.tablet_added = tablet_seat_handle_tablet_added,
	.tool_added = tablet_seat_handle_tool_added,
	.pad_added = tablet_seat_handle_pad_added,
};

/* Registry */

static void bind_global(struct wl_registry *registry, uint32_t name, const char *interface,
		uint32_t version) {
	if (strcmp(interface, zwp_pointer_gestures_v1_interface.name) == 0) {
		app.gestures_version = version < 3 ? version : 3;
		app.gestures = wl_registry_bind(registry, name, &zwp_pointer_gestures_v1_interface,
			app.gestures_version);
	} else if (strcmp(interface, zwp_tablet_manager_v2_interface.name) == 0) {
		app.tablet_manager = wl_registry_bind(registry, name,
			&zwp_tablet_manager_v2_interface, 1);
	}
}

static void handle_command(void *data, char *line) {
	if (strcmp(line, "roundtrip") == 0) {
		wl_display_roundtrip(client.display);
		reply("roundtrip-done");
	} else {
		reply("error unknown command '%s'", line);
	}
}

int main(int argc, char *argv[]) {
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--size") == 0 && i + 1 < argc &&
				sscanf(argv[i + 1], "%dx%d", &app.window.width, &app.window.height) == 2 &&
				app.window.width > 0 && app.window.height > 0 &&
				app.window.width <= 4096 && app.window.height <= 4096) {
			i++;
		} else {
			fprintf(stderr, "usage: ph-device-client [--size WxH]\n");
			return 2;
		}
	}
	app.xkb_context = xkb_context_new(XKB_CONTEXT_NO_FLAGS);
	if (app.xkb_context == NULL) {
		client_fail("no xkbcommon context");
	}
	client.bind_global = bind_global;
	client.pointer_listener = &pointer_listener;
	client.keyboard_listener = &keyboard_listener;
	client_connect(&client);
	if (client.compositor == NULL || client.shm == NULL || client.seat == NULL ||
			client.wm_base == NULL || app.gestures == NULL || app.tablet_manager == NULL) {
		client_fail("the compositor lacks a global this client needs "
			"(pointer-gestures-v1 %s, tablet-v2 %s)", app.gestures ? "yes" : "no",
			app.tablet_manager ? "yes" : "no");
	}
	/* The seat's capabilities, so that the pointer exists for the gestures. */
	wl_display_roundtrip(client.display);
	if (client.pointer == NULL) {
		client_fail("the seat has no pointer");
	}
	struct zwp_pointer_gesture_swipe_v1 *swipe =
		zwp_pointer_gestures_v1_get_swipe_gesture(app.gestures, client.pointer);
	zwp_pointer_gesture_swipe_v1_add_listener(swipe, &swipe_listener, NULL);
	struct zwp_pointer_gesture_pinch_v1 *pinch =
		zwp_pointer_gestures_v1_get_pinch_gesture(app.gestures, client.pointer);
	zwp_pointer_gesture_pinch_v1_add_listener(pinch, &pinch_listener, NULL);
	if (app.gestures_version >= 3) {
		struct zwp_pointer_gesture_hold_v1 *hold =
			zwp_pointer_gestures_v1_get_hold_gesture(app.gestures, client.pointer);
		zwp_pointer_gesture_hold_v1_add_listener(hold, &hold_listener, NULL);
	}
	struct zwp_tablet_seat_v2 *tablet_seat =
		zwp_tablet_manager_v2_get_tablet_seat(app.tablet_manager, client.seat);
	zwp_tablet_seat_v2_add_listener(tablet_seat, &tablet_seat_listener, NULL);

	client_window_create(&app.window, &client, "ph-device-client", "ph-device-client");

	switch (client_run(client.display, &client.running, handle_command, NULL)) {
	case CLIENT_RUN_POLL_FAILED:
		return 1;
	case CLIENT_RUN_CONNECTION_FAILED:
		reply("connection-error");
		return 3;
	case CLIENT_RUN_STOPPED:
	case CLIENT_RUN_STDIN_CLOSED:
		break;
	}
	xkb_state_unref(app.xkb_state);
	xkb_keymap_unref(app.keymap);
	xkb_context_unref(app.xkb_context);
	wl_display_disconnect(client.display);
	return 0;
}
