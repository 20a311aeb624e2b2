/* Unit tests for the command-line parser. */
#include <string.h>
#include "harness.h"
#include "options.h"

static enum options_result parse(struct options *opts, char *err, const char *a, const char *b,
		const char *c) {
	char *argv[] = {"pinhole", (char *)a, (char *)b, (char *)c, NULL};
	int argc = 1 + (a != NULL) + (b != NULL) + (c != NULL);
	return options_parse(opts, argc, argv, err, 256);
}

int main(int argc, char *argv[]) {
	ph_init(argc, argv, 10);
	struct options opts;
	char err[256];
	struct mode_request mode;

	ph_ok(parse_mode("1920x1080", &mode) && mode.width == 1920 && mode.height == 1080 &&
		mode.refresh_mhz == 0, "WxH parses");
	ph_ok(parse_mode("1280x720@59.94", &mode) && mode.refresh_mhz == 59940,
		"WxH@Hz keeps fractional refresh in mHz");
	ph_ok(parse_mode("800x600@60Hz", &mode) && mode.refresh_mhz == 60000, "trailing Hz accepted");
	ph_ok(!parse_mode("1920", &mode), "missing height rejected");
	ph_ok(!parse_mode("0x100", &mode), "zero width rejected");
	ph_ok(!parse_mode("100x100@", &mode), "empty refresh rejected");
	ph_ok(!parse_mode("100x100@-5", &mode), "negative refresh rejected");
	ph_ok(!parse_mode("axb", &mode), "garbage rejected");
	ph_ok(!parse_mode("99999x100", &mode), "absurd size rejected");

	ph_ok(parse(&opts, err, NULL, NULL, NULL) == OPTIONS_OK && opts.backend == BACKEND_AUTO &&
		opts.outputs == 1 && !opts.has_mode, "defaults");
	ph_ok(parse(&opts, err, "--backend", "headless", NULL) == OPTIONS_OK &&
		opts.backend == BACKEND_HEADLESS, "--backend headless");
	ph_ok(parse(&opts, err, "--backend", "vulkan", NULL) == OPTIONS_ERROR &&
		strstr(err, "--backend") != NULL, "bad backend names the option: %s", err);
	ph_ok(parse(&opts, err, "--mode", "640x480@30", NULL) == OPTIONS_OK && opts.has_mode &&
		opts.mode.width == 640 && opts.mode.refresh_mhz == 30000, "--mode");
	ph_ok(parse(&opts, err, "--mode", "big", NULL) == OPTIONS_ERROR &&
		strstr(err, "big") != NULL, "bad mode quoted: %s", err);
	ph_ok(parse(&opts, err, "--outputs", "3", NULL) == OPTIONS_OK && opts.outputs == 3,
		"--outputs 3");
	ph_ok(parse(&opts, err, "--outputs", "0", NULL) == OPTIONS_ERROR, "--outputs 0 rejected");
	ph_ok(parse(&opts, err, "--outputs", "2x", NULL) == OPTIONS_ERROR, "--outputs 2x rejected");
	ph_ok(parse(&opts, err, "-s", "foot", "-v") == OPTIONS_OK &&
		strcmp(opts.startup_cmd, "foot") == 0 && opts.verbosity == 1, "-s CMD -v");
	ph_ok(parse(&opts, err, "-d", NULL, NULL) == OPTIONS_OK && opts.verbosity == 2, "-d");
	ph_ok(parse(&opts, err, "--frobnicate", NULL, NULL) == OPTIONS_ERROR &&
		strstr(err, "--frobnicate") != NULL, "unknown long option named: %s", err);
	ph_ok(parse(&opts, err, "-x", NULL, NULL) == OPTIONS_ERROR && strstr(err, "-x") != NULL,
		"unknown short option named: %s", err);
	ph_ok(parse(&opts, err, "-s", NULL, NULL) == OPTIONS_ERROR && strstr(err, "argument") != NULL,
		"missing argument: %s", err);
	ph_ok(parse(&opts, err, "foot", NULL, NULL) == OPTIONS_ERROR && strstr(err, "foot") != NULL,
		"stray argument: %s", err);
	ph_ok(parse(&opts, err, "--no-ext-capture", NULL, NULL) == OPTIONS_OK &&
		opts.no_ext_capture, "--no-ext-capture");

	/* Capture policy options keep their command-line order; matchers are checked at once. */
	char *policy_argv[] = {"pinhole", "--deny-capture=exe:/usr/bin/grim", "--capture-policy",
		"/etc/pinhole/capture.conf", "--allow-capture", "app-id:org.example.*", NULL};
	ph_ok(options_parse(&opts, 6, policy_argv, err, sizeof(err)) == OPTIONS_OK &&
		opts.policy_args_len == 3 &&
		opts.policy_args[0].kind == POLICY_ARG_DENY &&
		strcmp(opts.policy_args[0].value, "exe:/usr/bin/grim") == 0 &&
		opts.policy_args[1].kind == POLICY_ARG_FILE &&
		strcmp(opts.policy_args[1].value, "/etc/pinhole/capture.conf") == 0 &&
		opts.policy_args[2].kind == POLICY_ARG_ALLOW &&
		strcmp(opts.policy_args[2].value, "app-id:org.example.*") == 0,
		"policy options in order (%zu) %s", opts.policy_args_len, err);
	ph_ok(parse(&opts, err, NULL, NULL, NULL) == OPTIONS_OK && opts.policy_args_len == 0,
		"no policy options by default");
	ph_ok(parse(&opts, err, "--deny-capture", "grim", NULL) == OPTIONS_ERROR &&
		strstr(err, "--deny-capture 'grim'") != NULL && strstr(err, "unknown matcher") != NULL,
		"bad --deny-capture matcher: %s", err);
	ph_ok(parse(&opts, err, "--allow-capture=exe:bin/grim", NULL, NULL) == OPTIONS_ERROR &&
		strstr(err, "absolute") != NULL, "relative exe rejected: %s", err);
	ph_ok(parse(&opts, err, "--capture-policy", "", NULL) == OPTIONS_ERROR &&
		strstr(err, "--capture-policy") != NULL, "empty policy file name: %s", err);
	ph_ok(parse(&opts, err, "--capture-policy", NULL, NULL) == OPTIONS_ERROR &&
		strstr(err, "argument") != NULL, "--capture-policy needs a file: %s", err);
	char *many[OPTIONS_MAX_POLICY_ARGS + 3] = {"pinhole"};
	for (int i = 1; i <= OPTIONS_MAX_POLICY_ARGS + 1; i++) {
		many[i] = "--deny-capture=sandboxed";
	}
	ph_ok(options_parse(&opts, OPTIONS_MAX_POLICY_ARGS + 2, many, err, sizeof(err)) ==
		OPTIONS_ERROR && strstr(err, "--capture-policy FILE") != NULL,
		"too many policy options: %s", err);
	return ph_finish();
}
