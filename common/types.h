/*
 * The one header naming every process and every imsg of the suite.
 * Numbers are pinned: coordctl and the daemons may be different builds,
 * so a value, once given, is never reused for something else.
 */
#ifndef TYPES_H
#define TYPES_H

#define COORDD_USER		"_coordd"
#define COORDD_STORE_USER	"_coordd_store"
#define COORDD_API_USER		"_coordd_api"
#define COORDD_AUTH_USER	"_coordd_auth"
#define COORDD_EMPTY_DIR	"/var/empty"

#define CONF_FILE		SYSCONFDIR "/coordd/config.yaml"
#define CONF_FILE_HEADSCALE	SYSCONFDIR "/headscale/config.yaml"
#define CTL_SOCKET		RUNSTATEDIR "/coordd/coordd.sock"

/* What a socket passed with IMSG_RECONF_LISTENER is for. */
enum listener_kind {
	LISTENER_CONTROL = 1,		/* the control socket, to apid */
	LISTENER_MAIN = 2,		/* listen_addr, to the coordinator */
	LISTENER_STUN = 3,		/* UDP derp.server.stun_listen_addr */
	LISTENER_METRICS = 4,		/* metrics_listen_addr */
};

/* Version of the control-socket protocol, carried in peerid of HELLO. */
#define CTL_PROTOCOL_VERSION	1

/* The fixed descriptor on which every child finds its parent. */
#define PROC_PARENT_FD		3

enum proc_id {
	PROC_PARENT,
	PROC_COORD,
	PROC_STORE,
	PROC_API,
	PROC_AUTH,
	PROC_CTL,		/* a coordctl client, never a child */
	PROC_MAX
};

/* What a socket passed with IMSG_CTL_PROCFD is for. */
enum proc_channel {
	PROC_CHAN_IMSG,		/* the event-driven imsg channel */
	PROC_CHAN_SIGN,		/* coordinator -> stored TLS signatures */
};

enum imsg_type {
	IMSG_NONE = 0,

	/* Generic, any channel. */
	IMSG_DONE = 1,			/* closes a chunked transfer */
	IMSG_RESULT = 2,		/* Result: status and error text */
	/* 3, 4, 5: reserved. */

	/* Parent <-> every child. */
	IMSG_CTL_PROCFD = 100,		/* ProcFd + the socket to a peer */
	IMSG_CTL_PROCREADY = 101,	/* child: all peers connected */
	IMSG_CTL_VERBOSE = 102,		/* LogVerbose */
	IMSG_RECONF_CONF = 110,		/* chunks of the effective config */
	IMSG_RECONF_DONE = 111,		/* switch to the new config */
	IMSG_RECONF_LISTENER = 112,	/* Listener + a bound socket */
	IMSG_RECONF_DERPMAP = 113,	/* DerpMap: the JSON clients get */
	IMSG_SHUTDOWN = 120,		/* drain and exit */

	/* Any requester -> stored. */
	IMSG_STORE_HELLO = 200,		/* subscribe, get a snapshot */
	IMSG_STORE_SNAPSHOT = 201,	/* Snapshot chunk, then DONE */
	IMSG_STORE_CHANGE = 202,	/* Change with a sequence number */
	IMSG_STORE_NOISE_DH = 210,	/* DhRequest -> DhReply */
	IMSG_STORE_NOISE_PUBKEY = 211,	/* -> PublicKey */
	IMSG_STORE_DERP_PUBKEY = 212,	/* -> PublicKey of the DERP key */
	IMSG_STORE_DERP_BOXKEY = 213,	/* DhRequest -> DhReply: the
					   crypto_box_beforenm key with a
					   client's node key */
	IMSG_STORE_TLS_SIGN = 214,	/* TlsSign -> TlsSignReply, on the
					   sign channel only */

