#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wlr/util/log.h>
#include "options.h"
#include "policy.h"
#include "server.h"
#include "session_env.h"
#include "spawn.h"

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

/* What starts once the compositor is up: the -s command (autostart, later, beside it). */
struct session_start {
	struct spawner *spawner;
	const char *startup_cmd;
};

static void start_session_programs(void *data) {
	struct session_start *start = data;
	if (start->startup_cmd != NULL) {
		spawner_run(start->spawner, start->startup_cmd, true, NULL, NULL);
	}
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
	if (opts.session) {
		session_env_prepare();
	}

	struct server server = {.policy = policy};
	int status = 1;
	if (!server_init(&server, &opts) || !server_start(&server)) {
		fprintf(stderr, "%s: could not start the compositor (run with -d for details)\n", prog);
		goto out;
	}
	struct session_start start = {
		.spawner = spawner_create(server.event_loop),
		.startup_cmd = opts.startup_cmd,
	};
	if (start.spawner == NULL) {
		fprintf(stderr, "%s: out of memory\n", prog);
		goto out;
	}

	fprintf(stderr, "pinhole: listening on WAYLAND_DISPLAY=%s\n", server.socket);
	if (opts.session) {
		session_env_export(server.event_loop, start.spawner, start_session_programs, &start);
	} else {
		start_session_programs(&start);
	}
	wl_display_run(server.display);
	status = server.exit_code;

	/* The session's programs end with it, each as a whole process group. */
	spawner_destroy(start.spawner);
	if (opts.session) {
		session_env_finish();
		session_env_clear();
	}
out:
	server_finish(&server);
	policy_destroy(policy);
	return status;
}
