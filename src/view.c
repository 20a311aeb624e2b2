#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <wlr/types/wlr_compositor.h>
#include <wlr/types/wlr_cursor.h>
#include <wlr/types/wlr_ext_foreign_toplevel_list_v1.h>
#include <wlr/types/wlr_output_layout.h>
#include <wlr/types/wlr_scene.h>
#include <wlr/types/wlr_seat.h>
#include <wlr/util/log.h>
#include "capture/capture.h"
#include "foreign_toplevel.h"
#include "layer_shell.h"
#include "output.h"
#include "seat.h"
#include "server.h"
#include "view.h"

/* With --placement cascade, new windows step down and right from the first output's corner. */
#define VIEW_CASCADE_STEP 32

static void place_in_state_box(struct view *view);

void view_init(struct view *view, struct server *server, enum view_type type,
		const struct view_impl *impl, struct wlr_surface *surface) {
	view->server = server;
	view->type = type;
	view->impl = impl;
	view->surface = surface;
	wl_list_init(&view->link);
}

void view_finish(struct view *view) {
	if (view->mapped) {
		view_unmap(view);
	}
	wl_list_remove(&view->link);
}

static void foreign_toplevel_state(struct view *view,
		struct wlr_ext_foreign_toplevel_handle_v1_state *state) {
	*state = (struct wlr_ext_foreign_toplevel_handle_v1_state){
		.title = view->impl->get_title(view),
		.app_id = view->impl->get_app_id(view),
	};
}

static int mapped_view_count(struct server *server) {
	int count = 0;
	struct view *view;
	wl_list_for_each(view, &server->views, link) {
		count++;
	}
	return count;
}

/* The corner of a width x height box centred in area, kept inside it when it is larger. */
static void centre_in(const struct wlr_box *area, int width, int height, int *x, int *y) {
	*x = area->x + (width < area->width ? (area->width - width) / 2 : 0);
	*y = area->y + (height < area->height ? (area->height - height) / 2 : 0);
}

/*
 * Moves the corner of a width x height box the least distance that puts the
 * box inside area; a box larger than area gets area's corner on that side.
 */
static void keep_inside(const struct wlr_box *area, int width, int height, int *x, int *y) {
	if (*x + width > area->x + area->width) {
		*x = area->x + area->width - width;
	}
	if (*y + height > area->y + area->height) {
		*y = area->y + area->height - height;
	}
	if (*x < area->x) {
		*x = area->x;
	}
	if (*y < area->y) {
		*y = area->y;
	}
}

/*
 * A position the client chose (X11 USPosition/PPosition, in layout
 * coordinates, which are the X root's): honoured, but the window is kept
 * inside the usable area of the output there (or the nearest one).
 */
static bool requested_point(struct view *view, const struct wlr_box *geo, int *x, int *y) {
	int rx, ry;
	if (view->impl->get_requested_position == NULL ||
			!view->impl->get_requested_position(view, &rx, &ry)) {
		return false;
	}
	struct server *server = view->server;
	int gx = rx + geo->x, gy = ry + geo->y;
	struct output *output = output_at(server, gx + geo->width / 2.0, gy + geo->height / 2.0);
	if (output == NULL) {
		return false;
	}
	struct wlr_box area;
	output_usable_area(server, output->wlr_output, &area);
	keep_inside(&area, geo->width, geo->height, &gx, &gy);
	*x = gx - geo->x;
	*y = gy - geo->y;
	return true;
}

/*
 * Where a new window's surface origin goes: its geometry (not its shadow)
 * centred in the usable area of the output under the pointer, or, with
 * --placement cascade, at the next cascade step from the first output's corner.
 */
