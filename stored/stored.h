/*
 * stored: the single writer.  It owns the database and the private
 * keys, answers requests from the coordinator and apid, groups writes
 * into transactions, and streams every committed change to subscribers.
 */
#ifndef STORED_H
#define STORED_H

#include <sys/queue.h>

#include <event.h>

#include "imsgev.h"
#include "ipalloc.h"
#include "keys.h"
#include "types.h"

#define STORE_BATCH_MAX		512	/* writes per transaction */
#define STORE_PEER_HIWAT	(8 * 1024 * 1024)
#define STORE_PEER_LOWAT	(1 * 1024 * 1024)

struct config;
struct db;

/* A reply or change held back until its transaction commits. */
struct store_pending {
	TAILQ_ENTRY(store_pending) entry;
	int			 peer;		/* proc id, or -1: broadcast */
	uint32_t		 type;
	uint32_t		 peerid;
	uint8_t			*buf;
	size_t			 len;
	int			 is_reply;
};
TAILQ_HEAD(store_pendings, store_pending);

/*
 * An address whose fate hangs on the current transaction: one given to
 * a new node goes back to the allocator if the batch is lost, one of a
 * deleted node only once the delete is on disk.
 */
struct store_ipchange {
	TAILQ_ENTRY(store_ipchange) entry;
	int			 release;	/* 1: freed by a delete */
	char			 addr[64];
};
TAILQ_HEAD(store_ipchanges, store_ipchange);

struct store_peer {
	struct imsgev		*iev;
	int			 subscribed;
};

struct stored {
	struct config		*conf;
	struct db		*db;
	uint8_t			 noise_priv[KEY_LEN];
	uint8_t			 derp_priv[KEY_LEN];
	int			 derp_loaded;	/* only with derp.server */
	int			 ready;
	int			 shutting_down;
	struct store_peer	 peers[PROC_MAX];
	struct store_pendings	 pending;
	int			 batch_ops;
	struct event		 commit_ev;
	struct ipalloc		 ipa;		/* addresses of nodes */
	struct store_ipchanges	 ipchanges;
};

extern struct stored	*store_env;

#define ERRLEN	512

/* One request being served: who asked, and why it failed. */
struct store_req {
	int		 peer;
	struct imsgev	*iev;
	struct imsg	*imsg;
	char		 err[ERRLEN];
};

/* store_batch.c */
void	 store_batch_init(void);
int	 store_batch_begin(void);
void	 store_batch_commit(void);
void	 store_defer_reply(const struct imsg *, uint32_t,
	    const ProtobufCMessage *);
void	 store_defer_done(const struct imsg *);
void	 store_defer_change(const ProtobufCMessage *);
void	 store_drop_pending(int);
void	 store_defer_ip(const char *, int);

/* store_ops.c */
void	 store_dispatch_request(int, struct imsgev *, struct imsg *);
void	 store_result(struct imsgev *, const struct imsg *, int,
	    const char *);

/* tls_key.c */
void	 tlskey_config(struct config *);
void	 tlskey_channel(int);
void	 tlskey_clear(void);

/* store_snapshot.c */
void	 store_send_snapshot(int, struct imsgev *, const struct imsg *);

/* store_pb.c */
struct db_user;
struct db_preauthkey;
struct db_apikey;
struct db_node;
#include "types.pb-c.h"
void	 store_pb_user(const struct db_user *, Coordd__User *);
void	 store_pb_preauthkey(const struct db_preauthkey *,
	    Coordd__PreAuthKey *, char **);
void	 store_pb_apikey(const struct db_apikey *, Coordd__ApiKey *);
void	 store_pb_node(const struct db_node *, Coordd__Node *, char **,
	    char **);
int	 store_status(int);

/* store_ops.c */
struct db_user;
void	 store_fail(struct store_req *, int);
void	 store_pak_by_id(struct store_req *, enum db_status (*)(struct db *,
	    uint64_t, uint64_t *, char *, size_t));
void	 reply_node(struct store_req *, const struct db_node *, uint64_t);
void	 node_message(const struct db_node *, Coordd__Node *, char **,
	    char **, Coordd__User *, struct db_user *);

/* store_admin.c */
void	 op_pak_delete(struct store_req *);
void	 op_node_tags(struct store_req *);
void	 op_node_routes(struct store_req *);
void	 op_node_move(struct store_req *);
void	 op_node_backfill(struct store_req *);
void	 op_policy_get(struct store_req *);
void	 op_policy_set(struct store_req *);

#endif /* STORED_H */
