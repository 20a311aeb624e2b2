#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>
#include <wlr/util/log.h>
#include "spawn.h"

struct child {
	pid_t pid; /* also its process group id */
	bool running;
	bool end_with_session;
	spawn_exit_func on_exit;
	void *data;
	struct wl_list link; /* spawner.children */
};

struct spawner {
	struct wl_event_source *sigchld;
	struct wl_list children;
};

static void child_destroy(struct child *child) {
	wl_list_remove(&child->link);
	free(child);
}

static int handle_sigchld(int signal, void *data) {
	struct spawner *spawner = data;
	struct child *child, *tmp;
	wl_list_for_each_safe(child, tmp, &spawner->children, link) {
		int status;
		if (!child->running || waitpid(child->pid, &status, WNOHANG) != child->pid) {
			continue;
		}
		child->running = false;
		wlr_log(WLR_DEBUG, "spawn: process %d exited (status %d)", (int)child->pid, status);
		pid_t pid = child->pid;
		spawn_exit_func on_exit = child->on_exit;
		void *on_exit_data = child->data;
		/*
		 * The group may outlive its leader (`sh -c 'daemon &'`): keep what
		 * must end with the session until then.
		 */
		if (!child->end_with_session) {
			child_destroy(child);
		}
		if (on_exit != NULL) {
			on_exit(on_exit_data, pid, status);
		}
	}
	return 0;
}

struct spawner *spawner_create(struct wl_event_loop *event_loop) {
	struct spawner *spawner = calloc(1, sizeof(*spawner));
	if (spawner == NULL) {
		return NULL;
	}
	wl_list_init(&spawner->children);
	spawner->sigchld = wl_event_loop_add_signal(event_loop, SIGCHLD, handle_sigchld, spawner);
	if (spawner->sigchld == NULL) {
		free(spawner);
		return NULL;
	}
	return spawner;
}

pid_t spawner_run(struct spawner *spawner, const char *cmd, bool end_with_session,
		spawn_exit_func on_exit, void *data) {
	struct child *child = calloc(1, sizeof(*child));
	if (child == NULL) {
		wlr_log(WLR_ERROR, "spawn: out of memory starting '%s'", cmd);
		return -1;
	}
	pid_t pid = fork();
	if (pid == 0) {
		setpgid(0, 0);
		sigset_t set;
		sigemptyset(&set);
		sigprocmask(SIG_SETMASK, &set, NULL);
		execl("/bin/sh", "/bin/sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	if (pid < 0) {
		wlr_log_errno(WLR_ERROR, "spawn: could not start '%s'", cmd);
		free(child);
		return -1;
	}
	/* Also here: a SIGTERM to the group must not miss it before the child ran setpgid. */
	setpgid(pid, pid);
	*child = (struct child){
		.pid = pid,
		.running = true,
		.end_with_session = end_with_session,
		.on_exit = on_exit,
		.data = data,
	};
	wl_list_insert(&spawner->children, &child->link);
	wlr_log(WLR_DEBUG, "spawn: started '%s' as process %d", cmd, (int)pid);
	return pid;
}

void spawner_destroy(struct spawner *spawner) {
	if (spawner == NULL) {
		return;
	}
	struct child *child, *tmp;
	wl_list_for_each_safe(child, tmp, &spawner->children, link) {
		if (child->end_with_session) {
			if (kill(-child->pid, SIGTERM) == 0) {
				wlr_log(WLR_INFO, "spawn: sent SIGTERM to process group %d", (int)child->pid);
			} else if (errno != ESRCH) {
				wlr_log_errno(WLR_ERROR, "spawn: could not end process group %d",
					(int)child->pid);
			}
		}
		/* No waiting: a child that ignores SIGTERM must not hold up the exit; init reaps it. */
		child_destroy(child);
	}
	wl_event_source_remove(spawner->sigchld);
	free(spawner);
}
