#ifndef PINHOLE_SEAT_H
#define PINHOLE_SEAT_H

#include <stdint.h>
#include <wayland-server-core.h>

struct server;
struct view;
struct wlr_surface;
struct wlr_seat;
struct wlr_cursor;

enum seat_grab {
	SEAT_GRAB_NONE,
	SEAT_GRAB_MOVE,
	SEAT_GRAB_RESIZE,
};

struct seat *seat_create(struct server *server);
void seat_destroy(struct seat *seat);
struct wlr_seat *seat_wlr_seat(struct seat *seat);
struct wlr_cursor *seat_cursor(struct seat *seat);
/* Announces the device kinds present (pointer, keyboard, touch) to clients. */
void seat_update_capabilities(struct seat *seat);
void seat_focus_surface(struct seat *seat, struct wlr_surface *surface);
/* Pointer focus follows what is under the cursor now (the scene changed under it). */
void seat_rebase_pointer(struct seat *seat);
/* Applies the configuration again to every keyboard and pointer (after a reload). */
void seat_apply_config(struct seat *seat);
/* Gives the pointer focus to the surface under the cursor again (after a grab). */
void seat_pointer_refocus(struct seat *seat);
/*
 * The output cursors lost their images (their renderer was replaced): the
 * pointer gets its image again from the surface under it, or the default.
 */
void seat_reset_cursor_image(struct seat *seat);
void seat_view_unmapped(struct seat *seat, struct view *view);
/*
 * A window moved under a still pointer (view_move): gives pointer focus to
 * what is under it now, with a motion event if the surface-local position
 * changed. Nothing until a device has moved the cursor.
 */
void seat_pointer_rebase(struct seat *seat);
void seat_begin_interactive(struct seat *seat, struct view *view, enum seat_grab grab,
	uint32_t edges);

#endif
