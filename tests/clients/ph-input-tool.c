/*
 * ph-input-tool: the other side of the input tests, scripted on stdin: a
 * virtual pointer and keyboard (the devices of remote desktops), an input
 * method (an IME) and a gamma control client (a night-light tool). Every
 * command is answered with one line; events print as they come.
 *
 *   move DX DY            relative motion ("moved")
 *   warp X Y W H          absolute motion to X,Y of a W x H layout ("warped")
 *   press | release       left button ("pressed", "released")
 *   keys CODE...          presses the evdev codes in order, releases them in
 *                         reverse ("keyed"); 56 is Alt, 125 Super, 15 Tab
 *   im                    becomes the seat's input method ("im-ready")
 *   im-preedit TEXT B E   set_preedit_string + commit ("im-committed")
 *   im-commit-string TEXT commit_string + commit ("im-committed")
 *   im-delete B A         delete_surrounding_text + commit ("im-committed")
 *   im-grab               grabs the keyboard ("im-grabbed")
 *   im-popup 0xCOLOR      a 40x20 input popup surface of COLOR ("im-popup-ready")
 *   im-popup-again        the same wl_surface as a second popup: a role error
 *   im-destroy            destroys the input method ("im-destroyed")
 *   gamma N               gamma control for the N-th wl_output ("gamma-requested")
 *   gamma-set             a linear ramp of the announced size ("gamma-set")
 *   gamma-set-bad         a ramp one entry short: invalid_gamma
 *   roundtrip             "roundtrip-done"
 * Events: "im-activate", "im-deactivate", "im-surrounding TEXT C A",
 * "im-content-type H P", "im-done", "im-unavailable", "grab-keymap",
 * "grab-key KEY STATE", "grab-modifiers D", "popup-rectangle X Y W H",
 * "gamma-size N", "gamma-failed", "protocol-error INTERFACE CODE".
 *
 * The wlroots protocols it speaks (virtual pointer, virtual keyboard, input
 * method v2, gamma control) are not installed as XML anywhere in the root,
 * so their interfaces are written out here, as in ph-capture-probe.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <wayland-client.h>
#include <xkbcommon/xkbcommon.h>
#include "client-common.h"

/* zwlr_virtual_pointer_v1 */
static const struct wl_interface virtual_pointer_interface;
static const struct wl_interface *virtual_pointer_types[] = {
	NULL, NULL, NULL, NULL, NULL, &wl_seat_interface, &virtual_pointer_interface,
};
static const struct wl_message virtual_pointer_manager_requests[] = {
	{"create_virtual_pointer", "?on", virtual_pointer_types + 5},
	{"destroy", "", virtual_pointer_types},
};
static const struct wl_interface virtual_pointer_manager_interface = {
	"zwlr_virtual_pointer_manager_v1", 1, 2, virtual_pointer_manager_requests, 0, NULL,
};
static const struct wl_message virtual_pointer_requests[] = {
	{"motion", "uff", virtual_pointer_types},
	{"motion_absolute", "uuuuu", virtual_pointer_types},
	{"button", "uuu", virtual_pointer_types},
	{"axis", "uuf", virtual_pointer_types},
	{"frame", "", virtual_pointer_types},
	{"axis_source", "u", virtual_pointer_types},
	{"axis_stop", "uu", virtual_pointer_types},
	{"axis_discrete", "uufi", virtual_pointer_types},
	{"destroy", "", virtual_pointer_types},
};
static const struct wl_interface virtual_pointer_interface = {
	"zwlr_virtual_pointer_v1", 1, 9, virtual_pointer_requests, 0, NULL,
};
enum {
	VIRTUAL_POINTER_MOTION = 0,
	VIRTUAL_POINTER_MOTION_ABSOLUTE = 1,
	VIRTUAL_POINTER_BUTTON = 2,
	VIRTUAL_POINTER_FRAME = 4,
};

