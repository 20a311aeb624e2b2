#include <stdlib.h>
#include <time.h>
#include <wlr/types/wlr_output.h>
#include <wlr/types/wlr_output_layout.h>
#include <wlr/types/wlr_scene.h>
#include <wlr/types/wlr_seat.h>
#include <wlr/types/wlr_session_lock_v1.h>
#include <wlr/util/log.h>
#include "capture/capture.h"
#include "idle.h"
#include "seat.h"
#include "server.h"
#include "session_lock.h"
#include "view.h"

/* What outputs show under the lock surfaces, and where a locker gave none. */
static const float lock_color[4] = {0.0f, 0.0f, 0.0f, 1.0f};
/*
 * After the locker died: still locked, but the user sees that something is
 * wrong (and that starting a new locker is the way out).
 */
static const float abandoned_color[4] = {0.5f, 0.0f, 0.0f, 1.0f};

struct lock_surface;

/* One per output in the layout, kept while the session is unlocked too. */
struct lock_output {
	struct session_lock *lock;
	struct wlr_output *output;
	struct wlr_scene_tree *tree; /* in session_lock.tree, at the output's layout position */
	struct wlr_scene_rect *background;
	struct lock_surface *surface; /* the locker's surface for this output, or NULL */
	int width, height; /* logical size the surface was configured with */
	/* The first frame with the lock: `locked` waits until it was presented. */
	bool awaiting_frame;
	bool frame_committed;
	uint32_t frame_seq;
	struct wl_list link; /* session_lock.outputs */
	struct wl_listener commit;
	struct wl_listener present;
	struct wl_listener destroy;
};

struct lock_surface {
	struct lock_output *output;
	struct wlr_session_lock_surface_v1 *lock_surface;
	struct wlr_scene_tree *tree;
	struct wl_listener map;
	struct wl_listener destroy;
};

struct session_lock {
	struct server *server;
	struct wlr_session_lock_manager_v1 *manager;
	struct wlr_scene_tree *tree; /* above everything; enabled while locked */
	struct wl_list outputs; /* lock_output.link */
	struct wl_list dying; /* lock_output.link: outputs gone, trees not destroyed yet */
	struct wl_event_source *reap_idle;
	bool locked;
	/* The client responsible for unlocking; NULL while locked if it died. */
	struct wlr_session_lock_v1 *locker;
	bool locked_sent;

	struct wl_listener new_lock;
	struct wl_listener locker_new_surface;
	struct wl_listener locker_unlock;
	struct wl_listener locker_destroy;
	struct wl_listener layout_add;
	struct wl_listener layout_change;
};

static pid_t resource_pid(struct wl_resource *resource) {
	pid_t pid = 0;
	wl_client_get_credentials(wl_resource_get_client(resource), &pid, NULL, NULL);
	return pid;
}

static void set_color(struct session_lock *lock, const float color[4]) {
	struct lock_output *output;
	wl_list_for_each(output, &lock->outputs, link) {
		wlr_scene_rect_set_color(output->background, color);
	}
}

/* `locked` goes out once every enabled output has presented a frame with the lock. */
static void maybe_send_locked(struct session_lock *lock) {
	if (lock->locker == NULL || lock->locked_sent) {
		return;
	}
	struct lock_output *output;
	wl_list_for_each(output, &lock->outputs, link) {
		if (output->awaiting_frame && output->output->enabled) {
			return;
		}
	}
	lock->locked_sent = true;
	wlr_session_lock_v1_send_locked(lock->locker);
	wlr_log(WLR_INFO, "session lock: locked (locker pid %d)",
		(int)resource_pid(lock->locker->resource));
}

/* With keep_tree, the scene tree stays in its output's tree, which destroys it later. */
static void lock_surface_destroy(struct lock_surface *surface, bool keep_tree) {
	if (surface->output != NULL) {
		surface->output->surface = NULL;
	}
	wl_list_remove(&surface->map.link);
	wl_list_remove(&surface->destroy.link);
	if (!keep_tree) {
		wlr_scene_node_destroy(&surface->tree->node);
	}
	free(surface);
}

static void focus_lock_surface(struct session_lock *lock, struct wlr_surface *surface) {
	struct wlr_seat *wlr_seat = seat_wlr_seat(lock->server->seat);
	struct wlr_surface *focused = wlr_seat->keyboard_state.focused_surface;
	if (focused == NULL || !session_lock_accepts_input(lock, focused)) {
		seat_focus_surface(lock->server->seat, surface);
	}
	seat_pointer_rebase(lock->server->seat);
}

static void handle_surface_map(struct wl_listener *listener, void *data) {
	struct lock_surface *surface = wl_container_of(listener, surface, map);
	struct session_lock *lock = surface->output->lock;
	wlr_log(WLR_DEBUG, "session lock: surface mapped on %s", surface->output->output->name);
	focus_lock_surface(lock, surface->lock_surface->surface);
}

