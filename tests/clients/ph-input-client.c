/*
 * ph-input-client: a window that prints, one line each, what the seat and the
 * input protocols deliver to it, and asks for them on stdin. Tests compare
 * the lines with what they made the compositor do.
 *
 * Options: --size WxH (default 200x150), --color 0xAARRGGBB, --app-id A,
 * --late-keyboard (no wl_keyboard until the "keyboard" command).
 * Commands (stdin), each answered with one line:
 *   lock [HX HY]             zwp_locked_pointer_v1 (persistent) with an optional
 *                            cursor hint, then "lock-requested"
 *   lock-again               a second lock on the surface (a protocol error)
 *   confine X Y W H          zwp_confined_pointer_v1 (persistent) on that region
 *   unconstrain              destroys the lock or confinement ("unconstrained")
 *   relative                 a zwp_relative_pointer_v1 ("relative-ready")
 *   inhibit                  a keyboard shortcuts inhibitor ("inhibit-requested")
 *   text-input               a zwp_text_input_v3, enabled on every enter with a
 *                            cursor rectangle of 10,20 5x15 ("text-input-ready")
 *   drag MIME DATA 0xCOLOR   start_drag with the last button press: a data
 *                            source offering MIME (DATA when asked) and a
 *                            32x32 icon of COLOR ("drag-started")
 *   drag-local 0xCOLOR       start_drag with the last button press and no data
 *                            source (a drag inside this client) with a 32x32
 *                            icon of COLOR ("drag-started")
 *   drag-bad-icon            start_drag with the window's own surface as icon
 *   copy MIME DATA           wl_data_device.set_selection with the last serial
 *   keyboard                 with --late-keyboard: gets the seat's wl_keyboard
 *                            ("keyboard-ready" after a roundtrip)
 *   roundtrip                "roundtrip-done" after a wl_display roundtrip
 * Events: "ready", "pointer-enter X Y", "pointer-leave", "pointer-motion X Y",
 * "pointer-button B S", "relative-motion DX DY", "keyboard-enter",
 * "keyboard-leave", "key K S", "modifiers D", "locked", "unlocked",
 * "confined", "unconfined", "inhibitor-active", "inhibitor-inactive",
 * "ti-enter", "ti-leave", "ti-preedit TEXT B E", "ti-commit TEXT",
 * "ti-delete B A", "ti-done SERIAL", "dnd-enter X Y MIME", "dnd-motion X Y",
 * "dnd-leave", "dnd-drop DATA", "source-target MIME", "source-send MIME",
 * "source-drop-performed", "source-finished", "source-cancelled",
 * "protocol-error INTERFACE CODE".
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <wayland-client.h>
#include "client-common.h"
#include "keyboard-shortcuts-inhibit-unstable-v1-client-protocol.h"
#include "pointer-constraints-unstable-v1-client-protocol.h"
#include "relative-pointer-unstable-v1-client-protocol.h"
#include "text-input-unstable-v3-client-protocol.h"
#include "xdg-shell-client-protocol.h"

static struct client client = {.program = "ph-input-client"};

static struct {
	struct wl_data_device_manager *data_device_manager;
	struct wl_data_device *data_device;
	struct zwp_pointer_constraints_v1 *constraints;
	struct zwp_relative_pointer_manager_v1 *relative_manager;
	struct zwp_keyboard_shortcuts_inhibit_manager_v1 *inhibit_manager;
	struct zwp_text_input_manager_v3 *text_input_manager;

	struct client_window window;
	const char *app_id;
	bool late_keyboard;

	uint32_t button_serial; /* the last button press */
	uint32_t last_serial; /* the last input event */
	struct zwp_locked_pointer_v1 *locked;
	struct zwp_confined_pointer_v1 *confined;
	struct zwp_relative_pointer_v1 *relative;
	struct zwp_keyboard_shortcuts_inhibitor_v1 *inhibitor;
	struct zwp_text_input_v3 *text_input;
	uint32_t text_input_commits;

	/* Drag source side. */
	struct wl_data_source *source;
	struct wl_surface *icon;
	char source_data[256];
	/* Selection source. */
	struct wl_data_source *selection;
	char selection_data[256];
	/* Drag target side. */
	struct wl_data_offer *offer;
	char offer_mime[128];
} app = {.window = {.width = 200, .height = 150, .format = WL_SHM_FORMAT_ARGB8888,
	.color = 0xFF3366CC}, .app_id = "ph-input-client"};