static void placement_point(struct view *view, const struct wlr_box *geo, int *x, int *y) {
	struct server *server = view->server;
	if (requested_point(view, geo, x, y)) {
		return;
	}
	struct output *output;
	if (server->options->placement == PLACEMENT_CASCADE) {
		struct wlr_box layout;
		wlr_output_layout_get_box(server->output_layout, NULL, &layout);
		output = output_at(server, layout.x, layout.y);
	} else {
		struct wlr_cursor *cursor = seat_cursor(server->seat);
		output = output_at(server, cursor->x, cursor->y);
	}
	struct wlr_box area = {0};
	if (output != NULL) {
		output_usable_area(server, output->wlr_output, &area);
	}
	if (server->options->placement == PLACEMENT_CASCADE) {
		int step = VIEW_CASCADE_STEP * (mapped_view_count(server) % 8);
		*x = area.x + step - geo->x;
		*y = area.y + step - geo->y;
		return;
	}
	centre_in(&area, geo->width, geo->height, x, y);
	*x -= geo->x;
	*y -= geo->y;
}

void view_map(struct view *view, struct wlr_scene_tree *tree) {
	struct server *server = view->server;
	view->scene_tree = tree;
	tree->node.data = view;

	struct wlr_box geo;
	view->impl->get_geometry(view, &geo);
	int x, y;
	placement_point(view, &geo, &x, &y);
	if (view->fullscreen) {
		/* Over panels (top layer), under notifications (overlay). */
		wlr_scene_node_reparent(&tree->node, server->fullscreen_tree);
	}
	if (view->fullscreen || view->maximized) {
		/* Mapped in a state: the placement point is where it goes when it leaves it. */
		view->saved_box.x = x;
		view->saved_box.y = y;
		place_in_state_box(view);
		view->state_output = view_output(view);
	} else {
		view_move(view, x, y);
	}

	wl_list_insert(&server->views, &view->link);
	view->mapped = true;

	struct wlr_ext_foreign_toplevel_handle_v1_state state;
	foreign_toplevel_state(view, &state);
	view->foreign_toplevel = wlr_ext_foreign_toplevel_handle_v1_create(
		server->foreign_toplevel_list, &state);
	if (view->foreign_toplevel != NULL) {
		view->foreign_toplevel->data = view;
		view->capture = capture_toplevel_create(server->capture,
			view->foreign_toplevel, view->scene_tree);
	}
	view->foreign_management = foreign_toplevel_create(view);
	foreign_toplevel_update(view->foreign_management);
	/* Children mapped before this view learn their parent now. */
	struct view *other;
	wl_list_for_each(other, &server->views, link) {
		if (other != view && other->impl->get_parent != NULL &&
				other->impl->get_parent(other) == view) {
			foreign_toplevel_update(other->foreign_management);
		}
	}
	wlr_log(WLR_DEBUG, "view '%s' (%s) mapped", state.title ? state.title : "",
		state.app_id ? state.app_id : "");
	view_focus(view);
}

/* Focus the most recently focused window that is not minimized, or nothing. */
static void focus_next(struct server *server) {
	struct view *view;
	wl_list_for_each(view, &server->views, link) {
		if (!view->minimized) {
			view_focus(view);
			return;
		}
	}
	struct wlr_seat *wlr_seat = seat_wlr_seat(server->seat);
	struct wlr_surface *prev = wlr_seat->keyboard_state.focused_surface;
	struct view *prev_view = prev != NULL ? view_from_surface(server, prev) : NULL;
	wlr_seat_keyboard_notify_clear_focus(wlr_seat);
	if (prev_view != NULL) {
		prev_view->impl->set_activated(prev_view, false);
		foreign_toplevel_update(prev_view->foreign_management);
	}
}

void view_unmap(struct view *view) {
	struct server *server = view->server;
	view->mapped = false;
	if (view->capture != NULL) {
		capture_toplevel_destroy(view->capture);
		view->capture = NULL;
	}
	if (view->foreign_toplevel != NULL) {
		wlr_ext_foreign_toplevel_handle_v1_destroy(view->foreign_toplevel);
		view->foreign_toplevel = NULL;
	}
	foreign_toplevel_destroy(view->foreign_management);
	view->foreign_management = NULL;
	if (view->minimized) {
		/* A window that maps again comes back visible. */
		view->minimized = false;
		if (view->scene_tree != NULL) {
			wlr_scene_node_set_enabled(&view->scene_tree->node, true);
		}
	}
	view->urgent = false;
	/* Only mapped views (server.views) hear of outputs going away. */
	view->state_output = NULL;
	wl_list_remove(&view->link);
	wl_list_init(&view->link);
	seat_view_unmapped(server->seat, view);
	/* Hand focus to the next window, as users expect after a close. */
	struct wlr_seat *wlr_seat = seat_wlr_seat(server->seat);
	if (wlr_seat->keyboard_state.focused_surface == NULL ||
			wlr_seat->keyboard_state.focused_surface == view->surface) {
		focus_next(server);
	}
	/* What was under the window gets the pointer. */
	seat_pointer_rebase(server->seat);
}

