/*
 * Half-block rendering: each terminal cell shows two pixels of the scaled
 * picture, the upper one as the foreground of U+2580 (upper half block), the
 * lower one as the background (a plain space when both are equal). The
 * picture is scaled by area average to fit the terminal with its aspect kept.
 *
 * Only cells that a frame's damage touches are recomputed, and only those
 * whose colour changed are written: the terminal is assumed to keep what we
 * wrote, so the last written colours are the diff's reference.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "term.h"

/* Not a colour either mode produces: forces the cell (or SGR state) out. */
#define UNKNOWN 0xff000000u

struct term_render {
	int fd;
	bool truecolor;
	int cols, rows; /* the terminal */
	bool redraw; /* size changed: clear and write every cell */
	uint32_t pic_w, pic_h; /* the picture the layout is for */
	int out_w, out_h; /* the scaled picture, in half-cell pixels */
	uint32_t *top, *bottom; /* what each cell shows, cols * rows */
	bool *dirty;
	char *out;
	size_t out_len, out_cap;
	int cur_col, cur_row; /* where the terminal's cursor is, -1: unknown */
	uint32_t cur_fg, cur_bg;
};

void term_fit(uint32_t width, uint32_t height, int cols, int rows, int *out_w, int *out_h) {
	double scale = fmin((double)cols / width, 2.0 * rows / height);
	int w = (int)floor(width * scale + 0.5), h = (int)floor(height * scale + 0.5);
	w = w < 1 ? 1 : w > cols ? cols : w;
	h = h > 2 * rows ? 2 * rows : h;
	/* Whole cells: the lower half of a last odd row would show nothing. */
	h &= ~1;
	*out_w = w;
	*out_h = h < 2 ? 2 : h;
}

struct term_render *term_render_create(int out_fd, bool truecolor) {
	struct term_render *render = calloc(1, sizeof(*render));
	if (render == NULL) {
		return NULL;
	}
	render->fd = out_fd;
	render->truecolor = truecolor;
	render->redraw = true;
	return render;
}

void term_render_destroy(struct term_render *render) {
	free(render->top);
	free(render->bottom);
	free(render->dirty);
	free(render->out);
	free(render);
}

void term_render_resize(struct term_render *render, int cols, int rows) {
	render->cols = cols > 0 ? cols : 1;
	render->rows = rows > 0 ? rows : 1;
	render->redraw = true;
}

static void append(struct term_render *render, const char *s, size_t len) {
	if (render->out_len + len > render->out_cap) {
		size_t cap = render->out_cap * 2 + len + 4096;
		char *out = realloc(render->out, cap);
		if (out == NULL) {
			return; /* dropped; the next full redraw repairs it */
		}
		render->out = out;
		render->out_cap = cap;
	}
	memcpy(render->out + render->out_len, s, len);
	render->out_len += len;
}

