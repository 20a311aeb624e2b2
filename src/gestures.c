#include <stdlib.h>
#include <wlr/types/wlr_cursor.h>
#include <wlr/types/wlr_pointer.h>
#include <wlr/types/wlr_pointer_gestures_v1.h>
#include <wlr/types/wlr_seat.h>
#include "gestures.h"

struct gestures {
	struct wlr_seat *seat;
	struct wlr_pointer_gestures_v1 *wlr_gestures;

	struct wl_listener swipe_begin;
	struct wl_listener swipe_update;
	struct wl_listener swipe_end;
	struct wl_listener pinch_begin;
	struct wl_listener pinch_update;
	struct wl_listener pinch_end;
	struct wl_listener hold_begin;
	struct wl_listener hold_end;
};

static void handle_swipe_begin(struct wl_listener *listener, void *data) {
	struct gestures *gestures = wl_container_of(listener, gestures, swipe_begin);
	struct wlr_pointer_swipe_begin_event *event = data;
	wlr_pointer_gestures_v1_send_swipe_begin(gestures->wlr_gestures, gestures->seat,
		event->time_msec, event->fingers);
}

static void handle_swipe_update(struct wl_listener *listener, void *data) {
	struct gestures *gestures = wl_container_of(listener, gestures, swipe_update);
	struct wlr_pointer_swipe_update_event *event = data;
	wlr_pointer_gestures_v1_send_swipe_update(gestures->wlr_gestures, gestures->seat,
		event->time_msec, event->dx, event->dy);
}

static void handle_swipe_end(struct wl_listener *listener, void *data) {
	struct gestures *gestures = wl_container_of(listener, gestures, swipe_end);
	struct wlr_pointer_swipe_end_event *event = data;
	wlr_pointer_gestures_v1_send_swipe_end(gestures->wlr_gestures, gestures->seat,
		event->time_msec, event->cancelled);
}

static void handle_pinch_begin(struct wl_listener *listener, void *data) {
	struct gestures *gestures = wl_container_of(listener, gestures, pinch_begin);
	struct wlr_pointer_pinch_begin_event *event = data;
	wlr_pointer_gestures_v1_send_pinch_begin(gestures->wlr_gestures, gestures->seat,
		event->time_msec, event->fingers);
}

static void handle_pinch_update(struct wl_listener *listener, void *data) {
	struct gestures *gestures = wl_container_of(listener, gestures, pinch_update);
	struct wlr_pointer_pinch_update_event *event = data;
	wlr_pointer_gestures_v1_send_pinch_update(gestures->wlr_gestures, gestures->seat,
		event->time_msec, event->dx, event->dy, event->scale, event->rotation);
}

static void handle_pinch_end(struct wl_listener *listener, void *data) {
	struct gestures *gestures = wl_container_of(listener, gestures, pinch_end);
	struct wlr_pointer_pinch_end_event *event = data;
	wlr_pointer_gestures_v1_send_pinch_end(gestures->wlr_gestures, gestures->seat,
		event->time_msec, event->cancelled);
}

static void handle_hold_begin(struct wl_listener *listener, void *data) {
	struct gestures *gestures = wl_container_of(listener, gestures, hold_begin);
	struct wlr_pointer_hold_begin_event *event = data;
	wlr_pointer_gestures_v1_send_hold_begin(gestures->wlr_gestures, gestures->seat,
		event->time_msec, event->fingers);
}

static void handle_hold_end(struct wl_listener *listener, void *data) {
	struct gestures *gestures = wl_container_of(listener, gestures, hold_end);
	struct wlr_pointer_hold_end_event *event = data;
	wlr_pointer_gestures_v1_send_hold_end(gestures->wlr_gestures, gestures->seat,
		event->time_msec, event->cancelled);
}

#define LISTEN(signal, field, handler) \
	do { \
		gestures->field.notify = handler; \
		wl_signal_add(signal, &gestures->field); \
	} while (0)

struct gestures *gestures_create(struct wl_display *display, struct wlr_seat *seat,
		struct wlr_cursor *cursor) {
	struct gestures *gestures = calloc(1, sizeof(*gestures));
	if (gestures == NULL) {
		return NULL;
	}
	gestures->seat = seat;
	gestures->wlr_gestures = wlr_pointer_gestures_v1_create(display);
	LISTEN(&cursor->events.swipe_begin, swipe_begin, handle_swipe_begin);
	LISTEN(&cursor->events.swipe_update, swipe_update, handle_swipe_update);
	LISTEN(&cursor->events.swipe_end, swipe_end, handle_swipe_end);
	LISTEN(&cursor->events.pinch_begin, pinch_begin, handle_pinch_begin);
	LISTEN(&cursor->events.pinch_update, pinch_update, handle_pinch_update);
	LISTEN(&cursor->events.pinch_end, pinch_end, handle_pinch_end);
	LISTEN(&cursor->events.hold_begin, hold_begin, handle_hold_begin);
	LISTEN(&cursor->events.hold_end, hold_end, handle_hold_end);
	return gestures;
}

void gestures_destroy(struct gestures *gestures) {
	if (gestures == NULL) {
		return;
	}
	struct wl_listener *listeners[] = {
		&gestures->swipe_begin, &gestures->swipe_update, &gestures->swipe_end,
		&gestures->pinch_begin, &gestures->pinch_update, &gestures->pinch_end,
		&gestures->hold_begin, &gestures->hold_end,
	};
	for (size_t i = 0; i < sizeof(listeners) / sizeof(listeners[0]); i++) {
		wl_list_remove(&listeners[i]->link);
	}
	free(gestures);
}
