#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <wlr/util/log.h>
#include "options.h"
#include "policy.h"
#include "server.h"

/* The capture policy from the command line, files spliced in where they were named. */
static struct policy *load_policy(const struct options *opts, char *err, size_t err_size) {
	struct policy *policy = policy_create();
	if (policy == NULL) {
		snprintf(err, err_size, "out of memory");
		return NULL;
	}
	for (size_t i = 0; i < opts->policy_args_len; i++) {
		const struct policy_arg *arg = &opts->policy_args[i];
		bool ok;
		if (arg->kind == POLICY_ARG_FILE) {
			ok = policy_load_file(policy, arg->value, err, err_size);
		} else {
			/* Already checked by options_parse(); this only fails on allocation. */
			enum policy_verdict verdict =
				arg->kind == POLICY_ARG_ALLOW ? POLICY_ALLOW : POLICY_DENY;
			ok = policy_add_rule(policy, verdict, arg->value,
				verdict == POLICY_ALLOW ? "--allow-capture" : "--deny-capture",
				err, err_size);
		}
		if (!ok) {
			policy_destroy(policy);
			return NULL;
		}
	}
	return policy;
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
	/* A policy mistake is a usage error too, but usage would not help with a file. */
	struct policy *policy = load_policy(&opts, err, sizeof(err));
	if (policy == NULL) {
		fprintf(stderr, "%s: %s\n", prog, err);
		return 2;
	}
	static const enum wlr_log_importance levels[] = {WLR_ERROR, WLR_INFO, WLR_DEBUG};
	wlr_log_init(levels[opts.verbosity], NULL);

	struct server server = {.policy = policy};
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
	policy_destroy(policy);
	return status;
}
