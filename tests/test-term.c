/*
 * pinhole-term in tmux: the pane's cells (tmux capture-pane -e) against
 * grim's picture of the same output scaled the way docs/terminal.md defines
 * (aspect kept, area average of the pixels under each half cell), after a
 * start, a 64x64 change and a resize; keys (tmux send-keys) and a mouse click
 * (an SGR report typed into the pane) reaching ph-paint --input through
 * --control; 256 colours without COLORTERM; the terminal restored (tmux's
 * view of the pane's modes, stty -g before and after) on Ctrl+Q, SIGTERM and
 * an output that goes away; exit 2 naming what a compositor without the
 * capture protocols lacks; and the same pane and input checks against a
 * headless sway 1.12.
 *
 * The pane of the resized view is drawn into $PH_BUILD_DIR/pinhole-term-pane.png
 * (8x16 pixels per cell) for docs/terminal.md.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <math.h>
#include <png.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "harness.h"

#define BLUE_GREY 0xff2080c0u

#define DEFAULT_COLOUR 0xff000000u /* the terminal's default colour */
#define PALETTE 0x01000000u /* | index: a 256-colour cell */
#define OTHER 0xfe000000u /* a character pinhole-term does not write */

static char tmux_socket[300];
static struct ph_process tmux_server;
static char pane_out[1 << 20];

static int tmux(const char *const *args, char *out, size_t size) {
	const char *argv[160] = {"tmux", "-S", tmux_socket, "-f", "/dev/null"};
	int n = 5;
	for (int i = 0; args[i] != NULL && n < 159; i++) {
		argv[n++] = args[i];
	}
	argv[n] = NULL;
	return ph_run(NULL, argv, 10000, out, size);
}

static bool tmux_start(void) {
	snprintf(tmux_socket, sizeof(tmux_socket), "%s", ph_scratch("tmux.sock"));
	/* -D: the server stays our child, so the harness kills it if the test dies. */
	ph_spawn(NULL, &tmux_server, (const char *[]){"tmux", "-S", tmux_socket, "-f", "/dev/null",
		"-D", NULL}, 0);
	for (int waited = 0; waited < 5000; waited += 50) {
		struct stat st;
		if (stat(tmux_socket, &st) == 0) {
			return true;
		}
		ph_sleep_ms(50);
	}
	return false;
}

static void tmux_stop(void) {
	tmux((const char *[]){"kill-server", NULL}, NULL, 0);
	if (ph_wait(&tmux_server, 5000) < 0) {
		ph_diag("tmux server had to be killed");
	}
}

/*
 * A pane running pinhole-term with args against the compositor whose socket
 * is wayland_display; files NAME.log (pinhole-term --log), NAME.status (its
 * exit status), NAME.before / NAME.after (stty -g around it) in the scratch
 * directory. The pane lives on (cat) after pinhole-term exits.
 */
static bool pane_start(const char *name, const struct ph_compositor *c, int cols, int rows,
		const char *env, const char *args) {
	char cmd[2048], size[32], log[400];
	snprintf(log, sizeof(log), "%s.log", name);
	snprintf(cmd, sizeof(cmd), "stty -g >'%1$s.before'; env %4$s XDG_RUNTIME_DIR='%2$s' "
		"WAYLAND_DISPLAY='%3$s' '%5$s' %6$s --log '%1$s.log'; echo $? >'%1$s.status'; "
		"stty -g >'%1$s.after'; exec cat",
		ph_scratch(name), c->runtime_dir, c->socket, env, ph_path("pinhole-term"), args);
	snprintf(size, sizeof(size), "%d", cols);
	char rows_arg[16];
	snprintf(rows_arg, sizeof(rows_arg), "%d", rows);
	char out[1024];
	int code = tmux((const char *[]){"new-session", "-d", "-s", name, "-x", size, "-y", rows_arg,
		cmd, NULL}, out, sizeof(out));
	if (code != 0) {
		ph_diag("tmux new-session: exit %d: %s", code, out);
	}
	return code == 0;
}

/* The last line of NAME.log starting with prefix, waiting up to timeout_ms for one
 * that comes after the first `skip` of them. */
static bool log_wait(const char *name, const char *prefix, int skip, char *line, size_t size,
		int timeout_ms) {
	char path[400];
	snprintf(path, sizeof(path), "%s.log", ph_scratch(name));
	int64_t deadline = ph_now_ms() + timeout_ms;
	do {
		char *text = ph_read_file(path);
		int seen = 0;
		bool found = false;
		for (char *p = text; p != NULL && *p != '\0';) {
			char *nl = strchr(p, '\n');
			if (nl == NULL) {
				break; /* a line being written */
			}
			if (strncmp(p, prefix, strlen(prefix)) == 0 && seen++ >= skip) {
				snprintf(line, size, "%.*s", (int)(nl - p), p);
				found = true;
			}
			p = nl + 1;
		}
		free(text);
		if (found) {
			return true;
		}
		ph_sleep_ms(30);
	} while (ph_now_ms() < deadline);
	snprintf(line, size, "(no '%s' line)", prefix);
	return false;
}

