#ifndef PINHOLE_WLR_VIRTUAL_POINTER_CLIENT_H
#define PINHOLE_WLR_VIRTUAL_POINTER_CLIENT_H

/*
 * The client side of wlr-virtual-pointer-unstable-v1 (version 2), written out
 * by hand: wlroots implements it but installs no XML to generate this from,
 * and the example and test clients need only a few requests. Message
 * signatures and opcodes follow the protocol's XML order.
 */

#include <stdbool.h>
#include <stdint.h>
#include <wayland-client.h>

static const struct wl_interface zwlr_virtual_pointer_v1_interface;
static const struct wl_interface *zwlr_virtual_pointer_types[] = {
	NULL, NULL, NULL, NULL, NULL, &wl_seat_interface, &zwlr_virtual_pointer_v1_interface,
};
static const struct wl_message zwlr_virtual_pointer_manager_v1_requests[] = {
	{"create_virtual_pointer", "?on", zwlr_virtual_pointer_types + 5},
	{"destroy", "", zwlr_virtual_pointer_types},
};
static const struct wl_interface zwlr_virtual_pointer_manager_v1_interface = {
	"zwlr_virtual_pointer_manager_v1", 1, 2, zwlr_virtual_pointer_manager_v1_requests, 0, NULL,
};
static const struct wl_message zwlr_virtual_pointer_v1_requests[] = {
	{"motion", "uff", zwlr_virtual_pointer_types},
	{"motion_absolute", "uuuuu", zwlr_virtual_pointer_types},
	{"button", "uuu", zwlr_virtual_pointer_types},
	{"axis", "uuf", zwlr_virtual_pointer_types},
	{"frame", "", zwlr_virtual_pointer_types},
	{"axis_source", "u", zwlr_virtual_pointer_types},
	{"axis_stop", "uu", zwlr_virtual_pointer_types},
	{"axis_discrete", "uufi", zwlr_virtual_pointer_types},
	{"destroy", "", zwlr_virtual_pointer_types},
};
static const struct wl_interface zwlr_virtual_pointer_v1_interface = {
	"zwlr_virtual_pointer_v1", 1, 9, zwlr_virtual_pointer_v1_requests, 0, NULL,
};

enum {
	ZWLR_VIRTUAL_POINTER_V1_MOTION_ABSOLUTE = 1,
	ZWLR_VIRTUAL_POINTER_V1_BUTTON = 2,
	ZWLR_VIRTUAL_POINTER_V1_FRAME = 4,
	ZWLR_VIRTUAL_POINTER_V1_DESTROY = 8,
};

/* seat may be NULL (the compositor's default seat). */
static inline struct wl_proxy *zwlr_virtual_pointer_create(struct wl_proxy *manager,
		struct wl_seat *seat) {
	return wl_proxy_marshal_flags(manager, 0, &zwlr_virtual_pointer_v1_interface, 1, 0,
		seat, NULL);
}

/* Moves to x,y of an area of width x height (a wl_output's size, say); ends the frame. */
static inline void zwlr_virtual_pointer_move_to(struct wl_proxy *pointer, uint32_t time_ms,
		uint32_t x, uint32_t y, uint32_t width, uint32_t height) {
	wl_proxy_marshal_flags(pointer, ZWLR_VIRTUAL_POINTER_V1_MOTION_ABSOLUTE, NULL, 1, 0,
		time_ms, x, y, width, height);
	wl_proxy_marshal_flags(pointer, ZWLR_VIRTUAL_POINTER_V1_FRAME, NULL, 1, 0);
}

/* Presses or releases an evdev button code (BTN_LEFT is 0x110); ends the frame. */
static inline void zwlr_virtual_pointer_press(struct wl_proxy *pointer, uint32_t time_ms,
		uint32_t button, bool pressed) {
	wl_proxy_marshal_flags(pointer, ZWLR_VIRTUAL_POINTER_V1_BUTTON, NULL, 1, 0, time_ms,
		button, pressed ? 1u : 0u);
	wl_proxy_marshal_flags(pointer, ZWLR_VIRTUAL_POINTER_V1_FRAME, NULL, 1, 0);
}

static inline void zwlr_virtual_pointer_destroy(struct wl_proxy *pointer) {
	wl_proxy_marshal_flags(pointer, ZWLR_VIRTUAL_POINTER_V1_DESTROY, NULL, 1,
		WL_MARSHAL_FLAG_DESTROY);
}

#endif
