#ifndef PINHOLE_OPTIONS_H
#define PINHOLE_OPTIONS_H

#include <stdbool.h>
#include <stdio.h>

enum backend_choice {
	BACKEND_AUTO,
	BACKEND_DRM,
	BACKEND_WAYLAND,
	BACKEND_X11,
	BACKEND_HEADLESS,
};

enum clock_choice {
	CLOCK_REAL, /* outputs keep their own time */
	CLOCK_STEP, /* time moves one refresh period per capture (docs/stepping.md) */
};

enum placement_choice {
	PLACEMENT_CENTER, /* centred on the output under the pointer */
	PLACEMENT_CASCADE, /* down and right from the first output's corner, 32 px a window */
};

struct mode_request {
	int width, height;
	int refresh_mhz; /* 0: backend default */
};

/*
 * Capture policy arguments, in command-line order: rules from a file are
 * spliced in where --capture-policy appears (first match wins across all).
 */
enum policy_arg_kind {
	POLICY_ARG_FILE, /* --capture-policy FILE */
	POLICY_ARG_ALLOW, /* --allow-capture MATCHER */
	POLICY_ARG_DENY, /* --deny-capture MATCHER */
};

struct policy_arg {
	enum policy_arg_kind kind;
	const char *value; /* points into argv */
};

/* Enough for any command line; longer policies belong in a file. */
#define OPTIONS_MAX_POLICY_ARGS 64

struct options {
	bool help;
	bool version;
	int verbosity; /* 0: errors, 1: info (-v), 2: debug (-d) */
	const char *startup_cmd; /* -s */
	bool session; /* --session: the user's session, exports its environment */
	const char *config_path; /* -c; NULL: the default file, if it exists */
	enum backend_choice backend;
	bool has_mode;
	struct mode_request mode;
	int outputs; /* --outputs, headless/nested output count */
	bool no_ext_capture; /* hide the ext capture globals (legacy screencopy only) */
	enum clock_choice clock; /* --clock */
	int step_timeout_ms; /* --step-timeout: how long a step waits for its clients */
	enum placement_choice placement; /* --placement: where new windows go */
	struct policy_arg policy_args[OPTIONS_MAX_POLICY_ARGS];
	size_t policy_args_len;
};

enum options_result {
	OPTIONS_OK,
	OPTIONS_ERROR,
};

/* Parses argv. On error writes a one-line message into err (without usage). */
enum options_result options_parse(struct options *opts, int argc, char *argv[],
	char *err, size_t err_size);

bool parse_mode(const char *text, struct mode_request *mode);

void options_print_usage(FILE *out, const char *prog);

#endif
