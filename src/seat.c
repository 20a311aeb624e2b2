#include <stdlib.h>
#include <time.h>
#include <wlr/backend/session.h>
#include <wlr/types/wlr_cursor.h>
#include <wlr/types/wlr_cursor_shape_v1.h>
#include <wlr/types/wlr_data_device.h>
#include <wlr/types/wlr_input_device.h>
#include <wlr/types/wlr_keyboard.h>
#include <wlr/types/wlr_output_layout.h>
#include <wlr/types/wlr_pointer.h>
#include <wlr/types/wlr_primary_selection.h>
#include <wlr/types/wlr_scene.h>
#include <wlr/types/wlr_seat.h>
#include <wlr/types/wlr_virtual_keyboard_v1.h>
#include <wlr/types/wlr_virtual_pointer_v1.h>
#include <wlr/types/wlr_xcursor_manager.h>
#include <wlr/types/wlr_xdg_shell.h>
#include <wlr/util/edges.h>
#include <wlr/util/log.h>
#include <xkbcommon/xkbcommon.h>
#include "seat.h"
#include "server.h"
#include "touch.h"
#include "view.h"

struct seat {
	struct server *server;
	struct wlr_seat *wlr_seat;
	struct wlr_cursor *cursor;
	struct wlr_xcursor_manager *xcursor_manager;
	struct wl_list keyboards; /* struct keyboard.link */
	struct wl_list pointers; /* struct pointer.link */
	struct touch *touch;
	/* Whether a pointer device has moved the cursor yet; until then it is nowhere. */
	bool cursor_placed;

	enum seat_grab grab;
	struct view *grab_view;
	double grab_x, grab_y;
	struct wlr_box grab_box;
	uint32_t resize_edges;

	struct wl_listener new_input;
	struct wl_listener new_virtual_keyboard;
	struct wl_listener new_virtual_pointer;
	struct wl_listener cursor_motion;
	struct wl_listener cursor_motion_absolute;
	struct wl_listener cursor_button;
	struct wl_listener cursor_axis;
	struct wl_listener cursor_frame;
	struct wl_listener request_set_cursor;
	struct wl_listener request_set_shape;
	struct wl_listener request_set_selection;
	struct wl_listener request_set_primary_selection;
};

struct keyboard {
	struct seat *seat;
	struct wlr_keyboard *wlr_keyboard;
	struct wl_list link; /* seat.keyboards */
	struct wl_listener modifiers;
	struct wl_listener key;
	struct wl_listener destroy;
};

struct pointer {
	struct seat *seat;
	struct wlr_input_device *device;
	struct wl_list link; /* seat.pointers */
	struct wl_listener destroy;
};

void seat_update_capabilities(struct seat *seat) {
	uint32_t caps = WL_SEAT_CAPABILITY_POINTER;
	if (!wl_list_empty(&seat->keyboards)) {
		caps |= WL_SEAT_CAPABILITY_KEYBOARD;
	}
	if (touch_has_devices(seat->touch)) {
		caps |= WL_SEAT_CAPABILITY_TOUCH;
	}
	wlr_seat_set_capabilities(seat->wlr_seat, caps);
}

/* Keyboard */

static void handle_keyboard_modifiers(struct wl_listener *listener, void *data) {
	struct keyboard *keyboard = wl_container_of(listener, keyboard, modifiers);
	wlr_seat_set_keyboard(keyboard->seat->wlr_seat, keyboard->wlr_keyboard);
	wlr_seat_keyboard_notify_modifiers(keyboard->seat->wlr_seat,
		&keyboard->wlr_keyboard->modifiers);
}