	IMSG_STORE_USER_CREATE = 220,
	IMSG_STORE_USER_LIST = 221,
	IMSG_STORE_USER_RENAME = 222,
	IMSG_STORE_USER_DELETE = 223,
	IMSG_STORE_PAK_CREATE = 230,
	IMSG_STORE_PAK_LIST = 231,
	IMSG_STORE_PAK_EXPIRE = 232,
	IMSG_STORE_PAK_DELETE = 233,	/* PakQuery -> Result */
	IMSG_STORE_APIKEY_CREATE = 240,
	IMSG_STORE_APIKEY_LIST = 241,
	IMSG_STORE_APIKEY_EXPIRE = 242,
	IMSG_STORE_APIKEY_DELETE = 243,
	IMSG_STORE_APIKEY_CHECK = 244,
	IMSG_STORE_NODE_REGISTER = 250,	/* NodeRegister -> Node, DONE */
	IMSG_STORE_NODE_LIST = 251,	/* NodeQuery -> Node..., DONE */
	IMSG_STORE_NODE_DELETE = 252,	/* NodeQuery -> Result */
	IMSG_STORE_NODE_EXPIRE = 253,	/* NodeExpire -> Node, DONE */
	IMSG_STORE_NODE_RENAME = 254,	/* NodeRename -> Node, DONE */
	IMSG_STORE_NODE_UPDATE = 255,	/* NodeUpdate -> Result */
	IMSG_STORE_NODE_TAGS = 256,	/* NodeTags -> Node, DONE */
	IMSG_STORE_NODE_ROUTES = 257,	/* NodeRoutes -> Node, DONE */
	IMSG_STORE_NODE_MOVE = 258,	/* NodeMove -> Node, DONE */
	IMSG_STORE_NODE_BACKFILL = 259,	/* NodeQuery -> Node..., DONE */
	IMSG_STORE_POLICY_GET = 270,	/* Policy -> Policy, DONE */
	IMSG_STORE_POLICY_SET = 271,	/* Policy -> Policy, DONE */

	/* Replies from stored. */
	IMSG_STORE_USER = 260,		/* one User */
	IMSG_STORE_PAK = 261,		/* one PreAuthKey */
	IMSG_STORE_APIKEY = 262,	/* one ApiKey */
	IMSG_STORE_NODE = 263,		/* one Node */
	IMSG_STORE_POLICY = 264,	/* the Policy */

	/* coordctl <-> apid over the control socket. */
	IMSG_CTL_HELLO = 300,		/* peerid carries the version */
	IMSG_CTL_COMMAND = 301,		/* CtlRequest */
	IMSG_CTL_REPLY = 302,		/* CtlReply: a JSON document */

	/* coordinator <-> authd, coordinator <-> apid. */
	IMSG_AUTH_PING = 400,
	IMSG_API_PING = 410,
	IMSG_API_REQUEST = 411,		/* ApiRequest, coordinator -> apid */
	IMSG_API_RESPONSE = 412,	/* ApiResponse, same peerid */
	IMSG_API_AUTH_REGISTER = 413,	/* AuthRegister, apid -> coord */
	IMSG_API_AUTH_REGISTER_REPLY = 414, /* AuthRegisterReply */
	IMSG_API_NODE_STATE = 415,	/* NodeStateQuery -> NodeStates */
	IMSG_API_NODE_STATES = 416,

	/* authd -> parent: a fetched derp.urls document. */
	IMSG_AUTH_DERPMAP = 401,	/* chunk of a packed DerpMapFetch */
	IMSG_AUTH_DERPMAP_DONE = 402,	/* the last chunk was sent */
};

/* TlsSign operations. */
enum tls_sign_op {
	TLS_SIGN_RSA = 1,		/* RSA_private_encrypt */
	TLS_SIGN_ECDSA = 2,		/* ECDSA_sign of a digest */
};

#define TLS_KEY_ID_LEN		32	/* SHA-256 of the public key */
#define TLS_SIGN_MAX		1024	/* bytes in or out: RSA-8192 */

/* Status in Result and CtlReply; also coordctl's meaning of an error. */
enum ctl_status {
	CTL_OK = 0,
	CTL_ERR_INVALID = 1,		/* bad arguments; nothing written */
	CTL_ERR_NOTFOUND = 2,
	CTL_ERR_EXISTS = 3,
	CTL_ERR_INTERNAL = 4,
	CTL_ERR_UNAVAILABLE = 5,	/* stored is not reachable */
	CTL_ERR_DENIED = 6,
	CTL_ERR_VERSION = 7,		/* ctl protocol mismatch */
};

#endif /* TYPES_H */
