#ifndef PINHOLE_POINTER_CONSTRAINTS_H
#define PINHOLE_POINTER_CONSTRAINTS_H

#include <stdbool.h>
#include <stdint.h>

struct wl_display;
struct wlr_cursor;
struct wlr_seat;

/*
 * pointer-constraints-v1 and relative-pointer-v1, for games and remote
 * desktops. A constraint becomes active while its surface has the pointer
 * focus, its window or layer surface has the keyboard focus, and the pointer
 * is inside its region (it ends when either focus leaves): a lock keeps the cursor where
 * it is (and warps it to the client's cursor hint when the lock ends), a
 * confinement keeps it inside the region. Clients with a relative pointer
 * get every motion, constrained or not.
 */
struct pointer_constraints;

struct pointer_constraints *pointer_constraints_create(struct wl_display *display,
	struct wlr_seat *seat, struct wlr_cursor *cursor);
void pointer_constraints_destroy(struct pointer_constraints *constraints);

/*
 * A pointer moved by dx, dy (unaccelerated udx, udy): sends the relative
 * motion and narrows dx, dy to what the active constraint allows. Returns
 * false when the pointer is locked: the cursor stays and no motion is sent.
 */
bool pointer_constraints_motion(struct pointer_constraints *constraints, uint32_t time_msec,
	double *dx, double *dy, double udx, double udy);

#endif
