/*
 * pinhole-term: options, the event loop (Wayland, terminal input, signals),
 * frame pacing and statistics. See usage().
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>
#include <wayland-client.h>
#include "term.h"

/* How long a lone ESC may wait for the rest of a sequence. */
#define ESCAPE_WAIT_MS 30

struct options {
	struct term_capture_options capture;
	int fps;
	char quit_key; /* Ctrl + this letter quits */
	int cols, rows; /* --size, else the terminal's */
	const char *log_path;
};

struct app {
	struct options options;
	struct term_capture *capture;
	struct term_render *render;
	struct term_control *control;
	struct term_input input;
	FILE *log;
	bool tty;
	bool running;
	int exit_code;

	/* The last picture, kept so that a resize redraws at once. */
	uint8_t *copy;
	uint32_t copy_w, copy_h;
	bool copy_bgr;
	bool have_picture;
	struct term_rect full_damage; /* the damage of a frame that replaces everything */

	int64_t next_capture_ms; /* pacing: the earliest time to ask for a frame */
	int64_t escape_deadline_ms;
	unsigned long frames;
	unsigned long long bytes_total;
	double cpu_start_ms;
};

static void usage(FILE *f) {
	fprintf(f,
		"usage: pinhole-term [-o OUTPUT] [-t APP_ID|TITLE] [--control] [--fps N] [--cursor]\n"
		"\n"
		"Shows an output (default: the first) or a window of a Wayland compositor that\n"
		"offers ext-image-copy-capture-v1 in this terminal, with 24-bit colour half-block\n"
		"cells (256 colours unless COLORTERM is truecolor or 24bit), scaled to fit.\n"
		"\n"
		"  -o OUTPUT        capture the output with this name\n"
		"  -t APP_ID|TITLE  capture the first window with this app_id or title\n"
		"  --control        forward keys and the mouse (virtual keyboard and pointer)\n"
		"  --fps N          at most N frames a second (default 30)\n"
		"  --cursor         ask the compositor to paint the cursor into the picture\n"
		"  --shm            use shared memory even when DMA-BUF is offered\n"
		"  --quit-key C     Ctrl+C quits instead of Ctrl+Q (a letter)\n"
		"  --size COLSxROWS draw for this size instead of the terminal's (stdout may\n"
		"                   then be a file or a pipe)\n"
		"  --log FILE       append a line per frame: bytes written, cells, CPU time\n"
		"  -h, --help       this text\n"
		"\n"
		"Ctrl+Q quits (without --control, Ctrl+C too). Exit status: 0 quit, 1 error,\n"
		"2 usage or a protocol the compositor lacks, 3 the output or window went away,\n"
		"128+N signal N.\n");
}