/* wl_pointer */

static void pointer_handle_enter(void *data, struct wl_pointer *pointer, uint32_t serial,
		struct wl_surface *surface, wl_fixed_t x, wl_fixed_t y) {
	app.last_serial = serial;
	reply("pointer-enter %d %d", wl_fixed_to_int(x), wl_fixed_to_int(y));
}

static void pointer_handle_leave(void *data, struct wl_pointer *pointer, uint32_t serial,
		struct wl_surface *surface) {
	reply("pointer-leave");
}

static void pointer_handle_motion(void *data, struct wl_pointer *pointer, uint32_t time,
		wl_fixed_t x, wl_fixed_t y) {
	reply("pointer-motion %d %d", wl_fixed_to_int(x), wl_fixed_to_int(y));
}

static void pointer_handle_button(void *data, struct wl_pointer *pointer, uint32_t serial,
		uint32_t time, uint32_t button, uint32_t state) {
	app.last_serial = serial;
	if (state == WL_POINTER_BUTTON_STATE_PRESSED) {
		app.button_serial = serial;
	}
	reply("pointer-button %u %u", button, state);
}

static const struct wl_pointer_listener pointer_listener = {
	.enter = pointer_handle_enter,
	.leave = pointer_handle_leave,
	.motion = pointer_handle_motion,
	.button = pointer_handle_button,
	.axis = client_noop_pointer_axis,
	.frame = client_noop_pointer_frame,
	.axis_source = client_noop_pointer_axis_source,
	.axis_stop = client_noop_pointer_axis_stop,
	.axis_discrete = client_noop_pointer_axis_discrete,
};

/* wl_keyboard */

static void keyboard_handle_enter(void *data, struct wl_keyboard *keyboard, uint32_t serial,
		struct wl_surface *surface, struct wl_array *keys) {
	app.last_serial = serial;
	reply("keyboard-enter");
}

static void keyboard_handle_leave(void *data, struct wl_keyboard *keyboard, uint32_t serial,
		struct wl_surface *surface) {
	reply("keyboard-leave");
}

static void keyboard_handle_key(void *data, struct wl_keyboard *keyboard, uint32_t serial,
		uint32_t time, uint32_t key, uint32_t state) {
	app.last_serial = serial;
	reply("key %u %u", key, state);
}

static void keyboard_handle_modifiers(void *data, struct wl_keyboard *keyboard,
		uint32_t serial, uint32_t depressed, uint32_t latched, uint32_t locked,
		uint32_t group) {
	reply("modifiers %u", depressed);
}

static const struct wl_keyboard_listener keyboard_listener = {
	.keymap = client_noop_keyboard_keymap,
	.enter = keyboard_handle_enter,
	.leave = keyboard_handle_leave,
	.key = keyboard_handle_key,
	.modifiers = keyboard_handle_modifiers,
	.repeat_info = client_noop_keyboard_repeat_info,
};

/* Drag target: a wl_data_offer per enter. */

static void offer_handle_offer(void *data, struct wl_data_offer *offer, const char *mime) {
	if (strlen(mime) < sizeof(app.offer_mime)) {
		snprintf(app.offer_mime, sizeof(app.offer_mime), "%s", mime);
	}
}

static void offer_handle_source_actions(void *data, struct wl_data_offer *offer,
		uint32_t actions) {
}

static void offer_handle_action(void *data, struct wl_data_offer *offer, uint32_t action) {
}

