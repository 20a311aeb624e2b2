#include <stdlib.h>
#include <wlr/types/wlr_compositor.h>
#include <wlr/types/wlr_cursor.h>
#include <wlr/types/wlr_layer_shell_v1.h>
#include <wlr/types/wlr_output.h>
#include <wlr/types/wlr_output_layout.h>
#include <wlr/types/wlr_scene.h>
#include <wlr/types/wlr_seat.h>
#include <wlr/types/wlr_xdg_shell.h>
#include <wlr/util/box.h>
#include <wlr/util/log.h>
#include "layer_shell.h"
#include "output.h"
#include "seat.h"
#include "server.h"
#include "view.h"
#include "xdg.h"

/* Version 5 (exclusive_edge) is the highest wlroots 0.20 implements. */
#define LAYER_SHELL_VERSION 5

struct layer_shell {
	struct server *server;
	struct wlr_layer_shell_v1 *wlr_layer_shell;
	struct wl_list surfaces; /* struct layer_surface.link, newest first */
	/* The surface that holds the keyboard exclusively, or NULL. */
	struct layer_surface *exclusive;

	struct wl_listener new_surface;
	struct wl_listener layout_change;
};

struct layer_surface {
	struct layer_shell *shell;
	struct wlr_layer_surface_v1 *layer_surface;
	struct wlr_scene_layer_surface_v1 *scene;
	/*
	 * Popups stack above every layer, whatever the layer of their parent
	 * (a bar's menu must not hide behind windows); this tree follows the
	 * surface's position.
	 */
	struct wlr_scene_tree *popup_tree;
	struct wl_list link; /* layer_shell.surfaces */

	struct wl_listener map;
	struct wl_listener unmap;
	struct wl_listener client_commit;
	struct wl_listener commit;
	struct wl_listener new_popup;
	struct wl_listener output_destroy;
	struct wl_listener destroy;
};

struct layer_popup {
	struct server *server;
	struct wlr_xdg_popup *popup;
	struct wl_listener commit;
	struct wl_listener destroy;
};

static const char *layer_name(enum zwlr_layer_shell_v1_layer layer) {
	static const char *const names[] = {"background", "bottom", "top", "overlay"};
	return layer < sizeof(names) / sizeof(names[0]) ? names[layer] : "?";
}

static void arrange_layer(struct layer_shell *shell, struct output *output,
		enum zwlr_layer_shell_v1_layer layer, bool exclusive, const struct wlr_box *full,
		struct wlr_box *usable) {
	struct layer_surface *surface;
	wl_list_for_each_reverse(surface, &shell->surfaces, link) {
		struct wlr_layer_surface_v1 *layer_surface = surface->layer_surface;
		if (layer_surface->output != output->wlr_output || !layer_surface->initialized ||
				layer_surface->current.layer != layer ||
				(layer_surface->current.exclusive_zone > 0) != exclusive) {
			continue;
		}
		if (layer_surface->surface->mapped) {
			wlr_scene_layer_surface_v1_configure(surface->scene, full, usable);
		} else {
			/* Configured so that it can map, but it takes no space while hidden. */
			struct wlr_box scratch = *usable;
			wlr_scene_layer_surface_v1_configure(surface->scene, full, &scratch);
		}
		wlr_scene_node_set_position(&surface->popup_tree->node,
			surface->scene->tree->node.x, surface->scene->tree->node.y);
	}
}

void layer_shell_arrange(struct layer_shell *shell, struct output *output) {
	struct wlr_box full;
	wlr_output_layout_get_box(shell->server->output_layout, output->wlr_output, &full);
	if (wlr_box_empty(&full)) {
		/* Not in the layout (disabled): nothing to place it on. */
		output->usable_area = full;
		return;
	}
	/*
	 * Surfaces with an exclusive zone first, from the top layer down, so that
	 * panels claim their edges before anything is placed in what remains.
	 */
	struct wlr_box usable = full;
	for (int layer = ZWLR_LAYER_SHELL_V1_LAYER_OVERLAY; layer >= 0; layer--) {
		arrange_layer(shell, output, layer, true, &full, &usable);
	}
	for (int layer = ZWLR_LAYER_SHELL_V1_LAYER_OVERLAY; layer >= 0; layer--) {
		arrange_layer(shell, output, layer, false, &full, &usable);
	}
	bool changed = !wlr_box_equal(&usable, &output->usable_area);
	output->usable_area = usable;
	if (changed) {
		wlr_log(WLR_DEBUG, "output %s: usable area %d,%d %dx%d", output->wlr_output->name,
			usable.x, usable.y, usable.width, usable.height);
		/* A panel came or went: maximized windows fill what is left. */
		view_arrange_maximized(shell->server);
	}
}

