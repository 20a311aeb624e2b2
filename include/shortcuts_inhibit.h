#ifndef PINHOLE_SHORTCUTS_INHIBIT_H
#define PINHOLE_SHORTCUTS_INHIBIT_H

#include <stdbool.h>

struct wl_display;
struct wlr_seat;

/*
 * keyboard-shortcuts-inhibit-v1: a surface with the keyboard focus that asks
 * for it gets the keys of pinhole's shortcuts (remote desktops, VMs, games).
 * VT switching always stays with pinhole, and Super+Escape takes the
 * shortcuts back until the surface gets the focus again.
 */
struct shortcuts_inhibit;

struct shortcuts_inhibit *shortcuts_inhibit_create(struct wl_display *display,
	struct wlr_seat *seat);
void shortcuts_inhibit_destroy(struct shortcuts_inhibit *inhibit);
/* Whether the keyboard-focused surface holds an active inhibitor. */
bool shortcuts_inhibit_active(struct shortcuts_inhibit *inhibit);
/* The escape: deactivates the focused surface's inhibitors. */
void shortcuts_inhibit_suspend(struct shortcuts_inhibit *inhibit);

#endif
