#include <math.h>
#include <stdlib.h>
#include <wlr/types/wlr_compositor.h>
#include <wlr/types/wlr_cursor.h>
#include <wlr/types/wlr_pointer_constraints_v1.h>
#include <wlr/types/wlr_relative_pointer_v1.h>
#include <wlr/types/wlr_seat.h>
#include <wlr/util/log.h>
#include <wlr/util/region.h>
#include "pointer_constraints.h"

struct pointer_constraints {
	struct wlr_seat *seat;
	struct wlr_cursor *cursor;
	struct wlr_pointer_constraints_v1 *manager;
	struct wlr_relative_pointer_manager_v1 *relative;
	struct wlr_pointer_constraint_v1 *active;
	/* Layout position of the active constraint's surface, for its cursor hint. */
	double origin_x, origin_y;

	struct wl_listener new_constraint;
	struct wl_listener pointer_focus_change;
	struct wl_listener keyboard_focus_change;
};

struct constraint {
	struct pointer_constraints *constraints;
	struct wlr_pointer_constraint_v1 *wlr_constraint;
	struct wl_listener set_region;
	struct wl_listener destroy;
};

static const char *constraint_kind(struct wlr_pointer_constraint_v1 *constraint) {
	return constraint->type == WLR_POINTER_CONSTRAINT_V1_LOCKED ? "lock" : "confinement";
}

/* A lock that ends puts the cursor where the client said its own cursor was. */
static void apply_cursor_hint(struct pointer_constraints *constraints,
		struct wlr_pointer_constraint_v1 *constraint) {
	if (constraint->type != WLR_POINTER_CONSTRAINT_V1_LOCKED ||
			!constraint->current.cursor_hint.enabled) {
		return;
	}
	double sx = constraint->current.cursor_hint.x;
	double sy = constraint->current.cursor_hint.y;
	wlr_cursor_warp(constraints->cursor, NULL, constraints->origin_x + sx,
		constraints->origin_y + sy);
	if (constraints->seat->pointer_state.focused_surface == constraint->surface) {
		wlr_seat_pointer_warp(constraints->seat, sx, sy);
	}
}

static void deactivate(struct pointer_constraints *constraints) {
	struct wlr_pointer_constraint_v1 *active = constraints->active;
	if (active == NULL) {
		return;
	}
	constraints->active = NULL;
	apply_cursor_hint(constraints, active);
	wlr_log(WLR_DEBUG, "pointer %s of surface %p deactivated", constraint_kind(active),
		(void *)active->surface);
	/* A oneshot constraint is destroyed inside this call. */
	wlr_pointer_constraint_v1_send_deactivated(active);
}

/*
 * The region a constraint applies to. wlroots works it out when the request
 * gives one and on every commit; a constraint without a region that has not
 * seen a commit yet (a client that locks and waits) covers the whole input
 * region.
 */
static void effective_region(struct wlr_pointer_constraint_v1 *constraint,
		pixman_region32_t *region) {
	if (pixman_region32_not_empty(&constraint->current.region)) {
		pixman_region32_copy(region, &constraint->region);
	} else {
		pixman_region32_copy(region, &constraint->surface->input_region);
	}
}

/*
 * The surface whose constraint may be active: the one under the pointer, if
 * it is (part of) the surface that has the keyboard. A window the user has
 * left, by Alt+Tab or because another window opened, must not keep the
 * pointer locked; a persistent constraint comes back with the focus.
 */
static struct wlr_surface *constrainable_surface(struct pointer_constraints *constraints) {
	struct wlr_surface *pointer_focus = constraints->seat->pointer_state.focused_surface;
	struct wlr_surface *keyboard_focus = constraints->seat->keyboard_state.focused_surface;
	if (pointer_focus == NULL || keyboard_focus == NULL ||
			wlr_surface_get_root_surface(pointer_focus) != keyboard_focus) {
		return NULL;
	}
	return pointer_focus;
}

/* Activates the constraint of the focused surface once the pointer is in its region. */
static void update_active(struct pointer_constraints *constraints) {
	struct wlr_seat_pointer_state *pointer = &constraints->seat->pointer_state;
	struct wlr_surface *focused = constrainable_surface(constraints);
	if (constraints->active != NULL) {
		if (constraints->active->surface == focused) {
			return;
		}
		deactivate(constraints);
	}
	if (focused == NULL) {
		return;
	}
	struct wlr_pointer_constraint_v1 *constraint = wlr_pointer_constraints_v1_constraint_for_surface(
		constraints->manager, focused, constraints->seat);
	if (constraint == NULL) {
		return;
	}
	pixman_region32_t region;
	pixman_region32_init(&region);
	effective_region(constraint, &region);
	bool inside = pixman_region32_contains_point(&region, (int)floor(pointer->sx),
		(int)floor(pointer->sy), NULL);
	pixman_region32_fini(&region);
	if (!inside) {
		return;
	}
	constraints->active = constraint;
	constraints->origin_x = constraints->cursor->x - pointer->sx;
	constraints->origin_y = constraints->cursor->y - pointer->sy;
	wlr_log(WLR_DEBUG, "pointer %s of surface %p activated", constraint_kind(constraint),
		(void *)constraint->surface);
	wlr_pointer_constraint_v1_send_activated(constraint);
}