static void arrange_all(struct layer_shell *shell) {
	struct output *output;
	wl_list_for_each(output, &shell->server->outputs, link) {
		layer_shell_arrange(shell, output);
	}
}

static void arrange_surface_output(struct layer_surface *surface) {
	struct output *output = output_from_wlr_output(surface->shell->server,
		surface->layer_surface->output);
	if (output != NULL) {
		layer_shell_arrange(surface->shell, output);
	}
}

/* Keyboard focus */

static bool wants_exclusive_focus(struct wlr_layer_surface_v1 *layer_surface) {
	return layer_surface->surface->mapped &&
		layer_surface->current.keyboard_interactive ==
			ZWLR_LAYER_SURFACE_V1_KEYBOARD_INTERACTIVITY_EXCLUSIVE &&
		layer_surface->current.layer >= ZWLR_LAYER_SHELL_V1_LAYER_TOP;
}

static void focus_layer_surface(struct layer_shell *shell, struct layer_surface *surface) {
	struct wlr_seat *seat = seat_wlr_seat(shell->server->seat);
	if (seat->keyboard_state.focused_surface == surface->layer_surface->surface) {
		return;
	}
	wlr_log(WLR_DEBUG, "layer surface '%s' (%s) takes the keyboard",
		surface->layer_surface->namespace, layer_name(surface->layer_surface->current.layer));
	seat_focus_surface(shell->server->seat, surface->layer_surface->surface);
}

/*
 * Gives the keyboard to the topmost layer surface that wants it exclusively;
 * else, if a layer surface holds it but may no longer, back to the window
 * that had it last.
 */
static void update_focus(struct layer_shell *shell) {
	struct layer_surface *exclusive = NULL;
	for (int layer = ZWLR_LAYER_SHELL_V1_LAYER_OVERLAY;
			layer >= ZWLR_LAYER_SHELL_V1_LAYER_TOP && exclusive == NULL; layer--) {
		struct layer_surface *surface;
		wl_list_for_each(surface, &shell->surfaces, link) {
			if (surface->layer_surface->current.layer == (uint32_t)layer &&
					wants_exclusive_focus(surface->layer_surface)) {
				exclusive = surface;
				break;
			}
		}
	}
	shell->exclusive = exclusive;
	if (exclusive != NULL) {
		focus_layer_surface(shell, exclusive);
		return;
	}

	struct server *server = shell->server;
	struct wlr_seat *seat = seat_wlr_seat(server->seat);
	struct wlr_surface *focused = seat->keyboard_state.focused_surface;
	if (focused != NULL) {
		struct wlr_layer_surface_v1 *layer_surface =
			wlr_layer_surface_v1_try_from_wlr_surface(focused);
		if (layer_surface == NULL || (layer_surface->surface->mapped &&
				layer_surface->current.keyboard_interactive !=
					ZWLR_LAYER_SURFACE_V1_KEYBOARD_INTERACTIVITY_NONE)) {
			return; /* a window has it, or a layer surface that may keep it */
		}
	}
	if (!wl_list_empty(&server->views)) {
		struct view *view = wl_container_of(server->views.next, view, link);
		wlr_log(WLR_DEBUG, "keyboard focus back to window '%s'",
			view->impl->get_title(view) ? view->impl->get_title(view) : "");
		view_focus(view);
	} else if (focused != NULL) {
		wlr_seat_keyboard_clear_focus(seat);
	}
}

bool layer_shell_has_exclusive_focus(struct layer_shell *shell) {
	return shell != NULL && shell->exclusive != NULL;
}

void layer_shell_handle_click(struct layer_shell *shell, struct wlr_surface *surface) {
	struct wlr_layer_surface_v1 *layer_surface =
		wlr_layer_surface_v1_try_from_wlr_surface(wlr_surface_get_root_surface(surface));
	if (layer_surface == NULL || layer_surface->data == NULL ||
			!layer_surface->surface->mapped ||
			layer_surface->current.keyboard_interactive ==
				ZWLR_LAYER_SURFACE_V1_KEYBOARD_INTERACTIVITY_NONE) {
		return;
	}
	struct layer_surface *clicked = layer_surface->data;
	if (shell->exclusive != NULL && shell->exclusive != clicked) {
		return;
	}
	focus_layer_surface(shell, clicked);
}

