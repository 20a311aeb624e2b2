#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include "options.h"
#include "policy.h"

static bool parse_int(const char *text, int min, int max, int *out) {
	char *end = NULL;
	long value = strtol(text, &end, 10);
	if (end == text || *end != '\0' || value < min || value > max) {
		return false;
	}
	*out = (int)value;
	return true;
}

bool parse_mode(const char *text, struct mode_request *mode) {
	/* WxH or WxH@Hz, Hz may be fractional (59.94). */
	char buf[64];
	if (strlen(text) >= sizeof(buf)) {
		return false;
	}
	strcpy(buf, text);
	char *at = strchr(buf, '@');
	double hz = 0;
	if (at != NULL) {
		*at = '\0';
		char *end = NULL;
		hz = strtod(at + 1, &end);
		if (end == at + 1 || (*end != '\0' && strcmp(end, "Hz") != 0) ||
				!(hz > 0 && hz <= 1000)) {
			return false;
		}
	}
	char *x = strchr(buf, 'x');
	if (x == NULL) {
		return false;
	}
	*x = '\0';
	struct mode_request parsed = {0};
	if (!parse_int(buf, 1, 16384, &parsed.width) ||
			!parse_int(x + 1, 1, 16384, &parsed.height)) {
		return false;
	}
	parsed.refresh_mhz = (int)(hz * 1000 + 0.5);
	*mode = parsed;
	return true;
}

static bool parse_backend(const char *text, enum backend_choice *out) {
	static const struct {
		const char *name;
		enum backend_choice value;
	} names[] = {
		{"auto", BACKEND_AUTO},
		{"drm", BACKEND_DRM},
		{"wayland", BACKEND_WAYLAND},
		{"x11", BACKEND_X11},
		{"headless", BACKEND_HEADLESS},
	};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcmp(text, names[i].name) == 0) {
			*out = names[i].value;
			return true;
		}
	}
	return false;
}

/* Rules are checked here so that a typo is a usage error like any other. */
static bool add_policy_arg(struct options *opts, enum policy_arg_kind kind, const char *value,
		char *err, size_t err_size) {
	static const char *const names[] = {
		[POLICY_ARG_FILE] = "--capture-policy",
		[POLICY_ARG_ALLOW] = "--allow-capture",
		[POLICY_ARG_DENY] = "--deny-capture",
	};
	char reason[256];
	if (kind == POLICY_ARG_FILE && value[0] == '\0') {
		snprintf(err, err_size, "invalid --capture-policy '' (expected a file)");
		return false;
	}
	if (kind != POLICY_ARG_FILE && !policy_matcher_valid(value, reason, sizeof(reason))) {
		snprintf(err, err_size, "invalid %s '%s': %s", names[kind], value, reason);
		return false;
	}
	if (opts->policy_args_len == OPTIONS_MAX_POLICY_ARGS) {
		snprintf(err, err_size, "more than %d capture policy options (use --capture-policy FILE)",
			OPTIONS_MAX_POLICY_ARGS);
		return false;
	}
	opts->policy_args[opts->policy_args_len++] = (struct policy_arg){kind, value};
	return true;
}