static void handle_surface_destroy(struct wl_listener *listener, void *data) {
	struct lock_surface *surface = wl_container_of(listener, surface, destroy);
	lock_surface_destroy(surface, false);
}

/* The lock surface's size: the output's logical size, also while it is out of the layout. */
static void lock_output_size(struct lock_output *output, int *width, int *height) {
	wlr_output_effective_resolution(output->output, width, height);
}

static void lock_output_configure(struct lock_output *output) {
	struct wlr_box box;
	wlr_output_layout_get_box(output->lock->server->output_layout, output->output, &box);
	wlr_scene_node_set_enabled(&output->tree->node, !wlr_box_empty(&box));
	if (!wlr_box_empty(&box)) {
		wlr_scene_node_set_position(&output->tree->node, box.x, box.y);
		wlr_scene_rect_set_size(output->background, box.width, box.height);
	}
	int width, height;
	lock_output_size(output, &width, &height);
	if (output->surface != NULL && (width != output->width || height != output->height)) {
		wlr_session_lock_surface_v1_configure(output->surface->lock_surface,
			(uint32_t)width, (uint32_t)height);
	}
	output->width = width;
	output->height = height;
}

/* Leaves the output's scene tree (the lock surface's included) to the caller. */
static void lock_output_detach(struct lock_output *output) {
	if (output->surface != NULL) {
		/* wlroots destroys the lock surface object after us. */
		lock_surface_destroy(output->surface, true);
	}
	wl_list_remove(&output->commit.link);
	wl_list_remove(&output->present.link);
	wl_list_remove(&output->destroy.link);
	wl_list_remove(&output->link);
}

static void lock_output_destroy(struct lock_output *output) {
	lock_output_detach(output);
	wlr_scene_node_destroy(&output->tree->node);
	free(output);
}

static void handle_reap_idle(void *data) {
	struct session_lock *lock = data;
	lock->reap_idle = NULL;
	struct lock_output *output, *tmp;
	wl_list_for_each_safe(output, tmp, &lock->dying, link) {
		wl_list_remove(&output->link);
		wlr_scene_node_destroy(&output->tree->node);
		free(output);
	}
}

static void handle_output_commit(struct wl_listener *listener, void *data) {
	struct lock_output *output = wl_container_of(listener, output, commit);
	const struct wlr_output_event_commit *event = data;
	if (output->awaiting_frame && (event->state->committed & WLR_OUTPUT_STATE_BUFFER)) {
		/* Composited after the lock tree was enabled: it shows the lock. */
		output->frame_committed = true;
		output->frame_seq = output->output->commit_seq;
	}
	if (event->state->committed & WLR_OUTPUT_STATE_ENABLED) {
		maybe_send_locked(output->lock);
	}
}

static void handle_output_present(struct wl_listener *listener, void *data) {
	struct lock_output *output = wl_container_of(listener, output, present);
	const struct wlr_output_event_present *event = data;
	if (output->awaiting_frame && output->frame_committed &&
			event->commit_seq >= output->frame_seq) {
		output->awaiting_frame = false;
		maybe_send_locked(output->lock);
	}
}

static void handle_output_destroy(struct wl_listener *listener, void *data) {
	struct lock_output *output = wl_container_of(listener, output, destroy);
	struct session_lock *lock = output->lock;
	/*
	 * The scene still has this output until its own destroy handler has run:
	 * a scene change now would make surfaces enter the dying output. The
	 * tree goes once the event loop is idle.
	 */
	lock_output_detach(output);
	wl_list_insert(&lock->dying, &output->link);
	if (lock->reap_idle == NULL) {
		lock->reap_idle = wl_event_loop_add_idle(lock->server->event_loop, handle_reap_idle,
			lock);
	}
	/* An output that went away no longer holds `locked` back. */
	maybe_send_locked(lock);
}

static struct lock_output *lock_output_get(struct session_lock *lock,
		struct wlr_output *wlr_output) {
	struct lock_output *output;
	wl_list_for_each(output, &lock->outputs, link) {
		if (output->output == wlr_output) {
			return output;
		}
	}
	output = calloc(1, sizeof(*output));
	if (output == NULL) {
		return NULL;
	}
	output->lock = lock;
	output->output = wlr_output;
	output->tree = wlr_scene_tree_create(lock->tree);
	/* New outputs get the colour at once, even while locked. */
	output->background = wlr_scene_rect_create(output->tree, 0, 0,
		lock->locked && lock->locker == NULL ? abandoned_color : lock_color);
	if (output->tree == NULL || output->background == NULL) {
		if (output->tree != NULL) {
			wlr_scene_node_destroy(&output->tree->node);
		}
		free(output);
		return NULL;
	}
	output->commit.notify = handle_output_commit;
	wl_signal_add(&wlr_output->events.commit, &output->commit);
	output->present.notify = handle_output_present;
	wl_signal_add(&wlr_output->events.present, &output->present);
	output->destroy.notify = handle_output_destroy;
	wl_signal_add(&wlr_output->events.destroy, &output->destroy);
	wl_list_insert(lock->outputs.prev, &output->link);
	lock_output_configure(output);
	return output;
}

