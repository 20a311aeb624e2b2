#ifndef PH_TEST_MEDIA_H
#define PH_TEST_MEDIA_H

#include <stdbool.h>
#include "harness.h"

/*
 * What screen sharing through xdg-desktop-portal needs, private to one test:
 * XDG directories in the scratch directory, a session bus that activates
 * nothing behind the test's back, PipeWire and WirePlumber. The portals
 * themselves are the test's to start (tests restart them).
 */
struct ph_media {
	struct ph_process bus, pipewire, wireplumber;
	char wait_script[600]; /* tests/scripts/portal-screencast.py, which waits for bus names */
};

/*
 * Writes xdg-desktop-portal's portals.conf (wlr preferred) and XDPW_CONFIG as
 * xdg-desktop-portal-wlr's config, points the XDG variables and HOME at the
 * scratch directory and starts the daemons, each reported as a check. False
 * when the session bus did not come up (nothing else can work then).
 */
bool ph_media_start(struct ph_compositor *c, struct ph_media *media, const char *xdpw_config);
/* Stops the daemons. */
void ph_media_stop(struct ph_media *media);
/* Waits up to 10 s until NAME is owned on the session bus; says why not. */
bool ph_media_wait_name(struct ph_compositor *c, struct ph_media *media, const char *name);

/*
 * A private session bus listening in c's runtime directory, activating
 * services from SERVICE_DIRS (NULL-terminated; NULL: nothing is activated);
 * sets DBUS_SESSION_BUS_ADDRESS. Reported as a check.
 */
bool ph_session_bus_start(struct ph_compositor *c, struct ph_process *bus,
	const char *const *service_dirs);
/* Stops the bus and every service it activated. */
void ph_session_bus_stop(struct ph_process *bus);

/* Starts a PipeWire daemon in c's runtime directory and waits for its socket (a check). */
void ph_pipewire_start(struct ph_compositor *c, struct ph_process *pipewire);

/* Runs COMMAND (a shell command line) with stdout and stderr in scratch/LOG_NAME. */
void ph_spawn_logged(struct ph_compositor *c, struct ph_process *p, const char *log_name,
	const char *command);
/* Writes TEXT to PATH. */
bool ph_write_file(const char *path, const char *text);

#endif