static int64_t now_ms(void) {
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static double cpu_ms(void) {
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static bool parse_int(const char *s, int min, int max, int *out) {
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max) {
		return false;
	}
	*out = (int)v;
	return true;
}

static void parse_options(int argc, char *argv[], struct options *o) {
	enum { OPT_CONTROL = 256, OPT_FPS, OPT_CURSOR, OPT_SHM, OPT_QUIT, OPT_SIZE, OPT_LOG };
	static const struct option long_options[] = {
		{"control", no_argument, NULL, OPT_CONTROL},
		{"fps", required_argument, NULL, OPT_FPS},
		{"cursor", no_argument, NULL, OPT_CURSOR},
		{"shm", no_argument, NULL, OPT_SHM},
		{"quit-key", required_argument, NULL, OPT_QUIT},
		{"size", required_argument, NULL, OPT_SIZE},
		{"log", required_argument, NULL, OPT_LOG},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	*o = (struct options){.fps = 30, .quit_key = 'q'};
	int c;
	while ((c = getopt_long(argc, argv, "o:t:h", long_options, NULL)) != -1) {
		bool ok = true;
		switch (c) {
		case 'o':
			o->capture.output_name = optarg;
			break;
		case 't':
			o->capture.toplevel = optarg;
			break;
		case OPT_CONTROL:
			o->capture.control = true;
			break;
		case OPT_FPS:
			ok = parse_int(optarg, 1, 1000, &o->fps);
			break;
		case OPT_CURSOR:
			o->capture.paint_cursors = true;
			break;
		case OPT_SHM:
			o->capture.shm_only = true;
			break;
		case OPT_QUIT:
			ok = strlen(optarg) == 1 && optarg[0] >= 'a' && optarg[0] <= 'z';
			o->quit_key = optarg[0];
			break;
		case OPT_SIZE: {
			char *x = strchr(optarg, 'x');
			if (x == NULL) {
				ok = false;
				break;
			}
			*x = '\0';
			ok = parse_int(optarg, 1, 10000, &o->cols) && parse_int(x + 1, 1, 10000, &o->rows);
			*x = 'x';
			break;
		}
		case OPT_LOG:
			o->log_path = optarg;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			exit(TERM_EXIT_MISSING);
		}
		if (!ok) {
			fprintf(stderr, "pinhole-term: invalid value '%s' for %s\n", optarg,
				argv[optind - 1]);
			exit(TERM_EXIT_MISSING);
		}
	}
	if (optind < argc) {
		fprintf(stderr, "pinhole-term: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		exit(TERM_EXIT_MISSING);
	}
	if (o->capture.output_name != NULL && o->capture.toplevel != NULL) {
		fprintf(stderr, "pinhole-term: -o and -t exclude each other\n");
		exit(TERM_EXIT_MISSING);
	}
}

static void quit(struct app *app, int code) {
	app->running = false;
	app->exit_code = code;
}

/* The buffer pixel an upright pixel (x, y) came from, for a buffer of bw x bh
 * holding the upright picture with `transform` applied (wl_output sense). */
static void upright_to_buffer(uint32_t transform, uint32_t x, uint32_t y, uint32_t bw,
		uint32_t bh, uint32_t *bx, uint32_t *by) {
	switch (transform) {
	case WL_OUTPUT_TRANSFORM_90: *bx = y; *by = bh - 1 - x; break;
	case WL_OUTPUT_TRANSFORM_180: *bx = bw - 1 - x; *by = bh - 1 - y; break;
	case WL_OUTPUT_TRANSFORM_270: *bx = bw - 1 - y; *by = x; break;
	case WL_OUTPUT_TRANSFORM_FLIPPED: *bx = bw - 1 - x; *by = y; break;
	case WL_OUTPUT_TRANSFORM_FLIPPED_90: *bx = y; *by = x; break;
	case WL_OUTPUT_TRANSFORM_FLIPPED_180: *bx = x; *by = bh - 1 - y; break;
	case WL_OUTPUT_TRANSFORM_FLIPPED_270: *bx = bw - 1 - y; *by = bh - 1 - x; break;
	default: *bx = x; *by = y; break;
	}
}

/*
 * Copies the damaged rectangles into our upright picture (all of it on a
 * size change, and for a turned output, where damage is not turned: rare
 * enough not to bother).
 */
static void keep_picture(struct app *app, const struct term_picture *picture,
		const struct term_rect **damage_io, int *n_damage_io) {
	bool turned = picture->transform != WL_OUTPUT_TRANSFORM_NORMAL;
	bool swap = picture->transform & 1; /* 90, 270 and their flipped forms */
	uint32_t width = swap ? picture->height : picture->width;
	uint32_t height = swap ? picture->width : picture->height;
	app->full_damage = (struct term_rect){0, 0, (int32_t)width, (int32_t)height};
	const struct term_rect *damage = *damage_io;
	int n_damage = *n_damage_io;
	if (app->copy == NULL || app->copy_w != width || app->copy_h != height || turned) {
		if (app->copy == NULL || app->copy_w != width || app->copy_h != height) {
			free(app->copy);
			app->copy = malloc((size_t)width * height * 4);
		}
		if (app->copy == NULL) {
			fprintf(stderr, "pinhole-term: out of memory\n");
			quit(app, TERM_EXIT_ERROR);
			return;
		}
		app->copy_w = width;
		app->copy_h = height;
		damage = &app->full_damage;
		n_damage = 1;
	}
	*damage_io = damage;
	*n_damage_io = n_damage;
	app->copy_bgr = picture->bgr;
	if (turned) {
		uint32_t *dst = (uint32_t *)app->copy;
		for (uint32_t y = 0; y < height; y++) {
			for (uint32_t x = 0; x < width; x++) {
				uint32_t bx, by;
				upright_to_buffer(picture->transform, x, y, picture->width,
					picture->height, &bx, &by);
				memcpy(dst++, picture->data + (size_t)by * picture->stride + bx * 4, 4);
			}
		}
		app->have_picture = true;
		return;
	}
	for (int i = 0; i < n_damage; i++) {
		int64_t x0 = damage[i].x < 0 ? 0 : damage[i].x, y0 = damage[i].y < 0 ? 0 : damage[i].y;
		int64_t x1 = (int64_t)damage[i].x + damage[i].width;
		int64_t y1 = (int64_t)damage[i].y + damage[i].height;
		x1 = x1 > picture->width ? picture->width : x1;
		y1 = y1 > picture->height ? picture->height : y1;
		for (int64_t y = y0; y < y1 && x0 < x1; y++) {
			memcpy(app->copy + ((size_t)y * picture->width + x0) * 4,
				picture->data + (size_t)y * picture->stride + x0 * 4, (size_t)(x1 - x0) * 4);
		}
	}
	app->have_picture = true;
}

static void draw(struct app *app, const char *why, const struct term_rect *damage, int n_damage,
		double cpu_before) {
	struct term_picture picture = {
		.data = app->copy,
		.width = app->copy_w,
		.height = app->copy_h,
		.stride = app->copy_w * 4,
		.bgr = app->copy_bgr,
	};
	struct term_render_stats stats;
	if (!term_render_update(app->render, &picture, damage, n_damage, &stats)) {
		fprintf(stderr, "pinhole-term: cannot write to the terminal\n");
		quit(app, TERM_EXIT_ERROR);
		return;
	}
	app->bytes_total += stats.bytes;
	if (app->log != NULL) {
		fprintf(app->log, "%s %lu %ux%u damage=%d cells=%d bytes=%zu cpu_us=%.0f buffer=%s\n",
			why, app->frames, picture.width, picture.height, n_damage, stats.cells, stats.bytes,
			(cpu_ms() - cpu_before) * 1000, term_capture_buffer_type(app->capture));
		fflush(app->log);
	}
}

static void handle_frame(void *data, const struct term_picture *picture,
		const struct term_rect *damage, int n_damage) {
	struct app *app = data;
	double before = cpu_ms();
	app->frames++;
	keep_picture(app, picture, &damage, &n_damage);
	if (app->running) {
		draw(app, "frame", damage, n_damage, before);
	}
	app->next_capture_ms = now_ms() + 1000 / app->options.fps;
}

static void handle_stopped(void *data) {
	struct app *app = data;
	term_tty_restore();
	fprintf(stderr, "pinhole-term: %s went away\n", term_capture_describe(app->capture));
	quit(app, TERM_EXIT_GONE);
}

static void resize(struct app *app) {
	int cols = app->options.cols, rows = app->options.rows;
	if (cols == 0 && !term_tty_size(STDOUT_FILENO, &cols, &rows)) {
		cols = 80;
		rows = 24;
	}
	term_render_resize(app->render, cols, rows);
	if (app->log != NULL) {
		fprintf(app->log, "size %dx%d\n", cols, rows);
		fflush(app->log);
	}
	if (app->have_picture) {
		/* The redraw after a size change is always full. */
		struct term_rect full = {0, 0, (int32_t)app->copy_w, (int32_t)app->copy_h};
		draw(app, "redraw", &full, 1, cpu_ms());
	}
}

static void handle_event(void *data, const struct term_event *event) {
	struct app *app = data;
	if (event->type == TERM_EVENT_KEY) {
		bool ctrl = event->modifiers & TERM_MOD_CTRL;
		if (ctrl && event->keysym == (xkb_keysym_t)app->options.quit_key) {
			quit(app, TERM_EXIT_OK);
		} else if (app->control != NULL) {
			term_control_key(app->control, event->keysym, event->modifiers);
		} else if (ctrl && event->keysym == XKB_KEY_c) {
			quit(app, TERM_EXIT_OK);
		}
		return;
	}
	if (app->control == NULL || term_capture_output(app->capture) == NULL) {
		return;
	}
	uint32_t x, y;
	bool inside = term_render_cell_to_pixel(app->render, event->col, event->row, &x, &y);
	if (inside) {
		term_control_pointer(app->control, x, y, app->copy_w, app->copy_h);
	}
	if (event->wheel_vertical != 0 || event->wheel_horizontal != 0) {
		if (inside) {
			term_control_wheel(app->control, event->wheel_vertical, event->wheel_horizontal);
		}
	} else if (!event->motion && (inside || !event->pressed)) {
		term_control_button(app->control, event->button, event->pressed);
	}
}

static void read_terminal(struct app *app) {
	unsigned char buf[512];
	ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));
	if (n <= 0) {
		if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
			quit(app, TERM_EXIT_OK); /* the terminal is gone */
		}
		return;
	}
	term_input_feed(&app->input, buf, (size_t)n, handle_event, app);
	app->escape_deadline_ms = term_input_incomplete(&app->input) ?
		now_ms() + ESCAPE_WAIT_MS : -1;
}

