#ifndef PINHOLE_TESTS_CLIENTS_PATTERN_H
#define PINHOLE_TESTS_CLIENTS_PATTERN_H

/*
 * A picture in which every pixel differs, for capture checks at the size of
 * whole screens: ph-paint draws it (--pattern xy, the xy command) and the
 * tests compute it again from x and y, so a pixel copied from the wrong row
 * or column, or not copied at all, cannot match by chance.
 */

#include <stdint.h>

/*
 * 0xffRRGGBB at x, y for a seed. x | y << 12 differs in every pixel of a
 * picture up to 4096x4096 and multiplying it by an odd number modulo 2^24
 * keeps it so, while neighbours get unrelated colours; the seed moves the
 * whole picture to other colours.
 */
static inline uint32_t pattern_xy(int x, int y, uint32_t seed) {
	uint32_t index = (uint32_t)x | (uint32_t)y << 12;
	return 0xff000000u | ((index * 0x9e3779b1u + seed * 0x6b43a9b5u) & 0xffffffu);
}

#endif
