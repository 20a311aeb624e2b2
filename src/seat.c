#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <wlr/backend/session.h>
#include <wlr/types/wlr_cursor.h>
#include <wlr/types/wlr_cursor_shape_v1.h>
#include <wlr/types/wlr_data_device.h>
#include <wlr/types/wlr_input_device.h>
#include <wlr/types/wlr_keyboard.h>
#include <wlr/types/wlr_keyboard_group.h>
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
#include <linux/input-event-codes.h>
#include <xkbcommon/xkbcommon.h>
#include "bindings.h"
#include "config_file.h"
#include "dnd.h"
#include "gestures.h"
#include "idle.h"
#include "layer_shell.h"
#include "pointer_constraints.h"
#include "seat.h"
#include "server.h"
#include "session_lock.h"
#include "shortcuts_inhibit.h"
#include "surface_commits.h"
#include "tablet.h"
#include "text_input.h"
#include "touch.h"
#include "view.h"

struct seat {
	struct server *server;
	struct wlr_seat *wlr_seat;
	struct wlr_cursor *cursor;
	struct wlr_xcursor_manager *xcursor_manager;
	struct wl_list keyboards; /* struct keyboard.link */
	struct wl_list pointers; /* struct pointer.link */
	struct dnd *dnd;
	struct pointer_constraints *pointer_constraints;
	struct gestures *gestures;
	struct shortcuts_inhibit *shortcuts_inhibit;
	struct text_input_relay *text_input;
	struct touch *touch;
	struct surface_commits *surface_commits;
	struct tablet *tablet;
	/*
	 * The physical keyboards, as one: they share the keymap, the modifiers
	 * and the locks (Caps Lock, layout group), whichever keyboard set them.
	 * Its keyboard is in keyboards while it has members.
	 */
	struct wlr_keyboard_group *keyboard_group;
	struct wl_list group_members; /* struct keyboard_member.link */
	/* Whether a pointer device has moved the cursor yet; until then it is nowhere. */
	bool cursor_placed;
	bool replaying_held; /* handing a frame's held events to their handlers */
	/*
	 * The implicit grab: while a button is held, the surface it was pressed
	 * on keeps the pointer, its motion relative to where that surface was.
	 */
	double pressed_origin_x, pressed_origin_y;

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

#define KEYBOARD_MAX_BOUND_KEYS 8

struct keyboard {
	struct seat *seat;
	struct wlr_keyboard *wlr_keyboard;
	bool configured; /* keymap from the configuration (virtual keyboards bring theirs) */
	uint32_t bound_keys[KEYBOARD_MAX_BOUND_KEYS]; /* held keys whose press a binding took */
	size_t bound_keys_len;
	struct wl_list link; /* seat.keyboards */
	struct wl_listener modifiers;
	struct wl_listener key;
	struct wl_listener destroy;
};

/* A physical keyboard in seat.keyboard_group. */
struct keyboard_member {
	struct seat *seat;
	struct wlr_keyboard *wlr_keyboard;
	struct wl_list link; /* seat.group_members */
	struct wl_listener destroy;
};

struct pointer {
	struct seat *seat;
	struct wlr_input_device *device;
	/*
	 * A virtual pointer's events belong together up to its frame: they are
	 * held until it comes, so that clients see the whole group or nothing.
	 */
	bool holds_until_frame;
	struct wl_list held; /* struct held_event.link */
	struct wl_list link; /* seat.pointers */
	struct wl_listener frame; /* holding pointers only */
	struct wl_listener destroy;
};

/* A cursor event held until its device's frame, and the handler it goes to then. */
struct held_event {
	struct wl_list link; /* pointer.held */
	struct wl_listener *listener;
	union {
		struct wlr_pointer_motion_event motion;
		struct wlr_pointer_motion_absolute_event motion_absolute;
		struct wlr_pointer_button_event button;
		struct wlr_pointer_axis_event axis;
	} event;
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

/* Every input event, from physical and virtual devices alike, is user activity. */
static void notify_activity(struct seat *seat) {
	idle_notify_activity(seat->server->idle, seat->wlr_seat);
}

/* Keyboard */

static void handle_keyboard_modifiers(struct wl_listener *listener, void *data) {
	struct keyboard *keyboard = wl_container_of(listener, keyboard, modifiers);
	notify_activity(keyboard->seat);
	if (text_input_relay_grab_modifiers(keyboard->seat->text_input, keyboard->wlr_keyboard)) {
		return;
	}
	wlr_seat_set_keyboard(keyboard->seat->wlr_seat, keyboard->wlr_keyboard);
	wlr_seat_keyboard_notify_modifiers(keyboard->seat->wlr_seat,
		&keyboard->wlr_keyboard->modifiers);
}

static void handle_keyboard_key(struct wl_listener *listener, void *data) {
	struct keyboard *keyboard = wl_container_of(listener, keyboard, key);
	struct seat *seat = keyboard->seat;
	struct wlr_keyboard_key_event *event = data;
	notify_activity(seat);

	uint32_t keycode = event->keycode + 8; /* libinput → xkb */
	struct xkb_state *xkb_state = keyboard->wlr_keyboard->xkb_state;
	const xkb_keysym_t *syms, *raw_syms;
	int nsyms = xkb_state_key_get_syms(xkb_state, keycode, &syms);
	int raw_nsyms = xkb_keymap_key_get_syms_by_level(keyboard->wlr_keyboard->keymap, keycode,
		xkb_state_key_get_layout(xkb_state, keycode), 0, &raw_syms);
	uint32_t modifiers = wlr_keyboard_get_modifiers(keyboard->wlr_keyboard);
	bool pressed = event->state == WL_KEYBOARD_KEY_STATE_PRESSED;
	/*
	 * A client that inhibits shortcuts gets every key but VT switching and
	 * the escape that ends the inhibition (Super+Escape); a locked session
	 * gives every key but VT switching to the locker.
	 */
	bool inhibited = shortcuts_inhibit_active(seat->shortcuts_inhibit);
	bool handled = false;
	if (pressed && inhibited && (modifiers & WLR_MODIFIER_LOGO) &&
			xkb_state_key_get_one_sym(xkb_state, keycode) == XKB_KEY_Escape) {
		shortcuts_inhibit_suspend(seat->shortcuts_inhibit);
		handled = true;
	} else if (pressed) {
		handled = bindings_handle_key(seat->server, syms, nsyms, raw_syms, raw_nsyms,
			modifiers, inhibited || session_lock_is_locked(seat->server->session_lock));
	}
	/* The client never saw the press of a bound key: it must not see its release either. */
	if (handled && keyboard->bound_keys_len < KEYBOARD_MAX_BOUND_KEYS) {
		keyboard->bound_keys[keyboard->bound_keys_len++] = event->keycode;
	} else if (event->state == WL_KEYBOARD_KEY_STATE_RELEASED) {
		for (size_t i = 0; i < keyboard->bound_keys_len && !handled; i++) {
			if (keyboard->bound_keys[i] == event->keycode) {
				keyboard->bound_keys[i] = keyboard->bound_keys[--keyboard->bound_keys_len];
				handled = true;
			}
		}
	}
	if (!handled && !text_input_relay_grab_key(seat->text_input, keyboard->wlr_keyboard,
			event->time_msec, event->keycode, event->state)) {
		wlr_seat_set_keyboard(seat->wlr_seat, keyboard->wlr_keyboard);
		wlr_seat_keyboard_notify_key(seat->wlr_seat, event->time_msec, event->keycode,
			event->state);
	}
}

static void remove_keyboard(struct keyboard *keyboard);

static void handle_keyboard_destroy(struct wl_listener *listener, void *data) {
	struct keyboard *keyboard = wl_container_of(listener, keyboard, destroy);
	remove_keyboard(keyboard);
}

static void remove_keyboard(struct keyboard *keyboard) {
	struct seat *seat = keyboard->seat;
	wl_list_remove(&keyboard->modifiers.link);
	wl_list_remove(&keyboard->key.link);
	wl_list_remove(&keyboard->destroy.link);
	wl_list_remove(&keyboard->link);
	/*
	 * A keyboard that goes (wlrctl's, a VNC client's) hands the seat to one
	 * that stays: with none, focused clients would get modifiers without a
	 * keymap, which crashes some (slurp 1.5).
	 */
	if (wlr_seat_get_keyboard(seat->wlr_seat) == keyboard->wlr_keyboard &&
			!wl_list_empty(&seat->keyboards)) {
		struct keyboard *next = wl_container_of(seat->keyboards.next, next, link);
		wlr_seat_set_keyboard(seat->wlr_seat, next->wlr_keyboard);
	}
	free(keyboard);
	seat_update_capabilities(seat);
}

/*
 * configured: the keymap and repeat are the configuration's (a keyboard of
 * the backend outside the group); virtual keyboards bring their own keymap,
 * the group's keyboard has its members'.
 */
static struct keyboard *add_keyboard(struct seat *seat, struct wlr_keyboard *wlr_keyboard,
		bool configured) {
	struct keyboard *keyboard = calloc(1, sizeof(*keyboard));
	if (keyboard == NULL) {
		return NULL;
	}
	keyboard->seat = seat;
	keyboard->wlr_keyboard = wlr_keyboard;

	/* [keyboard] (or XKB_DEFAULT_*) picks the keymap of configured keyboards. */
	keyboard->configured = configured;
	if (configured) {
		config_apply_keyboard(seat->server->config, wlr_keyboard);
	} else if (wlr_keyboard != &seat->keyboard_group->keyboard) {
		wlr_keyboard_set_repeat_info(wlr_keyboard, 25, 600);
	}

	keyboard->modifiers.notify = handle_keyboard_modifiers;
	wl_signal_add(&wlr_keyboard->events.modifiers, &keyboard->modifiers);
	keyboard->key.notify = handle_keyboard_key;
	wl_signal_add(&wlr_keyboard->events.key, &keyboard->key);
	keyboard->destroy.notify = handle_keyboard_destroy;
	wl_signal_add(&wlr_keyboard->base.events.destroy, &keyboard->destroy);

	wlr_seat_set_keyboard(seat->wlr_seat, wlr_keyboard);
	wl_list_insert(&seat->keyboards, &keyboard->link);
	seat_update_capabilities(seat);
	return keyboard;
}

static struct keyboard *group_keyboard(struct seat *seat) {
	struct keyboard *keyboard;
	wl_list_for_each(keyboard, &seat->keyboards, link) {
		if (keyboard->wlr_keyboard == &seat->keyboard_group->keyboard) {
			return keyboard;
		}
	}
	return NULL;
}

static void handle_member_destroy(struct wl_listener *listener, void *data) {
	struct keyboard_member *member = wl_container_of(listener, member, destroy);
	struct seat *seat = member->seat;
	wlr_keyboard_group_remove_keyboard(seat->keyboard_group, member->wlr_keyboard);
	wl_list_remove(&member->destroy.link);
	wl_list_remove(&member->link);
	free(member);
	/*
	 * With no physical keyboard left the group's keyboard stays on the seat:
	 * keyboards come back (plugged in again, or libinput's devices after a
	 * VT switch, which come with the first input after the return). A seat
	 * that lost its keyboard capability would lose that first key, since
	 * clients ask for a new wl_keyboard only once they see the capability.
	 */
}

/*
 * A physical keyboard joins the group; the seat sees the group's keyboard,
 * whose key and modifier events come from every member, and wlroots keeps
 * the members' modifiers and LEDs the same.
 */
static void add_physical_keyboard(struct seat *seat, struct wlr_keyboard *wlr_keyboard) {
	struct keyboard_member *member = calloc(1, sizeof(*member));
	if (member == NULL) {
		return;
	}
	/*
	 * The group takes members whose keymap matches its own, and gives them
	 * its repeat: both the configuration's.
	 */
	if (wl_list_empty(&seat->group_members)) {
		config_apply_keyboard(seat->server->config, &seat->keyboard_group->keyboard);
	}
	config_apply_keyboard(seat->server->config, wlr_keyboard);
	if (!wlr_keyboard_group_add_keyboard(seat->keyboard_group, wlr_keyboard)) {
		wlr_log(WLR_ERROR, "keyboard %s: not added to the seat's keyboard group; on its own",
			wlr_keyboard->base.name);
		free(member);
		add_keyboard(seat, wlr_keyboard, true);
		return;
	}
	member->seat = seat;
	member->wlr_keyboard = wlr_keyboard;
	member->destroy.notify = handle_member_destroy;
	wl_signal_add(&wlr_keyboard->base.events.destroy, &member->destroy);
	wl_list_insert(&seat->group_members, &member->link);
	wlr_log(WLR_DEBUG, "keyboard %s: in the seat's keyboard group", wlr_keyboard->base.name);
	if (group_keyboard(seat) == NULL) {
		add_keyboard(seat, &seat->keyboard_group->keyboard, false);
	}
}

/* Pointer */

static void handle_pointer_destroy(struct wl_listener *listener, void *data) {
	struct pointer *pointer = wl_container_of(listener, pointer, destroy);
	/* Events without a frame never happened. */
	struct held_event *held, *tmp;
	wl_list_for_each_safe(held, tmp, &pointer->held, link) {
		wl_list_remove(&held->link);
		free(held);
	}
	wlr_cursor_detach_input_device(pointer->seat->cursor, pointer->device);
	wl_list_remove(&pointer->frame.link);
	wl_list_remove(&pointer->destroy.link);
	wl_list_remove(&pointer->link);
	free(pointer);
}

/*
 * The device's frame, before wlr_cursor's (this listener comes first): the
 * held events go to their handlers, then the cursor's frame ends the group.
 */
static void handle_pointer_frame(struct wl_listener *listener, void *data) {
	struct pointer *pointer = wl_container_of(listener, pointer, frame);
	struct seat *seat = pointer->seat;
	seat->replaying_held = true;
	struct held_event *held, *tmp;
	wl_list_for_each_safe(held, tmp, &pointer->held, link) {
		wl_list_remove(&held->link);
		held->listener->notify(held->listener, &held->event);
		free(held);
	}
	seat->replaying_held = false;
}

static void add_pointer(struct seat *seat, struct wlr_input_device *device,
		bool holds_until_frame) {
	struct pointer *pointer = calloc(1, sizeof(*pointer));
	if (pointer == NULL) {
		return;
	}
	pointer->seat = seat;
	pointer->device = device;
	pointer->holds_until_frame = holds_until_frame;
	wl_list_init(&pointer->held);
	if (holds_until_frame) {
		pointer->frame.notify = handle_pointer_frame;
		wl_signal_add(&wlr_pointer_from_input_device(device)->events.frame, &pointer->frame);
	} else {
		wl_list_init(&pointer->frame.link);
	}
	pointer->destroy.notify = handle_pointer_destroy;
	wl_signal_add(&device->events.destroy, &pointer->destroy);
	wl_list_insert(&seat->pointers, &pointer->link);
	wlr_cursor_attach_input_device(seat->cursor, device);
	config_apply_pointer(seat->server->config, device);
}

static struct pointer *pointer_from_device(struct seat *seat, struct wlr_input_device *device) {
	struct pointer *pointer;
	wl_list_for_each(pointer, &seat->pointers, link) {
		if (pointer->device == device) {
			return pointer;
		}
	}
	return NULL;
}

/* Keeps a copy of a virtual pointer's event for its frame; false: handle it now. */
static bool hold_until_frame(struct seat *seat, struct wlr_pointer *wlr_pointer,
		struct wl_listener *listener, const void *event, size_t size) {
	if (seat->replaying_held) {
		return false;
	}
	struct pointer *pointer = pointer_from_device(seat, &wlr_pointer->base);
	if (pointer == NULL || !pointer->holds_until_frame) {
		return false;
	}
	struct held_event *held = calloc(1, sizeof(*held));
	if (held == NULL) {
		wlr_log(WLR_ERROR, "seat: out of memory holding an event of '%s'",
			pointer->device->name);
		return false;
	}
	held->listener = listener;
	memcpy(&held->event, event, size);
	wl_list_insert(pointer->held.prev, &held->link);
	return true;
}

void seat_apply_config(struct seat *seat) {
	/*
	 * The group's keymap and repeat first: wlroots gives a member's new
	 * keymap to the others and to the group only when the group's differs.
	 */
	if (!wl_list_empty(&seat->group_members)) {
		config_apply_keyboard(seat->server->config, &seat->keyboard_group->keyboard);
	}
	struct keyboard_member *member;
	wl_list_for_each(member, &seat->group_members, link) {
		config_apply_keyboard(seat->server->config, member->wlr_keyboard);
	}
	struct keyboard *keyboard;
	wl_list_for_each(keyboard, &seat->keyboards, link) {
		if (keyboard->configured) {
			config_apply_keyboard(seat->server->config, keyboard->wlr_keyboard);
		}
	}
	struct pointer *pointer;
	wl_list_for_each(pointer, &seat->pointers, link) {
		config_apply_pointer(seat->server->config, pointer->device);
	}
}

static void handle_new_input(struct wl_listener *listener, void *data) {
	struct seat *seat = wl_container_of(listener, seat, new_input);
	struct wlr_input_device *device = data;
	switch (device->type) {
	case WLR_INPUT_DEVICE_KEYBOARD:
		add_physical_keyboard(seat, wlr_keyboard_from_input_device(device));
		break;
	case WLR_INPUT_DEVICE_POINTER:
		add_pointer(seat, device, false);
		break;
	case WLR_INPUT_DEVICE_TOUCH:
		touch_add_device(seat->touch, device);
		seat_update_capabilities(seat);
		break;
	case WLR_INPUT_DEVICE_TABLET:
	case WLR_INPUT_DEVICE_TABLET_PAD:
		tablet_add_device(seat->tablet, device);
		break;
	default:
		break;
	}
}

static void handle_new_virtual_keyboard(struct wl_listener *listener, void *data) {
	struct seat *seat = wl_container_of(listener, seat, new_virtual_keyboard);
	struct wlr_virtual_keyboard_v1 *keyboard = data;
	add_keyboard(seat, &keyboard->keyboard, false);
}

static void handle_new_virtual_pointer(struct wl_listener *listener, void *data) {
	struct seat *seat = wl_container_of(listener, seat, new_virtual_pointer);
	struct wlr_virtual_pointer_v1_new_pointer_event *event = data;
	struct wlr_input_device *device = &event->new_pointer->pointer.base;
	add_pointer(seat, device, true);
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

/* Whether a button pressed on a surface holds the pointer there (no other grab in the way). */
static bool implicit_grab_active(struct seat *seat) {
	struct wlr_seat_pointer_state *state = &seat->wlr_seat->pointer_state;
	return state->button_count > 0 && state->focused_surface != NULL &&
		!wlr_seat_pointer_has_grab(seat->wlr_seat);
}

/* The surface under the cursor that may have the pointer (the lock screen decides). */
static struct view *pointer_target(struct seat *seat, struct wlr_surface **surface,
		double *sx, double *sy) {
	*surface = NULL;
	struct view *view = view_at(seat->server, seat->cursor->x, seat->cursor->y,
		surface, sx, sy);
	if (!session_lock_accepts_input(seat->server->session_lock, *surface)) {
		*surface = NULL;
		return NULL;
	}
	return view;
}

static void process_motion(struct seat *seat, uint32_t time_msec) {
	if (session_lock_is_locked(seat->server->session_lock)) {
		/* A move or resize does not go on behind the lock screen. */
		seat->grab = SEAT_GRAB_NONE;
		seat->grab_view = NULL;
	}
	if (seat->grab != SEAT_GRAB_NONE && seat->grab_view != NULL) {
		process_grab_motion(seat);
		return;
	}
	if (implicit_grab_active(seat)) {
		wlr_seat_pointer_notify_motion(seat->wlr_seat, time_msec,
			seat->cursor->x - seat->pressed_origin_x,
			seat->cursor->y - seat->pressed_origin_y);
		dnd_cursor_moved(seat->dnd, seat->cursor->x, seat->cursor->y);
		return;
	}
	struct wlr_surface *surface = NULL;
	double sx, sy;
	struct view *view = pointer_target(seat, &surface, &sx, &sy);
	if (view == NULL && surface == NULL) {
		wlr_cursor_set_xcursor(seat->cursor, seat->xcursor_manager, "default");
	}
	if (surface != NULL) {
		wlr_seat_pointer_notify_enter(seat->wlr_seat, surface, sx, sy);
		wlr_seat_pointer_notify_motion(seat->wlr_seat, time_msec, sx, sy);
	} else {
		/* Through the grab, so that a drag leaves the surface too. */
		wlr_seat_pointer_notify_clear_focus(seat->wlr_seat);
	}
	dnd_cursor_moved(seat->dnd, seat->cursor->x, seat->cursor->y);
}

/* Pointer motion to what is under the cursor, for callers with no event time. */
static void process_motion_now(struct seat *seat) {
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	process_motion(seat, (uint32_t)(now.tv_sec * 1000 + now.tv_nsec / 1000000));
}

void seat_cursor_moved_by_tool(struct seat *seat) {
	seat->cursor_placed = true;
	process_motion_now(seat);
}

void seat_pointer_rebase(struct seat *seat) {
	/*
	 * A cursor no device has moved yet (wlroots starts it at 100,100) gives
	 * no window the focus, and no window a reason to set a cursor image.
	 * A move or resize, or a button held on a surface, keeps the pointer
	 * where it is (the lock screen ends a move or resize).
	 */
	if (!seat->cursor_placed || implicit_grab_active(seat) ||
			(seat->grab != SEAT_GRAB_NONE &&
			!session_lock_is_locked(seat->server->session_lock))) {
		return;
	}
	struct wlr_surface *surface = NULL;
	double sx = 0, sy = 0;
	pointer_target(seat, &surface, &sx, &sy);
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
	/*
	 * Nothing moved relative to the pointer: no events. Over the desktop the
	 * desktop's cursor shows, also when the surface that had the pointer
	 * (and set the cursor) went away.
	 */
	if (surface == NULL && state->focused_surface == NULL) {
		wlr_cursor_set_xcursor(seat->cursor, seat->xcursor_manager, "default");
		return;
	}
	if (surface == state->focused_surface && sx == state->sx && sy == state->sy) {
		return;
	}
	process_motion_now(seat);
	wlr_seat_pointer_notify_frame(seat->wlr_seat);
}

static void handle_cursor_motion(struct wl_listener *listener, void *data) {
	struct seat *seat = wl_container_of(listener, seat, cursor_motion);
	struct wlr_pointer_motion_event *event = data;
	if (hold_until_frame(seat, event->pointer, listener, event, sizeof(*event))) {
		return;
	}
	notify_activity(seat);
	double dx = event->delta_x, dy = event->delta_y;
	if (!pointer_constraints_motion(seat->pointer_constraints, event->time_msec, &dx, &dy,
			event->unaccel_dx, event->unaccel_dy)) {
		return;
	}
	wlr_cursor_move(seat->cursor, &event->pointer->base, dx, dy);
	seat->cursor_placed = true;
	process_motion(seat, event->time_msec);
}

static void handle_cursor_motion_absolute(struct wl_listener *listener, void *data) {
	struct seat *seat = wl_container_of(listener, seat, cursor_motion_absolute);
	struct wlr_pointer_motion_absolute_event *event = data;
	if (hold_until_frame(seat, event->pointer, listener, event, sizeof(*event))) {
		return;
	}
	notify_activity(seat);
	/* As a relative motion, so that constraints and relative pointers see it too. */
	double lx, ly;
	wlr_cursor_absolute_to_layout_coords(seat->cursor, &event->pointer->base, event->x,
		event->y, &lx, &ly);
	double dx = lx - seat->cursor->x, dy = ly - seat->cursor->y;
	if (!pointer_constraints_motion(seat->pointer_constraints, event->time_msec, &dx, &dy,
			dx, dy)) {
		return;
	}
	wlr_cursor_move(seat->cursor, &event->pointer->base, dx, dy);
	seat->cursor_placed = true;
	process_motion(seat, event->time_msec);
}

static void start_grab(struct seat *seat, struct view *view, enum seat_grab grab,
		uint32_t edges) {
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

/* The drag modifier with the left button moves a window, with the right one resizes it. */
static bool begin_modifier_drag(struct seat *seat, uint32_t button) {
	struct wlr_keyboard *keyboard = wlr_seat_get_keyboard(seat->wlr_seat);
	uint32_t drag_modifier = seat->server->config->drag_modifier;
	if (keyboard == NULL || drag_modifier == 0 ||
			!(wlr_keyboard_get_modifiers(keyboard) & drag_modifier) ||
			(button != BTN_LEFT && button != BTN_RIGHT)) {
		return false;
	}
	struct wlr_surface *surface = NULL;
	double sx, sy;
	struct view *view = view_at(seat->server, seat->cursor->x, seat->cursor->y,
		&surface, &sx, &sy);
	if (view == NULL || view->fullscreen) {
		return false;
	}
	view_focus(view);
	start_grab(seat, view, button == BTN_LEFT ? SEAT_GRAB_MOVE : SEAT_GRAB_RESIZE,
		WLR_EDGE_RIGHT | WLR_EDGE_BOTTOM);
	return true;
}

static void handle_cursor_button(struct wl_listener *listener, void *data) {
	struct seat *seat = wl_container_of(listener, seat, cursor_button);
	struct wlr_pointer_button_event *event = data;
	if (hold_until_frame(seat, event->pointer, listener, event, sizeof(*event))) {
		return;
	}
	notify_activity(seat);
	if (event->state == WL_POINTER_BUTTON_STATE_PRESSED &&
			!session_lock_is_locked(seat->server->session_lock) &&
			begin_modifier_drag(seat, event->button)) {
		return;
	}
	struct wlr_seat_pointer_state *state = &seat->wlr_seat->pointer_state;
	if (event->state == WL_POINTER_BUTTON_STATE_PRESSED && state->button_count == 0) {
		seat->pressed_origin_x = seat->cursor->x - state->sx;
		seat->pressed_origin_y = seat->cursor->y - state->sy;
	}
	wlr_seat_pointer_notify_button(seat->wlr_seat, event->time_msec, event->button,
		event->state);
	if (event->state == WL_POINTER_BUTTON_STATE_RELEASED) {
		seat->grab = SEAT_GRAB_NONE;
		seat->grab_view = NULL;
		if (state->button_count == 0) {
			/* The implicit grab ends: the pointer goes to what is under it now. */
			seat_pointer_rebase(seat);
		}
		return;
	}
	struct wlr_surface *surface = NULL;
	double sx, sy;
	struct view *view = view_at(seat->server, seat->cursor->x, seat->cursor->y,
		&surface, &sx, &sy);
	if (session_lock_is_locked(seat->server->session_lock)) {
		/* A click moves keyboard focus between lock surfaces (one per output). */
		if (surface != NULL && session_lock_accepts_input(seat->server->session_lock,
				surface)) {
			seat_focus_surface(seat, surface);
		}
		return;
	}
	if (view != NULL) {
		view_focus(view);
	} else if (surface != NULL) {
		layer_shell_handle_click(seat->server->layer_shell, surface);
	}
}

static void handle_cursor_axis(struct wl_listener *listener, void *data) {
	struct seat *seat = wl_container_of(listener, seat, cursor_axis);
	struct wlr_pointer_axis_event *event = data;
	if (hold_until_frame(seat, event->pointer, listener, event, sizeof(*event))) {
		return;
	}
	notify_activity(seat);
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
	/* Maximized and fullscreen windows keep the box their state gives them. */
	if (view->maximized || view->fullscreen) {
		return;
	}
	/* Only the focused window may start a grab, and only with a button held. */
	if (seat->wlr_seat->pointer_state.button_count == 0 ||
			wlr_surface_get_root_surface(seat->wlr_seat->pointer_state.focused_surface ?
				seat->wlr_seat->pointer_state.focused_surface : view->surface) != view->surface) {
		return;
	}
	start_grab(seat, view, grab, edges);
}

void seat_view_unmapped(struct seat *seat, struct view *view) {
	if (seat->grab_view == view) {
		seat->grab = SEAT_GRAB_NONE;
		seat->grab_view = NULL;
	}
}

void seat_focus_surface(struct seat *seat, struct wlr_surface *surface) {
	if (!session_lock_accepts_input(seat->server->session_lock, surface)) {
		/* A window mapped or raised behind the lock screen does not get the keyboard. */
		return;
	}
	struct wlr_keyboard *keyboard = wlr_seat_get_keyboard(seat->wlr_seat);
	if (keyboard != NULL) {
		wlr_seat_keyboard_notify_enter(seat->wlr_seat, surface, keyboard->keycodes,
			keyboard->num_keycodes, &keyboard->modifiers);
	} else {
		wlr_seat_keyboard_notify_enter(seat->wlr_seat, surface, NULL, 0, NULL);
	}
}

void seat_cancel_drag(struct seat *seat) {
	dnd_cancel(seat->dnd);
}

void seat_reset_cursor_image(struct seat *seat) {
	wlr_cursor_unset_image(seat->cursor);
	if (!seat->cursor_placed) {
		return; /* no image was set yet */
	}
	/* A new enter makes the client under the pointer set its cursor again. */
	wlr_seat_pointer_clear_focus(seat->wlr_seat);
	process_motion_now(seat);
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
	wl_list_init(&seat->group_members);
	seat->keyboard_group = wlr_keyboard_group_create();
	seat->wlr_seat = wlr_seat_create(server->display, "seat0");
	seat->cursor = wlr_cursor_create();
	wlr_cursor_attach_output_layout(seat->cursor, server->output_layout);
	/* XCURSOR_THEME/XCURSOR_SIZE pick the theme, as in other compositors. */
	const char *size_env = getenv("XCURSOR_SIZE");
	int size = size_env != NULL && atoi(size_env) > 0 ? atoi(size_env) : 24;
	seat->xcursor_manager = wlr_xcursor_manager_create(getenv("XCURSOR_THEME"), size);
	seat->touch = touch_create(server, seat);
	seat->tablet = tablet_create(server, seat);

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
	seat->dnd = dnd_create(server, seat);
	seat->pointer_constraints = pointer_constraints_create(server->display, seat->wlr_seat,
		seat->cursor);
	seat->gestures = gestures_create(server->display, seat->wlr_seat, seat->cursor);
	seat->shortcuts_inhibit = shortcuts_inhibit_create(server->display, seat->wlr_seat);
	seat->text_input = text_input_relay_create(server, seat->wlr_seat);
	seat->surface_commits = surface_commits_create(wl_display_get_event_loop(server->display),
		server->compositor, seat);
	if (seat->dnd == NULL || seat->pointer_constraints == NULL || seat->gestures == NULL ||
			seat->tablet == NULL || seat->keyboard_group == NULL ||
			seat->shortcuts_inhibit == NULL || seat->text_input == NULL ||
			seat->surface_commits == NULL) {
		wlr_log(WLR_ERROR, "seat: out of memory for its input protocols");
	}
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
	surface_commits_destroy(seat->surface_commits);
	text_input_relay_destroy(seat->text_input);
	shortcuts_inhibit_destroy(seat->shortcuts_inhibit);
	gestures_destroy(seat->gestures);
	pointer_constraints_destroy(seat->pointer_constraints);
	dnd_destroy(seat->dnd);
	struct keyboard *keyboard, *keyboard_tmp;
	wl_list_for_each_safe(keyboard, keyboard_tmp, &seat->keyboards, link) {
		remove_keyboard(keyboard);
	}
	struct keyboard_member *member, *member_tmp;
	wl_list_for_each_safe(member, member_tmp, &seat->group_members, link) {
		wlr_keyboard_group_remove_keyboard(seat->keyboard_group, member->wlr_keyboard);
		wl_list_remove(&member->destroy.link);
		wl_list_remove(&member->link);
		free(member);
	}
	if (seat->keyboard_group != NULL) {
		wlr_keyboard_group_destroy(seat->keyboard_group);
	}
	tablet_destroy(seat->tablet);
	struct pointer *pointer, *pointer_tmp;
	wl_list_for_each_safe(pointer, pointer_tmp, &seat->pointers, link) {
		handle_pointer_destroy(&pointer->destroy, NULL);
	}
	touch_destroy(seat->touch);
	wlr_xcursor_manager_destroy(seat->xcursor_manager);
	wlr_cursor_destroy(seat->cursor);
	free(seat);
}