/* Popups */

bool layer_shell_popup_area(struct wlr_surface *root, int *root_lx, int *root_ly,
		struct wlr_box *area) {
	struct wlr_layer_surface_v1 *layer_surface = wlr_layer_surface_v1_try_from_wlr_surface(root);
	if (layer_surface == NULL || layer_surface->data == NULL || layer_surface->output == NULL) {
		return false;
	}
	struct layer_surface *surface = layer_surface->data;
	*root_lx = surface->scene->tree->node.x;
	*root_ly = surface->scene->tree->node.y;
	wlr_output_layout_get_box(surface->shell->server->output_layout, layer_surface->output,
		area);
	return !wlr_box_empty(area);
}

static void handle_popup_commit(struct wl_listener *listener, void *data) {
	struct layer_popup *popup = wl_container_of(listener, popup, commit);
	if (popup->popup->base->initial_commit) {
		xdg_popup_unconstrain(popup->server, popup->popup);
		wlr_xdg_surface_schedule_configure(popup->popup->base);
	}
}

static void handle_popup_destroy(struct wl_listener *listener, void *data) {
	struct layer_popup *popup = wl_container_of(listener, popup, destroy);
	wl_list_remove(&popup->commit.link);
	wl_list_remove(&popup->destroy.link);
	free(popup);
}

static void handle_new_popup(struct wl_listener *listener, void *data) {
	struct layer_surface *surface = wl_container_of(listener, surface, new_popup);
	struct wlr_xdg_popup *wlr_popup = data;
	struct layer_popup *popup = calloc(1, sizeof(*popup));
	if (popup == NULL) {
		wl_resource_post_no_memory(wlr_popup->resource);
		return;
	}
	popup->server = surface->shell->server;
	popup->popup = wlr_popup;
	/* Nested popups find their parent's tree here (see xdg.c). */
	wlr_popup->base->data = wlr_scene_xdg_surface_create(surface->popup_tree, wlr_popup->base);
	popup->commit.notify = handle_popup_commit;
	wl_signal_add(&wlr_popup->base->surface->events.commit, &popup->commit);
	popup->destroy.notify = handle_popup_destroy;
	wl_signal_add(&wlr_popup->events.destroy, &popup->destroy);
}

/* Layer surfaces */

static void handle_map(struct wl_listener *listener, void *data) {
	struct layer_surface *surface = wl_container_of(listener, surface, map);
	struct wlr_layer_surface_v1 *layer_surface = surface->layer_surface;
	wlr_log(WLR_INFO, "layer surface '%s' mapped on %s, layer %s", layer_surface->namespace,
		layer_surface->output->name, layer_name(layer_surface->current.layer));
	arrange_surface_output(surface);
	/* Launchers that ask for the keyboard on demand expect it when they open on top. */
	if (layer_surface->current.keyboard_interactive ==
			ZWLR_LAYER_SURFACE_V1_KEYBOARD_INTERACTIVITY_ON_DEMAND &&
			layer_surface->current.layer >= ZWLR_LAYER_SHELL_V1_LAYER_TOP &&
			surface->shell->exclusive == NULL) {
		focus_layer_surface(surface->shell, surface);
	}
	update_focus(surface->shell);
}

static void handle_unmap(struct wl_listener *listener, void *data) {
	struct layer_surface *surface = wl_container_of(listener, surface, unmap);
	wlr_log(WLR_INFO, "layer surface '%s' unmapped", surface->layer_surface->namespace);
	arrange_surface_output(surface);
	update_focus(surface->shell);
}

/*
 * set_size: "If you pass 0 for either value, the compositor will assign it
 * [...]. You must set your anchor to opposite edges in the dimensions you
 * omit; not doing so is a protocol error." wlroots 0.20 checks neither axis
 * (later wlroots does, in the role's client_commit); this is the same check
 * at the same point: before the state is applied, so nothing is configured
 * from a size nobody can compute.
 */