static void appendf(struct term_render *render, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void appendf(struct term_render *render, const char *fmt, ...) {
	char buf[64];
	va_list args;
	va_start(args, fmt);
	int n = vsnprintf(buf, sizeof(buf), fmt, args);
	va_end(args);
	if (n > 0) {
		append(render, buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
	}
}

/* The xterm 256-colour palette: a 6x6x6 cube (levels 0, 95, 135, ..., 255)
 * and 24 greys (8, 18, ..., 238); the nearer of the two candidates wins. */
static int cube_level(int v) {
	return v < 48 ? 0 : v < 115 ? 1 : (v - 35) / 40;
}

static uint32_t to_256(uint32_t rgb) {
	int r = (int)(rgb >> 16 & 0xff), g = (int)(rgb >> 8 & 0xff), b = (int)(rgb & 0xff);
	static const int levels[6] = {0, 95, 135, 175, 215, 255};
	int ri = cube_level(r), gi = cube_level(g), bi = cube_level(b);
	int cr = levels[ri], cg = levels[gi], cb = levels[bi];
	int cube_dist = (r - cr) * (r - cr) + (g - cg) * (g - cg) + (b - cb) * (b - cb);
	int average = (r + g + b) / 3;
	int gi2 = average > 238 ? 23 : average < 8 ? 0 : (average - 8 + 5) / 10;
	gi2 = gi2 > 23 ? 23 : gi2;
	int grey = 8 + 10 * gi2;
	int grey_dist = (r - grey) * (r - grey) + (g - grey) * (g - grey) + (b - grey) * (b - grey);
	if (grey_dist < cube_dist) {
		return (uint32_t)(232 + gi2);
	}
	return (uint32_t)(16 + 36 * ri + 6 * gi + bi);
}

/* The area average of the source pixels under half-cell pixel (ox, oy). */
static uint32_t average(const struct term_render *render, const struct term_picture *picture,
		int ox, int oy) {
	uint32_t w = picture->width, h = picture->height;
	uint32_t x0 = (uint32_t)((uint64_t)ox * w / (uint32_t)render->out_w);
	uint32_t x1 = (uint32_t)((uint64_t)(ox + 1) * w / (uint32_t)render->out_w);
	uint32_t y0 = (uint32_t)((uint64_t)oy * h / (uint32_t)render->out_h);
	uint32_t y1 = (uint32_t)((uint64_t)(oy + 1) * h / (uint32_t)render->out_h);
	x1 = x1 > x0 ? x1 : x0 + 1;
	y1 = y1 > y0 ? y1 : y0 + 1;
	x1 = x1 < w ? x1 : w;
	y1 = y1 < h ? y1 : h;
	uint64_t sum[3] = {0, 0, 0};
	for (uint32_t y = y0; y < y1; y++) {
		const uint8_t *p = picture->data + (size_t)y * picture->stride + (size_t)x0 * 4;
		for (uint32_t x = x0; x < x1; x++, p += 4) {
			sum[0] += p[0];
			sum[1] += p[1];
			sum[2] += p[2];
		}
	}
	uint64_t n = (uint64_t)(x1 - x0) * (y1 - y0);
	uint32_t c0 = (uint32_t)((sum[0] + n / 2) / n), c1 = (uint32_t)((sum[1] + n / 2) / n),
		c2 = (uint32_t)((sum[2] + n / 2) / n);
	/* Memory order B,G,R (xRGB little-endian) or R,G,B (xBGR). */
	uint32_t rgb = picture->bgr ? c0 << 16 | c1 << 8 | c2 : c2 << 16 | c1 << 8 | c0;
	return render->truecolor ? rgb : to_256(rgb);
}

static void set_colour(struct term_render *render, bool foreground, uint32_t colour) {
	uint32_t *current = foreground ? &render->cur_fg : &render->cur_bg;
	if (*current == colour) {
		return;
	}
	*current = colour;
	if (render->truecolor) {
		appendf(render, "\033[%d;2;%u;%u;%um", foreground ? 38 : 48, colour >> 16 & 0xff,
			colour >> 8 & 0xff, colour & 0xff);
	} else {
		appendf(render, "\033[%d;5;%um", foreground ? 38 : 48, colour);
	}
}

static void write_cell(struct term_render *render, int col, int row, uint32_t top,
		uint32_t bottom) {
	if (render->cur_col != col || render->cur_row != row) {
		appendf(render, "\033[%d;%dH", row + 1, col + 1);
	}
	if (top == bottom) {
		set_colour(render, false, top);
		append(render, " ", 1);
	} else {
		set_colour(render, true, top);
		set_colour(render, false, bottom);
		append(render, "\xe2\x96\x80", 3); /* U+2580 UPPER HALF BLOCK */
	}
	/* After the last column the cursor waits to wrap: move explicitly next time. */
	render->cur_col = col + 1 < render->cols ? col + 1 : -1;
	render->cur_row = row;
}

static bool flush(struct term_render *render) {
	size_t done = 0;
	while (done < render->out_len) {
		ssize_t n = write(render->fd, render->out + done, render->out_len - done);
		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n <= 0) {
			return false;
		}
		done += (size_t)n;
	}
	return true;
}

static bool relayout(struct term_render *render, const struct term_picture *picture) {
	size_t n = (size_t)render->cols * render->rows;
	free(render->top);
	free(render->bottom);
	free(render->dirty);
	render->top = malloc(n * sizeof(uint32_t));
	render->bottom = malloc(n * sizeof(uint32_t));
	render->dirty = calloc(n, sizeof(bool));
	if (render->top == NULL || render->bottom == NULL || render->dirty == NULL) {
		return false;
	}
	for (size_t i = 0; i < n; i++) {
		render->top[i] = render->bottom[i] = UNKNOWN;
	}
	render->pic_w = picture->width;
	render->pic_h = picture->height;
	term_fit(picture->width, picture->height, render->cols, render->rows, &render->out_w,
		&render->out_h);
	render->redraw = false;
	/* Default colours, cleared screen: cells outside the picture stay blank. */
	append(render, "\033[0m\033[2J", 8);
	render->cur_fg = render->cur_bg = UNKNOWN;
	render->cur_col = render->cur_row = -1;
	return true;
}

bool term_render_update(struct term_render *render, const struct term_picture *picture,
		const struct term_rect *damage, int n_damage, struct term_render_stats *stats) {
	*stats = (struct term_render_stats){0};
	render->out_len = 0;
	append(render, "\033[?2026h", 8); /* synchronized update, where supported */
	struct term_rect full = {0, 0, (int32_t)picture->width, (int32_t)picture->height};
	if (render->redraw || render->pic_w != picture->width || render->pic_h != picture->height) {
		if (!relayout(render, picture)) {
			return false;
		}
		damage = &full;
		n_damage = 1;
	}
	int64_t w = picture->width, h = picture->height;
	int cell_rows = render->out_h / 2;
	int min_col = render->out_w, max_col = 0, min_row = cell_rows, max_row = 0;
	for (int i = 0; i < n_damage; i++) {
		const struct term_rect *r = &damage[i];
		int64_t x0 = r->x < 0 ? 0 : r->x, y0 = r->y < 0 ? 0 : r->y;
		int64_t x1 = (int64_t)r->x + r->width, y1 = (int64_t)r->y + r->height;
		x1 = x1 > w ? w : x1;
		y1 = y1 > h ? h : y1;
		if (x0 >= x1 || y0 >= y1) {
			continue;
		}
		/* Half-cell pixels whose source span meets the rectangle, one spare each side. */
		int c0 = (int)(x0 * render->out_w / w) - 1, c1 = (int)(x1 * render->out_w / w) + 1;
		int p0 = (int)(y0 * render->out_h / h) - 1, p1 = (int)(y1 * render->out_h / h) + 1;
		c0 = c0 < 0 ? 0 : c0;
		c1 = c1 >= render->out_w ? render->out_w - 1 : c1;
		int r0 = p0 < 0 ? 0 : p0 / 2, r1 = p1 / 2 >= cell_rows ? cell_rows - 1 : p1 / 2;
		for (int row = r0; row <= r1; row++) {
			for (int col = c0; col <= c1; col++) {
				render->dirty[row * render->cols + col] = true;
			}
		}
		min_col = c0 < min_col ? c0 : min_col;
		max_col = c1 > max_col ? c1 : max_col;
		min_row = r0 < min_row ? r0 : min_row;
		max_row = r1 > max_row ? r1 : max_row;
	}
	for (int row = min_row; row <= max_row; row++) {
		for (int col = min_col; col <= max_col; col++) {
			size_t i = (size_t)row * render->cols + col;
			if (!render->dirty[i]) {
				continue;
			}
			render->dirty[i] = false;
			uint32_t top = average(render, picture, col, 2 * row);
			uint32_t bottom = average(render, picture, col, 2 * row + 1);
			if (top == render->top[i] && bottom == render->bottom[i]) {
				continue;
			}
			render->top[i] = top;
			render->bottom[i] = bottom;
			write_cell(render, col, row, top, bottom);
			stats->cells++;
		}
	}
	if (render->out_len == 8) {
		return true; /* nothing changed on screen: write nothing */
	}
	append(render, "\033[?2026l", 8);
	stats->bytes = render->out_len;
	return flush(render);
}

bool term_render_cell_to_pixel(const struct term_render *render, int col, int row,
		uint32_t *x, uint32_t *y) {
	if (render->pic_w == 0 || col < 0 || row < 0 || col >= render->out_w ||
			2 * row >= render->out_h) {
		return false;
	}
	/* The centre of the cell: the middle of its column, the line between its halves. */
	*x = (uint32_t)((uint64_t)(2 * col + 1) * render->pic_w / (2 * (uint64_t)render->out_w));
	*y = (uint32_t)((uint64_t)(2 * row + 1) * render->pic_h / (uint64_t)render->out_h);
	return true;
}