static long log_field(const char *line, const char *key) {
	const char *p = strstr(line, key);
	return p != NULL ? strtol(p + strlen(key), NULL, 10) : -1;
}

/* The pane's cells, from capture-pane -e -p -N: half-block or space cells. */
struct pane {
	int cols, rows;
	uint32_t top[200][400], bottom[200][400];
	bool truecolor_seen, palette_seen;
};

static void apply_sgr(const char *params, uint32_t *fg, uint32_t *bg, struct pane *pane) {
	long v[32];
	int n = 0;
	const char *p = params;
	while (n < 32) {
		char *end;
		v[n++] = strtol(p, &end, 10);
		if (*end != ';' && *end != ':') {
			break;
		}
		p = end + 1;
	}
	for (int i = 0; i < n; i++) {
		if (v[i] == 0) {
			*fg = *bg = DEFAULT_COLOUR;
		} else if ((v[i] == 38 || v[i] == 48) && i + 1 < n) {
			uint32_t *target = v[i] == 38 ? fg : bg;
			if (v[i + 1] == 2 && i + 4 < n) {
				*target = (uint32_t)(v[i + 2] << 16 | v[i + 3] << 8 | v[i + 4]);
				pane->truecolor_seen = true;
				i += 4;
			} else if (v[i + 1] == 5 && i + 2 < n) {
				*target = PALETTE | (uint32_t)v[i + 2];
				pane->palette_seen = true;
				i += 2;
			}
		} else if (v[i] == 39) {
			*fg = DEFAULT_COLOUR;
		} else if (v[i] == 49) {
			*bg = DEFAULT_COLOUR;
		}
	}
}

static bool pane_capture(const char *name, struct pane *pane) {
	memset(pane, 0, sizeof(*pane));
	int code = tmux((const char *[]){"capture-pane", "-e", "-p", "-N", "-t", name, NULL},
		pane_out, sizeof(pane_out));
	if (code != 0) {
		return false;
	}
	int row = 0;
	for (const char *line = pane_out; *line != '\0' && row < 200; row++) {
		uint32_t fg = DEFAULT_COLOUR, bg = DEFAULT_COLOUR;
		int col = 0;
		const char *p = line;
		while (*p != '\0' && *p != '\n') {
			if (p[0] == '\033' && p[1] == '[') {
				const char *end = p + 2;
				while (*end != '\0' && !(*end >= 0x40 && *end <= 0x7e)) {
					end++;
				}
				if (*end == 'm') {
					char params[200];
					snprintf(params, sizeof(params), "%.*s", (int)(end - p - 2), p + 2);
					apply_sgr(params, &fg, &bg, pane);
				}
				p = *end != '\0' ? end + 1 : end;
				continue;
			}
			uint32_t top, bottom;
			if (strncmp(p, "\xe2\x96\x80", 3) == 0) {
				top = fg;
				bottom = bg;
				p += 3;
			} else if (*p == ' ') {
				top = bottom = bg;
				p++;
			} else {
				top = bottom = OTHER;
				p++;
				while ((*p & 0xc0) == 0x80) {
					p++;
				}
			}
			if (col < 400) {
				pane->top[row][col] = top;
				pane->bottom[row][col] = bottom;
			}
			col++;
		}
		pane->cols = col > pane->cols ? col : pane->cols;
		/* tmux leaves out blank cells at a line's end that were never written. */
		for (; col < 400; col++) {
			pane->top[row][col] = pane->bottom[row][col] = DEFAULT_COLOUR;
		}
		line = *p == '\n' ? p + 1 : p;
	}
	pane->rows = row;
	return true;
}

/* The scaling docs/terminal.md defines, written again from the text. */
static void fit(int w, int h, int cols, int rows, int *out_w, int *out_h) {
	double scale = fmin((double)cols / w, 2.0 * rows / h);
	int ow = (int)floor(w * scale + 0.5), oh = (int)floor(h * scale + 0.5);
	ow = ow < 1 ? 1 : ow > cols ? cols : ow;
	oh = oh > 2 * rows ? 2 * rows : oh;
	oh -= oh % 2;
	*out_w = ow;
	*out_h = oh < 2 ? 2 : oh;
}