void view_focus(struct view *view) {
	struct server *server = view->server;
	struct wlr_seat *wlr_seat = seat_wlr_seat(server->seat);
	struct wlr_surface *prev = wlr_seat->keyboard_state.focused_surface;
	if (view->minimized) {
		view_set_minimized(view, false);
	}
	if (view->urgent) {
		view_set_urgent(view, false);
	}
	if (prev == view->surface) {
		return;
	}
	if (layer_shell_has_exclusive_focus(server->layer_shell)) {
		/* A launcher or prompt holds the keyboard: the window waits its turn. */
		wlr_scene_node_raise_to_top(&view->scene_tree->node);
		wl_list_remove(&view->link);
		wl_list_insert(&server->views, &view->link);
		return;
	}
	struct view *prev_view = prev != NULL ? view_from_surface(server, prev) : NULL;
	if (prev_view != NULL) {
		prev_view->impl->set_activated(prev_view, false);
	}
	wlr_scene_node_raise_to_top(&view->scene_tree->node);
	wl_list_remove(&view->link);
	wl_list_insert(&server->views, &view->link);
	/* Raised, it may now be what is under the pointer. */
	seat_pointer_rebase(server->seat);
	view->impl->set_activated(view, true);
	seat_focus_surface(server->seat, view->surface);
	if (prev_view != NULL) {
		foreign_toplevel_update(prev_view->foreign_management);
	}
	foreign_toplevel_update(view->foreign_management);
}

void view_activate(struct view *view) {
	if (!view->mapped) {
		return;
	}
	view_focus(view);
}

void view_set_urgent(struct view *view, bool urgent) {
	struct wlr_seat *wlr_seat = seat_wlr_seat(view->server->seat);
	if (urgent && wlr_seat->keyboard_state.focused_surface == view->surface) {
		return;
	}
	if (view->urgent == urgent) {
		return;
	}
	view->urgent = urgent;
	if (view->impl->set_urgent != NULL) {
		view->impl->set_urgent(view, urgent);
	}
	const char *app_id = view->impl->get_app_id(view);
	wlr_log(WLR_DEBUG, "view %s: %s", app_id != NULL ? app_id : "(no app id)",
		urgent ? "urgent" : "no longer urgent");
}

void view_set_minimized(struct view *view, bool minimized) {
	if (view->minimized == minimized || !view->mapped) {
		return;
	}
	struct server *server = view->server;
	view->minimized = minimized;
	if (view->impl->set_minimized != NULL) {
		view->impl->set_minimized(view, minimized);
	}
	wlr_scene_node_set_enabled(&view->scene_tree->node, !minimized);
	seat_pointer_rebase(server->seat);
	if (minimized) {
		struct wlr_seat *wlr_seat = seat_wlr_seat(server->seat);
		if (wlr_seat->keyboard_state.focused_surface == view->surface) {
			focus_next(server);
		}
		/* Cycling brings the most recently minimized window back last. */
		wl_list_remove(&view->link);
		wl_list_insert(server->views.prev, &view->link);
	}
	foreign_toplevel_update(view->foreign_management);
}

void view_move(struct view *view, int x, int y) {
	view->x = x;
	view->y = y;
	/* Moved on purpose: a state it enters or refits takes the output it is on now. */
	view->state_output = NULL;
	if (view->scene_tree != NULL) {
		wlr_scene_node_set_position(&view->scene_tree->node, x, y);
	}
	view->impl->configure(view, x, y, 0, 0);
	foreign_toplevel_update(view->foreign_management);
	if (view->mapped) {
		seat_pointer_rebase(view->server->seat);
	}
}