/* Compositor shortcuts; returns true when the key was one of them. */
static bool handle_keybinding(struct seat *seat, xkb_keysym_t sym, uint32_t modifiers) {
	struct server *server = seat->server;
	if (sym >= XKB_KEY_XF86Switch_VT_1 && sym <= XKB_KEY_XF86Switch_VT_12) {
		if (server->session != NULL) {
			wlr_session_change_vt(server->session, sym - XKB_KEY_XF86Switch_VT_1 + 1);
		}
		return true;
	}
	if (!(modifiers & WLR_MODIFIER_ALT)) {
		return false;
	}
	switch (sym) {
	case XKB_KEY_Escape:
		wlr_log(WLR_INFO, "quit requested from the keyboard");
		server_terminate(server, 0);
		return true;
	case XKB_KEY_Tab:
	case XKB_KEY_F1:
		view_cycle_focus(server);
		return true;
	default:
		return false;
	}
}

static void handle_keyboard_key(struct wl_listener *listener, void *data) {
	struct keyboard *keyboard = wl_container_of(listener, keyboard, key);
	struct seat *seat = keyboard->seat;
	struct wlr_keyboard_key_event *event = data;

	uint32_t keycode = event->keycode + 8; /* libinput → xkb */
	const xkb_keysym_t *syms;
	int nsyms = xkb_state_key_get_syms(keyboard->wlr_keyboard->xkb_state, keycode, &syms);
	uint32_t modifiers = wlr_keyboard_get_modifiers(keyboard->wlr_keyboard);
	bool handled = false;
	if (event->state == WL_KEYBOARD_KEY_STATE_PRESSED) {
		for (int i = 0; i < nsyms && !handled; i++) {
			handled = handle_keybinding(seat, syms[i], modifiers);
		}
	}
	if (!handled) {
		wlr_seat_set_keyboard(seat->wlr_seat, keyboard->wlr_keyboard);
		wlr_seat_keyboard_notify_key(seat->wlr_seat, event->time_msec, event->keycode,
			event->state);
	}
}

static void handle_keyboard_destroy(struct wl_listener *listener, void *data) {
	struct keyboard *keyboard = wl_container_of(listener, keyboard, destroy);
	struct seat *seat = keyboard->seat;
	wl_list_remove(&keyboard->modifiers.link);
	wl_list_remove(&keyboard->key.link);
	wl_list_remove(&keyboard->destroy.link);
	wl_list_remove(&keyboard->link);
	free(keyboard);
	seat_update_capabilities(seat);
}

static void add_keyboard(struct seat *seat, struct wlr_keyboard *wlr_keyboard) {
	struct keyboard *keyboard = calloc(1, sizeof(*keyboard));
	if (keyboard == NULL) {
		return;
	}
	keyboard->seat = seat;
	keyboard->wlr_keyboard = wlr_keyboard;

	/* Virtual keyboards bring their own keymap. XKB_DEFAULT_* pick ours. */
	if (wlr_keyboard->keymap == NULL) {
		struct xkb_context *context = xkb_context_new(XKB_CONTEXT_NO_FLAGS);
		struct xkb_keymap *keymap = xkb_keymap_new_from_names(context, NULL,
			XKB_KEYMAP_COMPILE_NO_FLAGS);
		if (keymap != NULL) {
			wlr_keyboard_set_keymap(wlr_keyboard, keymap);
			xkb_keymap_unref(keymap);
		} else {
			wlr_log(WLR_ERROR, "keyboard: no keymap for the XKB_DEFAULT_* settings");
		}
		xkb_context_unref(context);
	}
	wlr_keyboard_set_repeat_info(wlr_keyboard, 25, 600);

	keyboard->modifiers.notify = handle_keyboard_modifiers;
	wl_signal_add(&wlr_keyboard->events.modifiers, &keyboard->modifiers);
	keyboard->key.notify = handle_keyboard_key;
	wl_signal_add(&wlr_keyboard->events.key, &keyboard->key);
	keyboard->destroy.notify = handle_keyboard_destroy;
	wl_signal_add(&wlr_keyboard->base.events.destroy, &keyboard->destroy);

	wlr_seat_set_keyboard(seat->wlr_seat, wlr_keyboard);
	wl_list_insert(&seat->keyboards, &keyboard->link);
	seat_update_capabilities(seat);
}

/* Pointer */

