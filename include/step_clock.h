#ifndef PINHOLE_STEP_CLOCK_H
#define PINHOLE_STEP_CLOCK_H

#include <stdbool.h>

struct output;
struct output_clock;

/*
 * --clock step: an output's time is virtual. It starts at 0 and moves by one
 * refresh period of the output's mode per step; a step is what a capture of
 * the output asks for (docs/stepping.md). A step sends the frame callbacks of
 * the output's surfaces with the step's time, waits until every surface that
 * got one has committed (or the step timeout passed), renders, and stamps
 * the commit's presentation with the step's time, for capture and for
 * wp_presentation alike.
 *
 * Created before the output's scene output and capture source: its present
 * listener must run before theirs, which read the time it writes.
 */
struct output_clock *output_clock_create(struct output *output, int timeout_ms);
void output_clock_destroy(struct output_clock *clock);
/* Starts a step, or does nothing while one is under way (it serves every capture). */
void output_clock_step(struct output_clock *clock);

#endif