struct wlr_output *view_output(struct view *view) {
	struct server *server = view->server;
	struct wlr_box geo;
	view->impl->get_geometry(view, &geo);
	double cx = view->x + geo.x + geo.width / 2.0, cy = view->y + geo.y + geo.height / 2.0;
	struct wlr_output *wlr_output = wlr_output_layout_output_at(server->output_layout, cx, cy);
	if (wlr_output == NULL) {
		double nx, ny;
		wlr_output_layout_closest_point(server->output_layout, NULL, cx, cy, &nx, &ny);
		wlr_output = wlr_output_layout_output_at(server->output_layout, nx, ny);
	}
	return wlr_output;
}

/* Moves the view so that its geometry starts at the state box's corner. */
static void place_in_state_box(struct view *view) {
	struct wlr_box geo;
	view->impl->get_geometry(view, &geo);
	view->x = view->state_box.x - geo.x;
	view->y = view->state_box.y - geo.y;
	if (view->scene_tree != NULL) {
		wlr_scene_node_set_position(&view->scene_tree->node, view->x, view->y);
	}
}

/*
 * The output a maximized or fullscreen view belongs to and the box its
 * states give it there: the output it entered the state on while that is in
 * the layout, else the one under its middle (or the nearest). The box is
 * empty when there is no output.
 */
static struct wlr_output *state_target(struct view *view, struct wlr_box *box) {
	struct server *server = view->server;
	struct wlr_output *wlr_output = view->state_output;
	if (wlr_output == NULL || wlr_output_layout_get(server->output_layout, wlr_output) == NULL) {
		wlr_output = view_output(view);
	}
	*box = (struct wlr_box){0};
	if (wlr_output == NULL) {
		return NULL;
	}
	if (view->fullscreen) {
		wlr_output_layout_get_box(server->output_layout, wlr_output, box);
	} else {
		output_usable_area(server, wlr_output, box);
	}
	return wlr_output;
}

/*
 * Sizes and places the view for its states: fullscreen covers its output,
 * maximized fills the output's usable area, neither goes back to the saved
 * floating box. Called after view->fullscreen or view->maximized changed,
 * and when the view's output or its usable area changed.
 */
static void apply_states(struct view *view, bool was_floating) {
	struct server *server = view->server;
	if (!view->fullscreen && !view->maximized) {
		view->x = view->saved_box.x;
		view->y = view->saved_box.y;
		if (view->scene_tree != NULL) {
			wlr_scene_node_reparent(&view->scene_tree->node, server->view_tree);
			wlr_scene_node_set_position(&view->scene_tree->node, view->x, view->y);
		}
		view->impl->configure(view, view->x, view->y,
			view->saved_box.width, view->saved_box.height);
		foreign_toplevel_update(view->foreign_management);
		return;
	}
	if (was_floating) {
		struct wlr_box geo;
		view->impl->get_geometry(view, &geo);
		view->saved_box = (struct wlr_box){view->x, view->y, geo.width, geo.height};
		/* Entering a state: the output is the one it is on now. */
		view->state_output = NULL;
	}
	struct wlr_box box;
	struct wlr_output *wlr_output = state_target(view, &box);
	if (wlr_box_empty(&box)) {
		return; /* no output: it gets its size when one comes */
	}
	/* Before mapping the view is in no list that would hear of the output's end. */
	view->state_output = view->mapped ? wlr_output : NULL;
	if (view->scene_tree != NULL) {
		/* Fullscreen goes over panels (top layer), under notifications (overlay). */
		wlr_scene_node_reparent(&view->scene_tree->node,
			view->fullscreen ? server->fullscreen_tree : server->view_tree);
	}
	view->state_box = box;
	place_in_state_box(view);
	view->impl->configure(view, box.x, box.y, box.width, box.height);
	foreign_toplevel_update(view->foreign_management);
}