static void handle_pointer_destroy(struct wl_listener *listener, void *data) {
	struct pointer *pointer = wl_container_of(listener, pointer, destroy);
	wlr_cursor_detach_input_device(pointer->seat->cursor, pointer->device);
	wl_list_remove(&pointer->destroy.link);
	wl_list_remove(&pointer->link);
	free(pointer);
}

static void add_pointer(struct seat *seat, struct wlr_input_device *device) {
	struct pointer *pointer = calloc(1, sizeof(*pointer));
	if (pointer == NULL) {
		return;
	}
	pointer->seat = seat;
	pointer->device = device;
	pointer->destroy.notify = handle_pointer_destroy;
	wl_signal_add(&device->events.destroy, &pointer->destroy);
	wl_list_insert(&seat->pointers, &pointer->link);
	wlr_cursor_attach_input_device(seat->cursor, device);
}

static void handle_new_input(struct wl_listener *listener, void *data) {
	struct seat *seat = wl_container_of(listener, seat, new_input);
	struct wlr_input_device *device = data;
	switch (device->type) {
	case WLR_INPUT_DEVICE_KEYBOARD:
		add_keyboard(seat, wlr_keyboard_from_input_device(device));
		break;
	case WLR_INPUT_DEVICE_POINTER:
		add_pointer(seat, device);
		break;
	case WLR_INPUT_DEVICE_TOUCH:
		touch_add_device(seat->touch, device);
		seat_update_capabilities(seat);
		break;
	default:
		break;
	}
}

static void handle_new_virtual_keyboard(struct wl_listener *listener, void *data) {
	struct seat *seat = wl_container_of(listener, seat, new_virtual_keyboard);
	struct wlr_virtual_keyboard_v1 *keyboard = data;
	add_keyboard(seat, &keyboard->keyboard);
}

static void handle_new_virtual_pointer(struct wl_listener *listener, void *data) {
	struct seat *seat = wl_container_of(listener, seat, new_virtual_pointer);
	struct wlr_virtual_pointer_v1_new_pointer_event *event = data;
	struct wlr_input_device *device = &event->new_pointer->pointer.base;
	add_pointer(seat, device);
	if (event->suggested_output != NULL) {
		wlr_cursor_map_input_to_output(seat->cursor, device, event->suggested_output);
	}
}

/* Cursor and interactive move/resize */

static void process_grab_motion(struct seat *seat) {
	struct view *view = seat->grab_view;
	double dx = seat->cursor->x - seat->grab_x;
	double dy = seat->cursor->y - seat->grab_y;
	if (seat->grab == SEAT_GRAB_MOVE) {
		view_move(view, seat->grab_box.x + (int)dx, seat->grab_box.y + (int)dy);
		return;
	}
	/* Resize: move the grabbed edges, keep the others where they were. */
	struct wlr_box box = seat->grab_box;
	int left = box.x, right = box.x + box.width;
	int top = box.y, bottom = box.y + box.height;
	if (seat->resize_edges & WLR_EDGE_LEFT) {
		left = box.x + (int)dx;
		if (left >= right) {
			left = right - 1;
		}
	} else if (seat->resize_edges & WLR_EDGE_RIGHT) {
		right = box.x + box.width + (int)dx;
		if (right <= left) {
			right = left + 1;
		}
	}
	if (seat->resize_edges & WLR_EDGE_TOP) {
		top = box.y + (int)dy;
		if (top >= bottom) {
			top = bottom - 1;
		}
	} else if (seat->resize_edges & WLR_EDGE_BOTTOM) {
		bottom = box.y + box.height + (int)dy;
		if (bottom <= top) {
			bottom = top + 1;
		}
	}
	struct wlr_box geo;
	view->impl->get_geometry(view, &geo);
	view->x = left - geo.x;
	view->y = top - geo.y;
	wlr_scene_node_set_position(&view->scene_tree->node, view->x, view->y);
	view->impl->configure(view, view->x, view->y, right - left, bottom - top);
}