static int handle_signal(struct app *app, int fd) {
	struct signalfd_siginfo info;
	if (read(fd, &info, sizeof(info)) != sizeof(info)) {
		return 0;
	}
	if (info.ssi_signo == SIGWINCH) {
		resize(app);
		return 0;
	}
	quit(app, 128 + (int)info.ssi_signo);
	return 0;
}

static int run(struct app *app, int signal_fd) {
	struct wl_display *display = term_capture_display(app->capture);
	term_capture_request(app->capture);
	while (app->running) {
		int64_t now = now_ms();
		if (!term_capture_pending(app->capture) && now >= app->next_capture_ms) {
			term_capture_request(app->capture);
		}
		if (app->escape_deadline_ms >= 0 && now >= app->escape_deadline_ms) {
			term_input_flush(&app->input, handle_event, app);
			app->escape_deadline_ms = -1;
		}
		int64_t wake = -1;
		if (!term_capture_pending(app->capture)) {
			wake = app->next_capture_ms;
		}
		if (app->escape_deadline_ms >= 0 && (wake < 0 || app->escape_deadline_ms < wake)) {
			wake = app->escape_deadline_ms;
		}
		int timeout = wake < 0 ? -1 : wake <= now ? 0 : (int)(wake - now);

		while (wl_display_prepare_read(display) != 0) {
			if (wl_display_dispatch_pending(display) < 0) {
				break;
			}
		}
		if (wl_display_flush(display) < 0 && errno != EAGAIN) {
			wl_display_cancel_read(display);
			term_tty_restore();
			fprintf(stderr, "pinhole-term: lost the connection to the compositor\n");
			return TERM_EXIT_ERROR;
		}
		struct pollfd fds[3] = {
			{.fd = wl_display_get_fd(display), .events = POLLIN},
			{.fd = signal_fd, .events = POLLIN},
			{.fd = app->tty ? STDIN_FILENO : -1, .events = POLLIN},
		};
		int ret = poll(fds, 3, timeout);
		if (ret < 0 && errno != EINTR) {
			wl_display_cancel_read(display);
			break;
		}
		if (ret > 0 && (fds[0].revents & (POLLIN | POLLHUP | POLLERR))) {
			if (wl_display_read_events(display) < 0) {
				term_tty_restore();
				fprintf(stderr, "pinhole-term: lost the connection to the compositor\n");
				return TERM_EXIT_ERROR;
			}
		} else {
			wl_display_cancel_read(display);
		}
		if (wl_display_dispatch_pending(display) < 0) {
			term_tty_restore();
			fprintf(stderr, "pinhole-term: lost the connection to the compositor\n");
			return TERM_EXIT_ERROR;
		}
		if (ret > 0 && (fds[1].revents & POLLIN)) {
			handle_signal(app, signal_fd);
		}
		if (ret > 0 && (fds[2].revents & (POLLIN | POLLHUP))) {
			read_terminal(app);
		}
	}
	return app->exit_code;
}

