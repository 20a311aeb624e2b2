#ifndef PINHOLE_ACTIVATION_H
#define PINHOLE_ACTIVATION_H

/*
 * xdg-activation-v1: a window is focused only with a token that wlroots
 * validated against an input serial of the focused surface; any other
 * activation request marks the window urgent instead.
 */

struct server;
struct activation;

struct activation *activation_create(struct server *server);
void activation_destroy(struct activation *activation);

#endif