static void process_motion(struct seat *seat, uint32_t time_msec) {
	if (seat->grab != SEAT_GRAB_NONE && seat->grab_view != NULL) {
		process_grab_motion(seat);
		return;
	}
	struct wlr_surface *surface = NULL;
	double sx, sy;
	struct view *view = view_at(seat->server, seat->cursor->x, seat->cursor->y,
		&surface, &sx, &sy);
	if (view == NULL && surface == NULL) {
		wlr_cursor_set_xcursor(seat->cursor, seat->xcursor_manager, "default");
	}
	if (surface != NULL) {
		wlr_seat_pointer_notify_enter(seat->wlr_seat, surface, sx, sy);
		wlr_seat_pointer_notify_motion(seat->wlr_seat, time_msec, sx, sy);
	} else {
		wlr_seat_pointer_clear_focus(seat->wlr_seat);
	}
}

void seat_pointer_rebase(struct seat *seat) {
	/*
	 * A cursor no device has moved yet (wlroots starts it at 100,100) gives
	 * no window the focus, and no window a reason to set a cursor image.
	 */
	if (!seat->cursor_placed || seat->grab != SEAT_GRAB_NONE) {
		return;
	}
	struct wlr_surface *surface = NULL;
	double sx = 0, sy = 0;
	view_at(seat->server, seat->cursor->x, seat->cursor->y, &surface, &sx, &sy);
	struct wlr_seat_pointer_state *state = &seat->wlr_seat->pointer_state;
	/*
	 * A client without a wl_pointer yet would miss the enter, and wlroots
	 * sends none when it binds one later: leave it to the next motion.
	 */
	if (surface != NULL) {
		struct wlr_seat_client *client = wlr_seat_client_for_wl_client(seat->wlr_seat,
			wl_resource_get_client(surface->resource));
		if (client == NULL || wl_list_empty(&client->pointers)) {
			return;
		}
	}
	/* Nothing moved relative to the pointer: no events. */
	if (surface == state->focused_surface && (surface == NULL ||
			(sx == state->sx && sy == state->sy))) {
		return;
	}
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	process_motion(seat, (uint32_t)(now.tv_sec * 1000 + now.tv_nsec / 1000000));
	wlr_seat_pointer_notify_frame(seat->wlr_seat);
}

static void handle_cursor_motion(struct wl_listener *listener, void *data) {
	struct seat *seat = wl_container_of(listener, seat, cursor_motion);
	struct wlr_pointer_motion_event *event = data;
	wlr_cursor_move(seat->cursor, &event->pointer->base, event->delta_x, event->delta_y);
	seat->cursor_placed = true;
	process_motion(seat, event->time_msec);
}

static void handle_cursor_motion_absolute(struct wl_listener *listener, void *data) {
	struct seat *seat = wl_container_of(listener, seat, cursor_motion_absolute);
	struct wlr_pointer_motion_absolute_event *event = data;
	wlr_cursor_warp_absolute(seat->cursor, &event->pointer->base, event->x, event->y);
	seat->cursor_placed = true;
	process_motion(seat, event->time_msec);
}

static void handle_cursor_button(struct wl_listener *listener, void *data) {
	struct seat *seat = wl_container_of(listener, seat, cursor_button);
	struct wlr_pointer_button_event *event = data;
	wlr_seat_pointer_notify_button(seat->wlr_seat, event->time_msec, event->button,
		event->state);
	if (event->state == WL_POINTER_BUTTON_STATE_RELEASED) {
		seat->grab = SEAT_GRAB_NONE;
		seat->grab_view = NULL;
		return;
	}
	struct wlr_surface *surface = NULL;
	double sx, sy;
	struct view *view = view_at(seat->server, seat->cursor->x, seat->cursor->y,
		&surface, &sx, &sy);
	if (view != NULL) {
		view_focus(view);
	}
}

static void handle_cursor_axis(struct wl_listener *listener, void *data) {
	struct seat *seat = wl_container_of(listener, seat, cursor_axis);
	struct wlr_pointer_axis_event *event = data;
	wlr_seat_pointer_notify_axis(seat->wlr_seat, event->time_msec, event->orientation,
		event->delta, event->delta_discrete, event->source, event->relative_direction);
}