static void handle_layout_add(struct wl_listener *listener, void *data) {
	struct session_lock *lock = wl_container_of(listener, lock, layout_add);
	struct wlr_output_layout_output *layout_output = data;
	lock_output_get(lock, layout_output->output);
}

static void handle_layout_change(struct wl_listener *listener, void *data) {
	struct session_lock *lock = wl_container_of(listener, lock, layout_change);
	struct lock_output *output;
	wl_list_for_each(output, &lock->outputs, link) {
		lock_output_configure(output);
	}
}

static void handle_locker_new_surface(struct wl_listener *listener, void *data) {
	struct session_lock *lock = wl_container_of(listener, lock, locker_new_surface);
	struct wlr_session_lock_surface_v1 *lock_surface = data;
	struct lock_output *output = lock_output_get(lock, lock_surface->output);
	if (output == NULL) {
		wl_resource_post_no_memory(lock_surface->resource);
		return;
	}
	if (output->surface != NULL) {
		/* A surface of a dead locker's that wlroots has not destroyed yet. */
		lock_surface_destroy(output->surface, false);
	}
	struct lock_surface *surface = calloc(1, sizeof(*surface));
	if (surface == NULL) {
		wl_resource_post_no_memory(lock_surface->resource);
		return;
	}
	surface->tree = wlr_scene_subsurface_tree_create(output->tree, lock_surface->surface);
	if (surface->tree == NULL) {
		free(surface);
		wl_resource_post_no_memory(lock_surface->resource);
		return;
	}
	surface->output = output;
	surface->lock_surface = lock_surface;
	output->surface = surface;
	surface->map.notify = handle_surface_map;
	wl_signal_add(&lock_surface->surface->events.map, &surface->map);
	surface->destroy.notify = handle_surface_destroy;
	wl_signal_add(&lock_surface->events.destroy, &surface->destroy);
	lock_output_size(output, &output->width, &output->height);
	wlr_session_lock_surface_v1_configure(lock_surface, (uint32_t)output->width,
		(uint32_t)output->height);
}

static void locker_detach(struct session_lock *lock) {
	wl_list_remove(&lock->locker_new_surface.link);
	wl_list_remove(&lock->locker_unlock.link);
	wl_list_remove(&lock->locker_destroy.link);
	wl_list_init(&lock->locker_new_surface.link);
	wl_list_init(&lock->locker_unlock.link);
	wl_list_init(&lock->locker_destroy.link);
	lock->locker = NULL;
	lock->locked_sent = false;
}

static void handle_locker_unlock(struct wl_listener *listener, void *data) {
	struct session_lock *lock = wl_container_of(listener, lock, locker_unlock);
	struct server *server = lock->server;
	wlr_log(WLR_INFO, "session lock: unlocked by pid %d",
		(int)resource_pid(lock->locker->resource));
	locker_detach(lock);
	lock->locked = false;
	wlr_scene_node_set_enabled(&lock->tree->node, false);
	capture_set_locked(server->capture, false);
	struct wlr_seat *wlr_seat = seat_wlr_seat(server->seat);
	wlr_seat_keyboard_notify_clear_focus(wlr_seat);
	if (!wl_list_empty(&server->views)) {
		struct view *view = wl_container_of(server->views.next, view, link);
		view_focus(view);
	}
	seat_pointer_rebase(server->seat);
	idle_update_inhibit(server->idle);
}

static void handle_locker_destroy(struct wl_listener *listener, void *data) {
	struct session_lock *lock = wl_container_of(listener, lock, locker_destroy);
	/* Unlock detached us before the destroy: a destroy while attached is a death. */
	wlr_log(WLR_ERROR, "session lock: the locker (pid %d) went away without unlocking; "
		"the session stays locked until a new locker unlocks it",
		(int)resource_pid(lock->locker->resource));
	locker_detach(lock);
	set_color(lock, abandoned_color);
}

