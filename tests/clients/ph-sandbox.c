/*
 * ph-sandbox: runs a command as a sandboxed Wayland client, the way Flatpak
 * does: it asks the compositor (wp-security-context-v1) to listen on a socket
 * of its own, with a sandbox engine, app id and instance id attached, and
 * starts the command with WAYLAND_DISPLAY set to that socket. Exits with the
 * command's status.
 *
 *   ph-sandbox [--app-id ID] [--engine NAME] [--instance ID] -- CMD [ARG...]
 *   ph-sandbox --list-globals    prints "global INTERFACE" for each global this
 *                                client sees, then "done" (run it inside to
 *                                see what a sandboxed client sees)
 *
 * The command's stdin and stdout are ph-sandbox's, so a test can drive a
 * sandboxed ph-capture-probe directly. ph-sandbox writes only to stderr.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include <wayland-client.h>
#include "security-context-v1-client-protocol.h"

static struct wp_security_context_manager_v1 *manager;
static bool list_globals;

static void registry_handle_global(void *data, struct wl_registry *registry, uint32_t name,
		const char *interface, uint32_t version) {
	if (list_globals) {
		printf("global %s\n", interface);
	} else if (strcmp(interface, wp_security_context_manager_v1_interface.name) == 0) {
		manager = wl_registry_bind(registry, name, &wp_security_context_manager_v1_interface,
			1);
	}
}

static void registry_handle_global_remove(void *data, struct wl_registry *registry,
		uint32_t name) {
}

static const struct wl_registry_listener registry_listener = {
	.global = registry_handle_global,
	.global_remove = registry_handle_global_remove,
};

static int usage(void) {
	fprintf(stderr, "usage: ph-sandbox [--app-id ID] [--engine NAME] [--instance ID] -- CMD "
		"[ARG...]\n       ph-sandbox --list-globals\n");
	return 2;
}

/* A listening socket in XDG_RUNTIME_DIR for the sandbox's clients. */
static int listen_socket(char *path, size_t path_size) {
	const char *runtime_dir = getenv("XDG_RUNTIME_DIR");
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	if (runtime_dir == NULL || (size_t)snprintf(path, path_size, "%s/ph-sandbox-%d.sock",
			runtime_dir, (int)getpid()) >= sizeof(addr.sun_path)) {
		fprintf(stderr, "ph-sandbox: XDG_RUNTIME_DIR unset or too long\n");
		return -1;
	}
	strcpy(addr.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	unlink(path);
	if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0 || listen(fd, 16) != 0) {
		fprintf(stderr, "ph-sandbox: socket %s: %s\n", path, strerror(errno));
		if (fd >= 0) {
			close(fd);
		}
		return -1;
	}
	return fd;
}

int main(int argc, char *argv[]) {
	const char *app_id = NULL, *engine = NULL, *instance = NULL;
	int i = 1;
	for (; i < argc; i++) {
		if (strcmp(argv[i], "--list-globals") == 0) {
			list_globals = true;
		} else if (strcmp(argv[i], "--") == 0) {
			i++;
			break;
		} else if (i + 1 < argc && strcmp(argv[i], "--app-id") == 0) {
			app_id = argv[++i];
		} else if (i + 1 < argc && strcmp(argv[i], "--engine") == 0) {
			engine = argv[++i];
		} else if (i + 1 < argc && strcmp(argv[i], "--instance") == 0) {
			instance = argv[++i];
		} else {
			return usage();
		}
	}
	if (list_globals == (i < argc)) {
		return usage();
	}

	struct wl_display *display = wl_display_connect(NULL);
	if (display == NULL) {
		fprintf(stderr, "ph-sandbox: cannot connect to the compositor\n");
		return 1;
	}
	struct wl_registry *registry = wl_display_get_registry(display);
	wl_registry_add_listener(registry, &registry_listener, NULL);
	if (wl_display_roundtrip(display) < 0) {
		fprintf(stderr, "ph-sandbox: roundtrip failed\n");
		return 1;
	}
	if (list_globals) {
		printf("done\n");
		wl_registry_destroy(registry);
		wl_display_disconnect(display);
		return 0;
	}
	if (manager == NULL) {
		fprintf(stderr, "ph-sandbox: the compositor lacks wp_security_context_manager_v1\n");
		return 1;
	}

	char path[256];
	int listen_fd = listen_socket(path, sizeof(path));
	/* The compositor stops listening once every write end of this pipe is closed. */
	int close_fds[2];
	if (listen_fd < 0 || pipe2(close_fds, O_CLOEXEC) != 0) {
		return 1;
	}
	struct wp_security_context_v1 *context =
		wp_security_context_manager_v1_create_listener(manager, listen_fd, close_fds[0]);
	if (engine != NULL) {
		wp_security_context_v1_set_sandbox_engine(context, engine);
	}
	if (app_id != NULL) {
		wp_security_context_v1_set_app_id(context, app_id);
	}
	if (instance != NULL) {
		wp_security_context_v1_set_instance_id(context, instance);
	}
	wp_security_context_v1_commit(context);
	if (wl_display_roundtrip(display) < 0) {
		fprintf(stderr, "ph-sandbox: the compositor refused the security context\n");
		return 1;
	}
	/* The compositor holds its own copies now. */
	close(listen_fd);
	close(close_fds[0]);

	pid_t pid = fork();
	if (pid == 0) {
		setenv("WAYLAND_DISPLAY", path, 1);
		unsetenv("WAYLAND_SOCKET");
		execvp(argv[i], argv + i);
		fprintf(stderr, "ph-sandbox: exec %s: %s\n", argv[i], strerror(errno));
		_exit(127);
	}
	int status = 0;
	while (pid > 0 && waitpid(pid, &status, 0) < 0 && errno == EINTR) {
	}

	wp_security_context_v1_destroy(context);
	wp_security_context_manager_v1_destroy(manager);
	wl_registry_destroy(registry);
	wl_display_disconnect(display);
	close(close_fds[1]);
	unlink(path);
	if (pid < 0) {
		fprintf(stderr, "ph-sandbox: fork: %s\n", strerror(errno));
		return 1;
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