static const struct wl_data_offer_listener offer_listener = {
	.offer = offer_handle_offer,
	.source_actions = offer_handle_source_actions,
	.action = offer_handle_action,
};

static void data_device_handle_data_offer(void *data, struct wl_data_device *device,
		struct wl_data_offer *offer) {
	app.offer_mime[0] = '\0';
	wl_data_offer_add_listener(offer, &offer_listener, NULL);
}

static void data_device_handle_enter(void *data, struct wl_data_device *device,
		uint32_t serial, struct wl_surface *surface, wl_fixed_t x, wl_fixed_t y,
		struct wl_data_offer *offer) {
	if (app.offer != NULL && app.offer != offer) {
		wl_data_offer_destroy(app.offer);
	}
	app.offer = offer;
	reply("dnd-enter %d %d %s", wl_fixed_to_int(x), wl_fixed_to_int(y),
		offer != NULL && app.offer_mime[0] ? app.offer_mime : "(none)");
	if (offer != NULL && app.offer_mime[0]) {
		wl_data_offer_accept(offer, serial, app.offer_mime);
		wl_data_offer_set_actions(offer, WL_DATA_DEVICE_MANAGER_DND_ACTION_COPY,
			WL_DATA_DEVICE_MANAGER_DND_ACTION_COPY);
	}
}

static void data_device_handle_leave(void *data, struct wl_data_device *device) {
	reply("dnd-leave");
	if (app.offer != NULL) {
		wl_data_offer_destroy(app.offer);
		app.offer = NULL;
	}
}

static void data_device_handle_motion(void *data, struct wl_data_device *device,
		uint32_t time, wl_fixed_t x, wl_fixed_t y) {
	reply("dnd-motion %d %d", wl_fixed_to_int(x), wl_fixed_to_int(y));
}

static void data_device_handle_drop(void *data, struct wl_data_device *device) {
	if (app.offer == NULL || !app.offer_mime[0]) {
		reply("dnd-drop (no offer)");
		return;
	}
	int fds[2];
	if (pipe2(fds, O_CLOEXEC) < 0) {
		reply("dnd-drop (pipe failed)");
		return;
	}
	wl_data_offer_receive(app.offer, app.offer_mime, fds[1]);
	close(fds[1]);
	wl_display_flush(client.display);
	/* The source is another client: reading here cannot deadlock on ourselves. */
	char buf[256];
	size_t len = 0;
	ssize_t n;
	while (len < sizeof(buf) - 1 &&
			(n = read(fds[0], buf + len, sizeof(buf) - 1 - len)) > 0) {
		len += (size_t)n;
	}
	close(fds[0]);
	buf[len] = '\0';
	reply("dnd-drop %s", buf);
	wl_data_offer_finish(app.offer);
	wl_data_offer_destroy(app.offer);
	app.offer = NULL;
}

static void data_device_handle_selection(void *data, struct wl_data_device *device,
		struct wl_data_offer *offer) {
	if (offer != NULL && offer != app.offer) {
		wl_data_offer_destroy(offer);
	}
}

static const struct wl_data_device_listener data_device_listener = {
	.data_offer = data_device_handle_data_offer,
	.enter = data_device_handle_enter,
	.leave = data_device_handle_leave,
	.motion = data_device_handle_motion,
	.drop = data_device_handle_drop,
	.selection = data_device_handle_selection,
};

/* Drag and selection sources. */

static void source_handle_target(void *data, struct wl_data_source *source,
		const char *mime) {
	reply("source-target %s", mime != NULL ? mime : "(none)");
}

static void source_handle_send(void *data, struct wl_data_source *source, const char *mime,
		int32_t fd) {
	const char *bytes = source == app.source ? app.source_data : app.selection_data;
	if (source == app.source) {
		reply("source-send %s", mime);
	}
	size_t len = strlen(bytes);
	for (size_t done = 0; done < len;) {
		ssize_t n = write(fd, bytes + done, len - done);
		if (n <= 0) {
			break;
		}
		done += (size_t)n;
	}
	close(fd);
}

