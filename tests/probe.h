#ifndef PINHOLE_TESTS_PROBE_H
#define PINHOLE_TESTS_PROBE_H

/* Driving tests/clients/ph-capture-probe from a test: one command, one reply. */

#include <stdbool.h>
#include <stdint.h>
#include "harness.h"

struct probe {
	struct ph_process process;
	char line[4096]; /* the last reply */
};

/* Starts the probe and waits for its greeting (left in probe->line). */
bool probe_start(struct ph_compositor *c, struct probe *probe);
/* Sends cmd; with expect, waits for a reply line starting with it. */
bool probe_cmd(struct probe *probe, const char *cmd, const char *expect);
/* The 32-bit word at a pixel of a probe buffer (0xdeadbeef if unreadable). */
uint32_t probe_word(struct probe *probe, const char *buffer, int x, int y);
/* How many pixels of the rectangle hold word (-1 if unreadable). */
long probe_count(struct probe *probe, const char *buffer, int x, int y, int w, int h,
	uint32_t word);

#endif
