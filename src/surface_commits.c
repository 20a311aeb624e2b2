#include <stdlib.h>
#include <wlr/types/wlr_compositor.h>
#include <wlr/types/wlr_subcompositor.h>
#include <wlr/util/log.h>
#include "seat.h"
#include "surface_commits.h"

struct surface_commits {
	struct seat *seat;
	struct wl_event_loop *event_loop;
	struct wl_event_source *rebase_idle; /* after a surface was destroyed */
	struct wl_list surfaces; /* struct watched_surface.link */
	struct wl_listener new_surface;
};

struct watched_surface {
	struct surface_commits *commits;
	struct wlr_surface *surface;
	struct wl_list link; /* surface_commits.surfaces */
	struct wl_listener client_commit;
	struct wl_listener commit;
	struct wl_listener destroy;
};

/*
 * A synchronized subsurface's state is applied inside its parent's commit,
 * before the parent's own listeners (the scene's among them) have placed it:
 * the commit of the root surface that follows is the one to look at.
 */
static bool applied_by_parent(struct wlr_surface *surface) {
	struct wlr_subsurface *subsurface;
	while ((subsurface = wlr_subsurface_try_from_wlr_surface(surface)) != NULL) {
		if (subsurface->synchronized) {
			return true;
		}
		surface = subsurface->parent;
	}
	return false;
}

static void handle_commit(struct wl_listener *listener, void *data) {
	struct watched_surface *watched = wl_container_of(listener, watched, commit);
	if (!applied_by_parent(watched->surface)) {
		seat_pointer_rebase(watched->commits->seat);
	}
}

/*
 * wlroots' scene applies a commit in its own commit listeners (buffer size,
 * subsurface positions and stacking). They are added when a scene node is
 * made for the surface, which is after the surface was created (a role, a
 * subsurface, a capture tree), so ours goes to the end of the list before
 * every commit and sees the scene as the commit left it.
 */
static void handle_client_commit(struct wl_listener *listener, void *data) {
	struct watched_surface *watched = wl_container_of(listener, watched, client_commit);
	wl_list_remove(&watched->commit.link);
	wl_signal_add(&watched->surface->events.commit, &watched->commit);
}

static void watched_surface_destroy(struct watched_surface *watched) {
	wl_list_remove(&watched->client_commit.link);
	wl_list_remove(&watched->commit.link);
	wl_list_remove(&watched->destroy.link);
	wl_list_remove(&watched->link);
	free(watched);
}

static void rebase_idle(void *data) {
	struct surface_commits *commits = data;
	commits->rebase_idle = NULL;
	seat_pointer_rebase(commits->seat);
}

static void handle_destroy(struct wl_listener *listener, void *data) {
	struct watched_surface *watched = wl_container_of(listener, watched, destroy);
	struct surface_commits *commits = watched->commits;
	watched_surface_destroy(watched);
	/*
	 * The surface under the pointer may be going: what is there then gets
	 * the pointer. Not now: the scene and the seat let go of the surface in
	 * destroy listeners that run after this one.
	 */
	if (commits->rebase_idle == NULL) {
		commits->rebase_idle = wl_event_loop_add_idle(commits->event_loop, rebase_idle,
			commits);
	}
}

static void handle_new_surface(struct wl_listener *listener, void *data) {
	struct surface_commits *commits = wl_container_of(listener, commits, new_surface);
	struct wlr_surface *surface = data;
	struct watched_surface *watched = calloc(1, sizeof(*watched));
	if (watched == NULL) {
		wlr_log(WLR_ERROR, "surface_commits: out of memory for surface %p", (void *)surface);
		return;
	}
	watched->commits = commits;
	watched->surface = surface;
	watched->client_commit.notify = handle_client_commit;
	wl_signal_add(&surface->events.client_commit, &watched->client_commit);
	watched->commit.notify = handle_commit;
	wl_signal_add(&surface->events.commit, &watched->commit);
	watched->destroy.notify = handle_destroy;
	wl_signal_add(&surface->events.destroy, &watched->destroy);
	wl_list_insert(&commits->surfaces, &watched->link);
}

struct surface_commits *surface_commits_create(struct wl_event_loop *event_loop,
		struct wlr_compositor *compositor, struct seat *seat) {
	struct surface_commits *commits = calloc(1, sizeof(*commits));
	if (commits == NULL) {
		return NULL;
	}
	commits->seat = seat;
	commits->event_loop = event_loop;
	wl_list_init(&commits->surfaces);
	commits->new_surface.notify = handle_new_surface;
	wl_signal_add(&compositor->events.new_surface, &commits->new_surface);
	return commits;
}

void surface_commits_destroy(struct surface_commits *commits) {
	if (commits == NULL) {
		return;
	}
	struct watched_surface *watched, *tmp;
	wl_list_for_each_safe(watched, tmp, &commits->surfaces, link) {
		watched_surface_destroy(watched);
	}
	if (commits->rebase_idle != NULL) {
		wl_event_source_remove(commits->rebase_idle);
	}
	wl_list_remove(&commits->new_surface.link);
	free(commits);
}