int main(int argc, char *argv[]) {
	struct app app = {.running = true, .escape_deadline_ms = -1};
	parse_options(argc, argv, &app.options);
	const char *colorterm = getenv("COLORTERM");
	bool truecolor = colorterm != NULL && (strcmp(colorterm, "truecolor") == 0 ||
		strcmp(colorterm, "24bit") == 0);
	if (app.options.cols == 0 && !isatty(STDOUT_FILENO)) {
		fprintf(stderr, "pinhole-term: stdout is not a terminal; give --size COLSxROWS\n");
		return TERM_EXIT_MISSING;
	}
	if (app.options.log_path != NULL) {
		app.log = fopen(app.options.log_path, "a");
		if (app.log == NULL) {
			fprintf(stderr, "pinhole-term: cannot open %s: %s\n", app.options.log_path,
				strerror(errno));
			return TERM_EXIT_ERROR;
		}
	}

	/* Signals arrive through a signalfd so that every exit goes through cleanup. */
	sigset_t mask;
	sigemptyset(&mask);
	const int handled[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGWINCH};
	for (size_t i = 0; i < sizeof(handled) / sizeof(handled[0]); i++) {
		sigaddset(&mask, handled[i]);
	}
	sigprocmask(SIG_BLOCK, &mask, NULL);
	int signal_fd = signalfd(-1, &mask, SFD_CLOEXEC);
	signal(SIGPIPE, SIG_IGN);

	app.capture = term_capture_create(&app.options.capture);
	if (app.options.capture.control) {
		app.control = term_control_create(app.capture);
		if (app.control == NULL) {
			term_capture_destroy(app.capture);
			return TERM_EXIT_ERROR;
		}
	}
	app.render = term_render_create(STDOUT_FILENO, truecolor);
	if (app.render == NULL || signal_fd < 0) {
		fprintf(stderr, "pinhole-term: out of resources\n");
		return TERM_EXIT_ERROR;
	}
	term_capture_set_handler(app.capture, &(struct term_capture_handler){
		.frame = handle_frame,
		.stopped = handle_stopped,
		.data = &app,
	});
	/* Mouse reports only when they go somewhere: an output under --control. */
	app.tty = term_tty_setup(app.control != NULL && term_capture_output(app.capture) != NULL);
	atexit(term_tty_restore);
	app.cpu_start_ms = cpu_ms();
	if (app.log != NULL) {
		fprintf(app.log, "start pid=%d %s %s\n", (int)getpid(), term_capture_describe(app.capture),
			truecolor ? "truecolor" : "256");
	}
	resize(&app);

	int code = run(&app, signal_fd);

	term_tty_restore();
	if (app.log != NULL) {
		fprintf(app.log, "exit %d frames=%lu bytes=%llu cpu_ms=%.1f\n", code, app.frames,
			app.bytes_total, cpu_ms() - app.cpu_start_ms);
		fclose(app.log);
	}
	if (app.control != NULL) {
		term_control_destroy(app.control);
	}
	term_capture_destroy(app.capture);
	term_render_destroy(app.render);
	free(app.copy);
	close(signal_fd);
	return code;
}
