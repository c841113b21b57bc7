/* GET /metrics on metrics_listen_addr: see metrics.c. */
#ifndef METRICS_H
#define METRICS_H

struct coord;
struct metrics_server;

struct metrics_server	*metrics_server_new(struct coord *, int);
void			 metrics_server_free(struct metrics_server *);

#endif /* METRICS_H */