void view_set_fullscreen(struct view *view, bool fullscreen) {
	if (view->fullscreen == fullscreen) {
		/* xdg-shell still requires a configure in reply. */
		view->impl->set_fullscreen(view, fullscreen);
		return;
	}
	bool was_floating = !view->fullscreen && !view->maximized;
	view->fullscreen = fullscreen;
	view->impl->set_fullscreen(view, fullscreen);
	apply_states(view, was_floating);
}

void view_set_maximized(struct view *view, bool maximized) {
	if (view->maximized == maximized) {
		view->impl->set_maximized(view, maximized);
		return;
	}
	bool was_floating = !view->fullscreen && !view->maximized;
	view->maximized = maximized;
	view->impl->set_maximized(view, maximized);
	if (view->fullscreen) {
		/* Fullscreen wins; leaving it returns to the maximized size. */
		foreign_toplevel_update(view->foreign_management);
		return;
	}
	apply_states(view, was_floating);
}

/* Whether any output of the layout overlaps the box. */
static bool box_on_an_output(struct server *server, const struct wlr_box *box) {
	struct wlr_output_layout_output *l_output;
	wl_list_for_each(l_output, &server->output_layout->outputs, link) {
		struct wlr_box output_box, overlap;
		wlr_output_layout_get_box(server->output_layout, l_output->output, &output_box);
		if (wlr_box_intersection(&overlap, box, &output_box)) {
			return true;
		}
	}
	return false;
}

/* Applies the view's states again if its output now gives it another box. */
static void refit_states(struct view *view) {
	struct wlr_box box;
	struct wlr_output *wlr_output = state_target(view, &box);
	if (wlr_output != NULL && wlr_output == view->state_output &&
			wlr_box_equal(&box, &view->state_box)) {
		return;
	}
	apply_states(view, false);
}

void view_arrange_states(struct server *server, bool orphans_only) {
	struct view *view;
	wl_list_for_each(view, &server->views, link) {
		if (!view->mapped || !(view->fullscreen || view->maximized)) {
			continue;
		}
		if (orphans_only && box_on_an_output(server, &view->state_box)) {
			continue;
		}
		refit_states(view);
	}
}

/* How many pixels two boxes share. */
static int64_t overlap_area(const struct wlr_box *a, const struct wlr_box *b) {
	struct wlr_box overlap;
	if (!wlr_box_intersection(&overlap, a, b)) {
		return 0;
	}
	return (int64_t)overlap.width * overlap.height;
}

/* The move of the output a floating box overlapped most before the change. */
static const struct view_output_move *floating_home(const struct wlr_box *box,
		const struct view_output_move *moves, size_t moves_len) {
	const struct view_output_move *home = NULL;
	int64_t most = 0;
	for (size_t i = 0; i < moves_len; i++) {
		int64_t area = overlap_area(box, &moves[i].old_box);
		if (area > most) {
			most = area;
			home = &moves[i];
		}
	}
	return home;
}

/* The move of the output a maximized or fullscreen view belongs to. */
static const struct view_output_move *state_home(struct view *view,
		const struct view_output_move *moves, size_t moves_len) {
	for (size_t i = 0; i < moves_len; i++) {
		if (view->state_output != NULL && moves[i].output == view->state_output) {
			return &moves[i];
		}
	}
	/* Its box starts at its output's corner (or where panels leave room on it). */
	for (size_t i = 0; i < moves_len; i++) {
		if (view->state_output == NULL && wlr_box_contains_point(&moves[i].old_box,
				view->state_box.x, view->state_box.y)) {
			return &moves[i];
		}
	}
	return NULL;
}

/*
 * A box that went with its output: if the output got narrower or shorter and
 * the box no longer lies entirely on it, it moves the least distance that
 * puts it inside the output's usable area. True if it moved.
 */
