#ifndef PINHOLE_ACTIVATION_H
#define PINHOLE_ACTIVATION_H

/*
 * xdg-activation-v1: a window is focused only with a token that the client
 * with keyboard focus committed with one of its input serials; any other
 * activation request (also one wlroots drops for an unknown token) marks the
 * window urgent instead.
 */

struct server;
struct activation;

struct activation *activation_create(struct server *server);
void activation_destroy(struct activation *activation);

#endif
