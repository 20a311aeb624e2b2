#ifndef PINHOLE_TABLET_H
#define PINHOLE_TABLET_H

struct seat;
struct server;
struct wlr_input_device;

/*
 * Drawing tablets through tablet-v2: a tool (pen, eraser, ...) goes to the
 * surface under it, in that surface's coordinates, with pressure, tilt and
 * buttons; pad buttons go to the surface with keyboard focus. The cursor
 * follows the tool. Over a surface whose client has not bound tablet-v2 the
 * tool is a pointer (motion, tip as the left button), so every client can be
 * used with a pen.
 */
struct tablet *tablet_create(struct server *server, struct seat *seat);
void tablet_destroy(struct tablet *tablet);
/* A WLR_INPUT_DEVICE_TABLET or WLR_INPUT_DEVICE_TABLET_PAD of the backend. */
void tablet_add_device(struct tablet *tablet, struct wlr_input_device *device);

#endif
