/*
 * --control: terminal keys become key presses of a virtual keyboard whose
 * keymap is the XKB default (XKB_DEFAULT_LAYOUT etc., else "us"): each keysym
 * is looked up on the first level that produces it, with Shift held for the
 * second level, and Ctrl/Alt/Shift from the terminal pressed around it. Mouse
 * reports become absolute motion, buttons and wheel clicks of a virtual
 * pointer bound to the captured output.
 */
#define _GNU_SOURCE
#include <linux/input-event-codes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <wayland-client.h>
#include "term.h"
#include "virtual-keyboard-unstable-v1-client-protocol.h"
#include "wlr-virtual-pointer-unstable-v1-client-protocol.h"

struct term_control {
	struct wl_display *display;
	struct zwp_virtual_keyboard_v1 *keyboard;
	struct zwlr_virtual_pointer_v1 *pointer;
	struct xkb_context *context;
	struct xkb_keymap *keymap;
	struct xkb_state *state;
	xkb_keycode_t shift, ctrl, alt; /* 0 when the keymap lacks one */
	uint32_t last_x, last_y;
	bool have_position;
};

static uint32_t now_ms(void) {
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint32_t)(ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

/* The first key and level producing keysym in layout 0; false if none. */
static bool find_key(struct xkb_keymap *keymap, xkb_keysym_t keysym, xkb_keycode_t *keycode,
		xkb_level_index_t *level) {
	xkb_keycode_t min = xkb_keymap_min_keycode(keymap), max = xkb_keymap_max_keycode(keymap);
	/* Level 0 everywhere first: '1' is level 0 of one key and level 1 of none. */
	for (xkb_level_index_t l = 0; l < 2; l++) {
		for (xkb_keycode_t k = min; k <= max; k++) {
			if (l >= xkb_keymap_num_levels_for_key(keymap, k, 0)) {
				continue;
			}
			const xkb_keysym_t *syms;
			int n = xkb_keymap_key_get_syms_by_level(keymap, k, 0, l, &syms);
			if (n == 1 && syms[0] == keysym) {
				*keycode = k;
				*level = l;
				return true;
			}
		}
	}
	return false;
}

static xkb_keycode_t keycode_of(struct xkb_keymap *keymap, xkb_keysym_t keysym) {
	xkb_keycode_t keycode;
	xkb_level_index_t level;
	return find_key(keymap, keysym, &keycode, &level) && level == 0 ? keycode : 0;
}

static bool send_keymap(struct term_control *control) {
	char *text = xkb_keymap_get_as_string(control->keymap, XKB_KEYMAP_FORMAT_TEXT_V1);
	if (text == NULL) {
		return false;
	}
	size_t size = strlen(text) + 1;
	int fd = memfd_create("pinhole-term-keymap", MFD_CLOEXEC);
	bool ok = fd >= 0 && write(fd, text, size) == (ssize_t)size;
	if (ok) {
		zwp_virtual_keyboard_v1_keymap(control->keyboard, XKB_KEYMAP_FORMAT_TEXT_V1, fd,
			(uint32_t)size);
	}
	if (fd >= 0) {
		close(fd);
	}
	free(text);
	return ok;
}

struct term_control *term_control_create(struct term_capture *capture) {
	struct term_control *control = calloc(1, sizeof(*control));
	if (control == NULL) {
		return NULL;
	}
	control->display = term_capture_display(capture);
	control->context = xkb_context_new(XKB_CONTEXT_NO_FLAGS);
	struct xkb_rule_names names = {0};
	control->keymap = control->context != NULL ? xkb_keymap_new_from_names(control->context,
		&names, XKB_KEYMAP_COMPILE_NO_FLAGS) : NULL;
	if (control->keymap == NULL) {
		fprintf(stderr, "pinhole-term: cannot compile the default XKB keymap\n");
		term_control_destroy(control);
		return NULL;
	}
	control->state = xkb_state_new(control->keymap);
	control->shift = keycode_of(control->keymap, XKB_KEY_Shift_L);
	control->ctrl = keycode_of(control->keymap, XKB_KEY_Control_L);
	control->alt = keycode_of(control->keymap, XKB_KEY_Alt_L);

	struct zwp_virtual_keyboard_manager_v1 *keyboards =
		term_capture_virtual_keyboard_manager(capture);
	struct zwlr_virtual_pointer_manager_v1 *pointers =
		term_capture_virtual_pointer_manager(capture);
	struct wl_seat *seat = term_capture_seat(capture);
	control->keyboard = zwp_virtual_keyboard_manager_v1_create_virtual_keyboard(keyboards,
		seat);
	if (!send_keymap(control)) {
		fprintf(stderr, "pinhole-term: cannot send the keymap\n");
		term_control_destroy(control);
		return NULL;
	}
	struct wl_output *output = term_capture_output(capture);
	if (zwlr_virtual_pointer_manager_v1_get_version(pointers) >= 2 && output != NULL) {
		control->pointer = zwlr_virtual_pointer_manager_v1_create_virtual_pointer_with_output(
			pointers, seat, output);
	} else {
		control->pointer = zwlr_virtual_pointer_manager_v1_create_virtual_pointer(pointers,
			seat);
	}
	return control;
}

void term_control_destroy(struct term_control *control) {
	if (control->keyboard != NULL) {
		zwp_virtual_keyboard_v1_destroy(control->keyboard);
	}
	if (control->pointer != NULL) {
		zwlr_virtual_pointer_v1_destroy(control->pointer);
	}
	xkb_state_unref(control->state);
	xkb_keymap_unref(control->keymap);
	xkb_context_unref(control->context);
	free(control);
}

static void send_key(struct term_control *control, xkb_keycode_t keycode, bool pressed) {
	if (keycode == 0) {
		return;
	}
	/* Evdev codes are XKB keycodes minus 8. */
	zwp_virtual_keyboard_v1_key(control->keyboard, now_ms(), keycode - 8,
		pressed ? WL_KEYBOARD_KEY_STATE_PRESSED : WL_KEYBOARD_KEY_STATE_RELEASED);
	xkb_state_update_key(control->state, keycode, pressed ? XKB_KEY_DOWN : XKB_KEY_UP);
	/* The modifiers too, so that compositors that do not derive them agree. */
	zwp_virtual_keyboard_v1_modifiers(control->keyboard,
		xkb_state_serialize_mods(control->state, XKB_STATE_MODS_DEPRESSED),
		xkb_state_serialize_mods(control->state, XKB_STATE_MODS_LATCHED),
		xkb_state_serialize_mods(control->state, XKB_STATE_MODS_LOCKED),
		xkb_state_serialize_layout(control->state, XKB_STATE_LAYOUT_EFFECTIVE));
}

void term_control_key(struct term_control *control, xkb_keysym_t keysym, unsigned modifiers) {
	xkb_keycode_t keycode;
	xkb_level_index_t level;
	if (!find_key(control->keymap, keysym, &keycode, &level)) {
		char name[64];
		xkb_keysym_get_name(keysym, name, sizeof(name));
		fprintf(stderr, "pinhole-term: no key for %s in the keymap\r\n", name);
		return;
	}
	bool shift = level == 1 || (modifiers & TERM_MOD_SHIFT);
	xkb_keycode_t held[3];
	int n = 0;
	if (modifiers & TERM_MOD_CTRL) {
		held[n++] = control->ctrl;
	}
	if (modifiers & TERM_MOD_ALT) {
		held[n++] = control->alt;
	}
	if (shift) {
		held[n++] = control->shift;
	}
	for (int i = 0; i < n; i++) {
		send_key(control, held[i], true);
	}
	send_key(control, keycode, true);
	send_key(control, keycode, false);
	for (int i = n - 1; i >= 0; i--) {
		send_key(control, held[i], false);
	}
}

void term_control_pointer(struct term_control *control, uint32_t x, uint32_t y,
		uint32_t width, uint32_t height) {
	if (control->have_position && x == control->last_x && y == control->last_y) {
		return;
	}
	control->have_position = true;
	control->last_x = x;
	control->last_y = y;
	zwlr_virtual_pointer_v1_motion_absolute(control->pointer, now_ms(), x, y, width, height);
	zwlr_virtual_pointer_v1_frame(control->pointer);
}

void term_control_button(struct term_control *control, int button, bool pressed) {
	static const uint32_t codes[3] = {BTN_LEFT, BTN_MIDDLE, BTN_RIGHT};
	if (button < 0 || button > 2) {
		return;
	}
	zwlr_virtual_pointer_v1_button(control->pointer, now_ms(), codes[button],
		pressed ? WL_POINTER_BUTTON_STATE_PRESSED : WL_POINTER_BUTTON_STATE_RELEASED);
	zwlr_virtual_pointer_v1_frame(control->pointer);
}

void term_control_wheel(struct term_control *control, int vertical, int horizontal) {
	uint32_t time = now_ms();
	zwlr_virtual_pointer_v1_axis_source(control->pointer, WL_POINTER_AXIS_SOURCE_WHEEL);
	if (vertical != 0) {
		/* 15 per click, as libinput reports a wheel. */
		zwlr_virtual_pointer_v1_axis_discrete(control->pointer, time,
			WL_POINTER_AXIS_VERTICAL_SCROLL, wl_fixed_from_int(15 * vertical), vertical);
	}
	if (horizontal != 0) {
		zwlr_virtual_pointer_v1_axis_discrete(control->pointer, time,
			WL_POINTER_AXIS_HORIZONTAL_SCROLL, wl_fixed_from_int(15 * horizontal),
			horizontal);
	}
	zwlr_virtual_pointer_v1_frame(control->pointer);
}