static void handle_cursor_frame(struct wl_listener *listener, void *data) {
	struct seat *seat = wl_container_of(listener, seat, cursor_frame);
	wlr_seat_pointer_notify_frame(seat->wlr_seat);
}

static void handle_request_set_cursor(struct wl_listener *listener, void *data) {
	struct seat *seat = wl_container_of(listener, seat, request_set_cursor);
	struct wlr_seat_pointer_request_set_cursor_event *event = data;
	if (seat->wlr_seat->pointer_state.focused_client == event->seat_client) {
		wlr_cursor_set_surface(seat->cursor, event->surface, event->hotspot_x,
			event->hotspot_y);
	}
}

static void handle_request_set_shape(struct wl_listener *listener, void *data) {
	struct seat *seat = wl_container_of(listener, seat, request_set_shape);
	struct wlr_cursor_shape_manager_v1_request_set_shape_event *event = data;
	if (seat->wlr_seat->pointer_state.focused_client == event->seat_client) {
		wlr_cursor_set_xcursor(seat->cursor, seat->xcursor_manager,
			wlr_cursor_shape_v1_name(event->shape));
	}
}

static void handle_request_set_selection(struct wl_listener *listener, void *data) {
	struct seat *seat = wl_container_of(listener, seat, request_set_selection);
	struct wlr_seat_request_set_selection_event *event = data;
	wlr_seat_set_selection(seat->wlr_seat, event->source, event->serial);
}

static void handle_request_set_primary_selection(struct wl_listener *listener, void *data) {
	struct seat *seat = wl_container_of(listener, seat, request_set_primary_selection);
	struct wlr_seat_request_set_primary_selection_event *event = data;
	wlr_seat_set_primary_selection(seat->wlr_seat, event->source, event->serial);
}

void seat_begin_interactive(struct seat *seat, struct view *view, enum seat_grab grab,
		uint32_t edges) {
	/* Only the focused window may start a grab, and only with a button held. */
	if (seat->wlr_seat->pointer_state.button_count == 0 ||
			wlr_surface_get_root_surface(seat->wlr_seat->pointer_state.focused_surface ?
				seat->wlr_seat->pointer_state.focused_surface : view->surface) != view->surface) {
		return;
	}
	struct wlr_box geo;
	view->impl->get_geometry(view, &geo);
	seat->grab = grab;
	seat->grab_view = view;
	seat->grab_x = seat->cursor->x;
	seat->grab_y = seat->cursor->y;
	seat->resize_edges = edges;
	if (grab == SEAT_GRAB_MOVE) {
		seat->grab_box = (struct wlr_box){view->x, view->y, 0, 0};
	} else {
		seat->grab_box = (struct wlr_box){view->x + geo.x, view->y + geo.y,
			geo.width, geo.height};
	}
	wlr_seat_pointer_clear_focus(seat->wlr_seat);
}

void seat_view_unmapped(struct seat *seat, struct view *view) {
	if (seat->grab_view == view) {
		seat->grab = SEAT_GRAB_NONE;
		seat->grab_view = NULL;
	}
}

void seat_focus_surface(struct seat *seat, struct wlr_surface *surface) {
	struct wlr_keyboard *keyboard = wlr_seat_get_keyboard(seat->wlr_seat);
	if (keyboard != NULL) {
		wlr_seat_keyboard_notify_enter(seat->wlr_seat, surface, keyboard->keycodes,
			keyboard->num_keycodes, &keyboard->modifiers);
	} else {
		wlr_seat_keyboard_notify_enter(seat->wlr_seat, surface, NULL, 0, NULL);
	}
}

struct wlr_seat *seat_wlr_seat(struct seat *seat) {
	return seat->wlr_seat;
}

struct wlr_cursor *seat_cursor(struct seat *seat) {
	return seat->cursor;
}

#define LISTEN(signal, field, handler) \
	do { \
		seat->field.notify = handler; \
		wl_signal_add(signal, &seat->field); \
	} while (0)