static void source_handle_cancelled(void *data, struct wl_data_source *source) {
	if (source == app.source) {
		reply("source-cancelled");
		app.source = NULL;
	} else {
		app.selection = NULL;
	}
	wl_data_source_destroy(source);
}

static void source_handle_dnd_drop_performed(void *data, struct wl_data_source *source) {
	reply("source-drop-performed");
}

static void source_handle_dnd_finished(void *data, struct wl_data_source *source) {
	reply("source-finished");
	if (source == app.source) {
		app.source = NULL;
	}
	wl_data_source_destroy(source);
}

static void source_handle_action(void *data, struct wl_data_source *source, uint32_t action) {
}

static const struct wl_data_source_listener source_listener = {
	.target = source_handle_target,
	.send = source_handle_send,
	.cancelled = source_handle_cancelled,
	.dnd_drop_performed = source_handle_dnd_drop_performed,
	.dnd_finished = source_handle_dnd_finished,
	.action = source_handle_action,
};

/* Constraints, relative pointer, shortcuts inhibitor. */

static void locked_handle_locked(void *data, struct zwp_locked_pointer_v1 *locked) {
	reply("locked");
}

static void locked_handle_unlocked(void *data, struct zwp_locked_pointer_v1 *locked) {
	reply("unlocked");
}

static const struct zwp_locked_pointer_v1_listener locked_listener = {
	.locked = locked_handle_locked,
	.unlocked = locked_handle_unlocked,
};

static void confined_handle_confined(void *data, struct zwp_confined_pointer_v1 *confined) {
	reply("confined");
}

static void confined_handle_unconfined(void *data, struct zwp_confined_pointer_v1 *confined) {
	reply("unconfined");
}

static const struct zwp_confined_pointer_v1_listener confined_listener = {
	.confined = confined_handle_confined,
	.unconfined = confined_handle_unconfined,
};

static void relative_handle_motion(void *data, struct zwp_relative_pointer_v1 *relative,
		uint32_t utime_hi, uint32_t utime_lo, wl_fixed_t dx, wl_fixed_t dy,
		wl_fixed_t dx_unaccel, wl_fixed_t dy_unaccel) {
	reply("relative-motion %d %d", wl_fixed_to_int(dx), wl_fixed_to_int(dy));
}

static const struct zwp_relative_pointer_v1_listener relative_listener = {
	.relative_motion = relative_handle_motion,
};

static void inhibitor_handle_active(void *data,
		struct zwp_keyboard_shortcuts_inhibitor_v1 *inhibitor) {
	reply("inhibitor-active");
}

static void inhibitor_handle_inactive(void *data,
		struct zwp_keyboard_shortcuts_inhibitor_v1 *inhibitor) {
	reply("inhibitor-inactive");
}

static const struct zwp_keyboard_shortcuts_inhibitor_v1_listener inhibitor_listener = {
	.active = inhibitor_handle_active,
	.inactive = inhibitor_handle_inactive,
};

/* text-input-v3 */

static void text_input_handle_enter(void *data, struct zwp_text_input_v3 *text_input,
		struct wl_surface *surface) {
	reply("ti-enter");
	zwp_text_input_v3_enable(text_input);
	zwp_text_input_v3_set_surrounding_text(text_input, "hello", 5, 5);
	zwp_text_input_v3_set_content_type(text_input, ZWP_TEXT_INPUT_V3_CONTENT_HINT_NONE,
		ZWP_TEXT_INPUT_V3_CONTENT_PURPOSE_NORMAL);
	zwp_text_input_v3_set_cursor_rectangle(text_input, 10, 20, 5, 15);
	zwp_text_input_v3_commit(text_input);
	app.text_input_commits++;
}

