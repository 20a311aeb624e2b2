#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <wlr/util/log.h>
#include "options.h"
#include "server.h"

static int handle_sigchld(int signal, void *data) {
	/* Reap only our startup command: Xwayland's process is wlroots' to wait for. */
	struct server *server = data;
	if (server->startup_pid > 0 && waitpid(server->startup_pid, NULL, WNOHANG) > 0) {
		wlr_log(WLR_INFO, "startup command exited");
		server->startup_pid = -1;
	}
	return 0;
}

static pid_t spawn_startup_command(const char *cmd) {
	pid_t pid = fork();
	if (pid == 0) {
		sigset_t set;
		sigemptyset(&set);
		sigprocmask(SIG_SETMASK, &set, NULL);
		execl("/bin/sh", "/bin/sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	if (pid < 0) {
		wlr_log_errno(WLR_ERROR, "could not start '%s'", cmd);
	}
	return pid;
}

int main(int argc, char *argv[]) {
	const char *prog = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
	struct options opts;
	char err[256];
	if (options_parse(&opts, argc, argv, err, sizeof(err)) != OPTIONS_OK) {
		fprintf(stderr, "%s: %s\n", prog, err);
		options_print_usage(stderr, prog);
		return 2;
	}
	if (opts.help) {
		options_print_usage(stdout, prog);
		return 0;
	}
	if (opts.version) {
		printf("pinhole %s\n", PINHOLE_VERSION);
		return 0;
	}
	static const enum wlr_log_importance levels[] = {WLR_ERROR, WLR_INFO, WLR_DEBUG};
	wlr_log_init(levels[opts.verbosity], NULL);

	struct server server = {0};
	int status = 1;
	if (!server_init(&server, &opts) || !server_start(&server)) {
		fprintf(stderr, "%s: could not start the compositor (run with -d for details)\n", prog);
		goto out;
	}
	struct wl_event_source *sigchld = wl_event_loop_add_signal(server.event_loop, SIGCHLD,
		handle_sigchld, &server);

	fprintf(stderr, "pinhole: listening on WAYLAND_DISPLAY=%s\n", server.socket);
	if (opts.startup_cmd != NULL) {
		server.startup_pid = spawn_startup_command(opts.startup_cmd);
	}
	wl_display_run(server.display);
	status = server.exit_code;

	if (server.startup_pid > 0) {
		kill(server.startup_pid, SIGTERM);
		waitpid(server.startup_pid, NULL, 0);
	}
	wl_event_source_remove(sigchld);
out:
	server_finish(&server);
	return status;
}
