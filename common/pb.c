/*
 * protobuf-c payloads of imsgs.  Every payload on every channel is a
 * protobuf-c message; these helpers pack them and unpack them with the
 * library's own bounds checks.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "imsgev.h"
#include "log.h"
#include "types.h"

#include "types.pb-c.h"

uint8_t *
pb_pack(const ProtobufCMessage *msg, size_t *lenp)
{
	uint8_t	*buf;
	size_t	 len;

	len = protobuf_c_message_get_packed_size(msg);
	/* malloc(0) may return NULL; keep a valid pointer for empty ones. */
	if ((buf = malloc(len > 0 ? len : 1)) == NULL)
		return (NULL);
	protobuf_c_message_pack(msg, buf);
	*lenp = len;
	return (buf);
}

/* Returns the message, or NULL if the payload does not parse. */
void *
pb_unpack(const ProtobufCMessageDescriptor *desc, const struct imsg *imsg)
{
	ProtobufCMessage	*msg;

	msg = protobuf_c_message_unpack(desc, NULL, imsg->datalen,
	    imsg->data);
	if (msg == NULL)
		errno = EBADMSG;
	return (msg);
}

void
pb_free(void *msg)
{
	if (msg != NULL)
		protobuf_c_message_free_unpacked(msg, NULL);
}

/* Copy a string out of a message, refusing one longer than max. */
char *
pb_strdup_bounded(const char *s, size_t max)
{
	if (s == NULL)
		return (strdup(""));
	if (strnlen(s, max + 1) > max) {
		errno = ENAMETOOLONG;
		return (NULL);
	}
	return (strdup(s));
}

/* Decode an IMSG_RESULT; -1 if it does not parse. */
int
pb_result(const struct imsg *imsg, int *status, char *err, size_t errlen)
{
	Coordd__Result	*res;

	if ((res = pb_unpack(&coordd__result__descriptor, imsg)) == NULL)
		return (-1);
	*status = res->status;
	if (err != NULL)
		strlcpy(err, res->error, errlen);
	pb_free(res);
	return (0);
}