static void handle_client_commit(struct wl_listener *listener, void *data) {
	struct layer_surface *surface = wl_container_of(listener, surface, client_commit);
	struct wlr_layer_surface_v1 *layer_surface = surface->layer_surface;
	const struct wlr_layer_surface_v1_state *pending = &layer_surface->pending;
	const uint32_t horizontal = ZWLR_LAYER_SURFACE_V1_ANCHOR_LEFT |
		ZWLR_LAYER_SURFACE_V1_ANCHOR_RIGHT;
	const uint32_t vertical = ZWLR_LAYER_SURFACE_V1_ANCHOR_TOP |
		ZWLR_LAYER_SURFACE_V1_ANCHOR_BOTTOM;
	if (pending->desired_width == 0 && (pending->anchor & horizontal) != horizontal) {
		wlr_surface_reject_pending(layer_surface->surface, layer_surface->resource,
			ZWLR_LAYER_SURFACE_V1_ERROR_INVALID_SIZE,
			"width 0 requested without anchors to the left and right edges");
	} else if (pending->desired_height == 0 && (pending->anchor & vertical) != vertical) {
		wlr_surface_reject_pending(layer_surface->surface, layer_surface->resource,
			ZWLR_LAYER_SURFACE_V1_ERROR_INVALID_SIZE,
			"height 0 requested without anchors to the top and bottom edges");
	}
}

static void handle_commit(struct wl_listener *listener, void *data) {
	struct layer_surface *surface = wl_container_of(listener, surface, commit);
	struct wlr_layer_surface_v1 *layer_surface = surface->layer_surface;
	if (!layer_surface->initialized) {
		return;
	}
	uint32_t committed = layer_surface->current.committed;
	if (committed & WLR_LAYER_SURFACE_V1_STATE_LAYER) {
		struct server *server = surface->shell->server;
		wlr_scene_node_reparent(&surface->scene->tree->node,
			server->layer_trees[layer_surface->current.layer]);
	}
	/* Only state changes: a client that redraws after each configure must not loop. */
	if (layer_surface->initial_commit || committed != 0) {
		arrange_surface_output(surface);
	}
	if (committed & (WLR_LAYER_SURFACE_V1_STATE_KEYBOARD_INTERACTIVITY |
			WLR_LAYER_SURFACE_V1_STATE_LAYER)) {
		update_focus(surface->shell);
	}
}

static void handle_output_destroy(struct wl_listener *listener, void *data) {
	struct layer_surface *surface = wl_container_of(listener, surface, output_destroy);
	wlr_log(WLR_INFO, "layer surface '%s': its output %s went away, closing it",
		surface->layer_surface->namespace, surface->layer_surface->output->name);
	/* The output may be half gone: nothing is arranged on it any more. */
	wl_list_remove(&surface->output_destroy.link);
	wl_list_init(&surface->output_destroy.link);
	surface->layer_surface->output = NULL;
	wlr_layer_surface_v1_destroy(surface->layer_surface);
}

static void handle_destroy(struct wl_listener *listener, void *data) {
	struct layer_surface *surface = wl_container_of(listener, surface, destroy);
	struct layer_shell *shell = surface->shell;
	struct wlr_layer_surface_v1 *layer_surface = surface->layer_surface;
	/* The wl_surface may outlive its role: it must not keep the keyboard. */
	struct wlr_seat *seat = seat_wlr_seat(shell->server->seat);
	if (seat->keyboard_state.focused_surface == layer_surface->surface) {
		wlr_seat_keyboard_clear_focus(seat);
	}
	if (shell->exclusive == surface) {
		shell->exclusive = NULL;
	}
	wl_list_remove(&surface->map.link);
	wl_list_remove(&surface->unmap.link);
	wl_list_remove(&surface->client_commit.link);
	wl_list_remove(&surface->commit.link);
	wl_list_remove(&surface->new_popup.link);
	wl_list_remove(&surface->output_destroy.link);
	wl_list_remove(&surface->destroy.link);
	wl_list_remove(&surface->link);
	wlr_scene_node_destroy(&surface->popup_tree->node);
	layer_surface->data = NULL;
	struct output *output = layer_surface->output != NULL ?
		output_from_wlr_output(shell->server, layer_surface->output) : NULL;
	free(surface);
	if (output != NULL) {
		layer_shell_arrange(shell, output);
	}
	update_focus(shell);
}

static struct wlr_output *output_for_new_surface(struct server *server) {
	/* The output the user works on: the one under the pointer. */
	struct wlr_cursor *cursor = seat_cursor(server->seat);
	struct wlr_output *wlr_output =
		wlr_output_layout_output_at(server->output_layout, cursor->x, cursor->y);
	if (wlr_output == NULL && !wl_list_empty(&server->outputs)) {
		struct output *first = wl_container_of(server->outputs.next, first, link);
		wlr_output = first->wlr_output;
	}
	return wlr_output;
}