static uint32_t area_average(const struct ph_image *image, int out_w, int out_h, int ox, int oy) {
	int x0 = (int)((int64_t)ox * image->width / out_w);
	int x1 = (int)((int64_t)(ox + 1) * image->width / out_w);
	int y0 = (int)((int64_t)oy * image->height / out_h);
	int y1 = (int)((int64_t)(oy + 1) * image->height / out_h);
	x1 = x1 > x0 ? x1 : x0 + 1;
	y1 = y1 > y0 ? y1 : y0 + 1;
	uint64_t r = 0, g = 0, b = 0, n = 0;
	for (int y = y0; y < y1 && y < image->height; y++) {
		for (int x = x0; x < x1 && x < image->width; x++) {
			uint32_t p = ph_image_at(image, x, y);
			r += p >> 16 & 0xff;
			g += p >> 8 & 0xff;
			b += p & 0xff;
			n++;
		}
	}
	return (uint32_t)((r + n / 2) / n << 16 | (g + n / 2) / n << 8 | (b + n / 2) / n);
}

static uint32_t palette_rgb(uint32_t index) {
	static const int levels[6] = {0, 95, 135, 175, 215, 255};
	if (index >= 232) {
		uint32_t v = 8 + 10 * (index - 232);
		return v << 16 | v << 8 | v;
	}
	if (index >= 16) {
		index -= 16;
		return (uint32_t)(levels[index / 36] << 16 | levels[index / 6 % 6] << 8 |
			levels[index % 6]);
	}
	return 0xffffffffu; /* the 16 system colours are never written */
}

static bool near(uint32_t a, uint32_t b, int tolerance) {
	for (int shift = 0; shift <= 16; shift += 8) {
		if (abs((int)(a >> shift & 0xff) - (int)(b >> shift & 0xff)) > tolerance) {
			return false;
		}
	}
	return true;
}

/*
 * Every cell of the scaled picture equals grim's picture averaged the same
 * way (truecolor: exactly; 256 colours: the palette entry within 48 of it);
 * cells right of and below the picture are untouched.
 */
static bool pane_matches(const struct pane *pane, const struct ph_image *image, int cols, int rows,
		bool truecolor, char *why, size_t size) {
	int out_w, out_h;
	fit(image->width, image->height, cols, rows, &out_w, &out_h);
	if (pane->cols > cols || pane->rows < rows) {
		snprintf(why, size, "pane is %dx%d, expected %dx%d", pane->cols, pane->rows, cols, rows);
		return false;
	}
	int wrong = 0;
	for (int row = 0; row < rows; row++) {
		for (int col = 0; col < cols; col++) {
			bool inside = col < out_w && 2 * row < out_h;
			uint32_t want[2] = {DEFAULT_COLOUR, DEFAULT_COLOUR};
			if (inside) {
				want[0] = area_average(image, out_w, out_h, col, 2 * row);
				want[1] = area_average(image, out_w, out_h, col, 2 * row + 1);
			}
			uint32_t got[2] = {pane->top[row][col], pane->bottom[row][col]};
			for (int half = 0; half < 2; half++) {
				bool ok;
				if (!inside || truecolor) {
					ok = got[half] == want[half];
				} else {
					ok = (got[half] & 0xff000000u) == PALETTE &&
						near(palette_rgb(got[half] & 0xff), want[half], 48);
				}
				if (!ok && wrong++ == 0) {
					snprintf(why, size, "cell %d,%d %s: 0x%08x, expected 0x%08x%s", col,
						row, half == 0 ? "top" : "bottom", got[half], want[half],
						truecolor ? "" : " (or its nearest palette colour)");
				}
			}
		}
	}
	if (wrong == 0) {
		snprintf(why, size, "%dx%d half-cell picture in %dx%d cells", out_w, out_h, cols, rows);
	} else {
		size_t len = strlen(why);
		snprintf(why + len, size - len, "; %d wrong halves", wrong);
	}
	return wrong == 0;
}

/* Whether grim paints the cursor (-c), as pinhole-term --cursor asks. */
static bool grim_cursor;

static bool grim(const struct ph_compositor *c, const char *file, struct ph_image *image) {
	char out[1024];
	const char *argv[] = {"grim", ph_scratch(file), NULL, NULL};
	if (grim_cursor) {
		argv[1] = "-c";
		argv[2] = ph_scratch(file);
	}
	int code = ph_run((struct ph_compositor *)c, argv, 10000, out, sizeof(out));
	if (code != 0) {
		ph_diag("grim exit %d: %s", code, out);
		return false;
	}
	return ph_image_load(ph_scratch(file), image);
}

/*
 * grim, then the pane until it shows the same (tmux draws asynchronously);
 * with crop_w > 0 only the top-left crop_w x crop_h of grim's picture (a
 * window there).
 */