void options_print_usage(FILE *out, const char *prog) {
	fprintf(out,
		"usage: %s [-h] [-V] [-v] [-d] [-c FILE] [-s CMD] [--backend auto|drm|wayland|x11|headless]\n"
		"       %*s [--session] [--mode WxH[@Hz]] [--outputs N] [--no-ext-capture]\n"
		"       %*s [--capture-policy FILE] [--allow-capture M] [--deny-capture M]\n"
		"       %*s [--clock real|step] [--step-timeout MS] [--placement center|cascade]\n"
		"\n"
		"  -h, --help          show this help and exit\n"
		"  -V, --version       print the version and exit\n"
		"  -v, --verbose       log informational messages\n"
		"  -d, --debug         log debug messages\n"
		"  -s, --startup CMD   run CMD (via /bin/sh -c) once the compositor is ready; it and\n"
		"                      what it starts get SIGTERM when pinhole exits\n"
		"      --session       run as the user's session: set XDG_CURRENT_DESKTOP=pinhole and\n"
		"                      export WAYLAND_DISPLAY to D-Bus and systemd before CMD starts\n"
		"  -c, --config FILE   configuration file (default: $XDG_CONFIG_HOME/pinhole/config\n"
		"                      when it exists; see pinhole(1)); SIGHUP reloads it\n"
		"      --backend B     auto (default): nested when WAYLAND_DISPLAY or DISPLAY is set,\n"
		"                      DRM/KMS when a seat is available, headless otherwise\n"
		"      --mode WxH[@Hz] mode of outputs without a preferred mode (headless, nested)\n"
		"      --outputs N     number of headless or nested outputs (default 1)\n"
		"      --no-ext-capture  do not offer ext-image-copy-capture (legacy clients only)\n"
		"      --clock C       real (default), or step: output time starts at 0 and moves one\n"
		"                      refresh period per output capture (see pinhole(1), STEPPING)\n"
		"      --step-timeout MS  how long a step waits for clients to draw (default 1000)\n"
		"      --placement P   center (default): new windows centred on the output under the\n"
		"                      pointer; cascade: from the first output's top-left corner\n"
		"      --capture-policy FILE  capture permission rules: an INI file of allow, deny\n"
		"                      and default entries (see pinhole(1))\n"
		"      --allow-capture M  clients matching M may capture\n"
		"      --deny-capture M   clients matching M may not: their sessions stop at once\n"
		"                      M: exe:PATH, app-id:ID, engine:NAME, sandboxed, unsandboxed\n"
		"                      or all. First match wins, in command-line order; unmatched\n"
		"                      clients may capture unless they are sandboxed\n",
		prog, (int)strlen(prog), "", (int)strlen(prog), "", (int)strlen(prog), "");
}