static void handle_new_surface(struct wl_listener *listener, void *data) {
	struct layer_shell *shell = wl_container_of(listener, shell, new_surface);
	struct server *server = shell->server;
	struct wlr_layer_surface_v1 *layer_surface = data;
	if (layer_surface->output == NULL) {
		layer_surface->output = output_for_new_surface(server);
	}
	if (layer_surface->output == NULL ||
			output_from_wlr_output(server, layer_surface->output) == NULL ||
			wlr_output_layout_get(server->output_layout, layer_surface->output) == NULL) {
		wlr_log(WLR_INFO, "layer surface '%s': no output to show it on, closing it",
			layer_surface->namespace);
		wlr_layer_surface_v1_destroy(layer_surface);
		return;
	}
	struct layer_surface *surface = calloc(1, sizeof(*surface));
	if (surface == NULL) {
		wl_resource_post_no_memory(layer_surface->resource);
		return;
	}
	surface->shell = shell;
	surface->layer_surface = layer_surface;
	surface->scene = wlr_scene_layer_surface_v1_create(
		server->layer_trees[layer_surface->pending.layer], layer_surface);
	surface->popup_tree = wlr_scene_tree_create(server->layer_popup_tree);
	layer_surface->data = surface;

	surface->map.notify = handle_map;
	wl_signal_add(&layer_surface->surface->events.map, &surface->map);
	surface->unmap.notify = handle_unmap;
	wl_signal_add(&layer_surface->surface->events.unmap, &surface->unmap);
	surface->client_commit.notify = handle_client_commit;
	wl_signal_add(&layer_surface->surface->events.client_commit, &surface->client_commit);
	surface->commit.notify = handle_commit;
	wl_signal_add(&layer_surface->surface->events.commit, &surface->commit);
	surface->new_popup.notify = handle_new_popup;
	wl_signal_add(&layer_surface->events.new_popup, &surface->new_popup);
	surface->output_destroy.notify = handle_output_destroy;
	wl_signal_add(&layer_surface->output->events.destroy, &surface->output_destroy);
	surface->destroy.notify = handle_destroy;
	wl_signal_add(&layer_surface->events.destroy, &surface->destroy);
	wl_list_insert(&shell->surfaces, &surface->link);
	wlr_log(WLR_DEBUG, "new layer surface '%s' on %s, layer %s", layer_surface->namespace,
		layer_surface->output->name, layer_name(layer_surface->pending.layer));
}

static void handle_layout_change(struct wl_listener *listener, void *data) {
	struct layer_shell *shell = wl_container_of(listener, shell, layout_change);
	/* A disabled output leaves the layout: what was on it will not be shown. */
	struct layer_surface *surface, *tmp;
	wl_list_for_each_safe(surface, tmp, &shell->surfaces, link) {
		struct wlr_output *wlr_output = surface->layer_surface->output;
		if (wlr_output != NULL &&
				wlr_output_layout_get(shell->server->output_layout, wlr_output) == NULL) {
			wlr_log(WLR_INFO, "layer surface '%s': its output %s left the layout, "
				"closing it", surface->layer_surface->namespace, wlr_output->name);
			wlr_layer_surface_v1_destroy(surface->layer_surface);
		}
	}
	/* Outputs moved, resized, rotated or scaled: everything is placed again. */
	arrange_all(shell);
}

struct layer_shell *layer_shell_create(struct server *server) {
	struct layer_shell *shell = calloc(1, sizeof(*shell));
	if (shell == NULL) {
		return NULL;
	}
	shell->wlr_layer_shell = wlr_layer_shell_v1_create(server->display, LAYER_SHELL_VERSION);
	if (shell->wlr_layer_shell == NULL) {
		free(shell);
		return NULL;
	}
	shell->server = server;
	wl_list_init(&shell->surfaces);
	shell->new_surface.notify = handle_new_surface;
	wl_signal_add(&shell->wlr_layer_shell->events.new_surface, &shell->new_surface);
	shell->layout_change.notify = handle_layout_change;
	wl_signal_add(&server->output_layout->events.change, &shell->layout_change);
	return shell;
}

void layer_shell_destroy(struct layer_shell *shell) {
	if (shell == NULL) {
		return;
	}
	wl_list_remove(&shell->new_surface.link);
	wl_list_remove(&shell->layout_change.link);
	free(shell);
}
