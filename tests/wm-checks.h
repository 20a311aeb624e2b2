#ifndef PINHOLE_TESTS_WM_CHECKS_H
#define PINHOLE_TESTS_WM_CHECKS_H

/*
 * What the window management and output layout tests (test-wm.c,
 * test-xwm.c, test-outputs.c) read from clients: grim's pictures, a client's lines, a
 * tool's listing, each waited for until it says what is expected.
 */

#include <stdbool.h>
#include <stdint.h>
#include "harness.h"

#define WM_WAIT_MS 8000

/* Where a colour is in a picture: its bounding box and how many pixels have it. */
struct wm_box {
	int x1, y1, x2, y2; /* x2, y2 exclusive */
	long count;
};

/* grim with extra arguments (NULL-terminated, may be NULL) into image. */
bool wm_screenshot(struct ph_compositor *c, const char *const *grim_args,
	struct ph_image *image);
struct wm_box wm_colour_box(const struct ph_image *image, uint32_t argb);
/*
 * Screenshots until the colour covers exactly want (count pixels of it
 * inside, the whole box when count is 0); the last box seen and the
 * picture's size are left in seen, width and height.
 */
bool wm_wait_box(struct ph_compositor *c, const char *const *grim_args, uint32_t argb,
	struct wm_box want, struct wm_box *seen, int *width, int *height);
/* Reads lines until one contains every needle (NULL-terminated); it is left in line. */
bool wm_expect(struct ph_process *p, char *line, size_t size, const char *const *needles);
#define WM_EXPECT(p, line, ...) \
	wm_expect(p, line, sizeof(line), (const char *[]){__VA_ARGS__, NULL})
/* Runs argv until its output contains every needle; the last output is left in out. */
bool wm_wait_output(struct ph_compositor *c, const char *const *argv, char *out, size_t size,
	const char *const *needles);
#define WM_WAIT_OUTPUT(c, argv, out, ...) \
	wm_wait_output(c, argv, out, sizeof(out), (const char *[]){__VA_ARGS__, NULL})

#endif
