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

struct mode_request {
	int width, height;
	int refresh_mhz; /* 0: backend default */
};

struct options {
	bool help;
	bool version;
	int verbosity; /* 0: errors, 1: info (-v), 2: debug (-d) */
	const char *startup_cmd; /* -s */
	enum backend_choice backend;
	bool has_mode;
	struct mode_request mode;
	int outputs; /* --outputs, headless/nested output count */
	bool no_ext_capture; /* hide the ext capture globals (legacy screencopy only) */
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