static void text_input_handle_leave(void *data, struct zwp_text_input_v3 *text_input,
		struct wl_surface *surface) {
	reply("ti-leave");
	zwp_text_input_v3_disable(text_input);
	zwp_text_input_v3_commit(text_input);
	app.text_input_commits++;
}

static void text_input_handle_preedit_string(void *data, struct zwp_text_input_v3 *text_input,
		const char *text, int32_t begin, int32_t end) {
	reply("ti-preedit %s %d %d", text != NULL ? text : "(null)", begin, end);
}

static void text_input_handle_commit_string(void *data, struct zwp_text_input_v3 *text_input,
		const char *text) {
	reply("ti-commit %s", text != NULL ? text : "(null)");
}

static void text_input_handle_delete_surrounding_text(void *data,
		struct zwp_text_input_v3 *text_input, uint32_t before, uint32_t after) {
	reply("ti-delete %u %u", before, after);
}

static void text_input_handle_done(void *data, struct zwp_text_input_v3 *text_input,
		uint32_t serial) {
	reply("ti-done %u", serial);
}

static const struct zwp_text_input_v3_listener text_input_listener = {
	.enter = text_input_handle_enter,
	.leave = text_input_handle_leave,
	.preedit_string = text_input_handle_preedit_string,
	.commit_string = text_input_handle_commit_string,
	.delete_surrounding_text = text_input_handle_delete_surrounding_text,
	.done = text_input_handle_done,
};

/* Registry */

static void bind_global(struct wl_registry *registry, uint32_t name, const char *interface,
		uint32_t version) {
	if (strcmp(interface, wl_data_device_manager_interface.name) == 0) {
		app.data_device_manager = wl_registry_bind(registry, name,
			&wl_data_device_manager_interface, 3);
	} else if (strcmp(interface, zwp_pointer_constraints_v1_interface.name) == 0) {
		app.constraints = wl_registry_bind(registry, name,
			&zwp_pointer_constraints_v1_interface, 1);
	} else if (strcmp(interface, zwp_relative_pointer_manager_v1_interface.name) == 0) {
		app.relative_manager = wl_registry_bind(registry, name,
			&zwp_relative_pointer_manager_v1_interface, 1);
	} else if (strcmp(interface,
			zwp_keyboard_shortcuts_inhibit_manager_v1_interface.name) == 0) {
		app.inhibit_manager = wl_registry_bind(registry, name,
			&zwp_keyboard_shortcuts_inhibit_manager_v1_interface, 1);
	} else if (strcmp(interface, zwp_text_input_manager_v3_interface.name) == 0) {
		app.text_input_manager = wl_registry_bind(registry, name,
			&zwp_text_input_manager_v3_interface, 1);
	}
}

/* Commands */

static void unconstrain(void) {
	if (app.locked != NULL) {
		zwp_locked_pointer_v1_destroy(app.locked);
		app.locked = NULL;
	}
	if (app.confined != NULL) {
		zwp_confined_pointer_v1_destroy(app.confined);
		app.confined = NULL;
	}
}