static bool pane_shows_part(const struct ph_compositor *c, const char *name, int cols, int rows,
		bool truecolor, int crop_w, int crop_h, struct pane *pane, char *why, size_t size) {
	struct ph_image image;
	if (!grim(c, "screen.png", &image)) {
		snprintf(why, size, "grim failed");
		return false;
	}
	if (crop_w > 0 && crop_w <= image.width && crop_h <= image.height) {
		for (int y = 0; y < crop_h; y++) {
			memmove(image.pixels + (size_t)y * crop_w, image.pixels + (size_t)y * image.width,
				(size_t)crop_w * 4);
		}
		image.width = crop_w;
		image.height = crop_h;
	}
	bool ok = false;
	int64_t deadline = ph_now_ms() + 5000;
	do {
		ok = pane_capture(name, pane) &&
			pane_matches(pane, &image, cols, rows, truecolor, why, size);
		if (!ok) {
			ph_sleep_ms(50);
		}
	} while (!ok && ph_now_ms() < deadline);
	ph_image_finish(&image);
	return ok;
}

static bool pane_shows_screen(const struct ph_compositor *c, const char *name, int cols, int rows,
		bool truecolor, struct pane *pane, char *why, size_t size) {
	return pane_shows_part(c, name, cols, rows, truecolor, 0, 0, pane, why, size);
}

static bool next_input(struct ph_process *paint, char *line, size_t size) {
	int64_t deadline = ph_now_ms() + 5000;
	while (ph_now_ms() < deadline) {
		if (!ph_read_line(paint, line, size, (int)(deadline - ph_now_ms()))) {
			break;
		}
		if (strncmp(line, "pointer-", 8) == 0 || strncmp(line, "key ", 4) == 0) {
			return true;
		}
	}
	snprintf(line, size, "(nothing)");
	return false;
}

static void expect_inputs(const char *who, const char *what, struct ph_process *paint,
		const char *const *expected) {
	char line[256];
	for (int i = 0; expected[i] != NULL; i++) {
		bool got = next_input(paint, line, sizeof(line));
		ph_ok(got && strcmp(line, expected[i]) == 0, "%s: %s: the client gets '%s' (got '%s')",
			who, what, expected[i], line);
	}
}

/* The pointer at (x, y) on the window: entering it, or moving in it when already there. */
static void expect_position(const char *who, const char *what, struct ph_process *paint, int x,
		int y) {
	char line[256], enter[64], motion[64];
	snprintf(enter, sizeof(enter), "pointer-enter main %d.00 %d.00", x, y);
	snprintf(motion, sizeof(motion), "pointer-motion %d.00 %d.00", x, y);
	bool got = next_input(paint, line, sizeof(line));
	ph_ok(got && (strcmp(line, enter) == 0 || strcmp(line, motion) == 0),
		"%s: %s: the pointer is at %d,%d on the window (got '%s')", who, what, x, y, line);
}

/* A left click on a 0-based cell as the terminal reports it (SGR 1006). */
static void click(const char *name, int col, int row) {
	char press[64], release[64];
	snprintf(press, sizeof(press), "\033[<0;%d;%dM", col + 1, row + 1);
	snprintf(release, sizeof(release), "\033[<0;%d;%dm", col + 1, row + 1);
	char hex[2][64][4];
	const char *argv[140] = {"send-keys", "-t", name, "-H"};
	int n = 4;
	const char *seqs[2] = {press, release};
	for (int s = 0; s < 2; s++) {
		for (int i = 0; seqs[s][i] != '\0' && i < 64; i++) {
			snprintf(hex[s][i], sizeof(hex[s][i]), "%02x", (unsigned char)seqs[s][i]);
			argv[n++] = hex[s][i];
		}
	}
	argv[n] = NULL;
	tmux(argv, NULL, 0);
}

/* The pixel pinhole-term maps a cell's centre to (docs/terminal.md). */
static void cell_centre(int w, int h, int cols, int rows, int col, int row, int *x, int *y) {
	int out_w, out_h;
	fit(w, h, cols, rows, &out_w, &out_h);
	*x = (int)((int64_t)(2 * col + 1) * w / (2 * out_w));
	*y = (int)((int64_t)(2 * row + 1) * h / out_h);
}

/* Once pinhole-term has exited: its status, and the terminal as it found it. */
static void check_restored(const char *who, const char *name, int expected_status) {
	char path[400], status_path[400];
	snprintf(status_path, sizeof(status_path), "%s.status", ph_scratch(name));
	char *status = NULL;
	for (int waited = 0; waited < 5000; waited += 50) {
		snprintf(path, sizeof(path), "%s.after", ph_scratch(name));
		struct stat st;
		if (stat(path, &st) == 0 && st.st_size > 0) {
			status = ph_read_file(status_path);
			break;
		}
		ph_sleep_ms(50);
	}
	int code = status != NULL ? atoi(status) : -1;
	ph_ok(status != NULL && code == expected_status, "%s: pinhole-term exited %d (expected %d)",
		who, code, expected_status);
	free(status);
	snprintf(path, sizeof(path), "%s.before", ph_scratch(name));
	char *before = ph_read_file(path);
	snprintf(path, sizeof(path), "%s.after", ph_scratch(name));
	char *after = ph_read_file(path);
	ph_ok(before != NULL && after != NULL && strcmp(before, after) == 0,
		"%s: the terminal's modes (stty -g) are as before", who);
	free(before);
	free(after);
	char modes[256] = "";
	tmux((const char *[]){"display-message", "-p", "-t", name,
		"#{alternate_on} #{cursor_flag} #{mouse_any_flag} #{mouse_sgr_flag}", NULL}, modes,
		sizeof(modes));
	modes[strcspn(modes, "\n")] = '\0';
	ph_ok(strcmp(modes, "0 1 0 0") == 0, "%s: main screen, cursor shown, mouse reports off "
		"(alternate cursor any-mouse sgr: %s)", who, modes);
}

