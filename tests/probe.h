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
/* The same with its own deadline. */
bool probe_cmd_within(struct probe *probe, const char *cmd, const char *expect,
	int timeout_ms);
/* A deadline, not a wait: 4K frames under ASan on a loaded 2-CPU machine take seconds. */
#define PROBE_LARGE_TIMEOUT_MS 30000
/*
 * The words of a probe buffer of width x height, dumped through a scratch
 * file (PROBE_LARGE_TIMEOUT_MS); NULL if there is no such dump. Free it.
 */
uint32_t *probe_dump(struct probe *probe, const char *buffer, int width, int height);
/* The 32-bit word at a pixel of a probe buffer (0xdeadbeef if unreadable). */
uint32_t probe_word(struct probe *probe, const char *buffer, int x, int y);
/* How many pixels of the rectangle hold word (-1 if unreadable). */
long probe_count(struct probe *probe, const char *buffer, int x, int y, int w, int h,
	uint32_t word);

/*
 * A negative check: nothing arrives from the probe. First a roundtrip (the
 * probe's "roundtrips 1"): the compositor has handled every request sent so
 * far, so an answer due at once would be in. Then a window of
 * PROBE_QUIET_PERIODS refresh periods of an output at refresh_hz: a frame
 * that new content or render-on-demand would complete comes within one or
 * two; the rest is room for a loaded machine. False, with the line in got,
 * if anything came.
 */
#define PROBE_QUIET_PERIODS 6
bool probe_quiet(struct probe *probe, int refresh_hz, char *got, size_t size);
/* pinhole's headless outputs: 60 Hz unless --mode says otherwise. */
#define PH_HEADLESS_REFRESH_HZ 60

#endif
