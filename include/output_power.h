#ifndef PINHOLE_OUTPUT_POWER_H
#define PINHOLE_OUTPUT_POWER_H

struct server;
struct output_power;

/*
 * wlr-output-power-management-v1 (wlopm, swayidle's `wlopm --off`): an output
 * switched off is disabled (DPMS off) but keeps its place in the layout, so
 * windows and the pointer stay where they were when it comes back on.
 */
struct output_power *output_power_create(struct server *server);
void output_power_destroy(struct output_power *power);

#endif
