#ifndef PINHOLE_RENDERER_RECOVERY_H
#define PINHOLE_RENDERER_RECOVERY_H

struct server;
struct renderer_recovery;

/*
 * Survives a GPU reset: on the renderer's `lost` event, once the event loop
 * is idle, pinhole creates a new renderer and allocator, re-inits every
 * output's rendering with them, hands them to wlr_compositor and the capture
 * module, gives the pointer its cursor image back, redraws every output and
 * destroys the old pair. If no new renderer can be made, pinhole exits 1.
 *
 * Testing aid: with PINHOLE_DEBUG_RENDERER_LOSS=1 in the environment, SIGRTMIN
 * emits the renderer's `lost` signal, so the same path runs without a GPU
 * reset (docs/pinhole.1).
 */
struct renderer_recovery *renderer_recovery_create(struct server *server);
void renderer_recovery_destroy(struct renderer_recovery *recovery);

#endif
