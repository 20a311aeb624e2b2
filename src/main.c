#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <wlr/util/log.h>
#include "config_file.h"
#include "options.h"
#include "server.h"

static int handle_sighup(int signal, void *data) {
	struct server *server = data;
	wlr_log(WLR_INFO, "SIGHUP: reloading the configuration");
	config_reload(server);
	return 0;
}

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
	char err[4096 + 512]; /* room for a policy file's path and line */
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
	/* A configuration or policy mistake is a usage error, but usage would not help. */
	char config_path[4096];
	struct config *config = config_load(config_default_path(&opts, config_path,
		sizeof(config_path)), &opts, err, sizeof(err));
	if (config == NULL) {
		fprintf(stderr, "%s: %s\n", prog, err);
		return 2;
	}
	static const enum wlr_log_importance levels[] = {WLR_ERROR, WLR_INFO, WLR_DEBUG};
	wlr_log_init(levels[opts.verbosity], NULL);

	struct server server = {.config = config, .policy = config->policy};
	int status = 1;
	if (!server_init(&server, &opts) || !server_start(&server)) {
		fprintf(stderr, "%s: could not start the compositor (run with -d for details)\n", prog);
		goto out;
	}
	struct wl_event_source *sigchld = wl_event_loop_add_signal(server.event_loop, SIGCHLD,
		handle_sigchld, &server);
	struct wl_event_source *sighup = wl_event_loop_add_signal(server.event_loop, SIGHUP,
		handle_sighup, &server);

	fprintf(stderr, "pinhole: listening on WAYLAND_DISPLAY=%s\n", server.socket);
	config_run_autostart(server.config);
	if (opts.startup_cmd != NULL) {
		server.startup_pid = spawn_startup_command(opts.startup_cmd);
	}
	wl_display_run(server.display);
	status = server.exit_code;

	if (server.startup_pid > 0) {
		kill(server.startup_pid, SIGTERM);
		waitpid(server.startup_pid, NULL, 0);
	}
	wl_event_source_remove(sighup);
	wl_event_source_remove(sigchld);
out:
	server_finish(&server);
	config_destroy(server.config);
	return status;
}
