#ifndef PINHOLE_TOUCH_H
#define PINHOLE_TOUCH_H

#include <stdbool.h>

struct seat;
struct server;
struct wlr_input_device;

/*
 * Touchscreens: each touch point goes to the surface it went down on (as
 * wl_touch requires), in that surface's coordinates, until it goes up.
 */
struct touch *touch_create(struct server *server, struct seat *seat);
void touch_destroy(struct touch *touch);
void touch_add_device(struct touch *touch, struct wlr_input_device *device);
bool touch_has_devices(struct touch *touch);

#endif
