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
/* Applies the configuration again to every keyboard and pointer (after a reload). */
void seat_apply_config(struct seat *seat);
/* Cancels the drag in progress, if any (dnd_cancel). */
void seat_cancel_drag(struct seat *seat);
/*
 * The output cursors lost their images (their renderer was replaced): the
 * pointer gets its image again from the surface under it, or the default.
 */
void seat_reset_cursor_image(struct seat *seat);
void seat_view_unmapped(struct seat *seat, struct view *view);
/*
 * The scene changed under a still pointer (a window moved, mapped, was raised
 * or committed a new size, input region or subsurface position; a grab
 * ended): gives pointer focus to what is under it now, with a motion event if
 * the surface-local position changed, and nothing when nothing did. Nothing
 * until a device has moved the cursor, during a move or resize, or while a
 * button pressed on a surface holds the pointer there.
 */
void seat_pointer_rebase(struct seat *seat);
/* A tablet tool acting as a pointer moved the cursor: pointer motion to what is under it. */
void seat_cursor_moved_by_tool(struct seat *seat);
void seat_begin_interactive(struct seat *seat, struct view *view, enum seat_grab grab,
	uint32_t edges);

#endif
