#ifndef PINHOLE_VT_SWITCH_H
#define PINHOLE_VT_SWITCH_H

#include <stdbool.h>
#include <wlr/util/box.h>

struct output;
struct server;
struct vt_switch;
struct wlr_output;

/*
 * Follows the libseat session (DRM/KMS). While it is inactive (another VT is
 * shown) wlroots 0.20 has suspended the input devices and destroyed the DRM
 * outputs, and pinhole renders nothing; once active again wlroots adds the
 * outputs again as new ones. pinhole carries each output across by name: its
 * state (mode, scale, transform, on or off), its place in the layout, the
 * windows on it and its capture sessions. NULL without a session (nested,
 * headless).
 */
struct vt_switch *vt_switch_create(struct server *server);
void vt_switch_destroy(struct vt_switch *vt_switch);

/*
 * An output is being destroyed. True if that is because another VT is shown:
 * its state and place are remembered under its name, and the caller keeps
 * what hangs on it (capture_output_detach) instead of ending it.
 */
bool vt_switch_output_away(struct vt_switch *vt_switch, struct output *output);
/*
 * A new output: if it went away with a VT switch, commits the state it had,
 * sets its place in the layout (has_position, box) and returns true. False
 * for any other output, or if that state cannot be restored (a different
 * monitor meanwhile): set it up as a new one.
 */
bool vt_switch_output_back(struct vt_switch *vt_switch, struct wlr_output *wlr_output,
	bool *has_position, struct wlr_box *box);
/*
 * True while outputs are away for a VT switch (until wlroots has added back
 * the ones still there): windows stay where they are meanwhile instead of
 * being moved to another output.
 */
bool vt_switch_outputs_away(struct vt_switch *vt_switch);

#endif