static void write_pane_png(const struct pane *pane, int cols, int rows) {
	const char *build = getenv("PH_BUILD_DIR");
	if (build == NULL) {
		return;
	}
	char path[600];
	snprintf(path, sizeof(path), "%s/pinhole-term-pane.png", build);
	int w = cols * 8, h = rows * 16;
	uint32_t *pixels = calloc((size_t)w * h, 4);
	for (int row = 0; row < rows; row++) {
		for (int col = 0; col < cols; col++) {
			for (int y = 0; y < 16; y++) {
				uint32_t c = y < 8 ? pane->top[row][col] : pane->bottom[row][col];
				c = (c & 0xff000000u) != 0 ? 0 : c; /* default colour: black */
				for (int x = 0; x < 8; x++) {
					pixels[(row * 16 + y) * w + col * 8 + x] = 0xff000000u | c;
				}
			}
		}
	}
	png_image png = {.version = PNG_IMAGE_VERSION, .width = (png_uint_32)w,
		.height = (png_uint_32)h, .format = PNG_FORMAT_BGRA};
	bool ok = png_image_write_to_file(&png, path, 0, pixels, 0, NULL);
	ph_diag("pane picture %s: %s", ok ? "written to" : "NOT written to", path);
	free(pixels);
}

static void test_usage(void) {
	char out[4096];
	int code = ph_run(NULL, (const char *[]){ph_path("pinhole-term"), "-h", NULL}, 5000, out,
		sizeof(out));
	ph_ok(code == 0 && strncmp(out, "usage: pinhole-term [-o OUTPUT] [-t APP_ID|TITLE] "
		"[--control] [--fps N] [--cursor]", 79) == 0, "-h prints the usage (exit %d)", code);
}

static void test_missing(void) {
	struct ph_compositor c;
	if (!ph_compositor_start(&c, (const char *[]){"--no-ext-capture", NULL})) {
		ph_ok(false, "compositor without ext capture started");
		return;
	}
	char out[4096];
	int code = ph_run(&c, (const char *[]){ph_path("pinhole-term"), "--size", "80x24", NULL},
		5000, out, sizeof(out));
	const char *nl = strchr(out, '\n');
	bool one_line = nl != NULL && nl[1] == '\0';
	ph_ok(code == 2 && one_line && strstr(out, "ext_image_copy_capture_manager_v1") != NULL &&
		strstr(out, "ext_output_image_capture_source_manager_v1") != NULL,
		"--no-ext-capture: exit %d, one line naming the missing globals: %s", code, out);
	ph_compositor_finish(&c);
}