enum options_result options_parse(struct options *opts, int argc, char *argv[],
		char *err, size_t err_size) {
	enum {
		OPT_BACKEND = 256, OPT_MODE, OPT_OUTPUTS, OPT_NO_EXT_CAPTURE,
		OPT_CAPTURE_POLICY, OPT_ALLOW_CAPTURE, OPT_DENY_CAPTURE, OPT_CLOCK, OPT_STEP_TIMEOUT, OPT_SESSION,
		OPT_PLACEMENT,
	};
	static const struct option long_options[] = {
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{"verbose", no_argument, NULL, 'v'},
		{"debug", no_argument, NULL, 'd'},
		{"startup", required_argument, NULL, 's'},
		{"session", no_argument, NULL, OPT_SESSION},
		{"config", required_argument, NULL, 'c'},
		{"backend", required_argument, NULL, OPT_BACKEND},
		{"mode", required_argument, NULL, OPT_MODE},
		{"outputs", required_argument, NULL, OPT_OUTPUTS},
		{"no-ext-capture", no_argument, NULL, OPT_NO_EXT_CAPTURE},
		{"capture-policy", required_argument, NULL, OPT_CAPTURE_POLICY},
		{"allow-capture", required_argument, NULL, OPT_ALLOW_CAPTURE},
		{"deny-capture", required_argument, NULL, OPT_DENY_CAPTURE},
		{"clock", required_argument, NULL, OPT_CLOCK},
		{"step-timeout", required_argument, NULL, OPT_STEP_TIMEOUT},
		{"placement", required_argument, NULL, OPT_PLACEMENT},
		{0},
	};

	*opts = (struct options){
		.backend = BACKEND_AUTO,
		.outputs = 1,
		.clock = CLOCK_REAL,
		.step_timeout_ms = 1000,
	};
	err[0] = '\0';
	optind = 0; /* reset getopt so the parser can run more than once (tests) */
	opterr = 0;
	int c;
	while ((c = getopt_long(argc, argv, ":hVvds:c:", long_options, NULL)) != -1) {
		switch (c) {
		case 'h':
			opts->help = true;
			break;
		case 'V':
			opts->version = true;
			break;
		case 'v':
			if (opts->verbosity < 1) {
				opts->verbosity = 1;
			}
			break;
		case 'd':
			opts->verbosity = 2;
			break;
		case 's':
			opts->startup_cmd = optarg;
			break;
		case 'c':
			if (optarg[0] == '\0') {
				snprintf(err, err_size, "option '-c' needs a file name");
				return OPTIONS_ERROR;
			}
			opts->config_path = optarg;
			break;
		case OPT_BACKEND:
			if (!parse_backend(optarg, &opts->backend)) {
				snprintf(err, err_size, "invalid --backend '%s' "
					"(expected auto, drm, wayland, x11 or headless)", optarg);
				return OPTIONS_ERROR;
			}
			break;
		case OPT_MODE:
			if (!parse_mode(optarg, &opts->mode)) {
				snprintf(err, err_size, "invalid --mode '%s' (expected WxH or WxH@Hz, "
					"e.g. 1920x1080@60)", optarg);
				return OPTIONS_ERROR;
			}
			opts->has_mode = true;
			break;
		case OPT_OUTPUTS:
			if (!parse_int(optarg, 1, 16, &opts->outputs)) {
				snprintf(err, err_size, "invalid --outputs '%s' (expected 1 to 16)", optarg);
				return OPTIONS_ERROR;
			}
			break;
		case OPT_SESSION:
			opts->session = true;
			break;
		case OPT_CLOCK:
			if (strcmp(optarg, "real") == 0) {
				opts->clock = CLOCK_REAL;
			} else if (strcmp(optarg, "step") == 0) {
				opts->clock = CLOCK_STEP;
			} else {
				snprintf(err, err_size, "invalid --clock '%s' (expected real or step)", optarg);
				return OPTIONS_ERROR;
			}
			break;
		case OPT_STEP_TIMEOUT:
			if (!parse_int(optarg, 1, 3600 * 1000, &opts->step_timeout_ms)) {
				snprintf(err, err_size, "invalid --step-timeout '%s' "
					"(expected milliseconds, 1 to 3600000)", optarg);
				return OPTIONS_ERROR;
			}
			break;
		case OPT_PLACEMENT:
			if (strcmp(optarg, "center") == 0) {
				opts->placement = PLACEMENT_CENTER;
			} else if (strcmp(optarg, "cascade") == 0) {
				opts->placement = PLACEMENT_CASCADE;
			} else {
				snprintf(err, err_size, "invalid --placement '%s' (expected center or cascade)",
					optarg);
				return OPTIONS_ERROR;
			}
			break;
		case OPT_NO_EXT_CAPTURE:
			opts->no_ext_capture = true;
			break;
		case OPT_CAPTURE_POLICY:
		case OPT_ALLOW_CAPTURE:
		case OPT_DENY_CAPTURE:
			if (!add_policy_arg(opts, c == OPT_CAPTURE_POLICY ? POLICY_ARG_FILE :
					c == OPT_ALLOW_CAPTURE ? POLICY_ARG_ALLOW : POLICY_ARG_DENY,
					optarg, err, err_size)) {
				return OPTIONS_ERROR;
			}
			break;
		case ':':
			snprintf(err, err_size, "option '%s' needs an argument", argv[optind - 1]);
			return OPTIONS_ERROR;
		default:
			if (optopt != 0) {
				snprintf(err, err_size, "unknown option '-%c'", optopt);
			} else {
				snprintf(err, err_size, "unknown option '%s'", argv[optind - 1]);
			}
			return OPTIONS_ERROR;
		}
	}
	if (optind < argc) {
		snprintf(err, err_size, "unexpected argument '%s' (use -s to run a command)",
			argv[optind]);
		return OPTIONS_ERROR;
	}
	return OPTIONS_OK;
}