struct seat *seat_create(struct server *server) {
	struct seat *seat = calloc(1, sizeof(*seat));
	if (seat == NULL) {
		return NULL;
	}
	seat->server = server;
	wl_list_init(&seat->keyboards);
	wl_list_init(&seat->pointers);
	seat->wlr_seat = wlr_seat_create(server->display, "seat0");
	seat->cursor = wlr_cursor_create();
	wlr_cursor_attach_output_layout(seat->cursor, server->output_layout);
	/* XCURSOR_THEME/XCURSOR_SIZE pick the theme, as in other compositors. */
	const char *size_env = getenv("XCURSOR_SIZE");
	int size = size_env != NULL && atoi(size_env) > 0 ? atoi(size_env) : 24;
	seat->xcursor_manager = wlr_xcursor_manager_create(getenv("XCURSOR_THEME"), size);
	seat->touch = touch_create(server, seat);

	struct wlr_virtual_keyboard_manager_v1 *vkbd =
		wlr_virtual_keyboard_manager_v1_create(server->display);
	struct wlr_virtual_pointer_manager_v1 *vptr =
		wlr_virtual_pointer_manager_v1_create(server->display);
	struct wlr_cursor_shape_manager_v1 *shapes =
		wlr_cursor_shape_manager_v1_create(server->display, 1);

	LISTEN(&server->backend->events.new_input, new_input, handle_new_input);
	LISTEN(&vkbd->events.new_virtual_keyboard, new_virtual_keyboard,
		handle_new_virtual_keyboard);
	LISTEN(&vptr->events.new_virtual_pointer, new_virtual_pointer,
		handle_new_virtual_pointer);
	LISTEN(&seat->cursor->events.motion, cursor_motion, handle_cursor_motion);
	LISTEN(&seat->cursor->events.motion_absolute, cursor_motion_absolute,
		handle_cursor_motion_absolute);
	LISTEN(&seat->cursor->events.button, cursor_button, handle_cursor_button);
	LISTEN(&seat->cursor->events.axis, cursor_axis, handle_cursor_axis);
	LISTEN(&seat->cursor->events.frame, cursor_frame, handle_cursor_frame);
	LISTEN(&seat->wlr_seat->events.request_set_cursor, request_set_cursor,
		handle_request_set_cursor);
	LISTEN(&shapes->events.request_set_shape, request_set_shape, handle_request_set_shape);
	LISTEN(&seat->wlr_seat->events.request_set_selection, request_set_selection,
		handle_request_set_selection);
	LISTEN(&seat->wlr_seat->events.request_set_primary_selection,
		request_set_primary_selection, handle_request_set_primary_selection);
	seat_update_capabilities(seat);
	return seat;
}

void seat_destroy(struct seat *seat) {
	if (seat == NULL) {
		return;
	}
	wl_list_remove(&seat->new_input.link);
	wl_list_remove(&seat->new_virtual_keyboard.link);
	wl_list_remove(&seat->new_virtual_pointer.link);
	wl_list_remove(&seat->cursor_motion.link);
	wl_list_remove(&seat->cursor_motion_absolute.link);
	wl_list_remove(&seat->cursor_button.link);
	wl_list_remove(&seat->cursor_axis.link);
	wl_list_remove(&seat->cursor_frame.link);
	wl_list_remove(&seat->request_set_cursor.link);
	wl_list_remove(&seat->request_set_shape.link);
	wl_list_remove(&seat->request_set_selection.link);
	wl_list_remove(&seat->request_set_primary_selection.link);
	struct keyboard *keyboard, *keyboard_tmp;
	wl_list_for_each_safe(keyboard, keyboard_tmp, &seat->keyboards, link) {
		handle_keyboard_destroy(&keyboard->destroy, NULL);
	}
	struct pointer *pointer, *pointer_tmp;
	wl_list_for_each_safe(pointer, pointer_tmp, &seat->pointers, link) {
		handle_pointer_destroy(&pointer->destroy, NULL);
	}
	touch_destroy(seat->touch);
	wlr_xcursor_manager_destroy(seat->xcursor_manager);
	wlr_cursor_destroy(seat->cursor);
	free(seat);
}