static bool fit_shrunk_output(struct server *server, const struct view_output_move *home,
		struct wlr_box *box) {
	bool shrank = home->new_box.width < home->old_box.width ||
		home->new_box.height < home->old_box.height;
	struct wlr_box overlap;
	if (!shrank || (wlr_box_intersection(&overlap, box, &home->new_box) &&
			wlr_box_equal(&overlap, box))) {
		return false;
	}
	struct wlr_box usable, area;
	output_usable_area(server, home->output, &usable);
	if (!wlr_box_intersection(&area, &usable, &home->new_box)) {
		area = home->new_box;
	}
	int x = box->x, y = box->y;
	keep_inside(&area, box->width, box->height, &x, &y);
	if (x == box->x && y == box->y) {
		return false;
	}
	box->x = x;
	box->y = y;
	return true;
}

void view_follow_outputs(struct server *server, const struct view_output_move *moves,
		size_t moves_len) {
	struct view *view;
	wl_list_for_each(view, &server->views, link) {
		if (!view->mapped) {
			continue;
		}
		struct wlr_box geo;
		view->impl->get_geometry(view, &geo);
		bool in_state = view->fullscreen || view->maximized;
		struct wlr_box box = {view->x + geo.x, view->y + geo.y, geo.width, geo.height};
		const struct view_output_move *home = in_state ?
			state_home(view, moves, moves_len) : floating_home(&box, moves, moves_len);
		if (home == NULL) {
			continue;
		}
		int dx = home->new_box.x - home->old_box.x, dy = home->new_box.y - home->old_box.y;
		const char *app_id = view->impl->get_app_id(view);
		if (in_state) {
			/*
			 * Its floating place follows, and comes inside a shrunk
			 * output like a floating window (its surface origin
			 * standing for its geometry: the shadows it had then are
			 * unknown); view_arrange_states() refits its box.
			 */
			view->saved_box.x += dx;
			view->saved_box.y += dy;
			struct wlr_box saved = view->saved_box;
			saved.width = saved.width > 0 ? saved.width : 0;
			saved.height = saved.height > 0 ? saved.height : 0;
			if (fit_shrunk_output(server, home, &saved)) {
				wlr_log(WLR_DEBUG, "view %s: its output %s shrank, its floating place "
					"moved to %d,%d", app_id != NULL ? app_id : "(no app id)",
					home->output->name, saved.x, saved.y);
				view->saved_box.x = saved.x;
				view->saved_box.y = saved.y;
			}
			continue;
		}
		struct wlr_box moved = {box.x + dx, box.y + dy, box.width, box.height};
		if (fit_shrunk_output(server, home, &moved)) {
			wlr_log(WLR_DEBUG, "view %s: its output %s shrank, moved to %d,%d",
				app_id != NULL ? app_id : "(no app id)", home->output->name, moved.x,
				moved.y);
		}
		if (moved.x != box.x || moved.y != box.y) {
			view_move(view, moved.x - geo.x, moved.y - geo.y);
		}
	}
}

void view_rescue_orphans(struct server *server) {
	/* Maximized and fullscreen windows whose box is on no output take the nearest one's. */
	view_arrange_states(server, true);
	struct view *view;
	wl_list_for_each(view, &server->views, link) {
		if (!view->mapped) {
			continue;
		}
		struct wlr_box geo;
		view->impl->get_geometry(view, &geo);
		bool in_state = view->fullscreen || view->maximized;
		/* A window in a state keeps where it goes when it leaves it in saved_box. */
		struct wlr_box box = in_state ? view->saved_box :
			(struct wlr_box){view->x + geo.x, view->y + geo.y, geo.width, geo.height};
		if (wlr_box_empty(&box) || box_on_an_output(server, &box)) {
			continue;
		}
		struct output *output = output_at(server, box.x + box.width / 2.0,
			box.y + box.height / 2.0);
		if (output == NULL) {
			return; /* no output left: windows wait where they are */
		}
		struct wlr_box area;
		output_usable_area(server, output->wlr_output, &area);
		int x, y;
		centre_in(&area, box.width, box.height, &x, &y);
		const char *app_id = view->impl->get_app_id(view);
		wlr_log(WLR_DEBUG, "view %s was on no output: moved to %s at %d,%d",
			app_id != NULL ? app_id : "(no app id)", output->wlr_output->name, x, y);
		/* saved_box keeps the surface origin, like view->x and view->y. */
		if (in_state) {
			view->saved_box.x = x - geo.x;
			view->saved_box.y = y - geo.y;
		} else {
			view_move(view, x - geo.x, y - geo.y);
		}
	}
}

