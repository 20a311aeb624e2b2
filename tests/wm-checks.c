#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include "wm-checks.h"

bool wm_screenshot(struct ph_compositor *c, const char *const *grim_args,
		struct ph_image *image) {
	static int n;
	char name[32], out[1024];
	snprintf(name, sizeof(name), "shot-%d.png", n++);
	const char *argv[16] = {"grim"};
	int argc = 1;
	for (int i = 0; grim_args != NULL && grim_args[i] != NULL && argc < 14; i++) {
		argv[argc++] = grim_args[i];
	}
	argv[argc++] = ph_scratch(name);
	argv[argc] = NULL;
	int code = ph_run(c, argv, 10000, out, sizeof(out));
	if (code != 0 || !ph_image_load(ph_scratch(name), image)) {
		ph_diag("grim exit %d: %s", code, out);
		return false;
	}
	return true;
}

struct wm_box wm_colour_box(const struct ph_image *image, uint32_t argb) {
	struct wm_box b = {image->width, image->height, 0, 0, 0};
	for (int y = 0; y < image->height; y++) {
		for (int x = 0; x < image->width; x++) {
			if (ph_image_at(image, x, y) == argb) {
				b.count++;
				b.x1 = x < b.x1 ? x : b.x1;
				b.y1 = y < b.y1 ? y : b.y1;
				b.x2 = x + 1 > b.x2 ? x + 1 : b.x2;
				b.y2 = y + 1 > b.y2 ? y + 1 : b.y2;
			}
		}
	}
	if (b.count == 0) {
		b = (struct wm_box){0};
	}
	return b;
}

bool wm_wait_box(struct ph_compositor *c, const char *const *grim_args, uint32_t argb,
		struct wm_box want, struct wm_box *seen, int *width, int *height) {
	long want_count = want.count > 0 ? want.count :
		(long)(want.x2 - want.x1) * (want.y2 - want.y1);
	int64_t deadline = ph_now_ms() + WM_WAIT_MS;
	for (;;) {
		struct ph_image image;
		if (wm_screenshot(c, grim_args, &image)) {
			*seen = wm_colour_box(&image, argb);
			*width = image.width;
			*height = image.height;
			ph_image_finish(&image);
			if (seen->count == want_count && seen->x1 == want.x1 && seen->y1 == want.y1 &&
					seen->x2 == want.x2 && seen->y2 == want.y2) {
				return true;
			}
		}
		if (ph_now_ms() >= deadline) {
			ph_diag("colour %08x: want %d,%d-%d,%d (%ld px), seen %d,%d-%d,%d (%ld px)",
				argb, want.x1, want.y1, want.x2, want.y2, want_count, seen->x1, seen->y1,
				seen->x2, seen->y2, seen->count);
			return false;
		}
		ph_sleep_ms(50);
	}
}

bool wm_expect(struct ph_process *p, char *line, size_t size, const char *const *needles) {
	int64_t deadline = ph_now_ms() + WM_WAIT_MS;
	line[0] = '\0';
	while (ph_now_ms() < deadline) {
		if (!ph_read_line(p, line, size, (int)(deadline - ph_now_ms()))) {
			break;
		}
		bool all = true;
		for (int i = 0; needles[i] != NULL && all; i++) {
			all = strstr(line, needles[i]) != NULL;
		}
		if (all) {
			return true;
		}
	}
	ph_diag("no line with '%s'%s%s (last: '%s')", needles[0], needles[1] ? ", '" : "",
		needles[1] ? needles[1] : "", line);
	return false;
}

bool wm_wait_output(struct ph_compositor *c, const char *const *argv, char *out, size_t size,
		const char *const *needles) {
	int64_t deadline = ph_now_ms() + WM_WAIT_MS;
	for (;;) {
		ph_run(c, argv, 5000, out, size);
		bool all = true;
		for (int i = 0; needles[i] != NULL && all; i++) {
			all = strstr(out, needles[i]) != NULL;
		}
		if (all) {
			return true;
		}
		if (ph_now_ms() >= deadline) {
			ph_diag("%s: no '%s' in: %s", argv[0], needles[0], out);
			return false;
		}
		ph_sleep_ms(100);
	}
}
