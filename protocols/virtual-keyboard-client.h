#ifndef PINHOLE_VIRTUAL_KEYBOARD_CLIENT_H
#define PINHOLE_VIRTUAL_KEYBOARD_CLIENT_H

/*
 * The client side of virtual-keyboard-unstable-v1 (version 1), written out by
 * hand like wlr-virtual-pointer-client.h: wlroots implements it but installs
 * no XML. Message signatures and opcodes follow the protocol's XML order.
 */

#include <stdbool.h>
#include <stdint.h>
#include <wayland-client.h>

static const struct wl_interface zwp_virtual_keyboard_v1_interface;
static const struct wl_interface *zwp_virtual_keyboard_types[] = {
	NULL, NULL, NULL, NULL, &wl_seat_interface, &zwp_virtual_keyboard_v1_interface,
};
static const struct wl_message zwp_virtual_keyboard_manager_v1_requests[] = {
	{"create_virtual_keyboard", "on", zwp_virtual_keyboard_types + 4},
};
static const struct wl_interface zwp_virtual_keyboard_manager_v1_interface = {
	"zwp_virtual_keyboard_manager_v1", 1, 1, zwp_virtual_keyboard_manager_v1_requests, 0,
	NULL,
};
static const struct wl_message zwp_virtual_keyboard_v1_requests[] = {
	{"keymap", "uhu", zwp_virtual_keyboard_types},
	{"key", "uuu", zwp_virtual_keyboard_types},
	{"modifiers", "uuuu", zwp_virtual_keyboard_types},
	{"destroy", "", zwp_virtual_keyboard_types},
};
static const struct wl_interface zwp_virtual_keyboard_v1_interface = {
	"zwp_virtual_keyboard_v1", 1, 4, zwp_virtual_keyboard_v1_requests, 0, NULL,
};

enum {
	ZWP_VIRTUAL_KEYBOARD_V1_KEYMAP = 0,
	ZWP_VIRTUAL_KEYBOARD_V1_KEY = 1,
	ZWP_VIRTUAL_KEYBOARD_V1_DESTROY = 3,
};

/* A keyboard on seat whose XKB keymap (text, size bytes with its NUL) is in fd. */
static inline struct wl_proxy *zwp_virtual_keyboard_create(struct wl_proxy *manager,
		struct wl_seat *seat, int fd, uint32_t size) {
	struct wl_proxy *keyboard = wl_proxy_marshal_flags(manager, 0,
		&zwp_virtual_keyboard_v1_interface, 1, 0, seat, NULL);
	wl_proxy_marshal_flags(keyboard, ZWP_VIRTUAL_KEYBOARD_V1_KEYMAP, NULL, 1, 0,
		(uint32_t)WL_KEYBOARD_KEYMAP_FORMAT_XKB_V1, fd, size);
	return keyboard;
}

/* Presses or releases an evdev key code (KEY_ENTER is 28). */
static inline void zwp_virtual_keyboard_key(struct wl_proxy *keyboard, uint32_t time_ms,
		uint32_t key, bool pressed) {
	wl_proxy_marshal_flags(keyboard, ZWP_VIRTUAL_KEYBOARD_V1_KEY, NULL, 1, 0, time_ms, key,
		pressed ? 1u : 0u);
}

static inline void zwp_virtual_keyboard_destroy(struct wl_proxy *keyboard) {
	wl_proxy_marshal_flags(keyboard, ZWP_VIRTUAL_KEYBOARD_V1_DESTROY, NULL, 1,
		WL_MARSHAL_FLAG_DESTROY);
}

#endif