static void engage(struct session_lock *lock) {
	struct server *server = lock->server;
	lock->locked = true;
	/* Raised now rather than created last, so trees added by other code stay below. */
	wlr_scene_node_raise_to_top(&lock->tree->node);
	wlr_scene_node_set_enabled(&lock->tree->node, true);
	struct lock_output *output;
	wl_list_for_each(output, &lock->outputs, link) {
		output->awaiting_frame = output->output->enabled;
		output->frame_committed = false;
	}
	/*
	 * A drag would go on delivering to windows behind the lock, and it holds
	 * the keyboard: focus changes (to the lock surface) would not happen.
	 */
	seat_cancel_drag(server->seat);
	struct wlr_seat *wlr_seat = seat_wlr_seat(server->seat);
	wlr_seat_keyboard_notify_clear_focus(wlr_seat);
	wlr_seat_pointer_notify_clear_focus(wlr_seat);
	/* From here on no window pixel leaves through capture. */
	capture_set_locked(server->capture, true);
	idle_update_inhibit(server->idle);
}

static void handle_new_lock(struct wl_listener *listener, void *data) {
	struct session_lock *lock = wl_container_of(listener, lock, new_lock);
	struct wlr_session_lock_v1 *locker = data;
	pid_t pid = resource_pid(locker->resource);
	if (lock->locker != NULL) {
		wlr_log(WLR_INFO, "session lock: refusing a lock from pid %d: pid %d holds the lock",
			(int)pid, (int)resource_pid(lock->locker->resource));
		wlr_session_lock_v1_destroy(locker);
		return;
	}
	lock->locker = locker;
	lock->locked_sent = false;
	lock->locker_new_surface.notify = handle_locker_new_surface;
	wl_signal_add(&locker->events.new_surface, &lock->locker_new_surface);
	lock->locker_unlock.notify = handle_locker_unlock;
	wl_signal_add(&locker->events.unlock, &lock->locker_unlock);
	lock->locker_destroy.notify = handle_locker_destroy;
	wl_signal_add(&locker->events.destroy, &lock->locker_destroy);
	if (lock->locked) {
		wlr_log(WLR_INFO, "session lock: pid %d takes over the abandoned lock", (int)pid);
		set_color(lock, lock_color);
	} else {
		wlr_log(WLR_INFO, "session lock: locking for pid %d", (int)pid);
		engage(lock);
	}
	/* Taking over: the outputs already show the lock (or still wait for it). */
	maybe_send_locked(lock);
}

bool session_lock_is_locked(const struct session_lock *lock) {
	return lock != NULL && lock->locked;
}

bool session_lock_accepts_input(const struct session_lock *lock, struct wlr_surface *surface) {
	if (!session_lock_is_locked(lock)) {
		return true;
	}
	if (surface == NULL || lock->locker == NULL) {
		return false;
	}
	struct wlr_session_lock_surface_v1 *lock_surface =
		wlr_session_lock_surface_v1_try_from_wlr_surface(
			wlr_surface_get_root_surface(surface));
	struct wlr_session_lock_surface_v1 *ours;
	wl_list_for_each(ours, &lock->locker->surfaces, link) {
		if (ours == lock_surface) {
			return true;
		}
	}
	return false;
}

struct session_lock *session_lock_create(struct server *server) {
	struct session_lock *lock = calloc(1, sizeof(*lock));
	if (lock == NULL) {
		return NULL;
	}
	lock->server = server;
	wl_list_init(&lock->outputs);
	wl_list_init(&lock->dying);
	lock->manager = wlr_session_lock_manager_v1_create(server->display);
	lock->tree = wlr_scene_tree_create(&server->scene->tree);
	if (lock->manager == NULL || lock->tree == NULL) {
		free(lock);
		return NULL;
	}
	wlr_scene_node_set_enabled(&lock->tree->node, false);
	wl_list_init(&lock->locker_new_surface.link);
	wl_list_init(&lock->locker_unlock.link);
	wl_list_init(&lock->locker_destroy.link);
	lock->new_lock.notify = handle_new_lock;
	wl_signal_add(&lock->manager->events.new_lock, &lock->new_lock);
	lock->layout_add.notify = handle_layout_add;
	wl_signal_add(&server->output_layout->events.add, &lock->layout_add);
	lock->layout_change.notify = handle_layout_change;
	wl_signal_add(&server->output_layout->events.change, &lock->layout_change);
	return lock;
}

void session_lock_destroy(struct session_lock *lock) {
	if (lock == NULL) {
		return;
	}
	if (lock->locker != NULL) {
		locker_detach(lock);
	}
	struct lock_output *output, *tmp;
	wl_list_for_each_safe(output, tmp, &lock->outputs, link) {
		lock_output_destroy(output);
	}
	if (lock->reap_idle != NULL) {
		wl_event_source_remove(lock->reap_idle);
		handle_reap_idle(lock);
	}
	wl_list_remove(&lock->new_lock.link);
	wl_list_remove(&lock->layout_add.link);
	wl_list_remove(&lock->layout_change.link);
	wlr_scene_node_destroy(&lock->tree->node);
	free(lock);
}