static void test_pinhole(void) {
	const char *who = "pinhole";
	struct ph_compositor c;
	if (!ph_compositor_start(&c, (const char *[]){"--mode", "640x480", NULL})) {
		ph_ok(false, "compositor started");
		return;
	}
	char line[256] = "", why[400];
	struct ph_process paint;
	ph_spawn(&c, &paint, (const char *[]){ph_path("ph-paint"), "--input", "--pattern", "quad",
		"--size", "320x240", "--app-id", "term-test", "--cursor", "0x0+32x32:0xffff00ff", NULL},
		PH_PIPE_STDIN | PH_PIPE_STDOUT);
	ph_ok(ph_expect_line(&paint, "ready", line, sizeof(line), 5000), "client mapped: %s", line);

	/* Truecolor, with --control. */
	const char *name = "main";
	bool started = pane_start(name, &c, 80, 24, "COLORTERM=truecolor", "--control");
	struct pane *pane = malloc(sizeof(*pane));
	bool first = started && log_wait(name, "frame ", 0, line, sizeof(line), 10000);
	long full_bytes = log_field(line, "bytes=");
	ph_ok(first, "%s: first frame drawn (%s)", who, line);
	snprintf(why, sizeof(why), "no frame");
	ph_ok(first && pane_shows_screen(&c, name, 80, 24, true, pane, why, sizeof(why)),
		"%s: 80x24 pane: every cell is grim's picture scaled by area average (%s)", who, why);

	/* A 64x64 change, not on cell boundaries: mixed cells test the averaging. */
	ph_write_line(&paint, "rect 101 103 64 64 0x%08x", BLUE_GREY);
	bool changed = ph_expect_line(&paint, "ok", line, sizeof(line), 5000);
	bool drawn = changed && log_wait(name, "frame ", 1, line, sizeof(line), 5000);
	long small_bytes = log_field(line, "bytes=");
	snprintf(why, sizeof(why), "not drawn: %s", line);
	ph_ok(drawn && pane_shows_screen(&c, name, 80, 24, true, pane, why, sizeof(why)),
		"%s: a 64x64 change appears in the pane (%s)", who, why);
	ph_ok(drawn && small_bytes > 0 && full_bytes > 0 && small_bytes * 5 < full_bytes,
		"%s: the change cost %ld bytes, the first full frame %ld (%s)", who, small_bytes,
		full_bytes, line);
	ph_diag("bytes written: full first frame %ld, 64x64 change %ld (%.1f%%)", full_bytes,
		small_bytes, full_bytes > 0 ? 100.0 * small_bytes / full_bytes : 0.0);

	/* Keys: plain, shifted (through the keymap's second level), Ctrl. */
	tmux((const char *[]){"send-keys", "-t", name, "a", NULL}, NULL, 0);
	expect_inputs(who, "send-keys a", &paint, (const char *[]){"key 30 pressed a",
		"key 30 released a", NULL});
	tmux((const char *[]){"send-keys", "-t", name, "A", NULL}, NULL, 0);
	expect_inputs(who, "send-keys A", &paint, (const char *[]){"key 42 pressed Shift_L",
		"key 30 pressed A", "key 30 released A", "key 42 released Shift_L", NULL});
	tmux((const char *[]){"send-keys", "-t", name, "Enter", NULL}, NULL, 0);
	expect_inputs(who, "send-keys Enter", &paint, (const char *[]){"key 28 pressed Return",
		"key 28 released Return", NULL});
	tmux((const char *[]){"send-keys", "-t", name, "Left", NULL}, NULL, 0);
	expect_inputs(who, "send-keys Left", &paint, (const char *[]){"key 105 pressed Left",
		"key 105 released Left", NULL});

	/* A click on cell (11, 6): the pointer lands on that cell's centre. */
	int x, y;
	cell_centre(640, 480, 80, 24, 11, 6, &x, &y);
	char enter[64];
	snprintf(enter, sizeof(enter), "pointer-enter main %d.00 %d.00", x, y);
	click(name, 11, 6);
	expect_inputs(who, "click on cell 11,6", &paint, (const char *[]){enter,
		"pointer-button 272 pressed", "pointer-button 272 released", NULL});

	/* Resize: redrawn at the new scale without waiting for the screen to change. */
	tmux((const char *[]){"resize-window", "-t", name, "-x", "160", "-y", "48", NULL}, NULL, 0);
	bool resized = log_wait(name, "size 160x48", 0, line, sizeof(line), 5000) &&
		log_wait(name, "redraw ", 0, line, sizeof(line), 5000);
	snprintf(why, sizeof(why), "no redraw: %s", line);
	ph_ok(resized && pane_shows_screen(&c, name, 160, 48, true, pane, why, sizeof(why)),
		"%s: resized to 160x48, re-scaled (%s)", who, why);
	if (resized) {
		write_pane_png(pane, 160, 48);
	}
	cell_centre(640, 480, 160, 48, 30, 20, &x, &y);
	snprintf(enter, sizeof(enter), "pointer-motion %d.00 %d.00", x, y);
	click(name, 30, 20);
	expect_inputs(who, "click on cell 30,20 after the resize", &paint, (const char *[]){enter,
		"pointer-button 272 pressed", "pointer-button 272 released", NULL});

	tmux((const char *[]){"send-keys", "-t", name, "C-q", NULL}, NULL, 0);
	check_restored("Ctrl+Q", name, 0);

	/* One window (-t APP_ID): the window's 320x240 at the screen's top-left, alone. */
	name = "window";
	started = pane_start(name, &c, 80, 24, "COLORTERM=truecolor", "-t term-test");
	first = started && log_wait(name, "frame ", 0, line, sizeof(line), 10000);
	snprintf(why, sizeof(why), "no frame: %s", line);
	ph_ok(first && strstr(line, " 320x240 ") != NULL &&
		pane_shows_part(&c, name, 80, 24, true, 320, 240, pane, why, sizeof(why)),
		"%s: -t term-test: the window alone, scaled (%s)", who, why);
	tmux((const char *[]){"send-keys", "-t", name, "C-q", NULL}, NULL, 0);
	check_restored("-t: Ctrl+Q", name, 0);

	/*
	 * --cursor: the pointer is still where the last click left it, on the
	 * window, which sets a 32x32 magenta cursor; the pane matches grim -c.
	 */
	struct ph_image painted;
	grim_cursor = true;
	bool have_cursor = grim(&c, "cursor.png", &painted);
	ph_ok(have_cursor && ph_image_at(&painted, x + 16, y + 16) == 0xffff00ffu,
		"grim -c shows the client's cursor at %d,%d", x, y);
	if (have_cursor) {
		ph_image_finish(&painted);
	}
	name = "cursor";
	started = pane_start(name, &c, 80, 24, "COLORTERM=truecolor", "--cursor");
	first = started && log_wait(name, "frame ", 0, line, sizeof(line), 10000);
	snprintf(why, sizeof(why), "no frame: %s", line);
	ph_ok(first && pane_shows_screen(&c, name, 80, 24, true, pane, why, sizeof(why)),
		"%s: --cursor: the pane is grim -c's picture, cursor included (%s)", who, why);
	grim_cursor = false;
	tmux((const char *[]){"send-keys", "-t", name, "C-q", NULL}, NULL, 0);
	check_restored("--cursor: Ctrl+Q", name, 0);

	/* A turned output: drawn upright, as grim turns it by the frame's transform. */
	char randr[512];
	int code = ph_run(&c, (const char *[]){"wlr-randr", "--output", "HEADLESS-1", "--transform",
		"90", NULL}, 10000, randr, sizeof(randr));
	ph_ok(code == 0, "wlr-randr turns HEADLESS-1 by 90 degrees (%d %s)", code, randr);
	name = "turned";
	started = pane_start(name, &c, 80, 24, "COLORTERM=truecolor", "");
	first = started && log_wait(name, "frame ", 0, line, sizeof(line), 10000);
	snprintf(why, sizeof(why), "no frame: %s", line);
	ph_ok(first && strstr(line, " 480x640 ") != NULL &&
		pane_shows_screen(&c, name, 80, 24, true, pane, why, sizeof(why)),
		"%s: turned 90 degrees: a 480x640 picture, upright like grim's (%s)", who, why);
	tmux((const char *[]){"send-keys", "-t", name, "C-q", NULL}, NULL, 0);
	check_restored("turned: Ctrl+Q", name, 0);
	code = ph_run(&c, (const char *[]){"wlr-randr", "--output", "HEADLESS-1", "--transform",
		"normal", NULL}, 10000, randr, sizeof(randr));
	ph_ok(code == 0, "wlr-randr turns HEADLESS-1 back (%d %s)", code, randr);

	/* 256 colours: no COLORTERM. Then SIGTERM. */
	name = "colours";
	started = pane_start(name, &c, 80, 24, "-u COLORTERM", "");
	first = started && log_wait(name, "frame ", 0, line, sizeof(line), 10000);
	snprintf(why, sizeof(why), "no frame: %s", line);
	ph_ok(first && pane_shows_screen(&c, name, 80, 24, false, pane, why, sizeof(why)) &&
		pane->palette_seen && !pane->truecolor_seen,
		"%s: without COLORTERM, 256-colour cells near grim's averages (%s)", who, why);
	char start[256];
	long pid = log_wait(name, "start ", 0, start, sizeof(start), 1000) ?
		log_field(start, "pid=") : -1;
	ph_ok(pid > 0 && kill((pid_t)pid, SIGTERM) == 0, "SIGTERM sent to pinhole-term %ld", pid);
	check_restored("SIGTERM", name, 128 + SIGTERM);

	/* The output goes away (pinhole's SIGUSR2 removes the last output). */
	name = "gone";
	started = pane_start(name, &c, 80, 24, "COLORTERM=truecolor", "--control");
	first = started && log_wait(name, "frame ", 0, line, sizeof(line), 10000);
	ph_ok(first, "output removal: pinhole-term showing HEADLESS-1 (%s)", line);
	kill(c.pid, SIGUSR2);
	check_restored("output removed", name, 3);
	bool message = false;
	for (int waited = 0; waited < 3000 && !message; waited += 50) {
		tmux((const char *[]){"capture-pane", "-p", "-t", name, NULL}, pane_out,
			sizeof(pane_out));
		message = strstr(pane_out, "pinhole-term: output HEADLESS-1 went away\n") != NULL;
		if (!message) {
			ph_sleep_ms(50);
		}
	}
	ph_ok(message, "output removed: the terminal says 'pinhole-term: output HEADLESS-1 went "
		"away'");

	free(pane);
	ph_write_line(&paint, "quit");
	ph_wait(&paint, 3000);
	ph_compositor_finish(&c);
}