static void handle_command(void *data, char *line) {
	char arg1[256], arg2[256];
	unsigned color;
	int x, y, w, h;
	if (strcmp(line, "lock") == 0 || sscanf(line, "lock %d %d", &x, &y) == 2) {
		unconstrain();
		app.locked = zwp_pointer_constraints_v1_lock_pointer(app.constraints, app.window.surface,
			client.pointer, NULL, ZWP_POINTER_CONSTRAINTS_V1_LIFETIME_PERSISTENT);
		zwp_locked_pointer_v1_add_listener(app.locked, &locked_listener, NULL);
		if (strcmp(line, "lock") != 0) {
			zwp_locked_pointer_v1_set_cursor_position_hint(app.locked,
				wl_fixed_from_int(x), wl_fixed_from_int(y));
			wl_surface_commit(app.window.surface);
		}
		wl_display_roundtrip(client.display);
		reply("lock-requested");
	} else if (strcmp(line, "lock-again") == 0) {
		/* A second constraint on the surface: already_constrained. */
		zwp_pointer_constraints_v1_lock_pointer(app.constraints, app.window.surface, client.pointer,
			NULL, ZWP_POINTER_CONSTRAINTS_V1_LIFETIME_PERSISTENT);
		wl_display_roundtrip(client.display);
		reply("lock-again-done");
	} else if (sscanf(line, "confine %d %d %d %d", &x, &y, &w, &h) == 4) {
		unconstrain();
		struct wl_region *region = wl_compositor_create_region(client.compositor);
		wl_region_add(region, x, y, w, h);
		app.confined = zwp_pointer_constraints_v1_confine_pointer(app.constraints,
			app.window.surface, client.pointer, region,
			ZWP_POINTER_CONSTRAINTS_V1_LIFETIME_PERSISTENT);
		wl_region_destroy(region);
		zwp_confined_pointer_v1_add_listener(app.confined, &confined_listener, NULL);
		wl_display_roundtrip(client.display);
		reply("confine-requested");
	} else if (strcmp(line, "unconstrain") == 0) {
		unconstrain();
		wl_display_roundtrip(client.display);
		reply("unconstrained");
	} else if (strcmp(line, "relative") == 0) {
		app.relative = zwp_relative_pointer_manager_v1_get_relative_pointer(
			app.relative_manager, client.pointer);
		zwp_relative_pointer_v1_add_listener(app.relative, &relative_listener, NULL);
		wl_display_roundtrip(client.display);
		reply("relative-ready");
	} else if (strcmp(line, "inhibit") == 0) {
		app.inhibitor = zwp_keyboard_shortcuts_inhibit_manager_v1_inhibit_shortcuts(
			app.inhibit_manager, app.window.surface, client.seat);
		zwp_keyboard_shortcuts_inhibitor_v1_add_listener(app.inhibitor, &inhibitor_listener,
			NULL);
		wl_display_roundtrip(client.display);
		reply("inhibit-requested");
	} else if (strcmp(line, "inhibit-again") == 0) {
		/* A second inhibitor for the same surface and seat: already_inhibited. */
		zwp_keyboard_shortcuts_inhibit_manager_v1_inhibit_shortcuts(app.inhibit_manager,
			app.window.surface, client.seat);
		wl_display_roundtrip(client.display);
		reply("inhibit-again-done");
	} else if (strcmp(line, "text-input") == 0) {
		app.text_input = zwp_text_input_manager_v3_get_text_input(app.text_input_manager,
			client.seat);
		zwp_text_input_v3_add_listener(app.text_input, &text_input_listener, NULL);
		wl_display_roundtrip(client.display);
		reply("text-input-ready");
	} else if (sscanf(line, "drag %255s %255s 0x%x", arg1, arg2, &color) == 3) {
		snprintf(app.source_data, sizeof(app.source_data), "%s", arg2);
		app.source = wl_data_device_manager_create_data_source(app.data_device_manager);
		wl_data_source_add_listener(app.source, &source_listener, NULL);
		wl_data_source_offer(app.source, arg1);
		wl_data_source_set_actions(app.source, WL_DATA_DEVICE_MANAGER_DND_ACTION_COPY);
		app.icon = wl_compositor_create_surface(client.compositor);
		wl_data_device_start_drag(app.data_device, app.source, app.window.surface, app.icon,
			app.button_serial);
		wl_surface_attach(app.icon, client_solid_buffer(&client, 32, 32,
			WL_SHM_FORMAT_ARGB8888, color), 0, 0);
		wl_surface_commit(app.icon);
		wl_display_roundtrip(client.display);
		reply("drag-started");
	} else if (sscanf(line, "drag-local 0x%x", &color) == 1) {
		if (app.icon != NULL) {
			wl_surface_destroy(app.icon);
		}
		app.icon = wl_compositor_create_surface(client.compositor);
		wl_data_device_start_drag(app.data_device, NULL, app.window.surface, app.icon,
			app.button_serial);
		wl_surface_attach(app.icon, client_solid_buffer(&client, 32, 32,
			WL_SHM_FORMAT_ARGB8888, color), 0, 0);
		wl_surface_commit(app.icon);
		wl_display_roundtrip(client.display);
		reply("drag-started");
	} else if (strcmp(line, "drag-bad-icon") == 0) {
		/* The window's own surface as the icon: it has a role already. */
		struct wl_data_source *source =
			wl_data_device_manager_create_data_source(app.data_device_manager);
		wl_data_device_start_drag(app.data_device, source, app.window.surface, app.window.surface,
			app.button_serial);
		wl_display_roundtrip(client.display);
		reply("drag-bad-icon-done");
	} else if (sscanf(line, "copy %255s %255s", arg1, arg2) == 2) {
		snprintf(app.selection_data, sizeof(app.selection_data), "%s", arg2);
		app.selection = wl_data_device_manager_create_data_source(app.data_device_manager);
		wl_data_source_add_listener(app.selection, &source_listener, NULL);
		wl_data_source_offer(app.selection, arg1);
		wl_data_device_set_selection(app.data_device, app.selection, app.last_serial);
		wl_display_roundtrip(client.display);
		reply("copied");
	} else if (strcmp(line, "keyboard") == 0) {
		if (client.keyboard == NULL) {
			client.keyboard = wl_seat_get_keyboard(client.seat);
			wl_keyboard_add_listener(client.keyboard, &keyboard_listener, NULL);
		}
		wl_display_roundtrip(client.display);
		reply("keyboard-ready");
	} else if (strcmp(line, "roundtrip") == 0) {
		wl_display_roundtrip(client.display);
		reply("roundtrip-done");
	} else {
		reply("error unknown command '%s'", line);
	}
}