bool pointer_constraints_motion(struct pointer_constraints *constraints, uint32_t time_msec,
		double *dx, double *dy, double udx, double udy) {
	if (constraints == NULL) {
		return true;
	}
	wlr_relative_pointer_manager_v1_send_relative_motion(constraints->relative,
		constraints->seat, (uint64_t)time_msec * 1000, *dx, *dy, udx, udy);
	update_active(constraints);
	struct wlr_pointer_constraint_v1 *active = constraints->active;
	if (active == NULL) {
		return true;
	}
	struct wlr_seat_pointer_state *pointer = &constraints->seat->pointer_state;
	constraints->origin_x = constraints->cursor->x - pointer->sx;
	constraints->origin_y = constraints->cursor->y - pointer->sy;
	if (active->type == WLR_POINTER_CONSTRAINT_V1_LOCKED) {
		*dx = *dy = 0;
		return false;
	}
	double x, y;
	pixman_region32_t region;
	pixman_region32_init(&region);
	effective_region(active, &region);
	if (wlr_region_confine(&region, pointer->sx, pointer->sy,
			pointer->sx + *dx, pointer->sy + *dy, &x, &y)) {
		*dx = x - pointer->sx;
		*dy = y - pointer->sy;
	}
	pixman_region32_fini(&region);
	return true;
}

static void constraint_handle_set_region(struct wl_listener *listener, void *data) {
	struct constraint *constraint = wl_container_of(listener, constraint, set_region);
	update_active(constraint->constraints);
}

static void constraint_handle_destroy(struct wl_listener *listener, void *data) {
	struct constraint *constraint = wl_container_of(listener, constraint, destroy);
	struct pointer_constraints *constraints = constraint->constraints;
	if (constraints->active == constraint->wlr_constraint) {
		/* Gone with its resource: nothing to tell the client any more. */
		constraints->active = NULL;
		apply_cursor_hint(constraints, constraint->wlr_constraint);
	}
	wl_list_remove(&constraint->set_region.link);
	wl_list_remove(&constraint->destroy.link);
	free(constraint);
}

static void handle_new_constraint(struct wl_listener *listener, void *data) {
	struct pointer_constraints *constraints =
		wl_container_of(listener, constraints, new_constraint);
	struct wlr_pointer_constraint_v1 *wlr_constraint = data;
	struct constraint *constraint = calloc(1, sizeof(*constraint));
	if (constraint == NULL) {
		wl_resource_post_no_memory(wlr_constraint->resource);
		return;
	}
	constraint->constraints = constraints;
	constraint->wlr_constraint = wlr_constraint;
	constraint->set_region.notify = constraint_handle_set_region;
	wl_signal_add(&wlr_constraint->events.set_region, &constraint->set_region);
	constraint->destroy.notify = constraint_handle_destroy;
	wl_signal_add(&wlr_constraint->events.destroy, &constraint->destroy);
	update_active(constraints);
}

static void handle_pointer_focus_change(struct wl_listener *listener, void *data) {
	struct pointer_constraints *constraints =
		wl_container_of(listener, constraints, pointer_focus_change);
	update_active(constraints);
}

static void handle_keyboard_focus_change(struct wl_listener *listener, void *data) {
	struct pointer_constraints *constraints =
		wl_container_of(listener, constraints, keyboard_focus_change);
	update_active(constraints);
}

struct pointer_constraints *pointer_constraints_create(struct wl_display *display,
		struct wlr_seat *seat, struct wlr_cursor *cursor) {
	struct pointer_constraints *constraints = calloc(1, sizeof(*constraints));
	if (constraints == NULL) {
		return NULL;
	}
	constraints->seat = seat;
	constraints->cursor = cursor;
	constraints->manager = wlr_pointer_constraints_v1_create(display);
	constraints->relative = wlr_relative_pointer_manager_v1_create(display);
	constraints->new_constraint.notify = handle_new_constraint;
	wl_signal_add(&constraints->manager->events.new_constraint, &constraints->new_constraint);
	constraints->pointer_focus_change.notify = handle_pointer_focus_change;
	wl_signal_add(&seat->pointer_state.events.focus_change,
		&constraints->pointer_focus_change);
	constraints->keyboard_focus_change.notify = handle_keyboard_focus_change;
	wl_signal_add(&seat->keyboard_state.events.focus_change,
		&constraints->keyboard_focus_change);
	return constraints;
}

void pointer_constraints_destroy(struct pointer_constraints *constraints) {
	if (constraints == NULL) {
		return;
	}
	wl_list_remove(&constraints->new_constraint.link);
	wl_list_remove(&constraints->pointer_focus_change.link);
	wl_list_remove(&constraints->keyboard_focus_change.link);
	free(constraints);
}
