#ifndef PINHOLE_GESTURES_H
#define PINHOLE_GESTURES_H

struct wl_display;
struct wlr_cursor;
struct wlr_seat;

/*
 * pointer-gestures-v1: the swipe, pinch and hold gestures of touchpads
 * (libinput devices attached to the cursor) go to the client with the
 * pointer focus.
 */
struct gestures;

struct gestures *gestures_create(struct wl_display *display, struct wlr_seat *seat,
	struct wlr_cursor *cursor);
void gestures_destroy(struct gestures *gestures);

#endif
