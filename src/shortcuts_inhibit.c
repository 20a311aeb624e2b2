#include <stdlib.h>
#include <wlr/types/wlr_keyboard_shortcuts_inhibit_v1.h>
#include <wlr/types/wlr_seat.h>
#include <wlr/util/log.h>
#include "shortcuts_inhibit.h"

struct shortcuts_inhibit {
	struct wlr_seat *seat;
	struct wlr_keyboard_shortcuts_inhibit_manager_v1 *manager;
	struct wl_listener new_inhibitor;
	struct wl_listener keyboard_focus_change;
};

static void handle_new_inhibitor(struct wl_listener *listener, void *data) {
	struct shortcuts_inhibit *inhibit = wl_container_of(listener, inhibit, new_inhibitor);
	struct wlr_keyboard_shortcuts_inhibitor_v1 *inhibitor = data;
	if (inhibitor->seat != inhibit->seat) {
		return;
	}
	/* Granted at once while focused, as the protocol lets us; the escape takes it back. */
	if (inhibitor->surface == inhibit->seat->keyboard_state.focused_surface) {
		wlr_log(WLR_DEBUG, "keyboard shortcuts inhibited by surface %p",
			(void *)inhibitor->surface);
		wlr_keyboard_shortcuts_inhibitor_v1_activate(inhibitor);
	}
}

static void handle_keyboard_focus_change(struct wl_listener *listener, void *data) {
	struct shortcuts_inhibit *inhibit =
		wl_container_of(listener, inhibit, keyboard_focus_change);
	struct wlr_seat_keyboard_focus_change_event *event = data;
	struct wlr_keyboard_shortcuts_inhibitor_v1 *inhibitor;
	wl_list_for_each(inhibitor, &inhibit->manager->inhibitors, link) {
		if (inhibitor->seat != inhibit->seat) {
			continue;
		}
		if (inhibitor->surface == event->new_surface) {
			wlr_keyboard_shortcuts_inhibitor_v1_activate(inhibitor);
		} else if (inhibitor->active) {
			wlr_keyboard_shortcuts_inhibitor_v1_deactivate(inhibitor);
		}
	}
}

bool shortcuts_inhibit_active(struct shortcuts_inhibit *inhibit) {
	if (inhibit == NULL) {
		return false;
	}
	struct wlr_surface *focused = inhibit->seat->keyboard_state.focused_surface;
	struct wlr_keyboard_shortcuts_inhibitor_v1 *inhibitor;
	wl_list_for_each(inhibitor, &inhibit->manager->inhibitors, link) {
		if (inhibitor->seat == inhibit->seat && inhibitor->surface == focused &&
				inhibitor->active) {
			return true;
		}
	}
	return false;
}

void shortcuts_inhibit_suspend(struct shortcuts_inhibit *inhibit) {
	struct wlr_surface *focused = inhibit->seat->keyboard_state.focused_surface;
	struct wlr_keyboard_shortcuts_inhibitor_v1 *inhibitor;
	wl_list_for_each(inhibitor, &inhibit->manager->inhibitors, link) {
		if (inhibitor->seat == inhibit->seat && inhibitor->surface == focused &&
				inhibitor->active) {
			wlr_log(WLR_INFO, "keyboard shortcuts of surface %p restored by the escape key",
				(void *)focused);
			wlr_keyboard_shortcuts_inhibitor_v1_deactivate(inhibitor);
		}
	}
}

struct shortcuts_inhibit *shortcuts_inhibit_create(struct wl_display *display,
		struct wlr_seat *seat) {
	struct shortcuts_inhibit *inhibit = calloc(1, sizeof(*inhibit));
	if (inhibit == NULL) {
		return NULL;
	}
	inhibit->seat = seat;
	inhibit->manager = wlr_keyboard_shortcuts_inhibit_v1_create(display);
	inhibit->new_inhibitor.notify = handle_new_inhibitor;
	wl_signal_add(&inhibit->manager->events.new_inhibitor, &inhibit->new_inhibitor);
	inhibit->keyboard_focus_change.notify = handle_keyboard_focus_change;
	wl_signal_add(&seat->keyboard_state.events.focus_change, &inhibit->keyboard_focus_change);
	return inhibit;
}

void shortcuts_inhibit_destroy(struct shortcuts_inhibit *inhibit) {
	if (inhibit == NULL) {
		return;
	}
	wl_list_remove(&inhibit->new_inhibitor.link);
	wl_list_remove(&inhibit->keyboard_focus_change.link);
	free(inhibit);
}