/* zwp_virtual_keyboard_v1 */
static const struct wl_interface virtual_keyboard_interface;
static const struct wl_interface *virtual_keyboard_types[] = {
	NULL, NULL, NULL, NULL, &wl_seat_interface, &virtual_keyboard_interface,
};
static const struct wl_message virtual_keyboard_manager_requests[] = {
	{"create_virtual_keyboard", "on", virtual_keyboard_types + 4},
};
static const struct wl_interface virtual_keyboard_manager_interface = {
	"zwp_virtual_keyboard_manager_v1", 1, 1, virtual_keyboard_manager_requests, 0, NULL,
};
static const struct wl_message virtual_keyboard_requests[] = {
	{"keymap", "uhu", virtual_keyboard_types},
	{"key", "uuu", virtual_keyboard_types},
	{"modifiers", "uuuu", virtual_keyboard_types},
	{"destroy", "", virtual_keyboard_types},
};
static const struct wl_interface virtual_keyboard_interface = {
	"zwp_virtual_keyboard_v1", 1, 4, virtual_keyboard_requests, 0, NULL,
};
enum {
	VIRTUAL_KEYBOARD_KEYMAP = 0,
	VIRTUAL_KEYBOARD_KEY = 1,
	VIRTUAL_KEYBOARD_MODIFIERS = 2,
};

/* zwp_input_method_v2 and friends */
static const struct wl_interface input_method_interface;
static const struct wl_interface input_popup_surface_interface;
static const struct wl_interface keyboard_grab_interface;
static const struct wl_interface *input_method_types[] = {
	NULL, NULL, NULL, NULL, NULL,
	&wl_seat_interface, &input_method_interface, /* get_input_method */
	&input_popup_surface_interface, &wl_surface_interface, /* get_input_popup_surface */
	&keyboard_grab_interface, /* grab_keyboard */
};
static const struct wl_message input_method_manager_requests[] = {
	{"get_input_method", "on", input_method_types + 5},
	{"destroy", "", input_method_types},
};
static const struct wl_interface input_method_manager_interface = {
	"zwp_input_method_manager_v2", 1, 2, input_method_manager_requests, 0, NULL,
};
static const struct wl_message input_method_requests[] = {
	{"commit_string", "s", input_method_types},
	{"set_preedit_string", "sii", input_method_types},
	{"delete_surrounding_text", "uu", input_method_types},
	{"commit", "u", input_method_types},
	{"get_input_popup_surface", "no", input_method_types + 7},
	{"grab_keyboard", "n", input_method_types + 9},
	{"destroy", "", input_method_types},
};
static const struct wl_message input_method_events[] = {
	{"activate", "", input_method_types},
	{"deactivate", "", input_method_types},
	{"surrounding_text", "suu", input_method_types},
	{"text_change_cause", "u", input_method_types},
	{"content_type", "uu", input_method_types},
	{"done", "", input_method_types},
	{"unavailable", "", input_method_types},
};
static const struct wl_interface input_method_interface = {
	"zwp_input_method_v2", 1, 7, input_method_requests, 7, input_method_events,
};
enum {
	INPUT_METHOD_COMMIT_STRING = 0,
	INPUT_METHOD_SET_PREEDIT_STRING = 1,
	INPUT_METHOD_DELETE_SURROUNDING_TEXT = 2,
	INPUT_METHOD_COMMIT = 3,
	INPUT_METHOD_GET_INPUT_POPUP_SURFACE = 4,
	INPUT_METHOD_GRAB_KEYBOARD = 5,
	INPUT_METHOD_DESTROY = 6,
};
static const struct wl_message input_popup_surface_requests[] = {
	{"destroy", "", input_method_types},
};
static const struct wl_message input_popup_surface_events[] = {
	{"text_input_rectangle", "iiii", input_method_types},
};
static const struct wl_interface input_popup_surface_interface = {
	"zwp_input_popup_surface_v2", 1, 1, input_popup_surface_requests,
	1, input_popup_surface_events,
};
static const struct wl_message keyboard_grab_requests[] = {
	{"release", "", input_method_types},
};
static const struct wl_message keyboard_grab_events[] = {
	{"keymap", "uhu", input_method_types},
	{"key", "uuuu", input_method_types},
	{"modifiers", "uuuuu", input_method_types},
	{"repeat_info", "ii", input_method_types},
};
static const struct wl_interface keyboard_grab_interface = {
	"zwp_input_method_keyboard_grab_v2", 1, 1, keyboard_grab_requests,
	4, keyboard_grab_events,
};

