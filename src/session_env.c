#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <wlr/util/log.h>
#include "session_env.h"
#include "spawn.h"

/* dbus-update-activation-environment waits for the bus; a session must not wait forever. */
#define EXPORT_TIMEOUT_MS 5000

static const char *const session_variables[] = {
	"WAYLAND_DISPLAY", "DISPLAY", "XDG_CURRENT_DESKTOP", "XDG_SESSION_DESKTOP",
	"XDG_SESSION_TYPE",
};

struct pending_export {
	struct wl_event_source *timer;
	pid_t pid;
	void (*done)(void *data);
	void *data;
};

static struct pending_export *pending;

void session_env_prepare(void) {
	setenv("XDG_CURRENT_DESKTOP", "pinhole", true);
	setenv("XDG_SESSION_DESKTOP", "pinhole", true);
	setenv("XDG_SESSION_TYPE", "wayland", true);
}

/* "dbus-update-activation-environment --systemd A B ..." with what is set (or A= B= to clear). */
static void build_command(char *cmd, size_t size, bool clear) {
	snprintf(cmd, size, "exec dbus-update-activation-environment --systemd");
	for (size_t i = 0; i < sizeof(session_variables) / sizeof(session_variables[0]); i++) {
		const char *name = session_variables[i];
		bool display = strcmp(name, "WAYLAND_DISPLAY") == 0 || strcmp(name, "DISPLAY") == 0;
		if (clear && display) {
			snprintf(cmd + strlen(cmd), size - strlen(cmd), " %s=", name);
		} else if (!clear && getenv(name) != NULL) {
			snprintf(cmd + strlen(cmd), size - strlen(cmd), " %s", name);
		}
	}
}

static void export_finished(bool timed_out) {
	struct pending_export *export = pending;
	pending = NULL;
	wl_event_source_remove(export->timer);
	if (timed_out) {
		wlr_log(WLR_ERROR, "session: exporting the environment to D-Bus took over %d ms; "
			"starting the session's programs anyway", EXPORT_TIMEOUT_MS);
	}
	void (*done)(void *data) = export->done;
	void *data = export->data;
	free(export);
	done(data);
}

static void handle_export_exit(void *data, pid_t pid, int status) {
	if (pending == NULL || pending->pid != pid) {
		return;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		wlr_log(WLR_INFO, "session: WAYLAND_DISPLAY=%s exported to D-Bus and systemd",
			getenv("WAYLAND_DISPLAY"));
	} else {
		/* Without systemd the D-Bus part still took; the tool says what failed on stderr. */
		wlr_log(WLR_ERROR, "session: dbus-update-activation-environment ended with status %d",
			WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
	}
	export_finished(false);
}

static int handle_export_timeout(void *data) {
	if (pending != NULL) {
		export_finished(true);
	}
	return 0;
}

void session_env_export(struct wl_event_loop *event_loop, struct spawner *spawner,
		void (*done)(void *data), void *data) {
	struct pending_export *export = calloc(1, sizeof(*export));
	if (export == NULL) {
		done(data);
		return;
	}
	char cmd[512];
	build_command(cmd, sizeof(cmd), false);
	export->done = done;
	export->data = data;
	export->timer = wl_event_loop_add_timer(event_loop, handle_export_timeout, NULL);
	export->pid = spawner_run(spawner, cmd, false, handle_export_exit, NULL);
	if (export->timer == NULL || export->pid < 0) {
		if (export->timer != NULL) {
			wl_event_source_remove(export->timer);
		}
		free(export);
		done(data);
		return;
	}
	pending = export;
	wl_event_source_timer_update(export->timer, EXPORT_TIMEOUT_MS);
}

void session_env_finish(void) {
	if (pending != NULL) {
		wl_event_source_remove(pending->timer);
		free(pending);
		pending = NULL;
	}
}

void session_env_clear(void) {
	char cmd[512];
	build_command(cmd, sizeof(cmd), true);
	pid_t pid = fork();
	if (pid == 0) {
		execl("/bin/sh", "/bin/sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	if (pid < 0) {
		return;
	}
	/* Bounded: pinhole is exiting, and a hung bus must not keep it alive. */
	for (int waited = 0; waited < EXPORT_TIMEOUT_MS; waited += 10) {
		if (waitpid(pid, NULL, WNOHANG) == pid) {
			wlr_log(WLR_INFO, "session: display variables cleared in D-Bus and systemd");
			return;
		}
		nanosleep(&(struct timespec){.tv_nsec = 10 * 1000 * 1000}, NULL);
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	wlr_log(WLR_ERROR, "session: clearing the D-Bus environment did not finish");
}
