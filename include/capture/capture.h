#ifndef PINHOLE_CAPTURE_CAPTURE_H
#define PINHOLE_CAPTURE_CAPTURE_H

/*
 * pinhole's screen capture module: ext-image-capture-source-v1 and
 * ext-image-copy-capture-v1. This header is the whole interface between the
 * module and a wlroots compositor; nothing else of the compositor is used.
 *
 * The compositor owns rendering. The module reads the buffers outputs commit
 * (so capture never costs an extra composite), disables direct scan-out only
 * while a frame waits after a scan-out that did not cover the whole screen,
 * and renders toplevels itself, offscreen, from their scene trees.
 */

#include <stdbool.h>
#include <time.h>
#include <wayland-server-core.h>

struct wlr_allocator;
struct wlr_cursor;
struct wlr_ext_foreign_toplevel_handle_v1;
struct wlr_output;
struct wlr_renderer;
struct wlr_scene_output;
struct wlr_scene_tree;
struct wlr_seat;

struct pinhole_capture;
struct capture_output;
struct capture_toplevel;

/* What a client asks for, passed to capture_config.allow_capture. */
enum capture_request {
	CAPTURE_REQUEST_OUTPUT_SESSION, /* create_session on an output source */
	CAPTURE_REQUEST_TOPLEVEL_SESSION, /* create_session on a toplevel source */
	CAPTURE_REQUEST_CURSOR_SESSION, /* create_pointer_cursor_session on any source */
	CAPTURE_REQUEST_TOPLEVEL_SOURCE, /* a source for an ext-foreign-toplevel-list handle */
};

struct capture_config {
	struct wl_display *display;
	struct wlr_renderer *renderer;
	struct wlr_allocator *allocator;
	/* The seat and cursor that pointer cursor sessions follow (may be NULL). */
	struct wlr_seat *seat;
	struct wlr_cursor *cursor;

	/*
	 * A capture is waiting for new content on this output. The compositor
	 * should render and commit as soon as it has anything new (on outputs
	 * without a real refresh cycle: right away instead of at the next tick).
	 * With force, a frame is wanted even if nothing changed, because the
	 * module has no committed buffer of this output yet.
	 */
	void (*request_output_frame)(void *data, struct wlr_output *output, bool force);

	/*
	 * A client asked for a frame of this output. A compositor whose clock
	 * is stepped by captures (pinhole --clock step) moves the output's clock
	 * on by one step, lets its clients draw, commits the output, and returns
	 * true: the frame then completes with that commit, whether anything
	 * changed or not, never from content that was there before. Several
	 * captures while a step is under way share it. NULL or false: frames
	 * complete as soon as there is new content.
	 */
	bool (*step_output)(void *data, struct wlr_output *output);
	/*
	 * The same for a window: a stepped compositor steps the output the
	 * window is on, returns true and calls capture_toplevel_stepped() when
	 * that step's clients have drawn. NULL or false: frames complete when
	 * the window changes.
	 */
	bool (*step_toplevel)(void *data, struct wlr_ext_foreign_toplevel_handle_v1 *handle);

	/*
	 * Lets the compositor approve each request that would hand a client
	 * pixels (or, for toplevel sources, a handle on a window). A denied
	 * request gets what the protocol gives when the thing is gone: a
	 * toplevel source that is inert, a session that is stopped at once, a
	 * cursor session whose capture session is stopped. NULL allows
	 * everything. The module does not log denials: the compositor knows why.
	 */
	bool (*allow_capture)(void *data, struct wl_client *client, enum capture_request request);

	/*
	 * A toplevel frame of this client is held back because the session is
	 * locked (see capture_set_locked), told once per frame so that the
	 * compositor's policy can say who waited. May be NULL.
	 */
	void (*frame_held)(void *data, struct wl_client *client);

	void *data;
};

struct pinhole_capture *capture_create(const struct capture_config *config);
/* Every function below accepts a NULL capture or object and then does nothing. */
void capture_destroy(struct pinhole_capture *capture);

/*
 * The session was locked or unlocked (ext-session-lock). While it is locked
 * no window pixel leaves through the module: output frames are served only
 * from what the outputs commit after this call (the lock screen), and
 * toplevel frames, whether their session started before or during the lock,
 * wait; once unlocked they are served as usual (the damage of the locked
 * time included). Sessions are not stopped.
 */
void capture_set_locked(struct pinhole_capture *capture, bool locked);

/*
 * The compositor replaced its renderer and allocator (after a GPU reset).
 * Call it with the new pair while the old one still exists, then destroy the
 * old. The module lets go of everything of the old pair: offscreen and
 * staging buffers, the outputs' last committed buffers (output frames wait
 * for the next commit), GPU work in flight (those frames are copied again
 * from new content). DMA-BUF capture follows the new renderer: sessions get
 * new constraints if its device or formats differ.
 */
void capture_set_renderer(struct pinhole_capture *capture, struct wlr_renderer *renderer,
	struct wlr_allocator *allocator);

/*
 * Output sources. The compositor creates one per output and destroys it with
 * the output. scene_output (may be NULL) is what the output shows: the module
 * renders from it only the few pixels under a software cursor, so that
 * sessions without paint_cursors get no cursor.
 */
struct capture_output *capture_output_create(struct pinhole_capture *capture,
	struct wlr_output *output, struct wlr_scene_output *scene_output);
void capture_output_destroy(struct capture_output *output);
/*
 * The output is destroyed only for a while: wlroots 0.20 destroys the DRM
 * outputs while the session is inactive (another VT is shown) and adds them
 * again, as new outputs, when it is active again. Call this instead of
 * capture_output_destroy() from the output's destroy handler: the source
 * outlives its output under the output's name, with its sessions (not
 * stopped) and their waiting frames, which wait. The next
 * capture_output_create() for an output of the same name takes it over:
 * sessions go on there (with new constraints if its size changed) and every
 * pixel counts as damaged. capture_outputs_drop_detached() ends those whose
 * output did not come back, as capture_output_destroy() would.
 */
void capture_output_detach(struct capture_output *output);
void capture_outputs_drop_detached(struct pinhole_capture *capture);
/* True while a frame waits for this output's next commit. */
bool capture_output_wants_frame(struct capture_output *output);

/*
 * Toplevel sources, one per ext-foreign-toplevel-list handle. tree holds the
 * window's surfaces, subsurfaces and popups; it is rendered offscreen.
 */
struct capture_toplevel *capture_toplevel_create(struct pinhole_capture *capture,
	struct wlr_ext_foreign_toplevel_handle_v1 *handle, struct wlr_scene_tree *tree);
void capture_toplevel_destroy(struct capture_toplevel *toplevel);
/* The window committed new content (any of its surfaces). */
void capture_toplevel_content_changed(struct capture_toplevel *toplevel);
/*
 * A step of the output this window is on is done, at time when: frames that
 * stepped complete with the window as it is now, presented at when.
 */
void capture_toplevel_stepped(struct capture_toplevel *toplevel, const struct timespec *when);

#endif
