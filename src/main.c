#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wlr/util/log.h>
#include "config_file.h"
#include "options.h"
#include "server.h"
#include "session_env.h"
#include "spawn.h"

static int handle_sighup(int signal, void *data) {
	struct server *server = data;
	wlr_log(WLR_INFO, "SIGHUP: reloading the configuration");
	config_reload(server);
	return 0;
}

/* What starts once the compositor is up: the configuration's autostart, then -s. */
struct session_start {
	struct spawner *spawner;
	struct server *server; /* its configuration as it is then (a reload may come first) */
	const char *startup_cmd;
};

static void start_session_programs(void *data) {
	struct session_start *start = data;
	config_run_autostart(start->server->config, start->spawner);
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
	if (opts.session) {
		session_env_prepare();
	}

	struct server server = {.config = config, .policy = config->policy};
	int status = 1;
	if (!server_init(&server, &opts) || !server_start(&server)) {
		fprintf(stderr, "%s: could not start the compositor (run with -d for details)\n", prog);
		goto out;
	}
	struct session_start start = {
		.spawner = spawner_create(server.event_loop),
		.server = &server,
		.startup_cmd = opts.startup_cmd,
	};
	if (start.spawner == NULL) {
		fprintf(stderr, "%s: out of memory\n", prog);
		goto out;
	}
	struct wl_event_source *sighup = wl_event_loop_add_signal(server.event_loop, SIGHUP,
		handle_sighup, &server);

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
	wl_event_source_remove(sighup);
out:
	server_finish(&server);
	config_destroy(server.config);
	return status;
}
