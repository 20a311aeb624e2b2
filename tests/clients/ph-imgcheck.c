/*
 * ph-imgcheck IMAGE X,Y=RRGGBB[AA]...
 * Checks pixels of a PNG or PPM image; prints the first mismatch and exits 1.
 * Used by `tools/dev demo` and handy when debugging captures by hand.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "harness.h"

int main(int argc, char *argv[]) {
	if (argc < 3) {
		fprintf(stderr, "usage: ph-imgcheck IMAGE X,Y=RRGGBB[AA]...\n");
		return 2;
	}
	struct ph_image image;
	if (!ph_image_load(argv[1], &image)) {
		fprintf(stderr, "ph-imgcheck: cannot read %s as PNG or PPM\n", argv[1]);
		return 1;
	}
	int status = 0;
	for (int i = 2; i < argc; i++) {
		int x, y;
		char hex[16];
		if (sscanf(argv[i], "%d,%d=%15s", &x, &y, hex) != 3 ||
				(strlen(hex) != 6 && strlen(hex) != 8)) {
			fprintf(stderr, "ph-imgcheck: bad check '%s' (expected X,Y=RRGGBB)\n", argv[i]);
			status = 2;
			break;
		}
		uint32_t want = (uint32_t)strtoul(hex, NULL, 16);
		uint32_t got = ph_image_at(&image, x, y);
		if (strlen(hex) == 6) {
			want |= 0xff000000u;
		} else {
			want = (want >> 8) | (want & 0xff) << 24; /* RRGGBBAA → AARRGGBB */
		}
		if (got != want) {
			fprintf(stderr, "ph-imgcheck: %s: pixel %d,%d is %08x (AARRGGBB), expected %08x\n",
				argv[1], x, y, got, want);
			status = 1;
		}
	}
	ph_image_finish(&image);
	return status;
}
