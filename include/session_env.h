#ifndef PINHOLE_SESSION_ENV_H
#define PINHOLE_SESSION_ENV_H

#include <wayland-server-core.h>

struct spawner;

/*
 * pinhole as the user's session (--session, what pinhole.desktop starts):
 * D-Bus-activated services (xdg-desktop-portal and its backends) and systemd
 * user units must learn which display to use and which desktop this is, or
 * screen sharing and portal pickers cannot work.
 */

/* Sets XDG_CURRENT_DESKTOP, XDG_SESSION_DESKTOP and XDG_SESSION_TYPE for every child. */
void session_env_prepare(void);
/*
 * Exports WAYLAND_DISPLAY, DISPLAY (when set) and the variables above to the
 * D-Bus activation and systemd user environments, then calls done — also
 * when the export failed or did not finish in time, so a session without
 * D-Bus still starts its programs.
 */
void session_env_export(struct wl_event_loop *event_loop, struct spawner *spawner,
	void (*done)(void *data), void *data);
/* Clears the display variables there again: services started later must not find a dead socket. */
void session_env_clear(void);
/* Frees what session_env_export() left behind if pinhole exits before it is done. */
void session_env_finish(void);

#endif