static bool parse_args(int argc, char *argv[]) {
	for (int i = 1; i < argc; i++) {
		const char *value = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(argv[i], "--size") == 0 && value != NULL &&
				sscanf(value, "%dx%d", &app.window.width, &app.window.height) == 2 &&
				app.window.width > 0 && app.window.height > 0 && app.window.width <= 4096 && app.window.height <= 4096) {
			i++;
		} else if (strcmp(argv[i], "--color") == 0 && value != NULL &&
				sscanf(value, "0x%x", &app.window.color) == 1) {
			i++;
		} else if (strcmp(argv[i], "--app-id") == 0 && value != NULL) {
			app.app_id = value;
			i++;
		} else if (strcmp(argv[i], "--late-keyboard") == 0) {
			app.late_keyboard = true;
		} else {
			fprintf(stderr, "usage: ph-input-client [--size WxH] [--color 0xAARRGGBB] "
				"[--app-id A] [--late-keyboard]\n");
			return false;
		}
	}
	return true;
}

int main(int argc, char *argv[]) {
	if (!parse_args(argc, argv)) {
		return 2;
	}
	client.bind_global = bind_global;
	client.pointer_listener = &pointer_listener;
	client.keyboard_listener = app.late_keyboard ? NULL : &keyboard_listener;
	client_connect(&client);
	if (client.compositor == NULL || client.shm == NULL || client.seat == NULL ||
			client.wm_base == NULL || app.data_device_manager == NULL ||
			app.constraints == NULL || app.relative_manager == NULL ||
			app.inhibit_manager == NULL || app.text_input_manager == NULL) {
		client_fail("the compositor lacks a global this client needs");
	}
	wl_display_roundtrip(client.display);
	app.data_device = wl_data_device_manager_get_data_device(app.data_device_manager,
		client.seat);
	wl_data_device_add_listener(app.data_device, &data_device_listener, NULL);
	client_window_create(&app.window, &client, app.app_id, app.app_id);

	int status = client_main_loop(client.display, &client.running, handle_command, NULL);
	if (status != 0) {
		return status;
	}
	wl_display_disconnect(client.display);
	return 0;
}