/* zwlr_gamma_control_v1 */
static const struct wl_interface gamma_control_interface;
static const struct wl_interface *gamma_types[] = {
	NULL, &gamma_control_interface, &wl_output_interface,
};
static const struct wl_message gamma_manager_requests[] = {
	{"get_gamma_control", "no", gamma_types + 1},
	{"destroy", "", gamma_types},
};
static const struct wl_interface gamma_manager_interface = {
	"zwlr_gamma_control_manager_v1", 1, 2, gamma_manager_requests, 0, NULL,
};
static const struct wl_message gamma_control_requests[] = {
	{"set_gamma", "h", gamma_types},
	{"destroy", "", gamma_types},
};
static const struct wl_message gamma_control_events[] = {
	{"gamma_size", "u", gamma_types},
	{"failed", "", gamma_types},
};
static const struct wl_interface gamma_control_interface = {
	"zwlr_gamma_control_v1", 1, 2, gamma_control_requests, 2, gamma_control_events,
};

static struct client client = {.program = "ph-input-tool"};

static struct {
	struct wl_proxy *virtual_pointer_manager, *virtual_pointer;
	struct wl_proxy *virtual_keyboard_manager, *virtual_keyboard;
	struct wl_proxy *input_method_manager, *input_method, *keyboard_grab;
	struct wl_proxy *gamma_manager, *gamma_control;
	struct wl_surface *popup_surface;
	/* Keys of a virtual keyboard do not change the compositor's modifiers: we send them. */
	struct xkb_state *xkb_state;
	uint32_t input_method_dones;
	uint32_t gamma_size;
} tool;