static bool find_socket(const char *dir, char *out, size_t size) {
	DIR *d = opendir(dir);
	if (d == NULL) {
		return false;
	}
	bool found = false;
	struct dirent *entry;
	while (!found && (entry = readdir(d)) != NULL) {
		size_t len = strlen(entry->d_name);
		if (strncmp(entry->d_name, "wayland-", 8) == 0 && len < size &&
				(len < 5 || strcmp(entry->d_name + len - 5, ".lock") != 0)) {
			memcpy(out, entry->d_name, len + 1);
			found = true;
		}
	}
	closedir(d);
	return found;
}

/* The same viewer against sway 1.12: nothing in it is pinhole's. */
static void test_sway(void) {
	const char *who = "sway";
	struct ph_compositor sway = {0};
	snprintf(sway.runtime_dir, sizeof(sway.runtime_dir), "%s", ph_scratch("sway-runtime"));
	mkdir(sway.runtime_dir, 0700);
	FILE *config = fopen(ph_scratch("sway.config"), "w");
	if (config == NULL) {
		ph_ok(false, "sway: config written");
		return;
	}
	fprintf(config, "output HEADLESS-1 resolution 800x600 position 0 0\n"
		"default_border none\nxwayland disable\nfocus_follows_mouse no\n");
	fclose(config);
	char cmd[1024], log[300];
	snprintf(log, sizeof(log), "%s", ph_scratch("sway.log"));
	snprintf(cmd, sizeof(cmd), "exec env -u WAYLAND_DISPLAY -u DISPLAY XDG_RUNTIME_DIR='%s' "
		"WLR_BACKENDS=headless WLR_RENDERER=pixman WLR_LIBINPUT_NO_DEVICES=1 "
		"sway -c '%s' >'%s' 2>&1", sway.runtime_dir, ph_scratch("sway.config"), log);
	struct ph_process sway_process;
	ph_spawn(NULL, &sway_process, (const char *[]){"sh", "-c", cmd, NULL}, 0);
	bool up = false;
	for (int waited = 0; waited < 10000 && !up; waited += 50) {
		up = find_socket(sway.runtime_dir, sway.socket, sizeof(sway.socket));
		if (!up) {
			ph_sleep_ms(50);
		}
	}
	ph_ok(up, "sway 1.12 (headless) is listening (%s)", sway.socket);
	if (!up) {
		ph_dump_tail("sway log", log, 1800);
		ph_kill(&sway_process);
		return;
	}

	char line[256] = "", why[400];
	struct ph_process paint;
	ph_spawn(&sway, &paint, (const char *[]){ph_path("ph-paint"), "--input", "--pattern", "quad",
		"--size", "800x600", "--app-id", "term-test", NULL}, PH_PIPE_STDIN | PH_PIPE_STDOUT);
	ph_ok(ph_expect_line(&paint, "ready", line, sizeof(line), 5000), "sway: client mapped: %s",
		line);
	const char *name = "sway";
	bool started = pane_start(name, &sway, 80, 24, "COLORTERM=truecolor", "--control");
	bool first = started && log_wait(name, "frame ", 0, line, sizeof(line), 10000);
	ph_ok(first, "%s: first frame drawn (%s)", who, line);
	struct pane *pane = malloc(sizeof(*pane));
	snprintf(why, sizeof(why), "no frame");
	ph_ok(first && pane_shows_screen(&sway, name, 80, 24, true, pane, why, sizeof(why)),
		"%s: 80x24 pane: grim's picture of sway scaled by area average (%s)", who, why);
	ph_write_line(&paint, "rect 101 103 64 64 0x%08x", BLUE_GREY);
	bool changed = ph_expect_line(&paint, "ok", line, sizeof(line), 5000);
	snprintf(why, sizeof(why), "client did not redraw");
	ph_ok(changed && pane_shows_screen(&sway, name, 80, 24, true, pane, why, sizeof(why)),
		"%s: a 64x64 change appears in the pane (%s)", who, why);
	free(pane);

	tmux((const char *[]){"send-keys", "-t", name, "a", NULL}, NULL, 0);
	expect_inputs(who, "send-keys a", &paint, (const char *[]){"key 30 pressed a",
		"key 30 released a", NULL});
	int x, y;
	cell_centre(800, 600, 80, 24, 11, 6, &x, &y);
	/* sway's pointer starts in the middle of the output, on the window already. */
	click(name, 11, 6);
	expect_position(who, "click on cell 11,6", &paint, x, y);
	expect_inputs(who, "click on cell 11,6", &paint, (const char *[]){
		"pointer-button 272 pressed", "pointer-button 272 released", NULL});
	tmux((const char *[]){"send-keys", "-t", name, "C-q", NULL}, NULL, 0);
	check_restored("sway: Ctrl+Q", name, 0);

	ph_write_line(&paint, "quit");
	ph_wait(&paint, 3000);
	kill(sway_process.pid, SIGTERM);
	int code = ph_wait(&sway_process, 5000);
	if (code != 0) {
		ph_diag("sway exit status %d", code);
	}
}

int main(int argc, char *argv[]) {
	/* Under meson's 150 s: the harness, not meson, ends a hung run, and kills tmux. */
	ph_init(argc, argv, 120);
	test_usage();
	test_missing();
	if (!tmux_start()) {
		ph_ok(false, "tmux server started");
		return ph_finish();
	}
	test_pinhole();
	test_sway();
	tmux_stop();
	return ph_finish();
}
