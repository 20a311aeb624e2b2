#ifndef PINHOLE_DND_H
#define PINHOLE_DND_H

struct seat;
struct server;
struct wlr_seat;

/*
 * Drag and drop (wl_data_device.start_drag): starts drags whose serial is a
 * button press the origin surface got, and shows their icon surfaces above
 * everything else at the cursor. wlroots' drag grab sends enter, motion,
 * drop and leave to the surfaces the seat's pointer focus goes to.
 */
struct dnd;

struct dnd *dnd_create(struct server *server, struct seat *seat);
void dnd_destroy(struct dnd *dnd);
/*
 * Ends the drag in progress, if any, as if it had been cancelled: the source
 * gets `cancelled`, the surface under the drag `leave`, the icon goes away and
 * the seat's grabs (a drag holds the pointer and the keyboard) end. For the
 * session lock, which must own the input from its first moment.
 */
void dnd_cancel(struct dnd *dnd);
/* The cursor moved to layout coordinates lx, ly: icons follow it. */
void dnd_cursor_moved(struct dnd *dnd, double lx, double ly);

#endif