static uint32_t now_ms(void) {
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint32_t)(ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

/* Virtual devices */

static struct wl_proxy *virtual_pointer(void) {
	if (tool.virtual_pointer == NULL) {
		tool.virtual_pointer = wl_proxy_marshal_flags(tool.virtual_pointer_manager, 0,
			&virtual_pointer_interface, 1, 0, client.seat, NULL);
	}
	return tool.virtual_pointer;
}

static void pointer_frame(void) {
	wl_proxy_marshal_flags(virtual_pointer(), VIRTUAL_POINTER_FRAME, NULL, 1, 0);
	wl_display_roundtrip(client.display);
}

static struct wl_proxy *virtual_keyboard(void) {
	if (tool.virtual_keyboard != NULL) {
		return tool.virtual_keyboard;
	}
	tool.virtual_keyboard = wl_proxy_marshal_flags(tool.virtual_keyboard_manager, 0,
		&virtual_keyboard_interface, 1, 0, client.seat, NULL);
	/* The default (XKB_DEFAULT_*) keymap, the one pinhole gives its own keyboards. */
	int fd;
	uint32_t size;
	struct xkb_keymap *keymap = client_keymap(&client, NULL, &fd, &size);
	wl_proxy_marshal_flags(tool.virtual_keyboard, VIRTUAL_KEYBOARD_KEYMAP, NULL, 1, 0,
		WL_KEYBOARD_KEYMAP_FORMAT_XKB_V1, fd, size);
	close(fd);
	tool.xkb_state = xkb_state_new(keymap);
	xkb_keymap_unref(keymap);
	return tool.virtual_keyboard;
}

static void send_key(uint32_t code, uint32_t state) {
	wl_proxy_marshal_flags(virtual_keyboard(), VIRTUAL_KEYBOARD_KEY, NULL, 1, 0, now_ms(),
		code, state);
	xkb_state_update_key(tool.xkb_state, code + 8,
		state == WL_KEYBOARD_KEY_STATE_PRESSED ? XKB_KEY_DOWN : XKB_KEY_UP);
	wl_proxy_marshal_flags(tool.virtual_keyboard, VIRTUAL_KEYBOARD_MODIFIERS, NULL, 1, 0,
		xkb_state_serialize_mods(tool.xkb_state, XKB_STATE_MODS_DEPRESSED),
		xkb_state_serialize_mods(tool.xkb_state, XKB_STATE_MODS_LATCHED),
		xkb_state_serialize_mods(tool.xkb_state, XKB_STATE_MODS_LOCKED),
		xkb_state_serialize_layout(tool.xkb_state, XKB_STATE_LAYOUT_EFFECTIVE));
}

/* Input method */

static void input_method_handle_activate(void *data, struct wl_proxy *proxy) {
	reply("im-activate");
}

static void input_method_handle_deactivate(void *data, struct wl_proxy *proxy) {
	reply("im-deactivate");
}

static void input_method_handle_surrounding_text(void *data, struct wl_proxy *proxy,
		const char *text, uint32_t cursor, uint32_t anchor) {
	reply("im-surrounding %s %u %u", text, cursor, anchor);
}

static void input_method_handle_text_change_cause(void *data, struct wl_proxy *proxy,
		uint32_t cause) {
}

static void input_method_handle_content_type(void *data, struct wl_proxy *proxy,
		uint32_t hint, uint32_t purpose) {
	reply("im-content-type %u %u", hint, purpose);
}

static void input_method_handle_done(void *data, struct wl_proxy *proxy) {
	tool.input_method_dones++;
	reply("im-done");
}

static void input_method_handle_unavailable(void *data, struct wl_proxy *proxy) {
	reply("im-unavailable");
}

static const struct {
	void (*activate)(void *, struct wl_proxy *);
	void (*deactivate)(void *, struct wl_proxy *);
	void (*surrounding_text)(void *, struct wl_proxy *, const char *, uint32_t, uint32_t);
	void (*text_change_cause)(void *, struct wl_proxy *, uint32_t);
	void (*content_type)(void *, struct wl_proxy *, uint32_t, uint32_t);
	void (*done)(void *, struct wl_proxy *);
	void (*unavailable)(void *, struct wl_proxy *);
} input_method_listener = {
	input_method_handle_activate,
	input_method_handle_deactivate,
	input_method_handle_surrounding_text,
	input_method_handle_text_change_cause,
	input_method_handle_content_type,
	input_method_handle_done,
	input_method_handle_unavailable,
};

static void grab_handle_keymap(void *data, struct wl_proxy *proxy, uint32_t format,
		int32_t fd, uint32_t size) {
	close(fd);
	reply("grab-keymap");
}

static void grab_handle_key(void *data, struct wl_proxy *proxy, uint32_t serial,
		uint32_t time, uint32_t key, uint32_t state) {
	reply("grab-key %u %u", key, state);
}

static void grab_handle_modifiers(void *data, struct wl_proxy *proxy, uint32_t serial,
		uint32_t depressed, uint32_t latched, uint32_t locked, uint32_t group) {
	reply("grab-modifiers %u", depressed);
}

static void grab_handle_repeat_info(void *data, struct wl_proxy *proxy, int32_t rate,
		int32_t delay) {
}

static const struct {
	void (*keymap)(void *, struct wl_proxy *, uint32_t, int32_t, uint32_t);
	void (*key)(void *, struct wl_proxy *, uint32_t, uint32_t, uint32_t, uint32_t);
	void (*modifiers)(void *, struct wl_proxy *, uint32_t, uint32_t, uint32_t, uint32_t,
		uint32_t);
	void (*repeat_info)(void *, struct wl_proxy *, int32_t, int32_t);
} grab_listener = {
	grab_handle_keymap,
	grab_handle_key,
	grab_handle_modifiers,
	grab_handle_repeat_info,
};

static void popup_handle_text_input_rectangle(void *data, struct wl_proxy *proxy, int32_t x,
		int32_t y, int32_t width, int32_t height) {
	reply("popup-rectangle %d %d %d %d", x, y, width, height);
}

static const struct {
	void (*text_input_rectangle)(void *, struct wl_proxy *, int32_t, int32_t, int32_t,
		int32_t);
} popup_listener = {
	popup_handle_text_input_rectangle,
};

static void input_method_commit(void) {
	wl_proxy_marshal_flags(tool.input_method, INPUT_METHOD_COMMIT, NULL, 1, 0,
		tool.input_method_dones);
	wl_display_roundtrip(client.display);
	reply("im-committed");
}

/* Gamma */

static void gamma_handle_gamma_size(void *data, struct wl_proxy *proxy, uint32_t size) {
	tool.gamma_size = size;
	reply("gamma-size %u", size);
}

static void gamma_handle_failed(void *data, struct wl_proxy *proxy) {
	reply("gamma-failed");
}

static const struct {
	void (*gamma_size)(void *, struct wl_proxy *, uint32_t);
	void (*failed)(void *, struct wl_proxy *);
} gamma_listener = {
	gamma_handle_gamma_size,
	gamma_handle_failed,
};

static void set_gamma(uint32_t entries) {
	size_t size = (size_t)entries * 3 * sizeof(uint16_t);
	uint16_t *ramps = calloc(1, size + 1);
	if (ramps == NULL) {
		exit(1);
	}
	for (uint32_t i = 0; i < entries; i++) {
		uint16_t value = entries > 1 ? (uint16_t)(i * 0xffffu / (tool.gamma_size - 1)) : 0;
		ramps[i] = ramps[entries + i] = ramps[2 * entries + i] = value;
	}
	int fd = client_memfd(&client, ramps, size);
	free(ramps);
	wl_proxy_marshal_flags(tool.gamma_control, 0, NULL, 1, 0, fd);
	close(fd);
	wl_display_roundtrip(client.display);
}

/* Registry */

static void bind_global(struct wl_registry *registry, uint32_t name, const char *interface,
		uint32_t version) {
	if (strcmp(interface, virtual_pointer_manager_interface.name) == 0) {
		tool.virtual_pointer_manager = wl_registry_bind(registry, name,
			&virtual_pointer_manager_interface, 1);
	} else if (strcmp(interface, virtual_keyboard_manager_interface.name) == 0) {
		tool.virtual_keyboard_manager = wl_registry_bind(registry, name,
			&virtual_keyboard_manager_interface, 1);
	} else if (strcmp(interface, input_method_manager_interface.name) == 0) {
		tool.input_method_manager = wl_registry_bind(registry, name,
			&input_method_manager_interface, 1);
	} else if (strcmp(interface, gamma_manager_interface.name) == 0) {
		tool.gamma_manager = wl_registry_bind(registry, name, &gamma_manager_interface, 1);
	}
}

static bool need(void *global, const char *what) {
	if (global == NULL) {
		reply("error the compositor has no %s", what);
	}
	return global != NULL;
}

static void handle_command(void *data, char *line) {
	int x, y, w, h, n;
	unsigned color;
	char text[512];
	if (sscanf(line, "move %d %d", &x, &y) == 2) {
		if (need(tool.virtual_pointer_manager, "virtual pointer manager")) {
			wl_proxy_marshal_flags(virtual_pointer(), VIRTUAL_POINTER_MOTION, NULL, 1, 0,
				now_ms(), wl_fixed_from_int(x), wl_fixed_from_int(y));
			pointer_frame();
			reply("moved");
		}
	} else if (sscanf(line, "warp %d %d %d %d", &x, &y, &w, &h) == 4) {
		if (need(tool.virtual_pointer_manager, "virtual pointer manager")) {
			wl_proxy_marshal_flags(virtual_pointer(), VIRTUAL_POINTER_MOTION_ABSOLUTE, NULL,
				1, 0, now_ms(), (uint32_t)x, (uint32_t)y, (uint32_t)w, (uint32_t)h);
			pointer_frame();
			reply("warped");
		}
	} else if (strcmp(line, "press") == 0 || strcmp(line, "release") == 0) {
		if (need(tool.virtual_pointer_manager, "virtual pointer manager")) {
			bool press = strcmp(line, "press") == 0;
			wl_proxy_marshal_flags(virtual_pointer(), VIRTUAL_POINTER_BUTTON, NULL, 1, 0,
				now_ms(), 0x110u /* BTN_LEFT */, press ? 1u : 0u);
			pointer_frame();
			reply(press ? "pressed" : "released");
		}
	} else if (strncmp(line, "keys ", 5) == 0) {
		if (!need(tool.virtual_keyboard_manager, "virtual keyboard manager")) {
			return;
		}
		uint32_t codes[8];
		int count = 0;
		char *cursor = line + 5;
		while (count < 8 && sscanf(cursor, "%d%n", &x, &n) == 1) {
			codes[count++] = (uint32_t)x;
			cursor += n;
		}
		for (int i = 0; i < count; i++) {
			send_key(codes[i], WL_KEYBOARD_KEY_STATE_PRESSED);
		}
		for (int i = count - 1; i >= 0; i--) {
			send_key(codes[i], WL_KEYBOARD_KEY_STATE_RELEASED);
		}
		wl_display_roundtrip(client.display);
		reply("keyed");
	} else if (strcmp(line, "im") == 0) {
		if (need(tool.input_method_manager, "input method manager")) {
			tool.input_method = wl_proxy_marshal_flags(tool.input_method_manager, 0,
				&input_method_interface, 1, 0, client.seat, NULL);
			wl_proxy_add_listener(tool.input_method, (void (**)(void))&input_method_listener,
				NULL);
			wl_display_roundtrip(client.display);
			reply("im-ready");
		}
	} else if (sscanf(line, "im-preedit %511s %d %d", text, &x, &y) == 3) {
		wl_proxy_marshal_flags(tool.input_method, INPUT_METHOD_SET_PREEDIT_STRING, NULL, 1, 0,
			text, x, y);
		input_method_commit();
	} else if (sscanf(line, "im-commit-string %511s", text) == 1) {
		wl_proxy_marshal_flags(tool.input_method, INPUT_METHOD_COMMIT_STRING, NULL, 1, 0,
			text);
		input_method_commit();
	} else if (sscanf(line, "im-delete %d %d", &x, &y) == 2) {
		wl_proxy_marshal_flags(tool.input_method, INPUT_METHOD_DELETE_SURROUNDING_TEXT, NULL,
			1, 0, (uint32_t)x, (uint32_t)y);
		input_method_commit();
	} else if (strcmp(line, "im-grab") == 0) {
		tool.keyboard_grab = wl_proxy_marshal_flags(tool.input_method,
			INPUT_METHOD_GRAB_KEYBOARD, &keyboard_grab_interface, 1, 0, NULL);
		wl_proxy_add_listener(tool.keyboard_grab, (void (**)(void))&grab_listener, NULL);
		wl_display_roundtrip(client.display);
		reply("im-grabbed");
	} else if (sscanf(line, "im-popup 0x%x", &color) == 1) {
		tool.popup_surface = wl_compositor_create_surface(client.compositor);
		struct wl_proxy *popup = wl_proxy_marshal_flags(tool.input_method,
			INPUT_METHOD_GET_INPUT_POPUP_SURFACE, &input_popup_surface_interface, 1, 0, NULL,
			tool.popup_surface);
		wl_proxy_add_listener(popup, (void (**)(void))&popup_listener, NULL);
		wl_surface_attach(tool.popup_surface, client_solid_buffer(&client, 40, 20,
			WL_SHM_FORMAT_ARGB8888, color), 0, 0);
		wl_surface_commit(tool.popup_surface);
		wl_display_roundtrip(client.display);
		reply("im-popup-ready");
	} else if (strcmp(line, "im-popup-again") == 0) {
		wl_proxy_marshal_flags(tool.input_method, INPUT_METHOD_GET_INPUT_POPUP_SURFACE,
			&input_popup_surface_interface, 1, 0, NULL, tool.popup_surface);
		wl_display_roundtrip(client.display);
		reply("im-popup-again-done");
	} else if (strcmp(line, "im-destroy") == 0) {
		wl_proxy_marshal_flags(tool.input_method, INPUT_METHOD_DESTROY, NULL, 1,
			WL_MARSHAL_FLAG_DESTROY);
		tool.input_method = NULL;
		wl_display_roundtrip(client.display);
		reply("im-destroyed");
	} else if (sscanf(line, "gamma %d", &x) == 1) {
		if (need(tool.gamma_manager, "gamma control manager") && x >= 0 &&
				x < client.output_count) {
			tool.gamma_control = wl_proxy_marshal_flags(tool.gamma_manager, 0,
				&gamma_control_interface, 1, 0, NULL, client.outputs[x]);
			wl_proxy_add_listener(tool.gamma_control, (void (**)(void))&gamma_listener,
				NULL);
			wl_display_roundtrip(client.display);
			reply("gamma-requested");
		}
	} else if (strcmp(line, "gamma-set") == 0) {
		set_gamma(tool.gamma_size);
		reply("gamma-set");
	} else if (strcmp(line, "gamma-set-bad") == 0) {
		set_gamma(tool.gamma_size - 1);
		reply("gamma-set-bad-done");
	} else if (strcmp(line, "roundtrip") == 0) {
		wl_display_roundtrip(client.display);
		reply("roundtrip-done");
	} else {
		reply("error unknown command '%s'", line);
	}
}

int main(void) {
	client.bind_global = bind_global;
	client_connect(&client);
	if (client.compositor == NULL || client.shm == NULL || client.seat == NULL) {
		client_fail("the compositor lacks wl_compositor, wl_shm or wl_seat");
	}
	reply("hello outputs=%d", client.output_count);

	int status = client_main_loop(client.display, &client.running, handle_command, NULL);
	if (status != 0) {
		return status;
	}
	wl_display_disconnect(client.display);
	return 0;
}