void view_move_resize(struct view *view, int x, int y, int width, int height) {
	view->x = x;
	view->y = y;
	if (view->scene_tree != NULL) {
		wlr_scene_node_set_position(&view->scene_tree->node, x, y);
	}
	view->impl->configure(view, x, y, width, height);
	foreign_toplevel_update(view->foreign_management);
	if (view->mapped) {
		seat_pointer_rebase(view->server->seat);
	}
}

void view_arrange_maximized(struct server *server) {
	struct view *view;
	wl_list_for_each(view, &server->views, link) {
		if (view->mapped && view->maximized && !view->fullscreen) {
			refit_states(view);
		}
	}
}

void view_forget_output(struct server *server, struct wlr_output *wlr_output) {
	struct view *view;
	wl_list_for_each(view, &server->views, link) {
		if (view->state_output == wlr_output) {
			view->state_output = NULL;
		}
	}
}

void view_committed(struct view *view) {
	if (view->mapped && (view->fullscreen || view->maximized)) {
		/* The client's geometry (shadows) may change with its new size. */
		place_in_state_box(view);
	}
	foreign_toplevel_update(view->foreign_management);
	view_content_changed(view);
}

void view_parent_changed(struct view *view) {
	foreign_toplevel_update(view->foreign_management);
}

void view_update_identity(struct view *view) {
	if (view->foreign_toplevel == NULL) {
		return;
	}
	struct wlr_ext_foreign_toplevel_handle_v1_state state;
	foreign_toplevel_state(view, &state);
	wlr_ext_foreign_toplevel_handle_v1_update_state(view->foreign_toplevel, &state);
	foreign_toplevel_update(view->foreign_management);
}

void view_content_changed(struct view *view) {
	if (view->capture != NULL) {
		capture_toplevel_content_changed(view->capture);
	}
}

struct view *view_at(struct server *server, double lx, double ly,
		struct wlr_surface **surface, double *sx, double *sy) {
	struct wlr_scene_node *node = wlr_scene_node_at(&server->scene->tree.node, lx, ly, sx, sy);
	if (node == NULL || node->type != WLR_SCENE_NODE_BUFFER) {
		return NULL;
	}
	struct wlr_scene_buffer *scene_buffer = wlr_scene_buffer_from_node(node);
	struct wlr_scene_surface *scene_surface = wlr_scene_surface_try_from_buffer(scene_buffer);
	if (scene_surface == NULL) {
		return NULL;
	}
	*surface = scene_surface->surface;
	/* The view's tree is the nearest ancestor that carries the view. */
	struct wlr_scene_tree *tree = node->parent;
	while (tree != NULL && tree->node.data == NULL) {
		tree = tree->node.parent;
	}
	return tree != NULL ? tree->node.data : NULL;
}

void view_cycle_focus(struct server *server) {
	if (wl_list_empty(&server->views)) {
		return;
	}
	/*
	 * A window that asked for attention comes first (the least recently
	 * focused of them); otherwise the least recently focused window, as Alt+Tab
	 * cycling does. Minimized windows wait at the end of the list and come
	 * back this way.
	 */
	struct view *view;
	wl_list_for_each_reverse(view, &server->views, link) {
		if (view->urgent) {
			view_focus(view);
			return;
		}
	}
	struct view *last = wl_container_of(server->views.prev, last, link);
	view_focus(last);
}

struct view *view_from_surface(struct server *server, struct wlr_surface *surface) {
	struct wlr_surface *root = wlr_surface_get_root_surface(surface);
	struct view *view;
	wl_list_for_each(view, &server->views, link) {
		if (view->surface == root) {
			return view;
		}
	}
	return NULL;
}
