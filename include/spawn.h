#ifndef PINHOLE_SPAWN_H
#define PINHOLE_SPAWN_H

#include <stdbool.h>
#include <sys/types.h>
#include <wayland-server-core.h>

/*
 * The programs pinhole starts (-s, autostart, key bindings). Each runs
 * through /bin/sh -c as the leader of its own process group, so that what it
 * starts in turn (`sh -c 'a & b'`) can be ended with it. pinhole reaps only
 * its own children: Xwayland's process is wlroots' to wait for.
 */
struct spawner;

/* Called once when a child exits; status as waitpid() gives it. */
typedef void (*spawn_exit_func)(void *data, pid_t pid, int status);

struct spawner *spawner_create(struct wl_event_loop *event_loop);
/*
 * Starts CMD. With end_with_session the child's process group gets SIGTERM
 * when the spawner is destroyed (pinhole exits). on_exit may be NULL.
 * Returns the pid, or -1.
 */
pid_t spawner_run(struct spawner *spawner, const char *cmd, bool end_with_session,
	spawn_exit_func on_exit, void *data);
/* Sends SIGTERM to the process groups started with end_with_session and frees. */
void spawner_destroy(struct spawner *spawner);

#endif
